"""The roll-up of applications and cases into the dashboard's tallies, and the daily snapshot
of the maturity counts.

Both write derived data only (counts, no personal data, nothing a person decided), so they
write no audit entry; they run in one transaction each and bump the `dashboard` DataVersion,
which the dashboards' cache keys carry.

The roll-up is incremental: applications are immutable and a case is decided once, so a month
only gains rows while it is current. Each run counts again the months from the one in which
the previous run started (less a margin for transactions that were still open then) and
keeps the older months as they are — also after the retention rules deleted old cases, so the
statistics outlive the personal data. `full=True` counts everything again from what is still
stored. The backlog (open and overdue cases) is counted afresh on every run.

Then it sums the areas (the Land, each Kreis with its Gemeinden, each area's own Behörden):
per month for the charts (`AreaMonth`, again from the first month counted), and the key
figures of the 12-month window with its medians (`AreaFigures`, made again on every run from
the window's tallies), so that a dashboard page reads a few hundred rows.
"""

import time
from collections import Counter
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, DateField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from amtsweg.cases.models import Case, CaseEvent
from amtsweg.core.models import DataVersion
from amtsweg.services.models import OnlineService
from amtsweg.submissions.models import Submission
from amtsweg.territory.models import Area, Authority

from . import coverage
from .models import AreaFigures, AreaMonth, Backlog, DurationTally, Rollup, Scope, Snapshot, Tally

VERSION_KEY = "dashboard"
MARGIN = timedelta(hours=1)
WINDOW = 12  # months of the key figures, the current one included
EXACT_DAYS = 365  # processing times up to this are counted to the day
CLASS_DAYS = 30  # above: classes of 30 days, named by their first day
MAX_DAYS = EXACT_DAYS + 1 + 24 * CLASS_DAYS  # 1,086: "1,086 days or more"
BATCH = 5000


