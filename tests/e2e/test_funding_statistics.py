"""The public statistics of the funding programme in Chromium: the published figures, charts
with their tables, the year filter; axe-core finds no WCAG 2.1 AA violation."""

import pytest

from tests.e2e.test_citizen_journey import assert_accessible, data  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("data")]


def test_statistics_page_with_charts(live_server, browser, axe_source):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(live_server.url + "/foerderung/statistik/")
    assert page.locator("#total-cooperations").inner_text() == "350"
    assert page.locator("#total-participations").inner_text() == "1.664"
    assert page.locator("#total-amount").inner_text().startswith("23,6 ")
    charts = page.get_by_role("img")
    assert charts.count() == 4
    assert page.get_by_role("img", name="Geförderte IKZ-Verbünde pro Jahr").is_visible()
    assert page.get_by_role("table").count() == 3
    row = page.get_by_role("row", name="2018")
    assert row.get_by_role("cell").first.inner_text() == "45"
    assert_accessible(page, axe_source, "statistics")

    page.select_option("#id_von", "2018")
    page.select_option("#id_bis", "2019")
    page.get_by_role("button", name="Zahlen anzeigen").click()
    page.wait_for_url("**/foerderung/statistik/?von=2018&bis=2019")
    assert page.locator("#total-cooperations").inner_text() == "88"
    assert page.get_by_role("img").count() == 4
    assert_accessible(page, axe_source, "statistics 2018 to 2019")

    page.select_option("#id_von", "2019")
    page.select_option("#id_bis", "2018")
    page.get_by_role("button", name="Zahlen anzeigen").click()
    page.wait_for_load_state()
    assert "Das erste Jahr darf nicht nach dem letzten Jahr liegen." in page.locator(
        "#years-error").inner_text()
    assert_accessible(page, axe_source, "statistics with a bad filter")

    page.set_viewport_size({"width": 1500, "height": 900})  # charts beside their tables
    page.goto(live_server.url + "/foerderung/statistik/")
    assert_accessible(page, axe_source, "statistics, wide")

    page.get_by_role("button", name="English").click()
    assert page.locator("#total-participations").inner_text() == "1,664"
    assert page.locator("#total-amount").inner_text() == "23.6 million EUR"
    assert_accessible(page, axe_source, "statistics in English")

    page.get_by_role("link", name="The funding programmes and their rules").click()
    page.wait_for_url("**/foerderung/")
    assert page.get_by_role("heading", name="IKZ-Förderung Digitalisierung").is_visible()
    assert_accessible(page, axe_source, "funding programmes")

    assert not problems, problems  # no script errors, no CSP violations
    context.close()
