"""Programme statistics: what is counted, the year filter, and the cache that follows every
change of a grant."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from amtsweg.funding import stats
from amtsweg.funding.models import Grant, Programme
from amtsweg.ikz.models import Cooperation, Member, TaskArea
from amtsweg.territory.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return Programme.objects.create(name="Test", slug="test-programm",
                                    opens_on=datetime.date(2030, 1, 1))


def make_grant(programme, areas: list[Area], *, year: int = 2030,
               task_area: str = TaskArea.DIGITALISIERUNG, amount: str = "50000") -> Grant:
    cooperation = Cooperation.objects.create(
        name=f"Test {year} {areas[0].name}", slug=f"test-{year}-{areas[0].ags}",
        task_area=task_area, lead=areas[0], starts_on=datetime.date(year, 1, 1))
    for area in areas:
        Member.objects.create(cooperation=cooperation, area=area,
                              joined_on=datetime.date(year, 1, 1))
    grant = Grant.objects.create(
        programme=programme, cooperation=cooperation, year=year,
        decided_on=datetime.date(year, 3, 1), task_area=task_area,
        participations=len(areas), amount=Decimal(amount))
    grant.areas.set(areas)
    return grant


def kreis_row(data: dict, ags: str) -> dict:
    return next(r for r in data["kreise"] if r["ags"] == ags)


def test_a_new_grant_changes_the_figures(programme):
    before = stats.statistics()
    allendorf, battenberg = Area.objects.get(ags="06635001"), Area.objects.get(ags="06635004")
    make_grant(programme, [allendorf, battenberg], year=2019)
    after = stats.statistics()
    assert after["totals"]["cooperations"] == before["totals"]["cooperations"] + 1
    assert after["totals"]["participations"] == before["totals"]["participations"] + 2
    assert after["totals"]["amount"] == before["totals"]["amount"] + 50000
    year_before = next(r for r in before["years"] if r["year"] == 2019)
    year_after = next(r for r in after["years"] if r["year"] == 2019)
    assert year_after["cooperations"] == year_before["cooperations"] + 1 == 44
    assert (kreis_row(after, "06635")["participations"]
            == kreis_row(before, "06635")["participations"] + 2)


def test_changing_and_deleting_a_grant_changes_the_figures(programme):
    grant = make_grant(programme, [Area.objects.get(ags="06635001"),
                                   Area.objects.get(ags="06635004")])
    assert stats.statistics(2030, 2030)["totals"]["amount"] == 50000
    grant.amount = Decimal("40000")
    grant.save()
    assert stats.statistics(2030, 2030)["totals"]["amount"] == 40000
    grant.areas.add(Area.objects.get(ags="06635006"))
    assert stats.statistics(2030, 2030)["totals"]["kommunen"] == 3
    grant.delete()
    assert stats.statistics(2030, 2030)["totals"]["grants"] == 0


def test_the_figures_are_cached_until_a_grant_changes(programme, django_assert_num_queries):
    grants = stats.statistics()["totals"]["grants"]
    with django_assert_num_queries(1):  # the version only
        assert stats.statistics()["totals"]["grants"] == grants
    make_grant(programme, [Area.objects.get(ags="06635001"), Area.objects.get(ags="06635004")])
    assert stats.statistics()["totals"]["grants"] == grants + 1  # a new version: computed
    with django_assert_num_queries(1):
        assert stats.statistics()["totals"]["grants"] == grants + 1


def test_a_rolled_back_change_is_never_served_from_the_cache(programme):
    before = stats.statistics()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_grant(programme, [Area.objects.get(ags="06635001"),
                               Area.objects.get(ags="06635004")])
        inside = stats.statistics()  # cached under the new version of this transaction
        assert inside["totals"]["grants"] == before["totals"]["grants"] + 1
        raise RuntimeError("roll back")
    assert stats.statistics() == before


def test_a_gemeinde_counts_for_its_kreis_a_kreis_for_itself(programme):
    waldeck = Area.objects.get(ags="06635")
    fulda_city, fulda = Area.objects.get(ags="06631009"), Area.objects.get(ags="06631")
    frankfurt = Area.objects.get(ags="06412000")  # a kreisfreie Stadt: its own Kreis
    make_grant(programme, [Area.objects.get(ags="06635001"), waldeck, fulda_city, frankfurt])
    make_grant(programme, [fulda, fulda_city], year=2031)
    data = stats.statistics(2030, 2031)
    assert kreis_row(data, "06635") | {"participations": 2, "kommunen": 2,
                                       "cooperations": 1} == kreis_row(data, "06635")
    assert kreis_row(data, "06631")["participations"] == 3
    assert kreis_row(data, "06631")["kommunen"] == 2
    assert kreis_row(data, "06631")["cooperations"] == 2
    assert kreis_row(data, "06412")["participations"] == 1
    assert sum(r["participations"] for r in data["kreise"]) == 6
    assert len(data["kreise"]) == Area.objects.filter(kind=Area.Kind.KREIS).count()
    assert data["totals"] == {"grants": 2, "cooperations": 2, "participations": 6,
                              "kommunen": 5, "amount": Decimal("100000.00")}
    assert data["demo"] is False


def test_the_year_filter(programme):
    data = stats.statistics(2018, 2019)
    assert [r["year"] for r in data["years"]] == [2018, 2019]
    assert data["totals"]["cooperations"] == 88
    assert data["totals"]["participations"] == 165 + 150
    assert data["bounds"] == {"first": 2008, "last": 2020}
    assert stats.statistics(2020, None)["totals"]["cooperations"] == 25
    assert stats.statistics(None, 2008)["totals"]["cooperations"] == 12
    assert stats.statistics(1990, 1999)["totals"] == {
        "grants": 0, "cooperations": 0, "participations": 0, "kommunen": 0,
        "amount": Decimal("0.00")}


def test_task_areas_all_listed_and_counted(programme):
    make_grant(programme, [Area.objects.get(ags="06635001"), Area.objects.get(ags="06635004")],
               task_area=TaskArea.FEUERWEHR, amount="30000")
    data = stats.statistics(2030, 2030)
    assert {r["key"] for r in data["task_areas"]} == set(TaskArea.values)
    feuerwehr = next(r for r in data["task_areas"] if r["key"] == TaskArea.FEUERWEHR)
    assert (feuerwehr["cooperations"], feuerwehr["participations"], feuerwehr["amount"]) == (
        1, 2, Decimal("30000.00"))
    assert data["task_areas"][0] == feuerwehr  # the largest amount first
