"""The figures of a dashboard (Land, Kreis or Gemeinde) as plain data.

The page, its charts and tables, and the CSV and JSON exports all read the same dict, built
from the maturity matrix (`coverage`) and the areas' sums the roll-up made (`AreaFigures`,
`AreaMonth`: a few hundred rows per page, whatever the number of cases), and cached under a
key that carries the `dashboard` data version and the matrix's signature: a new roll-up or a
changed adoption gives new figures at once, otherwise they are read from the cache.

Whose figures: those of the Behörden of the area (the applications they received, their
decisions and open cases). A Kreis counts its own Behörden and those of its Gemeinden; the
Land counts every Behörde. Applications and decisions cover the 12 months up to the month of
the last roll-up (that one included), the chart of applications the last 24.
"""

import hashlib
from datetime import date

from django.core.cache import cache
from django.db.models import F, Q, Sum
from django.utils import timezone

from amtsweg.core.models import DataVersion

from . import actions, coverage
from .actions import median
from .models import AreaFigures, AreaMonth, Backlog, DurationTally, Scope, Snapshot, Tally

LAND, KREIS, GEMEINDE = "land", "kreis", "gemeinde"
SCOPES = {LAND: Scope.LAND, KREIS: Scope.KREIS, GEMEINDE: Scope.AREA}
WINDOW = actions.WINDOW
MONTHS_SHOWN = 24
CACHE_SECONDS = 24 * 3600

# Classes of the share online of a Gemeinde, for the map: (lower bound, key)
CLASSES = ((0.5, 4), (0.25, 3), (0.10, 2), (0.0, 1))
EMPTY = {"submissions": 0, "decided": 0, "median_days": None, "open": 0, "overdue": 0}


def share_class(share: float | None) -> int:
    """0: nothing online; 1: under 10 %; 2: 10–25 %; 3: 25–50 %; 4: 50 % and more."""
    if not share:
        return 0
    return next(key for bound, key in CLASSES if share >= bound)


def window(this_month: date | None = None) -> tuple[date, date, date]:
    """(last month, first month of the key figures, first month of the chart): up to the
    current month, or up to `this_month`."""
    this_month = this_month or timezone.localdate().replace(day=1)
    return (this_month, actions.add_months(this_month, 1 - WINDOW),
            actions.add_months(this_month, 1 - MONTHS_SHOWN))


def _rows(queryset, fields: list[str], **sums) -> list[dict]:
    if fields:
        return list(queryset.values(*fields).annotate(**sums).order_by())
    return [queryset.aggregate(**sums)]


def grouped(by: str | None, where: Q, start: date) -> dict:
    """key → {submissions, decided, median_days, open, overdue} for the 12-month window,
    grouped by a column of the tallies (None: one group, under the key None). Read from the
    per-Behörde tallies: for one Behörde (the staff dashboard); areas read `AreaFigures`."""
    fields = [by] if by else []
    out: dict = {}

    def entry(row: dict) -> dict:
        return out.setdefault(row[by] if by else None, dict(EMPTY))

    for row in _rows(Tally.objects.filter(where, month__gte=start), fields,
                     s=Sum("submissions"), d=Sum("decided")):
        e = entry(row)
        e["submissions"], e["decided"] = row["s"] or 0, row["d"] or 0
    histograms: dict = {}
    for row in (DurationTally.objects.filter(where, month__gte=start).values(*fields, "days")
                .annotate(n=Sum("cases")).order_by()):
        histograms.setdefault(row[by] if by else None, {})[row["days"]] = row["n"]
    for key, histogram in histograms.items():
        out.setdefault(key, dict(EMPTY))["median_days"] = median(histogram)
    for row in _rows(Backlog.objects.filter(where), fields, o=Sum("open"), v=Sum("overdue")):
        e = entry(row)
        e["open"], e["overdue"] = row["o"] or 0, row["v"] or 0
    return out


