"""Issue 11, finding 11: the similarity rule sees the new account at registration; repetitions,
sequences, keyboard rows and leaked passwords are refused wherever a password is set."""

import ast
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation

import amtsweg
from amtsweg.accounts.models import User
from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import link_in, register, registered_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("password", "fragment"), [
    ("erika.mustermann@example.org", "ähnlich"),  # the address itself
    ("Mustermann Erika", "ähnlich"),
    ("aaaaaaaaaaaa", "Wiederholungen"),
    ("123456789012", "Wiederholungen"),
    ("abcdefghijkl", "Wiederholungen"),
    ("qwertzuiopü!", "Wiederholungen"),
    ("abcabcabcabcabc", "Wiederholungen"),
    ("iloveyou12345", "veröffentlicht"),
    ("Sunshine2024!", "veröffentlicht"),
])
def test_registration_refuses(client, password, fragment):
    response = register(client, "erika.mustermann@example.org", password)
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["Ein langer Satz als Passwort 7", "Zugspitze Eibsee 9",
                                      "Hund1234Katze", "Taxi Müller GmbH 2024"])
def test_good_passwords_still_pass(client, password):
    assert register(client, password=password).status_code == 302


def test_english_sentences():
    with translation.override("en"):
        page = register(Client(HTTP_ACCEPT_LANGUAGE="en"),
                        password="123456789012").content.decode()
    assert "repetitions or sequences" in page


def test_a_new_password_by_reset_is_checked_against_the_account(client):
    registered_user(client, "erika.mustermann@example.org")
    mail.outbox.clear()
    client.post("/konto/passwort-vergessen/", {"email": "erika.mustermann@example.org"})
    form_url = client.get(link_in(mail.outbox[0])).url
    for bad in ("erika.mustermann@example.org", "aaaaaaaaaaaa", "Sunshine2024!"):
        response = client.post(form_url, {"new_password1": bad, "new_password2": bad})
        assert response.status_code == 200, bad
    good = "Ein neuer langer Satz 8"
    assert client.post(form_url, {"new_password1": good,
                                  "new_password2": good}).status_code == 302


def test_the_invited_staff_member_sets_a_checked_password(django_capture_on_commit_callbacks):
    from amtsweg.accounts import staff
    from amtsweg.territory.models import Authority

    admin = User.objects.create_user("admin@example.org", "Ein langer Satz als Passwort 7",
                                     is_superuser=True, is_staff=True)
    authority = Authority.objects.order_by("pk").first()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff.grant(None, admin, authority, email="neu.kollegin@example.org", role="clerk")
    link = re.search(r"(/konto/personal-einladung/\S+)", mail.outbox[-1].body).group(1)
    form_url = Client().get(link).url or link
    c = Client()
    c.get(link)
    for bad in ("neu.kollegin@example.org", "123456789012"):
        response = c.post(form_url, {"new_password1": bad, "new_password2": bad})
        assert response.status_code == 200, bad
    assert not User.objects.get(email="neu.kollegin@example.org").has_usable_password()


def test_every_password_check_passes_the_account():
    """validate_password without the user skips the similarity rule silently."""
    root = Path(amtsweg.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(
                    node.func, "attr", getattr(node.func, "id", "")) == "validate_password":
                if len(node.args) < 2 and not any(k.arg == "user" for k in node.keywords):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, offenders


@pytest.mark.parametrize("password", [
    "LenaBecker2026", "Becker-Lena-1990", "Amtsweg-Demo-2026", "lena.becker!2026",
    "Servicekonto#Hessen25", "LBecker 2026 !!!",
    # second outside round: leetspeak, backwards, places in Hessen
    "B3ck3rL3na2026", "L3na-B3ck3r-1990", "anelrekceb2026", "Wiesbaden2026!!",
    "Kassel-Hessen-2026", "Frankfurt-am-Main-2026",
])
def test_names_address_and_platform_words_with_filler_are_refused(client, password):
    """Outside tester, N7: a person's name parts, the e-mail local part or the platform's
    words plus digits, years and punctuation."""
    data = {"email": "lena.becker@example.org", "first_name": "Lena", "last_name": "Becker",
            "password1": password, "password2": password, "privacy": "on"}
    page = client.post("/konto/registrieren/", data).content.decode()
    assert "Namen dieses Dienstes" in page, password
    assert not User.objects.exists()


def test_names_with_umlauts_and_the_english_sentence(client):
    data = {"email": "j.mueller@example.org", "first_name": "Jörg", "last_name": "Müller",
            "password1": "Joerg.Mueller.1975", "password2": "Joerg.Mueller.1975",
            "privacy": "on"}
    with translation.override("en"):
        page = Client(HTTP_ACCEPT_LANGUAGE="en").post("/konto/registrieren/",
                                                      data).content.decode()
    assert "the name of this service" in page
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["Lena mag rote Äpfel 2026", "Becker sammelt Briefmarken"])
def test_a_sentence_with_the_name_in_it_still_passes(client, password):
    data = {"email": "lena.becker@example.org", "first_name": "Lena", "last_name": "Becker",
            "password1": password, "password2": password, "privacy": "on"}
    assert client.post("/konto/registrieren/", data).status_code == 302


def test_a_reset_password_of_name_and_year_is_refused(client):
    registered_user(client, "erika.mustermann@example.org")
    mail.outbox.clear()
    client.post("/konto/passwort-vergessen/", {"email": "erika.mustermann@example.org"})
    form_url = client.get(link_in(mail.outbox[0])).url
    bad = "Erika-Mustermann-1990"
    response = client.post(form_url, {"new_password1": bad, "new_password2": bad})
    assert response.status_code == 200 and "Namen dieses Dienstes" in response.content.decode()


def test_the_demo_logins_keep_their_documented_password(settings):
    """The README's demo password is refused for a person, but the demo logins are made
    without the validators and keep opening with it."""
    from django.contrib.auth import authenticate
    from django.core.management import call_command

    from amtsweg.core.management.commands.create_demo_admin import PASSWORD, STAFF

    settings.DEMO_DATA = True
    call_command("create_demo_admin", stdout=__import__("io").StringIO())
    assert authenticate(email=STAFF, password=PASSWORD) is not None
