"""Insecure defaults (issue 11, finding 2): production is the code's default, demo mode is
switched on by `make run` only, and the deploy checks refuse an unsafe production start."""

import io
import os
import stat
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client

from amtsweg.accounts.demo import retire_demo_logins, retire_test_identities
from amtsweg.accounts.models import Identity, ProfileAttribute, TrustLevel, User
from amtsweg.audit.models import AuditEntry
from amtsweg.core import crypto
from amtsweg.core.checks import private_paths, refusal_text, unsafe_start_errors

PASSWORD = "Amtsweg-Demo-2026"
SAFE = {"DEMO_DATA": False, "TEST_EID_ENABLED": False, "TEST_PAYMENT_ENABLED": False,
        "DEBUG": False, "HTTPS": True, "SITE_URL": "https://amtsweg.example",
        "TRUSTED_PROXIES_CONFIGURED": True}


def clean_env(**extra) -> dict:
    """The environment of a machine where nobody set anything."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEMO_DATA", "TEST_EID_ENABLED", "TEST_PAYMENT_ENABLED", "DEBUG",
                        "HTTPS", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES",
                        "FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_OLD_KEYS", "AUDIT_KEY",
                        "AUDIT_OLD_KEYS"}}
    return {**env, **extra}


def test_production_is_the_default_of_the_code(tmp_path):
    """Nothing set: no demo data, no test eID, no test payment, no DEBUG; var/ is private."""
    var = tmp_path / "var"
    out = subprocess.run(
        [sys.executable, "-c",
         "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'amtsweg.settings'\n"
         "import django; django.setup()\n"
         "from django.conf import settings as s\n"
         "from amtsweg.payments.providers import testpay\n"
         "from amtsweg.accounts.identity.testeid import TestEidProvider\n"
         "print(s.DEMO_DATA, s.TEST_EID_ENABLED, s.TEST_PAYMENT_ENABLED, s.DEBUG,"
         " testpay.is_enabled(), TestEidProvider().is_enabled())"],
        env=clean_env(AMTSWEG_VAR_DIR=str(var)), capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"] * 6
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600


def test_make_run_switches_demo_on():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "DEMO_DATA=$${DEMO_DATA:-true}" in run and "TEST_EID_ENABLED=" in run


@pytest.fixture
def safe(settings, tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o700)
    for name, value in SAFE.items():
        setattr(settings, name, value)
    settings.VAR_DIR = var
    settings.SIGNING_KEY_FILE = var / "signing_key.json"
    return settings


def ids(**kwargs) -> set[str]:
    return {m.id for m in unsafe_start_errors(**kwargs)}


def test_a_safe_configuration_passes(safe):
    assert ids(data=False) == set()


@pytest.mark.parametrize(("name", "value", "check"), [
    ("DEMO_DATA", True, "amtsweg.E001"),
    ("TEST_EID_ENABLED", True, "amtsweg.E002"),
    ("TEST_PAYMENT_ENABLED", True, "amtsweg.E002"),
    ("DEBUG", True, "amtsweg.E003"),
    ("HTTPS", False, "amtsweg.E004"),
    ("SITE_URL", "http://amtsweg.example", "amtsweg.E005"),
    ("TRUSTED_PROXIES_CONFIGURED", False, "amtsweg.E007"),
])
def test_each_unsafe_setting_refuses_the_start(safe, name, value, check):
    setattr(safe, name, value)
    assert ids(data=False) == {check}
    text = refusal_text(unsafe_start_errors(data=False))
    assert check in text and "make run" in text and "docs/security.md" in text


def test_private_files_are_checked(safe):
    var = safe.VAR_DIR
    (var / "field_key").write_text("x")
    (var / "mail").mkdir()
    os.chmod(var / "field_key", 0o600)
    os.chmod(var / "mail", 0o700)
    assert ids(data=False) == set()
    os.chmod(var / "mail", 0o755)  # mail files hold password reset links
    assert ids(data=False) == {"amtsweg.E006"}
    os.chmod(var / "mail", 0o700)
    os.chmod(var / "field_key", 0o644)
    assert "field_key" in refusal_text(unsafe_start_errors(data=False))
    os.chmod(var / "field_key", 0o600)
    os.chmod(var, 0o750)
    assert ids(data=False) == {"amtsweg.E006"}


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_sqlite_file_outside_var_is_checked(safe, tmp_path):
    database = tmp_path / "elsewhere.sqlite3"
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    safe.DATABASES = {**safe.DATABASES, "default": {
        **safe.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3", "NAME": database}}
    assert database in private_paths()
    assert ids(data=False) == {"amtsweg.E006"}


@pytest.mark.django_db
def test_demo_rows_and_demo_logins_refuse_a_production_start(safe):
    safe.DEMO_DATA = True
    call_command("create_demo_admin", stdout=io.StringIO())
    safe.DEMO_DATA = False
    assert ids() == {"amtsweg.E008", "amtsweg.E009"}
    retire_demo_logins()
    assert ids() == {"amtsweg.E009"}
    safe.SILENCED_SYSTEM_CHECKS = ["amtsweg.E009"]  # an operator's reviewed decision
    assert ids() == set()


@pytest.mark.django_db
def test_demo_logins_do_not_open_without_demo_mode(settings):
    settings.DEMO_DATA = True
    call_command("create_demo_admin", stdout=io.StringIO())
    admin = Client()
    assert admin.login(email="landesadmin@demo.example", password=PASSWORD)
    session = admin.session
    session["mfa"] = True  # two factors are tested in tests/accounts/test_twofactor.py
    session.save()
    assert admin.get("/konto/").status_code == 200

    settings.DEMO_DATA = False
    # the old session is dropped on its next request, and the password no longer works
    assert admin.get("/konto/").status_code == 302
    assert not Client().login(email="landesadmin@demo.example", password=PASSWORD)
    browser = Client()
    page = browser.post("/konto/anmelden/", {"email": "kommune@demo.example",
                                             "password": PASSWORD})
    assert page.status_code == 400 and "_auth_user_id" not in browser.session

    demo = User.objects.filter(email__endswith="@demo.example")
    assert retire_demo_logins() == demo.count() >= 4
    assert not demo.filter(is_active=True).exists()
    assert not any(user.has_usable_password() for user in demo)
    assert AuditEntry.objects.filter(action="demo.logins_disabled").count() == 1
    assert retire_demo_logins() == 0

    settings.DEMO_DATA = True  # `make run` on the same database opens them again
    call_command("create_demo_admin", stdout=io.StringIO())
    assert Client().login(email="landesadmin@demo.example", password=PASSWORD)


@pytest.mark.django_db
def test_test_eid_identities_stop_counting():
    user = User.objects.create_user("lena@example.org", "ein-langes-Passwort-17")
    Identity.objects.create(user=user, provider="test-eid", subject="fake",
                            level=TrustLevel.HOCH)
    attribute = ProfileAttribute.objects.create(
        user=user, name="family_name", value_encrypted="", source="eid", provider="test-eid",
        level=TrustLevel.HOCH)
    attribute.value_encrypted = crypto.encrypt("Mustermann", attribute.context())
    attribute.save()
    assert retire_test_identities() == {"identities": 1, "attributes": 1}
    attribute.refresh_from_db()
    assert not Identity.objects.filter(user=user).exists()
    assert (attribute.source, attribute.level, attribute.provider) == ("typed", "basis", "")
    assert crypto.decrypt(attribute.value_encrypted, attribute.context()) == "Mustermann"


@pytest.mark.django_db
def test_a_session_raised_by_the_test_eid_ends_when_it_is_retired(settings):
    """Outside tester: a session stepped up with the test eID kept its level after the
    switch to production."""
    from tests.accounts.conftest import CommitClient
    from tests.accounts.test_accounts import login, registered_user
    from tests.accounts.test_profile_trust import step_up

    client = CommitClient()
    settings.TEST_EID_ENABLED = True
    registered_user(client)
    login(client)
    assert step_up(client).status_code == 302
    assert client.session["trust_level"] == "substanziell"
    assert client.get("/konto/").status_code == 200

    settings.TEST_EID_ENABLED = False
    retire_test_identities()
    assert client.get("/konto/").status_code == 302  # logged out, back to the login page
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("variable", "value", "check"), [
    ("FIELD_ENCRYPTION_KEY", "short", "amtsweg.E010"),
    ("FIELD_ENCRYPTION_OLD_KEYS", "dG9vIHNob3J0", "amtsweg.E010"),
    ("AUDIT_KEY", "bad", "amtsweg.E011"),
    ("AUDIT_OLD_KEYS", "dG9vIHNob3J0", "amtsweg.E011"),
])
def test_malformed_keys_refuse_even_a_demo_start(tmp_path, variable, value, check):
    """Outside tester: AUDIT_KEY=bad or FIELD_ENCRYPTION_KEY=short started a server whose
    encrypting and audited actions then failed."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "amtsweg.cli", "run", "--port", str(port)],
        env=clean_env(AMTSWEG_VAR_DIR=str(tmp_path), DEMO_DATA="true", **{variable: value}),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert check in result.stderr and "Traceback" not in result.stderr


def test_a_malformed_setting_is_a_sentence_not_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "amtsweg.cli", "check"],
        env=clean_env(AMTSWEG_VAR_DIR=str(tmp_path), TRUSTED_PROXIES="foo"),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "TRUSTED_PROXIES" in result.stderr and "Traceback" not in result.stderr
