"""Charts and the map as SVG, made on the server (no JavaScript, no inline style: colours are
SVG attributes, sizes come from the static stylesheet).

Every chart is `role="img"` with a title and a description as its accessible name; the page
shows a table with the same figures beside it. Colours have a contrast of at least 4.5:1 to
the white background, bars are separated by white space and carry their value as text, and
the map's classes differ in shape as well as in colour, so colour is never the only carrier.
The map holds links (one per Gemeinde), so it is a `role="group"` named by its title: inside
`role="img"` the links would be hidden from assistive technology.
"""

import math
from collections.abc import Sequence
from datetime import date

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import maturity

TEXT = "#1b1b1b"
GRID = "#8c96a8"
LEVEL_COLOURS = ("#6b6b6b", "#b34700", "#7b5ea7", "#00707a", "#0b3d91")
CLASS_COLOURS = LEVEL_COLOURS
BAR = "#0b3d91"
FONT = 'font-family="Fira Sans, sans-serif"'


def percent(share: float | None, digits: int = 1) -> str:
    if share is None:
        return "–"
    return number_format(share * 100, digits) + " %"


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return number_format(value, digits, force_grouping=True)


def month_label(month: str, fmt: str = "M Y") -> str:
    year, mon = month.split("-")
    return date_format(date(int(year), int(mon), 1), fmt)


def class_labels() -> list[str]:
    return [_("nothing online"), _("under 10 % online"), _("10 to under 25 % online"),
            _("25 to under 50 % online"), _("50 % or more online")]


def _svg(uid: str, title: str, desc: str, width: int, height: int, body: str,
         role: str = "img") -> SafeString:
    # every text that comes from data is escaped here or in _text / hessen_map
    return mark_safe(  # noqa: S308
        f'<svg class="aw-chart" role="{role}" aria-labelledby="{uid}-t {uid}-d" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
        f"{body}</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 16,
          weight: str = "normal", fill: str = TEXT) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'font-weight="{weight}" fill="{fill}" {FONT}>{escape(text)}</text>')


