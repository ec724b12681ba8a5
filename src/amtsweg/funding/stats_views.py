"""Public pages of the programme statistics: figures, charts (server-rendered SVG, each with a
table of the same numbers beside it), CSV and JSON export of the same data."""

import math
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from amtsweg.api.problems import Problem, problem_response
from amtsweg.core import csvexport
from amtsweg.ikz.models import TaskArea
from amtsweg.territory.models import Area

from . import history, stats

MILLION = Decimal(1_000_000)
CSV_TABLES = {"jahre": "years", "aufgabenbereiche": "task_areas", "kreise": "kreise"}
SOURCE = ("Hessisches Ministerium des Innern: publications on the IKZ funding programme "
          "(totals since 2008, 2018, 2019 and January to June 2020)")


class YearRangeForm(forms.Form):
    von = forms.TypedChoiceField(label=gettext_lazy("From year"), coerce=int, required=False,
                                 empty_value=None)
    bis = forms.TypedChoiceField(label=gettext_lazy("To year"), coerce=int, required=False,
                                 empty_value=None)

    def __init__(self, data, years: list[int]) -> None:
        super().__init__(data)
        choices = [("", _("all years"))] + [(str(y), str(y)) for y in years]
        message = (_("Choose a year from %(first)s to %(last)s.")
                   % {"first": years[0], "last": years[-1]} if years
                   else _("There are no grants yet."))
        for field in self.fields.values():
            field.choices = choices
            field.error_messages["invalid_choice"] = message

    def clean(self):
        data = super().clean()
        first, last = data.get("von"), data.get("bis")
        if first is not None and last is not None and first > last:
            raise forms.ValidationError(_("The first year must not be after the last year."))
        return data


def _years(all_years: stats.Stats) -> list[int]:
    bounds = all_years["bounds"]
    return list(range(bounds["first"], bounds["last"] + 1)) if bounds else []


def _filtered(request: HttpRequest) -> tuple[stats.Stats, YearRangeForm]:
    """The figures for the asked years; with an invalid filter, those of all years and the
    form with its error."""
    everything = stats.statistics()
    form = YearRangeForm(request.GET or None, _years(everything))
    if not request.GET or not form.is_valid():
        return everything, form
    first, last = form.cleaned_data.get("von"), form.cleaned_data.get("bis")
    if first is None and last is None:
        return everything, form
    return stats.statistics(first, last), form


def _query(form: YearRangeForm) -> str:
    if not form.is_bound or not form.is_valid():
        return ""
    parts = [f"{key}={form.cleaned_data[key]}" for key in ("von", "bis")
             if form.cleaned_data.get(key) is not None]
    return "?" + "&".join(parts) if parts else ""


# -- charts ---------------------------------------------------------------------------------

def _label(value: float, decimals: int) -> str:
    """A value as the chart writes it: rounded half up (number_format only cuts off) and
    localised."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return number_format(rounded, decimals, force_grouping=True)


def _num(value: float) -> str:
    """A coordinate for an SVG attribute: never localised."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_step(top: float, ticks: int = 4) -> float:
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def column_chart(rows: list[dict], key: str, *, label_key: str, decimals: int = 0) -> dict:
    """Vertical bars, one per row (years), with the value above each bar and a y axis."""
    width, height, left, right, top, bottom = 720, 300, 56, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(r[key]) for r in rows]
    step = _nice_step(max(values, default=0))
    scale_top = step * max(1, math.ceil(max(values, default=0) / step))
    slot = plot_w / max(len(rows), 1)
    bars = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        h = plot_h * value / scale_top
        x = left + i * slot + slot * 0.15
        bars.append({
            "x": _num(x), "y": _num(top + plot_h - h), "w": _num(slot * 0.7), "h": _num(h),
            "cx": _num(x + slot * 0.35), "value_y": _num(top + plot_h - h - 6),
            "value": _label(value, decimals),
            "label": str(row[label_key]),
        })
    ticks = []
    for n in range(round(scale_top / step) + 1):
        value = n * step
        ticks.append({"y": _num(top + plot_h - plot_h * value / scale_top),
                      "label": _label(value, 0 if step >= 1 else 1)})
    return {"width": width, "height": height, "bars": bars, "ticks": ticks,
            "x0": left, "x1": width - right, "tick_x": left - 6, "base_y": _num(top + plot_h),
            "label_y": _num(height - 12)}


def bar_chart(rows: list[dict], key: str, *, label_key: str, decimals: int = 0) -> dict:
    """Horizontal bars, one per row (task areas, Kreise), labelled on the left."""
    width, label_w, right, row_h, top = 720, 280, 72, 26, 8
    plot_w = width - label_w - right
    values = [float(r[key]) for r in rows]
    top_value = max(values, default=0) or 1
    bars = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        w = plot_w * value / top_value
        y = top + i * row_h
        bars.append({
            "x": label_w, "y": _num(y + 4), "w": _num(w), "h": row_h - 8,
            "text_y": _num(y + row_h / 2 + 5), "value_x": _num(label_w + w + 6),
            "value": _label(value, decimals),
            "label": str(row[label_key]),
        })
    return {"width": width, "height": top * 2 + row_h * len(rows), "bars": bars,
            "label_x": label_w - 8, "x0": label_w,
            "base_y1": top, "base_y2": _num(top + row_h * len(rows))}


