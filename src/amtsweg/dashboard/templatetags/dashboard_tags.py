from django import template

from amtsweg.dashboard import charts

register = template.Library()


@register.filter
def pct(share: float | None) -> str:
    """0.256 → '25,6 %' (in the current language); None → '–'."""
    return charts.percent(share)


@register.filter
def num(value: float | None, digits: int = 0) -> str:
    return charts.number(value, digits)


@register.filter
def month(value: str) -> str:
    """'2026-03' → 'Mär 2026'."""
    return charts.month_label(value)
