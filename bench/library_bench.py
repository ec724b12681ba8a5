"""Measure the service library (`/bibliothek/`) and the cooperation pages with the demo data
(12 published services, about 1,200 adoptions, 354 cooperations).

A fresh database is migrated and filled with `import_data` (SQLite in a temporary folder, or
the database of DATABASE_URL — give it a name of its own, it is used as is; on PostgreSQL
it is analysed after the import, as autovacuum would). Each page is
requested through the whole Django stack with the test client (middleware, template),
3 warm-ups and then `--runs` times; reported are server time (median, p95) and the number of
SQL queries of the last run, which must not grow with the number of rows on the page.

    .venv/bin/python bench/library_bench.py [--runs 30]

Results: bench/results/latest-library.json.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-library-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGES = [
    ("library, all services", "/bibliothek/"),
    ("library, text search", "/bibliothek/?q=urkunde"),
    ("library, maturity filter", "/bibliothek/?reifegrad=3"),
    ("library, detail with 343 Kommunen", "/bibliothek/geburtsurkunde/"),
    ("library, detail of the IKZ service", "/bibliothek/hundesteuer-anmeldung/"),
    ("cooperations, first page", "/ikz/"),
    ("cooperations, Kreis filter", "/ikz/?kreis=06635"),
    ("cooperation page", "/ikz/ederbergland-digital/"),
]


def measure(client: Client, url: str, runs: int) -> dict:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    s = sorted(samples)
    return {"url": url, "n": runs, "median_ms": round(statistics.median(s), 1),
            "p95_ms": round(s[max(0, round(len(s) * 0.95) - 1)], 1),
            "queries": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("import_data", demo=True, quiet=True, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as in production
    if connection.vendor == "postgresql":  # statistics, as autovacuum keeps them in production
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup_s = round(time.perf_counter() - t, 1)
    from amtsweg.services.models import Adoption

    client = Client(HTTP_HOST="127.0.0.1")
    results = {"database": connection.vendor, "setup_s": setup_s,
               "active_adoptions": Adoption.objects.filter(active=True).count(), "pages": {}}
    for label, url in PAGES:
        results["pages"][label] = row = measure(client, url, args.runs)
        print(f"{label:40} median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
              f"{row['queries']:3d} queries", file=sys.stderr)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-library.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
