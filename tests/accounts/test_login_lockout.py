"""Outside tester, N2: typing wrong passwords for somebody's address must not lock them out.

Failures count per (account, client); a ceiling per account across clients caps distributed
guessing; a known device (cookie after a login or a password reset) is exempt from it; a
completed password reset clears the account's counters; the holder is mailed once per lock;
the answers for existing and unknown addresses stay the same."""

import pytest
from django.core import mail, signing
from django.utils import translation

from amtsweg.accounts import throttle
from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import _answer, link_in, login, registered_user

pytestmark = pytest.mark.django_db

WRONG = "falsch falsch falsch"


def at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def lock_mails(address: str = "erika@example.org") -> list:
    return [m for m in mail.outbox if address in m.to and "pausiert" in m.subject]


def test_wrong_passwords_from_one_client_do_not_lock_the_holder_out(client, settings):
    registered_user(client)
    attacker = at("203.0.113.66")
    for _ in range(4 * settings.LOGIN_THROTTLE_PER_ACCOUNT):
        assert login(attacker, password=WRONG).status_code == 400
    assert login(attacker).status_code == 400  # the attacker's own connection is locked ...
    response = login(at("198.51.100.5"))  # ... the holder, elsewhere, is not
    assert response.status_code == 302 and "_auth_user_id" in response.client.session


