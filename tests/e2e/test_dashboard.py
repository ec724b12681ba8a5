"""The OZG dashboard in Chromium: the Land page with its map, a Kreis, a Gemeinde and the
comparison of the two; axe-core finds no WCAG 2.1 AA violation (charts and map included),
and the page needs no script of its own."""

import pytest

from tests.e2e.test_citizen_journey import assert_accessible, data  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("data")]


def test_open_land_kreis_and_gemeinde_and_compare(live_server, browser, axe_source):
    from amtsweg.dashboard import actions, coverage
    from amtsweg.territory.models import Authority
    from tests.dashboard.conftest import make_case, months_ago
    from tests.submissions.conftest import make_small_service

    coverage.forget()
    standesamt = Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)
    adoption = make_small_service(standesamt)
    for days in (2, 3, 9):
        make_case(adoption, months_ago(1, 5), outcome="bewilligt", closed_after=days)
    make_case(adoption, months_ago(1, 8), due_in=1)
    actions.rollup()
    actions.snapshot()

    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(live_server.url + "/")
    page.locator("main a[href='/dashboard/']").click()  # the start page's link
    page.wait_for_url("**/dashboard/")
    assert page.locator("h1").inner_text().endswith("Hessen")
    assert page.locator("svg[role=img]").count() >= 3
    assert page.locator("svg[role=group] a").count() == 421
    assert_accessible(page, axe_source, "Land dashboard")

    # from the map to a Gemeinde, and from its breadcrumb to its Kreis
    page.locator("svg[role=group] a[href='/dashboard/gemeinde/06635001/']").click()
    page.wait_for_url("**/dashboard/gemeinde/06635001/")
    assert "Allendorf (Eder)" in page.locator("h1").inner_text()
    assert "1" in page.locator(".aw-dash-figure").nth(4).inner_text()  # one open case
    assert_accessible(page, axe_source, "Gemeinde dashboard")
    page.locator(".aw-dash-breadcrumb a", has_text="Waldeck-Frankenberg").click()
    page.wait_for_url("**/dashboard/kreis/06635/")
    assert_accessible(page, axe_source, "Kreis dashboard")

    # compare the Kreis and the Gemeinde
    page.goto(live_server.url + "/dashboard/")
    page.locator("#cmp-a").select_option("06635")
    page.locator("#cmp-b").select_option("06635001")
    page.locator(".aw-dash-compare-form button").click()
    page.wait_for_url("**/dashboard/vergleich/?a=06635&b=06635001")
    header = page.locator("table thead").first.inner_text()
    assert "Waldeck-Frankenberg" in header and "Allendorf (Eder)" in header
    assert_accessible(page, axe_source, "comparison")
    assert not problems, problems
    context.close()
