"""Public dashboard pages: the Land, a Kreis, a Gemeinde, a comparison of two areas, and the
CSV/JSON exports of each. No login; only counts are shown, never a case."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amtsweg.territory.models import Area

from . import charts, coverage, exports, figures, maturity
from .figures import GEMEINDE, KREIS, LAND

REFRESH_SECONDS = 600  # a roll-up older than this is renewed in the background


def _refresh_if_stale(data: dict) -> None:
    """Ask the worker for a new roll-up when the figures are older than the refresh period
    (at most once per period, whatever the number of requests)."""
    period = int(getattr(settings, "DASHBOARD_REFRESH_SECONDS", REFRESH_SECONDS))
    as_of = data["as_of"]["figures"]
    if as_of and datetime.fromisoformat(as_of) > timezone.now() - timedelta(seconds=period):
        return
    if cache.add("dashboard:refresh-queued", True, period):
        from .tasks import refresh

        refresh.enqueue()


def _area(kind: str, ags: str) -> tuple[str, int]:
    if kind == LAND:
        pk = Area.objects.filter(kind=Area.Kind.LAND).values_list("pk", flat=True).first()
    else:
        pk = (Area.objects.filter(kind=kind, ags=ags, gemeindefrei=False)
              .values_list("pk", flat=True).first())
    if pk is None:
        raise Http404
    return kind, pk


def url_of(scope: str, ags: str) -> str:
    if scope == LAND:
        return reverse("dashboard:land")
    return reverse(f"dashboard:{scope}", args=[ags])


def _urls(name: str, marker: str = "00000000") -> Callable[[str], str]:
    """A fast reverse() for many rows: the pattern is resolved once (`marker` must fit it)."""
    template = reverse(name, args=[marker])
    return lambda key: template.replace(marker, key)


def export_url(scope: str, ags: str, fmt: str, table: str | None = None) -> str:
    url = (reverse("dashboard:land_export", args=[fmt]) if scope == LAND
           else reverse(f"dashboard:{scope}_export", args=[ags, fmt]))
    return f"{url}?table={table}" if table else url


def level_rows(counts: list[int]) -> list[dict]:
    total = sum(counts)
    return [{"level": level, "label": maturity.LABELS[level], "count": n,
             "share": n / total if total else None} for level, n in enumerate(counts)]


def compare_rows(rows: list[dict]) -> list[dict]:
    return [{**row, "url": url_of(row["scope"], row["ags"]),
             "label": row["name"] if row["scope"] != LAND else _("Hessen"),
             "levels": level_rows(row["counts"])} for row in rows]


def compare_fields(a: str, b: str) -> list[tuple[str, str, str]]:
    return [("a", _("First Kreis or Gemeinde"), a), ("b", _("Second Kreis or Gemeinde"), b)]


def page_context(data: dict) -> dict:
    scope, area = data["scope"], data["area"]
    name = area["name"] if scope != LAND else _("Hessen")
    counts = data["maturity"]["counts"]
    months = [(m["month"], m["submissions"]) for m in data["months"]]
    history = [(h["month"], h["share_online"] or 0.0) for h in data["history"]]
    context = {
        "data": data, "scope": scope, "area": area, "name": name,
        "levels": level_rows(counts),
        "level_labels": maturity.LABELS,
        "as_of": datetime.fromisoformat(data["as_of"]["figures"])
        if data["as_of"]["figures"] else None,
        "json_url": export_url(scope, area["ags"], "json"),
        "csv": {t: export_url(scope, area["ags"], "csv", t) for t in exports.tables(data)},
        "levels_chart": charts.levels_chart(
            "levels", counts, _("Maturity of the Leistungen to be offered in %(name)s")
            % {"name": name}),
        "months_chart": charts.columns(
            "months", _("Applications per month in %(name)s") % {"name": name}, months),
        "history_chart": charts.columns(
            "history", _("Share of Leistungen online over time in %(name)s") % {"name": name},
            history, percent_axis=True, line=True),
        "class_labels": [(c, label, charts.legend_symbol(c))
                         for c, label in enumerate(charts.class_labels())],
        "symbols": [charts.legend_symbol(c) for c in range(5)],
    }
    compare = compare_rows(data["compare"])
    context["compare"] = compare
    labels = charts.class_labels()
    gemeinde_url, kreis_url = _urls("dashboard:gemeinde"), _urls("dashboard:kreis")
    leistung_url = _urls("portal:leistung", "99000000000000")
    context["gemeinden"] = [{**g, "class_label": labels[g["class"]], "url": gemeinde_url(g["ags"]),
                             "symbol": context["symbols"][g["class"]]}
                            for g in data.get("gemeinden", [])]
    context["kreise"] = [{**k, "url": kreis_url(k["ags"])} for k in data.get("kreise", [])]
    context["leistungen"] = [{**row, "label": maturity.LABELS[row["level"]],
                              "url": leistung_url(row["leika_key"])}
                             for row in data.get("leistungen", [])]
    context["compare_chart"] = charts.hbars(
        "compare", _("Share of Leistungen online: comparison"),
        "; ".join(f"{r['label']}: {charts.percent(r['share_online'])}" for r in compare),
        [(r["label"], r["share_online"] or 0, charts.percent(r["share_online"]), charts.BAR)
         for r in compare], maximum=1.0)
    if "gemeinden" in data:
        context["map"] = charts.hessen_map(
            "map", _("Map: share of Leistungen online per Gemeinde in %(name)s")
            % {"name": name}, data["gemeinden"], lambda p: gemeinde_url(p["ags"]))
    return context


@require_GET
def land(request: HttpRequest) -> HttpResponse:
    return _page(request, *_area(LAND, ""))


@require_GET
def kreis(request: HttpRequest, ags: str) -> HttpResponse:
    return _page(request, *_area(KREIS, ags))


@require_GET
def gemeinde(request: HttpRequest, ags: str) -> HttpResponse:
    return _page(request, *_area(GEMEINDE, ags))


def _page(request: HttpRequest, scope: str, area_id: int) -> HttpResponse:
    """The page body (everything but the site's frame, which carries the person's login and
    CSRF token) is rendered once per data version and language, then read from the cache."""
    digest = figures.digest()
    key = f"dashboard:html:{scope}:{area_id}:{get_language()}:{digest}"
    cached = cache.get(key)
    if cached is None:
        data = figures.get(scope, area_id, digest)
        context = page_context(data)
        if scope == LAND:
            context["choices"] = _choices()
            context["fields"] = compare_fields("", "")
        cached = {"as_of": data["as_of"], "name": context["name"],
                  "body": render_to_string("dashboard/_area_body.html", context)}
        cache.set(key, cached, figures.CACHE_SECONDS)
    _refresh_if_stale(cached)
    return render(request, "dashboard/area.html",
                  {"name": cached["name"], "body": mark_safe(cached["body"])})  # noqa: S308


def _choices() -> dict:
    matrix = coverage.current()
    return {"kreise": [(k.ags, k.name) for k in matrix.kreise()],
            "gemeinden": [(g.ags, g.name) for g in matrix.gemeinden()]}


@require_GET
def export(request: HttpRequest, fmt: str, scope: str = LAND, ags: str = "") -> HttpResponse:
    scope, area_id = _area(scope, ags)
    data = figures.get(scope, area_id)
    name = f"dashboard-{data['area']['ags']}"
    if fmt == "json":
        return exports.json_response(data, f"{name}.json")
    if fmt != "csv":
        raise Http404
    table = request.GET.get("table") or "levels"
    return exports.table_response(exports.tables(data), table, f"{name}-{table}.csv")


def _parse(code: str) -> tuple[str, int] | None:
    code = (code or "").strip()
    if code in ("", "land"):
        return None
    kind = KREIS if len(code) == 5 else GEMEINDE if len(code) == 8 else None
    if kind is None or not code.isdecimal():
        raise ValueError
    try:
        return _area(kind, code)
    except Http404:
        raise ValueError from None


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Two areas side by side (a Gemeinde and a Kreis, two Gemeinden, …), with the Land."""
    error = ""
    chosen: list[tuple[str, int]] = []
    for key in ("a", "b"):
        try:
            found = _parse(request.GET.get(key, ""))
        except ValueError:
            error = _("Choose a Kreis or a Gemeinde from the lists.")
            continue
        if found is not None:
            chosen.append(found)
    land_id = _area(LAND, "")[1]
    rows = compare_rows(figures.compare([*chosen, (LAND, land_id)])) if not error else []
    chart = charts.hbars(
        "compare", _("Share of Leistungen online: comparison"),
        "; ".join(f"{r['label']}: {charts.percent(r['share_online'])}" for r in rows),
        [(r["label"], r["share_online"] or 0, charts.percent(r["share_online"]), charts.BAR)
         for r in rows], maximum=1.0) if rows else ""
    context = {"rows": rows, "chart": chart, "error": error, "choices": _choices(),
               "fields": compare_fields(request.GET.get("a", ""), request.GET.get("b", "")),
               "level_labels": maturity.LABELS}
    return render(request, "dashboard/compare.html", context, status=400 if error else 200)
