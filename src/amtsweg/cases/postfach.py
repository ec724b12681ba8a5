"""The Postfach messages a case sent to the applicant, with their read receipts
(`mailbox.Message.read_at`), for the case page.

A message carries no case id. It belongs to the case when it went to the applicant's account
from the case's Behörde after the application was sent, and either its subject names the
receipt number (every message the workflow sends does: state changes such as the
Nachforderung, and the Bescheid) or the API logged it for this submission (`api.message.sent`,
`api.notice.sent` in the audit log, with the message id).
"""

from amtsweg.audit.models import AuditEntry
from amtsweg.core import tenantcrypto
from amtsweg.mailbox.models import Message

from .models import Case

API_ACTIONS = ("api.message.sent", "api.notice.sent")


def sent_to_applicant(case: Case) -> list[dict] | None:
    """[{"subject", "sent_at", "read_at", "files"}] oldest first; None when the applicant has
    no Servicekonto (a guest, or a deleted account): then messages go by e-mail, without
    read receipts."""
    submission = case.submission
    if submission.user_id is None:
        return None
    by_api = {str((data or {}).get("message")) for data in AuditEntry.objects.filter(
        tenant=tenantcrypto.tenant_of_authority(case.authority_id), object_id=str(submission.pk),
        object_type="submissions.submission", action__in=API_ACTIONS,
    ).values_list("data", flat=True)}
    sent = []
    for message in (Message.objects.filter(
            account_id=submission.user_id, authority_id=case.authority_id,
            direction=Message.Direction.TO_ACCOUNT, created_at__gte=submission.submitted_at)
            .prefetch_related("attachments").order_by("created_at", "id")):
        subject = message.subject
        if str(message.pk) in by_api or case.receipt_number in subject:
            sent.append({"subject": subject, "sent_at": message.created_at,
                         "read_at": message.read_at,
                         "files": [a.name for a in message.attachments.all()]})
    return sent
