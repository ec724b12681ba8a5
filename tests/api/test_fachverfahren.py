"""REST API for Fachverfahren: bearer tokens (hashed, revocable), tenant isolation (another
Behörde's id answers 404 on every route), the happy paths with their audit entries, and a
schemathesis run over the whole OpenAPI document without a server error."""

import uuid
from collections import Counter
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from amtsweg.api import clients
from amtsweg.api.models import Acknowledgement, ApiClient
from amtsweg.audit.models import AuditEntry
from amtsweg.mailbox.actions import read_attachment
from amtsweg.mailbox.models import Message

from .conftest import PDF, bearer, make_client, submit

pytestmark = pytest.mark.django_db

BASE = "/api/v1/fachverfahren"


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://")
    return body


# --- authentication ---------------------------------------------------------------------------

def test_missing_invalid_and_revoked_tokens_get_401_problems(adoption, standesamt):
    submission = submit(adoption)
    api_client, token = make_client(standesamt)
    c = Client()
    url = f"{BASE}/submissions/{submission.pk}"
    is_problem(c.get(url), 401)
    is_problem(c.get(url, HTTP_AUTHORIZATION=f"Basic {token}"), 401)
    is_problem(c.get(url, HTTP_AUTHORIZATION="Bearer "), 401)
    is_problem(c.get(url, **bearer("aw_" + "x" * 43)), 401)
    is_problem(c.get(url, **bearer(token[:-1])), 401)
    is_problem(c.post(f"{url}/acknowledge", **bearer("nope")), 401)
    assert c.get(url, **bearer(token)).status_code == 200
    api_client.refresh_from_db()
    assert api_client.last_used_at is not None
    clients.revoke(api_client)
    is_problem(c.get(url, **bearer(token)), 401)
    assert AuditEntry.objects.filter(action="api_client.revoked",
                                     object_id=str(api_client.pk)).count() == 1


def test_only_the_hash_of_the_token_is_stored(standesamt):
    api_client, token = make_client(standesamt, webhook_url="https://fv.example/hook")
    assert token.startswith("aw_") and len(token) >= 40
    row = ApiClient.objects.get(pk=api_client.pk)
    assert row.token_hash == clients.hash_token(token) and token not in row.token_hash
    secret = clients.webhook_secret(row)
    assert secret and secret not in row.webhook_secret
    with pytest.raises(clients.ClientError):
        make_client(standesamt, name="Zweites", webhook_url="http://fv.example/hook")
    with pytest.raises(clients.ClientError):
        make_client(standesamt)  # the name is taken


