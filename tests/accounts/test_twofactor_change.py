"""Issue 11, finding 8: setting up, replacing or switching off the authenticator needs the
password or a current code again, and the holder is told by mail."""

import pyotp
import pytest
from django.core import mail

from amtsweg.accounts import twofactor
from amtsweg.accounts.models import TotpDevice
from amtsweg.audit.models import AuditEntry
from tests.accounts.test_accounts import PASSWORD, login, registered_user
from tests.accounts.test_twofactor import code_at, set_up_app

pytestmark = pytest.mark.django_db
SETUP = "/konto/2fa/einrichten/"


def new_secret_offered(client) -> str:
    assert client.get(SETUP).status_code == 200
    return client.session["totp_secret"]


def test_a_logged_in_session_alone_cannot_replace_the_app(client):
    user = registered_user(client)
    login(client)
    old_secret, _ = set_up_app(client)
    before = TotpDevice.objects.get(user=user).secret_encrypted
    mail.outbox.clear()
    new = new_secret_offered(client)
    for confirm in ("", "falsches Passwort 123", "000000"):
        response = client.post(SETUP, {"code": pyotp.TOTP(new).now(), "confirm": confirm})
        assert response.status_code == 400, confirm
    assert TotpDevice.objects.get(user=user).secret_encrypted == before
    assert not mail.outbox
    # with a current code of the present app it works, and the holder is told
    response = client.post(SETUP, {"code": pyotp.TOTP(new).now(),
                                   "confirm": code_at(old_secret, 1)})
    assert response.status_code == 200 and "aw-codes" in response.content.decode()
    assert TotpDevice.objects.get(user=user).secret_encrypted != before
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "/konto/passwort-vergessen/" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="accounts.second_factor_replaced",
                                     object_id=str(user.pk)).count() == 1


def test_replacing_with_the_password(client):
    user = registered_user(client)
    login(client)
    set_up_app(client)
    new = new_secret_offered(client)
    response = client.post(SETUP, {"code": pyotp.TOTP(new).now(), "confirm": PASSWORD})
    assert response.status_code == 200
    assert twofactor.verify(user, pyotp.TOTP(new).at(pyotp.TOTP(new).timecode(
        __import__("datetime").datetime.now()) * 30 + 30))


def login_minutes_ago(client, minutes: int) -> None:
    session = client.session
    session["auth_at"] -= minutes * 60
    session.save()


def test_the_first_app_needs_the_password_and_is_announced(client):
    """... unless the login was within the last ten minutes (the next test)."""
    user = registered_user(client)
    login(client)
    login_minutes_ago(client, 11)
    mail.outbox.clear()
    secret = new_secret_offered(client)
    assert client.post(SETUP, {"code": pyotp.TOTP(secret).now()}).status_code == 400
    assert not twofactor.has_device(user)
    set_up_app(client)
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert AuditEntry.objects.filter(action="accounts.second_factor_enabled").count() == 1


def test_switching_off_needs_the_password_or_a_code_and_is_announced(client):
    user = registered_user(client)
    login(client)
    set_up_app(client)
    mail.outbox.clear()
    client.post("/konto/2fa/ausschalten/", {})
    client.post("/konto/2fa/ausschalten/", {"confirm": "nicht mein Passwort"})
    assert twofactor.has_device(user) and not mail.outbox
    client.post("/konto/2fa/ausschalten/", {"confirm": PASSWORD})
    assert not twofactor.has_device(user)
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert AuditEntry.objects.filter(action="accounts.second_factor_disabled").count() == 1


def test_guessing_the_password_here_counts_towards_the_login_limit(client, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    user = registered_user(client)
    login(client)
    set_up_app(client)
    for n in range(3):
        client.post("/konto/2fa/ausschalten/", {"confirm": f"falsch falsch {n}"})
    client.post("/konto/2fa/ausschalten/", {"confirm": PASSWORD})  # blocked now
    assert twofactor.has_device(user)


def test_right_after_login_the_first_app_needs_no_password_again(client):
    """Demo regression: staff sent to the forced setup right after their login had to type
    their password twice; a login within ten minutes counts as recent authentication."""
    from amtsweg.accounts.models import User

    User.objects.create_user("sb@example.org", PASSWORD, is_staff=True,
                             email_verified_at="2026-01-01T00:00Z")
    login(client, email="sb@example.org")
    login_minutes_ago(client, 9)
    page = client.get(SETUP).content.decode()
    assert 'name="confirm"' not in page and "vor wenigen Minuten" in page
    secret = client.session["totp_secret"]
    mail.outbox.clear()
    response = client.post(SETUP, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "aw-codes" in response.content.decode()
    assert twofactor.has_device(User.objects.get(email="sb@example.org"))
    assert [m.to for m in mail.outbox] == [["sb@example.org"]]  # still announced


def test_replacing_the_app_right_after_login_still_needs_the_password(client):
    user = registered_user(client)
    login(client)
    set_up_app(client)
    before = TotpDevice.objects.get(user=user).secret_encrypted
    new = new_secret_offered(client)
    assert client.post(SETUP, {"code": pyotp.TOTP(new).now()}).status_code == 400
    assert TotpDevice.objects.get(user=user).secret_encrypted == before
