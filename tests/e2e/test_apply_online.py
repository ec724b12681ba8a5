"""Applying online in Chromium: guest and Servicekonto journeys from the Leistung page to the
receipt, with and without JavaScript, by keyboard; axe-core checks every page state against
WCAG 2.0/2.1 A and AA (any violation fails).

Selectors use ids, names, values and URLs, not wording: the form renderer derives field ids
from the answer paths (`antragsteller.anschrift.street` → `#f-antragsteller-anschrift-street`).
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail

from tests.e2e.test_citizen_journey import assert_accessible
from tests.e2e.test_servicekonto import PASSWORD, german_page_for_new_account, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
ALLENDORF = "06635001"  # Allendorf (Eder), PLZ 35108: its Standesamt adopted the Geburtsurkunde
FULDA = "06631009"
NEXT = ".aw-form-actions button[name=_action][value=next]"
SAVE = ".aw-form-actions button[name=_action][value=save]"
BACK = ".aw-form-actions button[name=_action][value=back]"


def tiny_pdf() -> bytes:
    """A small but well-formed one-page PDF (the upload is checked by content)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def data():
    from django.core.management import call_command

    from amtsweg.territory.models import Area

    if not Area.objects.exists():  # an earlier transactional test flushed the tables
        call_command("import_data", demo=True, quiet=True, verbosity=0)


@pytest.fixture
def watch():
    """Collects script errors and CSP violations of the pages given to it."""
    problems: list[str] = []

    def attach(page):
        def console(message):
            # a step with errors answers 400 by design; anything else is a problem. htmx
            # logs an in-flight refresh that a click on "Weiter" cancels (the page is left)
            # as htmx:sendAbort and htmx:afterRequest: the browser's own abort, no error (a
            # request that fails is still caught: "Failed to load resource … status of 500")
            aborted = message.text.startswith(("htmx:sendAbort", "htmx:afterRequest"))
            if message.type == "error" and "status of 400" not in message.text \
                    and not aborted:
                problems.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    attach.problems = problems
    return attach


def screenshot(page, name: str) -> None:
    # caret="initial": hiding the caret leaves style="" on inputs, which htmx copies on a
    # swap, and the CSP (rightly) refuses
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def step_url(key: str) -> str:
    return f"**/antrag/*/schritt/{key}/"


def continue_to(page, key: str) -> None:
    """Continue and expect the step `key` (or "summary"); else say what the page objected."""
    with page.expect_navigation():
        page.locator(NEXT).click()
    pattern = step_url(key) if key != "summary" else "**/zusammenfassung/"
    summary = page.locator("#error-summary")
    assert not summary.count(), f"still on {page.url}: {summary.inner_text()}"
    page.wait_for_url(pattern)


def fill_address(page, prefix: str, street="Hauptstraße", number="12", plz="35108",
                 place="Allendorf (Eder)") -> None:
    page.locator(f"#f-{prefix}-street").fill(street)
    page.locator(f"#f-{prefix}-house_number").fill(number)
    page.locator(f"#f-{prefix}-postal_code").fill(plz)
    page.locator(f"#f-{prefix}-place").fill(place)


def choose_first(page, selector: str) -> None:
    """The first option of a choice, whether it is rendered as radios or as a select."""
    control = page.locator(selector)
    if control.evaluate("e => e.tagName") == "SELECT":
        control.select_option(index=1)
    else:
        control.check()


def wait_for_swap(page) -> None:
    """An htmx refresh replaced the step form (htmx marks requests on the form element)."""
    page.wait_for_function(
        "() => !document.querySelector('#step-form.htmx-request, #step-form .htmx-request')")


def guest_start(page, base: str, email: str) -> None:
    """On the start page: apply as a guest."""
    page.locator("#guest-email").fill(email)
    page.locator("form:has(#guest-email) button[type=submit]").click()


def find_place(page, query: str, ags: str) -> None:
    """The finder on a Leistung page: type the place; choose it if the query is ambiguous."""
    page.locator("#ort").fill(query)
    page.locator("form.aw-finder__form button[type=submit]").click()
    choice = page.locator(f"#gemeinde-{ags}")
    if choice.count():
        choice.check()
        page.locator(f"form:has(#gemeinde-{ags}) button[type=submit]").click()
    page.locator("#authority").wait_for()


