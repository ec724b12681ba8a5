"""Measure applying online (issue 4) against its targets (see bench/README.md).

1. Complete submissions over HTTP on PostgreSQL: >= 200 per second, reported beside a bare
   Django view that seals and inserts the same encrypted payload, in the same run.
   The real server is started like `amtsweg run` starts it (granian, its default workers and
   threads). N guest drafts of the seed Geburtsurkunde in Allendorf (Eder) are filled with
   complete answers (raw POST values parsed by the form engine, as the step pages do), each
   owned by its own guest session; one GET of each summary page beforehand yields the CSRF
   cookie and token. The timed phase POSTs every summary form (declaration=1) from an asyncio
   client with keep-alive connections and counts 302s to the done page. Afterwards exactly N
   submissions must exist, and re-sending some of them must give the same receipt (idempotent).
   The bare view (src/amtsweg/submissions/bench_views.py, mounted only with
   AMTSWEG_BENCH_VIEWS=1) then gets the same number of requests, same client, same concurrency.
2. In process: the receipt PDF of a real Geburtsurkunde submission (submissions.receipts.render,
   < 100 ms); GET of a step with 100 fields through the real step view (Django test client,
   server time, < 20 ms); saving a 95-field definition through services.actions.save_version
   (< 100 ms).

The database (dropped and created here): amtsweg_bench on the PostgreSQL server of
DATABASE_URL if that is one (or DATABASE_URL itself if its name starts with amtsweg_bench),
else postgres://postgres@127.0.0.1:5432/amtsweg_bench.
Without a reachable PostgreSQL the HTTP part is skipped (a line says so) and the in-process
part runs on a temporary SQLite database.

    .venv/bin/python bench/submissions_bench.py [--n 2000] [--concurrency 16]

Results: bench/results/latest-submissions.json.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/amtsweg_bench"
TARGET_RATE = 200
TARGET_RECEIPT_MS = 100
TARGET_STEP_MS = 20
TARGET_SAVE_MS = 100


# --- database (before django.setup) -----------------------------------------------------

def _pg_url() -> str:
    """The benchmark's own database: on the PostgreSQL server of DATABASE_URL if that is one
    (named amtsweg_bench unless its name already starts so), else on the local default."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return DEFAULT_PG
    parts = urlsplit(url)
    if parts.path.lstrip("/").startswith("amtsweg_bench"):
        return url
    return parts._replace(path="/amtsweg_bench").geturl()


def prepare_postgres(url: str) -> str | None:
    """Drop and create the benchmark database; None when it worked, else the reason."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("amtsweg_bench"):
        return f"refusing to drop {name!r}: the benchmark database must be named amtsweg_bench*"
    try:
        import psycopg

        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any failure means: no usable PostgreSQL here
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not usable ({exc})"
    return None


def drop_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


# --- small helpers ----------------------------------------------------------------------

def stats(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"n": len(s), "median_ms": round(statistics.median(s), 2),
            "p95_ms": round(s[max(0, round(len(s) * 0.95) - 1)], 2),
            "min_ms": round(s[0], 2), "max_ms": round(s[-1], 2)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_ticks(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = {root}, [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in found:
                found.add(c)
                todo.append(c)
    return found


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _postgres_backends() -> set[int]:
    """The PostgreSQL server processes of the other connections to the benchmark database
    (the server's), when PostgreSQL runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return {pid for (pid,) in cursor.fetchall() if Path(f"/proc/{pid}").exists()}


class CpuMeter:
    """CPU used by this process (the client), the server's processes, the PostgreSQL
    backends serving them and the whole machine (others' work on it included)."""

    def __init__(self, server_pid: int) -> None:
        self.server = _descendants(server_pid)
        self.hz = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> "CpuMeter":
        r = resource.getrusage(resource.RUSAGE_SELF)
        self._client = r.ru_utime + r.ru_stime
        self._server = _proc_ticks(self.server)
        self._pg_pids = _postgres_backends()
        self._pg = {pid: _proc_ticks({pid}) for pid in self._pg_pids}
        self._machine = _machine_ticks()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall
        r = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = _machine_ticks()
        pg = sum(_proc_ticks({pid}) - self._pg.get(pid, 0)
                 for pid in self._pg_pids | _postgres_backends())
        self.result = {
            "client_cpu_s": round(r.ru_utime + r.ru_stime - self._client, 2),
            "server_cpu_s": round((_proc_ticks(self.server) - self._server) / self.hz, 2),
            "postgres_cpu_s": round(pg / self.hz, 2),
            "machine_busy_pct": round(100 * (busy - self._machine[0])
                                      / max(1, total - self._machine[1]), 1),
            "wall_s": round(wall, 2),
        }
        self.result["client_cpu_pct_of_one_core"] = round(
            100 * self.result["client_cpu_s"] / wall, 1)


# --- a small HTTP/1.1 keep-alive client (asyncio) ------------------------------------------

async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    cookies = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            k = k.strip().lower()
            if k == "set-cookie":
                cookies.append(v.strip())
            headers[k] = v.strip()
    headers["set-cookie"] = "\n".join(cookies)
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(chunks)
    else:
        body = b""
    return status, headers, body


def run_requests(port: int, requests: list[bytes], concurrency: int
                 ) -> tuple[list[tuple[int, dict[str, str], bytes]], list[float], float]:
    """Send raw requests over `concurrency` keep-alive connections; return the responses in
    order, each latency in ms and the wall time in seconds."""
    responses: list = [None] * len(requests)
    latencies: list[float] = [0.0] * len(requests)
    next_index = iter(range(len(requests)))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in next_index:
            t = time.perf_counter()
            writer.write(requests[i])
            response = await _read_response(reader)
            latencies[i] = (time.perf_counter() - t) * 1000
            responses[i] = response
            if response[1].get("connection", "").lower() == "close":
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    async def main() -> float:
        t = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(concurrency)))
        return time.perf_counter() - t

    wall = asyncio.run(main())
    return responses, latencies, wall


