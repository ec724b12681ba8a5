"""The dashboard's figures against data made in the test: which Leistungen a Kommune must
offer, the level of each, applications per month, decisions, the median processing time,
open and overdue cases, for a Gemeinde, its Kreis and the Land; the roll-up (incremental and
full), the snapshots and the cache."""

import statistics
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from amtsweg.cases.models import Case
from amtsweg.dashboard import actions, coverage, figures, maturity
from amtsweg.dashboard.figures import GEMEINDE, KREIS, LAND
from amtsweg.dashboard.models import Backlog, Rollup, Snapshot, Tally
from amtsweg.services.models import Adoption
from amtsweg.territory.models import Area
from tests.dashboard.conftest import make_case, months_ago
from tests.submissions.conftest import make_small_service

pytestmark = pytest.mark.django_db

LEIKA = "99027002012000"  # the small test service's Leistung (Geburtsurkunde Ausstellung)


def month_key(n: int) -> str:
    return actions.add_months(timezone.localdate().replace(day=1), -n).strftime("%Y-%m")


@pytest.fixture
def cases(adoption, fulda):
    """Allendorf (Eder): 3 cases two months ago, closed after 2, 4 and 10 days; last month
    one decided (not closed) after 6 days, one withdrawn, one open and overdue; one open
    received today. Fulda (in another Kreis): one open case from last month."""
    two, one = months_ago(2, 5), months_ago(1, 3)
    made = [make_case(adoption, two, outcome="bewilligt", state="abgeschlossen",
                      closed_after=days) for days in (2, 4, 10)]
    made.append(make_case(adoption, one, outcome="abgelehnt", state="entschieden",
                          decided_after=6))
    made.append(make_case(adoption, one, state="zurueckgezogen", closed_after=1))
    made.append(make_case(adoption, one, due_in=1))  # overdue
    made.append(make_case(adoption, timezone.now() - timedelta(hours=2), due_in=14))
    other = make_small_service(fulda)
    made.append(make_case(other, one))
    return made


def test_mandatory_is_the_majority_level():
    counts = {(1, "gemeinde"): 300, (2, "gemeinde"): 7, (3, "kreis"): 14, (4, "kreis"): 13}
    assert coverage.mandatory("gemeinde", counts, 421) == [1]
    assert coverage.mandatory("kreis", counts, 26) == [3]


def test_which_leistungen_a_kommune_must_offer():
    matrix = coverage.current()
    gemeinde_keys = {leistung.leika_key for leistung in matrix.gemeinde_leistungen}
    kreis_keys = {leistung.leika_key for leistung in matrix.kreis_leistungen}
    assert LEIKA in gemeinde_keys  # Standesamt: Gemeinde level
    assert any(k.startswith("99036") for k in kreis_keys)  # Zulassungsstelle: Kreis level
    assert not gemeinde_keys & kreis_keys
    allendorf = Area.objects.get(ags="06635001")
    assert len(matrix.levels[allendorf.pk]) == len(matrix.gemeinde_leistungen)
    kreis = Area.objects.get(ags="06635")
    assert len(matrix.levels[kreis.pk]) == len(matrix.kreis_leistungen)
    # 421 inhabited Gemeinden and 26 Kreise; no gemeindefreies Gebiet
    kinds = [k.kind for k in matrix.kommunen.values()]
    assert kinds.count("gemeinde") == 421 and kinds.count("kreis") == 26


def _level(area: Area, leika: str) -> int:
    matrix = coverage.current()
    keys = [leistung.leika_key for leistung in matrix.leistungen(area.pk)]
    return matrix.levels[area.pk][keys.index(leika)]


def test_levels_follow_the_adoptions(standesamt):
    allendorf = standesamt.area
    leika = "99101004012000"  # Sterbeurkunde: adopted by Allendorf's Standesamt in the demo
    before = _level(allendorf, leika)
    assert before >= maturity.ONLINE_FORM
    Adoption.objects.filter(authority=standesamt,
                            service__leistung__leika_key=leika).update(active=False)
    # the signature notices the change although update() leaves updated_at alone: count
    Adoption.objects.filter(authority=standesamt).first().save()
    assert _level(allendorf, leika) == maturity.INFORMATION
    # a Gemeinde whose AGS is a multiple of 5 adopted nothing in the demo: information only
    without = Area.objects.get(ags="06635010")
    matrix = coverage.current()
    assert set(matrix.levels[without.pk]) == {maturity.INFORMATION}


def test_counts_of_a_kreis_include_its_gemeinden():
    matrix = coverage.current()
    kreis = Area.objects.get(ags="06635")
    gemeinden = matrix.gemeinden(kreis.pk)
    expected = [sum(level) for level in zip(
        matrix.own_counts(kreis.pk), *(matrix.own_counts(g.id) for g in gemeinden),
        strict=True)]
    assert matrix.counts(kreis.pk) == expected
    assert sum(matrix.counts(matrix.land.id)) == (
        421 * len(matrix.gemeinde_leistungen) + 26 * len(matrix.kreis_leistungen))


