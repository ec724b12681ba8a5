"""Servicekonto pages: register, confirm e-mail, log in and out, two factors, profile,
trust levels."""

import hashlib
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from amtsweg.core import mail

from . import actions, dataprotection, identity, organisations, profile, throttle, twofactor
from .forms import (
    CodeForm,
    ConfirmForm,
    LoginForm,
    PasswordResetForm,
    RegistrationForm,
    ResendForm,
    TotpSetupForm,
)
from .identity import testeid
from .models import Identity, PendingSamlResponse, TrustLevel, User


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The `next` target if it stays on this site, else the account page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default or reverse("accounts:home")


def _mail_allowed(request: HttpRequest, form, field: str = "email") -> bool:
    """Count a mail to the typed address; over the limit the form says so (same answer for
    addresses with and without an account)."""
    try:
        mail.count_typed_address(request, form.cleaned_data[field])
    except mail.TooManyMails:
        form.add_error(field, mail.TOO_MANY_MAILS)
        return False
    return True


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _mail_allowed(request, form):
            d = form.cleaned_data
            actions.register(request, email=d["email"], password=d["password1"],
                             first_name=d["first_name"], last_name=d["last_name"])
            return redirect("accounts:register_done")
        return render(request, "accounts/register.html", {"form": form}, status=429)
    return render(request, "accounts/register.html", {"form": form})


def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/message.html", {
        "heading": _("Please check your mailbox"),
        "text": _("We sent a link to the e-mail address you entered. Open it to confirm the "
                  "address; then you can log in. The link is valid for 3 days."),
    })


def verify(request: HttpRequest, token: str) -> HttpResponse:
    user = actions.confirm_email(token)
    if user is None:
        return render(request, "accounts/message.html", {
            "heading": _("This link does not work"),
            "text": _("The link is broken or older than 3 days. Ask for a new one below."),
            "resend": True,
        }, status=400)
    messages.success(request, _("Your e-mail address is confirmed. You can log in now."))
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest) -> HttpResponse:
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _mail_allowed(request, form):
            return render(request, "accounts/resend.html", {"form": form}, status=429)
        user = User.objects.filter(email=form.cleaned_data["email"].lower()).first()
        if user is not None and not user.email_verified:
            actions.send_verification(request, user)
        return redirect("accounts:register_done")
    return render(request, "accounts/resend.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            actions.password_login(request, email=form.cleaned_data["email"],
                                   password=form.cleaned_data["password"])
        except actions.SecondFactorNeeded:
            request.session["2fa_next"] = safe_next(request)
            return redirect("accounts:second_factor")
        except actions.LoginRefused as refused:
            error = str(refused)
        else:
            return _known_device(request, redirect(safe_next(request)))
    asked_next = request.GET.get("next") or request.POST.get("next")
    return render(request, "accounts/login.html", {
        "form": form, "error": error, "next": safe_next(request) if asked_next else "",
        "eid_providers": [p for p in identity.providers.enabled()
                          if hasattr(p, "finish") or hasattr(p, "finish_response")],
    }, status=400 if error else 200)


