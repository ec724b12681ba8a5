"""Measure search and the responsibility finder against their targets (see bench/README.md)."""

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
os.environ["API_RATE_LIMIT"] = "100000000"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

QUERIES = [
    "Geburtsurkunde", "Geburtsurk", "Sterbeurkunde", "Elterngeld", "Wunschkennzeichen",
    "Zulassungsbescheinigung", "Feinstaubplakette", "Wohngeld", "Reisepass", "Taxi",
    "Personenbeförderungsschein", "Krankentransport", "strasse", "Reisepas", "Wohngled",
    "Perso", "Kfz", "Führerschein", "Hund anmelden", "Personalausweis beantragen",
    "Kfz zulassen", "Gewerbe anmelden", "Umzug", "Baugenehmigung", "Kindergelt",
    "Eheschliesung", "Ausweis verloren", "wohnsitz anmelden", "Fuehrungszeugnis", "Hochzeit",
]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    s = sorted(samples_ms)
    q = statistics.quantiles(s, n=100, method="inclusive")
    return {"n": len(s), "p50_ms": round(q[49], 4), "p95_ms": round(q[94], 4),
            "p99_ms": round(q[98], 4), "max_ms": round(s[-1], 4)}


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


def typing_prefixes(words: list[str]) -> list[str]:
    """What an as-you-type box sends: every prefix of length >= 2."""
    return [w[:i] for w in words for i in range(2, len(w) + 1)]


def bench_search() -> dict:
    from amtsweg.catalog import search
    from amtsweg.catalog.models import Leistung

    rng = random.Random(2)
    names = list(Leistung.objects.values_list("name", flat=True))
    # realistic query log: typed prefixes, the table above, catalogue names with a typo
    typo_names = []
    for name in rng.sample(names, 300):
        word = max(name.split(), key=len)
        if len(word) > 5:
            i = rng.randrange(1, len(word) - 1)
            word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        typo_names.append(word)
    log = QUERIES + typing_prefixes(QUERIES[:10]) + typo_names + rng.sample(names, 300)

    search.invalidate()
    build_ms = timed(search.get_index)
    cold = [timed(search.search, q, 10) for q in log]  # each word new to the process
    warm = [timed(search.search, q, 10) for _ in range(3) for q in log]
    client = Client(HTTP_HOST="127.0.0.1")
    http_ms = []
    for q in log:
        t = time.perf_counter()
        r = client.get("/api/v1/catalog/search", {"q": q, "limit": 10})
        http_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.content
    return {"index_build_ms": round(build_ms, 1), "queries": len(log),
            "in_process_cold": percentiles(cold), "in_process_warm": percentiles(warm),
            "api_server_time": percentiles(http_ms)}


def finder_pairs(n: int) -> list[tuple[int, int, str, str]]:
    from amtsweg.territory.models import Area, Responsibility

    rng = random.Random(3)
    gemeinden = list(Area.objects.filter(kind="gemeinde", gemeindefrei=False)
                     .values_list("id", "ags"))
    keys = dict(Responsibility.objects.values_list("leistung_id", "leistung__leika_key")
                .distinct())
    leistungen = list(keys.items())
    pairs = []
    for _ in range(n):
        leistung, key = rng.choice(leistungen)
        area, ags = rng.choice(gemeinden)
        pairs.append((leistung, area, key, ags))
    return pairs


