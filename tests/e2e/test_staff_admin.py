"""Back-office leftovers in Chromium: an administrator invites a new clerk, the clerk sets the
password through the e-mailed link; the case page with read receipts and an open invoice.
axe-core checks the staff pages, the invitation page and the case page."""

import re

import pytest
from django.core import mail

from amtsweg.accounts.models import StaffRole, User
from tests.e2e.test_citizen_journey import assert_accessible, data  # noqa: F401
from tests.e2e.test_designer import staff_page
from tests.services.staff import fulda, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_invites_a_clerk(live_server, browser, axe_source, data):  # noqa: F811
    admin = staff(("admin", fulda()))
    staff(("lead", fulda()))
    context, page = staff_page(browser, live_server, admin)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/verwaltung/")
    page.locator("a[href='/verwaltung/personal/']").first.click()
    page.wait_for_url("**/verwaltung/personal/")
    assert_accessible(page, axe_source, "staff list")
    mail.outbox.clear()
    page.locator("#id_email").fill("nina.neu@amt.example")
    page.locator("#id_role").select_option("clerk")
    page.locator("#id_first_name").fill("Nina")
    page.locator("#id_last_name").fill("Neu")
    page.locator("#h-grant ~ form button[type=submit]").click()
    page.wait_for_url("**/verwaltung/personal/?authority=*")
    assert "nina.neu@amt.example" in page.locator(".kern-alert").first.inner_text()
    assert_accessible(page, axe_source, "staff list after granting")
    page.get_by_role("link", name="Nina Neu").click()
    page.wait_for_url("**/verwaltung/personal/person/*/")
    assert_accessible(page, axe_source, "person")
    context.close()

    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    invited = browser.new_context(locale="de-DE")
    page = invited.new_page()
    page.goto(link)
    assert_accessible(page, axe_source, "invitation")
    page.locator("#id_new_password1").fill("Ein langer Satz als Passwort 7")
    page.locator("#id_new_password2").fill("Ein langer Satz als Passwort 7")
    page.locator("form.aw-form button[type=submit]").click()
    page.wait_for_url("**/konto/anmelden/")
    person = User.objects.get(email="nina.neu@amt.example")
    assert person.check_password("Ein langer Satz als Passwort 7") and person.email_verified
    assert StaffRole.objects.filter(user=person, authority=fulda(), role="clerk").exists()
    invited.close()
    assert not problems


def test_case_page_with_read_receipts_and_invoice(live_server, browser, axe_source,
                                                  data):  # noqa: F811
    """The clerk's case page with a Postfach message (read receipt) and an open invoice."""
    from amtsweg.cases import actions
    from amtsweg.payments.models import Payment
    from tests.cases.test_postfach import submit_with_account
    from tests.submissions.conftest import make_small_service

    adoption = make_small_service(fulda())
    applicant = User.objects.create_user("leserin@example.org", "Ein langer Satz 7 als Wort")
    submission = submit_with_account(adoption, applicant)
    case = submission.case
    clerk = staff(("clerk", fulda()))
    actions.transition(clerk, case.pk, "pruefen")
    actions.transition(clerk, case.pk, "nachfordern", note="Bitte Ausweiskopie nachreichen.")
    Payment.objects.create(draft_key=submission.draft_key, submission=submission,
                           authority=fulda(), amount=12, provider="invoice",
                           state=Payment.State.INVOICE_OPEN, reference=case.receipt_number)
    context, page = staff_page(browser, live_server, clerk)
    page.goto(f"{live_server.url}/verwaltung/faelle/{case.pk}/")
    assert page.locator("[data-read=no]").count() == 1
    assert_accessible(page, axe_source, "case page with Postfach messages and an invoice")
    page.locator("form[action*='/zahlung/'] button").click()
    page.wait_for_url(f"**/verwaltung/faelle/{case.pk}/")
    assert page.locator("[data-payment-state=invoice_paid]").count() == 1
    assert_accessible(page, axe_source, "case page after marking the invoice paid")
    context.close()
