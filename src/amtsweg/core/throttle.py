"""Fixed-window counters shared by every process and node: login failures, second factors,
the API rate limit and mails to typed addresses all count here.

The store is ``settings.THROTTLE_STORE``:

- "cache": Redis, whose INCR is atomic; shared by every process and node.
- "database": one ``ThrottleCounter`` row per counter, incremented by a single upsert; shared
  by every process and node (the default on PostgreSQL).
- "file": the same upsert in a SQLite file of its own, ``settings.THROTTLE_FILE`` (the default
  on SQLite). Every thread keeps one connection to it, opened with ``sqlite3`` directly, so an
  API request writes nothing into the main database and never waits for its writer lock (a
  submission holding it). The file is shared by the processes of this one node, which is all
  a SQLite installation has. It runs with WAL and ``synchronous=OFF``: counters need no
  durability, a crashed process loses nothing, and a power cut may at worst lose the last
  counts or damage the file, which is then started again empty (logged).

A per-process cache would let each web worker count on its own, so the effective limit grows
with the workers; a node-local file would do the same across nodes. ``store_is_shared``
refuses both combinations.
"""

import hashlib
import logging
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from .models import ThrottleCounter

_PREFIX = "throttle"
STORES = ("cache", "database", "file")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Count:
    used: int
    reset_in: int  # seconds until the window ends


def key(scope: str, value: str) -> str:
    """A counter's key; the value (an address, an e-mail) is hashed, never stored."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]
    return f"{_PREFIX}:{scope}:{digest}"


def store_is_shared() -> bool:
    """Whether every process (and, on PostgreSQL, every node) counts in the same place."""
    if settings.THROTTLE_STORE == "database":
        return True
    if settings.THROTTLE_STORE == "file":  # one node: only beside a SQLite database
        return connection.vendor == "sqlite"
    return not isinstance(caches["default"], LocMemCache)


def _now() -> int:
    return int(time.time())


def hit(counter: str, window: int) -> Count:
    """Count one event; the window starts with the first event and lasts `window` seconds."""
    if settings.THROTTLE_STORE == "cache":
        return _hit_cache(counter, window)
    if settings.THROTTLE_STORE == "file":
        return _file_store().hit(counter, window, _now())
    return _hit_database(counter, window)


def peek(counter: str) -> int:
    """The events counted in the current window, without counting one more."""
    if settings.THROTTLE_STORE == "cache":
        return int(cache.get(counter, 0))
    if settings.THROTTLE_STORE == "file":
        return _file_store().peek(counter, _now())
    row = ThrottleCounter.objects.filter(key=counter, expires_at__gt=_now()).first()
    return row.count if row else 0


def clear(counter: str) -> None:
    if settings.THROTTLE_STORE == "cache":
        cache.delete(counter)
    elif settings.THROTTLE_STORE == "file":
        _file_store().clear(counter)
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
INSERT INTO {table} ("key", "count", "expires_at") {values}
ON CONFLICT ("key") DO UPDATE SET
  "count" = CASE WHEN {table}."expires_at" <= %s THEN 1 ELSE {table}."count" + 1 END,
  "expires_at" = CASE WHEN {table}."expires_at" <= %s THEN excluded."expires_at"
                      ELSE {table}."expires_at" END
RETURNING "count", "expires_at"
"""
_VALUES = "VALUES (%s, 1, %s)"
# PostgreSQL outside a transaction: the statement is a transaction of its own, and
# set_config(..., true) lets just that one commit without waiting for its WAL to reach the disk
# (synchronous_commit=off: a crash of the server may lose the last counts, never corrupts).
# Inside a transaction it would apply to the whole transaction, so there the plain upsert runs.
_VALUES_NO_WAIT = ("SELECT CAST(%s AS varchar), 1, CAST(%s AS bigint) FROM "
                   "(SELECT set_config('synchronous_commit', 'off', true)) AS no_wait WHERE true")


def _hit_database(counter: str, window: int) -> Count:
    now = _now()
    table = connection.ops.quote_name(ThrottleCounter._meta.db_table)
    no_wait = connection.vendor == "postgresql" and not connection.in_atomic_block
    sql = _UPSERT.format(table=table, values=_VALUES_NO_WAIT if no_wait else _VALUES)
    with connection.cursor() as cursor:
        cursor.execute(sql, [counter, now + window, now, now])
        used, expires_at = cursor.fetchone()
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        ThrottleCounter.objects.filter(expires_at__lt=now).delete()
    return Count(int(used), max(int(expires_at) - now, 0))


_FILE_UPSERT = _UPSERT.format(table='"counter"', values=_VALUES).replace("%s", "?")


