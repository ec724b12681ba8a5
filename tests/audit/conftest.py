import contextlib
import itertools

import pytest
from django.db import connection

from amtsweg.audit import actions, triggers

_n = itertools.count()


@pytest.fixture
def tenant() -> str:
    """A tenant of its own for each test, so that chains of other tests do not interfere."""
    return f"test:{next(_n)}"


@contextlib.contextmanager
def triggers_dropped():
    """What an intruder with database access (or a careless operator) could do: drop the
    append-only triggers. Inside the test's transaction, so the rollback brings them back."""
    with connection.cursor() as cursor:
        for sql in triggers.statements(connection.vendor, install=False):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in triggers.statements(connection.vendor, install=True):
                cursor.execute(sql)


def chain(tenant: str, n: int = 3) -> list:
    return [actions.record(tenant=tenant, actor="system", action="test.step",
                           object_type="test.thing", object_id=i, data={"step": i})
            for i in range(1, n + 1)]


@pytest.fixture(autouse=True)
def _append_only_triggers(db):
    """The session's test database drops the SQLite DELETE trigger so that transactional
    tests can flush (tests/conftest.py); these tests check the triggers, so they get them
    back for the test's transaction."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for sql in triggers.statements("sqlite", install=True):
            cursor.execute(sql)
    yield
    # A transactional test commits the DDL: drop the DELETE trigger again, or every later
    # flush of the session's test database would be refused.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