def offenbach_ags() -> str:
    """Dietzenbach, a Gemeinde of Kreis Offenbach (its Zulassungsstelle adopted the service)."""
    from amtsweg.territory.models import Area

    return Area.objects.get(name__startswith="Dietzenbach", kind=Area.Kind.GEMEINDE).ags


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused (the way a keyboard user gets there)."""
    target = page.locator(selector)
    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_birth_certificate_as_guest_with_javascript(live_server, browser, axe_source, data,
                                                    watch):
    email = "gast.allendorf@example.org"
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = watch(context.new_page())
    mail.outbox.clear()

    # the Leistung page and the finder lead to the start page
    page.goto(live_server.url + "/leistungen/99027002012000/")
    find_place(page, "35108", ALLENDORF)
    assert "Allendorf (Eder)" in page.locator("#authority").inner_text()
    assert_accessible(page, axe_source, "Leistung with Standesamt")
    page.locator(f"#authority a[href$='/beantragen/geburtsurkunde/{ALLENDORF}/']").click()
    page.wait_for_url(f"**/beantragen/geburtsurkunde/{ALLENDORF}/")
    assert_accessible(page, axe_source, "start page")
    guest_start(page, live_server.url, email)
    page.wait_for_url(step_url("person"))
    assert any("fortsetzen" in m.body for m in mail.outbox if email in m.to), "no resume link"

    # step 1: submitted empty, it shows an error summary whose links lead to the fields
    assert page.locator(".aw-steps [aria-current=step]").count() == 1
    assert_accessible(page, axe_source, "step person")
    screenshot(page, "apply-step")
    page.locator(NEXT).click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert page.title().startswith(("Fehler", "Error"))
    assert summary.evaluate("e => e === document.activeElement"), "focus is not on the summary"
    links = summary.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs[:4] == ["#f-person-familienname", "#f-person-vornamen",
                         "#f-person-geburtsdatum", "#f-person-geburtsort"], hrefs
    for href in hrefs:
        field = page.locator(href)
        assert field.get_attribute("aria-invalid") == "true", href
        assert href[1:] + "--error" in field.get_attribute("aria-describedby"), href
    assert_accessible(page, axe_source, "step person with errors")
    screenshot(page, "apply-errors")
    links.nth(2).click()
    assert page.evaluate("document.activeElement.id") == "f-person-geburtsdatum"
    assert page.locator("label[for=f-person-geburtsdatum]").is_visible()
    links.nth(0).click()
    assert page.evaluate("document.activeElement.id") == "f-person-familienname"

    page.locator("#f-person-familienname").fill("Schmidt")
    page.locator("#f-person-vornamen").fill("Lena Marie")
    page.locator("#f-person-geburtsdatum").fill("1990-05-17")
    page.locator("#f-person-geburtsort").fill("Allendorf (Eder)")
    continue_to(page, "antrag")

    # step 2: choices reveal fields in place (htmx, no reload); a real PDF is uploaded
    assert_accessible(page, axe_source, "step antrag")
    page.evaluate("window.__sameDocument = true")
    assert page.locator("#f-zweck_sonstiges").count() == 0 or not page.locator(
        "#f-zweck_sonstiges").is_visible()
    page.locator("#f-zweck").focus()
    page.locator("#f-zweck").select_option("sonstiges")
    page.locator("#f-zweck_sonstiges").wait_for(state="visible")
    wait_for_swap(page)
    # the focus stays on the select in the new form
    page.wait_for_function("document.activeElement.id === 'f-zweck'", timeout=2000)
    page.locator("#f-beziehung").select_option("bevollmaechtigter")
    page.locator("#f-vollmacht").wait_for(state="visible")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    wait_for_swap(page)
    assert_accessible(page, axe_source, "step antrag with revealed fields")
    page.locator("#f-urkundenart").check()
    page.locator("#f-anzahl").fill("2")
    page.locator("#f-zweck_sonstiges").fill("Einbürgerung im Ausland")
    page.locator("#f-vollmacht").set_input_files(
        {"name": "vollmacht.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf()})
    continue_to(page, "antragsteller")

    # step 3: the applicant
    assert_accessible(page, axe_source, "step antragsteller")
    page.locator("#f-antragsteller-familienname").fill("Schmidt")
    page.locator("#f-antragsteller-vornamen").fill("Paul")
    fill_address(page, "antragsteller-anschrift")
    page.locator("#f-antragsteller-email").fill(email)
    continue_to(page, "zustellung")

    # step 4: delivery
    assert_accessible(page, axe_source, "step zustellung")
    page.locator("#f-zustellung").check()  # by post
    page.locator("#f-andere_lieferanschrift").wait_for(state="visible")
    wait_for_swap(page)
    assert_accessible(page, axe_source, "step zustellung by post")
    continue_to(page, "abschluss")

    # step 5: declarations
    assert_accessible(page, axe_source, "step abschluss")
    page.locator("#f-erklaerung").check()
    page.locator("#f-datenschutz").check()
    continue_to(page, "summary")

    # the summary shows the answers, the upload and the fee; then send
    main = page.locator("main").inner_text()
    for expected in ("Schmidt", "Lena Marie", "Einbürgerung im Ausland", "vollmacht.pdf",
                     "18,00" if "18,00" in main else "18.00"):
        assert expected in main, expected
    assert page.locator(".aw-steps__list li").count() == 6  # every step, then the summary
    assert page.locator(".aw-steps__list li").last.get_attribute("aria-current") == "step"
    assert_accessible(page, axe_source, "summary")
    screenshot(page, "apply-summary")
    page.locator("#declaration").check()
    page.locator("form:has(#declaration) button[type=submit]").click()
    page.wait_for_url("**/antrag/eingang/*/")
    receipt = re.search(r"AW-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", page.locator("main").inner_text())
    assert receipt, page.locator("main").inner_text()
    number = receipt.group(0)
    assert page.url.endswith(f"/antrag/eingang/{number}/")
    assert_accessible(page, axe_source, "confirmation")

    pdf_link = page.locator("main a[href$='.pdf']")
    response = page.request.get(live_server.url + pdf_link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    confirmations = [m for m in mail.outbox if email in m.to and number in m.subject]
    assert len(confirmations) == 1, [m.subject for m in mail.outbox]
    assert number in confirmations[0].body

    # the draft is gone: its pages lead to the receipt
    page.go_back()
    assert not watch.problems, "\n".join(watch.problems)
    context.close()


def test_birth_certificate_without_javascript(live_server, browser, data):
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    page.goto(live_server.url + f"/beantragen/geburtsurkunde/{ALLENDORF}/")
    guest_start(page, live_server.url, "ohne.js@example.org")
    page.wait_for_url(step_url("person"))
    page.locator("#f-person-familienname").fill("Weber")
    page.locator("#f-person-vornamen").fill("Jonas")
    page.locator("#f-person-geburtsdatum").fill("1985-11-02")
    page.locator("#f-person-geburtsort").fill("Kassel")
    continue_to(page, "antrag")

    # "Update form" (only shown without JavaScript) lets the server show the dependent field
    update = page.locator("button[name=_action][value=refresh]")
    assert update.is_visible()
    assert not page.locator("#f-zweck_sonstiges").is_visible()
    page.locator("#f-zweck").select_option("sonstiges")
    update.click()
    page.wait_for_load_state()
    assert page.locator("#f-zweck_sonstiges").is_visible()
    assert page.locator("#f-zweck").input_value() == "sonstiges"
    assert page.locator("#error-summary").count() == 0  # refreshing is no failed submit

    # "Continue" re-renders too: the field that a choice revealed is asked for at once
    page.locator("#f-beziehung").select_option("bevollmaechtigter")
    page.locator("#f-urkundenart").check()
    page.locator("#f-anzahl").fill("1")
    page.locator("#f-zweck_sonstiges").fill("Auswanderung")
    page.locator(NEXT).click()
    page.wait_for_url(step_url("antrag"))
    assert page.locator("#f-vollmacht").is_visible()
    assert page.locator("#error-summary a[href='#f-vollmacht']").count() == 1
    page.locator("#f-vollmacht").set_input_files(
        {"name": "vollmacht.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf()})
    continue_to(page, "antragsteller")
    page.locator(BACK).click()
    page.wait_for_url(step_url("antrag"))
    assert "vollmacht.pdf" in page.locator(".aw-uploads").inner_text()
    assert page.locator("#f-zweck_sonstiges").input_value() == "Auswanderung"
    context.close()


def test_licence_plate_in_kreis_offenbach_as_guest(live_server, browser, axe_source, data,
                                                   watch):
    email = "kennzeichen@example.org"
    context = browser.new_context(locale="de-DE")
    page = watch(context.new_page())
    mail.outbox.clear()
    page.goto(live_server.url + "/leistungen/99036009072003/")
    find_place(page, "Dietzenbach", offenbach_ags())
    assert "Offenbach" in page.locator("#authority").inner_text()
    page.locator("#authority a[href*='/beantragen/wunschkennzeichen/']").click()
    page.wait_for_url("**/beantragen/wunschkennzeichen/*/")
    assert_accessible(page, axe_source, "start page Wunschkennzeichen")
    guest_start(page, live_server.url, email)

    # the first step with the keyboard only: Tab, Space on a radio, typing, Enter
    page.wait_for_url(step_url("kennzeichen"))
    assert_accessible(page, axe_source, "step kennzeichen")
    tab_to(page, "#f-anlass")
    page.keyboard.press("Space")
    assert page.locator("#f-anlass").is_checked()
    tab_to(page, "#f-unterscheidungszeichen")
    page.keyboard.type("OF")
    page.keyboard.press("Tab")
    page.keyboard.type("xy")  # lower case is refused
    page.keyboard.press("Tab")
    page.keyboard.type("123")
    # an alternative plate: "Add entry" with the keyboard; the entry has a remove button
    tab_to(page, "button[name=_action][value='add:alternativen']")
    page.keyboard.press("Enter")
    remove = page.locator("button[name=_action][value='remove:alternativen.0']")
    remove.wait_for()
    assert page.locator("#f-erkennungsbuchstaben").input_value() == "xy"  # kept, not checked
    assert page.locator("#error-summary").count() == 0
    tab_to(page, "#f-alternativen-0-erkennungsbuchstaben")
    page.keyboard.type("CD")
    page.keyboard.press("Tab")
    page.keyboard.type("7")
    # Enter in a field submits "Continue" (here: the step has an error), never "Remove entry"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#f-alternativen-0-erkennungsbuchstaben").input_value() == "CD"
    summary = page.locator("#error-summary")
    assert summary.evaluate("e => e === document.activeElement")
    assert summary.locator("a").count() == 1
    assert_accessible(page, axe_source, "step kennzeichen with an error")
    page.keyboard.press("Tab")  # the summary's link, Enter follows it to the field
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-erkennungsbuchstaben"
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("XY")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(step_url("fahrzeug"))

    assert_accessible(page, axe_source, "step fahrzeug")
    page.locator("#f-fahrzeugart").select_option("pkw")
    page.locator("#f-saisonkennzeichen").check()
    page.locator("#f-saison_von").wait_for(state="visible")
    wait_for_swap(page)
    assert_accessible(page, axe_source, "step fahrzeug with season")
    page.locator("#f-saison_von").select_option("04")
    page.locator("#f-saison_bis").select_option("10")
    continue_to(page, "halter")

    assert_accessible(page, axe_source, "step halter")
    page.locator("#f-halter-haltertyp").check()  # a person
    page.locator("#f-halter-familienname").wait_for(state="visible")
    wait_for_swap(page)
    assert_accessible(page, axe_source, "step halter as a person")
    page.locator("#f-halter-familienname").fill("Yılmaz")
    page.locator("#f-halter-vornamen").fill("Deniz")
    page.locator("#f-halter-geburtsdatum").fill("1979-03-30")
    fill_address(page, "halter-anschrift", "Offenbacher Straße", "5", "63128", "Dietzenbach")
    page.locator("#f-halter-email").fill(email)
    continue_to(page, "abschluss")

    assert_accessible(page, axe_source, "step abschluss Wunschkennzeichen")
    page.locator("#f-erklaerung").check()
    page.locator("#f-datenschutz").check()
    continue_to(page, "summary")
    main = page.locator("main").inner_text()
    for expected in ("OF", "XY", "123", "CD", "7", "Yılmaz", "12,80"):
        assert expected in main, expected
    assert_accessible(page, axe_source, "summary Wunschkennzeichen")

    # sending without the declaration is refused with an error that links to the checkbox
    page.locator("form:has(#declaration) button[type=submit]").click()
    page.locator("#error-summary a[href='#declaration']").wait_for()
    assert page.locator("#declaration").get_attribute("aria-invalid") == "true"
    assert_accessible(page, axe_source, "summary without the declaration")
    page.locator("#declaration").check()
    page.locator("form:has(#declaration) button[type=submit]").click()
    page.wait_for_url("**/antrag/eingang/*/")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert number in page.locator("main").inner_text()
    assert_accessible(page, axe_source, "confirmation Wunschkennzeichen")
    assert any(number in m.subject for m in mail.outbox if email in m.to)
    assert not watch.problems, watch.problems
    context.close()


def test_parental_allowance_with_test_eid_prefills_the_applicant(live_server, browser,
                                                                 axe_source, data, settings,
                                                                 watch):
    settings.TEST_EID_ENABLED = True
    context, page = german_page_for_new_account(browser, "eltern@example.org")
    watch(page)
    start = f"/beantragen/elterngeld/{FULDA}/"
    log_in(page, live_server.url, "eltern@example.org", PASSWORD,
           f"/konto/vertrauensniveau/?level=substanziell&next={start}")
    page.wait_for_url("**/konto/vertrauensniveau/**")
    page.locator("form:has(input[name=provider][value=test-eid]) button").click()
    page.wait_for_url("**/konto/eid/test/**")
    page.locator("form.aw-form button[type=submit]").click()
    page.wait_for_url("**" + start)
    assert_accessible(page, axe_source, "start page Elterngeld")

    page.locator("#prefill").check()
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url(step_url("kind"))
    assert_accessible(page, axe_source, "step kind")
    born = dt.date.today() - dt.timedelta(days=40)
    page.locator("#f-kind-vornamen").fill("Mia")
    page.locator("#f-kind-familienname").fill("Mustermann")
    page.locator("#f-kind-geburtsdatum").fill(born.isoformat())
    page.locator("#f-kind-fruehgeburt").check()
    page.locator("#f-kind-errechneter_termin").wait_for(state="visible")
    wait_for_swap(page)
    page.locator("#f-kind-errechneter_termin").fill((born + dt.timedelta(days=50)).isoformat())
    continue_to(page, "antragsteller")

    # the applicant's data come from the eID
    assert page.locator("#f-antragsteller-vornamen").input_value() == "Erika"
    assert page.locator("#f-antragsteller-familienname").input_value() == "Mustermann"
    assert page.locator("#f-antragsteller-geburtsdatum").input_value() == "1964-08-12"
    assert page.locator("#f-antragsteller-anschrift-street").input_value() == "Heidestraße"
    assert page.locator("#f-antragsteller-anschrift-postal_code").input_value() == "51147"
    assert page.locator("#f-antragsteller-email").input_value() == "eltern@example.org"
    assert_accessible(page, axe_source, "step antragsteller prefilled")
    page.locator(NEXT).click()
    page.locator("#error-summary").wait_for()
    assert_accessible(page, axe_source, "step antragsteller with errors")
    assert page.locator("#f-antragsteller-vornamen").input_value() == "Erika"
    assert not watch.problems, watch.problems
    context.close()


def test_housing_benefit_saved_and_continued_after_logging_in_again(live_server, browser,
                                                                    axe_source, data):
    context, page = german_page_for_new_account(browser, "wohnen@example.org")
    start = f"/beantragen/wohngeld/{FULDA}/"
    log_in(page, live_server.url, "wohnen@example.org", PASSWORD, start)
    page.wait_for_url("**" + start)
    page.locator("main form[method=post] button[type=submit]").last.click()

    page.wait_for_url(step_url("antrag"))
    page.locator("#f-zuschussart").check()  # rent
    page.locator("#f-antragsart").check()  # first application
    page.locator("#f-antragsteller-familienname").fill("Becker")
    page.locator("#f-antragsteller-vornamen").fill("Anna")
    page.locator("#f-antragsteller-geburtsdatum").fill("1970-01-31")
    choose_first(page, "#f-antragsteller-geschlecht")
    choose_first(page, "#f-antragsteller-familienstand")
    choose_first(page, "#f-antragsteller-staatsangehoerigkeit")
    fill_address(page, "antragsteller-anschrift", "Bahnhofstraße", "3", "36037", "Fulda")
    page.locator("#f-antragsteller-einzugsdatum").fill("2015-04-01")
    page.locator("#f-antragsteller-email").fill("wohnen@example.org")
    continue_to(page, "haushalt")

    assert_accessible(page, axe_source, "step haushalt")
    page.locator("#f-haushalt-0-familienname").fill("Becker")
    page.locator("#f-haushalt-0-vornamen").fill("Anna")
    page.locator(SAVE).click()
    page.wait_for_url("**/antrag/*/gespeichert/")
    assert_accessible(page, axe_source, "saved")

    page.goto(live_server.url + "/konto/")
    page.locator("form[action$='/abmelden/'] button[type=submit]").first.click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/konto/antraege/")
    page.wait_for_url("**/konto/anmelden/**")

    log_in(page, live_server.url, "wohnen@example.org", PASSWORD, "/konto/antraege/")
    page.wait_for_url("**/konto/antraege/")
    assert_accessible(page, axe_source, "my applications")
    page.locator("main a[href*='/antrag/'][href*='/schritt/']").first.click()
    page.wait_for_url(step_url("haushalt"))
    assert page.locator("#f-haushalt-0-familienname").input_value() == "Becker"
    assert page.locator("#f-haushalt-0-vornamen").input_value() == "Anna"
    page.locator(BACK).click()
    page.wait_for_url(step_url("antrag"))
    assert page.locator("#f-zuschussart").is_checked()
    assert page.locator("#f-antragsteller-anschrift-street").input_value() == "Bahnhofstraße"
    assert page.locator("#f-antragsteller-einzugsdatum").input_value() == "2015-04-01"
    context.close()
