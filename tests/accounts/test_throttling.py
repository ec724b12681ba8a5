"""Issue 11, finding 6: throttling behind the reverse proxy, shared by all web workers, and
mails to typed addresses limited per address and per client."""

import pytest
from django.core import mail
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.utils import translation

from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import login, register, registered_user

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
AREAS = "/api/routing/v1/areas"


def via_proxy(client_address: str) -> Client:
    """A browser whose requests reach us through the reverse proxy."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def other_worker() -> None:
    """The next request reaches another web process: whatever lived in this process's own
    memory is not there (a shared store, Redis or the database, still is)."""
    default = caches["default"]
    if isinstance(default, LocMemCache):
        default.clear()


def test_behind_the_proxy_one_client_does_not_block_everyone(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    registered_user(client)
    attacker = via_proxy("203.0.113.66")
    for n in range(settings.LOGIN_THROTTLE_PER_IP):
        login(attacker, email=f"probe{n}@example.org", password="falsch falsch falsch")
    assert login(attacker).status_code == 400  # the attacker is blocked ...
    assert login(via_proxy("198.51.100.5")).status_code == 302  # ... the others are not


def test_a_typed_forwarded_header_changes_nothing_without_a_trusted_proxy(client, settings):
    settings.TRUSTED_PROXIES = []
    settings.LOGIN_THROTTLE_PER_IP = 4
    registered_user(client)
    for n in range(4):
        login(Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"), email=f"probe{n}@example.org",
              password="falsch falsch falsch")
    assert login(Client(HTTP_X_FORWARDED_FOR="198.51.100.99")).status_code == 400


def test_the_account_limit_holds_across_web_workers(client, settings):
    registered_user(client)
    for _ in range(settings.LOGIN_THROTTLE_PER_ACCOUNT):
        other_worker()
        assert login(Client(), password="falsch falsch falsch").status_code == 400
    other_worker()
    response = login(Client())  # the right password, but the account is blocked now
    assert response.status_code == 400 and "_auth_user_id" not in response.client.session


def test_api_rate_limit_per_client_behind_the_proxy_and_across_workers(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.API_RATE_LIMIT = 3
    one = via_proxy("203.0.113.66")
    for _ in range(3):
        other_worker()
        assert one.get(AREAS, {"areaSearchexpression": "Fulda"}).status_code == 200
    other_worker()
    assert one.get(AREAS, {"areaSearchexpression": "Fulda"}).status_code == 429
    # another person behind the same proxy keeps their own budget
    assert via_proxy("198.51.100.5").get(
        AREAS, {"areaSearchexpression": "Fulda"}).status_code == 200


def mails_to(address: str) -> int:
    return sum(address in m.to for m in mail.outbox)


def test_mails_to_one_victim_are_limited(client, settings):
    settings.MAIL_THROTTLE_PER_ADDRESS = 3
    victim = "opfer@example.org"
    registered_user(client, victim)
    mail.outbox.clear()
    answers = []
    for n in range(8):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{n}")
        answers.append(register(attacker, victim).status_code)
        answers.append(attacker.post("/konto/passwort-vergessen/",
                                     {"email": victim}).status_code)
        answers.append(attacker.post("/konto/bestaetigen-erneut/",
                                     {"email": victim}).status_code)
    # the account's own registration counted one: a notice and a reset link, then the limit
    assert mails_to(victim) == 2
    assert answers[:2] == [302, 302] and set(answers[2:]) == {429}
    page = Client().post("/konto/passwort-vergessen/", {"email": victim}).content.decode()
    assert "zu viele E-Mails" in page
    with translation.override("en"):
        page = Client().post("/konto/passwort-vergessen/", {"email": victim},
                             HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too many e-mails" in page


def test_the_answer_over_the_limit_does_not_tell_whether_an_account_exists(client, settings):
    settings.MAIL_THROTTLE_PER_ADDRESS = 1
    registered_user(client, "da@example.org")
    statuses = {}
    for email in ("da@example.org", "fort@example.org"):
        for _ in range(2):
            statuses[email] = Client().post("/konto/passwort-vergessen/",
                                            {"email": email}).status_code
    assert statuses == {"da@example.org": 429, "fort@example.org": 429}


def test_mails_from_one_client_are_limited(client, settings):
    settings.MAIL_THROTTLE_PER_CLIENT = 4
    mail.outbox.clear()
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [sprayer.post("/konto/passwort-vergessen/",
                             {"email": f"p{n}@example.org"}).status_code for n in range(6)]
    assert statuses == [302] * 4 + [429] * 2
    assert register(Client(REMOTE_ADDR="198.51.100.1"), "neu@example.org").status_code == 302


def test_invitations_to_typed_addresses_are_limited(client, settings):
    settings.MAIL_THROTTLE_PER_ADDRESS = 2
    registered_user(client)
    login(client)
    client.post("/konto/organisationen/", {"name": "Spam GmbH", "kind": "unternehmen"})
    from amtsweg.accounts.models import Organisation

    org = Organisation.objects.get(name="Spam GmbH")
    mail.outbox.clear()
    statuses = [client.post(f"/konto/organisationen/{org.pk}/", {
        "action": "invite", "email": "opfer@example.org", "role": "member"}).status_code
        for _ in range(4)]
    assert statuses == [302, 302, 400, 400]
    assert mails_to("opfer@example.org") == 2


def test_repeats_to_one_address_do_not_use_up_the_clients_budget(client, settings):
    """A Bürgerbüro: many citizens behind one address, each asking for a link more than once.
    Per client the distinct addresses count; per address every request still does."""
    settings.MAIL_THROTTLE_PER_CLIENT = 4
    office = Client(REMOTE_ADDR="198.51.100.20")
    statuses = [office.post("/konto/passwort-vergessen/", {"email": f"b{n}@example.org"})
                .status_code for n in range(4) for _ in range(3)]
    assert statuses == [302] * 12
    for _ in range(2):  # a refused address stays refused
        assert office.post("/konto/passwort-vergessen/",
                           {"email": "b9@example.org"}).status_code == 429
    # an address already asked for from here is still limited per address only
    assert office.post("/konto/passwort-vergessen/",
                       {"email": "b0@example.org"}).status_code == 302
    for _ in range(2):
        office.post("/konto/passwort-vergessen/", {"email": "b0@example.org"})
    assert office.post("/konto/passwort-vergessen/",
                       {"email": "b0@example.org"}).status_code == 429


def test_the_default_lets_one_address_serve_sixty_people(client):
    office = Client(REMOTE_ADDR="198.51.100.21")
    statuses = {office.post("/konto/passwort-vergessen/", {"email": f"p{n}@example.org"})
                .status_code for n in range(60)}
    assert statuses == {302}
    assert office.post("/konto/passwort-vergessen/",
                       {"email": "p60@example.org"}).status_code == 429
