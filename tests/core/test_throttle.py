"""Issue 11, finding 6: throttle counters are shared by every process and node."""

import pytest
from django.core import checks
from django.core.cache import cache

from amtsweg.core import throttle
from amtsweg.core.models import ThrottleCounter

pytestmark = pytest.mark.django_db


def test_counters_count_and_start_again_after_the_window(settings, monkeypatch):
    counter = throttle.key("test", "someone@example.org")
    assert "someone" not in counter  # the value is hashed
    assert [throttle.hit(counter, 60).used for _ in range(3)] == [1, 2, 3]
    assert throttle.peek(counter) == 3
    if settings.THROTTLE_STORE == "database":
        later = throttle._now() + 61
        monkeypatch.setattr(throttle, "_now", lambda: later)
        assert throttle.peek(counter) == 0
        assert throttle.hit(counter, 60) == throttle.Count(1, 60)
    throttle.clear(counter)
    assert throttle.peek(counter) == 0


def test_database_counters_survive_a_process_without_memory(settings):
    """What another web worker sees: its own memory is empty, the counter is not."""
    settings.THROTTLE_STORE = "database"
    counter = throttle.key("test", "198.51.100.1")
    for _ in range(4):
        throttle.hit(counter, 60)
    cache.clear()
    assert throttle.peek(counter) == 4
    assert ThrottleCounter.objects.get(key=counter).count == 4


def test_the_default_store_is_shared():
    assert throttle.store_is_shared()
    assert throttle.check_shared_store(None) == []


def test_a_per_process_store_is_refused(settings):
    if not throttle.store_is_shared() or "LocMem" not in settings.CACHES["default"]["BACKEND"]:
        pytest.skip("runs with the embedded default cache")
    settings.THROTTLE_STORE = "cache"
    assert [e.id for e in throttle.check_shared_store(None)] == ["amtsweg.E602"]
    assert any(e.id == "amtsweg.E602" for e in checks.run_checks())


def test_postgres_counts_commit_without_waiting_for_the_disk(settings, monkeypatch):
    """Outside a transaction the upsert is a transaction of its own that commits with
    synchronous_commit=off (2-3x the counts per second); inside one, the setting would apply
    to the whole transaction, so there the plain upsert runs. The setting never outlives it."""
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    settings.THROTTLE_STORE = "database"
    counter = throttle.key("test", "no-wait")
    own = connections.create_connection("default")  # autocommit, as in a request
    monkeypatch.setattr(throttle, "connection", own)
    monkeypatch.setattr(throttle.random, "random", lambda: 1.0)  # no housekeeping
    try:
        own.force_debug_cursor = True
        with CaptureQueriesContext(own) as queries:
            assert [throttle.hit(counter, 60).used for _ in range(2)] == [1, 2]
        assert all("set_config('synchronous_commit', 'off', true)" in q["sql"]
                   for q in queries.captured_queries)
        with own.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
        monkeypatch.setattr(throttle, "connection", connection)  # the test's transaction
        assert connection.in_atomic_block
        with CaptureQueriesContext(connection) as queries:  # another counter: no row lock
            assert throttle.hit(throttle.key("test", "in-a-transaction"), 60).used == 1
        assert not any("set_config" in q["sql"] for q in queries.captured_queries)
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    finally:
        with own.cursor() as cursor:
            cursor.execute("DELETE FROM core_throttlecounter WHERE key = %s", [counter])
        own.close()
