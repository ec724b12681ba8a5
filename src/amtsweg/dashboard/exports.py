"""CSV and JSON of a dashboard's figures: the JSON is the whole figures dict, each table of the
page is one CSV (`?table=`)."""

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from amtsweg.core import csvexport

from . import maturity

FIGURES = ["submissions", "decided", "median_days", "open", "overdue"]
MATURITY = ["pairs", "online", "share_online", "level0", "level1", "level2", "level3", "level4"]


def _levels(row: dict) -> dict:
    return {**row, **{f"level{i}": n for i, n in enumerate(row.get("counts", []))}}


def tables(data: dict) -> dict[str, tuple[list[str], list[dict]]]:
    """name → (columns, rows) of every table the dashboard shows."""
    counts = data["maturity"]["counts"]
    total = sum(counts)
    out = {
        "levels": (["level", "label", "count", "share"], [
            {"level": level, "label": str(maturity.LABELS[level]), "count": n,
             "share": round(n / total, 4) if total else None} for level, n in enumerate(counts)]),
        "months": (["month", "submissions", "decided"], data["months"]),
        "history": (["month", "day", *MATURITY], [_levels(r) for r in data["history"]]),
    }
    if "leistungen" in data:
        out["leistungen"] = (["leika_key", "name", "level", *FIGURES], data["leistungen"])
    if "kreise" in data:
        out["kreise"] = (["ags", "name", *MATURITY, *FIGURES, "submissions_per_1000"],
                         [_levels(r) for r in data["kreise"]])
    if "gemeinden" in data:
        out["gemeinden"] = (["ags", "name", "kreis_ags", "kreis", "lat", "lon", *MATURITY,
                             "class", *FIGURES, "submissions_per_1000"],
                            [_levels(r) for r in data["gemeinden"]])
    out["compare"] = (["scope", "ags", "name", "population", *MATURITY, *FIGURES,
                       "submissions_per_1000", "overdue_share"],
                      [_levels(r) for r in data["compare"]])
    return out


def csv_response(rows: list[dict], columns: list[str], filename: str) -> HttpResponse:
    return csvexport.response(filename, columns, ([row.get(k) for k in columns] for row in rows))


def json_response(data: dict, filename: str) -> JsonResponse:
    body = {**data, "levels": {str(level): str(label)
                               for level, label in maturity.LABELS.items()}}
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def table_response(named: dict[str, tuple[list[str], list[dict]]], table: str,
                   filename: str) -> HttpResponse:
    if table not in named:
        return HttpResponse(
            _("There is no table “%(table)s”. Choose one of: %(tables)s.") % {
                "table": table, "tables": ", ".join(named)},
            status=400, content_type="text/plain; charset=utf-8")
    columns, rows = named[table]
    return csv_response(rows, columns, filename)
