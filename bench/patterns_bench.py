"""Measure what issue 11, finding 1 was about: regular-expression denial of service through
the routing API and through designer patterns (see bench/README.md).

1. `GET /api/routing/v1/areas` with the expression of the finding (`"a" * 36 + "***"`),
   longer ones (100 and 1,000 characters), `*`-heavy ones and the longest accepted
   expression (99 characters, 33 wildcard pieces, ten times: matched against every area):
   Django test client, server time, median/p95/max of 50 each. Target < 10 ms.
2. The same attack over HTTP against granian (`amtsweg run`, its two default web workers):
   four clients send the worst expressions back to back for 5 s while a fifth times `GET /`
   (the finding: 37 s for `GET /`).
3. A published, adopted service whose text fields carry `(a{1,30}){1,30}`, `(a+)+$`,
   `(a|aa)+$` and `^(\\w+\\s?)+$`: `CompiledForm.validate()` of answers that fail every
   pattern at the fields' full length (200 characters), median of 200, and the step POST
   through the real view (test client, server time, median of 50). Target < 10 ms.
4. For comparison, the former code in a child process with a time limit: the former regex
   check of the expression, and Python's `re` on the patterns, growing the input until one
   run takes more than 2 s.
5. The outside tester's compile flood: `POST /api/v1/forms/check` (no login) of a definition
   with 100 text fields whose patterns are `[\\w ]{1,199}c<n>` (distinct each, new ones every
   request so nothing is cached): test client, server time; then four such requests at once
   over HTTP (granian, `amtsweg run`) while a fifth client times `GET /` (finding: 4+ s per
   request, 33 s for four).
6. Published forms with 150 distinct patterns (more than the former 128-entry cache):
   `CompiledForm.validate()` of complete answers, first and following runs, for
   150 name patterns `^[\\w .-]{1,n}$` (n = 50 … 199) and for the tester's 150
   `[\\w ]{1,199}c<n>` (finding: 12.3 s per validation).

`python bench/patterns_bench.py check forms` runs only sections 5 and 6.

A fresh database is migrated and filled with `import_data` (SQLite in a temporary folder, or
DATABASE_URL as is). Run alone with `.venv/bin/python bench/patterns_bench.py`.
Results: bench/results/latest-patterns.json.
"""

import http.client
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 10

os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-patterns-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
os.environ["API_RATE_LIMIT"] = "100000000"
os.environ["CHECK_RATE_LIMIT"] = "100000000"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

AREAS = "/api/routing/v1/areas"
EXPRESSIONS = {  # name: (parameter values, expected status)
    "finding (a*36 + ***)": (["a" * 36 + "***"], 400),
    "a*97 + ***": (["a" * 97 + "***"], 400),
    "a*1000 + ***": (["a" * 1000 + "***"], 400),
    "* x 1000": (["*" * 1000], 400),
    "(a*) x 500": (["a*" * 500], 400),
    "ab + (*ab) x 30 + ***": (["ab" + "*ab" * 30 + "***"], 400),
    "(ab*) x 33, ten times (accepted)": (["ab*" * 33] * 10, 200),
    "*ul*da* (accepted)": (["*ul*da*"], 200),
}
PATTERNS = {
    "issue": "(a{1,30}){1,30}", "plus": "(a+)+$", "alt": "(a|aa)+$", "words": r"^(\w+\s?)+$",
}
BAD_ANSWERS = {"issue": "a" * 199 + "!", "plus": "a" * 199 + "!", "alt": "a" * 199 + "!",
               "words": "Wort " * 39 + "!"}
OLD_EXPRESSION_CHECK = r"^(\*?([^*]{2,})\*?)+$"


def stats(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"n": len(s), "median_ms": round(statistics.median(s), 3),
            "p95_ms": round(s[max(0, round(len(s) * 0.95) - 1)], 3),
            "max_ms": round(s[-1], 3)}


# --- 1. the areas endpoint in process --------------------------------------------------------

def bench_areas(runs: int = 50) -> dict:
    client = Client(HTTP_HOST="127.0.0.1")
    out = {}
    for name, (values, status) in EXPRESSIONS.items():
        def once(values=values, status=status, name=name) -> float:
            started = time.perf_counter()
            response = client.get(AREAS, {"areaSearchexpression": values})
            ms = (time.perf_counter() - started) * 1000
            assert response.status_code == status, (name, response.status_code)
            return ms

        for _ in range(3):
            once()
        out[name] = {**stats([once() for _ in range(runs)]), "status": status}
    return out


