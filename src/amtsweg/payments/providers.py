"""Payment providers behind the plugin registry (core.registry).

A provider sends the applicant to pay (`start` returns the address to redirect to) and
confirms the result (`handle_callback` verifies what comes back and returns the payment).
Built in: `testpay` (a local test payment page with a signed return, for demos and
development) and `invoice` (Rechnung: the applicant transfers the fee after sending, with the
receipt number as Verwendungszweck). docs/payments.md describes both.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from amtsweg.core.registry import Registry

from .models import Payment


class PaymentError(Exception):
    """A person-facing refusal (a sentence): forged, tampered, unknown or not possible."""


class PaymentProvider:
    key: str = ""
    label = ""
    online: bool = True  # pays before or right after sending, in the browser

    def is_enabled(self) -> bool:
        raise NotImplementedError

    def available_for(self, adoption) -> bool:
        """Whether the adopting Behörde can take payments this way."""
        return True

    def start(self, payment: Payment, return_url: str) -> str:
        """The address to send the applicant to; the provider returns to `return_url`."""
        raise NotImplementedError

    def handle_callback(self, request: HttpRequest) -> Payment:
        """Verify the provider's answer and record it; raise PaymentError to refuse."""
        raise NotImplementedError


providers: Registry[PaymentProvider] = Registry("payment providers")


# --- testpay --------------------------------------------------------------------------------

def _amount_text(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(Decimal('0.01'))}"


class TestPayProvider(PaymentProvider):
    """A local payment page with "Pay" and "Cancel"; the result comes back as a signed query
    (HMAC-SHA256, key derived from SECRET_KEY) over payment id, status and amount."""

    key = "testpay"
    label = _("Test payment (demo)")
    test_only = "TEST_PAYMENT_ENABLED"
    SALT = "amtsweg.payments.testpay"
    STATUSES = ("paid", "failed")

    def is_enabled(self) -> bool:
        return bool(getattr(settings, "TEST_PAYMENT_ENABLED", False))

    def start(self, payment: Payment, return_url: str) -> str:
        return reverse("payments:testpay", args=[payment.pk])

    def sign(self, payment_id, status: str, amount: Decimal) -> str:
        message = f"{payment_id}|{status}|{_amount_text(amount)}"
        return salted_hmac(self.SALT, message, algorithm="sha256").hexdigest()

    def return_query(self, payment: Payment, status: str) -> str:
        """What the payment page sends the browser back with (to the callback endpoint)."""
        amount = _amount_text(payment.amount)
        return urlencode({"payment": str(payment.pk), "status": status, "amount": amount,
                          "sig": self.sign(payment.pk, status, payment.amount)})

    def handle_callback(self, request: HttpRequest) -> Payment:
        from . import actions

        params = request.GET
        status = params.get("status", "")
        try:
            amount = Decimal(params.get("amount", ""))
        except InvalidOperation:
            raise PaymentError(_("The payment confirmation is invalid.")) from None
        payment_id = params.get("payment", "")
        if status not in self.STATUSES or not constant_time_compare(
                params.get("sig", ""), self.sign(payment_id, status, amount)):
            raise PaymentError(_("The payment confirmation is invalid."))
        payment = Payment.objects.filter(pk=payment_id, provider=self.key).first() \
            if _is_uuid(payment_id) else None
        if payment is None:
            raise PaymentError(_("The payment confirmation is invalid."))
        return actions.confirm(payment, status, amount=amount)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- invoice --------------------------------------------------------------------------------

class InvoiceProvider(PaymentProvider):
    """Rechnung: an open invoice is recorded when the application is sent; the applicant
    transfers the amount with the receipt number as Verwendungszweck, and the Behörde marks
    it paid (actions.mark_invoice_paid)."""

    key = "invoice"
    label = _("By invoice (bank transfer)")
    online = False

    def is_enabled(self) -> bool:
        return True

    def available_for(self, adoption) -> bool:
        return bool((adoption.payment_account or {}).get("iban"))

    def start(self, payment: Payment, return_url: str) -> str:
        return return_url

    def handle_callback(self, request: HttpRequest) -> Payment:
        raise PaymentError(_("Invoices are confirmed by the authority."))


testpay = providers.register(TestPayProvider())
invoice = providers.register(InvoiceProvider())
