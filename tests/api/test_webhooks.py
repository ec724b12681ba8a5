"""Webhooks for new submissions: signed like FIT-Connect callbacks, one delivery per client
and submission, retried with exponential backoff until the receiver answers 2xx."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from amtsweg.api import clients, webhooks
from amtsweg.api.models import ApiClient, WebhookDelivery

from .conftest import make_client, submit

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    """The receivers of these tests listen on plain http on 127.0.0.1, which production
    refuses (core.outbound); the operator's two switches allow it here."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8"


class Receiver:
    """A local HTTP endpoint that answers 500 to the first `fail` requests, then 200 (or
    `status` with a Location header, for redirects)."""

    def __init__(self, fail: int, status: int = 200, location: str = "") -> None:
        self.fail, self.requests = fail, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((dict(self.headers.items()), body))
                self.send_response(500 if len(outer.requests) <= outer.fail else status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/callbacks/amtsweg"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def db_tasks(settings, monkeypatch):
    """The database task backend and an in-process worker (as in tests/jobs)."""
    from django_tasks_db.management.commands import db_worker

    settings.TASKS = DB_TASKS
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def work_off() -> None:
        db_worker.Worker(queue_names=["default"], interval=0, batch=True,
                         backend_name="default", startup_delay=False, max_tasks=100,
                         worker_id="test-worker", excluded_queue_names=[]).run()

    return work_off


def test_signature_is_hmac_sha512_over_timestamp_dot_body():
    import hashlib
    import hmac

    body = b'{"type":"submission.received"}'
    expected = hmac.new(b"geheim", b"1700000000." + body, hashlib.sha512).hexdigest()
    assert webhooks.sign("geheim", "1700000000", body) == expected and len(expected) == 128
    assert webhooks.verify("geheim", "1700000000", body, expected, now=1700000100)
    assert not webhooks.verify("geheim", "1700000000", body, expected, now=1700000400)  # old
    assert not webhooks.verify("anders", "1700000000", body, expected, now=1700000100)
    assert not webhooks.verify("geheim", "1700000000", body + b" ", expected, now=1700000100)
    assert not webhooks.verify("geheim", "x", body, expected)


def test_a_failing_receiver_gets_the_webhook_again_with_backoff(
        adoption, standesamt, other_authority, db_tasks):
    with Receiver(fail=2) as receiver:
        made = clients.create(authority=standesamt, name="FV", webhook_url=receiver.url)
        clients.create(authority=other_authority, name="Andere", webhook_url=receiver.url)
        revoked = clients.create(authority=standesamt, name="Alt", webhook_url=receiver.url)
        clients.revoke(revoked.client)
        make_client(standesamt, name="Ohne Webhook")
        submission = submit(adoption)  # the outbox entry, worked off below
        delays = []
        for _ in range(6):
            db_tasks()
            rows = DBTaskResult.objects.filter(
                task_path="amtsweg.api.webhooks.deliver_webhook")
            ready = rows.filter(status=TaskResultStatus.READY)
            for row in ready:
                delays.append(round((row.run_after - timezone.now()).total_seconds()))
            if not ready:
                break
            ready.update(run_after=timezone.now())  # time passes
        # Only the active client of this Behörde with a URL: one task, three attempts.
        [row] = DBTaskResult.objects.filter(task_path="amtsweg.api.webhooks.deliver_webhook")
        assert row.status == TaskResultStatus.SUCCESSFUL and len(row.worker_ids) == 3
        assert delays[:2] in ([30, 60], [29, 59], [29, 60], [30, 59])  # exponential backoff
        assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.api_client == made.client and delivery.attempts == 3
    assert delivery.delivered_at is not None and delivery.last_status == "HTTP 200"
    for headers, body in receiver.requests:
        headers = {k.lower(): v for k, v in headers.items()}
        assert headers["content-type"] == "application/json"
        assert webhooks.verify(made.webhook_secret, headers["callback-timestamp"], body,
                               headers["callback-authentication"], now=time.time())
        event = json.loads(body)
        assert event["type"] == "submission.received"
        assert event["submissionId"] == str(submission.pk)  # the receiver dedupes by it
        assert event["receiptNumber"] == submission.receipt_number
        assert event["authorityId"] == standesamt.pk and event["sentAt"]


def test_one_delivery_per_client_however_often_the_outbox_runs(adoption, standesamt):
    with Receiver(fail=0) as receiver:
        clients.create(authority=standesamt, name="FV", webhook_url=receiver.url)
        submission = submit(adoption)  # immediate backend: outbox and webhook run at once
        webhooks.on_submission_received(None, submission_id=str(submission.pk))
        webhooks.on_submission_received(None, submission_id=str(submission.pk))
        assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().delivered_at is not None


def test_a_revoked_client_gets_no_more_attempts(adoption, standesamt):
    with Receiver(fail=0) as receiver:
        made = clients.create(authority=standesamt, name="FV", webhook_url=receiver.url)
        clients.revoke(made.client)
        submission = submit(adoption)
        assert webhooks.deliver_webhook.call(made.client.pk, str(submission.pk)) == 0
        assert receiver.requests == []


# --- finding 7 of issue 11: webhook SSRF ----------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook",
    "http://127.0.0.1:6379", "HTTP://127.0.0.1:6379", "https://[::1]/hook",
    "https://[::ffff:169.254.169.254]/", "https://100.64.0.1/", "https://localhost/hook",
])
def test_internal_addresses_are_refused_when_the_client_is_created(standesamt, settings, url):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOWED_NETWORKS = ""
    with translation.override("en"), pytest.raises(
            clients.ClientError, match=r"https://|public internet address"):
        clients.create(authority=standesamt, name="FV", webhook_url=url)
    assert not ApiClient.objects.filter(name="FV").exists()


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(adoption, standesamt):
    with Receiver(fail=0) as internal, \
            Receiver(fail=0, status=302, location=internal.url) as receiver:
        clients.create(authority=standesamt, name="FV", webhook_url=receiver.url)
        submission = submit(adoption)  # immediate backend: one attempt, which fails
        assert len(receiver.requests) == 1
        assert internal.requests == []  # the worker did not call the Location
    delivery = WebhookDelivery.objects.get(submission=submission)
    assert delivery.delivered_at is None and delivery.attempts == 1
    assert delivery.last_status == "HTTP 302 (redirects are not followed)"


