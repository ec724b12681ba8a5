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
