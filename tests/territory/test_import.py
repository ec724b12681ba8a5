import pytest

from amtsweg.territory.actions import import_german_postal_codes, import_territory
from amtsweg.territory.demo import load_demo_authorities
from amtsweg.territory.models import (
    Area,
    Authority,
    GermanPostalCode,
    PostalCode,
    Responsibility,
)

pytestmark = pytest.mark.django_db


def test_hessen_is_complete():
    assert Area.objects.filter(kind="land").get().ags == "06"
    assert Area.objects.filter(kind="regierungsbezirk").count() == 3
    kreise = Area.objects.filter(kind="kreis")
    assert kreise.count() == 26
    assert kreise.filter(kreis_type="landkreis").count() == 21
    assert kreise.filter(kreis_type="kreisfreie-stadt").count() == 5
    gemeinden = Area.objects.filter(kind="gemeinde")
    assert gemeinden.filter(gemeindefrei=False).count() == 421
    assert gemeinden.filter(gemeindefrei=True).count() == 4
    population = sum(g.population for g in gemeinden)
    assert 6_200_000 < population < 6_350_000


def test_codes_follow_the_hessian_ars_rule():
    for g in Area.objects.filter(kind="gemeinde").select_related("parent__parent__parent"):
        assert len(g.ags) == 8 and len(g.ars) == 12
        if g.parent.kreis_type == "landkreis" and not g.gemeindefrei:
            assert g.ars == g.ags[:5] + "0" + g.ags[5:8] + g.ags[5:8]
        assert g.parent.kind == "kreis" and g.ags.startswith(g.parent.ags)
        assert g.parent.parent.kind == "regierungsbezirk"
        assert g.parent.parent.parent.kind == "land"
    frankfurt = Area.objects.get(ags="06412000")
    assert frankfurt.parent.kreis_type == "kreisfreie-stadt"
    assert frankfurt.lat == pytest.approx(50.11, abs=0.01)


def test_plz_maps_both_ways():
    assert PostalCode.objects.count() == 559
    kassel = Area.objects.get(ags="06611000")
    assert kassel.postal_codes.filter(plz="34117").exists()
    assert {pc.area.ags for pc in PostalCode.objects.filter(plz="34127")} == {
        "06611000", "06633009"}


def test_import_is_idempotent():
    before = (Area.objects.count(), PostalCode.objects.count(), Authority.objects.count(),
              Responsibility.objects.count())
    ids = dict(Area.objects.values_list("ags", "id"))
    destinations = dict(Authority.objects.values_list("name", "destination_id"))
    import_territory()
    load_demo_authorities()
    after = (Area.objects.count(), PostalCode.objects.count(), Authority.objects.count(),
             Responsibility.objects.count())
    assert before == after
    assert dict(Area.objects.values_list("ags", "id")) == ids
    assert dict(Authority.objects.values_list("name", "destination_id")) == destinations


def test_import_repairs_a_changed_row():
    g = Area.objects.get(ags="06411000")
    g.name, g.population = "Falsch", 1
    g.save()
    import_territory()
    g.refresh_from_db()
    assert g.name == "Darmstadt, Wissenschaftsstadt" and g.population == 159878


def test_demo_authorities_are_marked_and_complete():
    assert not Authority.objects.filter(is_demo=False).exists()
    for kind in ("standesamt", "buergerbuero"):
        assert Authority.objects.filter(kind=kind).count() == 421
    for kind in ("zulassungsstelle", "fahrerlaubnisbehoerde", "wohngeldstelle",
                 "genehmigungsbehoerde"):
        assert Authority.objects.filter(kind=kind, area__kind="kreis").count() == 26
    assert Authority.objects.filter(kind="elterngeldstelle", area__kind="land").count() == 3
    assert Authority.objects.filter(kind="ministerium").count() == 1
    fulda = Authority.objects.get(kind="zulassungsstelle", area__ags="06631")
    assert fulda.name == "Zulassungsstelle des Landkreises Fulda"
    assert fulda.zip == "36037" and fulda.city == "Fulda"
    mkk = Authority.objects.get(kind="zulassungsstelle", area__ags="06435")
    assert mkk.name == "Zulassungsstelle des Main-Kinzig-Kreises"
    assert mkk.email.endswith(".example")


def test_german_postal_codes_are_imported_whole():
    rows = GermanPostalCode.objects
    assert rows.count() == 12_871
    assert rows.values("plz").distinct().count() == 8_170
    assert all(len(p) == 5 and p.isdecimal() for p in rows.values_list("plz", flat=True))
    # the file dropped the leading zero of 0xxxx; the import puts it back
    assert rows.get(plz="01067").place == "Dresden"
    assert rows.filter(land="Hessen").count() == PostalCode.objects.count()
    hessen = set(rows.filter(land="Hessen").values_list("plz", "ags", "place"))
    assert hessen == set(PostalCode.objects.values_list("plz", "area__ags", "place"))


def test_german_postal_code_import_is_idempotent_and_repairs():
    ids = set(GermanPostalCode.objects.values_list("pk", flat=True))
    assert import_german_postal_codes() == 12_871
    assert set(GermanPostalCode.objects.values_list("pk", flat=True)) == ids
    GermanPostalCode.objects.filter(plz="44803").update(land="Bayern")
    GermanPostalCode.objects.create(plz="99999", ags="99999999", place="Nirgendwo", land="X")
    GermanPostalCode.objects.filter(plz="51147").delete()
    assert import_german_postal_codes() == 12_871
    assert GermanPostalCode.objects.get(plz="44803").land == "Nordrhein-Westfalen"
    assert not GermanPostalCode.objects.filter(plz="99999").exists()
    assert GermanPostalCode.objects.filter(plz="51147", place="Köln").exists()
