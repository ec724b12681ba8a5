"""Servicekonto: registration, e-mail confirmation, login, throttling, sessions, reset."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import timezone

from amtsweg.accounts.models import User
from tests.accounts.conftest import CommitClient as Client

pytestmark = pytest.mark.django_db

PASSWORD = "Ein langer Satz als Passwort 7"


def register(client, email="erika@example.org", password=PASSWORD, **extra):
    data = {"email": email, "first_name": "Erika", "last_name": "Mustermann",
            "password1": password, "password2": password, "privacy": "on", **extra}
    return client.post("/konto/registrieren/", data)


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def registered_user(client, email="erika@example.org") -> User:
    register(client, email)
    client.get(link_in(mail.outbox[-1]))
    return User.objects.get(email=email)


def login(client, email="erika@example.org", password=PASSWORD, **extra):
    return client.post("/konto/anmelden/", {"email": email, "password": password, **extra})


def test_register_confirm_and_log_in(client):
    response = register(client, "Erika@Example.org")
    assert response.status_code == 302 and response.url == "/konto/registrieren/gesendet/"
    user = User.objects.get(email="erika@example.org")
    assert user.password.startswith("argon2$argon2id$")
    assert not user.email_verified
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erika@example.org"]
    assert login(client).status_code == 400  # not confirmed yet
    assert "bestätigen" in login(client).content.decode()

    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified
    response = login(client)
    assert response.status_code == 302 and response.url == "/konto/"
    page = client.get("/konto/").content.decode()
    assert "erika@example.org" in page and "Erika Mustermann" in page


def test_broken_or_forged_confirmation_link(client):
    register(client)
    link = link_in(mail.outbox[0])
    assert client.get(link[:-3] + "xyz/").status_code == 400
    with mock.patch("django.core.signing.time.time", return_value=4e9):
        assert client.get(link).status_code == 400  # expired
    assert not User.objects.get().email_verified


def test_registration_does_not_reveal_existing_accounts(client):
    registered_user(client)
    mail.outbox.clear()
    response = register(Client(), "erika@example.org", "Ein ganz anderes Passwort 9")
    assert response.status_code == 302 and response.url == "/konto/registrieren/gesendet/"
    assert User.objects.count() == 1
    assert len(mail.outbox) == 1 and "bereits" in mail.outbox[0].body


@pytest.mark.parametrize(("password", "fragment"), [
    ("kurz", "12"), ("password1234", "üblich"), ("x" * 300, "256"),
])
def test_password_rules(client, password, fragment):
    response = register(client, password=password)
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert not User.objects.exists()


def test_registration_needs_privacy_consent_and_matching_passwords(client):
    response = register(client, privacy="")
    assert response.status_code == 200 and not User.objects.exists()
    response = register(client, password2="anders als das erste Passwort")
    assert "nicht gleich" in response.content.decode()


def test_session_key_changes_at_login(client):
    registered_user(client)
    client.get("/konto/anmelden/")
    client.session.save()
    before = client.session.session_key
    login(client)
    assert client.session.session_key != before
    assert client.session["trust_level"] == "basis"


def test_logout_ends_the_session_on_the_server(client):
    registered_user(client)
    login(client)
    key = client.session.session_key
    assert client.get("/konto/abmelden/").status_code == 405
    response = client.post("/konto/abmelden/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/konto/").status_code == 302


def test_log_out_everywhere(client):
    registered_user(client)
    other = Client()
    login(client)
    login(other)
    assert other.get("/konto/").status_code == 200
    client.post("/konto/ueberall-abmelden/")
    assert other.get("/konto/").status_code == 302
    assert client.get("/konto/").status_code == 302
    assert login(other).status_code == 302  # logging in again works


def _answer(response) -> tuple[int, str]:
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'value="[^"]*@[^"]*"', "", text)
    return response.status_code, text


def test_throttling_per_account_with_identical_answers(client, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    registered_user(client)
    for _ in range(3):
        login(client, password="falsch falsch falsch")
    blocked_existing = login(client)  # right password, but blocked now
    assert blocked_existing.status_code == 400
    assert "_auth_user_id" not in client.session
    stranger = Client()
    for _ in range(3):
        login(stranger, email="niemand@example.org", password="falsch falsch falsch")
    blocked_unknown = login(stranger, email="niemand@example.org")
    assert _answer(blocked_existing) == _answer(blocked_unknown)
    wrong_existing = login(Client(REMOTE_ADDR="10.0.0.9"), email="erika@example.org",
                           password="noch falscher")
    wrong_unknown = login(Client(REMOTE_ADDR="10.0.0.9"), email="keiner@example.org",
                          password="noch falscher")
    assert _answer(wrong_existing) == _answer(wrong_unknown)


def test_throttling_per_address(client, settings):
    settings.LOGIN_THROTTLE_PER_IP = 4
    registered_user(client)
    for n in range(4):
        login(client, email=f"probe{n}@example.org", password="falsch falsch")
    assert login(client).status_code == 400
    assert login(Client(REMOTE_ADDR="10.1.1.1")).status_code == 302


def test_next_never_leaves_the_site(client):
    registered_user(client)
    for target in ["https://elsewhere.example/", "//elsewhere.example/x", "http:///evil",
                   "javascript:alert(1)", "\\\\elsewhere.example"]:
        c = Client()
        response = login(c, next=target)
        assert response.status_code == 302 and response.url == "/konto/", target
    response = login(Client(), next="/themen/")
    assert response.url == "/themen/"


def _at(moment):
    return mock.patch("amtsweg.accounts.middleware.timezone.now", return_value=moment)


@pytest.mark.parametrize(("level", "idle", "absolute"), [
    ("basis", 60, 12 * 60), ("substanziell", 30, 120), ("hoch", 5, 30),
])
def test_timeouts_by_trust_level(client, level, idle, absolute):
    registered_user(client)
    login(client)
    session = client.session
    start = timezone.now()
    session["trust_level"] = level
    session["auth_at"] = session["seen_at"] = int(start.timestamp())
    session.save()
    # idle: one minute too long without a request
    with _at(start + timedelta(minutes=idle - 1)):
        assert client.get("/konto/").status_code == 200
    with _at(start + timedelta(minutes=2 * idle)):
        assert client.get("/konto/").status_code == 302
    # absolute: active all along, but the login is too old
    login(client)
    session = client.session
    session["trust_level"] = level
    session["auth_at"] = session["seen_at"] = int(start.timestamp())
    session.save()
    step = max(idle - 1, 1)
    t = 0
    while t + step < absolute:
        t += step
        with _at(start + timedelta(minutes=t)):
            assert client.get("/konto/").status_code == 200, (level, t)
    with _at(start + timedelta(minutes=absolute + 1)):
        assert client.get("/konto/").status_code == 302


def test_password_reset(client):
    registered_user(client)
    mail.outbox.clear()
    client.post("/konto/passwort-vergessen/", {"email": "erika@example.org"})
    client.post("/konto/passwort-vergessen/", {"email": "niemand@example.org"})
    assert len(mail.outbox) == 1
    link = link_in(mail.outbox[0])
    response = client.get(link)
    response = client.post(response.url, {"new_password1": "Ein neuer langer Satz 8",
                                          "new_password2": "Ein neuer langer Satz 8"})
    assert response.status_code == 302
    assert login(Client(), password=PASSWORD).status_code == 400
    assert login(Client(), password="Ein neuer langer Satz 8").status_code == 302
    assert client.get(link, follow=True).context["validlink"] is False


@pytest.mark.django_db
def test_staff_command_grants_and_revokes_roles(django_user_model):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from amtsweg.accounts.models import StaffRole
    from amtsweg.territory.models import Authority

    user = django_user_model.objects.create_user("clerk@amt.example", "x" * 14)
    authority = Authority.objects.filter(is_demo=True).first()
    call_command("staff", "grant", "clerk@amt.example", "--authority", str(authority.pk),
                 "--role", "clerk", stdout=StringIO())
    user.refresh_from_db()
    assert user.is_staff and StaffRole.objects.filter(user=user, role="clerk").exists()
    out = StringIO()
    call_command("staff", "list", stdout=out)
    assert "clerk@amt.example" in out.getvalue()
    call_command("staff", "revoke", "clerk@amt.example", "--authority", str(authority.pk),
                 "--role", "clerk", stdout=StringIO())
    user.refresh_from_db()
    assert not user.is_staff
    with pytest.raises(CommandError, match="No Behörde with the id 999999"):
        call_command("staff", "grant", "nobody@amt.example", "--authority", "999999",
                     "--role", "clerk")


def test_the_confirmation_mail_greets_the_person_not_the_address():
    """Issue 12: the welcome mail said "Guten Tag erika@example.org"."""
    from tests.accounts.conftest import CommitClient

    client = CommitClient(HTTP_ACCEPT_LANGUAGE="de")
    register(client, "erika@example.org")
    assert mail.outbox[-1].body.startswith("Guten Tag Erika Mustermann,")
    register(client, "ohne.name@example.org", first_name="", last_name="")
    body = mail.outbox[-1].body
    assert body.startswith("Guten Tag,\n") and "ohne.name@example.org" not in body
    assert "bitte bestätigen Sie Ihre E-Mail-Adresse" in body


def test_after_logout_the_start_page_says_so():
    """Issue 12: no "abgemeldet" after logging out (the start page showed no messages)."""
    from tests.accounts.conftest import CommitClient

    client = CommitClient(HTTP_ACCEPT_LANGUAGE="de")
    registered_user(client, "erika@example.org")
    assert login(client).status_code == 302
    response = client.post("/konto/abmelden/", follow=True)
    page = response.content.decode()
    assert response.request["PATH_INFO"] == "/"
    assert page.count("Sie sind abgemeldet.") == 1


def test_the_servicekonto_shows_the_name_not_the_address_and_the_level_in_english():
    """Issue 12: after an eID "Name" showed the e-mail address (no name typed), and the level
    stayed German ("substanziell") on the English page."""
    from amtsweg.accounts import profile
    from tests.accounts.conftest import CommitClient

    user = User.objects.create_user("nn@example.org", PASSWORD,
                                    email_verified_at="2026-01-01T00:00Z")
    profile.store(user, "given_name", "Lena", source="eid")
    profile.store(user, "family_name", "Becker", source="eid")
    client = CommitClient(HTTP_ACCEPT_LANGUAGE="en")
    login(client, email="nn@example.org")
    page = client.get("/konto/").content.decode()
    name = page[page.index(">Name<"):]
    name = name[:name.index("</dd>")]
    assert "Lena Becker" in name and "nn@example.org" not in name
    assert ">basic<" in page


def test_registration_errors_are_a_linked_summary_with_their_own_sentences(client):
    """Issue 12: the registration's error summary had no links, and the consent box said the
    generic "Dieses Feld ist zwingend erforderlich."."""
    response = client.post("/konto/registrieren/", {
        "email": "erika@example.org", "first_name": "Erika", "last_name": "Mustermann",
        "password1": PASSWORD, "password2": PASSWORD}, HTTP_ACCEPT_LANGUAGE="de")
    page = response.content.decode()
    assert 'id="error-summary"' in page and 'tabindex="-1"' in page
    assert 'href="#id_privacy"' in page
    assert "Bestätigen Sie, dass Sie die Datenschutzhinweise gelesen haben" in page
    assert "zwingend erforderlich" not in page
    assert "js/focus-errors" in page  # moves the focus to the summary
