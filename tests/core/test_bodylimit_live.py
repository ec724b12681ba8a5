"""Issue 11, finding 3, through the production server: granian (WSGI) with one worker, bodies
streamed over a socket, the worker's peak memory read from /proc.

Before the fix, 300 MB to the FIM endpoint raised the worker's peak from 121 to 425 MB and
took 1.4 s to be refused (422); now it is refused with 413 before it is read.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

MB = 1024 * 1024
FIM = Path(__file__).resolve().parents[2] / "src/amtsweg/forms/data/fim/v3/simple.xml"
BOUNDARY = "aw-test-boundary"

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


def peak_mb(pid: int) -> int:
    """The process's peak resident memory (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """granian as `amtsweg run` starts it, on a free port, with its own var/ (SQLite, not
    migrated: the FIM endpoint needs no database) and never the test database."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # Demo mode, as `make run`: a production start refuses a setup without HTTPS and proxies.
    env.update(AMTSWEG_VAR_DIR=str(tmp_path_factory.mktemp("var")), DEMO_DATA="true",
               DJANGO_SETTINGS_MODULE="amtsweg.settings")
    # the rate limit counts in the database (core.throttle): the tables must exist
    subprocess.run([sys.executable, "-m", "amtsweg.cli", "migrate", "--verbosity", "0"],
                   env=env, check=True, capture_output=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "amtsweg.wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        workers = _children(proc.pid)
        assert len(workers) == 1, workers
        yield port, workers[0]
    finally:
        proc.terminate()
        proc.wait(30)


def stream(port: int, path: str, file_size: int, *, chunked: bool,
           content: bytes | None = None) -> tuple[int, dict]:
    """POST a multipart body with one file of `file_size` bytes, sent 1 MB at a time (never
    held in memory); the server may answer and close before all of it is sent."""
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="f.xml"\r\nContent-Type: application/xml\r\n\r\n').encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    size = len(content) if content is not None else file_size
    pieces = [head]
    if content is not None:
        pieces.append(content)
    block = b"x" * MB

    def blocks():
        yield from pieces
        if content is None:
            for _ in range(file_size // MB):
                yield block
        yield tail

    with socket.create_connection(("127.0.0.1", port)) as sock:
        length = ("Transfer-Encoding: chunked" if chunked
                  else f"Content-Length: {len(head) + size + len(tail)}")
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: en\r\n"
                     f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                     f"{length}\r\n\r\n".encode())
        try:
            for data in blocks():
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (and closed) before the whole body was sent: what we want
        sock.settimeout(30)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read() or b"{}")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_300_mb_to_the_fim_endpoint_is_refused_without_filling_the_worker(server, chunked):
    port, worker = server
    before = peak_mb(worker)
    status, problem = stream(port, "/api/v1/forms/fim", 300 * MB, chunked=chunked)
    assert status == 413 and problem["status"] == 413, problem
    # A chunked body is read up to the route's limit (6 MB) into a spool, never further.
    assert peak_mb(worker) - before < 20, (before, peak_mb(worker))


def test_a_chunked_upload_within_the_limit_is_converted(server):
    port, _worker = server
    status, answer = stream(port, "/api/v1/forms/fim", 0, chunked=True,
                            content=FIM.read_bytes())
    assert status == 200 and answer["definition"]["format"] == "amtsweg.form/1"
