"""Refusing a file above its field's limit (outside tester, N6a): before and after.

A published service whose only step has a file item of 10 MB per file and up to 3 files, so
the step's body allowance (REQUEST_BODY_LIMIT + 3 x 10 MB) lets a 25 MB file through to the
view. A guest draft POSTs one 25 MB PDF to that step through the real step view (Django test
client, in process; the body is generated while it is read, so the client holds none of it).
Measured with Django's own upload handlers only ("before": the file is spooled to a temporary
file and refused by the view afterwards) and with the platform's handlers ("after":
core.bodylimit.PerFileLimitHandler drops the file as soon as it passes 10 MB):
server time (median of RUNS), bytes that reached the handlers keeping files (memory or
temporary file), and the peak of Python allocations during one request (tracemalloc).

    .venv/bin/python bench/uploads_bench.py

Results: bench/results/latest-uploads.json.
"""

import io
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MB = 1024 * 1024
FILE_BYTES = 25 * MB
RUNS = 7
BOUNDARY = "amtswegbenchboundary"

os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-uploads-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")

import django  # noqa: E402

django.setup()

from django.core.files import uploadhandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

DJANGO_DEFAULT_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler",
                           "django.core.files.uploadhandler.TemporaryFileUploadHandler"]


class Body(io.RawIOBase):
    """A multipart body with one file of `size` bytes and a text field after it, made while
    it is read."""

    def __init__(self, size: int) -> None:
        self.head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; "
                     f"filename=\"gross.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n"
                     ).encode()
        self.tail = (f"\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_action\""
                     f"\r\n\r\nnext\r\n--{BOUNDARY}--\r\n").encode()
        self.filler = size - len(b"%PDF-1.4\n")
        self.length = len(self.head) + self.filler + len(self.tail)
        self.at = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.length - self.at if n is None or n < 0 else min(n, self.length - self.at)
        out = bytearray()
        while n > 0:
            if self.at < len(self.head):
                piece = self.head[self.at:self.at + n]
            elif self.at < len(self.head) + self.filler:
                piece = b"x" * min(n, len(self.head) + self.filler - self.at)
            else:
                start = self.at - len(self.head) - self.filler
                piece = self.tail[start:start + n]
            out += piece
            self.at += len(piece)
            n -= len(piece)
        return bytes(out)

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


class Kept:
    """Bytes of file data kept by Django's handlers (in memory or in a temporary file)."""

    def __init__(self) -> None:
        self.bytes = 0
        for handler in (uploadhandler.MemoryFileUploadHandler,
                        uploadhandler.TemporaryFileUploadHandler):
            original = handler.receive_data_chunk

            def counting(obj, raw_data, start, _original=original):
                # The memory handler passes a file on unless the whole body fits in memory.
                if getattr(obj, "activated", True):
                    self.bytes += len(raw_data)
                return _original(obj, raw_data, start)

            handler.receive_data_chunk = counting


def published_step():
    from amtsweg.catalog.models import Leistung
    from amtsweg.services import actions as service_actions
    from amtsweg.services.models import Adoption
    from amtsweg.submissions import actions
    from amtsweg.territory.models import Area, Authority

    area = Area.objects.get(ags="06635001")
    standesamt = Authority.objects.get(area=area, kind=Authority.Kind.STANDESAMT)
    form = {"format": "amtsweg.form/1", "title": {"de": "Nachweise"}, "steps": [
        {"key": "nachweise", "title": {"de": "Nachweise"}, "items": [
            {"type": "file", "key": "upload", "label": {"de": "Nachweis"},
             "file": {"types": ["application/pdf"], "max_size": 10 * MB, "max_count": 3}}]}]}
    service = service_actions.create_service(
        None, leistung=Leistung.objects.get(leika_key="99027002012000"),
        title={"de": "Benchmark Nachweise"}, slug="zz-bench-nachweise",
        owner_authority=standesamt, version={"form": form, "applicants": ["person", "guest"]})
    version = service_actions.publish(None, service.versions.get())
    Adoption.objects.filter(authority=standesamt,
                            service__leistung__leika_key="99027002012000").delete()
    adoption = service_actions.adopt(None, standesamt, version, {"fee": None})
    draft, _token = actions.start(adoption=adoption, area=area, user=None,
                                  trust_level="basis", guest_email="bench@example.org")
    return draft


def post_once(client: Client, url: str, kept: Kept, *, trace: bool = False) -> dict:
    body = Body(FILE_BYTES)
    kept.bytes = 0
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.generic("POST", url, b"", **{
        "wsgi.input": body, "CONTENT_LENGTH": str(body.length),
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}"})
    ms = (time.perf_counter() - started) * 1000
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    page = response.content.decode()
    return {"status": response.status_code, "ms": ms, "kept_bytes": kept.bytes,
            "peak_python_bytes": peak, "read_bytes": body.at,
            "sentence": "ist zu groß" in page and "gross.pdf" in page}


def measure(handlers: list[str] | None, client: Client, url: str, kept: Kept) -> dict:
    settings_override = (override_settings(FILE_UPLOAD_HANDLERS=handlers) if handlers
                         else override_settings())
    with settings_override:
        post_once(client, url, kept)  # warm
        runs = [post_once(client, url, kept) for _ in range(RUNS)]
        traced = post_once(client, url, kept, trace=True)
    times = sorted(r["ms"] for r in runs)
    return {"status": runs[0]["status"], "sentence": runs[0]["sentence"],
            "median_ms": round(statistics.median(times), 1), "max_ms": round(times[-1], 1),
            "kept_bytes": runs[0]["kept_bytes"], "read_bytes": runs[0]["read_bytes"],
            "peak_python_mb": round(traced["peak_python_bytes"] / MB, 2)}


def main() -> None:
    from django.conf import settings

    from amtsweg.submissions.views import GUEST_KEY

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 400s are the point
    call_command("migrate", verbosity=0)
    call_command("import_data", demo=True, quiet=True, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as in production
    draft = published_step()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="de")
    session = client.session
    session[GUEST_KEY] = [str(draft.pk)]
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    url = f"/antrag/{draft.pk}/schritt/nachweise/"
    kept = Kept()
    results = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
               "python": sys.version.split()[0], "database": django.db.connection.vendor,
               "file_mb": FILE_BYTES // MB, "field_limit_mb": 10, "runs": RUNS,
               "before": measure(DJANGO_DEFAULT_HANDLERS, client, url, kept),
               "after": measure(None, client, url, kept)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-uploads.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"refusing a {results['file_mb']} MB file on a 10 MB field (step view, in process, "
          f"median of {RUNS}):")
    for name in ("before", "after"):
        r = results[name]
        print(f"  {name:6} {r['status']} sentence={r['sentence']}  median {r['median_ms']:7.1f} ms"
              f"  max {r['max_ms']:7.1f} ms  kept {r['kept_bytes'] / MB:6.2f} MB  "
              f"read {r['read_bytes'] / MB:6.2f} MB  Python peak {r['peak_python_mb']:6.2f} MB")


if __name__ == "__main__":
    main()
