"""Issue 12 in Chromium: the place finder forgives how a town is typed (major 4), and an
address outside Hessen or with an unlisted PLZ does not stop the applicant (blocker 2)."""

import pytest

from tests.e2e import test_apply_online as online
from tests.e2e.test_apply_online import (
    FULDA,
    NEXT,
    choose_first,
    continue_to,
    fill_address,
    find_place,
    step_url,
)
from tests.e2e.test_citizen_journey import assert_accessible
from tests.e2e.test_servicekonto import PASSWORD, german_page_for_new_account, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

data, watch = online.data, online.watch  # the fixtures of the application journeys
HOMBERG_OHM = "06535009"
WOHNGELD = "99107023017000"


def test_finder_and_address_check_forgive_and_reach_beyond_hessen(live_server, browser,
                                                                   axe_source, data, watch):
    context, page = german_page_for_new_account(browser, "vermieter@example.org")
    watch(page)

    # the finder: "Homberg/Ohm" is Homberg (Ohm); Bochum is named as outside Hessen
    page.goto(f"{live_server.url}/leistungen/{WOHNGELD}/")
    find_place(page, "Homberg/Ohm", HOMBERG_OHM)
    assert "Homberg (Ohm)" in page.locator("#authority").inner_text()
    page.locator("#ort").fill("44803")
    page.locator("form.aw-finder__form button[type=submit]").click()
    page.get_by_text("liegt nicht in Hessen, sondern in Nordrhein-Westfalen").wait_for()
    assert_accessible(page, axe_source, "finder outside Hessen")

    start = f"/beantragen/wohngeld/{FULDA}/"
    log_in(page, live_server.url, "vermieter@example.org", PASSWORD, start)
    page.wait_for_url("**" + start)
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url(step_url("antrag"))
    page.locator("#f-zuschussart").check()
    page.locator("#f-antragsart").check()
    page.locator("#f-antragsteller-familienname").fill("Becker")
    page.locator("#f-antragsteller-vornamen").fill("Anna")
    page.locator("#f-antragsteller-geburtsdatum").fill("1970-01-31")
    choose_first(page, "#f-antragsteller-geschlecht")
    choose_first(page, "#f-antragsteller-familienstand")
    choose_first(page, "#f-antragsteller-staatsangehoerigkeit")
    page.locator("#f-antragsteller-einzugsdatum").fill("2015-04-01")
    page.locator("#f-antragsteller-email").fill("vermieter@example.org")

    # a PLZ in no list (a large customer): a warning with a box to confirm it
    fill_address(page, "antragsteller-anschrift", "Rathausplatz", "1", "61343",
                 "Bad Homburg v. d. Höhe")
    with page.expect_navigation():
        page.locator(NEXT).click()
    assert "Postleitzahl 61343" in page.locator("#error-summary").inner_text()
    box = page.locator("#f-antragsteller-anschrift-postal_code_confirmed")
    assert_accessible(page, axe_source, "unlisted PLZ to confirm")
    box.check()
    continue_to(page, "haushalt")

    # back on the step the confirmation is kept; an address in Bochum needs none
    page.locator(".aw-form-actions button[name=_action][value=back]").click()
    page.wait_for_url(step_url("antrag"))
    assert page.locator("#f-antragsteller-anschrift-postal_code_confirmed").is_checked()
    fill_address(page, "antragsteller-anschrift", "Hauptstraße", "5", "44803", "Bochum")
    continue_to(page, "haushalt")
    assert not watch.problems, watch.problems
    context.close()
