"""Webhooks for new submissions: signed like FIT-Connect callbacks, one delivery per client
and submission, retried with exponential backoff until the receiver answers 2xx."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from amtsweg.api import clients, webhooks
from amtsweg.api.models import WebhookDelivery

from .conftest import make_client, submit

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class Receiver:
    """A local HTTP endpoint that answers 500 to the first `fail` requests, then 200."""

    def __init__(self, fail: int) -> None:
        self.fail, self.requests = fail, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers.items()), body))
                self.send_response(500 if len(outer.requests) <= outer.fail else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/callbacks/amtsweg"
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
