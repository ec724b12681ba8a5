"""Fees and payment: start an online payment for a draft, confirm it, require it before
sending (when the service says so), link payments to the submission, invoices.

The submit path calls `link_to_submission` only when it has work to do: when the version's
fee has `before_submit` and the fee is above zero (one query: link the paid payment or
refuse), when the draft carries the `payment` flag (set when a payment was started), or when
the applicant chose to pay by invoice. A free service, or one paid later, costs no query.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from amtsweg.audit import actions as audit
from amtsweg.core import tenantcrypto
from amtsweg.submissions.actions import ApplyError, compute_fee, form_of

from .models import Payment
from .providers import PaymentError, PaymentProvider, providers

__all__ = ["PaymentError", "PaymentRequired", "before_submit", "confirm", "invoice_available",
           "link_to_submission", "mark_invoice_paid", "online_providers",
           "start_payment", "state_of", "summary_context"]

INVOICE = "invoice"


class PaymentRequired(ApplyError):
    """Sending is refused: the fee must be paid first."""


def before_submit(version) -> bool:
    return bool((version.fee or {}).get("before_submit"))


def online_providers(adoption) -> list[PaymentProvider]:
    return [p for p in providers.enabled() if p.online and p.available_for(adoption)]


def invoice_available(adoption) -> bool:
    provider = providers.get(INVOICE)
    return provider is not None and provider.available_for(adoption)


def draft_fee(draft) -> Decimal | None:
    """The fee of a draft as submit will compute it: from the cleaned answers; None while
    answers are missing (the fee may depend on them)."""
    cleaned, errors = form_of(draft.version).validate(draft.answers)
    if errors:
        return None
    return compute_fee(draft.adoption, draft.version, cleaned)


def _paid(draft_key, fee: Decimal) -> Payment | None:
    return (Payment.objects.filter(draft_key=draft_key, state=Payment.State.PAID,
                                   amount__gte=fee).order_by("-paid_at").first())


def start_payment(draft, provider_key: str, return_url: str) -> tuple[Payment, str]:
    """An open payment of the draft's fee with an online provider. Returns the payment and
    the address to send the applicant to."""
    provider = providers.get(provider_key)
    if provider is None or not provider.online or not provider.available_for(draft.adoption):
        raise PaymentError(_("Choose one of the payment methods offered."))
    fee = draft_fee(draft)
    if fee is None:
        raise PaymentError(_("Complete your answers first: the fee depends on them."))
    if fee <= 0:
        raise PaymentError(_("There is no fee to pay for this application."))
    if _paid(draft.pk, fee) is not None:
        raise PaymentError(_("The fee is already paid."))
    with transaction.atomic():
        payment = Payment.objects.create(
            draft_key=draft.pk, authority_id=draft.authority_id, amount=fee,
            provider=provider.key, return_url=return_url)
        if not draft.content.get("payment"):
            # the flag tells submit that this draft has payments to link (docs/payments.md)
            draft.set_content(payment=True)
            draft.save(update_fields=["data", "updated_at"])
    return payment, provider.start(payment, return_url)


def confirm(payment: Payment, status: str, *, amount: Decimal, provider_ref: str = "",
            ) -> Payment:
    """Record a provider's verified answer ("paid" or "failed"). Idempotent: the same
    answer again changes nothing; a payment that is already settled cannot change."""
    target = {"paid": Payment.State.PAID, "failed": Payment.State.FAILED}.get(status)
    if target is None:
        raise PaymentError(_("The payment confirmation is invalid."))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if Decimal(amount) != locked.amount:
            raise PaymentError(_("The payment confirmation does not match the amount due."))
        if locked.state == target:
            return locked
        if locked.state != Payment.State.OPEN:
            raise PaymentError(_("This payment is already settled."))
        locked.state = target
        locked.provider_ref = provider_ref[:200]
        if target == Payment.State.PAID:
            locked.paid_at = timezone.now()
        locked.save(update_fields=["state", "provider_ref", "paid_at"])
        audit.record(tenant=tenantcrypto.tenant_of_authority(locked.authority_id),
                     actor=f"payment:{locked.provider}", action=f"payment.{status}",
                     obj=locked, data={"amount": str(locked.amount),
                                       "provider": locked.provider})
    return locked


def link_to_submission(submission, draft=None, choice: str = "",
                       required: bool = False) -> None:
    """After submit, in its transaction: the draft's payments belong to the submission, with
    the receipt number as reference; `choice` "invoice" records an open invoice.

    `required` (the version's fee has `before_submit` and the fee is above zero): one query
    links the paid payment of at least the fee, or finds none and refuses with
    PaymentRequired, which rolls the submit back. Otherwise this costs no query for a draft
    without payments and without the invoice choice."""
    if required:
        linked = Payment.objects.filter(
            draft_key=submission.draft_key, state=Payment.State.PAID,
            amount__gte=submission.fee_amount).update(
                submission=submission, reference=submission.receipt_number)
        if not linked:
            raise PaymentRequired(
                _("Pay the fee of %(amount)s EUR first: this service must be paid before the "
                  "application can be sent.") % {"amount": formats.localize(
                      submission.fee_amount)})
        return
    has_payments = draft is None or bool(draft.content.get("payment"))
    if not has_payments and choice != INVOICE:
        return
    paid = False
    if has_payments:
        Payment.objects.filter(draft_key=submission.draft_key, submission=None).update(
            submission=submission, reference=submission.receipt_number)
        paid = choice == INVOICE and Payment.objects.filter(
            draft_key=submission.draft_key, state=Payment.State.PAID).exists()
    if (choice == INVOICE and not paid and submission.fee_amount
            and submission.fee_amount > 0 and invoice_available(submission.adoption)):
        Payment.objects.create(
            draft_key=submission.draft_key, submission=submission,
            authority_id=submission.authority_id, amount=submission.fee_amount,
            provider=INVOICE, state=Payment.State.INVOICE_OPEN,
            reference=submission.receipt_number)


def mark_invoice_paid(actor, payment: Payment) -> Payment:
    """A clerk of the Behörde records that the transfer arrived."""
    from amtsweg.cases.actions import roles_at

    if not roles_at(actor, payment.authority_id) & {"clerk", "lead"}:
        raise PaymentError(_("Only clerks of this authority can record payments."))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.state == Payment.State.INVOICE_PAID:
            return locked
        if locked.state != Payment.State.INVOICE_OPEN:
            raise PaymentError(_("Only open invoices can be marked as paid."))
        locked.state = Payment.State.INVOICE_PAID
        locked.paid_at = timezone.now()
        locked.save(update_fields=["state", "paid_at"])
        audit.record(tenant=tenantcrypto.tenant_of_authority(locked.authority_id),
                     actor=audit.actor_of(actor), action="payment.invoice_paid", obj=locked,
                     data={"amount": str(locked.amount)})
    return locked


ORDER = {Payment.State.PAID: 0, Payment.State.INVOICE_PAID: 0, Payment.State.INVOICE_OPEN: 1,
         Payment.State.OPEN: 2, Payment.State.FAILED: 3}


def state_of(submission) -> dict | None:
    """The payment state of a submission for display, or None when there is no fee (no
    query then). Keys: state, label, paid, amount, currency, reference, provider, paid_at,
    account (the Behörde's bank account, for an open invoice), payment."""
    if not submission.fee_amount or submission.fee_amount <= 0:
        return None
    payments = list(Payment.objects.filter(draft_key=submission.draft_key))
    if not payments:
        return {"state": "none", "label": _("not paid yet"), "paid": False,
                "amount": submission.fee_amount, "currency": "EUR",
                "reference": submission.receipt_number, "provider": "", "paid_at": None,
                "account": None, "payment": None}
    best = min(payments, key=lambda p: (ORDER[p.state], -p.created_at.timestamp()))
    provider = providers.get(best.provider)
    account = None
    if best.state == Payment.State.INVOICE_OPEN:
        account = submission.adoption.payment_account or None
    return {"state": best.state, "label": best.get_state_display(), "paid": best.is_paid,
            "amount": best.amount, "currency": best.currency,
            "reference": best.reference or submission.receipt_number,
            "provider": str(provider.label) if provider else best.provider,
            "paid_at": best.paid_at, "account": account, "payment": best}


def summary_context(draft, fee: Decimal | None) -> dict | None:
    """What the summary page shows about paying; None for a free service (no query)."""
    if not fee or fee <= 0:
        return None
    required = before_submit(draft.version)
    paid = _paid(draft.pk, fee) if draft.content.get("payment") else None
    failed = (not paid and draft.content.get("payment") and Payment.objects.filter(
        draft_key=draft.pk, state=Payment.State.FAILED).exists())
    return {"required": required, "paid": paid, "failed": bool(failed), "amount": fee,
            "providers": online_providers(draft.adoption) if not paid else [],
            "invoice": not required and invoice_available(draft.adoption)}