def test_the_address_is_checked_again_at_delivery(adoption, standesamt, settings,
                                                  monkeypatch, caplog):
    """A name that was public when the client was registered and points into the local
    network when the webhook goes out (DNS changed, or rebinding) is not called."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ""
    real = socket.getaddrinfo
    answers = iter(["93.184.215.14"])

    def resolver(host, port, *args, **kwargs):
        if host != "hook.example.org":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (next(answers, "127.0.0.1"), port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with Receiver(fail=0) as receiver:
        made = clients.create(authority=standesamt, name="FV",
                              webhook_url=f"http://hook.example.org:{receiver.port}/h")
        submission = submit(adoption)
        with pytest.raises(webhooks.WebhookFailed, match="refused"):
            webhooks.deliver_webhook.call(made.client.pk, str(submission.pk))
        assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(submission=submission)
    assert delivery.delivered_at is None
    assert delivery.last_status == "refused: 127.0.0.1 is not a public internet address"


def test_a_capitalised_scheme_is_delivered_not_silently_dropped(adoption, standesamt):
    with Receiver(fail=0) as receiver:
        url = receiver.url.replace("http://", "HTTP://")
        made = clients.create(authority=standesamt, name="FV", webhook_url=url)
        assert made.client.webhook_url == receiver.url  # stored normalised
        # a row written before the check normalised is read by the same parser
        ApiClient.objects.filter(pk=made.client.pk).update(webhook_url=url)
        submission = submit(adoption)
        assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(submission=submission).delivered_at is not None


def test_an_unreachable_receiver_is_never_logged_as_delivered(adoption, standesamt):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    made = clients.create(authority=standesamt, name="FV",
                          webhook_url=f"http://127.0.0.1:{port}/hook")
    submission = submit(adoption)
    with pytest.raises(webhooks.WebhookFailed):
        webhooks.deliver_webhook.call(made.client.pk, str(submission.pk))
    delivery = WebhookDelivery.objects.get(submission=submission)
    assert delivery.delivered_at is None and delivery.attempts == 2
    assert delivery.last_status.startswith("ConnectionRefusedError")