def test_blocked_attempts_do_not_raise_the_ceiling(client, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT_TOTAL = 8
    registered_user(client)
    attacker = at("203.0.113.66")
    for _ in range(40):
        login(attacker, password=WRONG)
    assert login(at("198.51.100.5")).status_code == 302


def lock_by_many_clients(settings, email="erika@example.org") -> None:
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 2
    settings.LOGIN_THROTTLE_PER_ACCOUNT_TOTAL = 6
    for n in range(3):
        for _ in range(2):
            assert login(at(f"203.0.113.{n}"), email=email, password=WRONG).status_code == 400


def test_distributed_guessing_is_capped_but_a_known_device_gets_in(client, settings):
    registered_user(client)
    holder = at("198.51.100.5")
    assert login(holder).status_code == 302  # this browser becomes a known device
    assert throttle.DEVICE_COOKIE in holder.cookies
    holder.post("/konto/abmelden/")
    lock_by_many_clients(settings)
    blocked = login(at("198.51.100.77"))  # the right password from an unknown device
    assert blocked.status_code == 400 and "_auth_user_id" not in blocked.client.session
    response = login(holder)
    assert response.status_code == 302 and "_auth_user_id" in response.client.session


def test_a_known_device_has_its_own_limit(client, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    registered_user(client)
    holder = at("198.51.100.5")
    login(holder)
    holder.post("/konto/abmelden/")
    for _ in range(3):
        login(holder, password=WRONG)
    assert login(holder).status_code == 400


def test_a_device_cookie_of_another_account_or_forged_counts_for_nothing(client, settings):
    registered_user(client)
    registered_user(Client(), "max@example.org")
    other = at("198.51.100.5")
    assert login(other, email="max@example.org").status_code == 302
    other.post("/konto/abmelden/")
    lock_by_many_clients(settings)
    assert login(other).status_code == 400  # a known device of max, not of erika
    forged = at("198.51.100.6")
    forged.cookies[throttle.DEVICE_COOKIE] = signing.dumps(
        {"a": throttle._account_tag("erika@example.org"), "d": "x"}, salt="other-salt")
    assert login(forged).status_code == 400


def test_answers_stay_the_same_for_existing_and_unknown_addresses(client, settings):
    registered_user(client)
    lock_by_many_clients(settings)
    lock_by_many_clients(settings, "niemand@example.org")
    existing = login(at("198.51.100.77"))
    unknown = login(at("198.51.100.77"), email="niemand@example.org")
    assert existing.status_code == unknown.status_code == 400
    assert _answer(existing) == _answer(unknown)
    locked_pair = login(at("203.0.113.0"))
    locked_pair_unknown = login(at("203.0.113.0"), email="niemand@example.org")
    assert _answer(locked_pair) == _answer(locked_pair_unknown)


def reset_password(browser: Client, new: str = "Ein neuer langer Satz 8") -> None:
    mail.outbox.clear()
    browser.post("/konto/passwort-vergessen/", {"email": "erika@example.org"})
    form_url = browser.get(link_in(mail.outbox[-1])).url
    assert browser.post(form_url, {"new_password1": new,
                                   "new_password2": new}).status_code == 302


def test_a_completed_password_reset_clears_the_counters(client, settings):
    registered_user(client)
    lock_by_many_clients(settings)
    assert login(at("198.51.100.77")).status_code == 400
    reset_password(at("198.51.100.8"))
    new = "Ein neuer langer Satz 8"
    # the ceiling and the pairs start again: a locked client and an unknown one get in
    assert login(at("198.51.100.77"), password=new).status_code == 302
    assert login(at("203.0.113.0"), password=new).status_code == 302


def test_the_browser_that_reset_the_password_is_a_known_device(client, settings):
    registered_user(client)
    browser = at("198.51.100.8")
    reset_password(browser)
    assert throttle.DEVICE_COOKIE in browser.cookies
    lock_by_many_clients(settings)  # strangers go on right after the reset
    assert login(browser, password="Ein neuer langer Satz 8").status_code == 302


def test_the_holder_is_mailed_once_per_lock(client, settings):
    registered_user(client)
    mail.outbox.clear()
    attacker = at("203.0.113.66")
    for _ in range(3 * settings.LOGIN_THROTTLE_PER_ACCOUNT):
        login(attacker, password=WRONG)
    login(at("203.0.113.67"), email="niemand@example.org", password=WRONG)
    [notice] = lock_mails()
    assert "Internetverbindung" in notice.body and "/konto/passwort-vergessen/" in notice.body
    assert "203.0.113" not in notice.body  # nothing about whoever did it
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]  # none for unknown addresses
    # the ceiling is a lock of its own: one more mail, then no more
    lock_by_many_clients(settings)
    for n in range(3, 6):
        login(at(f"203.0.113.{n}"), password=WRONG)
    notices = lock_mails()
    assert len(notices) == 2 and "allen Geräten" in notices[1].body


def test_the_lock_mail_in_english(client, settings):
    registered_user(client)
    mail.outbox.clear()
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 1
    with translation.override("en"):
        login(Client(REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="en"), password=WRONG)
    [notice] = [m for m in mail.outbox if "paused" in m.subject]
    assert "several wrong passwords" in notice.body


def test_lock_mails_respect_and_do_not_spend_the_mail_budget(client, settings):
    registered_user(client)  # the registration mail used one of the address's two
    settings.MAIL_THROTTLE_PER_ADDRESS = 2
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 1
    mail.outbox.clear()
    login(at("203.0.113.1"), password=WRONG)
    assert len(lock_mails()) == 1
    # the lock mail did not use the address's budget: the holder still gets a reset link
    at("198.51.100.8").post("/konto/passwort-vergessen/", {"email": "erika@example.org"})
    assert len(mail.outbox) == 2
    # with the budget used up, a new lock mails nothing
    settings.LOGIN_THROTTLE_PER_ACCOUNT_TOTAL = 2
    login(at("203.0.113.2"), password=WRONG)
    assert len(mail.outbox) == 2


def test_wrong_passwords_at_the_second_factor_change_lock_only_that_client(client, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    user = registered_user(client)
    login(client)
    for n in range(3):
        client.post("/konto/2fa/ausschalten/", {"confirm": f"falsch falsch {n}"})
    # the holder's own login elsewhere is not affected
    assert login(at("198.51.100.5")).status_code == 302
    assert user.email in [m.to[0] for m in lock_mails()]


def test_the_locking_attempt_costs_the_same_for_both(client, settings):
    """The notice is queued for every locking address; the worker looks the account up."""
    from django_tasks import default_task_backend

    registered_user(client)
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend",
                                  "QUEUES": ["default"]}}
    queued = {}
    for n, email in enumerate(("erika@example.org", "niemand@example.org")):
        default_task_backend.clear()
        attacker = at(f"203.0.113.{n}")
        for _ in range(4):
            login(attacker, email=email, password=WRONG)
        queued[email] = [r.task.name for r in default_task_backend.results]
    assert queued == {"erika@example.org": ["tell_login_locked"],
                      "niemand@example.org": ["tell_login_locked"]}
