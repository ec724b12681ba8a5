"""Marking an invoice paid on the case page: a button for Sachbearbeitung and Leitung of the
case's Behörde while the invoice is open; audited once; another Behörde's case or payment
answers 404."""

import pytest
from django.urls import reverse

from amtsweg.audit.models import AuditEntry
from amtsweg.payments.models import Payment
from amtsweg.submissions.models import Submission
from amtsweg.territory.models import Authority
from tests.payments.test_payments import ACCOUNT, summary_url
from tests.services.staff import client_for, staff
from tests.submissions.test_apply import fill, start_as_guest

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(client, small_service) -> Payment:
    small_service.payment_account = ACCOUNT
    small_service.save()
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    client.post(summary_url(draft), {"declaration": "1", "payment_method": "invoice"})
    return Payment.objects.get(submission=Submission.objects.get(),
                               state=Payment.State.INVOICE_OPEN)


def _urls(invoice: Payment) -> tuple[str, str]:
    case = invoice.submission.case
    return (reverse("cases:detail", args=[case.pk]),
            reverse("cases:invoice_paid", args=[case.pk, invoice.pk]))


def _audits(invoice: Payment) -> int:
    return AuditEntry.objects.filter(action="payment.invoice_paid",
                                     object_id=str(invoice.pk)).count()


@pytest.mark.parametrize("role", ["clerk", "lead"])
def test_clerk_marks_the_invoice_paid_once(invoice, role):
    detail, paid = _urls(invoice)
    clerk = client_for(staff((role, invoice.authority)))
    page = clerk.get(detail).content.decode()
    assert paid in page and "Mark the invoice of 24" in page

    r = clerk.post(paid, follow=True)
    assert r.redirect_chain[-1][0] == detail
    page = r.content.decode()
    assert "The invoice is marked as paid." in page
    assert paid not in page  # no button once paid
    assert 'data-payment-state="invoice_paid"' in page
    invoice.refresh_from_db()
    assert invoice.state == Payment.State.INVOICE_PAID and invoice.paid_at is not None
    paid_at = invoice.paid_at
    assert _audits(invoice) == 1
    entry = AuditEntry.objects.get(action="payment.invoice_paid", object_id=str(invoice.pk))
    assert entry.actor.startswith("user:") and entry.tenant == f"authority:{invoice.authority_id}"

    # again (a second click, a reload): nothing changes, no second audit entry
    r = clerk.post(paid, follow=True)
    assert "This invoice is already marked as paid." in r.content.decode()
    invoice.refresh_from_db()
    assert invoice.paid_at == paid_at and _audits(invoice) == 1


def test_only_working_roles_of_the_behoerde(invoice):
    detail, paid = _urls(invoice)
    for role in ("admin", "designer"):
        client = client_for(staff((role, invoice.authority)))
        if role == "admin":  # sees the case, but not the button
            assert paid not in client.get(detail).content.decode()
        assert client.post(paid).status_code == 403
    other = Authority.objects.filter(is_demo=True).exclude(pk=invoice.authority_id).first()
    assert client_for(staff(("clerk", other), ("lead", other))).post(paid).status_code == 404
    assert client_for(staff(("clerk", invoice.authority))).get(paid).status_code == 405
    invoice.refresh_from_db()
    assert invoice.state == Payment.State.INVOICE_OPEN and _audits(invoice) == 0


def test_a_payment_of_another_case_is_not_found(invoice, client, small_service):
    """The payment id must belong to the case in the address."""
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    client.post(summary_url(draft), {"declaration": "1", "payment_method": "invoice"})
    second = Payment.objects.exclude(pk=invoice.pk).get(state=Payment.State.INVOICE_OPEN)
    case = invoice.submission.case
    clerk = client_for(staff(("clerk", invoice.authority)))
    r = clerk.post(reverse("cases:invoice_paid", args=[case.pk, second.pk]))
    assert r.status_code == 404
    second.refresh_from_db()
    assert second.state == Payment.State.INVOICE_OPEN


def test_an_online_payment_cannot_be_marked(invoice):
    Payment.objects.filter(pk=invoice.pk).update(provider="testpay", state=Payment.State.OPEN)
    detail, paid = _urls(invoice)
    clerk = client_for(staff(("clerk", invoice.authority)))
    assert paid not in clerk.get(detail).content.decode()
    r = clerk.post(paid, follow=True)
    assert "Only open invoices can be marked as paid." in r.content.decode()
    invoice.refresh_from_db()
    assert invoice.state == Payment.State.OPEN and _audits(invoice) == 0