def test_openapi_documents_the_bearer_auth():
    doc = Client().get("/api/v1/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    name, scheme = next(iter(schemes.items()))
    assert scheme == {"type": "http", "scheme": "bearer"}
    ops = [op for path, item in doc["paths"].items() if "/fachverfahren/" in path
           for op in item.values()]
    assert len(ops) == 7
    assert all(op["security"] == [{name: []}] for op in ops)


def test_scopes_limit_what_a_client_may_do(adoption, standesamt):
    submission = submit(adoption)
    _client, token = make_client(standesamt, scopes=["submissions:read"])
    c = Client()
    assert c.get(f"{BASE}/submissions/{submission.pk}", **bearer(token)).status_code == 200
    body = is_problem(c.post(f"{BASE}/cases/{submission.pk}/transition",
                             {"transition": "pruefen"}, content_type="application/json",
                             **bearer(token)), 403)
    assert "cases:write" in body["detail"]


# --- tenant isolation -------------------------------------------------------------------------

def routes_with_ids(submission_id, upload_id):
    pdf = SimpleUploadedFile("bescheid.pdf", PDF, content_type="application/pdf")
    return [
        ("get", f"/submissions/{submission_id}", {}),
        ("get", f"/submissions/{submission_id}/attachments/{upload_id}", {}),
        ("post", f"/submissions/{submission_id}/acknowledge", {}),
        ("post", f"/cases/{submission_id}/transition",
         {"data": {"transition": "pruefen"}, "content_type": "application/json"}),
        ("post", f"/submissions/{submission_id}/messages",
         {"data": {"subject": "Hallo", "body": "Text"}, "content_type": "application/json"}),
        ("post", f"/submissions/{submission_id}/notice", {"data": {"file": pdf}}),
    ]


def test_another_authoritys_submission_is_not_found_on_every_route(
        adoption, standesamt, other_authority, citizen):
    theirs = submit(adoption, user=citizen, attach=True)
    upload = theirs.uploads.get()
    _mine, token = make_client(other_authority, name="Andere Behörde")
    c = Client()
    for method, path, extra in routes_with_ids(theirs.pk, upload.pk):
        response = getattr(c, method)(BASE + path, **extra, **bearer(token))
        body = is_problem(response, 404)
        assert str(theirs.receipt_number) not in body["detail"]
    for method, path, extra in routes_with_ids(uuid.uuid4(), upload.pk):  # unknown id: same
        is_problem(getattr(c, method)(BASE + path, **extra, **bearer(token)), 404)
    # The list shows none of them; nothing was changed.
    assert c.get(f"{BASE}/submissions", **bearer(token)).json()["submissions"] == []
    assert not Acknowledgement.objects.exists()
    assert not Message.objects.filter(account=citizen).exists()
    theirs.case.refresh_from_db()
    assert theirs.case.state == "eingegangen"
    assert not AuditEntry.objects.filter(actor__startswith="api:").exists()


def test_an_upload_of_another_submission_is_not_found(adoption, standesamt):
    first = submit(adoption, attach=True)
    second = submit(adoption)
    _client, token = make_client(standesamt)
    upload = first.uploads.get()
    response = Client().get(f"{BASE}/submissions/{second.pk}/attachments/{upload.pk}",
                            **bearer(token))
    is_problem(response, 404)


# --- happy paths ------------------------------------------------------------------------------

def test_list_new_and_acknowledged_with_keyset_pages(adoption, standesamt):
    subs = [submit(adoption) for _ in range(3)]
    _client, token = make_client(standesamt)
    c = Client()
    seen, after = [], None
    while True:
        params = {"limit": 2, "state": "new", **({"after": after} if after else {})}
        page = c.get(f"{BASE}/submissions", params, **bearer(token)).json()
        seen += [s["id"] for s in page["submissions"]]
        after = page["next"]
        if not after:
            break
    assert seen == [str(s.pk) for s in sorted(subs, key=lambda s: (s.submitted_at, s.pk))]
    assert c.post(f"{BASE}/submissions/{subs[0].pk}/acknowledge",
                  **bearer(token)).status_code == 200
    new = c.get(f"{BASE}/submissions", {"state": "new"}, **bearer(token)).json()
    acked = c.get(f"{BASE}/submissions", {"state": "acknowledged"}, **bearer(token)).json()
    assert str(subs[0].pk) not in [s["id"] for s in new["submissions"]]
    assert [s["id"] for s in acked["submissions"]] == [str(subs[0].pk)]
    assert acked["submissions"][0]["acknowledgedAt"] and acked["next"] is None
    item = acked["submissions"][0]
    assert item["receiptNumber"] == subs[0].receipt_number and item["caseState"] == "eingegangen"
    is_problem(c.get(f"{BASE}/submissions", {"after": "kaputt"}, **bearer(token)), 400)
    is_problem(c.get(f"{BASE}/submissions", {"state": "old"}, **bearer(token)), 400)
    is_problem(c.get(f"{BASE}/submissions", {"limit": 0}, **bearer(token)), 400)


def test_fetch_a_submission_with_answers_and_attachment(adoption, standesamt):
    submission = submit(adoption, attach=True)
    _client, token = make_client(standesamt)
    c = Client()
    data = c.get(f"{BASE}/submissions/{submission.pk}", **bearer(token)).json()
    assert data["receiptNumber"] == submission.receipt_number
    assert data["answers"]["familienname"] == "Mustermann"
    assert data["applicant"] and data["email"] == "erika@example.org"
    assert data["hasAccount"] is False and data["authorityId"] == standesamt.pk
    assert data["service"]["slug"] == adoption.service.slug
    assert data["service"]["version"] == adoption.version.number
    assert data["fee"] == "24.00" or data["fee"] == str(submission.fee_amount)
    assert data["case"]["state"] == "eingegangen" and data["acknowledgedAt"] is None
    [att] = data["attachments"]
    assert att["name"] == "nachweis.pdf" and att["contentType"] == "application/pdf"
    response = c.get(f"{BASE}/submissions/{submission.pk}/attachments/{att['id']}",
                     **bearer(token))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == PDF
    assert "nachweis.pdf" in response["Content-Disposition"]
    is_problem(c.get(f"{BASE}/submissions/not-a-uuid", **bearer(token)), 400)


def test_acknowledge_is_idempotent_and_audited(adoption, standesamt):
    submission = submit(adoption)
    api_client, token = make_client(standesamt)
    c = Client()
    first = c.post(f"{BASE}/submissions/{submission.pk}/acknowledge", **bearer(token)).json()
    again = c.post(f"{BASE}/submissions/{submission.pk}/acknowledge", **bearer(token)).json()
    assert first == again and first["submissionId"] == str(submission.pk)
    assert Acknowledgement.objects.filter(submission=submission).count() == 1
    entries = AuditEntry.objects.filter(action="api.submission.acknowledged")
    assert entries.count() == 1 and entries.get().actor == f"api:{api_client.pk}"


def test_transition_as_clerk_of_its_behoerde(adoption, standesamt):
    submission = submit(adoption)
    api_client, token = make_client(standesamt)
    c = Client()
    url = f"{BASE}/cases/{submission.pk}/transition"

    def post(**body):
        return c.post(url, body, content_type="application/json", **bearer(token))

    response = post(transition="pruefen", lockVersion=0)
    assert response.status_code == 200, response.content
    assert response.json() | {"id": 0} == {"id": 0, "state": "in_pruefung", "outcome": "",
                                           "lockVersion": 1}
    is_problem(post(transition="bewilligen", lockVersion=0), 409)  # stale lock version
    is_problem(post(transition="ablehnen"), 409)  # the guard wants a reason
    is_problem(post(transition="gibt-es-nicht"), 409)
    is_problem(post(transition="zurueckziehen"), 403)  # the applicant's step
    is_problem(post(note="x"), 400)
    response = post(transition="bewilligen", note="Alles in Ordnung.", lockVersion=1)
    assert response.json()["state"] == "entschieden"
    assert response.json()["outcome"] == "bewilligt"
    actors = set(AuditEntry.objects.filter(action="case.transition",
                                           object_id=str(submission.case.pk))
                 .values_list("actor", flat=True))
    assert actors == {f"api:{api_client.pk}"}


def test_message_to_the_applicants_postfach(adoption, standesamt, citizen):
    guest = submit(adoption)
    mine = submit(adoption, user=citizen)
    api_client, token = make_client(standesamt)
    c = Client()
    body = {"subject": "Rückfrage", "body": "Bitte reichen Sie einen Nachweis ein."}
    is_problem(c.post(f"{BASE}/submissions/{guest.pk}/messages", body,
                      content_type="application/json", **bearer(token)), 409)
    response = c.post(f"{BASE}/submissions/{mine.pk}/messages", body,
                      content_type="application/json", **bearer(token))
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["messageId"])
    assert message.account == citizen and message.authority == standesamt
    assert message.subject == "Rückfrage"
    entry = AuditEntry.objects.get(action="api.message.sent")
    assert entry.actor == f"api:{api_client.pk}" and entry.data["message"] == str(message.pk)
    is_problem(c.post(f"{BASE}/submissions/{mine.pk}/messages", {"subject": "", "body": "x"},
                      content_type="application/json", **bearer(token)), 400)


