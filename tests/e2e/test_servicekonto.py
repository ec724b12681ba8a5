"""A new person creates a Servicekonto in Chromium; axe-core checks every page state."""

import re

import pytest
from django.core import mail

from tests.e2e.test_citizen_journey import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


PASSWORD = "Ein langer Satz als Passwort 7"


def german_page_for_new_account(browser, email: str):
    """A confirmed account and a fresh German browser context (close it at the end)."""
    from amtsweg.accounts.models import User

    User.objects.create_user(email, PASSWORD, email_verified_at="2026-01-01T00:00Z")
    context = browser.new_context(locale="de-DE")
    return context, context.new_page()


def log_in(page, base: str, email: str, password: str, next_path: str = "") -> None:
    from urllib.parse import quote

    page.goto(base + "/konto/anmelden/" + (f"?next={quote(next_path)}" if next_path else ""))
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def test_register_confirm_login_logout(live_server, browser, axe_source):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    mail.outbox.clear()

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Anmelden").click()
    assert_accessible(page, axe_source, "login")
    page.get_by_role("link", name="Servicekonto anlegen").click()
    assert_accessible(page, axe_source, "registration")

    # a mistake first: the form says what is wrong, and keeps what was typed
    page.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    page.get_by_label("Passwort", exact=True).fill("kurz")
    page.get_by_label("Passwort wiederholen").fill("kurz")
    page.get_by_role("button", name="Konto anlegen").click()
    assert page.locator("#id_password1").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("E-Mail-Adresse").input_value() == "erika@example.org"
    assert_accessible(page, axe_source, "registration with errors")

    password = "Ein langer Satz als Passwort 7"
    page.get_by_label("Vorname").fill("Erika")
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_label("Passwort wiederholen").fill(password)
    page.locator("#id_privacy").check()
    page.get_by_role("button", name="Konto anlegen").click()
    page.wait_for_url("**/konto/registrieren/gesendet/")
    assert_accessible(page, axe_source, "check your mailbox")

    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.wait_for_url("**/konto/anmelden/")
    assert_accessible(page, axe_source, "login after confirmation")

    page.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    page.get_by_label("Passwort").fill("falsches Passwort!!")
    page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_role("alert").first.is_visible()
    assert_accessible(page, axe_source, "login error")
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/konto/")
    assert "erika@example.org" in page.locator("main").inner_text()
    assert_accessible(page, axe_source, "account")

    page.get_by_role("button", name="Abmelden", exact=True).click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("link", name="Anmelden").is_visible()
    assert not problems, problems
    context.close()


def test_password_reset_pages_are_accessible(live_server, browser, axe_source):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    for url in ["/konto/passwort-vergessen/", "/konto/bestaetigen-erneut/",
                "/konto/passwort-neu/x/y/", "/konto/bestaetigen/kaputt/"]:
        page.goto(live_server.url + url)
        assert_accessible(page, axe_source, url)
    context.close()


def test_two_factor_setup_and_login(live_server, browser, axe_source):
    import time

    import pyotp


    password = PASSWORD
    context, page = german_page_for_new_account(browser, "zwei@example.org")

    log_in(page, live_server.url, "zwei@example.org", password)
    page.get_by_role("link", name="Anmeldung mit zwei Faktoren einrichten").click()
    assert page.locator(".aw-qr svg").is_visible()
    assert_accessible(page, axe_source, "2FA setup")
    secret = page.locator(".aw-qr code").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    # right after the login the password is not asked again (issue 11, finding 8, and the
    # demo regression of asking twice)
    assert page.get_by_label("Ihr Passwort").count() == 0
    page.get_by_role("button", name="Aktivieren").click()
    assert page.locator(".aw-codes li").count() == 10
    assert_accessible(page, axe_source, "recovery codes")
    page.goto(live_server.url + "/konto/")
    page.get_by_role("button", name="Abmelden", exact=True).click()

    log_in(page, live_server.url, "zwei@example.org", password)
    page.wait_for_url("**/konto/anmelden/zweiter-faktor/")
    assert_accessible(page, axe_source, "second factor")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url("**/konto/")
    assert_accessible(page, axe_source, "account with 2FA")
    context.close()