def http_request(method: str, path: str, cookies: dict[str, str], body: bytes = b"",
                 content_type: str = "application/x-www-form-urlencoded") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/html",
             "Accept-Language: de"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if method == "POST":
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# --- realistic complete answers of the Geburtsurkunde ------------------------------------

GIVEN = ["Anna", "Lukas", "Marie Luise", "Jonas", "Sophie", "Elias", "Emma", "Paul", "Mia",
         "Felix", "Hannah", "Leon", "Lena", "Noah", "Clara", "Ben"]
FAMILY = ["Schneider", "Müller", "Weber", "Becker", "Hoffmann", "Schäfer", "Koch", "Bauer",
          "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Krüger"]
PURPOSES = ["ausweis", "eheschliessung", "rente", "familienleistungen", "schule", "erbschaft"]


def geburtsurkunde_posts(i: int) -> list[tuple[str, dict[str, str]]]:
    """What a browser posts on each step of the Geburtsurkunde for applicant number i."""
    given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // 7) % len(FAMILY)]
    own = i % 3 != 0  # two in three apply for themselves, the others for their child
    child = GIVEN[(i + 5) % len(GIVEN)]
    post_delivery = i % 4 != 0
    return [
        ("person", {
            "person.familienname": family, "person.geburtsname": "" if i % 5 else "Lange",
            "person.vornamen": given if own else child,
            "person.geburtsdatum": f"{1 + i % 28:02d}.{1 + i % 12:02d}.{1950 + i % 60}"
            if own else f"{1 + i % 28:02d}.{1 + i % 12:02d}.{2010 + i % 12}",
            "person.geburtsort": "Allendorf (Eder)",
            "person.eltern": "" if own else f"{given} {family} und Maria {family}",
        }),
        ("antrag", {
            "beziehung": "selbst" if own else "elternteil",
            "urkundenart": ["geburtsurkunde", "registerausdruck", "mehrsprachig"][i % 3],
            "anzahl": str(1 + i % 3), "zweck": PURPOSES[i % len(PURPOSES)],
        }),
        ("antragsteller", {
            "antragsteller.familienname": family, "antragsteller.vornamen": given,
            "antragsteller.anschrift.street": "Bahnhofstraße",
            "antragsteller.anschrift.house_number": str(1 + i % 120),
            "antragsteller.anschrift.postal_code": "35108",
            "antragsteller.anschrift.place": "Allendorf (Eder)",
            "antragsteller.email": f"antrag{i}@example.org",
            "antragsteller.telefon": f"06452 {100000 + i}" if i % 2 else "",
        }),
        ("zustellung", {"zustellung": "post" if post_delivery else "abholung"}),
        ("abschluss", {"erklaerung": "1", "datenschutz": "1"}),
    ]


