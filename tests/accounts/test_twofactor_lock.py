"""Issue 11, finding 4: wrong second-factor codes are counted per account across logins; the
second factor locks with growing pauses, and the holder is told by mail."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

import amtsweg
from amtsweg.accounts import twofactor
from amtsweg.accounts.models import TotpDevice
from amtsweg.audit.models import AuditEntry
from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import login, registered_user
from tests.accounts.test_twofactor import code_at, set_up_app

pytestmark = pytest.mark.django_db
SECOND = "/konto/anmelden/zweiter-faktor/"


def wrong_codes_in_new_logins(logins: int, per_login: int = 5) -> list[int]:
    statuses = []
    for n in range(logins):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{n + 1}")
        assert login(attacker).url == SECOND  # the password is known to the attacker
        statuses += [attacker.post(SECOND, {"code": f"{n:03d}{i:03d}"}).status_code
                     for i in range(per_login)]
    return statuses


def test_a_new_password_login_gives_no_new_tries(client):
    user = registered_user(client)
    login(client)
    secret, _ = set_up_app(client)
    mail.outbox.clear()
    wrong_codes_in_new_logins(6)  # 30 codes in six logins, as in the finding
    device = TotpDevice.objects.get(user=user)
    # only the first five were checked: then the lock, and no code counts while it holds
    assert device.failed_attempts == 5
    assert device.locked_until > timezone.now() + timedelta(minutes=4)
    # even the right code opens nothing now
    holder = Client()
    login(holder)
    response = holder.post(SECOND, {"code": code_at(secret, 1)})
    assert response.status_code == 400 and "_auth_user_id" not in holder.session
    assert "gesperrt" in response.content.decode()
    # the holder is told once, without the attacker's address
    notices = [m for m in mail.outbox if m.to == [user.email]]
    assert len(notices) == 1 and "203.0.113" not in notices[0].body
    assert "/konto/passwort-vergessen/" in notices[0].body
    entry = AuditEntry.objects.get(action="accounts.second_factor_locked")
    assert entry.object_id == str(user.pk) and entry.data == {"failures": 5, "seconds": 300}


def test_the_pause_doubles_and_a_right_code_ends_the_count(client):
    user = registered_user(client)
    login(client)
    secret, _ = set_up_app(client)
    pauses = []
    for _ in range(3):
        wrong_codes_in_new_logins(1)
        device = TotpDevice.objects.get(user=user)
        pauses.append(round((device.locked_until - timezone.now()).total_seconds() / 60))
        TotpDevice.objects.filter(pk=device.pk).update(  # the pause has passed
            locked_until=timezone.now() - timedelta(seconds=1))
    assert pauses == [5, 10, 20]
    holder = Client()
    login(holder)
    assert holder.post(SECOND, {"code": code_at(secret, 1)}).status_code == 302
    device = TotpDevice.objects.get(user=user)
    assert device.failed_attempts == 0 and device.locked_until is None


def test_the_pause_has_a_ceiling(settings):
    settings.SECOND_FACTOR_LOCK_AFTER = 5
    assert [twofactor.lock_seconds(n) for n in (1, 4, 5, 6, 10, 15)] == [0, 0, 300, 0, 600,
                                                                         1200]
    assert twofactor.lock_seconds(500) == settings.SECOND_FACTOR_LOCK_MAX_SECONDS == 86400


def test_codes_asked_inside_a_session_share_the_lock(client):
    """The code that re-confirms a session or switches two factors off is the same secret:
    it must not be a side door for guessing."""
    user = registered_user(client)
    login(client)
    secret, _ = set_up_app(client)
    for i in range(5):
        client.post("/konto/2fa/ausschalten/", {"confirm": f"99{i:04d}"})
    assert twofactor.locked_until(user) is not None
    response = client.post("/konto/2fa/ausschalten/", {"confirm": code_at(secret, 1)},
                           follow=True)
    assert twofactor.has_device(user)
    assert "gesperrt" in response.content.decode()


def test_only_the_twofactor_module_checks_codes():
    """Every check must go through twofactor.verify, where the count and the lock live."""
    root = Path(amtsweg.__file__).parent
    private = {"_matching_step", "use_recovery_code", "_secret"}
    offenders = []
    for path in root.rglob("*.py"):
        if path == root / "accounts" / "twofactor.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if any(n.split(".")[0] == "pyotp" for n in names):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno} imports pyotp")
            if isinstance(node, ast.Attribute | ast.Name) and (
                    getattr(node, "attr", None) in private or getattr(node, "id", None)
                    in private):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, offenders
