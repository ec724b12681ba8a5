"""`amtsweg run` as a person starts it: first start imports, serves, Ctrl+C stops cleanly;
production mode (the code's default) refuses to start until its deploy checks pass."""

import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

UNSET = {"DATABASE_URL", "REDIS_URL", "DEMO_DATA", "TEST_EID_ENABLED", "TEST_PAYMENT_ENABLED",
         "DEBUG", "HTTPS", "SITE_URL", "TRUSTED_PROXIES", "SILENCED_SYSTEM_CHECKS"}
PRODUCTION = {"HTTPS": "true", "SITE_URL": "https://amtsweg.example",
              "TRUSTED_PROXIES": "127.0.0.1"}


def clean_env(**extra: str) -> dict[str, str]:
    """As `make run` (with DEMO_DATA and TEST_EID_ENABLED) or a bare `amtsweg run` sees it."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(sys.platform != "linux", reason="process handling is tested on Linux")
def test_first_start_serves_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = clean_env(AMTSWEG_VAR_DIR=str(tmp_path), DEMO_DATA="true", TEST_EID_ENABLED="true")
    proc = subprocess.Popen(
        [sys.executable, "-m", "amtsweg.cli", "run", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert "Verwaltungsleistungen in Hessen" in body
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v1/catalog/search?q=Perso&limit=1") as r:
            assert b"99008001000000" in r.read()
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "First start" in output and "4813 Leistungen" in output
    assert "12871 German PLZ rows for the address check" in output
    assert "Traceback" not in output, output
    assert (tmp_path / "amtsweg.sqlite3").exists()
    assert (tmp_path / "signing_key.json").stat().st_mode & 0o077 == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)

    # The operator now switches demo mode off on this database: the start is refused
    # because of the demo rows, and the demo logins are disabled on the way.
    refused = subprocess.run(
        [sys.executable, "-m", "amtsweg.cli", "run", "--port", str(port), "--workers", "1"],
        env=clean_env(AMTSWEG_VAR_DIR=str(tmp_path), **PRODUCTION), capture_output=True,
        text=True, timeout=120)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "amtsweg.E009" in refused.stderr and "Traceback" not in refused.stderr
    assert "Demo logins disabled: 4" in refused.stdout
    with sqlite3.connect(tmp_path / "amtsweg.sqlite3") as db:
        active = db.execute("select count(*) from accounts_user where is_active "
                            "and email like '%@demo.example'").fetchone()[0]
    assert active == 0

    # A database from before the German PLZ list gets it on the next start.
    with sqlite3.connect(tmp_path / "amtsweg.sqlite3") as db:
        db.execute("delete from territory_germanpostalcode")

    # Reviewed and accepted by the operator: it starts, in production mode, behind its proxy.
    env = clean_env(AMTSWEG_VAR_DIR=str(tmp_path), SILENCED_SYSTEM_CHECKS="amtsweg.E009",
                    **PRODUCTION)
    proc = subprocess.Popen(
        [sys.executable, "-m", "amtsweg.cli", "run", "--port", str(port), "--workers", "1",
         "--no-worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(port, proc, "/", headers={"X-Forwarded-Proto": "https"}) == 200
        testpay = "/zahlung/test/00000000-0000-0000-0000-000000000000/"
        assert wait_for(port, proc, testpay, headers={"X-Forwarded-Proto": "https"}) == 404
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert "Traceback" not in output, output
    assert "Imported 12871 German PLZ rows for the address check" in output
    for path, mode in [(tmp_path, 0o700), (tmp_path / "amtsweg.sqlite3", 0o600),
                       (tmp_path / "secret_key", 0o600)]:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


def wait_for(port: int, proc: subprocess.Popen, path: str, headers: dict[str, str]) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
            with urllib.request.urlopen(request, timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"not served: {proc.poll()}")


def test_a_bare_production_start_is_refused_with_sentences(tmp_path):
    """Nothing set (an operator who forgot the configuration): no traceback, nothing served,
    the database untouched, every problem named with its fix."""
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "amtsweg.cli", "run", "--port", str(port)],
        env=clean_env(AMTSWEG_VAR_DIR=str(tmp_path)), capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 2
    for check in ("amtsweg.E004", "amtsweg.E005", "amtsweg.E007"):
        assert check in result.stderr
    assert "make run" in result.stderr and "Traceback" not in result.stderr
    assert "First start" not in result.stdout
    with sqlite3.connect(tmp_path / "amtsweg.sqlite3") as db:
        assert db.execute("select count(*) from sqlite_master").fetchone()[0] == 0