# -- data with labels -----------------------------------------------------------------------

def _millions(amount: Decimal) -> Decimal:
    return amount / MILLION


def _labelled(data: stats.Stats) -> stats.Stats:
    """The cached figures with the labels of the current language added (a copy)."""
    labels = dict(TaskArea.choices)
    this_year = timezone.localdate().year
    years = []
    for row in data["years"]:
        label = str(row["year"])
        if row["year"] == this_year:
            label = _("%(year)s (so far)") % {"year": row["year"]}
        elif row["year"] == history.LAST_DAY.year and row["last_decision"] <= history.LAST_DAY:
            label = _("%(year)s (January to June)") % {"year": row["year"]}
        years.append({**row, "millions": _millions(row["amount"]), "label": label})
    return {
        **data,
        "years": years,
        "task_areas": [{**r, "label": str(labels.get(r["key"], r["key"])),
                        "millions": _millions(r["amount"])} for r in data["task_areas"]],
        "kreise": [{**r, "label": _kreis_label(r)} for r in data["kreise"]],
        "totals": {**data["totals"], "millions": _millions(data["totals"]["amount"])},
    }


def _kreis_label(row: dict) -> str:
    """'Kassel' for the Landkreis, 'Kassel (kreisfreie Stadt)' for the city."""
    name = row["name"].split(",")[0].strip()
    if row["kreis_type"] == Area.KreisType.KREISFREIE_STADT:
        return f"{name} ({Area.KreisType.KREISFREIE_STADT.label})"
    return name


# The published figures the demo history matches end with June 2020.
PUBLISHED_UNTIL = 2020


@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    data, form = _filtered(request)
    data = _labelled(data)
    query = _query(form)
    years = [r["year"] for r in data["years"]]
    return render(request, "funding/statistics.html", {
        "data": data, "form": form, "query": query,
        # grants after the published period: the totals then exceed the published figures
        "later_grants": any(y > PUBLISHED_UNTIL for y in years),
        "shown": {"from": data["range"]["from"] or (years[0] if years else None),
                  "to": data["range"]["to"] or (years[-1] if years else None)},
        "year_columns": column_chart(data["years"], "cooperations", label_key="year"),
        "year_amounts": column_chart(data["years"], "millions", label_key="year", decimals=1),
        "task_chart": bar_chart(data["task_areas"], "millions", label_key="label",
                                decimals=2),
        "kreis_chart": bar_chart(data["kreise"], "participations", label_key="label"),
        "json_url": reverse("funding:statistics_json") + query,
        "csv_urls": {name: reverse("funding:statistics_csv", args=[name]) + query
                     for name in CSV_TABLES},
    })


def _bad_filter(request: HttpRequest, form: YearRangeForm) -> HttpResponse | None:
    if not request.GET or form.is_valid():
        return None
    detail = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return problem_response(request, Problem(400, _("Invalid request parameters"), detail,
                                             "invalid-parameter"))


@require_GET
def statistics_json(request: HttpRequest) -> HttpResponse:
    data, form = _filtered(request)
    if (bad := _bad_filter(request, form)) is not None:
        return bad
    data = _labelled(data)
    body = {
        "range": data["range"],
        "bounds": data["bounds"],
        "currency": "EUR",
        "totals": _plain(data["totals"], ("grants", "cooperations", "participations",
                                          "kommunen", "amount")),
        "years": [_plain(r, ("year", "grants", "cooperations", "participations", "kommunen",
                             "amount")) for r in data["years"]],
        "task_areas": [_plain(r, ("key", "label", "grants", "cooperations", "participations",
                                  "amount")) for r in data["task_areas"]],
        "kreise": [_plain(r, ("ags", "name", "kreis_type", "cooperations", "participations",
                              "kommunen")) for r in data["kreise"]],
        "demo": data["demo"],
        "source": SOURCE if data["demo"] else None,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _plain(row: dict, keys: tuple[str, ...]) -> dict:
    return {k: float(row[k]) if isinstance(row[k], Decimal) else row[k] for k in keys}


CSV_COLUMNS = {
    "years": ("year", "grants", "cooperations", "participations", "kommunen", "amount"),
    "task_areas": ("key", "label", "grants", "cooperations", "participations", "amount"),
    "kreise": ("ags", "name", "kreis_type", "cooperations", "participations", "kommunen"),
}
CSV_HEADERS = {"key": "task_area", "amount": "amount_eur", "name": "kreis"}


@require_GET
def statistics_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in CSV_TABLES:
        raise Http404
    data, form = _filtered(request)
    if (bad := _bad_filter(request, form)) is not None:
        return bad
    data = _labelled(data)
    part = CSV_TABLES[table]
    columns = CSV_COLUMNS[part]
    years = [r["year"] for r in data["years"]]
    span = f"-{years[0]}-{years[-1]}" if years else ""
    return csvexport.response(f"ikz-foerderung-{table}{span}.csv",
                              [CSV_HEADERS.get(c, c) for c in columns],
                              ([row[c] for c in columns] for row in data[part]))
