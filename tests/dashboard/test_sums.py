"""The roll-up's area sums (`AreaMonth`, `AreaFigures`) and the day classes of the processing
time histograms: a Kreis's and the Land's sums equal the sums of their members, medians from
the classes equal the exact medians up to 365 days, and a dashboard page reads the sums only,
never the per-Behörde tallies."""

import dataclasses
import random
import statistics
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amtsweg.dashboard import actions, coverage, figures
from amtsweg.dashboard.figures import GEMEINDE, KREIS, LAND
from amtsweg.dashboard.models import AreaFigures, AreaMonth, Scope, Tally
from amtsweg.services import actions as service_actions
from amtsweg.territory.models import Area, Authority
from tests.dashboard.conftest import make_case, months_ago

pytestmark = pytest.mark.django_db


def test_day_classes():
    assert [actions.bucket(d) for d in (-1, 0, 1, 364, 365)] == [0, 0, 1, 364, 365]
    assert [actions.bucket(d) for d in (366, 395, 396, 425, 426)] == [366, 366, 396, 396, 426]
    assert actions.bucket(actions.MAX_DAYS - 1) == actions.MAX_DAYS - actions.CLASS_DAYS
    assert actions.bucket(actions.MAX_DAYS) == actions.bucket(10_000) == actions.MAX_DAYS == 1086
    # at most 366 exact days and 25 classes above
    assert len({actions.bucket(d) for d in range(0, 5000)}) == 366 + 25


@pytest.mark.parametrize("seed", range(20))
def test_median_of_classes_is_exact_up_to_a_year(seed):
    rng = random.Random(seed)
    days = [rng.randint(0, 365) for _ in range(rng.randint(1, 60))]
    histogram: dict[int, int] = {}
    for d in days:
        histogram[actions.bucket(d)] = histogram.get(actions.bucket(d), 0) + 1
    assert actions.median(histogram) == statistics.median(days)


def test_median_of_classes_above_a_year_is_the_class():
    # 400 and 420 days are both in the class 396–425: the median is its first day
    histogram = {actions.bucket(400): 2, actions.bucket(3): 1}
    assert actions.median(histogram) == 396


@pytest.fixture
def spread(adoption, fulda):
    """Cases at Allendorf (Eder), Battenberg (Eder) (same Kreis) and Fulda (another Kreis),
    in this month, last month and 14 months ago (outside the window), with various
    processing times; some open."""
    battenberg = Authority.objects.get(area__ags="06635004", kind=Authority.Kind.STANDESAMT)
    others = [service_actions.adopt(None, authority, adoption.version, {"fee": None})
              for authority in (battenberg, fulda)]
    rng = random.Random(6)
    made: dict[int, list[int]] = {}  # area → processing days in the window
    for where in (adoption, *others):
        for months_back in (0, 1, 14):
            for _ in range(rng.randint(3, 8)):
                received = (timezone.now() - timedelta(days=1) if months_back == 0
                            else months_ago(months_back, 2))
                days = rng.randint(0, 0 if months_back == 0 else 25)
                make_case(where, received, outcome="bewilligt", state="abgeschlossen",
                          closed_after=days + 0.1)
                if months_back != 14:
                    made.setdefault(where.authority.area_id, []).append(days)
        make_case(where, months_ago(1, 3), due_in=1)  # open, overdue
    return made


def _row(scope: str, area_id: int, leistung_id: int | None = None) -> AreaFigures:
    return AreaFigures.objects.get(scope=scope, area_id=area_id, leistung_id=leistung_id)