def geburtsurkunde_adoption():
    from amtsweg.services.models import Adoption
    from amtsweg.territory.models import Area

    area = Area.objects.get(ags="06635001")
    adoption = (Adoption.objects.select_related("version", "authority", "service")
                .get(service__slug="geburtsurkunde", authority__area=area, active=True))
    return adoption, area


def make_drafts(n: int) -> list:
    """n guest drafts of the Geburtsurkunde with complete answers, saved as the step pages
    save them (started with actions.start, each step parsed by the engine)."""
    from django.db import transaction

    from amtsweg.submissions import actions

    adoption, area = geburtsurkunde_adoption()
    form = actions.form_of(adoption.version)
    drafts = []
    for start in range(0, n, 200):
        with transaction.atomic():
            for i in range(start, min(n, start + 200)):
                draft, _token = actions.start(adoption=adoption, area=area, user=None,
                                              trust_level="basis",
                                              guest_email=f"antrag{i}@example.org")
                answers = draft.answers
                for step, post in geburtsurkunde_posts(i):
                    answers = form.parse_step(step, post, answers)
                _cleaned, errors = form.validate(answers)
                assert not errors, errors
                draft.set_content(answers=answers)
                draft.step = form.step_keys[-1]
                draft.save(update_fields=["data", "step", "updated_at"])
                drafts.append(draft)
    return drafts


def guest_session(draft_ids: list[str]) -> str:
    from importlib import import_module

    from django.conf import settings

    from amtsweg.submissions.views import GUEST_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[GUEST_KEY] = draft_ids
    store.create()
    return store.session_key


# --- 1. submissions over HTTP --------------------------------------------------------------

