"""The throttle counters in a SQLite file of their own (THROTTLE_STORE=file, the default on
SQLite): an API request writes nothing into the main database, and every thread and process
of the node counts in the same file, atomically."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amtsweg.core import throttle
from amtsweg.core.models import ThrottleCounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_store(settings, tmp_path):
    settings.THROTTLE_STORE = "file"
    settings.THROTTLE_FILE = tmp_path / "throttle.sqlite3"
    return settings.THROTTLE_FILE


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="with Redis the store is 'cache'")
def test_the_default_store_on_sqlite_is_the_file(settings):
    expected = "file" if connection.vendor == "sqlite" else "database"
    assert settings.THROTTLE_STORE == expected
    assert throttle.check_shared_store(None) == []


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="with Redis the store is 'cache'")
def test_an_api_request_on_sqlite_writes_nothing_into_the_main_database(client, settings):
    """The outside tester: a write transaction per GET halved the API throughput on SQLite."""
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL the counters stay in the database")
    settings.API_RATE_LIMIT = 100
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/routing/v1/areas", {"areaSearchexpression": "Fulda"})
        second = client.get("/api/v1/catalog/search", {"q": "Personalausweis"})
    assert first.status_code == second.status_code == 200
    assert (first["RateLimit-Remaining"], second["RateLimit-Remaining"]) == ("99", "98")
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN"))]
    assert writes == []
    assert not ThrottleCounter.objects.exists()


def test_file_counters_count_expire_peek_and_clear(file_store, monkeypatch):
    counter = throttle.key("test", "203.0.113.7")
    assert [throttle.hit(counter, 60).used for _ in range(3)] == [1, 2, 3]
    assert throttle.peek(counter) == 3
    assert throttle.hit(counter, 60).reset_in == 60
    later = throttle._now() + 61
    monkeypatch.setattr(throttle, "_now", lambda: later)
    assert throttle.peek(counter) == 0  # the window has passed
    assert throttle.hit(counter, 60) == throttle.Count(1, 60)  # and starts again
    throttle.clear(counter)
    assert throttle.peek(counter) == 0
    assert not ThrottleCounter.objects.exists()  # nothing in the main database


def test_the_file_is_private_and_in_wal_mode(file_store):
    throttle.hit(throttle.key("test", "x"), 60)
    assert os.stat(file_store).st_mode & 0o777 == 0o600
    conn = sqlite3.connect(file_store)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_two_connections_see_the_same_counters(file_store):
    """What two processes see: each has its own connection to the same file."""
    one, other = throttle.FileStore(str(file_store)), throttle.FileStore(str(file_store))
    now = throttle._now()
    counter = throttle.key("test", "198.51.100.9")
    assert [s.hit(counter, 60, now).used for s in (one, other, one, other)] == [1, 2, 3, 4]
    assert other.peek(counter, now) == one.peek(counter, now) == 4
    one.clear(counter)
    assert other.peek(counter, now) == 0


_CHILD = """
import json, os, sys, threading
import django
django.setup()
from amtsweg.core import throttle
counter, n = sys.argv[1], int(sys.argv[2])
seen, lock = [], threading.Lock()
def count():
    got = [throttle.hit(counter, 600).used for _ in range(n)]
    with lock:
        seen.extend(got)
threads = [threading.Thread(target=count) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(seen))
"""


def test_processes_and_threads_count_atomically(file_store, settings):
    """Two processes with two threads each and two threads here count in the same file:
    every count from 1 to the total is handed out exactly once."""
    counter, n = throttle.key("test", "192.0.2.1"), 150
    env = {**os.environ, "THROTTLE_STORE": "file", "THROTTLE_FILE": str(file_store),
           "AMTSWEG_VAR_DIR": str(settings.VAR_DIR), "DJANGO_SETTINGS_MODULE": "amtsweg.settings"}
    env.pop("DATABASE_URL", None)
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, counter, str(n)], env=env,
                                 stdout=subprocess.PIPE, text=True) for _ in range(2)]
    seen, lock = [], threading.Lock()

    def count() -> None:
        got = [throttle.hit(counter, 600).used for _ in range(n)]
        with lock:
            seen.extend(got)

    threads = [threading.Thread(target=count) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        seen.extend(json.loads(out))
    assert sorted(seen) == list(range(1, 6 * n + 1))
    assert throttle.peek(counter) == 6 * n


def test_a_damaged_file_starts_again_empty(file_store, caplog):
    file_store.write_bytes(b"not a database " * 100)
    counter = throttle.key("test", "damaged")
    assert throttle.hit(counter, 60).used == 1
    assert "damaged" in caplog.text
    # damaged under an open connection: the next statement starts the file again
    store = throttle._file_store()
    store.conn.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{file_store}{suffix}"):
            os.unlink(f"{file_store}{suffix}")
    file_store.write_bytes(b"\0garbage" * 1000)
    store.conn = sqlite3.connect(file_store, isolation_level=None)
    assert throttle.hit(counter, 60).used == 1


def test_a_child_process_opens_its_own_connection(file_store, monkeypatch):
    first = throttle._file_store()
    assert throttle._file_store() is first  # one connection per thread, kept
    pid = os.getpid()
    monkeypatch.setattr(throttle.os, "getpid", lambda: pid + 1)
    child = throttle._file_store()
    assert child is not first and child.conn is not first.conn
    assert first in throttle._inherited  # never closed by the child
    throttle._inherited.remove(first)
    first.conn.close()


def test_a_node_local_file_beside_a_database_server_is_refused(file_store, monkeypatch):
    monkeypatch.setattr(throttle, "connection", SimpleNamespace(vendor="postgresql"))
    assert not throttle.store_is_shared()
    assert [e.id for e in throttle.check_shared_store(None)] == ["amtsweg.E602"]


def test_an_unknown_store_is_refused(settings):
    settings.THROTTLE_STORE = "memory"
    assert [e.id for e in throttle.check_shared_store(None)] == ["amtsweg.E601"]


def test_a_throttle_file_that_cannot_be_opened_is_a_sentence_at_start(file_store, settings,
                                                                     monkeypatch):
    monkeypatch.setattr(throttle, "connection", SimpleNamespace(vendor="sqlite"))
    settings.THROTTLE_FILE = file_store.parent / "missing-folder" / "throttle.sqlite3"
    [error] = throttle.check_shared_store(None)
    assert error.id == "amtsweg.E603"
    assert "missing-folder" in error.msg
    settings.THROTTLE_FILE = file_store  # and the store works again with a good file
    assert throttle.hit(throttle.key("test", "again"), 60).used == 1