def hbars(uid: str, title: str, desc: str, rows: Sequence[tuple[str, float, str, str]],
          maximum: float | None = None) -> SafeString:
    """Horizontal bars: (label, value, value as text, colour) per row."""
    label_w, bar_w, row_h = 250, 280, 36
    top = 8
    maximum = maximum if maximum is not None else max((r[1] for r in rows), default=0)
    body = []
    for i, (label, value, shown, colour) in enumerate(rows):
        y = top + i * row_h
        width = bar_w * value / maximum if maximum else 0
        body.append(_text(label_w - 8, y + 19, label, anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y + 5}" width="{max(width, 0):.1f}" height="20" '
                    f'fill="{colour}"/>')
        body.append(f'<line x1="{label_w}" y1="{y + 2}" x2="{label_w}" y2="{y + 28}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(label_w + width + 6, y + 21, shown, weight="bold"))
    height = top * 2 + row_h * len(rows)
    return _svg(uid, title, desc, label_w + bar_w + 130, height, "".join(body))


def levels_chart(uid: str, counts: Sequence[int], title: str) -> SafeString:
    total = sum(counts)
    rows = [(f"{level} {maturity.LABELS[level]}", n, f"{number(n)} ({percent(n / total, 0)})"
             if total else number(n), LEVEL_COLOURS[level]) for level, n in enumerate(counts)]
    desc = "; ".join(f"{label}: {shown}" for label, _v, shown, _c in rows)
    return hbars(uid, title, desc, rows)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def columns(uid: str, title: str, points: Sequence[tuple[str, float]], *,
            percent_axis: bool = False, line: bool = False) -> SafeString:
    """Columns (or a line with points) over months, with a labelled y axis; every third
    month is labelled on the x axis."""
    width, height, left, right, top, bottom = 640, 280, 72, 24, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _m, v in points]
    top_value = 1.0 if percent_axis else _nice_max(max([*values, 4]))
    body = []
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                    f'stroke="{GRID}" stroke-width="{1 if i else 1.5}"/>')
        label = percent(value, 0) if percent_axis else number(value, 0)
        body.append(_text(left - 6, y + 5, label, anchor="end", size=14))
    n = max(len(points), 1)
    slot = plot_w / n
    coords = []
    for i, (month, value) in enumerate(points):
        x = left + slot * i
        h = plot_h * value / top_value if top_value else 0
        if line:
            coords.append((x + slot / 2, top + plot_h - h))
        else:
            body.append(f'<rect x="{x + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
                        f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        if i % 3 == 0 or n <= 6:
            body.append(_text(x + slot / 2, height - bottom + 20, month_label(month, "M y"),
                              anchor="middle", size=14))
    if line and coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2.5"/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>' for x, y in coords)
    shown = [(month_label(m), percent(v) if percent_axis else number(v)) for m, v in points]
    if shown:
        low = min(points, key=lambda p: p[1])
        high = max(points, key=lambda p: p[1])
        desc = _("%(first)s to %(last)s; lowest %(low)s (%(low_month)s), highest %(high)s "
                 "(%(high_month)s); the table beside the chart has every value.") % {
            "first": shown[0][0], "last": shown[-1][0],
            "low": percent(low[1]) if percent_axis else number(low[1]),
            "low_month": month_label(low[0]),
            "high": percent(high[1]) if percent_axis else number(high[1]),
            "high_month": month_label(high[0])}
    else:
        desc = _("No values yet.")
    return _svg(uid, title, desc, width, height, "".join(body))


# --- the map ------------------------------------------------------------------------------------

def _symbol(cls: int, x: float, y: float, r: float) -> str:
    colour = CLASS_COLOURS[cls]
    if cls == 0:  # a ring
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r * 0.8:.1f}" fill="#ffffff" '
                f'stroke="{colour}" stroke-width="1.8"/>')
    if cls == 1:  # a triangle
        return (f'<path d="M{x:.1f} {y - r:.1f}L{x + r:.1f} {y + r * 0.8:.1f}'
                f'L{x - r:.1f} {y + r * 0.8:.1f}Z" fill="{colour}"/>')
    if cls == 2:  # a square
        s = r * 0.85
        return (f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" '
                f'fill="{colour}"/>')
    if cls == 3:  # a diamond
        return (f'<path d="M{x:.1f} {y - r * 1.15:.1f}L{x + r * 1.15:.1f} {y:.1f}'
                f'L{x:.1f} {y + r * 1.15:.1f}L{x - r * 1.15:.1f} {y:.1f}Z" fill="{colour}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r * 1.1:.1f}" fill="{colour}"/>'


def legend_symbol(cls: int) -> SafeString:
    """The map's symbol of a class, for the legend and the table."""
    return mark_safe(  # noqa: S308 - numbers only
        '<svg class="aw-legend-symbol" aria-hidden="true" viewBox="0 0 20 20" '
        f'xmlns="http://www.w3.org/2000/svg">{_symbol(cls, 10, 10, 7)}</svg>')


def hessen_map(uid: str, title: str, places: Sequence[dict], link) -> SafeString:
    """Gemeinden as symbols placed by latitude and longitude (equirectangular, scaled by the
    cosine of the middle latitude), each a link to its dashboard."""
    located = [p for p in places if p.get("lat") is not None and p.get("lon") is not None]
    if not located:
        return mark_safe("")
    lat_min = min(p["lat"] for p in located)
    lat_max = max(p["lat"] for p in located)
    lon_min = min(p["lon"] for p in located)
    lon_max = max(p["lon"] for p in located)
    scale_x = math.cos(math.radians((lat_min + lat_max) / 2))
    span = max((lon_max - lon_min) * scale_x, lat_max - lat_min, 0.05)
    size, pad = 560, 16
    k = (size - 2 * pad) / span
    width = round((lon_max - lon_min) * scale_x * k + 2 * pad)
    height = round((lat_max - lat_min) * k + 2 * pad)
    radius = 5.5 if len(located) > 100 else 9
    labels = class_labels()
    body = []
    for p in sorted(located, key=lambda p: p["class"]):
        x = pad + (p["lon"] - lon_min) * scale_x * k
        y = pad + (lat_max - p["lat"]) * k
        name = f'{p["name"]}: {percent(p["share_online"])} ({labels[p["class"]]})'
        body.append(f'<a href="{escape(link(p))}" aria-label="{escape(name)}">'
                    f"<title>{escape(name)}</title>{_symbol(p['class'], x, y, radius)}</a>")
    counts = [sum(1 for p in located if p["class"] == c) for c in range(5)]
    desc = "; ".join(f"{labels[c]}: {counts[c]}" for c in range(5))
    return _svg(uid, title, desc, width, height, "".join(body), role="group")
