"""Staff management in Chromium: an administrator invites a new clerk, the clerk sets the
password through the e-mailed link; axe-core checks the staff pages and the invitation page."""

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
