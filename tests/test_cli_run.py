"""`amtsweg run` as a person starts it: first start imports, serves, Ctrl+C stops cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(sys.platform != "linux", reason="process handling is tested on Linux")
def test_first_start_serves_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(AMTSWEG_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
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
    assert "Traceback" not in output, output
    assert (tmp_path / "amtsweg.sqlite3").exists()
    assert (tmp_path / "signing_key.json").stat().st_mode & 0o077 == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