class FileStore:
    """The counters in a SQLite file of their own; one instance (one connection) per thread.

    Every statement runs on its own in autocommit mode: the upsert is one statement, so SQLite's
    write lock makes each count atomic across threads and processes.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.pid = os.getpid()
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self._start_again(exc)

    def _open(self) -> sqlite3.Connection:
        # Created private (0600) before SQLite opens it; its -wal and -shm files take the mode.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute('CREATE TABLE IF NOT EXISTS "counter" ("key" TEXT PRIMARY KEY, '
                         '"count" INTEGER NOT NULL, "expires_at" INTEGER NOT NULL) WITHOUT ROWID')
            conn.execute('CREATE INDEX IF NOT EXISTS "counter_expires_at" '
                         'ON "counter" ("expires_at")')
        except BaseException:
            conn.close()
            raise
        return conn

    def _start_again(self, exc: Exception) -> None:
        """A power cut with synchronous=OFF may damage the file; counters need no durability,
        so the store starts again empty (once; a second failure is raised)."""
        logger.warning("The throttle counter file %s is damaged (%s); starting it again empty.",
                       self.path, exc)
        if getattr(self, "conn", None) is not None:
            self.conn.close()
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.path + suffix)
            except FileNotFoundError:
                pass
        self.conn = self._open()

    def _run(self, sql: str, params: tuple) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self._start_again(exc)
            return self.conn.execute(sql, params).fetchall()

    def hit(self, counter: str, window: int, now: int) -> Count:
        [(used, expires_at)] = self._run(_FILE_UPSERT, (counter, now + window, now, now))
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            self._run('DELETE FROM "counter" WHERE "expires_at" < ?', (now,))
        return Count(int(used), max(int(expires_at) - now, 0))

    def peek(self, counter: str, now: int) -> int:
        rows = self._run('SELECT "count" FROM "counter" WHERE "key" = ? AND "expires_at" > ?',
                         (counter, now))
        return int(rows[0][0]) if rows else 0

    def clear(self, counter: str) -> None:
        self._run('DELETE FROM "counter" WHERE "key" = ?', (counter,))

    def forget_all(self) -> None:
        """Tests only: every counter goes, as a rolled-back test transaction takes the rows."""
        self._run('DELETE FROM "counter"', ())


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_CORRUPT,
                                                           sqlite3.SQLITE_NOTADB)


_local = threading.local()


def _file_store() -> FileStore:
    """This thread's connection to THROTTLE_FILE; a new one after a fork (a connection must
    not cross into a child process) or when the setting changes (tests)."""
    path = str(settings.THROTTLE_FILE)
    store = getattr(_local, "store", None)
    if store is None or store.path != path or store.pid != os.getpid():
        if store is not None and store.pid == os.getpid():
            store.conn.close()
        elif store is not None:
            # An inherited connection is left alone: closing it in the child could disturb
            # the parent's locks. It is kept referenced so that it is never closed here.
            _inherited.append(store)
        _local.store = None  # a failed open leaves none behind
        store = _local.store = FileStore(path)
    return store


_inherited: list[FileStore] = []


@checks.register("amtsweg", checks.Tags.security)  # also refuses a production start
def check_shared_store(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Counting in each process's own memory multiplies every limit by the workers; counting
    in a file of each node multiplies it by the nodes."""
    if settings.THROTTLE_STORE not in STORES:
        return [checks.Error("THROTTLE_STORE must be 'cache', 'database' or 'file'.",
                             id="amtsweg.E601")]
    if not store_is_shared() and settings.THROTTLE_STORE == "file":
        return [checks.Error(
            "THROTTLE_STORE=file keeps the counters in a file of this node; with a database "
            "server (several nodes) each node would count on its own. Use 'database' or "
            "'cache' (REDIS_URL).", id="amtsweg.E602")]
    if settings.THROTTLE_STORE == "file" and store_is_shared():
        try:
            _file_store()
        except (OSError, sqlite3.Error) as exc:
            return [checks.Error(
                f"The throttle counter file THROTTLE_FILE={settings.THROTTLE_FILE} cannot be "
                f"opened ({exc}); every API request would fail.",
                hint="The folder must exist and the file belong to the platform's user.",
                id="amtsweg.E603")]
    if not store_is_shared():
        return [checks.Error(
            "THROTTLE_STORE=cache needs a cache shared by all processes (REDIS_URL); the "
            "per-process cache would let every web worker count on its own.",
            id="amtsweg.E602")]
    return []


def forget_all() -> None:
    """Tests only: empty the file store (the other stores are emptied by the test's rollback
    or the cache's clear)."""
    if settings.THROTTLE_STORE == "file":
        _file_store().forget_all()
