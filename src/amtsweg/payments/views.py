"""Paying a fee (citizen pages): start an online payment for a draft, the test provider's
payment page, and the return from a provider. A draft's payments are reachable only by the
draft's owner (the same access rule as the application pages)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amtsweg.submissions import views as submission_views

from . import actions
from .models import Payment
from .providers import PaymentError, providers, testpay


@require_POST
def start(request: HttpRequest, pk) -> HttpResponse:
    try:
        draft = submission_views._draft(request, pk)
    except submission_views._Done as done:
        return redirect("submissions:done", done.submission.receipt_number)
    back = reverse("submissions:summary", args=[draft.pk])
    try:
        _payment, url = actions.start_payment(draft, request.POST.get("provider", ""), back)
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return redirect(url)


def _check_payment_access(request: HttpRequest, payment: Payment) -> None:
    """The owner of the draft the payment was started for; after sending, whoever may see
    the submission."""
    try:
        submission_views._draft(request, payment.draft_key)
    except submission_views._Done:
        pass  # _draft checked that this browser or account may see the submission


@require_http_methods(["GET", "POST"])
def testpay_page(request: HttpRequest, pk) -> HttpResponse:
    """The test provider's payment page: the amount and "Pay" / "Cancel"."""
    if providers.get(testpay.key) is None:
        raise Http404
    payment = get_object_or_404(Payment, pk=pk, provider=testpay.key)
    _check_payment_access(request, payment)
    if request.method == "POST" and payment.state == Payment.State.OPEN:
        status = "paid" if request.POST.get("action") == "pay" else "failed"
        return redirect(f"{reverse('payments:callback', args=[testpay.key])}?"
                        f"{testpay.return_query(payment, status)}")
    return render(request, "payments/testpay.html", {
        "payment": payment, "open": payment.state == Payment.State.OPEN,
        "back": _safe(request, payment.return_url)})


@require_GET
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider's signed answer. The signature authorises the change; the page then
    returns to where the payment was started."""
    plugin = providers.get(provider)
    if plugin is None or not plugin.online:
        raise Http404
    try:
        payment = plugin.handle_callback(request)
    except PaymentError as exc:
        return render(request, "payments/refused.html", {"error": str(exc)}, status=400)
    if payment.state == Payment.State.PAID:
        messages.success(request, _("Thank you, the fee is paid."))
    else:
        messages.warning(request, _("The payment was not completed. You can try again."))
    return redirect(_safe(request, payment.return_url))


def _safe(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("portal:home")
