"""Measure the OZG dashboard (issue 6) with 1,000,000 submissions on PostgreSQL: the Land,
Kreis and Gemeinde dashboards render in under 200 ms (p95, server time), also uncached.

Setup (timed, reported): migrate + import_data into its own database, then 1,000,000
submissions with their cases inserted by INSERT … SELECT generate_series, spread over every
demo adoption (about 1,200 Behörden × services) and the last 36 months: 70 % decided and
closed after 0–44 days, 5 % decided and not yet closed (with their transition event), 5 %
withdrawn, 20 % open (most of them overdue). Then the full roll-up (timed: what a fresh
installation or `dashboard_snapshot --full` costs) and the snapshot.

Measured, in process (Django test client, full middleware and template, server time):
- the Land, a Kreis and a Gemeinde page, cached (`--runs`, after 3 warm-ups: figures and
  page body from the cache, what every request between two roll-ups gets) and uncached
  (`--cold-runs`: the cache emptied before each request, so the figures are read from the
  roll-up's area sums and the page is rendered again);
- the Land page right after an adoption changed (its cache keys change, the maturity levels
  are computed again) and as the first request of a new process (cache emptied and the
  maturity matrix forgotten, territory part included);
- an incremental roll-up after 1,000 more submissions (what the worker does every 10 min).

The cache is the process's local memory (REDIS_URL is ignored here: emptying the cache must
not flush a Redis database that others use).

The database amtsweg_dashboard_bench on the PostgreSQL server of DATABASE_URL (or the local
default) is dropped and created here, and dropped afterwards unless --keep-db.

    .venv/bin/python bench/dashboard_bench.py [--submissions 1000000] [--runs 50] [--keep-db]

Results: bench/results/latest-dashboard.json.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/amtsweg_dashboard_bench"
DB_NAME = "amtsweg_dashboard_bench"
TARGET_P95_MS = 200


def _pg_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return DEFAULT_PG
    return urlsplit(url)._replace(path=f"/{DB_NAME}").geturl()


def _admin(url: str):
    import psycopg

    return psycopg.connect(urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True,
                           connect_timeout=3)


def prepare_postgres(url: str) -> str | None:
    try:
        with _admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    except Exception as exc:  # any failure means: no usable PostgreSQL here
        return f"PostgreSQL is not usable ({exc})"
    return None


def drop_postgres(url: str) -> None:
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def stats(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"n": len(s), "median_ms": round(statistics.median(s), 1),
            "p95_ms": round(s[max(0, round(len(s) * 0.95) - 1)], 1),
            "min_ms": round(s[0], 1), "max_ms": round(s[-1], 1)}


def insert(n: int, offset: int = 0, *, recent: bool = False) -> dict:
    """n submissions and cases (ids offset+1 … offset+n) over every demo adoption."""
    from django.db import connection

    rows_at = ("(now() - interval '5 minutes' * mod(g::bigint * 7, 12))" if recent else
               "(now() - mod(g::bigint * 104729, 94608000) * interval '1 second')")
    kind = "mod(g::bigint * 31, 100)"
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_adoption")
        cur.execute("""CREATE TEMP TABLE bench_adoption AS
            SELECT row_number() OVER (ORDER BY a.id) - 1 AS idx, a.id, a.version_id,
                   a.authority_id, t.area_id
            FROM services_adoption a JOIN territory_authority t ON t.id = a.authority_id""")
        cur.execute("CREATE INDEX ON bench_adoption (idx)")
        cur.execute("SELECT count(*) FROM bench_adoption")
        adoptions = cur.fetchone()[0]
        pick = f"mod(g::bigint * 7919, {adoptions})"
        t = time.perf_counter()
        cur.execute(f"""
            INSERT INTO submissions_submission (id, receipt_number, draft_key, version_id,
                adoption_id, authority_id, area_id, user_id, organisation_id, trust_level, lang,
                data, fee_amount, submitted_at)
            SELECT md5('s' || g)::uuid, 'AW-DASH-' || lpad(g::text, 8, '0'),
                   md5('d' || g)::uuid, a.version_id, a.id, a.authority_id, a.area_id, NULL,
                   NULL, 'basis', 'de', '\\x00'::bytea, NULL, {rows_at}
            FROM generate_series(%s, %s) g JOIN bench_adoption a ON a.idx = {pick}
        """, [offset + 1, offset + n])
        submissions_s = time.perf_counter() - t
        t = time.perf_counter()
        decided_days = "(mod(g::bigint * 13, 45) * interval '1 day' + interval '3 hours')"
        cur.execute(f"""
            INSERT INTO cases_case (id, submission_id, authority_id, version_id, receipt_number,
                state, outcome, assignee_id, received_at, due_at, closed_at, lock_version,
                updated_at)
            SELECT g, md5('s' || g)::uuid, a.authority_id, a.version_id,
                   'AW-DASH-' || lpad(g::text, 8, '0'),
                   CASE WHEN {kind} < 70 THEN 'abgeschlossen' WHEN {kind} < 75 THEN 'entschieden'
                        WHEN {kind} < 80 THEN 'zurueckgezogen' WHEN {kind} < 90
                        THEN 'eingegangen' ELSE 'in_pruefung' END,
                   CASE WHEN {kind} < 75 THEN 'bewilligt' ELSE '' END, NULL,
                   {rows_at}, {rows_at} + interval '14 days',
                   CASE WHEN {kind} < 70 THEN {rows_at} + {decided_days}
                        WHEN {kind} >= 75 AND {kind} < 80 THEN {rows_at} + interval '1 day' END,
                   0, {rows_at} + {decided_days}
            FROM generate_series(%s, %s) g JOIN bench_adoption a ON a.idx = {pick}
        """, [offset + 1, offset + n])
        cur.execute(f"""
            INSERT INTO cases_caseevent (case_id, kind, actor_id, from_state, to_state, text, at)
            SELECT g, 'transition', NULL, 'in_pruefung', 'entschieden', '\\x'::bytea,
                   {rows_at} + {decided_days}
            FROM generate_series(%s, %s) g WHERE {kind} >= 70 AND {kind} < 75
        """, [offset + 1, offset + n])
        cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)",
                    [offset + n])
        cases_s = time.perf_counter() - t
        for table in ("submissions_submission", "cases_case", "cases_caseevent"):
            cur.execute(f"ANALYZE {table}")
    return {"adoptions": adoptions, "submissions_s": round(submissions_s, 1),
            "cases_s": round(cases_s, 1)}


def measure(client, url: str, runs: int, *, cold: bool = False, warmup: int = 3,
            before=None) -> dict:
    """Server time of `runs` requests; `cold`: the cache emptied before each; `before`:
    called before each request (not timed)."""
    from django.core.cache import cache

    for _ in range(0 if cold else warmup):
        assert client.get(url).status_code == 200
    samples = []
    for _ in range(runs):
        if cold:
            cache.clear()
        if before is not None:
            before()
        t = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.status_code
    return {**stats(samples), "bytes": len(r.content), "url": url}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--cold-runs", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
    pg = _pg_url()
    problem = prepare_postgres(pg)
    if problem is not None:
        print(f"SKIPPED dashboard benchmark: {problem}")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "latest-dashboard.json").write_text(json.dumps({"skipped": problem}) + "\n")
        return
    os.environ["DATABASE_URL"] = pg
    os.environ.pop("REDIS_URL", None)  # local memory cache: see the module docstring
    sys.path.insert(0, str(ROOT / "src"))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from amtsweg.dashboard import actions, coverage
    from amtsweg.dashboard.models import AreaFigures, AreaMonth, DurationTally, Tally
    from amtsweg.services.models import Adoption

    settings.DASHBOARD_REFRESH_SECONDS = 86400
    try:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("import_data", demo=True, quiet=True, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # as in production
        setup_s = round(time.perf_counter() - t, 1)
        info = insert(args.submissions)
        t = time.perf_counter()
        run = actions.rollup(full=True)
        info["rollup_full_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        info["snapshot_areas"] = actions.snapshot()
        info["snapshot_s"] = round(time.perf_counter() - t, 2)
        info["tallies"] = Tally.objects.count()
        info["duration_tallies"] = DurationTally.objects.count()
        info["area_months"] = AreaMonth.objects.count()
        info["area_figures"] = AreaFigures.objects.count()
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM submissions_submission")
            info["submissions"] = cur.fetchone()[0]
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="de")
        pages = {}
        for name, url in (("Land", "/dashboard/"), ("Kreis", "/dashboard/kreis/06635/"),
                          ("Gemeinde", "/dashboard/gemeinde/06635001/")):
            pages[f"{name} (cached)"] = measure(client, url, args.runs)
            pages[f"{name} (uncached: cache emptied before each request)"] = measure(
                client, url, args.cold_runs, cold=True)
        touched = Adoption.objects.order_by("pk").values_list("pk", flat=True).first()

        def adopt() -> None:
            Adoption.objects.filter(pk=touched).update(updated_at=timezone.now())

        pages["Land, first request after an adoption changed"] = measure(
            client, "/dashboard/", args.cold_runs, before=adopt)
        pages["Land, first request of a new process (matrix made again)"] = measure(
            client, "/dashboard/", 5, cold=True, before=coverage.forget)
        land = client.get("/dashboard/daten.json")
        figures = json.loads(land.content)["figures"]
        insert(1000, offset=args.submissions, recent=True)
        t = time.perf_counter()
        incremental = actions.rollup()
        info["rollup_incremental_s"] = round(time.perf_counter() - t, 2)
        info["rollup_incremental_since"] = str(incremental.since)
        info["full_rollup_since"] = str(run.since)
    finally:
        connection.close()
        if not args.keep_db:
            drop_postgres(pg)
    results = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
               "python": sys.version.split()[0], "database": "postgresql",
               "setup_s": setup_s, "data": info, "land_figures": figures,
               "target_p95_ms": TARGET_P95_MS, "pages": pages,
               "ok": all(p["p95_ms"] < TARGET_P95_MS for name, p in pages.items()
                         if "(cached)" in name or "(uncached" in name)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-dashboard.json").write_text(json.dumps(results, indent=2,
                                                              ensure_ascii=False) + "\n")
    report(results)


def report(r: dict) -> None:
    d = r["data"]
    print(f"{d['submissions']:,} submissions over {d['adoptions']} adoptions; "
          f"{d['tallies']:,} tallies, {d['duration_tallies']:,} duration tallies, "
          f"{d['area_months']:,} area months, {d['area_figures']:,} area figures; "
          f"full roll-up {d['rollup_full_s']} s, incremental {d['rollup_incremental_s']} s, "
          f"snapshot {d['snapshot_s']} s")
    print(f"Land figures: {r['land_figures']}")
    print(f"\n{'page':60} {'p50':>8} {'p95':>8} {'KB':>6}")
    for name, p in r["pages"].items():
        print(f"{name:60} {p['median_ms']:>6.1f}ms {p['p95_ms']:>6.1f}ms "
              f"{p['bytes'] // 1024:>6}")
    print(f"target: Land, Kreis and Gemeinde p95 < {r['target_p95_ms']} ms, cached and uncached: "
          f"{'ok' if r['ok'] else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
