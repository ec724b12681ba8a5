import os

import pytest
from django.core.management import call_command


def pytest_configure(config):
    from django.conf import settings

    # The suite runs as `make run` does: demo data and the test payment on (the code's own
    # default is production; tests/core/test_deploy_checks.py covers that side).
    settings.DEMO_DATA = True
    settings.TEST_PAYMENT_ENABLED = True

    # Side effects (e-mails, signing) run at once in tests instead of in a worker process.
    from django.core.signals import setting_changed

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}
    setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)
    # Throttle counters in a file (the default on SQLite): one file per xdist worker, emptied
    # before each test (_fresh_caches) as a rolled-back transaction empties the table.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    settings.THROTTLE_FILE = settings.VAR_DIR / f"throttle-test-{worker}.sqlite3"
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Import the shipped data once per test session; each test runs in a rolled-back
    transaction on top of it."""
    with django_db_blocker.unblock():
        call_command("import_data", demo=True, quiet=True, verbosity=0)
        _allow_flush_of_audit_entries()


def _allow_flush_of_audit_entries() -> None:
    """Transactional tests end with Django's flush, which on SQLite deletes row by row and
    would be refused by the audit log's DELETE trigger. The test database drops that one
    trigger (tests/audit installs it again where it is tested); PostgreSQL flushes with
    TRUNCATE, which row triggers do not see, so there it stays."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test's transaction is rolled back; per-process copies built from it must go too."""
    from django.core.cache import cache

    from amtsweg.api import destinations
    from amtsweg.core import throttle
    from amtsweg.dashboard import coverage
    from amtsweg.territory import lookup

    cache.clear()
    throttle.forget_all()
    yield
    destinations.forget()
    lookup.invalidate()
    coverage.forget()