def _per_1000(value: int, population: int) -> float | None:
    return round(value * 1000 / population, 2) if population else None


def _maturity(counts: list[int]) -> dict:
    share = coverage.share_online(counts)
    return {"counts": counts, "pairs": sum(counts), "online": sum(counts[coverage.ONLINE:]),
            "share_online": round(share, 4) if share is not None else None}


def _area(matrix: coverage.Coverage, scope: str, area_id: int) -> dict:
    kommune = matrix.land if scope == LAND else matrix.kommunen[area_id]
    kreis = matrix.kommunen.get(kommune.kreis_id) if kommune.kreis_id else None
    return {"id": kommune.id, "scope": scope, "ags": kommune.ags, "name": kommune.name,
            "population": kommune.population,
            "kreis": {"ags": kreis.ags, "name": kreis.name} if kreis else None}


def _figures(scope: str, area_ids: list[int] | None = None, *,
             leistungen: bool = False) -> dict:
    """area (or Leistung) → key figures, from the roll-up's `AreaFigures`: of the areas
    `area_ids` (None: all) of a scope, or of the Leistungen of one area."""
    rows = AreaFigures.objects.filter(scope=SCOPES[scope], leistung__isnull=not leistungen)
    if area_ids is not None:
        rows = rows.filter(area_id__in=area_ids)
    by = "leistung_id" if leistungen else "area_id"
    return {row[by]: {key: row[key] for key in EMPTY}
            for row in rows.values(by, *EMPTY)}


def summary(matrix: coverage.Coverage, scope: str, area_id: int) -> dict:
    """The key figures of one area, as the comparison shows them."""
    area = _area(matrix, scope, area_id)
    figures = _figures(scope, [area_id]).get(area_id) or dict(EMPTY)
    return {**area, **_maturity(matrix.counts(area_id)), **figures,
            "submissions_per_1000": _per_1000(figures["submissions"], area["population"]),
            "overdue_share": round(figures["overdue"] / figures["open"], 4)
            if figures["open"] else None}


def month_series(where: Q, first: date, last: date) -> list[dict]:
    """Applications and decisions per month of the Behörden `where` selects (per-Behörde
    tallies: for one Behörde)."""
    rows = {row["month"]: row for row in Tally.objects.filter(where, month__gte=first)
            .values("month").annotate(s=Sum("submissions"), d=Sum("decided")).order_by()}
    return _series(rows, first, last)


def area_months(scope: str, area_id: int, first: date, last: date) -> list[dict]:
    """Applications and decisions per month of an area, from the roll-up's `AreaMonth`."""
    rows = {row["month"]: row for row in AreaMonth.objects.filter(
        scope=SCOPES[scope], area_id=area_id, month__gte=first, month__lte=last)
        .values("month", s=F("submissions"), d=F("decided"))}
    return _series(rows, first, last)


def _series(rows: dict, first: date, last: date) -> list[dict]:
    out, month = [], first
    while month <= last:
        row = rows.get(month, {})
        out.append({"month": month.strftime("%Y-%m"), "submissions": row.get("s") or 0,
                    "decided": row.get("d") or 0})
        month = actions.add_months(month, 1)
    return out


def _history(area_id: int, first: date) -> list[dict]:
    """The last snapshot of each month (and of the current day) from `first` on."""
    by_month: dict[str, Snapshot] = {}
    for snap in Snapshot.objects.filter(area_id=area_id, day__gte=first).order_by("day"):
        by_month[snap.day.strftime("%Y-%m")] = snap
    return [{"month": key, "day": snap.day.isoformat(), **_maturity(snap.counts)}
            for key, snap in by_month.items()]


def _leistungen(matrix: coverage.Coverage, area_id: int) -> list[dict]:
    """The area's own Behörden's figures per Leistung (for a Kreis: not its Gemeinden's)."""
    figures = _figures(GEMEINDE, [area_id], leistungen=True)
    return [{"leika_key": leistung.leika_key, "name": leistung.name, "level": level,
             **figures.get(leistung.pk, EMPTY)}
            for leistung, level in zip(matrix.leistungen(area_id), matrix.levels[area_id],
                                       strict=True)]


