"""The service library and the cooperation pages in Chromium: axe-core finds no WCAG 2.1 AA
violation; filters work without JavaScript (plain GET forms); the lead's admin sees the
staff pages, a member's admin adopts the cooperation's service in one step."""

import pytest

from tests.e2e.test_citizen_journey import assert_accessible, data  # noqa: F401
from tests.e2e.test_designer import staff_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_library_and_cooperation_pages(live_server, browser, axe_source, data):  # noqa: F811
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(live_server.url + "/bibliothek/")
    assert_accessible(page, axe_source, "library")
    page.locator("#f-q").fill("hundesteuer")
    page.locator("#f-level").select_option("3")
    page.locator("form.aw-filters button[type=submit]").click()
    page.wait_for_url("**/bibliothek/?q=hundesteuer*")
    rows = page.locator("table.kern-table tbody tr")
    assert rows.count() == 1
    assert_accessible(page, axe_source, "library filtered")
    rows.first.locator("a").first.click()
    page.wait_for_url("**/bibliothek/hundesteuer-anmeldung/")
    assert "Battenberg (Eder)" in page.locator("main").inner_text()
    assert_accessible(page, axe_source, "library detail")
    page.goto(live_server.url + "/bibliothek/geburtsurkunde/")
    assert_accessible(page, axe_source, "library detail with many Kommunen")

    page.goto(live_server.url + "/ikz/")
    assert_accessible(page, axe_source, "cooperations")
    page.locator("#f-kreis").select_option("06635")
    page.locator("form.aw-filters button[type=submit]").click()
    page.wait_for_url("**/ikz/?*kreis=06635")
    page.get_by_role("link", name="IKZ Ederbergland digital").click()
    page.wait_for_url("**/ikz/ederbergland-digital/")
    assert "Jana Beispiel" in page.locator("main").inner_text()
    assert_accessible(page, axe_source, "cooperation")
    assert not problems, problems
    context.close()
    staff_pages_and_adopting_in_one_step(live_server, browser, axe_source)


def staff_pages_and_adopting_in_one_step(live_server, browser, axe_source) -> None:
    """In the same test: the tables are emptied after each transactional test."""
    from amtsweg.ikz.models import Cooperation
    from amtsweg.services.models import Adoption
    from amtsweg.territory.models import Authority
    from tests.services.staff import staff

    cooperation = Cooperation.objects.get(slug="ederbergland-digital")
    lead = Authority.objects.get(area__ags="06635001", kind=Authority.Kind.BUERGERBUERO)
    context, page = staff_page(browser, live_server, staff(("admin", lead)))
    page.goto(f"{live_server.url}/verwaltung/ikz/{cooperation.pk}/")
    assert page.locator("form[action$='/bearbeiten/']").count() == 1  # the lead's admin edits
    assert_accessible(page, axe_source, "cooperation (staff, lead)")
    page.goto(f"{live_server.url}/verwaltung/ikz/")
    assert_accessible(page, axe_source, "cooperations (staff)")
    page.goto(f"{live_server.url}/verwaltung/ikz/neu/")
    assert_accessible(page, axe_source, "create a cooperation")
    context.close()

    office = Authority.objects.get(area__ags="06635006", kind=Authority.Kind.BUERGERBUERO)
    Adoption.objects.filter(authority=office, service__slug="hundesteuer-anmeldung").update(
        active=False)
    context, page = staff_page(browser, live_server, staff(("admin", office)))
    page.goto(f"{live_server.url}/verwaltung/ikz/{cooperation.pk}/")
    assert_accessible(page, axe_source, "cooperation (staff)")
    page.locator("form[action$='/uebernehmen/'] button[type=submit]").click()
    page.wait_for_url(f"**/verwaltung/ikz/{cooperation.pk}/")
    assert Adoption.objects.get(authority=office,
                                service__slug="hundesteuer-anmeldung").active
    assert_accessible(page, axe_source, "after adopting")
    context.close()