def start_server(env: dict) -> tuple[subprocess.Popen, int]:
    """The real server, started like bench/run.py does, with `amtsweg run`'s defaults."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "amtsweg.cli", "run", "--no-worker", "--port", str(port)],
        env={**env, "DEMO_DATA": "true"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)
    return server, port


def bench_http(n: int, concurrency: int, profile_with: str = "") -> dict:
    from django.conf import settings

    from amtsweg import cli
    from amtsweg.submissions.models import Draft, Submission

    source = Path(cli.__file__).read_text()  # the defaults of `amtsweg run`, as it reads them
    defaults = {key: int(os.environ.get(var) or re.search(
        rf'"{var}", "(\d+)"', source).group(1))
        for key, var in (("workers", "WEB_WORKERS"), ("threads", "WEB_THREADS"))}

    t = time.perf_counter()
    drafts = make_drafts(n)
    sessions = {str(d.pk): guest_session([str(d.pk)]) for d in drafts}
    prepare_s = time.perf_counter() - t
    adoption, area = geburtsurkunde_adoption()

    env = {**os.environ, "AMTSWEG_BENCH_VIEWS": "1"}
    server, port = start_server(env)
    try:
        session_cookie = settings.SESSION_COOKIE_NAME
        # Preparation (not timed as submissions): one GET of each summary page gives the
        # CSRF cookie and the form's token, as a browser has them when it sends the form.
        gets = [http_request("GET", f"/antrag/{pk}/zusammenfassung/", {session_cookie: key})
                for pk, key in sessions.items()]
        run_requests(port, gets[:50], concurrency)  # warm the server's processes
        responses, get_ms, get_wall = run_requests(port, gets, concurrency)
        posts = []
        for (pk, key), (status, headers, body) in zip(sessions.items(), responses,
                                                      strict=True):
            assert status == 200, (status, body[:500])
            csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
            posts.append(http_request(
                "POST", f"/antrag/{pk}/zusammenfassung/",
                {"csrftoken": csrf_cookie, session_cookie: key},
                b"csrfmiddlewaretoken=" + token + b"&declaration=1"))

        # The timed phase: every draft is sent once.
        spy = None
        if profile_with:  # sample the server's processes while they take the submissions
            spy = subprocess.Popen(
                [profile_with, "record", "--subprocesses", "--nonblocking", "--format", "raw",
                 "--rate", "200", "--output", str(RESULTS / "submit-profile.txt"),
                 "--pid", str(server.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)
        with CpuMeter(server.pid) as cpu_full:
            responses, post_ms, post_wall = run_requests(port, posts, concurrency)
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its output
            spy.wait(timeout=60)
        done = [r for r in responses
                if r[0] == 302 and r[1].get("location", "").startswith("/antrag/eingang/")]
        statuses: dict[int, int] = {}
        for r in responses:
            statuses[r[0]] = statuses.get(r[0], 0) + 1
        real = Submission.objects.exclude(receipt_number__startswith="BENCH-")
        count_after = real.count()
        drafts_left = Draft.objects.filter(pk__in=list(sessions)).count()
        # Idempotent: sending 50 of them again gives the same receipt, no new submission.
        again, _ms, _w = run_requests(port, posts[:50], min(concurrency, 10))
        same = sum(a[1].get("location") == b[1].get("location")
                   for a, b in zip(again, responses[:50], strict=True))
        count_after_resend = real.count()

        # The baseline: seal + one INSERT of the same payload for the same Behörde.
        from amtsweg.submissions import actions

        form = actions.form_of(adoption.version)
        answers = {}
        for step, post in geburtsurkunde_posts(1):
            answers = form.parse_step(step, post, answers)
        cleaned, _errors = form.validate(answers)
        payload = {"answers": cleaned, "email": "antrag1@example.org",
                   "applicant": actions.applicant_name(form, cleaned, None), "organisation": ""}
        fee = actions.compute_fee(adoption, adoption.version, cleaned)
        body = json.dumps({"version": adoption.version_id, "adoption": adoption.pk,
                           "authority": adoption.authority_id, "area": area.pk,
                           "fee": str(fee) if fee is not None else None,
                           "payload": payload}, ensure_ascii=False).encode()
        bare = [http_request("POST", "/__bench__/bare-submit/", {}, body, "application/json")
                for _ in range(n)]
        run_requests(port, bare[:50], concurrency)  # warm-up, not counted
        before = Submission.objects.filter(receipt_number__startswith="BENCH-").count()
        with CpuMeter(server.pid) as cpu_bare:
            bare_responses, bare_ms, bare_wall = run_requests(port, bare, concurrency)
        bare_ok = sum(r[0] == 302 and r[1].get("location", "").startswith("/antrag/eingang/")
                      for r in bare_responses)
        bare_rows = Submission.objects.filter(receipt_number__startswith="BENCH-").count() - before
        sealed_sizes = (len(bytes(Submission.objects.exclude(
            receipt_number__startswith="BENCH-").first().data)), len(bytes(
            Submission.objects.filter(receipt_number__startswith="BENCH-").first().data)))
    finally:
        server.terminate()
        server.wait(timeout=30)

    full_rate = len(done) / post_wall
    bare_rate = bare_ok / bare_wall
    return {
        "n": n, "concurrency": concurrency,
        "server": {"command": "amtsweg run --no-worker (granian WSGI)", **defaults},
        "prepare_drafts_s": round(prepare_s, 1),
        "summary_get": {"rate_per_s": round(n / get_wall, 1), **stats(get_ms)},
        "submit": {"completed": len(done), "statuses": statuses,
                   "rate_per_s": round(full_rate, 1), **stats(post_ms), "cpu": cpu_full.result,
                   "submissions_in_db": count_after, "drafts_left": drafts_left,
                   "resent_same_receipt": same, "submissions_after_resend": count_after_resend},
        "bare_view": {"completed": bare_ok, "rows": bare_rows, "rate_per_s": round(bare_rate, 1),
                      **stats(bare_ms), "cpu": cpu_bare.result},
        "sealed_bytes": {"submit": sealed_sizes[0], "bare": sealed_sizes[1]},
        "cpu_ms_per_request": {
            name: {"server": round(1000 * c["server_cpu_s"] / count, 2),
                   "postgres": round(1000 * c["postgres_cpu_s"] / count, 2),
                   "client": round(1000 * c["client_cpu_s"] / count, 2),
                   # what the machine's cores could do if nothing else ran on them
                   "cores_bound_per_s": round(os.cpu_count() * count / max(
                       0.001, c["server_cpu_s"] + c["postgres_cpu_s"] + c["client_cpu_s"]))}
            for name, c, count in (("submit", cpu_full.result, max(1, len(done))),
                                   ("bare", cpu_bare.result, max(1, bare_ok)))},
        "ratio_submit_to_bare": round(full_rate / bare_rate, 3),
        "target_rate_per_s": TARGET_RATE,
    }


# --- 2. in process ---------------------------------------------------------------------------

def bench_receipt(runs: int = 30, warmup: int = 3) -> dict:
    """The receipt PDF of a Geburtsurkunde submitted through actions.submit."""
    from amtsweg.submissions import actions, receipts

    draft = make_drafts(1)[0]
    submission = actions.submit(draft.pk, user=None, accepted=True)
    submission = type(submission).objects.select_related(
        "adoption__service", "authority", "version").get(pk=submission.pk)
    number = submission.receipt_number

    def once(i: int) -> tuple[float, int]:
        submission.receipt_number = f"{number[:-3]}{i:03d}"  # no typst memo hits
        t = time.perf_counter()
        pdf = receipts.render(submission)
        return (time.perf_counter() - t) * 1000, len(pdf)

    first_ms, _ = once(999)
    for i in range(warmup):
        once(900 + i)
    samples, size = [], 0
    for i in range(runs):
        ms, size = once(i)
        samples.append(ms)
    return {"first_ms": round(first_ms, 1), **stats(samples), "pdf_bytes": size,
            "answer_rows": sum(len(s["rows"]) for s in
                               receipts.receipt_data(submission)["sections"]),
            "target_median_ms": TARGET_RECEIPT_MS}


def bench_step_view(runs: int = 50, warmup: int = 5) -> dict:
    """GET of a 100-field step through the real step view (Django test client)."""
    from django.conf import settings
    from django.test import Client

    from amtsweg.services import actions as service_actions
    from amtsweg.submissions import actions
    from amtsweg.submissions.views import GUEST_KEY
    from render_bench import hundred_field_step

    definition, answers, _errors = hundred_field_step()
    answers["nachweise"] = []  # no stored upload behind it
    for item in definition["steps"][0]["items"]:  # the designer stores no empty help texts
        for key in [k for k, v in item.items() if v is None]:
            del item[key]
    adoption, area = geburtsurkunde_adoption()
    service = service_actions.create_service(
        None, leistung=adoption.service.leistung, title={"de": "Benchmark 100 Felder"},
        slug="zz-bench-100-felder", owner_authority=adoption.authority,
        version={"form": definition, "applicants": ["person", "guest"]})
    version = service_actions.publish(None, service.versions.get())
    bench_adoption = service_actions.adopt(None, adoption.authority, version, {"fee": None})
    draft, _token = actions.start(adoption=bench_adoption, area=area, user=None,
                                  trust_level="basis", guest_email="bench@example.org")
    draft.set_content(answers=answers)
    draft.save(update_fields=["data", "updated_at"])

    client = Client(HTTP_HOST="127.0.0.1")
    session = client.session
    session[GUEST_KEY] = [str(draft.pk)]
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    url = f"/antrag/{draft.pk}/schritt/alles/"

    def once() -> tuple[float, int]:
        t = time.perf_counter()
        r = client.get(url)
        ms = (time.perf_counter() - t) * 1000
        assert r.status_code == 200, r.status_code
        return ms, len(r.content)

    first_ms, _ = once()
    for _ in range(warmup):
        once()
    samples, size = [], 0
    for _ in range(runs):
        ms, size = once()
        samples.append(ms)
    return {"fields": 100, "first_ms": round(first_ms, 1), **stats(samples),
            "html_bytes": size, "target_median_ms": TARGET_STEP_MS}


def bench_save_version(runs: int = 30) -> dict:
    """Saving a 95-field definition in the designer: services.actions.save_version (lock,
    check_version with validate_definition, hash, UPDATE), with a cold engine cache."""
    from amtsweg.accounts.models import User
    from amtsweg.forms import engine
    from amtsweg.services import actions as service_actions
    from forms_bench import build

    user = User.objects.create_superuser("bench-designer@example.org", "Bench-pw-2026-x")
    adoption, _area = geburtsurkunde_adoption()
    service = service_actions.create_service(
        user, leistung=adoption.service.leistung, title={"de": "Benchmark 95 Felder"},
        slug="zz-bench-95-felder", owner_authority=adoption.authority)
    version = service.versions.get()
    definition, _answers = build(95, 20)
    samples = []
    for i in range(runs):
        definition["title"] = {"de": f"Benchmark {i}"}  # a real change every time
        engine._compile_cached.cache_clear()
        t = time.perf_counter()
        version = service_actions.save_version(user, version, {"form": definition},
                                               lock_version=version.lock_version)
        samples.append((time.perf_counter() - t) * 1000)
    return {"fields": 95, **stats(samples), "target_median_ms": TARGET_SAVE_MS}


# --- main ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--py-spy", default="", metavar="PATH",
                        help="profile the server during the submissions with this py-spy")
    args = parser.parse_args()

    os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
    pg = _pg_url()
    skipped = prepare_postgres(pg)
    if skipped is None:
        os.environ["DATABASE_URL"] = pg
    else:
        os.environ.pop("DATABASE_URL", None)  # a temporary SQLite under AMTSWEG_VAR_DIR
        print(f"SKIPPED submissions over HTTP on PostgreSQL: {skipped}")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("import_data", demo=True, quiet=True, verbosity=0)
    setup_s = time.perf_counter() - t
    results: dict = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
                     "python": sys.version.split()[0], "database": connection.vendor,
                     "setup_s": round(setup_s, 1)}
    try:
        results["http"] = (bench_http(args.n, args.concurrency, args.py_spy) if skipped is None
                           else {"skipped": skipped})
        results["receipt_pdf"] = bench_receipt()
        results["step_view_100"] = bench_step_view()
        results["save_version_95"] = bench_save_version()
    finally:
        connection.close()
        if skipped is None and not args.keep_db:
            drop_postgres(pg)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-submissions.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results)


def report(r: dict) -> None:
    h = r["http"]
    if "skipped" in h:
        print(f"submissions over HTTP: SKIPPED ({h['skipped']})")
    else:
        s, b = h["submit"], h["bare_view"]
        print(f"server: amtsweg run, granian {h['server']['workers']} workers x "
              f"{h['server']['threads']} threads; client: asyncio, {h['concurrency']} "
              f"keep-alive connections, {h['n']} requests each phase")
        print(f"full submit over HTTP  {s['rate_per_s']:>7.1f}/s  p50 {s['median_ms']} ms "
              f"p95 {s['p95_ms']} ms  (target >= {TARGET_RATE}/s)  client CPU "
              f"{s['cpu']['client_cpu_pct_of_one_core']}% of a core, machine busy "
              f"{s['cpu']['machine_busy_pct']}%")
        print(f"bare view (seal+INSERT) {b['rate_per_s']:>6.1f}/s  p50 {b['median_ms']} ms "
              f"p95 {b['p95_ms']} ms  client CPU {b['cpu']['client_cpu_pct_of_one_core']}%")
        for name, c in h["cpu_ms_per_request"].items():
            print(f"  CPU per request ({name}): server {c['server']} ms, PostgreSQL "
                  f"{c['postgres']} ms, client {c['client']} ms -> the {r['cpus']} cores "
                  f"alone would carry {c['cores_bound_per_s']}/s")
        print(f"ratio full/bare {h['ratio_submit_to_bare']:.2f}; {s['submissions_in_db']} "
              f"submissions for {h['n']} drafts, {s['drafts_left']} drafts left, resent 50: "
              f"{s['resent_same_receipt']} same receipt, {s['submissions_after_resend']} after")
    for key, name, target in [("receipt_pdf", "receipt PDF (Geburtsurkunde)", TARGET_RECEIPT_MS),
                              ("step_view_100", "step view, 100 fields (GET)", TARGET_STEP_MS),
                              ("save_version_95", "save_version, 95 fields", TARGET_SAVE_MS)]:
        x = r[key]
        print(f"{name:32} median {x['median_ms']:>7.2f} ms  p95 {x['p95_ms']:>7.2f} ms  "
              f"(target < {target} ms)")


if __name__ == "__main__":
    main()
