"""Fees and payment: the fee at submit, payment before submit with the test provider (signed
return), cancel and retry, invoice after submit, no extra queries for free services, access."""

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amtsweg.payments import actions
from amtsweg.payments.models import Payment
from amtsweg.payments.providers import PaymentError, testpay
from amtsweg.services.models import ServiceVersion
from amtsweg.submissions import actions as submission_actions
from amtsweg.submissions.models import Submission
from tests.submissions.test_apply import fill, start_as_guest

pytestmark = pytest.mark.django_db

ACCOUNT = {"holder": "Stadtkasse Allendorf", "iban": "DE02120300000000202051",
           "bic": "BYLADEM1001"}


@pytest.fixture(autouse=True)
def _testpay_on(settings):
    settings.TEST_PAYMENT_ENABLED = True


def has_24(html: str) -> bool:
    return re.search(r"24[.,]00", html) is not None


def summary_url(draft):
    return reverse("submissions:summary", args=[draft.pk])


def pay_first(adoption):
    ServiceVersion.objects.filter(pk=adoption.version_id).update(
        fee={**adoption.version.fee, "before_submit": True})
    adoption.refresh_from_db()


def start_payment(client, draft):
    r = client.post(reverse("payments:start", args=[draft.pk]), {"provider": "testpay"})
    assert r.status_code == 302, r.content.decode()[:500]
    payment = Payment.objects.filter(draft_key=draft.pk).order_by("-created_at").first()
    assert r["Location"] == reverse("payments:testpay", args=[payment.pk])
    return payment


def provider_return(client, payment, action="pay"):
    """The test payment page: press the button; returns the signed return address."""
    page = client.get(reverse("payments:testpay", args=[payment.pk]))
    assert page.status_code == 200 and has_24(page.content.decode())
    r = client.post(reverse("payments:testpay", args=[payment.pk]), {"action": action})
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("payments:callback", args=["testpay"]))
    return r["Location"]


def test_fee_from_the_service_rule_or_the_local_override(client, small_service):
    version = small_service.version
    assert submission_actions.compute_fee(small_service, version, {"anzahl": 3}) == Decimal(
        "36.00")
    small_service.fee = 30
    small_service.save()
    assert submission_actions.compute_fee(small_service, version, {"anzahl": 3}) == Decimal(
        "30.00")
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    client.post(summary_url(draft), {"declaration": "1"})
    assert Submission.objects.get().fee_amount == Decimal("30.00")


def test_payment_before_submit_blocks_until_paid(client, small_service):
    pay_first(small_service)
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    page = client.get(summary_url(draft)).content.decode()
    assert f'action="{reverse("payments:start", args=[draft.pk])}"' in page
    assert 'value="testpay"' in page and "<legend" in page
    r = client.post(summary_url(draft), {"declaration": "1"})
    assert r.status_code == 400 and has_24(r.content.decode())
    assert 'href="#pay-now"' in r.content.decode()
    assert not Submission.objects.exists()

    payment = start_payment(client, draft)
    assert payment.state == Payment.State.OPEN and payment.amount == Decimal("24.00")
    back = client.get(provider_return(client, payment))
    assert back.status_code == 302 and back["Location"] == summary_url(draft)
    payment.refresh_from_db()
    assert payment.state == Payment.State.PAID and payment.paid_at is not None
    page = client.get(summary_url(draft)).content.decode()
    assert "is paid" in page or "bezahlt" in page
    assert 'value="testpay"' not in page

    r = client.post(summary_url(draft), {"declaration": "1"})
    assert r.status_code == 302
    submission = Submission.objects.get()
    payment.refresh_from_db()
    assert payment.submission == submission and payment.reference == submission.receipt_number
    done = client.get(r["Location"]).content.decode()
    assert 'data-payment-state="paid"' in done