def _known_device(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After a login, this browser is a known device of the account (accounts/throttle.py)."""
    if request.user.is_authenticated:
        throttle.remember_device(request, response, request.user.email)
    return response


def _forget_copies(response: HttpResponse) -> HttpResponse:
    """At the end of a session the browser drops what it kept of this site (pages from
    before no-store existed, the back/forward cache): a shared kiosk browser shows nothing of
    the person after logout (issue 11, finding 12)."""
    response["Clear-Site-Data"] = '"cache"'
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    actions.end_session(request)
    messages.info(request, _("You are logged out."))
    return _forget_copies(redirect("portal:home"))


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    actions.end_all_sessions(request, request.user)
    messages.info(request, _("You are logged out on all devices."))
    return _forget_copies(redirect("portal:home"))


def _display_name(user: User) -> str:
    """The person's name: as typed at registration, else as the eID confirmed it, else
    nothing (never the e-mail address, which has its own line; issue 12)."""
    name = f"{user.first_name} {user.last_name}".strip()
    if name:
        return name
    attrs = profile.attributes(user)
    parts = [attrs[k].value for k in ("given_name", "family_name") if k in attrs]
    return " ".join(p for p in parts if p).strip()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    level = request.session.get("trust_level", "basis")
    return render(request, "accounts/home.html", {
        "trust_level": level,
        "trust_level_label": (TrustLevel(level).label if level in TrustLevel.values
                              else level),
        "display_name": _display_name(request.user),
        "acting_for": organisations.acting_for(request),
        "memberships": request.user.memberships.select_related("organisation"),
        "has_2fa": twofactor.has_device(request.user),
        "confirm_form": ConfirmForm(),
    })


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/mail/password_reset.txt"
    subject_template_name = "accounts/mail/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_context = {"heading": gettext_lazy("Forgot your password?")}

    def form_valid(self, form):
        if not _mail_allowed(self.request, form):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/message.html"
    extra_context = {
        "heading": gettext_lazy("Please check your mailbox"),
        "text": gettext_lazy("If an account exists for this address, we sent a link to set "
                             "a new password. It is valid for 1 hour."),
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def form_valid(self, form):
        """The holder proved control of the mailbox: the account's failure counters start
        again and this browser becomes a known device, so a lock by strangers ends here."""
        messages.success(self.request, _("Your new password is set. You can log in now."))
        response = super().form_valid(form)
        throttle.reset_account(form.user.email)
        throttle.remember_device(self.request, response, form.user.email)
        return response


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    if actions.pending_second_factor(request) is None:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        target = request.session.get("2fa_next") or reverse("accounts:home")
        try:
            actions.second_factor_login(request, form.cleaned_data["code"])
        except actions.LoginRefused as refused:
            error = str(refused)
            if actions.pending_second_factor(request) is None:
                messages.error(request, error)
                return redirect("accounts:login")
        else:
            return _known_device(request, redirect(target))
    return render(request, "accounts/second_factor.html", {"form": form, "error": error},
                  status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app; staff without one are sent here after login. Setting up
    or replacing it needs the password or a current code again (not only the session); the
    first app within RECENT_LOGIN_SECONDS of a login does not (the password was just typed:
    the forced setup of staff right after their login asked for it twice)."""
    user = request.user
    replacing = twofactor.has_device(user)
    if replacing and not request.session.get("mfa"):
        return _confirm_existing_device(request)
    if "totp_secret" not in request.session:
        # kept until the app is set up: a reload must not change the key that was just
        # scanned (issue 12: the secret changed on every reload)
        request.session["totp_secret"] = twofactor.new_secret()
    secret = request.session["totp_secret"]
    recent = not replacing and actions.recently_logged_in(request)
    form = TotpSetupForm(request.POST or None, first_device=not replacing, recent_login=recent)
    error = ""
    if request.method == "POST" and form.is_valid():
        if not recent:
            error = actions.reauthenticate(request, user, form.cleaned_data["confirm"]) or ""
        if not error:
            codes = actions.enable_second_factor(request, user, secret,
                                                 form.cleaned_data["code"])
            if codes is not None:
                del request.session["totp_secret"]
                return render(request, "accounts/recovery_codes.html", {"codes": codes})
            error = _("The code is not right. Enter the code your app shows now.")
    uri = twofactor.provisioning_uri(user, secret)
    return render(request, "accounts/totp_setup.html", {
        "form": form, "error": error, "qr": mark_safe(twofactor.qr_svg(uri)),  # noqa: S308
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "replacing": replacing, "recent_login": recent,
        "mandatory": user.is_staff,
    }, status=400 if error or form.errors else 200)


def _confirm_existing_device(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        verdict = twofactor.verify(request.user, form.cleaned_data["code"])
        if verdict:
            request.session["mfa"] = True
            return redirect(safe_next(request))
        error = actions.code_refusal(verdict)
    return render(request, "accounts/second_factor.html", {"form": form, "error": error},
                  status=400 if error else 200)


@login_required
@require_POST
def totp_disable(request: HttpRequest) -> HttpResponse:
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Two-factor login stays on: please enter your password or "
                                  "a current code."))
    elif request.user.is_staff:
        messages.error(request, _("Two-factor login stays on: your account must use it."))
    elif error := actions.reauthenticate(request, request.user, form.cleaned_data["confirm"]):
        messages.error(request, _("Two-factor login stays on.") + " " + error)
    elif actions.disable_second_factor(request, request.user):
        messages.success(request, _("Two-factor login is switched off."))
    return redirect("accounts:home")


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin uses the Servicekonto login (with its throttling and two factors)."""
    target = safe_next(request, default="/admin/")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


PROFILE_LABELS = {
    "given_name": gettext_lazy("First name"), "family_name": gettext_lazy("Last name"),
    "birth_date": gettext_lazy("Date of birth"), "street": gettext_lazy("Street"),
    "house_number": gettext_lazy("House number"), "postal_code": gettext_lazy("Postal code"),
    "city": gettext_lazy("Town"),
}


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    """Profile: typed data editable; eID-confirmed data fixed and shown only at its level."""
    current = profile.attributes(request.user)
    if request.method == "POST":
        values = {name: " ".join(request.POST.get(name, "").split())[:200]
                  for name in PROFILE_LABELS}
        refused = profile.set_typed(request.user, values)
        if refused:
            messages.error(request, _("Data confirmed by your eID cannot be changed by hand."))
        else:
            messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    rows = []
    for name, label in PROFILE_LABELS.items():
        attr = current.get(name)
        confirmed = attr is not None and attr.source == attr.Source.EID
        visible = attr is None or not confirmed or profile.has_level(request, attr.level)
        rows.append({"name": name, "label": label, "attr": attr, "confirmed": confirmed,
                     "visible": visible, "value": attr.value if attr and visible else ""})
    return render(request, "accounts/profile.html", {
        "rows": rows, "hidden": any(not r["visible"] for r in rows),
        "level": profile.session_level(request),
    })


@login_required
def step_up(request: HttpRequest) -> HttpResponse:
    """Offer the identity providers that reach the level the service needs."""
    level = request.GET.get("level", TrustLevel.SUBSTANZIELL)
    if level not in TrustLevel.values:
        level = TrustLevel.SUBSTANZIELL
    request.session["step_up_next"] = safe_next(request)
    options = [p for p in identity.providers.enabled() if level in p.levels]
    return render(request, "accounts/step_up.html", {
        "level": level, "level_label": TrustLevel(level).label, "options": options,
        "current": profile.session_level(request),
    })


@login_required
@require_POST
def step_up_start(request: HttpRequest) -> HttpResponse:
    provider = identity.providers.get(request.POST.get("provider", ""))
    level = request.POST.get("level", "")
    if provider is None or level not in provider.levels:
        messages.error(request, _("This way of identification is not available."))
        return redirect("accounts:home")
    return provider.start(request, level)


@login_required
@require_http_methods(["GET", "POST"])
def test_eid(request: HttpRequest) -> HttpResponse:
    """The test eID's own page (the 'provider'): visibly fake, asserts the chosen level."""
    if identity.providers.get(testeid.TestEidProvider.key) is None:
        return render(request, "404.html", status=404)
    level = request.POST.get("level") or request.GET.get("level") or TrustLevel.SUBSTANZIELL
    if level not in testeid.TestEidProvider.levels:
        level = TrustLevel.SUBSTANZIELL
    if request.method == "POST":
        data = {name: " ".join(request.POST.get(name, "").split())[:200]
                for name in testeid.SAMPLE}
        subject = "test-" + hashlib.sha256(
            f"{data['given_name']}|{data['family_name']}|{data['birth_date']}".encode()
        ).hexdigest()[:24]
        try:
            actions.identify(request, identity.Assertion(
                testeid.TestEidProvider.key, subject, level, data))
        except actions.IdentityRefused as refused:
            messages.error(request, str(refused))
            return redirect("accounts:home")
        messages.success(request, _("You are identified at trust level %(level)s.")
                         % {"level": TrustLevel(level).label})
        return redirect(request.session.pop("step_up_next", None) or reverse("accounts:profile"))
    return render(request, "accounts/test_eid.html", {
        "level": level, "sample": testeid.SAMPLE, "labels": PROFILE_LABELS,
        "levels": testeid.TestEidProvider.levels,
    })