def test_region_sums_equal_the_sums_of_their_members(spread, adoption, fulda):
    actions.rollup()
    kreis = Area.objects.get(ags="06635")
    land = Area.objects.get(kind="land")
    members = AreaFigures.objects.filter(scope=Scope.AREA, leistung__isnull=True)
    in_kreis = members.filter(area_id__in=[kreis.pk, *Area.objects.filter(
        parent=kreis).values_list("pk", flat=True)])
    for field in ("submissions", "decided", "open", "overdue"):
        own = [getattr(r, field) for r in in_kreis]
        assert getattr(_row(Scope.KREIS, kreis.pk), field) == sum(own) > 0
        assert getattr(_row(Scope.LAND, land.pk), field) == sum(
            getattr(r, field) for r in members)
    # the per-Leistung rows of an area add up to the area's row
    allendorf = adoption.authority.area_id
    per_leistung = AreaFigures.objects.filter(scope=Scope.AREA, area_id=allendorf,
                                              leistung__isnull=False)
    assert sum(r.submissions for r in per_leistung) == _row(Scope.AREA, allendorf).submissions
    # medians of the summed histograms are the exact medians of the members' cases
    kreis_days = [d for area, days in spread.items() if area != fulda.area_id for d in days]
    assert _row(Scope.KREIS, kreis.pk).median_days == statistics.median(kreis_days)
    assert _row(Scope.LAND, land.pk).median_days == statistics.median(
        [d for days in spread.values() for d in days])
    assert _row(Scope.AREA, allendorf).median_days == statistics.median(spread[allendorf])
    # per month: the Kreis's and the Land's months are sums of the tallies
    for month in Tally.objects.values_list("month", flat=True).distinct():
        tallies = Tally.objects.filter(month=month)
        kreis_month = AreaMonth.objects.get(scope=Scope.KREIS, area=kreis, month=month)
        assert kreis_month.submissions == sum(
            t.submissions for t in tallies if t.kreis_id == kreis.pk)
        land_month = AreaMonth.objects.get(scope=Scope.LAND, area=land, month=month)
        assert (land_month.submissions, land_month.decided) == (
            sum(t.submissions for t in tallies), sum(t.decided for t in tallies))


def test_incremental_rollup_keeps_the_sums_of_old_months(spread, adoption):
    actions.rollup()
    land = Area.objects.get(kind="land")
    before = {m.month: m.submissions for m in AreaMonth.objects.filter(scope=Scope.LAND)}
    make_case(adoption, timezone.now() - timedelta(minutes=5))
    actions.rollup()
    after = {m.month: m.submissions for m in AreaMonth.objects.filter(scope=Scope.LAND)}
    this_month = actions.month_of(timezone.now())
    assert after[this_month] == before.get(this_month, 0) + 1
    assert {k: v for k, v in after.items() if k != this_month} == {
        k: v for k, v in before.items() if k != this_month}
    assert _row(Scope.LAND, land.pk).submissions == sum(
        v for k, v in after.items() if k >= actions.add_months(this_month, -11))


def test_pages_read_the_sums_not_the_tallies(spread, adoption, fulda):
    actions.rollup()
    land = Area.objects.get(kind="land").pk
    with CaptureQueriesContext(connection) as queries:
        data = {scope: figures.build(scope, area_id) for scope, area_id in (
            (LAND, land), (KREIS, fulda.area.parent_id), (GEMEINDE, adoption.authority.area_id))}
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "dashboard_tally" not in sql and "dashboard_durationtally" not in sql
    assert "dashboard_backlog" not in sql
    assert data[LAND]["figures"]["submissions"] == _row(Scope.LAND, land).submissions
    months = {m["month"]: m for m in data[GEMEINDE]["months"]}
    this_month = timezone.localdate().strftime("%Y-%m")
    assert months[this_month]["submissions"] == sum(Tally.objects.filter(
        month=actions.month_of(timezone.now()), authority=adoption.authority)
        .values_list("submissions", flat=True))


def test_matrix_from_the_kept_territory_part(monkeypatch):
    """An adoption recomputes the levels only: the territory part kept for its version gives
    the same matrix, and a part kept for another territory version is not used."""
    sig = coverage.signature()
    fresh = coverage.compute(sig)
    monkeypatch.setattr(coverage, "_kept_territory", coverage._territory(sig[0]))
    assert coverage.compute(sig).levels == fresh.levels
    stale = dataclasses.replace(coverage._kept_territory, version=object(), kommunen={})
    monkeypatch.setattr(coverage, "_kept_territory", stale)
    assert coverage.compute(sig).levels == fresh.levels