def bench_finder() -> dict:
    from amtsweg.territory import lookup

    pairs = finder_pairs(5000)
    lookup.resolve(pairs[0][0], pairs[0][1])
    found = 0
    samples = []
    for leistung, area, _, _ in pairs:
        t = time.perf_counter()
        r = lookup.resolve(leistung, area)
        samples.append((time.perf_counter() - t) * 1000)
        found += r is not None
    return {"in_process": percentiles(samples), "resolved": found, "asked": len(pairs)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "amtsweg.cli", "run", "--no-worker", "--port", str(port),
         "--workers", "1"],
        env={**os.environ, "DEMO_DATA": "true"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server, port


def bench_finder_http() -> dict:
    """Routes over real HTTP against granian, started the way `amtsweg run` starts it.

    Phase 1: no destination signed yet, every first route of a destination signs (RSA-4096).
    Then the worker's job runs (timed), the server restarts, and phase 2 measures a fresh
    process whose signatures come from the database, then the same routes again (warm).
    """
    from amtsweg.api.destinations import sign_stale_destinations
    from amtsweg.territory.models import DestinationSignature

    pairs = finder_pairs(1500)
    results = {}
    DestinationSignature.objects.all().delete()
    for phase in ("unsigned", "presigned"):
        if phase == "presigned":
            t = time.perf_counter()
            results["destinations_signed"] = sign_stale_destinations()
            results["worker_signs_all_s"] = round(time.perf_counter() - t, 2)
        server, port = start_server()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

            def get(path: str, conn=conn) -> float:
                t = time.perf_counter()
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                ms = (time.perf_counter() - t) * 1000
                assert resp.status == 200, body[:200]
                return ms

            paths = [f"/api/routing/v1/routes?leikaKey={key}&ags={ags}"
                     for _, _, key, ags in pairs]
            for _ in range(20):
                get("/api/routing/v1/areas?areaSearchexpression=Fulda")
            results[f"routes_first_{phase}"] = percentiles([get(p) for p in paths])
            if phase == "presigned":
                results["routes_warm"] = percentiles([get(p) for _ in range(2) for p in paths])
                results["areas"] = percentiles([
                    get("/api/routing/v1/areas?areaSearchexpression=" + q)
                    for q in ["Fulda", "Kassel", "Bad*", "34127", "Frankfurt*", "Hessen"] * 50])
        finally:
            server.terminate()
            server.wait(timeout=10)
    return results


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("import_data", demo=True, quiet=True, verbosity=0)
    call_command("ensure_signing_key", verbosity=0)
    db = django.db.connection.vendor
    results = {
        "database": db, "cpus": os.cpu_count(), "python": sys.version.split()[0],
        "search": bench_search(), "finder": bench_finder(), "finder_http": bench_finder_http(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"latest-{db}.json").write_text(json.dumps(results, indent=2) + "\n")
    s, f, h = results["search"], results["finder"], results["finder_http"]
    print(f"database: {db}, index build {s['index_build_ms']} ms, {s['queries']} queries")
    print(f"search in process  cold p95 {s['in_process_cold']['p95_ms']:.3f} ms | "
          f"warm p95 {s['in_process_warm']['p95_ms']:.3f} ms   (target < 5 ms)")
    print(f"search API server time p95 {s['api_server_time']['p95_ms']:.3f} ms (target < 5 ms)")
    print(f"finder in process p50 {f['in_process']['p50_ms']:.3f} ms, "
          f"p95 {f['in_process']['p95_ms']:.3f} ms  (target < 1 ms)")
    print(f"finder API over HTTP p95: warm {h['routes_warm']['p95_ms']:.3f} ms, "
          f"first request of a fresh process {h['routes_first_presigned']['p95_ms']:.3f} ms, "
          f"before any signing {h['routes_first_unsigned']['p95_ms']:.3f} ms (target < 10 ms)")
    print(f"worker signs all destinations in {h['worker_signs_all_s']} s; "
          f"areas p95 {h['areas']['p95_ms']:.3f} ms")
    run_area_benches()


# The per-area benchmarks, each in its own process (own settings, a fresh process for the
# first-render figures); each writes bench/results/latest-<name>.json and prints its lines.
AREA_BENCHES = [
    ("forms", "form engine: validate 300 fields/65 rules, save 95 fields"),
    ("fim", "FIM import of a 150 KB file"),
    ("render", "rendering a 100-field step"),
    ("documents", "receipt PDF"),
    ("submissions", "applying online: submissions over HTTP on PostgreSQL, receipt, step "
                    "view, save_version"),
    ("patterns", "regular-expression denial of service: areas API, designer patterns, "
                 "the former code"),
    ("uploads", "refusing a 25 MB file on a 10 MB field, Django's handlers and ours"),
    ("throttle", "API throughput by throttle store: memory, database, file (SQLite)"),
]


def run_area_benches() -> None:
    failed = []
    for name, what in AREA_BENCHES:
        print(f"\n== {name}: {what}", flush=True)
        env = {**os.environ}
        if name == "submissions" and not postgres_reachable():
            print("SKIPPED submissions over HTTP on PostgreSQL: no PostgreSQL reachable at "
                  f"{_submissions_pg()} (the in-process part runs on SQLite)", flush=True)
        result = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}_bench.py")],
                                env=env, check=False)
        if result.returncode:
            failed.append(name)
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


def _submissions_pg() -> str:
    sys.path.insert(0, str(ROOT / "bench"))
    from submissions_bench import _pg_url

    return _pg_url()


def postgres_reachable() -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(_submissions_pg())
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432),
                                 timeout=2).close()
    except OSError:
        return False
    return True


if __name__ == "__main__":
    main()