def test_figures_of_gemeinde_kreis_and_land(cases, standesamt, fulda):
    actions.rollup()
    allendorf = standesamt.area
    g = figures.get(GEMEINDE, allendorf.pk)
    assert g["figures"]["submissions"] == 7
    assert g["figures"]["decided"] == 4  # the withdrawn case is not decided
    assert g["figures"]["median_days"] == statistics.median([2, 4, 10, 6]) == 5.0
    assert g["figures"]["open"] == 2 and g["figures"]["overdue"] == 1
    months = {m["month"]: m for m in g["months"]}
    assert len(g["months"]) == figures.MONTHS_SHOWN
    assert months[month_key(2)] == {"month": month_key(2), "submissions": 3, "decided": 3}
    assert months[month_key(1)]["submissions"] == 3
    assert months[month_key(1)]["decided"] == 1
    assert months[month_key(0)]["submissions"] == 1
    row = next(r for r in g["leistungen"] if r["leika_key"] == LEIKA)
    assert (row["submissions"], row["median_days"], row["open"]) == (7, 5.0, 2)
    assert g["compare"][0]["ags"] == "06635001"
    assert [c["scope"] for c in g["compare"]] == [GEMEINDE, KREIS, LAND]

    kreis = Area.objects.get(ags="06635")
    k = figures.get(KREIS, kreis.pk)
    assert k["figures"]["submissions"] == 7 and k["figures"]["open"] == 2
    allendorf_row = next(r for r in k["gemeinden"] if r["ags"] == "06635001")
    assert allendorf_row["submissions"] == 7 and allendorf_row["open"] == 2
    # the Kreis's own Leistungen: its own Behörden received nothing
    assert all(r["submissions"] == 0 for r in k["leistungen"])

    land_id = Area.objects.get(kind="land").pk
    land = figures.get(LAND, land_id)
    assert land["figures"]["submissions"] == 8 and land["figures"]["open"] == 3
    assert land["figures"]["overdue"] == 2  # Fulda's case is overdue too (received last month)
    by_kreis = {r["ags"]: r for r in land["kreise"]}
    assert by_kreis["06635"]["submissions"] == 7
    assert by_kreis[fulda.area.parent.ags]["submissions"] == 1
    assert len(land["gemeinden"]) == 421
    per_1000 = by_kreis["06635"]["submissions_per_1000"]
    assert per_1000 == round(7 * 1000 / kreis.population, 2)


def test_maturity_figures_match_the_matrix(standesamt):
    matrix = coverage.current()
    allendorf = standesamt.area
    g = figures.get(GEMEINDE, allendorf.pk)
    counts = matrix.own_counts(allendorf.pk)
    assert g["maturity"]["counts"] == counts
    assert g["maturity"]["online"] == sum(counts[2:])
    assert g["maturity"]["share_online"] == round(sum(counts[2:]) / sum(counts), 4)
    levels = {r["leika_key"]: r["level"] for r in g["leistungen"]}
    assert list(levels.values()).count(maturity.INFORMATION) == counts[1]


def test_rollup_is_incremental_and_keeps_old_months(cases, adoption):
    first = actions.rollup()
    assert first.since is None
    make_case(adoption, timezone.now() - timedelta(minutes=5))
    second = actions.rollup()
    assert second.since is not None and second.since >= actions.add_months(
        timezone.localdate().replace(day=1), -1)
    assert Tally.objects.filter(month=actions.month_of(timezone.now()),
                                authority=adoption.authority).get().submissions == 2
    # retention deletes an old case: the incremental roll-up keeps the month's counts,
    # a full one counts what is still stored
    old = Case.objects.filter(received_at=months_ago(2, 5)).first()
    submission = old.submission
    old.delete()
    submission.delete()
    actions.rollup()
    month = actions.add_months(timezone.localdate().replace(day=1), -2)
    assert Tally.objects.get(month=month, authority=adoption.authority).submissions == 3
    actions.rollup(full=True)
    assert Tally.objects.get(month=month, authority=adoption.authority).submissions == 2
    assert Rollup.objects.count() == 4


def test_backlog_is_counted_afresh(cases, adoption):
    actions.rollup()
    backlog = Backlog.objects.get(authority=adoption.authority)
    assert (backlog.open, backlog.overdue) == (2, 1)
    Case.objects.filter(authority=adoption.authority, outcome="", closed_at__isnull=True) \
        .update(outcome="bewilligt")
    actions.rollup()
    assert not Backlog.objects.filter(authority=adoption.authority).exists()


def test_cache_follows_the_rollup(cases, standesamt):
    before = figures.get(GEMEINDE, standesamt.area.pk)
    assert before["figures"]["submissions"] == 0 and before["as_of"]["figures"] is None
    actions.rollup()
    after = figures.get(GEMEINDE, standesamt.area.pk)
    assert after["figures"]["submissions"] == 7


def test_snapshot_command_records_every_area():
    call_command("dashboard_snapshot", verbosity=0)
    matrix = coverage.current()
    today = timezone.localdate()
    assert Snapshot.objects.filter(day=today).count() == 1 + len(matrix.kommunen)
    call_command("dashboard_snapshot", "--no-rollup", verbosity=0)  # same day: replaced
    assert Snapshot.objects.filter(day=today).count() == 1 + len(matrix.kommunen)
    land = Snapshot.objects.get(day=today, area_id=matrix.land.id)
    assert land.counts == matrix.counts(matrix.land.id)
    data = figures.get(LAND, matrix.land.id)
    assert data["history"][-1]["counts"] == land.counts
    assert data["history"][-1]["month"] == today.strftime("%Y-%m")


def test_median_of_a_histogram():
    assert figures.median({}) is None
    assert figures.median({3: 1}) == 3
    assert figures.median({2: 1, 4: 1, 6: 1, 10: 1}) == 5
    assert figures.median({1: 5, 100: 4}) == 1
    assert figures.median({1: 4, 100: 4}) == 50.5


@pytest.mark.parametrize(("share", "cls"), [(None, 0), (0.0, 0), (0.01, 1), (0.1, 2),
                                             (0.3, 3), (0.5, 4), (1.0, 4)])
def test_map_classes(share, cls):
    assert figures.share_class(share) == cls