def test_signed_return_replay_forgery_and_tampering(client, small_service):
    pay_first(small_service)
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    payment = start_payment(client, draft)
    location = provider_return(client, payment)
    path, query = location.split("?", 1)
    params = {k: v[0] for k, v in parse_qs(query).items()}

    forged = {**params, "sig": "0" * 64}
    assert client.get(path, forged).status_code == 400
    tampered = {**params, "amount": "0.01"}
    assert client.get(path, tampered).status_code == 400
    # a valid signature over another amount (the provider charged something else)
    other = {**params, "amount": "1.00", "sig": testpay.sign(payment.pk, "paid", Decimal("1"))}
    assert client.get(path, other).status_code == 400
    # another payment's id with this signature
    assert client.get(path, {**params, "payment": str(draft.pk)}).status_code == 400
    payment.refresh_from_db()
    assert payment.state == Payment.State.OPEN

    assert client.get(location).status_code == 302
    payment.refresh_from_db()
    paid_at = payment.paid_at
    assert payment.state == Payment.State.PAID
    # replaying the same answer changes nothing; a signed "failed" cannot undo the payment
    assert Client().get(location).status_code == 302
    payment.refresh_from_db()
    assert payment.state == Payment.State.PAID and payment.paid_at == paid_at
    failed = {**params, "status": "failed", "sig": testpay.sign(payment.pk, "failed",
                                                                payment.amount)}
    assert client.get(path, failed).status_code == 400
    payment.refresh_from_db()
    assert payment.state == Payment.State.PAID
    # the payment page does not offer to pay twice
    assert client.post(reverse("payments:testpay", args=[payment.pk]),
                       {"action": "cancel"}).status_code == 200


def test_cancel_fails_and_the_applicant_tries_again(client, small_service):
    pay_first(small_service)
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    first = start_payment(client, draft)
    r = client.get(provider_return(client, first, "cancel"))
    assert r["Location"] == summary_url(draft)
    first.refresh_from_db()
    assert first.state == Payment.State.FAILED
    page = client.get(summary_url(draft)).content.decode()
    assert 'value="testpay"' in page
    assert client.post(summary_url(draft), {"declaration": "1"}).status_code == 400
    second = start_payment(client, draft)
    assert second.pk != first.pk
    client.get(provider_return(client, second))
    assert client.post(summary_url(draft), {"declaration": "1"}).status_code == 302
    submission = Submission.objects.get()
    assert list(Payment.objects.filter(submission=submission)) == [second]  # the paid one
    assert set(Payment.objects.filter(draft_key=submission.draft_key)) == {first, second}
    assert actions.state_of(submission)["state"] == Payment.State.PAID


def test_invoice_after_submit(client, small_service, django_user_model):
    small_service.payment_account = ACCOUNT
    small_service.save()
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    page = client.get(summary_url(draft)).content.decode()
    assert 'name="payment_method" value="invoice"' in page
    assert 'value="testpay"' not in page  # not required before submit: nothing to pay now
    r = client.post(summary_url(draft), {"declaration": "1", "payment_method": "invoice"})
    assert r.status_code == 302
    submission = Submission.objects.get()
    invoice = Payment.objects.get(submission=submission)
    assert invoice.state == Payment.State.INVOICE_OPEN and invoice.provider == "invoice"
    assert invoice.reference == submission.receipt_number
    assert invoice.amount == Decimal("24.00")
    done = client.get(r["Location"]).content.decode()
    assert ACCOUNT["iban"] in done and submission.receipt_number in done and has_24(done)

    clerk = django_user_model.objects.create_user(email="x@example.org", password="x" * 16)
    with pytest.raises(PaymentError):
        actions.mark_invoice_paid(clerk, invoice)
    boss = django_user_model.objects.create_superuser(email="b@example.org", password="x" * 16)
    assert actions.mark_invoice_paid(boss, invoice).state == Payment.State.INVOICE_PAID
    assert actions.state_of(submission)["paid"] is True


