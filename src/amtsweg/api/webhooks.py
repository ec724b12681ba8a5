"""Webhooks: a new submission is announced to every active API client of its Behörde that
has a webhook URL, signed like FIT-Connect callbacks.

    POST <webhook_url>
    content-type: application/json
    callback-timestamp: 1767225600
    callback-authentication: <hex HMAC-SHA512 over "1767225600.<body>" with the secret>

    {"type": "submission.received", "submissionId": "…", "receiptNumber": "…",
     "authorityId": 12, "sentAt": "2026-01-01T00:00:00+00:00"}

Delivery is at least once: one WebhookDelivery row per client and submission (however often
the outbox task runs), attempts by a reliable task retried with exponential backoff until a
2xx answer. Receivers must check the signature and the timestamp (at most 5 minutes old)
and dedupe by submissionId.
"""

import hashlib
import hmac
import json
import logging
import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from amtsweg.core import outbound
from amtsweg.jobs import reliable

from . import clients
from .models import ApiClient, WebhookDelivery

logger = logging.getLogger(__name__)

EVENT = "submission.received"


class WebhookFailed(Exception):
    """The receiver did not answer 2xx (or not at all): the task is retried."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """callback-authentication: hex HMAC-SHA512 over "<timestamp>.<body>"."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                    hashlib.sha512).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *,
           max_age: int = 300, now: float | None = None) -> bool:
    """What a receiver does: the signature matches (constant-time) and the timestamp is at
    most `max_age` seconds old."""
    try:
        age = (now if now is not None else time.time()) - int(timestamp)
    except ValueError:
        return False
    if not -60 <= age <= max_age:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def on_submission_received(sender, submission_id: str, **kwargs) -> None:
    """Receiver of submissions.signals.received (in the worker's outbox task; may run more
    than once): one delivery per client, enqueued in the same transaction."""
    from amtsweg.submissions.models import Submission

    authority_id = (Submission.objects.filter(pk=submission_id)
                    .values_list("authority_id", flat=True).first())
    if authority_id is None:
        return
    targets = (ApiClient.objects.filter(authority_id=authority_id, revoked_at__isnull=True)
               .exclude(webhook_url="").values_list("pk", flat=True))
    for client_id in targets:
        with transaction.atomic():
            _row, created = WebhookDelivery.objects.get_or_create(
                api_client_id=client_id, submission_id=submission_id)
            if created:
                deliver_webhook.enqueue(client_id, str(submission_id))


def payload(submission) -> bytes:
    return json.dumps({
        "type": EVENT, "submissionId": str(submission.pk),
        "receiptNumber": submission.receipt_number, "authorityId": submission.authority_id,
        "sentAt": timezone.now().isoformat(timespec="seconds"),
    }, separators=(",", ":")).encode()


@reliable(max_attempts=10, backoff=30, timeout=120)
def deliver_webhook(client_id: int, submission_id: str) -> int:
    """One attempt at announcing a submission to a client; raises on anything but 2xx so
    that the job system retries (30 s, 60 s, 120 s … at most an hour, 10 attempts, then a
    dead letter). A redirect is not followed and counts as a failure, so is an address that
    core.outbound refuses (checked again now: DNS may have changed since registration). A
    revoked client or a removed URL ends the delivery quietly."""
    from amtsweg.submissions.models import Submission

    client = ApiClient.objects.filter(pk=client_id).first()
    submission = Submission.objects.filter(pk=submission_id).first()
    if (client is None or submission is None or not client.active or not client.webhook_url
            or client.authority_id != submission.authority_id):
        return 0
    body = payload(submission)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "Amtsweg-Webhook/1",
               "callback-timestamp": timestamp,
               "callback-authentication": sign(clients.webhook_secret(client), timestamp, body)}
    WebhookDelivery.objects.filter(api_client=client, submission=submission).update(
        attempts=F("attempts") + 1)
    status, error = 0, ""
    try:
        status = outbound.post(client.webhook_url, body, headers).status
    except outbound.OutboundRefused as exc:
        error = f"refused: {exc}"[:200]
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    ok = 200 <= status < 300
    if not error and not ok:
        error = f"HTTP {status}" + (" (redirects are not followed)"
                                    if 300 <= status < 400 else "")
    WebhookDelivery.objects.filter(api_client=client, submission=submission).update(
        last_status=f"HTTP {status}" if ok else error,
        delivered_at=timezone.now() if ok else None)
    if not ok:
        logger.warning("webhook to client %s for %s failed: %s", client_id, submission_id,
                       error)
        raise WebhookFailed(f"webhook to client {client_id}: {error}")
    return status
