"""What the shared throttle counters cost the API (see bench/README.md).

Every API request counts in `core.throttle` (the rate limit). The outside tester measured the
API throughput on SQLite halved when the counters were upserted into the main database (a write
transaction per GET). This bench starts `amtsweg run` (granian, its default web workers and
threads, demo mode) for each store, all at once, and sends to one after the other (the rounds
alternate between the stores, so a change in the machine's load falls on all alike), over C
keep-alive connections of an asyncio client, for S seconds each (five rounds, the median
counts):

- `GET /api/routing/v1/areas?areaSearchexpression=Fulda`
- `GET /api/v1/catalog/search?q=Personalausweis`

Stores: "memory" (THROTTLE_STORE=cache with the per-process memory cache, E602 silenced: every
worker counts on its own, which a real start refuses; it is the throttle at nearly no cost, the
baseline), "database" (the upsert into the main database: the former default on SQLite, the
default on PostgreSQL) and, on SQLite, "file" (the counters in a SQLite file of their own, the
default on SQLite now). Reported: req/s of each and the ratio to the baseline.

A fresh database is migrated and filled with `import_data` (SQLite in a temporary folder, or
DATABASE_URL as is). Run alone with `.venv/bin/python bench/throttle_bench.py [--seconds 4]
[--concurrency 8] [--rounds 5]`. Results: bench/results/latest-throttle-<database>.json.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-throttle-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
os.environ["API_RATE_LIMIT"] = "1000000000"  # counted, never refused

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

ENDPOINTS = {
    "areas": "/api/routing/v1/areas?areaSearchexpression=Fulda",
    "search": "/api/v1/catalog/search?q=Personalausweis",
}
# name: environment of its server
STORES = {
    "memory": {"THROTTLE_STORE": "cache", "SILENCED_SYSTEM_CHECKS": "amtsweg.E602"},
    "database": {"THROTTLE_STORE": "database"},
    "file": {"THROTTLE_STORE": "file"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(extra_env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "amtsweg.cli", "run", "--no-worker", "--port", str(port)],
        env={**os.environ, "DEMO_DATA": "true", **extra_env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"the server with {extra_env} did not start") from None
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not start")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            await reader.readexactly(size)
            await reader.readline()
    return status, headers


def load(port: int, path: str, seconds: float, concurrency: int) -> dict:
    """Requests back to back over `concurrency` keep-alive connections for `seconds`."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
               "\r\n").encode()
    statuses: dict[int, int] = {}
    remaining: list[str] = []

    async def connection(stop: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop:
            writer.write(request)
            status, headers = await _read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
            remaining.append(headers.get("ratelimit-remaining", ""))
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(connection(started + seconds) for _ in range(concurrency)))
        return time.perf_counter() - started

    wall = asyncio.run(run())
    assert set(statuses) == {200}, statuses
    assert all(remaining), "no RateLimit-Remaining header: the rate limit did not count"
    return {"requests": statuses[200], "seconds": round(wall, 2),
            "req_per_s": round(statuses[200] / wall, 1)}


def bench_stores(names: list[str], seconds: float, concurrency: int, rounds: int) -> dict:
    """One server per store, all started first; the rounds alternate between them (the order
    rotating), so that a change of the machine's load falls on every store alike."""
    servers = {}
    try:
        for name in names:
            servers[name] = start_server(STORES[name])
        for _server, port in servers.values():
            for path in ENDPOINTS.values():  # warm-up: in-memory copies, connections
                load(port, path, 2.0, concurrency)
        runs: dict = {name: {endpoint: [] for endpoint in ENDPOINTS} for name in names}
        for i in range(rounds):
            for name in names[i % len(names):] + names[:i % len(names)]:
                port = servers[name][1]
                for endpoint, path in ENDPOINTS.items():
                    runs[name][endpoint].append(
                        load(port, path, seconds, concurrency)["req_per_s"])
    finally:
        for server, _port in servers.values():
            server.terminate()
        for server, _port in servers.values():
            server.wait(timeout=30)
    return {name: {endpoint: {"req_per_s": statistics.median(r), "rounds": r}
                   for endpoint, r in row.items()} for name, row in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("import_data", demo=True, quiet=True, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as in production
    vendor = django.db.connection.vendor
    if vendor == "sqlite":  # the servers start from a checkpointed file, all alike
        with django.db.connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    django.db.connections.close_all()
    stores = ["memory", "database", "file"] if vendor == "sqlite" else ["memory", "database"]
    results: dict = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
                     "python": sys.version.split()[0], "database": vendor,
                     "setup_s": round(time.perf_counter() - started, 1),
                     "seconds": args.seconds, "concurrency": args.concurrency,
                     "rounds": args.rounds, "endpoints": ENDPOINTS,
                     "stores": bench_stores(stores, args.seconds, args.concurrency, args.rounds)}
    base = results["stores"]["memory"]
    for row in results["stores"].values():
        for endpoint, figures in row.items():
            figures["ratio_to_memory"] = round(
                figures["req_per_s"] / base[endpoint]["req_per_s"], 3)
    if "file" in results["stores"]:
        results["file_to_database"] = {
            endpoint: round(f["req_per_s"] / results["stores"]["database"][endpoint]["req_per_s"],
                            3) for endpoint, f in results["stores"]["file"].items()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"latest-throttle-{vendor}.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(r: dict) -> None:
    print(f"API throughput by throttle store ({r['database']}, amtsweg run, {r['concurrency']} "
          f"keep-alive connections, median of {r['rounds']} x {r['seconds']} s):")
    for name, row in r["stores"].items():
        print(f"  {name:9} " + "   ".join(
            f"{endpoint} {f['req_per_s']:7.1f} req/s ({f['ratio_to_memory']:.2f} x memory)"
            for endpoint, f in row.items()))
    if "file_to_database" in r:
        print("  file / database: " + ", ".join(
            f"{endpoint} {ratio:.2f}" for endpoint, ratio in r["file_to_database"].items()))


if __name__ == "__main__":
    main()