# --- 2. the attack over HTTP ---------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "amtsweg.cli", "run", "--no-worker", "--port", str(port)],
        env={**os.environ, "DEMO_DATA": "true"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not start")


def bench_attack(seconds: float = 5.0, attackers: int = 4) -> dict:
    server, port = start_server()
    stop = time.monotonic() + seconds
    sent = [0] * attackers
    paths = [f"{AREAS}?" + urlencode([("areaSearchexpression", v) for v in values])
             for values, _ in EXPRESSIONS.values()]

    def attack(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop:
            conn.request("GET", paths[sent[i] % len(paths)])
            conn.getresponse().read()
            sent[i] += 1

    try:
        home = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(5):  # warm-up: the first requests build the in-memory copies
            home.request("GET", "/")
            home.getresponse().read()
        threads = [threading.Thread(target=attack, args=(i,)) for i in range(attackers)]
        for t in threads:
            t.start()
        samples = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            home.request("GET", "/")
            response = home.getresponse()
            response.read()
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, response.status
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {"attackers": attackers, "seconds": seconds, "attack_requests": sum(sent),
            "attack_requests_per_s": round(sum(sent) / seconds, 1),
            "home_during_attack": stats(samples)}


# --- 3. a published form with the patterns ----------------------------------------------------

def published_form():
    from amtsweg.catalog.models import Leistung
    from amtsweg.services import actions as service_actions
    from amtsweg.services.models import Adoption
    from amtsweg.territory.models import Area, Authority

    area = Area.objects.get(ags="06635001")
    standesamt = Authority.objects.get(area=area, kind=Authority.Kind.STANDESAMT)
    items = [{"type": "text", "key": key, "label": {"de": key}, "required": True,
              "pattern": pattern, "pattern_message": {"de": "Falsches Format"}}
             for key, pattern in PATTERNS.items()]
    form = {"format": "amtsweg.form/1", "title": {"de": "Muster"},
            "steps": [{"key": "angaben", "title": {"de": "Angaben"}, "items": items}]}
    service = service_actions.create_service(
        None, leistung=Leistung.objects.get(leika_key="99027002012000"),
        title={"de": "Benchmark Muster"}, slug="zz-bench-muster", owner_authority=standesamt,
        version={"form": form, "applicants": ["person", "guest"]})
    version = service_actions.publish(None, service.versions.get())
    Adoption.objects.filter(authority=standesamt,
                            service__leistung__leika_key="99027002012000").delete()
    return service_actions.adopt(None, standesamt, version, {"fee": None}), area


def bench_form(runs: int = 200, view_runs: int = 50) -> dict:
    from django.conf import settings

    from amtsweg.submissions import actions
    from amtsweg.submissions.views import GUEST_KEY

    adoption, area = published_form()
    form = actions.form_of(adoption.version)
    first = time.perf_counter()
    _cleaned, errors = form.validate(BAD_ANSWERS)
    first_ms = (time.perf_counter() - first) * 1000
    assert set(errors) == set(PATTERNS), errors

    def validate(answers: dict) -> float:
        started = time.perf_counter()
        form.validate(answers)
        return (time.perf_counter() - started) * 1000

    good = {"issue": "a" * 200, "plus": "a" * 200, "alt": "a" * 200, "words": "Ein Wort"}
    bad = stats([validate(BAD_ANSWERS) for _ in range(runs)])
    fine = stats([validate(good) for _ in range(runs)])

    draft, _token = actions.start(adoption=adoption, area=area, user=None,
                                  trust_level="basis", guest_email="bench@example.org")
    client = Client(HTTP_HOST="127.0.0.1")
    session = client.session
    session[GUEST_KEY] = [str(draft.pk)]
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    url = f"/antrag/{draft.pk}/schritt/angaben/"

    def post() -> float:
        started = time.perf_counter()
        response = client.post(url, {**BAD_ANSWERS, "_action": "next"})
        ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 400, response.status_code
        return ms

    for _ in range(3):
        post()
    return {"patterns": PATTERNS, "answer_length": 200, "first_validate_ms": round(first_ms, 3),
            "validate_failing": bad, "validate_passing": fine,
            "step_post_failing": stats([post() for _ in range(view_runs)])}


# --- 4. the former code, in a child with a time limit --------------------------------------

def _old_seconds(pattern: str, text: str, method: str, limit: float) -> float | None:
    code = ("import re, sys, time; p = re.compile(sys.argv[1]); t = time.perf_counter(); "
            f"p.{method}(sys.argv[2]); print(time.perf_counter() - t)")
    try:
        done = subprocess.run([sys.executable, "-c", code, pattern, text], timeout=limit,
                              capture_output=True, text=True, check=True)
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout)


def bench_former(limit: float = 30.0, enough: float = 2.0) -> dict:
    """Seconds per input length until one run takes more than `enough` (or the limit)."""
    cases = {
        "areaSearchexpression check, a*n + ***": (OLD_EXPRESSION_CHECK, "match",
                                                   lambda n: "a" * n + "***", range(20, 60, 2)),
        "(a{1,30}){1,30}, a*n + !": (PATTERNS["issue"], "fullmatch",
                                     lambda n: "a" * n + "!", range(16, 40, 2)),
        "(a+)+$, a*n + !": (PATTERNS["plus"], "fullmatch",
                            lambda n: "a" * n + "!", range(16, 40, 2)),
        "(a|aa)+$, a*n + !": (PATTERNS["alt"], "fullmatch",
                              lambda n: "a" * n + "!", range(16, 60, 2)),
    }
    out = {}
    for name, (pattern, method, text, lengths) in cases.items():
        rows = {}
        for n in lengths:
            seconds = _old_seconds(pattern, text(n), method, limit)
            rows[n] = None if seconds is None else round(seconds, 3)
            if seconds is None or seconds > enough:
                break
        out[name] = rows
    return out


# --- 5. the compile flood through the check endpoint ----------------------------------------

CHECK = "/api/v1/forms/check"


def flood_definition(salt: str, count: int = 100, tail: str = "c") -> dict:
    """The finding's definition; tail "c{1,2}" adds a second repetition, which keeps RE2
    from checking the class once plus the length (the budget case)."""
    items = [{"type": "text", "key": f"f{i}", "label": {"de": f"Feld {i}"},
              "pattern": rf"[\w ]{{1,199}}{tail}{salt}{i}"} for i in range(count)]
    return {"format": "amtsweg.form/1", "title": {"de": "Flut"},
            "steps": [{"key": "s", "title": {"de": "Schritt"}, "items": items}]}


def bench_check(runs: int = 3) -> dict:
    client = Client(HTTP_HOST="127.0.0.1")
    samples, outcome = [], {}
    for run in range(runs):
        body = json.dumps(flood_definition(f"r{run}x"))
        started = time.perf_counter()
        response = client.post(CHECK, body, content_type="application/json")
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        data = response.json()
        outcome = {"status": response.status_code, "valid": data["valid"],
                   "problems": len(data["problems"]),
                   "last_problem": data["problems"][-1] if data["problems"] else None}
    heavy_samples, heavy = [], {}
    for run in range(runs):
        body = json.dumps(flood_definition(f"h{run}x", tail="c{1,2}"))
        started = time.perf_counter()
        response = client.post(CHECK, body, content_type="application/json")
        heavy_samples.append((time.perf_counter() - started) * 1000)
        data = response.json()
        heavy = {"status": response.status_code, "valid": data["valid"],
                 "problems": len(data["problems"]),
                 "last_problem": data["problems"][-1] if data["problems"] else None}
    return {"fields": 100, "pattern": r"[\w ]{1,199}c<n>", "in_process": stats(samples),
            "outcome": outcome, "heavy_pattern": r"[\w ]{1,199}c{1,2}<n>",
            "heavy_in_process": stats(heavy_samples), "heavy_outcome": heavy,
            "over_http": bench_check_parallel()}


def bench_check_parallel(clients: int = 4) -> dict:
    server, port = start_server()
    done: list[float] = []
    statuses: list[int] = []

    def send(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        started = time.perf_counter()
        conn.request("POST", CHECK, json.dumps(flood_definition(f"h{i}x")),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
        done.append(time.perf_counter() - started)

    try:
        home = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        for _ in range(5):
            home.request("GET", "/")
            home.getresponse().read()
        threads = [threading.Thread(target=send, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        samples = []
        while any(t.is_alive() for t in threads):
            began = time.perf_counter()
            home.request("GET", "/")
            home.getresponse().read()
            samples.append((time.perf_counter() - began) * 1000)
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {"clients": clients, "statuses": sorted(statuses), "wall_s": round(wall, 2),
            "slowest_request_s": round(max(done), 2),
            "home_during_flood": stats(samples) if samples else None}


# --- 6. published forms with 150 distinct patterns --------------------------------------------

def many_patterns_form(kind: str) -> tuple[dict, dict]:
    if kind == "names":
        pats = [rf"^[\w .-]{{1,{n}}}$" for n in range(50, 200)]
        answer = "Maria-Luise Müller"
    else:
        pats = [rf"[\w ]{{1,199}}c{n}" for n in range(150)]
        answer = None
    items = [{"type": "text", "key": f"f{i}", "label": {"de": f"Feld {i}"}, "pattern": p}
             for i, p in enumerate(pats)]
    answers = {f"f{i}": answer if answer else f"Wort c{i}" for i in range(len(pats))}
    return ({"format": "amtsweg.form/1", "title": {"de": "Viele Muster"},
             "steps": [{"key": "s", "title": {"de": "Schritt"}, "items": items}]}, answers)


def bench_many_patterns(runs: int = 3) -> dict:
    from amtsweg.forms import engine

    out = {}
    for kind, name in (("names", r"150 x ^[\w .-]{1,n}$ (n = 50..199)"),
                       ("tester", r"150 x [\w ]{1,199}c<n>")):
        definition, answers = many_patterns_form(kind)
        form = engine.compile_form(definition)
        started = time.perf_counter()
        _cleaned, errors = form.validate(answers)
        first = (time.perf_counter() - started) * 1000
        samples = []
        for _ in range(runs):
            began = time.perf_counter()
            form.validate(answers)
            samples.append((time.perf_counter() - began) * 1000)
        out[name] = {"first_validate_ms": round(first, 1), "validate": stats(samples),
                     "errors": len(errors)}
    return out


def main() -> None:
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 400s are the point
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("import_data", demo=True, quiet=True, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as in production
    results: dict = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
                     "python": sys.version.split()[0], "database": django.db.connection.vendor,
                     "setup_s": round(time.perf_counter() - started, 1),
                     "target_ms": TARGET_MS}
    only = set(sys.argv[1:])
    if only:
        if "check" in only:
            results["check_flood"] = bench_check()
        if "forms" in only:
            results["many_patterns"] = bench_many_patterns()
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "latest-patterns-flood.json").write_text(json.dumps(results, indent=2) + "\n")
        report_flood(results)
        return
    results["areas"] = bench_areas()
    results["form"] = bench_form()
    results["attack_over_http"] = bench_attack()
    results["former_code_seconds"] = bench_former()
    results["check_flood"] = bench_check()
    results["many_patterns"] = bench_many_patterns()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-patterns.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(r: dict) -> None:
    print(f"areas endpoint, server time (target < {TARGET_MS} ms):")
    for name, row in r["areas"].items():
        print(f"  {name:36} {row['status']}  median {row['median_ms']:7.3f} ms  "
              f"p95 {row['p95_ms']:7.3f} ms  max {row['max_ms']:7.3f} ms")
    a = r["attack_over_http"]
    h = a["home_during_attack"]
    print(f"GET / while {a['attackers']} clients send the worst expressions "
          f"({a['attack_requests_per_s']}/s): median {h['median_ms']:.1f} ms, "
          f"p95 {h['p95_ms']:.1f} ms, max {h['max_ms']:.1f} ms (finding: 37 s)")
    f = r["form"]
    print(f"published form, 4 patterns, 200-character answers (target < {TARGET_MS} ms): "
          f"validate failing median {f['validate_failing']['median_ms']:.3f} ms "
          f"(max {f['validate_failing']['max_ms']:.3f}, first {f['first_validate_ms']:.1f}), "
          f"passing {f['validate_passing']['median_ms']:.3f} ms, step POST "
          f"{f['step_post_failing']['median_ms']:.1f} ms")
    print("former code (Python re), seconds per input length n (None: over the limit):")
    for name, rows in r["former_code_seconds"].items():
        print(f"  {name:40} " + ", ".join(f"{n}: {s}" for n, s in rows.items()))
    report_flood(r)


def report_flood(r: dict) -> None:
    if "check_flood" in r:
        c = r["check_flood"]
        h = c["over_http"]
        print(f"POST {CHECK}, 100 fields {c['pattern']}: median {c['in_process']['median_ms']:.1f} "
              f"ms, max {c['in_process']['max_ms']:.1f} ms; outcome {c['outcome']}")
        if "heavy_in_process" in c:
            print(f"  100 fields {c['heavy_pattern']}: median "
                  f"{c['heavy_in_process']['median_ms']:.1f} ms, max "
                  f"{c['heavy_in_process']['max_ms']:.1f} ms; outcome {c['heavy_outcome']}")
        home = h["home_during_flood"]
        print(f"  {h['clients']} at once over HTTP: statuses {h['statuses']}, all done after "
              f"{h['wall_s']} s, slowest {h['slowest_request_s']} s; GET / meanwhile "
              + (f"median {home['median_ms']:.1f} ms, max {home['max_ms']:.1f} ms" if home
                 else "not sampled") + " (finding: 4+ s each, 33 s for four)")
    for name, row in r.get("many_patterns", {}).items():
        print(f"published form, {name}: first validate {row['first_validate_ms']:.1f} ms, then "
              f"median {row['validate']['median_ms']:.1f} ms, max {row['validate']['max_ms']:.1f}"
              f" ms ({row['errors']} errors; finding: 12.3 s)")


if __name__ == "__main__":
    main()