def bucket(days: int) -> int:
    """The histogram class of a processing time in whole days: the day itself up to 365,
    then the first day of its 30-day class (366–395 → 366, 396–425 → 396, …), and 1,086
    for 1,086 days or more. So a histogram has at most 390 classes per month, Behörde and
    service, and a median is exact while the middle cases took at most 365 days."""
    days = max(days, 0)
    if days <= EXACT_DAYS:
        return days
    return min(EXACT_DAYS + 1 + (days - EXACT_DAYS - 1) // CLASS_DAYS * CLASS_DAYS, MAX_DAYS)


def median(histogram: dict[int, int]) -> float | None:
    """The median of values given as value → count (the mean of the two middle values when
    the count is even)."""
    total = sum(histogram.values())
    if not total:
        return None
    middle = ((total - 1) // 2, total // 2)
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and seen > middle[len(found)]:
            found.append(value)
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def month_of(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def month_start(month: date) -> datetime:
    return timezone.make_aware(datetime(month.year, month.month, 1))


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


class _Places:
    """Behörde → (area, Kreis) and service → Leistung, read once per run."""

    def __init__(self) -> None:
        kinds = dict(Area.objects.values_list("id", "kind"))
        parents = dict(Area.objects.values_list("id", "parent_id"))
        self.land = next((pk for pk, kind in kinds.items() if kind == Area.Kind.LAND), None)
        self.authority: dict[int, tuple[int, int | None]] = {}
        for pk, area_id in Authority.objects.values_list("id", "area_id"):
            kreis = (area_id if kinds[area_id] == Area.Kind.KREIS
                     else parents[area_id] if kinds[area_id] == Area.Kind.GEMEINDE else None)
            self.authority[pk] = (area_id, kreis)
        self.leistung = dict(OnlineService.objects.values_list("id", "leistung_id"))

    def fields(self, authority_id: int, service_id: int) -> dict:
        area_id, kreis_id = self.authority[authority_id]
        return {"authority_id": authority_id, "service_id": service_id, "area_id": area_id,
                "kreis_id": kreis_id, "leistung_id": self.leistung[service_id]}

    def scopes(self, area_id: int, kreis_id: int | None) -> list[tuple[str, int]]:
        """The summed areas a tally of a Behörde in `area_id` counts for."""
        out = [(Scope.AREA, area_id)]
        if kreis_id is not None:
            out.append((Scope.KREIS, kreis_id))
        if self.land is not None:
            out.append((Scope.LAND, self.land))
        return out


def _decisions(since: date | None):
    """(Behörde, service, received, decided) of every decided case whose decision may fall
    into a month from `since` on. A case is decided when it has an outcome; its processing
    ends when it was closed or, while it is not closed yet, with its last transition (the
    decision)."""
    decided = Case.objects.exclude(outcome="")
    if since is not None:
        start = month_start(since)
        decided = decided.filter(Q(closed_at__gte=start)
                                 | Q(closed_at__isnull=True, updated_at__gte=start))
    yield from (decided.filter(closed_at__isnull=False)
                .values_list("authority_id", "version__service_id", "received_at", "closed_at")
                .iterator(chunk_size=BATCH))
    last = (CaseEvent.objects.filter(case=OuterRef("pk"), kind=CaseEvent.Kind.TRANSITION)
            .order_by("-at").values("at")[:1])
    yield from (decided.filter(closed_at__isnull=True).annotate(decided_at=Subquery(last))
                .values_list("authority_id", "version__service_id", "received_at",
                             "decided_at").iterator(chunk_size=BATCH))


def rollup(*, full: bool = False) -> Rollup:
    """Count applications, decisions and processing times per month, Behörde and service,
    and the open cases; see the module docstring."""
    started = timezone.now()
    clock = time.perf_counter()
    with transaction.atomic():
        DataVersion.objects.get_or_create(key=VERSION_KEY)
        # one roll-up at a time: the next one waits here, then counts on from this one
        DataVersion.objects.select_for_update().get(key=VERSION_KEY)
        last = Rollup.objects.order_by("-started_at").first()
        since = None if full or last is None else month_of(last.started_at - MARGIN)
        places = _Places()

        tallies: dict[tuple[date, int, int], Tally] = {}
        submissions = Submission.objects.all()
        if since is not None:
            submissions = submissions.filter(submitted_at__gte=month_start(since))
        for row in (submissions.annotate(month=TruncMonth("submitted_at",
                                                          output_field=DateField()))
                    .values("month", "authority_id", "version__service_id")
                    .annotate(n=Count("id")).order_by()):
            key = (row["month"], row["authority_id"], row["version__service_id"])
            tallies[key] = Tally(month=row["month"], submissions=row["n"],
                                 **places.fields(*key[1:]))

        durations: Counter[tuple[date, int, int, int]] = Counter()
        for authority_id, service_id, received, decided in _decisions(since):
            if decided is None:
                continue
            month = month_of(decided)
            if since is not None and month < since:
                continue  # decided before; changed later (e.g. assigned): counted already
            days = bucket(int((decided - received).total_seconds() // 86400))
            durations[(month, authority_id, service_id, days)] += 1
            key = (month, authority_id, service_id)
            if key not in tallies:
                tallies[key] = Tally(month=month, **places.fields(authority_id, service_id))
            tallies[key].decided += 1

        old_tallies, old_durations = Tally.objects.all(), DurationTally.objects.all()
        if since is not None:
            old_tallies = old_tallies.filter(month__gte=since)
            old_durations = old_durations.filter(month__gte=since)
        old_tallies._raw_delete(old_tallies.db)
        old_durations._raw_delete(old_durations.db)
        _insert(Tally, ({"month": t.month, "submissions": t.submissions, "decided": t.decided,
                         **places.fields(t.authority_id, t.service_id)}
                        for t in tallies.values()))
        _insert(DurationTally, ({"month": month, "days": days, "cases": n,
                                 **places.fields(authority_id, service_id)}
                                for (month, authority_id, service_id, days), n
                                in durations.items()))

        Backlog.objects.all()._raw_delete(Backlog.objects.db)
        _insert(Backlog, ({"open": row["open"], "overdue": row["overdue"],
                           **places.fields(row["authority_id"], row["version__service_id"])}
                          for row in Case.objects.filter(outcome="", closed_at__isnull=True)
                          .values("authority_id", "version__service_id")
                          .annotate(open=Count("id"),
                                    overdue=Count("id", filter=Q(due_at__lt=started)))
                          .order_by()))

        _area_months(places, since)
        _area_figures(places, month_of(started))

        run = Rollup.objects.create(started_at=started, finished_at=timezone.now(),
                                    since=since, seconds=round(time.perf_counter() - clock, 3))
        _bump()
    return run


def _area_months(places: _Places, since: date | None) -> None:
    """Sum the tallies of the months from `since` on per area (each scope) and month."""
    tallies = Tally.objects.all()
    old = AreaMonth.objects.all()
    if since is not None:
        tallies, old = tallies.filter(month__gte=since), old.filter(month__gte=since)
    sums: dict[tuple[str, int, date], list[int]] = {}
    for row in (tallies.values("month", "area_id", "kreis_id")
                .annotate(s=Sum("submissions"), d=Sum("decided")).order_by()):
        for scope, area_id in places.scopes(row["area_id"], row["kreis_id"]):
            entry = sums.setdefault((scope, area_id, row["month"]), [0, 0])
            entry[0] += row["s"]
            entry[1] += row["d"]
    old._raw_delete(old.db)
    _insert(AreaMonth, ({"scope": scope, "area_id": area_id, "month": month,
                         "submissions": s, "decided": d}
                        for (scope, area_id, month), (s, d) in sums.items()))


def _area_figures(places: _Places, this_month: date) -> None:
    """The key figures of every area and of each area's Leistungen over the 12 months up to
    `this_month`: sums of the tallies, medians of the summed histograms, the backlog."""
    start = add_months(this_month, 1 - WINDOW)
    figures: dict[tuple[str, int, int | None], dict] = {}
    histograms: dict[tuple[str, int, int | None], Counter] = {}

    def keys(row: dict):
        for scope, area_id in places.scopes(row["area_id"], row["kreis_id"]):
            yield (scope, area_id, None)
        yield (Scope.AREA, row["area_id"], row["leistung_id"])

    def entry(key) -> dict:
        return figures.setdefault(key, {"submissions": 0, "decided": 0, "open": 0,
                                        "overdue": 0})

    place = ("area_id", "kreis_id", "leistung_id")
    for row in (Tally.objects.filter(month__gte=start, month__lte=this_month)
                .values(*place).annotate(s=Sum("submissions"), d=Sum("decided")).order_by()):
        for key in keys(row):
            e = entry(key)
            e["submissions"] += row["s"]
            e["decided"] += row["d"]
    for row in (DurationTally.objects.filter(month__gte=start, month__lte=this_month)
                .values(*place, "days").annotate(n=Sum("cases")).order_by()):
        for key in keys(row):
            histograms.setdefault(key, Counter())[row["days"]] += row["n"]
    for row in (Backlog.objects.values(*place)
                .annotate(o=Sum("open"), v=Sum("overdue")).order_by()):
        for key in keys(row):
            e = entry(key)
            e["open"] += row["o"]
            e["overdue"] += row["v"]
    AreaFigures.objects.all()._raw_delete(AreaFigures.objects.db)
    _insert(AreaFigures, ({"scope": scope, "area_id": area_id, "leistung_id": leistung_id,
                           "median_days": median(histograms.get((scope, area_id, leistung_id),
                                                                {})), **e}
                          for (scope, area_id, leistung_id), e in figures.items()))


def _insert(model, rows) -> None:
    """INSERT many rows at once: with COPY on PostgreSQL (psycopg 3), elsewhere with
    executemany — both many times faster than bulk_create for the hundreds of thousands of
    rows of a full roll-up."""
    from django.db import connection
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    names = [{f.column: f.attname for f in model._meta.concrete_fields}[c] for c in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and is_psycopg3:
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608 - model's names
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(row[name] for name in names))
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _bump() -> None:
    from django.db.models import F

    DataVersion.objects.filter(key=VERSION_KEY).update(version=F("version") + 1)


def snapshot(day: date | None = None) -> int:
    """Record today's maturity counts of the Land, every Kreis (with its Gemeinden) and every
    Gemeinde; a second run on the same day replaces the first. Returns the number of rows."""
    day = day or timezone.localdate()
    matrix = coverage.current()
    rows = [Snapshot(day=day, area_id=area_id, **{f"level{i}": n for i, n in enumerate(
        matrix.counts(area_id))}) for area_id in [matrix.land.id, *matrix.kommunen]]
    with transaction.atomic():
        Snapshot.objects.filter(day=day).delete()
        Snapshot.objects.bulk_create(rows, batch_size=BATCH)
        DataVersion.objects.get_or_create(key=VERSION_KEY)
        _bump()
    return len(rows)


def last_rollup() -> Rollup | None:
    return Rollup.objects.order_by("-started_at").first()
