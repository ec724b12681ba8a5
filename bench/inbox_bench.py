"""Measure the back-office inbox (issue 5) with 1,000,000 cases on PostgreSQL: p95 < 50 ms.

Setup (timed, reported): migrate + import_data into its own database, then 1,000,000
submissions and cases and 2,000,000 blind-index tokens inserted by INSERT … SELECT
generate_series, spread over 400 Behörden the way cases are spread in reality: 5 big ones
with 100,000 cases each, the other 500,000 over 395 smaller ones. Every case carries two
name tokens (one given name out of 200, one family name out of 1,000), computed with the real
keyed hash of each Behörde (actions.name_tokens), so that searching works as in production.
The submissions of the measured Behörde get real sealed content (the inbox decrypts the
applicant's name of the rows it shows); the others carry a placeholder.

Measured, in process (Django test client, full middleware and template, server time), as a
clerk of one big Behörde, 50 runs each after 5 warm-ups: the first page, a page filtered by
state, a search by two name words, page 20 (through the `before` cursor). EXPLAIN ANALYZE of
each page's case query is printed so that index use can be checked.

The database amtsweg_inbox_bench on the PostgreSQL server of DATABASE_URL (or the local
default) is dropped and created here, and dropped afterwards unless --keep-db.

    .venv/bin/python bench/inbox_bench.py [--cases 1000000] [--runs 50] [--keep-db]

Results: bench/results/latest-inbox.json.
"""

import argparse
import html
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/amtsweg_inbox_bench"
DB_NAME = "amtsweg_inbox_bench"
TARGET_P95_MS = 50
BIG = 5
BIG_SIZE = 100_000
AUTHORITIES = 400
GIVEN = 200
FAMILY = 1000


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
    return {"n": len(s), "median_ms": round(statistics.median(s), 2),
            "p95_ms": round(s[max(0, round(len(s) * 0.95) - 1)], 2),
            "min_ms": round(s[0], 2), "max_ms": round(s[-1], 2)}


# --- names ------------------------------------------------------------------------------------

_A = ["Ma", "Lu", "Jo", "El", "Ka", "Ro", "Fe", "Li", "Be", "Ha", "Mi", "Sa", "To", "Ni",
      "Gre", "Wi", "Ur", "Pau", "Ida", "Ot"]
_B = ["ra", "na", "lia", "nas", "ko", "ben", "rik", "te", "ma", "lotta"]
_F1 = ["Mül", "Schmi", "Schnei", "Fi", "We", "Mey", "Wag", "Be", "Schul", "Hoff", "Kle", "Wolf",
       "Schrö", "Neu", "Schwar", "Zim", "Braun", "Krü", "Hof", "Hart", "Lang", "Wer", "Krau",
       "Leh", "Köh"]
_F2 = ["ler", "dt", "der", "scher", "ber", "er", "ner", "cker", "ze", "mann", "ke", "f", "rich",
       "rt", "zel", "mer", "s", "bach", "haus", "inger", "stein", "feld", "berg", "hold", "ing",
       "ert", "mayr", "wald", "brück", "ow", "ski", "l", "ß", "lein", "ig", "man", "at", "isch",
       "ek", "holz"]


def given_names() -> list[str]:
    return [a + b for a in _A for b in _B][:GIVEN]


def family_names() -> list[str]:
    return [a + b for a in _F1 for b in _F2][:FAMILY]


# --- data -------------------------------------------------------------------------------------

