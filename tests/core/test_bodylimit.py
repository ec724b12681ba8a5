"""Issue 11, finding 3: request bodies are limited per route before they are read; too large
answers 413 (problem+json under /api/, a sentence page for people), and what was saved
before stays saved."""

import io
import json

import pytest
from django.conf import settings
from django.core.files import uploadhandler
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import translation

from amtsweg.core import bodylimit
from amtsweg.forms.engine import compile_form
from amtsweg.submissions import actions
from amtsweg.submissions.models import Draft
from amtsweg.territory.models import Authority
from tests.submissions.conftest import SMALL_FORM, make_small_service
from tests.submissions.test_apply import PNG
from tests.test_csrf_everywhere import ROUTES

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _keep_language():
    """Test client requests leave their language active; give the next test its own back."""
    with translation.override(translation.get_language()):
        yield


class Hostile(io.RawIOBase):
    """A request body of `size` bytes that counts what is read of it."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.read_bytes if n is None or n < 0 else n
        n = max(0, min(n, self.size - self.read_bytes))
        self.read_bytes += n
        return b"x" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def post_big(client: Client, path: str, size: int, *, chunked: bool = False, **extra):
    """POST a body of `size` bytes that is never materialised; returns (response, body)."""
    body = Hostile(size)
    environ = {"wsgi.input": body, "CONTENT_TYPE": "multipart/form-data; boundary=zz"}
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(size)
    environ.update(extra)
    # RequestFactory fills CONTENT_LENGTH and wsgi.input from `data`; ours replace them.
    response = client.generic("POST", path, b"", **environ)
    return response, body


def test_fim_api_refuses_300_mb_before_reading_it():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response, body = post_big(client, "/api/v1/forms/fim", 300 * MB)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413 and problem["type"].endswith("/request-too-large")
    assert "6.0\xa0MB" in problem["detail"]  # the 5 MB file plus the form around it
    assert body.read_bytes == 0


def test_chunked_body_without_length_is_capped_while_streaming():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response, body = post_big(client, "/api/v1/forms/fim", 300 * MB, chunked=True)
    assert response.status_code == 413 and response.json()["status"] == 413
    assert body.read_bytes <= 6 * MB + 64 * 1024  # stopped at the limit, not at 300 MB


def test_chunked_body_within_the_limit_arrives():
    """Without the spool Django would take a body without Content-Length as empty."""
    client = Client()
    payload = json.dumps(SMALL_FORM).encode()
    response = client.generic("POST", "/api/v1/forms/check", b"",
                              CONTENT_TYPE="application/json", HTTP_TRANSFER_ENCODING="chunked",
                              **{"wsgi.input": io.BytesIO(payload)})
    assert response.status_code == 200 and response.json() == {"valid": True, "problems": []}


@pytest.fixture
def adoption():
    return make_small_service(Authority.objects.get(area__ags="06635001",
                                                    kind=Authority.Kind.STANDESAMT))


def _guest_draft(client, adoption) -> Draft:
    url = reverse("submissions:start", args=[adoption.service.slug, "06635001"])
    assert client.post(url, {"email": "erika@example.org"}).status_code == 302
    return Draft.objects.get(adoption=adoption)


def test_guest_upload_of_100_mb_to_a_step_is_refused_unread_and_answers_stay(adoption):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    draft = _guest_draft(client, adoption)
    person = reverse("submissions:step", args=[draft.pk, "person"])
    assert client.post(person, {"vorname": "Erika", "familienname": "Mustermann",
                                "zweck": "rente", "_action": "next"}).status_code == 302
    step = reverse("submissions:step", args=[draft.pk, "weiteres"])
    response, body = post_big(client, step, 100 * MB,
                              HTTP_REFERER=f"http://testserver{step}")
    assert response.status_code == 413 and body.read_bytes == 0
    page = response.content.decode()
    assert "Zu viele Daten gesendet" in page
    assert "bleibt gespeichert" in page and f'href="http://testserver{step}"' in page
    draft.refresh_from_db()
    assert draft.answers["vorname"] == "Erika" and draft.answers["zweck"] == "rente"
    response, _ = post_big(client, step, 100 * MB, HTTP_ACCEPT_LANGUAGE="en")
    assert "Too much data sent" in response.content.decode()
    # The step's own limit: 2 files of 100,000 bytes plus the form around them.
    limit = settings.REQUEST_BODY_LIMIT + 2 * 100000
    assert post_big(client, step, limit + 1)[0].status_code == 413
    assert post_big(client, step, limit)[0].status_code != 413


def test_the_step_limit_follows_the_form():
    form = compile_form(SMALL_FORM)
    assert actions.step_upload_bytes(form, "weiteres") == 2 * 100000
    assert actions.step_upload_bytes(form, "person") == 0
    assert actions.step_upload_bytes(form, "no-such-step") == 0
    repeated = {**SMALL_FORM, "steps": [SMALL_FORM["steps"][0], {
        "key": "kinder", "title": {"de": "Kinder"}, "items": [
            {"type": "group", "key": "kind", "label": {"de": "Kind"}, "repeat": {"max": 3},
             "items": [{"type": "file", "key": "urkunde", "label": {"de": "Urkunde"},
                        "file": {"max_size": 50 * MB, "max_count": 2}}]}]}]}
    # 3 entries × 2 files × 20 MB (a file is never more than MAX_UPLOAD_BYTES)
    assert actions.step_upload_bytes(compile_form(repeated), "kinder") == 3 * 2 * 20 * MB


def test_django_s_own_limits_answer_with_a_sentence_too():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    many = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post(reverse("accounts:login"), many)
    assert response.status_code == 413 and "Too much data sent" in response.content.decode()
    api = client.post("/api/v1/forms/fim", many)
    assert api.status_code == 413 and api["Content-Type"] == "application/problem+json"


@override_settings(REQUEST_BODY_MAX=3 * MB)
def test_no_route_goes_above_the_ceiling():
    request = RequestFactory().post("/konto/postfach/00000000-0000-0000-0000-000000000000/")
    assert bodylimit.limit_for(request) == 3 * MB


@pytest.mark.parametrize(("path", "callback"), ROUTES, ids=[p for p, _ in ROUTES])
def test_every_route_refuses_a_body_above_its_limit_unread(path, callback):
    """Listed from the URL configuration: a new route gets REQUEST_BODY_LIMIT unless it
    allows more with bodylimit.allow(), and none reads a body above its limit."""
    limit = bodylimit.limit_for(RequestFactory().post(path))
    assert settings.REQUEST_BODY_LIMIT <= limit <= settings.REQUEST_BODY_MAX
    response, body = post_big(Client(), path, limit + 1)
    assert response.status_code == 413, (path, response.status_code)
    assert body.read_bytes == 0


def test_routes_that_take_files_say_how_much():
    """The routes with uploads or documents allow what their checks accept, no more."""
    factory = RequestFactory()
    base = settings.REQUEST_BODY_LIMIT
    expected = {
        "/api/v1/forms/fim": base + 5 * MB,
        "/api/v1/forms/check": settings.JSON_MAX_BYTES,
        "/api/v1/fachverfahren/submissions/00000000-0000-0000-0000-000000000000/notice":
            base + 10 * MB,
        "/konto/postfach/00000000-0000-0000-0000-000000000000/": base + 5 * 10 * MB,
        "/antrag/vorgang/X/": base + 5 * 10 * MB,
        "/verwaltung/dienste/neu/": base + 2 * MB,
        "/verwaltung/dienste/x/v1/": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "/konto/anmelden/": base,
    }
    assert {p: bodylimit.limit_for(factory.post(p)) for p in expected} == expected


class Received:
    """Counts the bytes of uploaded files that reach Django's own handlers (the ones that
    keep a file in memory or in a temporary file)."""

    def __init__(self, monkeypatch) -> None:
        self.bytes = 0
        for handler in (uploadhandler.MemoryFileUploadHandler,
                        uploadhandler.TemporaryFileUploadHandler):
            original = handler.receive_data_chunk

            def counting(obj, raw_data, start, _original=original):
                # The memory handler passes a file on unless the whole body fits in memory.
                if getattr(obj, "activated", True):
                    self.bytes += len(raw_data)
                return _original(obj, raw_data, start)

            monkeypatch.setattr(handler, "receive_data_chunk", counting)


def _on_step_weiteres(client, adoption):
    draft = _guest_draft(client, adoption)
    person = reverse("submissions:step", args=[draft.pk, "person"])
    assert client.post(person, {"vorname": "Erika", "familienname": "Mustermann",
                                "zweck": "rente", "_action": "next"}).status_code == 302
    return draft, reverse("submissions:step", args=[draft.pk, "weiteres"])


def test_a_file_above_its_field_limit_is_dropped_while_it_streams_in(adoption, monkeypatch):
    """Outside tester: a file above its field's limit was read whole (spooled to memory or
    disk) before the step refused it. Now nothing beyond the field's limit reaches the
    handlers that keep files; the step answers with the field's sentence, and the answers
    and files around the large one, and the file stored before, stay."""
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    draft, step = _on_step_weiteres(client, adoption)
    first = SimpleUploadedFile("erster.png", PNG)
    assert client.post(step, {"anzahl": "1", "nachweis": first,
                              "_action": "save"}).status_code == 302
    [kept] = Draft.objects.get(pk=draft.pk).answers["nachweis"]
    received = Received(monkeypatch)
    big = SimpleUploadedFile("gross.pdf", b"%PDF-1.4\n" + b"x" * 900_000)
    small = PNG + b"\x00"  # not the first file's content, which is stored once per field
    # The field's limit is 100,000 bytes; the body (900 KB) is within the step's allowance.
    response = client.post(step, {"nachweis": [big, SimpleUploadedFile("klein.png", small)],
                                  "anzahl": "3", "_action": "next"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Die Datei gross.pdf ist zu groß (höchstens 0,1 MB)." in page
    assert received.bytes <= 100000 + len(small)  # not 900 KB
    draft = Draft.objects.get(pk=draft.pk)  # `answers` is cached on the instance
    assert draft.answers["anzahl"] == "3"  # posted after the large file
    assert draft.answers["vorname"] == "Erika"
    stored = draft.answers["nachweis"]
    assert stored[0] == kept and len(stored) == 2  # the small file after it is stored too
    assert {u.name for u in draft.uploads.all()} == {"erster.png", "klein.png"}


def test_the_file_sentence_in_english(adoption):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _draft, step = _on_step_weiteres(client, adoption)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"x" * 200_000)
    response = client.post(step, {"nachweis": big, "anzahl": "1", "_action": "next"})
    assert response.status_code == 400
    assert "The file big.pdf is too large (at most 0.1 MB)." in response.content.decode()


def test_files_for_names_that_are_no_file_item_of_the_step_are_not_kept(adoption,
                                                                       monkeypatch):
    """The step's allowance counts its own file items; a file under any other name (a text
    field, a file item of another step, an invented name) is dropped unread and unstored."""
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    draft, _step = _on_step_weiteres(client, adoption)
    received = Received(monkeypatch)
    other = reverse("submissions:step", args=[draft.pk, "person"])
    response = client.post(other, {"vorname": "Erika", "familienname": "Mustermann",
                                   "zweck": "rente", "nachweis": SimpleUploadedFile("a.png", PNG),
                                   "erfunden": SimpleUploadedFile("b.png", PNG),
                                   "_action": "next"})
    assert response.status_code == 302
    assert received.bytes == 0
    draft = Draft.objects.get(pk=draft.pk)
    assert "nachweis" not in draft.answers and not draft.uploads.exists()
    assert draft.answers["vorname"] == "Erika"


def test_the_per_file_handler_comes_first():
    handlers = settings.FILE_UPLOAD_HANDLERS
    assert handlers[0] == "amtsweg.core.bodylimit.PerFileLimitHandler"
    assert len(handlers) > 1  # Django's own handlers still keep the files
