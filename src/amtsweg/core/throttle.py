"""Fixed-window counters shared by every process and node: login failures, second factors,
the API rate limit and mails to typed addresses all count here.

The store is ``settings.THROTTLE_STORE``: "cache" (Redis, whose INCR is atomic) or "database"
(one ``ThrottleCounter`` row per counter, incremented by a single upsert). A per-process cache
would let each web worker count on its own, so the effective limit grows with the workers;
``store_is_shared`` refuses that combination.
"""

import hashlib
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from .models import ThrottleCounter

_PREFIX = "throttle"


@dataclass(frozen=True)
class Count:
    used: int
    reset_in: int  # seconds until the window ends


def key(scope: str, value: str) -> str:
    """A counter's key; the value (an address, an e-mail) is hashed, never stored."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]
    return f"{_PREFIX}:{scope}:{digest}"


def store_is_shared() -> bool:
    return settings.THROTTLE_STORE == "database" or not isinstance(caches["default"],
                                                                    LocMemCache)


def _now() -> int:
    return int(time.time())


def hit(counter: str, window: int) -> Count:
    """Count one event; the window starts with the first event and lasts `window` seconds."""
    if settings.THROTTLE_STORE == "cache":
        return _hit_cache(counter, window)
    return _hit_database(counter, window)


def peek(counter: str) -> int:
    """The events counted in the current window, without counting one more."""
    if settings.THROTTLE_STORE == "cache":
        return int(cache.get(counter, 0))
    row = ThrottleCounter.objects.filter(key=counter, expires_at__gt=_now()).first()
    return row.count if row else 0


def clear(counter: str) -> None:
    if settings.THROTTLE_STORE == "cache":
        cache.delete(counter)
    else:
        ThrottleCounter.objects.filter(key=counter).delete()


def _hit_cache(counter: str, window: int) -> Count:
    if cache.add(counter, 1, timeout=window):
        return Count(1, window)
    try:
        used = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=window)
        used = 1
    ttl = getattr(cache, "ttl", None)
    return Count(used, int(ttl(counter) or window) if ttl else window)


# One statement on PostgreSQL and SQLite (3.35+): insert the counter, or add one to it, or
# start it again when its window has passed, and return the result.
_UPSERT = """
INSERT INTO {table} ("key", "count", "expires_at") VALUES (%s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET
  "count" = CASE WHEN {table}."expires_at" <= %s THEN 1 ELSE {table}."count" + 1 END,
  "expires_at" = CASE WHEN {table}."expires_at" <= %s THEN excluded."expires_at"
                      ELSE {table}."expires_at" END
RETURNING "count", "expires_at"
"""


def _hit_database(counter: str, window: int) -> Count:
    now = _now()
    table = connection.ops.quote_name(ThrottleCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(table=table), [counter, now + window, now, now])
        used, expires_at = cursor.fetchone()
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        ThrottleCounter.objects.filter(expires_at__lt=now).delete()
    return Count(int(used), max(int(expires_at) - now, 0))


@checks.register("amtsweg", checks.Tags.security)  # also refuses a production start
def check_shared_store(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Counting in each process's own memory multiplies every limit by the workers."""
    if settings.THROTTLE_STORE not in {"cache", "database"}:
        return [checks.Error("THROTTLE_STORE must be 'cache' or 'database'.",
                             id="amtsweg.E601")]
    if not store_is_shared():
        return [checks.Error(
            "THROTTLE_STORE=cache needs a cache shared by all processes (REDIS_URL); the "
            "per-process cache would let every web worker count on its own.",
            id="amtsweg.E602")]
    return []
