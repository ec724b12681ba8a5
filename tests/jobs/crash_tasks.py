"""The task of the crash test, run by real ``db_worker`` processes (PYTHONPATH = repo root).

Its effect is a row keyed by the job's id in a separate SQLite file, written idempotently
(INSERT OR IGNORE on the primary key), as a receiver deduping by id would. Every run is also
logged (not idempotently), so the test sees that a task ran twice but took effect once."""

import os
import sqlite3
import time

from amtsweg.jobs import reliable


def connect(path: str | None = None) -> sqlite3.Connection:
    con = sqlite3.connect(path or os.environ["JOBS_TEST_EFFECTS"], timeout=30,
                          isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, pid INTEGER)")
    con.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT, pid INTEGER, done INTEGER)")
    return con


@reliable(max_attempts=3, backoff=0)
def record_effect(key: str, pause: float) -> str:
    con = connect()
    con.execute("INSERT INTO runs VALUES (?, ?, 0)", (key, os.getpid()))
    time.sleep(pause)
    con.execute("INSERT OR IGNORE INTO effects VALUES (?, ?)", (key, os.getpid()))
    time.sleep(pause)  # the worker is killed here: effect done, task not yet marked done
    con.execute("UPDATE runs SET done = 1 WHERE key = ? AND pid = ?", (key, os.getpid()))
    return key
