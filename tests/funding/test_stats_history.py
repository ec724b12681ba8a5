"""The historical demo grants (2008 – June 2020) against the published figures, their
plausibility, and the idempotent loader."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count, F

from amtsweg.core.models import DataVersion
from amtsweg.funding import history, stats
from amtsweg.funding.models import Grant, Programme
from amtsweg.ikz.models import Cooperation, Member, TaskArea
from amtsweg.territory.models import Area

pytestmark = pytest.mark.django_db

MILLION = Decimal(1_000_000)


def by_year(data: dict) -> dict[int, dict]:
    return {row["year"]: row for row in data["years"]}


def test_totals_match_the_published_figures():
    data = stats.statistics(2008, 2020)
    totals = data["totals"]
    assert totals["cooperations"] == 350
    assert totals["grants"] == 350
    assert totals["participations"] == 1664
    assert Decimal("23.5") * MILLION < totals["amount"] < Decimal("23.65") * MILLION
    assert data["demo"] is True


def test_2018_2019_and_first_half_of_2020_match_the_published_figures():
    years = by_year(stats.statistics(2008, 2020))
    assert years[2018]["cooperations"] == 45
    assert years[2018]["amount"] > 3 * MILLION
    assert years[2019]["cooperations"] == 43
    assert years[2019]["amount"] > Decimal("2.6") * MILLION
    assert years[2020]["cooperations"] == 25
    assert Decimal("1.35") * MILLION <= years[2020]["amount"] < Decimal("1.4") * MILLION
    assert years[2020]["last_decision"] <= datetime.date(2020, 6, 30)


def test_the_years_sum_to_the_totals():
    data = stats.statistics(2008, 2020)
    years = by_year(data)
    assert sorted(years) == list(range(2008, 2021))
    assert sum(r["cooperations"] for r in years.values()) == 350
    assert sum(r["participations"] for r in years.values()) == 1664
    assert sum(r["amount"] for r in years.values()) == data["totals"]["amount"]
    assert sum(r["participations"] for r in data["task_areas"]) == 1664
    assert sum(r["amount"] for r in data["task_areas"]) == data["totals"]["amount"]
    # every participation of a Kommune lands in exactly one Kreis
    assert sum(r["participations"] for r in data["kreise"]) == 1664
    assert 300 < data["totals"]["kommunen"] < 447


def test_historical_grants_are_plausible():
    programme = Programme.objects.get(slug=history.PROGRAMME_SLUG)
    grants = Grant.objects.filter(programme=programme).annotate(
        named=Count("areas", distinct=True),
        members=Count("cooperation__members", distinct=True))
    assert grants.count() == 350
    for grant in grants.select_related("cooperation"):
        assert grant.is_demo and grant.cooperation.is_demo
        assert 2 <= grant.participations <= 10
        assert grant.named == grant.members == grant.participations
        full = history.full_amount(grant.year, grant.task_area, grant.participations)
        assert full / 2 <= grant.amount <= full
        assert history.FIRST_DAY <= grant.decided_on <= history.LAST_DAY
        assert grant.year == grant.decided_on.year
        assert grant.task_area == grant.cooperation.task_area
    # one grant per cooperation; the lead is a member
    assert Cooperation.objects.filter(slug__startswith=history.SLUG_PREFIX).count() == 350
    assert not Cooperation.objects.filter(slug__startswith=history.SLUG_PREFIX).exclude(
        members__area=F("lead")).exists()
    # every task area occurs; digitalisation dominates from 2018
    used = set(grants.values_list("task_area", flat=True))
    assert used == set(TaskArea.values)
    recent = grants.filter(year__gte=2018)
    assert recent.filter(task_area=TaskArea.DIGITALISIERUNG).count() > recent.count() / 3


def test_members_are_mostly_neighbours_in_one_kreis():
    rows = Member.objects.filter(cooperation__slug__startswith=history.SLUG_PREFIX).exclude(
        area=F("cooperation__lead")).values_list(
        "area__kind", "area__parent_id", "area_id", "cooperation__lead__parent_id")
    same = sum(1 for kind, parent, pk, lead_kreis in rows
               if (parent if kind == Area.Kind.GEMEINDE else pk) == lead_kreis)
    assert same / len(rows) > 0.8
    assert any(kind == Area.Kind.KREIS for kind, *_rest in rows)  # some Landkreise take part


def test_the_plan_is_deterministic():
    places = history.places()
    first, second = history.plan(places), history.plan(list(reversed(places)))
    assert first == second


def _snapshot() -> tuple:
    ours = Cooperation.objects.filter(slug__startswith=history.SLUG_PREFIX)
    return (
        list(Programme.objects.filter(slug=history.PROGRAMME_SLUG).values()),
        list(ours.order_by("pk").values()),
        list(Member.objects.filter(cooperation__in=ours).order_by("pk").values()),
        list(Grant.objects.filter(cooperation__in=ours).order_by("pk").values()),
        list(Grant.areas.through.objects.filter(grant__cooperation__in=ours)
             .order_by("pk").values()),
    )


def test_loading_twice_changes_nothing():
    before = _snapshot()
    version = DataVersion.current(stats.VERSION_KEY)
    result = history.load_history()
    assert result == {"grants": 350, "changes": 0, "participations": 1664}
    assert _snapshot() == before
    assert DataVersion.current(stats.VERSION_KEY) == version


def test_loading_again_repairs_changed_demo_data():
    grant = Grant.objects.filter(programme__slug=history.PROGRAMME_SLUG, year=2019).first()
    original = grant.amount
    Grant.objects.filter(pk=grant.pk).update(amount=1)
    Grant.areas.through.objects.filter(grant=grant).first().delete()
    Member.objects.filter(cooperation=grant.cooperation).first().delete()
    assert stats.statistics(2019, 2019)["totals"]["participations"] == 150  # field, untouched
    result = history.load_history()
    assert result["changes"] == 3
    grant.refresh_from_db()
    assert grant.amount == original
    assert grant.areas.count() == grant.participations == grant.cooperation.members.count()
    assert (result["grants"], result["participations"]) == (350, 1664)
    assert stats.statistics(2019, 2019)["years"][0]["amount"] == Decimal("2637500")
