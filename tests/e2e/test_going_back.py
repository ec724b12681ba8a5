"""Issue 12, the class behind the blockers: people go back, change their mind and resume.

Wohngeld in Chromium with a Servicekonto: upload files, go forward, back, send the upload step
again without choosing files, change answers through the summary's "Ändern", save, log out,
resume from "Meine Anträge", send; then no answer and no file may be missing. On the way:
the same file twice is stored once, "Deutschland" in the Staat list is checked as a German
address and not shown as a code, and the household member's conditional fields start hidden
(with and without JavaScript). axe-core checks the pages at 1280 and 320 px.
"""

import pytest

from tests.e2e.test_apply_online import (
    BACK,
    FULDA,
    NEXT,
    SAVE,
    choose_first,
    continue_to,
    data,  # noqa: F401 - fixture
    fill_address,
    step_url,
    tiny_pdf,
    wait_for_swap,
    watch,  # noqa: F401 - fixture
)
from tests.e2e.test_citizen_journey import assert_accessible
from tests.e2e.test_servicekonto import PASSWORD, german_page_for_new_account, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00"
       b"\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18"
       b"\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
EMAIL = "zurueck@example.org"


def pdf(name: str, extra: bytes = b"") -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": tiny_pdf() + extra}


def listed(page, key: str) -> list[str]:
    """The file names listed at a file item."""
    items = page.locator(f"[data-path='{key}'] .aw-upload .kern-body, "
                         f".aw-conditional[data-path='{key}'] .aw-upload .kern-body")
    return [items.nth(i).inner_text().split(" (")[0] for i in range(items.count())]


