"""Citizen pages, rendered by the Django test client (no JavaScript involved)."""

import pytest
from django.test import Client

from amtsweg.catalog.models import Lebenslage, Themenfeld

pytestmark = pytest.mark.django_db


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_page_frame(client):
    page = html(client.get("/"))
    assert '<html lang="de">' in page
    assert 'href="#main"' in page and 'id="main"' in page  # skip link
    for link in ("/impressum/", "/datenschutz/", "/barrierefreiheit/"):
        assert f'href="{link}"' in page
    assert "Leistung suchen" in page
    assert "4813" in page and "421" in page
    assert "Geburtsurkunde Ausstellung" in page


def test_english_via_language_switch():
    client = Client(enforce_csrf_checks=True)
    page = html(client.get("/"))
    token = client.cookies["csrftoken"].value
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/",
                                              "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    page = html(client.get("/"))
    assert '<html lang="en">' in page and "Search for a service" in page


def test_language_switch_needs_csrf():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 403


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_search_page_and_escaping(client):
    page = html(client.get("/suche/", {"q": "Geburtsurk"}))
    assert page.index("Geburtsurkunde") < page.index("Geburtsurkunde Ausstellung")
    assert 'href="/leistungen/99027002000000/"' in page
    page = html(client.get("/suche/", {"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    page = html(client.get("/suche/", {"q": "xyzzyq"}))
    assert "Nichts gefunden" in page


def test_suggestions_fragment(client):
    page = html(client.get("/suche/vorschlaege/", {"q": "Wohngled"}))
    assert "<html" not in page
    assert "Wohngeld" in page
    assert html(client.get("/suche/vorschlaege/", {"q": "W"})).strip() == ""


def test_leistung_page(client):
    page = html(client.get("/leistungen/99085001012000/"))
    assert "Reisepass Ausstellung" in page
    assert "Paßgesetz" in page and "gesetze-im-internet.de" in page
    assert "70 EUR" in page
    assert "Wo wohnen Sie?" in page
    assert 'href="/leistungen/99085001000000/"' in page  # related Leistungen
    assert client.get("/leistungen/99000000000000/").status_code == 404


def test_finder_with_a_unique_plz(client):
    page = html(client.get("/leistungen/99027002012000/", {"ort": "36037"}))
    assert "Standesamt der Stadt Fulda" in page
    assert "Demodaten" in page


def test_finder_kreis_level_by_name(client):
    page = html(client.get("/leistungen/99036011012000/", {"ort": "Dipperz"}))
    assert "Zulassungsstelle des Landkreises Fulda" in page


def test_finder_plz_with_several_gemeinden(client):
    page = html(client.get("/leistungen/99027002012000/", {"ort": "34127"}))
    assert 'name="gemeinde" value="06611000"' in page
    assert 'name="gemeinde" value="06633009"' in page
    page = html(client.get("/leistungen/99027002012000/", {"ort": "34127",
                                                            "gemeinde": "06633009"}))
    assert "Standesamt der Gemeinde Fuldatal" in page


def test_finder_errors_are_sentences(client):
    page = html(client.get("/leistungen/99027002012000/", {"ort": "99999"}))
    assert "Postleitzahl 99999" in page and 'aria-invalid="true"' in page
    page = html(client.get("/leistungen/99027002012000/", {"ort": "Atlantis"}))
    assert "Atlantis" in page and 'role="alert"' in page
    page = html(client.get("/leistungen/99027002012000/", {"gemeinde": "12345678"}))
    assert 'role="alert"' in page
    page = html(client.get("/leistungen/99012008001000/", {"ort": "36037"}))
    assert "noch keine Behörde" in page


def test_finder_says_a_place_outside_hessen_is_not_in_hessen(client):
    """The finder stays Hessen-only, but a PLZ or town elsewhere is not called unknown."""
    page = html(client.get("/leistungen/99027002012000/", {"ort": "44803"}))
    assert "Die Postleitzahl 44803 (Bochum) liegt nicht in Hessen, sondern in " \
        "Nordrhein-Westfalen" in page
    assert "kennen wir" not in page and 'role="alert"' in page
    page = html(client.get("/leistungen/99027002012000/", {"ort": "Köln"}))
    assert "Köln liegt nicht in Hessen, sondern in Nordrhein-Westfalen" in page
    page = html(client.get("/leistungen/99027002012000/", {"ort": "01067"}))
    assert "(Dresden) liegt nicht in Hessen, sondern in Sachsen" in page
    # a PLZ in no list at all keeps the old sentence
    page = html(client.get("/leistungen/99027002012000/", {"ort": "61343"}))
    assert "Postleitzahl 61343" in page and "liegt nicht in Hessen" not in page


@pytest.mark.parametrize("query", ["homberg ohm", "Homberg/Ohm", "HOMBERG (OHM)",
                                   "Homberg-Ohm"])
def test_finder_forgives_the_spelling_of_a_place(client, query):
    page = html(client.get("/leistungen/99027002012000/", {"ort": query}))
    assert "Standesamt der Stadt Homberg (Ohm)" in page


def test_finder_start_page(client):
    page = html(client.get("/zustaendigkeit/", {"q": "Wohngeld"}))
    assert 'href="/leistungen/99107023000000/#finder"' in page
    page = html(client.get("/zustaendigkeit/", {"q": ""}))
    assert 'role="alert"' in page


def test_browse_by_themenfeld_and_lebenslage(client):
    page = html(client.get("/themen/"))
    import re

    assert len(set(re.findall(r'href="/themen/[a-z0-9-]+/"', page))) == 14
    theme = Themenfeld.objects.get(name="Familie & Kind")
    page = html(client.get(theme.get_absolute_url()))
    assert "Elterngeld Bewilligung" in page
    lage = Lebenslage.objects.get(name="Geburt")
    page = html(client.get("/lebenslagen/"))
    assert lage.get_absolute_url() in page
    assert "Elterngeld" in html(client.get(lage.get_absolute_url()))


@pytest.mark.parametrize("url", ["/impressum/", "/datenschutz/", "/barrierefreiheit/"])
def test_legal_pages(client, url):
    assert "<h1" in html(client.get(url))


def test_not_found_page_is_a_page(client):
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert "Leistung suchen" in response.content.decode()


def test_admin_shows_imported_data_read_only(client):
    from django.core.management import call_command

    call_command("create_demo_admin")
    assert client.login(email="landesadmin@demo.example", password="Amtsweg-Demo-2026")
    session = client.session
    session["mfa"] = True  # two factors are tested in tests/accounts/test_twofactor.py
    session.save()
    page = html(client.get("/admin/territory/area/", {"q": "Fulda"}))
    assert "Fulda" in page
    assert client.get("/admin/territory/area/add/").status_code == 403
    assert client.get("/admin/catalog/leistung/", {"q": "99027002012000"}).status_code == 200


def test_no_demo_login_without_demo_data(settings):
    from django.core.management import CommandError, call_command

    settings.DEMO_DATA = False
    with pytest.raises(CommandError):
        call_command("create_demo_admin")


@pytest.mark.parametrize("url", [
    "/suche/?q=%00Pass", "/suche/vorschlaege/?q=Pa%00ss", "/zustaendigkeit/?q=%00",
    "/leistungen/99027002012000/?ort=%00", "/leistungen/99027002012000/?ort=36%0037",
    "/leistungen/99027002012000/?gemeinde=%00", "/leistungen/99027002012000/?gemeinde=0663100%00",
    "/leistungen/99027002012000/?ort=" + "x" * 5000,
])
def test_control_characters_and_long_input_are_harmless(client, url):
    assert client.get(url).status_code == 200


def test_malformed_leistung_urls_are_not_found(client):
    for key in ["123", "99027002012000x", "9902700201200%00"]:
        assert client.get(f"/leistungen/{key}/").status_code == 404


def test_leistung_page_reads_as_a_page_for_people(client):
    """Issue 12: the LeiKa key stood above the heading, phone and e-mail were not links, the
    documents were one run-on line."""
    import re

    page = html(client.get("/leistungen/99027002012000/", {"ort": "36037"}))
    heading = page.index("<h1")
    assert "kern-preline" not in page and page.index("99027002012000", heading) > heading
    documents = page[page.index('id="docs"'):]
    assert re.search(r"<ul class=\"kern-list\"><li>Personalausweis oder Reisepass</li><li>",
                     documents)
    assert re.search(r'href="tel:\+?[0-9]{5,}"', page)
    assert re.search(r'href="mailto:[^"]+@[^"]+"', page)