def test_step_up_with_test_eid_and_see_confirmed_data(live_server, browser, axe_source,
                                                      settings):

    settings.TEST_EID_ENABLED = True
    password = PASSWORD
    context, page = german_page_for_new_account(browser, "eid@example.org")
    log_in(page, live_server.url, "eid@example.org", password, "/konto/profil/")
    page.wait_for_url("**/konto/profil/")
    assert_accessible(page, axe_source, "profile")
    page.goto(live_server.url + "/konto/vertrauensniveau/?level=substanziell&next=/konto/profil/")
    assert_accessible(page, axe_source, "step-up choice")
    page.get_by_role("button", name="Test-eID (Demo)").click()
    page.wait_for_url("**/konto/eid/test/**")
    assert_accessible(page, axe_source, "test eID")
    page.locator("form.aw-form button[type=submit]").click()
    page.wait_for_url("**/konto/profil/")
    assert page.locator("#p-family_name").input_value() == "Mustermann"
    assert page.locator("#p-family_name").get_attribute("readonly") is not None
    assert_accessible(page, axe_source, "profile with confirmed data")
    context.close()


def test_postfach_pages_are_accessible(live_server, browser, axe_source):
    from django.core.management import call_command

    from amtsweg.accounts.models import User
    from amtsweg.mailbox.actions import deliver
    from amtsweg.territory.models import Area, Authority

    if not Area.objects.exists():
        call_command("import_data", demo=True, quiet=True, verbosity=0)
    password = "Ein langer Satz als Passwort 7"
    user = User.objects.create_user("post@example.org", password,
                                    email_verified_at="2026-01-01T00:00Z")
    message = deliver(account=user, authority=Authority.objects.get(
        name="Standesamt der Stadt Fulda"), subject="Ihre Geburtsurkunde",
        body="Guten Tag,\nanbei die Urkunde.")
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    log_in(page, live_server.url, "post@example.org", password, "/konto/postfach/")
    page.wait_for_url("**/konto/postfach/")
    assert "1" in page.get_by_role("link", name="Postfach").inner_text()
    assert_accessible(page, axe_source, "Postfach")
    page.get_by_role("link", name="Ihre Geburtsurkunde").click()
    page.wait_for_url(f"**/konto/postfach/{message.pk}/")
    assert_accessible(page, axe_source, "message")
    page.get_by_label("Ihr Text").fill("Vielen Dank!")
    page.get_by_role("button", name="Antwort senden").click()
    assert "Vielen Dank!" in page.locator("main").inner_text()
    assert_accessible(page, axe_source, "message with answer")
    for url in ["/konto/", "/konto/daten/export/", "/konto/loeschen/"]:
        page.goto(live_server.url + url)
        assert_accessible(page, axe_source, url)
    page.get_by_label("Passwort").fill(password)
    page.locator("#del-confirm").check()
    page.get_by_role("button", name="Endgültig löschen").click()
    page.wait_for_url(live_server.url + "/")
    assert not User.objects.filter(email="post@example.org").exists()
    context.close()


def test_organisation_pages_are_accessible(live_server, browser, axe_source):

    password = PASSWORD
    context, page = german_page_for_new_account(browser, "org@example.org")
    log_in(page, live_server.url, "org@example.org", password, "/konto/organisationen/")
    page.wait_for_url("**/konto/organisationen/")
    assert_accessible(page, axe_source, "organisations")
    page.get_by_label("Name").fill("Taxi Müller GmbH")
    page.get_by_role("button", name="Anlegen").click()
    page.wait_for_url("**/konto/organisationen/*/")
    assert_accessible(page, axe_source, "organisation")
    page.get_by_label("E-Mail-Adresse").fill("fahrer@example.org")
    page.get_by_role("button", name="Einladung senden").click()
    assert "fahrer@example.org" in page.locator("main").inner_text()
    page.get_by_role("button", name="Für Taxi Müller GmbH handeln").click()
    page.wait_for_url("**/konto/")
    assert "Taxi Müller GmbH" in page.locator("main").inner_text()
    assert_accessible(page, axe_source, "acting for an organisation")
    context.close()


def test_oidc_consent_page_is_accessible(live_server, browser, axe_source):
    from urllib.parse import urlencode

    from amtsweg.accounts.models import OidcClient

    context, page = german_page_for_new_account(browser, "rp@example.org")
    OidcClient.objects.create(client_id="fachportal", name="Fachportal Hessen",
                              redirect_uris="https://fachportal.example/callback")
    query = urlencode({"client_id": "fachportal", "response_type": "code",
                       "redirect_uri": "https://fachportal.example/callback",
                       "scope": "openid email profile", "code_challenge": "x" * 43,
                       "code_challenge_method": "S256", "state": "s"})
    log_in(page, live_server.url, "rp@example.org", PASSWORD, "/oidc/authorize?" + query)
    assert "Fachportal Hessen" in page.locator("h1").inner_text()
    assert_accessible(page, axe_source, "OIDC consent")
    context.close()