def test_notice_as_pdf_in_the_postfach(adoption, standesamt, citizen):
    guest = submit(adoption)
    mine = submit(adoption, user=citizen)
    api_client, token = make_client(standesamt)
    c = Client()

    def post(submission, data=PDF, name="bescheid.pdf", **fields):
        f = SimpleUploadedFile(name, data, content_type="application/pdf")
        return c.post(f"{BASE}/submissions/{submission.pk}/notice", {"file": f, **fields},
                      **bearer(token))

    is_problem(post(guest), 409)
    is_problem(post(mine, data=b"not a pdf"), 400)
    is_problem(c.post(f"{BASE}/submissions/{mine.pk}/notice", {}, **bearer(token)), 400)
    response = post(mine, subject="Bescheid", body="Anbei Ihr Bescheid.")
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["messageId"])
    assert message.account == citizen and message.subject == "Bescheid"
    [attachment] = message.attachments.all()
    assert attachment.content_type == "application/pdf"
    assert read_attachment(attachment) == PDF
    response = post(mine)  # without subject: a default one with the receipt number
    assert mine.receipt_number in Message.objects.get(pk=response.json()["messageId"]).subject
    assert AuditEntry.objects.filter(action="api.notice.sent",
                                     actor=f"api:{api_client.pk}").count() == 2


