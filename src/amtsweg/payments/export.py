"""Payments of the account's drafts and applications in the export of all own data
(accounts.dataprotection)."""

from amtsweg.accounts.dataprotection import Archive, ExportPart, register_export
from amtsweg.accounts.models import User
from amtsweg.submissions.models import Draft, Submission

from .models import Payment


def build(user: User, archive: Archive) -> list[dict]:
    keys = {*Draft.objects.filter(user=user).values_list("pk", flat=True),
            *Submission.objects.filter(user=user).values_list("draft_key", flat=True)}
    receipts = dict(Submission.objects.filter(user=user).values_list("draft_key",
                                                                     "receipt_number"))
    return [{"id": str(p.pk), "application": receipts.get(p.draft_key),
             "draft": None if p.draft_key in receipts else str(p.draft_key),
             "amount": p.amount, "currency": p.currency, "provider": p.provider,
             "state": p.state, "reference": p.reference, "created_at": p.created_at,
             "paid_at": p.paid_at}
            for p in Payment.objects.filter(draft_key__in=keys).order_by("created_at")]


register_export(ExportPart("payments", build, covers=("payments.Payment",)))