def axe_both(page, axe_source, name: str) -> None:
    assert_accessible(page, axe_source, f"{name} at 1280 px")
    page.set_viewport_size({"width": 320, "height": 800})
    try:
        assert_accessible(page, axe_source, f"{name} at 320 px")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_housing_benefit_back_change_resume_loses_nothing(live_server, browser, axe_source,
                                                          data, watch):  # noqa: F811
    from amtsweg.submissions.models import Submission

    context, page = german_page_for_new_account(browser, EMAIL)
    page.set_viewport_size({"width": 1280, "height": 900})
    watch(page)
    start = f"/beantragen/wohngeld/{FULDA}/"
    log_in(page, live_server.url, EMAIL, PASSWORD, start)
    page.wait_for_url("**" + start)
    page.locator("main form[method=post] button[type=submit]").last.click()

    # Antrag: the address in Germany chosen from the Staat list ("000") is checked
    page.wait_for_url(step_url("antrag"))
    page.locator("#f-zuschussart").check()  # rent
    page.locator("#f-antragsart").check()  # first application
    page.locator("#f-antragsteller-familienname").fill("Becker")
    page.locator("#f-antragsteller-vornamen").fill("Anna")
    page.locator("#f-antragsteller-geburtsdatum").fill("1970-01-31")
    choose_first(page, "#f-antragsteller-geschlecht")
    choose_first(page, "#f-antragsteller-familienstand")
    choose_first(page, "#f-antragsteller-staatsangehoerigkeit")
    fill_address(page, "antragsteller-anschrift", "Bahnhofstraße", "3", "99999", "Nirgendwo")
    page.locator("#f-antragsteller-anschrift-country").select_option("000")
    page.locator("#f-antragsteller-einzugsdatum").fill("2015-04-01")
    page.locator("#f-antragsteller-email").fill(EMAIL)
    page.locator(NEXT).click()
    page.locator("#error-summary a[href='#f-antragsteller-anschrift']").wait_for()
    fill_address(page, "antragsteller-anschrift", "Bahnhofstraße", "3", "36037", "Fulda")
    continue_to(page, "haushalt")

    # Haushalt: the member's conditional fields start hidden and follow their checkbox
    axe_both(page, axe_source, "step haushalt")
    assert page.locator("#f-haushalt-0-familienname").is_visible()
    for hidden in ("#f-haushalt-0-gdb", "#f-haushalt-0-einkommensarten",
                   "#f-haushalt-0-brutto_monatlich"):
        assert not page.locator(hidden).is_visible(), hidden
    page.locator("#f-haushalt-0-familienname").fill("Becker")
    page.locator("#f-haushalt-0-vornamen").fill("Anna")
    page.locator("#f-haushalt-0-geburtsdatum").fill("1970-01-31")
    choose_first(page, "#f-haushalt-0-verhaeltnis")
    page.locator("#f-haushalt-0-schwerbehindert").check()
    page.locator("#f-haushalt-0-gdb").wait_for(state="visible")
    wait_for_swap(page)
    page.locator("#f-haushalt-0-gdb").fill("100")
    assert not page.locator("#f-haushalt-0-einkommensarten").is_visible()
    continue_to(page, "wohnung")

    page.locator("#f-wohnflaeche").fill("62")
    page.locator("#f-zimmer").fill("3")
    page.locator("#f-heizung").check()
    page.locator("#f-miete-grundmiete").fill("540")
    page.locator("#f-miete-nebenkosten").fill("120")
    page.locator("#f-miete-vermieter_name").fill("Hausverwaltung Ost")
    fill_address(page, "miete-vermieter_anschrift", "Marktstraße", "8", "36037", "Fulda")
    continue_to(page, "weitere_angaben")
    continue_to(page, "bank_unterlagen")

    # Bankverbindung und Nachweise: files, one of them twice
    page.locator("#f-kontoinhaber").fill("Anna Becker")
    page.locator("#f-iban").fill("DE89 3704 0044 0532 0130 00")
    page.locator("#f-mietvertrag").set_input_files(
        [pdf("mietvertrag.pdf"), pdf("mieterhoehung.pdf", b"% 2024\n")])
    page.locator("#f-schwerbehindertenausweis").set_input_files(pdf("ausweis.pdf", b"% sb\n"))
    page.locator("#f-sonstige_nachweise").set_input_files(
        {"name": "foto.png", "mimeType": "image/png", "buffer": PNG})
    continue_to(page, "abschluss")
    page.locator(BACK).click()
    page.wait_for_url(step_url("bank_unterlagen"))
    axe_both(page, axe_source, "step bank_unterlagen with files")
    assert listed(page, "mietvertrag") == ["mietvertrag.pdf", "mieterhoehung.pdf"]
    page.locator("#f-mietvertrag").set_input_files(pdf("mietvertrag-kopie.pdf"))
    page.locator(SAVE).click()  # the copy is not stored, and the person is told
    page.wait_for_url("**/antrag/*/gespeichert/")
    page.go_back()
    page.goto(page.url)
    assert listed(page, "mietvertrag") == ["mietvertrag.pdf", "mieterhoehung.pdf"]

    # sent again without choosing files: "Weiter" goes on, nothing is lost
    continue_to(page, "abschluss")
    for key in ("erklaerung", "mitwirkung", "datenabgleich", "datenschutz"):
        page.locator(f"#f-{key}").check()
    continue_to(page, "summary")
    main = page.locator("main").inner_text()
    for expected in ("mietvertrag.pdf", "mieterhoehung.pdf", "ausweis.pdf", "foto.png",
                     "Bahnhofstraße 3, 36037 Fulda"):
        assert expected in main, expected
    assert ", 000" not in main and "mietvertrag-kopie" not in main

    # "Ändern": the rent, and on the upload step "Zurück" and "Weiter" without files
    page.locator("main a[href$='/schritt/wohnung/']").click()
    page.wait_for_url(step_url("wohnung"))
    page.locator("#f-miete-grundmiete").fill("560")
    continue_to(page, "weitere_angaben")
    page.goto(live_server.url + page.url.split(live_server.url)[1].replace(
        "/schritt/weitere_angaben/", "/zusammenfassung/"))
    page.locator("main a[href$='/schritt/bank_unterlagen/']").click()
    page.wait_for_url(step_url("bank_unterlagen"))
    page.locator("#f-kontoinhaber").fill("Anna M. Becker")
    page.locator(BACK).click()
    page.wait_for_url(step_url("weitere_angaben"))
    continue_to(page, "bank_unterlagen")
    assert listed(page, "mietvertrag") == ["mietvertrag.pdf", "mieterhoehung.pdf"]
    assert page.locator("#f-kontoinhaber").input_value() == "Anna M. Becker"

    # save, log out, resume another day from "Meine Anträge"
    page.locator(SAVE).click()
    page.wait_for_url("**/antrag/*/gespeichert/")
    page.goto(live_server.url + "/konto/")
    page.locator("form[action$='/abmelden/'] button[type=submit]").first.click()
    page.wait_for_url(live_server.url + "/")
    log_in(page, live_server.url, EMAIL, PASSWORD, "/konto/antraege/")
    page.wait_for_url("**/konto/antraege/")
    page.locator("main a[href*='/antrag/'][href*='/schritt/']").first.click()
    page.wait_for_url(step_url("bank_unterlagen"))
    assert listed(page, "mietvertrag") == ["mietvertrag.pdf", "mieterhoehung.pdf"]
    assert listed(page, "schwerbehindertenausweis") == ["ausweis.pdf"]
    assert listed(page, "sonstige_nachweise") == ["foto.png"]
    continue_to(page, "abschluss")
    continue_to(page, "summary")
    axe_both(page, axe_source, "summary after resuming")
    main = page.locator("main").inner_text()
    for expected in ("mietvertrag.pdf", "mieterhoehung.pdf", "ausweis.pdf", "foto.png",
                     "Anna M. Becker", "560,00", "Bahnhofstraße 3, 36037 Fulda"):
        assert expected in main, expected
    page.locator("#declaration").check()
    page.locator("form:has(#declaration) button[type=submit]").click()
    page.wait_for_url("**/antrag/eingang/*/")

    submission = Submission.objects.get(user__email=EMAIL)
    answers = submission.content["answers"]
    names = {str(u.pk): u.name for u in submission.uploads.all()}
    assert [names[i] for i in answers["mietvertrag"]] == ["mietvertrag.pdf",
                                                          "mieterhoehung.pdf"]
    assert [names[i] for i in answers["schwerbehindertenausweis"]] == ["ausweis.pdf"]
    assert [names[i] for i in answers["sonstige_nachweise"]] == ["foto.png"]
    assert len(names) == 4
    assert answers["miete"]["grundmiete"] == "560.00"
    assert answers["kontoinhaber"] == "Anna M. Becker"
    assert answers["haushalt"][0]["gdb"] == 100
    assert answers["antragsteller"]["anschrift"]["country"] == "DE"
    assert not watch.problems, watch.problems
    context.close()


def test_household_conditional_fields_start_hidden_without_javascript(live_server, browser,
                                                                      data):  # noqa: F811
    from amtsweg.accounts.models import User

    User.objects.create_user("ohnejs@example.org", PASSWORD,
                             email_verified_at="2026-01-01T00:00Z")
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    start = f"/beantragen/wohngeld/{FULDA}/"
    log_in(page, live_server.url, "ohnejs@example.org", PASSWORD, start)
    page.wait_for_url("**" + start)
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url(step_url("antrag"))
    page.goto(page.url.replace("/schritt/antrag/", "/schritt/haushalt/"))
    page.wait_for_url(step_url("haushalt"))
    assert page.locator("#f-haushalt-0-familienname").is_visible()
    assert not page.locator("#f-haushalt-0-gdb").is_visible()
    assert not page.locator("#f-haushalt-0-einkommensarten").is_visible()
    page.locator("#f-haushalt-0-schwerbehindert").check()
    page.locator("button[name=_action][value=refresh]").click()
    page.wait_for_load_state()
    assert page.locator("#f-haushalt-0-gdb").is_visible()
    assert not page.locator("#f-haushalt-0-einkommensarten").is_visible()
    context.close()