@login_required
@require_http_methods(["GET", "POST"])
def data_export(request: HttpRequest) -> HttpResponse:
    """Download all own data as one archive (needs the level of the strongest data)."""
    level = dataprotection.highest_level(request.user)
    if not profile.has_level(request, level):
        query = urlencode({"level": level, "next": request.get_full_path()})
        return redirect(f"{reverse('accounts:step_up')}?{query}")
    if request.method == "GET":
        return render(request, "accounts/export.html")
    response = HttpResponse(dataprotection.export_archive(request.user),
                            content_type="application/zip")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="servicekonto-{stamp}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    """Delete the account after the password is entered once more."""
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "yes" and request.user.check_password(
                request.POST.get("password", "")):
            user = request.user
            actions.end_session(request)
            dataprotection.delete_account(user)
            messages.info(request, _("Your Servicekonto and its data are deleted."))
            return _forget_copies(redirect("portal:home"))
        error = _("Please enter your password and confirm that the account shall be deleted.")
    return render(request, "accounts/delete.html", {"error": error},
                  status=400 if error else 200)


IDENTITY_ERRORS = {
    "cancelled": gettext_lazy("The identification was cancelled."),
    "level": gettext_lazy("The identification did not reach the trust level needed."),
}


def oidc_callback(request: HttpRequest, key: str) -> HttpResponse:
    """Back from an OpenID Connect identity provider."""
    provider = identity.providers.get(key)
    if provider is None or not hasattr(provider, "finish"):
        return render(request, "404.html", status=404)
    return _complete_identification(request, lambda: provider.finish(request))


def saml_metadata(request: HttpRequest, key: str) -> HttpResponse:
    provider = identity.providers.get(key)
    if provider is None or not hasattr(provider, "metadata_xml"):
        return render(request, "404.html", status=404)
    return HttpResponse(provider.metadata_xml(), content_type="application/samlmetadata+xml")


@csrf_exempt  # the IdP posts here; the response is checked by its signature, not a cookie
@require_http_methods(["GET", "POST"])
def saml_acs(request: HttpRequest, key: str) -> HttpResponse:
    """Assertion consumer: the IdP's cross-site POST carries no Lax session cookie, so the
    response is kept briefly and the browser comes back by GET with its session."""
    provider = identity.providers.get(key)
    if provider is None or not hasattr(provider, "finish_response"):
        return render(request, "404.html", status=404)
    if request.method == "POST":
        saml_response = request.POST.get("SAMLResponse", "")
        if not saml_response or len(saml_response) > 500_000:
            return render(request, "accounts/message.html", {
                "heading": _("The identification could not be confirmed. Please try again."),
                "text": ""}, status=400)
        PendingSamlResponse.objects.filter(
            created_at__lt=timezone.now() - timedelta(minutes=5)).delete()
        pending = PendingSamlResponse.objects.create(provider=key, response=saml_response)
        return redirect(f"{request.path}?{urlencode({'ref': pending.pk})}", permanent=False)
    try:
        pending = PendingSamlResponse.objects.filter(
            pk=request.GET.get("ref", ""), provider=key,
            created_at__gte=timezone.now() - timedelta(minutes=5)).first()
    except ValidationError:
        pending = None
    if pending is None:
        messages.error(request, _("The identification could not be confirmed. Please try again."))
        return redirect("accounts:login")
    saml_response = pending.response
    pending.delete()
    return _complete_identification(request,
                                    lambda: provider.finish_response(request, saml_response))


def _complete_identification(request: HttpRequest, finish) -> HttpResponse:
    """Step up with what a provider confirmed, or log in the account linked to it."""
    try:
        assertion = finish()
    except identity.IdentityError as exc:
        messages.error(request, IDENTITY_ERRORS.get(
            exc.reason, _("The identification could not be confirmed. Please try again.")))
        return redirect("accounts:home" if request.user.is_authenticated else "accounts:login")
    account = None
    if not request.user.is_authenticated:
        linked = Identity.objects.filter(provider=assertion.provider,
                                         subject=assertion.subject).select_related("user").first()
        if linked is None or not linked.user.is_active:
            messages.info(request, _("No Servicekonto is linked to this identity yet. Log in "
                                     "with your e-mail address once and identify yourself "
                                     "there; from then on the eID alone is enough."))
            return redirect("accounts:login")
        account = linked.user
    try:
        actions.identify(request, assertion, account)
    except actions.IdentityRefused as refused:
        messages.error(request, str(refused))
        return redirect("accounts:home" if request.user.is_authenticated else "accounts:login")
    messages.success(request, _("You are identified at trust level %(level)s.")
                     % {"level": TrustLevel(assertion.level).label})
    return redirect(request.session.pop("step_up_next", None) or reverse("accounts:profile"))


@require_POST
def eid_login_start(request: HttpRequest) -> HttpResponse:
    """Log in with an identity already linked to a Servicekonto (no password)."""
    provider = identity.providers.get(request.POST.get("provider", ""))
    if provider is None or (not hasattr(provider, "finish") and not hasattr(
            provider, "finish_response")):
        messages.error(request, _("This way of identification is not available."))
        return redirect("accounts:login")
    request.session["step_up_next"] = safe_next(request)
    return provider.start(request, provider.levels[0])
