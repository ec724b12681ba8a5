"""The outbox under a worker killed mid-task: nothing lost, nothing doubled.

Real ``db_worker`` processes (as ``amtsweg run`` starts them) work on their own database: a
temporary SQLite file, or, when DATABASE_URL is PostgreSQL, a database created and dropped
here (the pytest test database is invisible to other processes). 20 tasks are enqueued; the
worker is killed with SIGKILL while a task is between its effect and its end; the reaper
re-queues that task; a new worker finishes the queue. Every effect exists exactly once."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.jobs.crash_tasks import connect

ROOT = Path(__file__).resolve().parents[2]
N = 20
PAUSE = 0.15

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process handling on Linux")


@pytest.fixture
def worker_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND"}}
    env.update(AMTSWEG_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="amtsweg.settings",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
               JOBS_TEST_EFFECTS=str(tmp_path / "effects.sqlite3"), PYTHONUNBUFFERED="1")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield env
        return
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = f"amtsweg_jobs_test_{os.getpid()}"
    params = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"],
              "password": db["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    try:
        yield env
    finally:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def amtsweg(env, *args: str, timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "-m", "amtsweg.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def django_json(env, code: str) -> object:
    """Run ``code`` (which sets ``out``) in the worker's database and return ``out``."""
    script = ("import json\nfrom django_tasks_db.models import DBTaskResult\n" + code
              + "\nprint('JSON' + json.dumps(out))")
    stdout = amtsweg(env, "shell", "-c", script)
    return json.loads(stdout.split("JSON", 1)[1])


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "amtsweg.cli", "db_worker", "--queue-name", "default",
         "--interval", "0.1", "--no-startup-delay", "--no-reload"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def test_a_worker_killed_mid_task_loses_and_doubles_nothing(worker_env):
    env = worker_env
    amtsweg(env, "migrate", "--verbosity", "0")
    keys = [f"job-{n:02d}-{uuid.uuid4().hex[:8]}" for n in range(N)]
    effects = connect(env["JOBS_TEST_EFFECTS"])
    django_json(env, "from tests.jobs.crash_tasks import record_effect\n"
                     f"out = [record_effect.enqueue(k, {PAUSE}).id for k in {keys!r}]")

    worker = start_worker(env)
    killed_key = None
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and worker.poll() is None:
            # Kill once a few tasks are done and the current one has had its effect but
            # has not ended: the worst moment (a re-run must not do it twice).
            row = effects.execute(
                "SELECT r.key FROM runs r JOIN effects e ON e.key = r.key "
                "WHERE r.done = 0 AND (SELECT count(*) FROM runs WHERE done = 1) >= 5"
            ).fetchone()
            if row:
                os.kill(worker.pid, signal.SIGKILL)
                killed_key = row[0]
                break
            time.sleep(0.01)
    finally:
        if worker.poll() is None and killed_key is None:
            worker.kill()
        worker.wait(timeout=10)
    assert killed_key, "the worker was not caught mid-task"
    assert worker.returncode == -signal.SIGKILL

    state = django_json(env, "out = sorted(DBTaskResult.objects.values_list('status', "
                             "flat=True).distinct())")
    assert "RUNNING" in state and "READY" in state  # one stuck, the rest waiting
    assert "1 re-queued" in amtsweg(env, "jobs_reap", "--older-than", "0")

    # A new worker works off the queue (--batch: until it is empty, then it ends).
    amtsweg(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0",
            "--verbosity", "0", timeout=60)

    rows = django_json(env, "out = [[r.args_kwargs['args'][0], r.status, len(r.worker_ids)] "
                            "for r in DBTaskResult.objects.all()]")
    assert len(rows) == N and all(status == "SUCCESSFUL" for _, status, _ in rows)
    attempts = {key: n for key, _, n in rows}
    assert attempts[killed_key] == 2 and sum(attempts.values()) == N + 1
    # Nothing lost, nothing doubled: one effect per job; the killed job ran twice.
    assert sorted(k for (k,) in effects.execute("SELECT key FROM effects")) == sorted(keys)
    runs = dict(effects.execute("SELECT key, count(*) FROM runs GROUP BY key").fetchall())
    assert runs[killed_key] == 2
    assert all(runs[k] == 1 for k in keys if k != killed_key)
    assert not django_json(env, "from amtsweg.jobs.models import DeadLetter\n"
                                "out = DeadLetter.objects.count()")
