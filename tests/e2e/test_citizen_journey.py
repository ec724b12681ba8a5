"""A citizen searches, opens a Leistung and finds the responsible Behörde, in Chromium.

axe-core checks every page state against WCAG 2.0/2.1 A and AA; any violation fails.
"""

import re

import pytest
from django.core.management import call_command

from amtsweg.territory.models import Area

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def data():
    if not Area.objects.exists():  # an earlier transactional test flushed the tables
        call_command("import_data", demo=True, quiet=True, verbosity=0)


def assert_accessible(page, axe_source: str, label: str) -> None:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert not violations, f"{label}: " + "; ".join(violations)
    assert result["passes"], f"{label}: axe checked nothing"


def test_search_open_leistung_find_authority(live_server, browser, axe_source, data):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Verwaltungsleistungen in Hessen"
    assert_accessible(page, axe_source, "home")

    # as-you-type suggestions (htmx)
    page.locator("#search-q").press_sequentially("Geburtsurk", delay=30)
    suggestion = page.locator("#search-suggestions a", has_text="Geburtsurkunde Ausstellung")
    suggestion.first.wait_for(timeout=5000)
    assert_accessible(page, axe_source, "home with suggestions")

    # full results page
    page.locator("#search-q").press("Enter")
    page.wait_for_url("**/suche/?q=Geburtsurk")
    first = page.locator("ol.aw-results li a").first
    assert first.inner_text() == "Geburtsurkunde"
    assert_accessible(page, axe_source, "search results")

    page.locator("ol.aw-results a", has_text="Geburtsurkunde Ausstellung").first.click()
    page.wait_for_url("**/leistungen/99027002012000/")
    assert page.locator("h1").inner_text() == "Geburtsurkunde Ausstellung"
    assert_accessible(page, axe_source, "Leistung")

    # a PLZ that spans two Gemeinden: the person chooses
    page.locator("#ort").fill("34127")
    page.get_by_role("button", name="Finden").click()
    page.get_by_label(re.compile("Fuldatal")).check()
    assert_accessible(page, axe_source, "choice of Gemeinde")
    page.get_by_role("button", name="Auswählen").click()
    card = page.locator("#authority")
    assert "Standesamt der Gemeinde Fuldatal" in card.inner_text()
    assert_accessible(page, axe_source, "responsible authority")

    # an unknown PLZ gives a sentence, not a failure
    page.locator("#ort").fill("99999")
    page.get_by_role("button", name="Finden").click()
    assert "Postleitzahl 99999" in page.locator("#ort-error").inner_text()
    assert_accessible(page, axe_source, "finder error")

    # English
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Geburtsurkunde Ausstellung"
    assert_accessible(page, axe_source, "Leistung in English")

    assert not problems, problems  # no script errors, no CSP violations
    context.close()


def test_works_without_javascript(live_server, browser, data):
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.locator("#search-q").fill("Zulassungsbescheinigung")
    page.get_by_role("button", name="Suchen").click()
    page.locator("ol.aw-results a", has_text="Zulassungsbescheinigung Teil I Ausstellung").click()
    page.locator("#ort").fill("Dipperz")
    page.get_by_role("button", name="Finden").click()
    assert "Zulassungsstelle des Landkreises Fulda" in page.locator("#authority").inner_text()
    context.close()


def test_small_screen_and_keyboard(live_server, browser, axe_source, data):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="de-DE")
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.aw-skip-link")
    assert skip.evaluate("e => e === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a phone ({width}px)"
    assert_accessible(page, axe_source, "home on a phone")
    context.close()


@pytest.mark.parametrize("lang", ["de-DE", "en-GB"])
def test_every_citizen_page_is_accessible(live_server, browser, axe_source, data, lang):
    from amtsweg.catalog.models import Lebenslage, Themenfeld

    pages = [
        "/", "/themen/", Themenfeld.objects.get(name="Familie & Kind").get_absolute_url(),
        "/lebenslagen/", Lebenslage.objects.get(name="Geburt").get_absolute_url(),
        "/zustaendigkeit/", "/zustaendigkeit/?q=Wohngeld", "/zustaendigkeit/?q=",
        "/suche/?q=xyzzyq", "/leistungen/99012008001000/?ort=36037",
        "/impressum/", "/datenschutz/", "/barrierefreiheit/", "/gibt-es-nicht/",
    ]
    context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    for url in pages:
        page.goto(live_server.url + url)
        assert_accessible(page, axe_source, f"{url} ({lang})")
    context.close()


def test_api_docs_render_offline_under_the_csp(live_server, browser, data):
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/api/routing/v1/docs")
    page.get_by_text("/api/routing/v1/routes", exact=True).first.wait_for(timeout=10000)
    assert not problems, problems
    context.close()