def test_no_invoice_without_a_payment_account(client, small_service):
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    assert 'name="payment_method"' not in client.get(summary_url(draft)).content.decode()
    client.post(summary_url(draft), {"declaration": "1", "payment_method": "invoice"})
    submission = Submission.objects.get()
    assert not Payment.objects.exists()
    assert actions.state_of(submission)["state"] == "none"


def _submit_queries(client, adoption, **post) -> list[str]:
    Submission.objects.all().delete()
    Payment.objects.all().delete()
    draft, _ = start_as_guest(client, adoption, email=f"{adoption.fee}@example.org")
    fill(client, draft)
    with CaptureQueriesContext(connection) as queries:
        r = client.post(summary_url(draft), {"declaration": "1", **post})
    assert r.status_code == 302
    return [q["sql"] for q in queries.captured_queries]


def test_services_without_payment_first_cost_no_extra_query(client, small_service):
    small_service.fee = 0
    small_service.save()
    _submit_queries(client, small_service)  # warm up: the first case creates audit heads
    free = _submit_queries(client, small_service)
    small_service.fee = None  # the rule: 24 EUR, paid after sending
    small_service.save()
    paid_later = _submit_queries(client, small_service)
    assert len(free) == len(paid_later)
    assert not any("payments_payment" in sql for sql in free + paid_later)
    assert actions.state_of(Submission.objects.get()) is not None
    small_service.fee = 0
    small_service.save()
    pay_first(small_service)  # payment first, but nothing to pay: still no query
    assert len(_submit_queries(client, small_service)) == len(free)


def test_before_submit_costs_one_query(client, small_service):
    small_service.fee = None
    small_service.save()
    _submit_queries(client, small_service)  # warm up: the first case creates audit heads
    baseline = _submit_queries(client, small_service)
    pay_first(small_service)
    Submission.objects.all().delete()
    draft, _ = start_as_guest(client, small_service, email="p@example.org")
    fill(client, draft)
    client.get(provider_return(client, start_payment(client, draft)))
    with CaptureQueriesContext(connection) as queries:
        assert client.post(summary_url(draft), {"declaration": "1"}).status_code == 302
    # one query checks and links the payment
    assert len(queries.captured_queries) == len(baseline) + 1


def test_access_of_another_browser_is_404(client, small_service):
    pay_first(small_service)
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    payment = start_payment(client, draft)
    other = Client()
    assert other.post(reverse("payments:start", args=[draft.pk]),
                      {"provider": "testpay"}).status_code == 404
    assert other.get(reverse("payments:testpay", args=[payment.pk])).status_code == 404
    assert other.post(reverse("payments:testpay", args=[payment.pk]),
                      {"action": "pay"}).status_code == 404
    payment.refresh_from_db()
    assert payment.state == Payment.State.OPEN


def test_csrf_on_payment_posts(client, small_service):
    pay_first(small_service)
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    payment = start_payment(client, draft)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(reverse("payments:start", args=[draft.pk]),
                       {"provider": "testpay"}).status_code == 403
    assert strict.post(reverse("payments:testpay", args=[payment.pk]),
                       {"action": "pay"}).status_code == 403
    assert strict.post(reverse("payments:callback", args=["testpay"]) + "?" + urlencode(
        {"payment": str(payment.pk)})).status_code == 403


def test_testpay_disabled_is_invisible(client, small_service, settings):
    pay_first(small_service)
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    payment = start_payment(client, draft)
    settings.TEST_PAYMENT_ENABLED = False
    assert client.get(reverse("payments:testpay", args=[payment.pk])).status_code == 404
    page = client.get(summary_url(draft)).content.decode()
    assert 'value="testpay"' not in page
    r = client.post(reverse("payments:start", args=[draft.pk]), {"provider": "testpay"})
    assert r.status_code == 302 and r["Location"] == summary_url(draft)
    assert urlsplit(r["Location"]).path == summary_url(draft)