def _kommunen(matrix: coverage.Coverage, kommunen: list[coverage.Kommune], scope: str, *,
              territory: bool, every: bool = False) -> list[dict]:
    figures = _figures(scope, None if every else [k.id for k in kommunen])
    rows = []
    for k in kommunen:
        counts = matrix.counts(k.id) if territory else matrix.own_counts(k.id)
        row = {"ags": k.ags, "name": k.name, **_maturity(counts), **figures.get(k.id, EMPTY)}
        row["submissions_per_1000"] = _per_1000(row["submissions"], k.population)
        row["class"] = share_class(row["share_online"])
        if k.kind == "gemeinde":
            kreis = matrix.kommunen.get(k.kreis_id)
            row.update(kreis_ags=kreis.ags if kreis else "", kreis=kreis.name if kreis else "",
                       lat=k.lat, lon=k.lon)
        rows.append(row)
    return rows


def build(scope: str, area_id: int) -> dict:
    matrix = coverage.current()
    run = actions.last_rollup()
    # the figures are those of the roll-up's 12 months (the same as today's but in the
    # first minutes of a month, until the next roll-up)
    this_month, start, first = window(actions.month_of(run.started_at) if run else None)
    own = summary(matrix, scope, area_id)
    data = {
        "scope": scope,
        "area": _area(matrix, scope, area_id),
        "as_of": {"figures": run.started_at.isoformat() if run else None,
                  "maturity": timezone.now().isoformat()},
        "window": {"from": start.strftime("%Y-%m"), "to": this_month.strftime("%Y-%m")},
        "maturity": {**_maturity(matrix.counts(area_id)),
                     "leistungen_gemeinde": len(matrix.gemeinde_leistungen),
                     "leistungen_kreis": len(matrix.kreis_leistungen)},
        "figures": {key: own[key] for key in ("submissions", "decided", "median_days", "open",
                                              "overdue", "submissions_per_1000")},
        "months": area_months(scope, area_id, first, this_month),
        "history": _history(area_id, first),
    }
    if scope in (KREIS, GEMEINDE):
        data["leistungen"] = _leistungen(matrix, area_id)
    if scope == LAND:
        data["kreise"] = _kommunen(matrix, matrix.kreise(), KREIS, territory=True, every=True)
        data["gemeinden"] = _kommunen(matrix, matrix.gemeinden(), GEMEINDE, territory=False,
                                      every=True)
    if scope == KREIS:
        data["gemeinden"] = _kommunen(matrix, matrix.gemeinden(area_id), GEMEINDE,
                                      territory=False)
    compare = [own]
    if scope == GEMEINDE and matrix.kommunen[area_id].kreis_id:
        compare.append(summary(matrix, KREIS, matrix.kommunen[area_id].kreis_id))
    if scope != LAND:
        compare.append(summary(matrix, LAND, matrix.land.id))
    data["compare"] = compare
    return data


def digest() -> str:
    """A short key for the state of every input: the roll-up's data version and the
    maturity matrix's signature."""
    versions = (DataVersion.current(actions.VERSION_KEY), coverage.signature())
    return hashlib.sha256(repr(versions).encode()).hexdigest()[:24]


def get(scope: str, area_id: int, version: str | None = None) -> dict:
    """The figures of an area, from the cache while neither the roll-up nor an adoption has
    changed them since."""
    key = f"dashboard:{scope}:{area_id}:{version or digest()}"
    data = cache.get(key)
    if data is None:
        data = build(scope, area_id)
        cache.set(key, data, CACHE_SECONDS)
    return data


def compare(areas: list[tuple[str, int]]) -> list[dict]:
    matrix = coverage.current()
    return [summary(matrix, scope, area_id) for scope, area_id in areas]