def insert_cases(n: int) -> dict:
    """Submissions, cases and tokens for n cases over AUTHORITIES Behörden; returns what the
    measurement needs (the measured Behörde, a name of one of its cases)."""
    from django.db import connection

    from amtsweg.cases.actions import name_tokens
    from amtsweg.core import tenantcrypto
    from amtsweg.services.models import Adoption
    from amtsweg.territory.models import Authority

    adoption = Adoption.objects.select_related("version").order_by("pk").first()
    ids = list(Authority.objects.order_by("pk").values_list("pk", flat=True)[:AUTHORITIES])
    if adoption.authority_id in ids:
        ids.remove(adoption.authority_id)
    ids = [adoption.authority_id, *ids][:AUTHORITIES]  # the measured one: has a service
    big, small = ids[:BIG], ids[BIG:]
    big_total = min(n // 2, BIG * BIG_SIZE)
    given, family = given_names(), family_names()
    timings = {}
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute("CREATE TEMP TABLE bench_authority (idx int PRIMARY KEY, id int, area_id int)")
        for i, pk in enumerate(ids):
            cur.execute("INSERT INTO bench_authority SELECT %s, id, area_id FROM "
                        "territory_authority WHERE id = %s", [i, pk])
        # g -> authority index: the first big_total rows over the big ones, the rest spread
        # over the small ones (by a hash, so that each has cases of all ages).
        auth_idx = (f"(CASE WHEN g <= {big_total} THEN mod(g - 1, {BIG}) "
                    f"ELSE {BIG} + mod(g::bigint * 7919, {len(small)}) END)")
        received = "(now() - mod(g::bigint * 104729, 94608000) * interval '1 second')"
        state = ("(CASE WHEN mod(g, 100) < 70 THEN 'abgeschlossen' WHEN mod(g, 100) < 80 THEN "
                 "'eingegangen' WHEN mod(g, 100) < 90 THEN 'in_pruefung' WHEN mod(g, 100) < 95 "
                 "THEN "
                 "'nachforderung' ELSE 'entschieden' END)")
        cur.execute(f"""
            INSERT INTO submissions_submission (id, receipt_number, draft_key, version_id,
                adoption_id, authority_id, area_id, user_id, organisation_id, trust_level, lang,
                data, fee_amount, submitted_at)
            SELECT md5('s' || g)::uuid, 'AW-BENCH-' || lpad(g::text, 8, '0'),
                   md5('d' || g)::uuid, %s, %s, a.id, a.area_id, NULL, NULL, 'basis', 'de',
                   '\\x00'::bytea, NULL, {received}
            FROM generate_series(1, %s) g JOIN bench_authority a ON a.idx = {auth_idx}
        """, [adoption.version_id, adoption.pk, n])
        timings["submissions_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        cur.execute(f"""
            INSERT INTO cases_case (id, submission_id, authority_id, version_id, receipt_number,
                state, outcome, assignee_id, received_at, due_at, closed_at, lock_version,
                updated_at)
            SELECT g, md5('s' || g)::uuid, a.id, %s, 'AW-BENCH-' || lpad(g::text, 8, '0'),
                   {state}, '', NULL, {received}, {received} + interval '14 days',
                   CASE WHEN mod(g, 100) < 70 THEN {received} + interval '10 days' END, 0, now()
            FROM generate_series(1, %s) g JOIN bench_authority a ON a.idx = {auth_idx}
        """, [adoption.version_id, n])
        cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [n])
        timings["cases_s"] = round(time.perf_counter() - t, 1)

        t = time.perf_counter()
        cur.execute("CREATE TEMP TABLE bench_word (authority_id int, kind char, idx int, "
                    "token varchar(32))")
        buf = io.StringIO()
        for pk in ids:
            tenant = tenantcrypto.tenant_of_authority(pk)
            for kind, names in (("g", given), ("f", family)):
                for i, name in enumerate(names):
                    buf.write(f"{pk}\t{kind}\t{i}\t{name_tokens(tenant, name)[0]}\n")
        with cur.cursor.copy("COPY bench_word FROM STDIN") as copy:
            copy.write(buf.getvalue())
        cur.execute("CREATE INDEX ON bench_word (authority_id, kind, idx)")
        cur.execute("ANALYZE bench_word")
        for kind, expr in (("g", f"mod(c.id * 31, {GIVEN})"), ("f", f"mod(c.id * 17, {FAMILY})")):
            cur.execute(f"""
                INSERT INTO cases_searchtoken (case_id, token)
                SELECT c.id, w.token FROM cases_case c
                JOIN bench_word w ON w.authority_id = c.authority_id AND w.kind = '{kind}'
                     AND w.idx = {expr}
            """)
        timings["tokens_s"] = round(time.perf_counter() - t, 1)

        # real sealed content for the measured Behörde (its rows are decrypted when shown)
        t = time.perf_counter()
        # (and for the second big one: a person working for both is measured too)
        measured, second = big[0], big[1]
        cur.execute("CREATE TEMP TABLE bench_data (id uuid PRIMARY KEY, data bytea)")
        blobs = []  # sealed before the COPY: sealing may read the tenant key
        for authority_id in (measured, second):
            tenant = tenantcrypto.tenant_of_authority(authority_id)
            cur.execute("SELECT c.id, c.submission_id::text FROM cases_case c "
                        "WHERE c.authority_id = %s", [authority_id])
            pairs = cur.fetchall()
            for case_id, sub_id in pairs:
                name = f"{given[(case_id * 31) % GIVEN]} {family[(case_id * 17) % FAMILY]}"
                blobs.append((sub_id, tenantcrypto.seal_json(
                    tenant, {"answers": {}, "email": "bench@example.org", "applicant": name},
                    f"submission:{sub_id}")))
            if authority_id == measured:
                sample = pairs[len(pairs) // 3][0]
        with cur.cursor.copy("COPY bench_data (id, data) FROM STDIN") as copy:
            for row in blobs:
                copy.write_row(row)
        cur.execute("UPDATE submissions_submission s SET data = d.data FROM bench_data d "
                    "WHERE s.id = d.id")
        timings["sealed_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        cur.execute("ANALYZE cases_case")
        cur.execute("ANALYZE cases_searchtoken")
        cur.execute("ANALYZE submissions_submission")
        timings["analyze_s"] = round(time.perf_counter() - t, 1)
        cur.execute("SELECT count(*) FROM cases_case WHERE authority_id = %s", [measured])
        measured_cases = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM cases_case")
        total = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM cases_searchtoken")
        tokens = cur.fetchone()[0]
    name = f"{given[(sample * 31) % GIVEN]} {family[(sample * 17) % FAMILY]}"
    return {"authority": measured, "second_authority": second,
            "authority_cases": measured_cases, "cases": total,
            "tokens": tokens, "authorities": len(ids), "search": name, "timings": timings}


# --- measurement ------------------------------------------------------------------------------

def clerk_client(*authority_ids: int):
    from django.test import Client

    from amtsweg.accounts.models import StaffRole, User

    email = f"bench-clerk-{len(authority_ids)}@amt.example"
    User.objects.filter(email=email).delete()
    user = User.objects.create_user(email, "Sehr-geheim-2026",
                                    is_staff=True, first_name="Bea", last_name="Bench")
    for authority_id in authority_ids:
        StaffRole.objects.create(user=user, role="clerk", authority_id=authority_id)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(user)
    session = client.session
    session["mfa"] = True
    session.save()
    return client


def case_query(client, url: str) -> str:
    """The SQL of the page's case list query (the one with LIMIT on cases_case)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        r = client.get(url)
    assert r.status_code == 200, r.status_code
    return next(q["sql"] for q in queries.captured_queries
                if 'FROM "cases_case"' in q["sql"] and "LIMIT" in q["sql"])


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return "\n".join(row[0] for row in cur.fetchall())


def measure(client, url: str, runs: int, warmup: int = 5) -> dict:
    for _ in range(warmup):
        assert client.get(url).status_code == 200
    samples, rows = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.status_code
        rows = r.content.decode().count('scope="row"')
    return {**stats(samples), "rows": rows}


def bench_inbox(info: dict, runs: int) -> dict:
    client = clerk_client(info["authority"])
    base = "/verwaltung/faelle/"
    url = base
    for _ in range(19):  # page 20: follow the "next page" links
        link = re.search(r'rel="next" href="([^"]+)"', client.get(url).content.decode())
        url = base + html.unescape(link.group(1))
    pages = {"first page": base, "state filter": base + "?state=in_pruefung",
             "name search (2 words)": base + "?" + urlencode({"q": info["search"]}),
             "page 20 (cursor)": url,
             "overdue filter": base + "?due=overdue"}
    two = clerk_client(info["authority"], info["second_authority"])
    out = {}
    for name, page_url in pages.items():
        result = measure(client, page_url, runs)
        result["url"] = page_url
        result["explain"] = explain(case_query(client, page_url))
        out[name] = result
    # a person working for two big Behörden (200,000 cases): one index walk per Behörde
    for name, page_url in {"two Behörden: first page": base,
                           "two Behörden: name search": base + "?" + urlencode(
                               {"q": info["search"]})}.items():
        result = measure(two, page_url, runs)
        result["url"] = page_url
        result["explain"] = explain(case_query(two, page_url))
        out[name] = result
    return out


def profile(info: dict) -> None:
    import cProfile
    import pstats

    client = clerk_client(info["authority"])
    for _ in range(5):
        client.get("/verwaltung/faelle/")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        client.get("/verwaltung/faelle/")
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/verwaltung/faelle/")
    for q in queries.captured_queries:
        print(q["time"], q["sql"][:300])
    from amtsweg.accounts.models import User

    User.objects.filter(email="bench-clerk-1@amt.example").delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the first page (10 requests)")
    args = parser.parse_args()

    os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
    pg = _pg_url()
    problem = prepare_postgres(pg)
    if problem is not None:
        print(f"SKIPPED inbox benchmark: {problem}")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "latest-inbox.json").write_text(json.dumps({"skipped": problem}) + "\n")
        return
    os.environ["DATABASE_URL"] = pg
    sys.path.insert(0, str(ROOT / "src"))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("import_data", demo=True, quiet=True, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # as in production
        setup_s = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        info = insert_cases(args.cases)
        info["timings"]["insert_total_s"] = round(time.perf_counter() - t, 1)
        if args.profile:
            profile(info)
        pages = bench_inbox(info, args.runs)
    finally:
        connection.close()
        if not args.keep_db:
            drop_postgres(pg)
    results = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
               "python": sys.version.split()[0], "database": "postgresql",
               "setup_s": setup_s, "data": info, "target_p95_ms": TARGET_P95_MS,
               "pages": pages,
               "ok": all(p["p95_ms"] < TARGET_P95_MS for p in pages.values())}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-inbox.json").write_text(json.dumps(results, indent=2,
                                                          ensure_ascii=False) + "\n")
    report(results)


def report(r: dict) -> None:
    d = r["data"]
    print(f"{d['cases']:,} cases in {d['authorities']} Behörden, {d['tokens']:,} tokens; "
          f"measured Behörde {d['authority']} with {d['authority_cases']:,} cases; "
          f"insert {d['timings']}")
    for name, p in r["pages"].items():
        print(f"\n--- {name}: {p['url']}\n{p['explain']}")
    print(f"\n{'inbox page (clerk of a big Behörde)':38} {'p50':>8} {'p95':>8} {'rows':>5}")
    for name, p in r["pages"].items():
        flag = "ok" if p["p95_ms"] < r["target_p95_ms"] else "OVER TARGET"
        print(f"{name:38} {p['median_ms']:>6.1f}ms {p['p95_ms']:>6.1f}ms {p['rows']:>5}  {flag}")
    print(f"target: p95 < {r['target_p95_ms']} ms")


if __name__ == "__main__":
    main()
