"""The responsibility finder: Gemeinde → Kreis → Regierungsbezirk → Land."""

import pytest

from amtsweg.catalog.models import Leistung
from amtsweg.territory import lookup
from amtsweg.territory.models import Area, Authority, Responsibility

pytestmark = pytest.mark.django_db

GEBURTSURKUNDE = "99027002012000"
ZULASSUNG_TEIL_I = "99036011012000"
ELTERNGELD = "99041006017000"
TAXI = "99084012001000"


def resolve(leika_key: str, ags: str):
    leistung = Leistung.objects.get(leika_key=leika_key)
    return lookup.resolve(leistung.pk, Area.objects.get(ags=ags).pk)


def test_gemeinde_level_service_goes_to_the_gemeinde():
    r = resolve(GEBURTSURKUNDE, "06631009")  # Fulda, Stadt
    assert r.authority.kind == "standesamt"
    assert r.authority.name == "Standesamt der Stadt Fulda"
    assert r.area.ags == "06631009"


def test_kreis_level_service_falls_back_to_the_landkreis():
    r = resolve(ZULASSUNG_TEIL_I, "06631003")  # Dipperz, Landkreis Fulda
    assert r.authority.name == "Zulassungsstelle des Landkreises Fulda"
    assert r.area.ags == "06631"
    r = resolve(TAXI, "06435014")  # a Gemeinde in the Main-Kinzig-Kreis
    assert r.authority.kind == "genehmigungsbehoerde"
    assert r.area.ags == "06435"


def test_kreisfreie_stadt_is_its_own_kreis():
    r = resolve(ZULASSUNG_TEIL_I, "06412000")
    assert r.authority.name == "Zulassungsstelle der Stadt Frankfurt am Main"
    r = resolve(GEBURTSURKUNDE, "06412000")
    assert r.authority.name == "Standesamt der Stadt Frankfurt am Main"


def test_regierungsbezirk_level_service():
    r = resolve(ELTERNGELD, "06636016")  # Witzenhausen, RB Kassel
    assert r.authority.kind == "elterngeldstelle" and r.authority.city == "Kassel"
    assert r.area.kind == "regierungsbezirk"
    assert resolve(ELTERNGELD, "06411000").authority.city == "Darmstadt"


def test_land_level_entry_is_the_last_fallback():
    leistung = Leistung.objects.get(leika_key="99012008001000")  # Baugenehmigung, none recorded
    land = Area.objects.get(kind="land")
    ministry = Authority.objects.get(kind="ministerium")
    Responsibility.objects.create(leistung=leistung, area=land, authority=ministry)
    assert resolve("99012008001000", "06631003").authority == ministry


def test_more_specific_entry_wins_over_the_kreis():
    leistung = Leistung.objects.get(leika_key=ZULASSUNG_TEIL_I)
    gemeinde = Area.objects.get(ags="06631009")
    buero = Authority.objects.get(kind="buergerbuero", area=gemeinde)
    Responsibility.objects.create(leistung=leistung, area=gemeinde, authority=buero)
    assert resolve(ZULASSUNG_TEIL_I, "06631009").authority == buero
    assert resolve(ZULASSUNG_TEIL_I, "06631003").authority.kind == "zulassungsstelle"


def test_service_without_responsibility_gives_none():
    assert resolve("99012008001000", "06631003") is None


def test_gemeindefreies_gebiet_resolves_to_its_kreis():
    r = resolve(ZULASSUNG_TEIL_I, "06636200")  # Gutsbezirk Kaufunger Wald
    assert r.area.ags == "06636"
    assert resolve(GEBURTSURKUNDE, "06636200") is None


def test_plz_with_several_gemeinden_offers_a_choice():
    places = lookup.find_places("34127")
    assert {p.area.ags for p in places} == {"06611000", "06633009"}
    assert all("34127" in p.plz for p in places)


def test_plz_with_one_gemeinde():
    places = lookup.find_places("36037")
    assert [p.area.display_name for p in places] == ["Fulda"]


def test_unknown_plz_and_unknown_name():
    assert lookup.find_places("99999") == []
    assert lookup.find_places("Atlantis") == []


@pytest.mark.parametrize(("query", "ags"), [
    ("Fulda", "06631009"), ("fulda", "06631009"), ("Frankfurt", "06412000"),
    ("Bad Homburg", "06434001"), ("Gießen", "06531005"), ("Giessen", "06531005"),
])
def test_place_names(query, ags):
    places = lookup.find_places(query)
    assert places and places[0].area.ags == ags


@pytest.mark.parametrize("query", ["homberg ohm", "Homberg/Ohm", "Homberg (Ohm)",
                                   "HOMBERG  OHM", "Homberg, Ohm", "Hombreg Ohm"])
def test_place_search_forgives_punctuation_case_and_typos(query):
    places = lookup.find_places(query)
    assert [p.area.ags for p in places] == ["06535009"]  # Homberg (Ohm), nothing else


@pytest.mark.parametrize(("query", "ags"), [
    ("Hombreg", "06535009"), ("Homberg", "06535009"), ("Wiesbadn", "06414000"),
    ("Giesen", "06531005"), ("Guessen", "06531005"), ("Offenbach am Mian", "06413000"),
    ("Bad-Hersfeld", "06632002"), ("bad homburg vor der hoehe", "06434001"),
    ("Allendorf", "06635001"), ("Allendorf", "06531001"), ("Bromskirchen", "06635001"),
])
def test_place_search_offers_what_a_typo_or_an_ortsteil_may_mean(query, ags):
    assert ags in [p.area.ags for p in lookup.find_places(query)]


def test_place_search_exact_name_wins():
    assert [p.area.display_name for p in lookup.find_places("Fulda")] == ["Fulda"]
    assert [p.area.display_name for p in lookup.find_places("Homberg (Efze)")] == [
        "Homberg (Efze)"]
    assert lookup.find_places("Bochum") == []  # the finder knows Hessen only


def test_german_places_outside_hessen():
    assert [(p.place, p.land) for p in lookup.german_places("44803")] == [
        ("Bochum", "Nordrhein-Westfalen")]
    assert lookup.german_places("01067")[0].place == "Dresden"
    assert lookup.german_places("61343") == []
    assert lookup.land_outside_hessen("51147") == ("Köln", "Nordrhein-Westfalen")
    assert lookup.land_outside_hessen("koeln") == ("Köln", "Nordrhein-Westfalen")
    assert lookup.land_outside_hessen("36037") is None
    assert lookup.land_outside_hessen("Atlantis") is None


def test_area_codes():
    assert lookup.area_for_code(ars="06").kind == "land"
    assert lookup.area_for_code(ars="064").kind == "regierungsbezirk"
    assert lookup.area_for_code(ars="06631").kind == "kreis"
    assert lookup.area_for_code(ars="066310009").ags == "06631009"
    assert lookup.area_for_code(ars="066310009009").ags == "06631009"
    assert lookup.area_for_code(ags="06631009").ars == "066310009009"
    assert lookup.area_for_code(ars="091620000000") is None