def test_api_client_command(standesamt):
    out = StringIO()
    call_command("api_client", "create", "--authority", str(standesamt.pk), "--name", "FV1",
                 "--webhook-url", "https://fv.example/hook", stdout=out)
    text = out.getvalue()
    token = next(line.split("=", 1)[1] for line in text.splitlines()
                 if line.startswith("token="))
    assert "webhook_secret=" in text
    api_client = ApiClient.objects.get(name="FV1")
    assert api_client.token_hash == clients.hash_token(token)
    out = StringIO()
    call_command("api_client", "list", stdout=out)
    assert "FV1" in out.getvalue() and token not in out.getvalue()
    call_command("api_client", "revoke", "FV1", stdout=StringIO())
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    is_problem(Client().get(f"{BASE}/submissions", **bearer(token)), 401)


# --- fuzzing the OpenAPI document -------------------------------------------------------------

def test_schemathesis_finds_no_server_error(adoption, standesamt, citizen, settings):
    """Every operation of /api/v1/openapi.json with generated parameters and bodies, with a
    valid token; ids are sometimes real ones of the client's Behörde. No 5xx."""
    import schemathesis
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    settings.API_RATE_LIMIT = 10**9
    guest = submit(adoption, attach=True)
    account = submit(adoption, user=citizen)
    _client, token = make_client(standesamt)
    # As Django's test client does: the requests must not close the test's connection (on
    # PostgreSQL that would end the transaction the test runs in).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _fuzz(schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application()),
              token, guest, account)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz(schema, token, guest, account):
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    upload_id = str(guest.uploads.get().pk)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 10
    failures, seen = [], Counter()
    for operation in operations:
        label = operation.label

        @hsettings(max_examples=25, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), real=st.sampled_from([None, guest, account]))
        def run(case, real):
            params = case.path_parameters or {}
            if real is not None and "submission_id" in params:
                params["submission_id"] = str(real.pk)
                if "upload_id" in params:
                    params["upload_id"] = upload_id
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            seen[(label, response.status_code)] += 1
            if response.status_code >= 500:
                failures.append((label, case.path_parameters, case.query,
                                 response.status_code, response.text[:300]))

        run()
    assert failures == []
    # The generated cases reached the data too, not only the validation and the 404s.
    assert seen[("GET /api/v1/fachverfahren/submissions/{submission_id}", 200)] > 0
    assert seen[("GET /api/v1/fachverfahren/submissions", 200)] > 0
