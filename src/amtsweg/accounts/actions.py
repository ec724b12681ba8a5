"""State changes of the Servicekonto. Views and commands call these; none writes models."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_logged_in
from django.core import signing
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amtsweg.core.mail import send_after_commit

from . import throttle
from .models import TrustLevel, User

log = logging.getLogger(__name__)
VERIFY_SALT = "amtsweg.accounts.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600


class LoginRefused(Exception):
    pass


def _absolute(request: HttpRequest | None, path: str) -> str:
    return request.build_absolute_uri(path) if request else settings.SITE_URL + path


def register(request: HttpRequest | None, *, email: str, password: str,
             first_name: str = "", last_name: str = "") -> User | None:
    """Create an account and send the confirmation link.

    An address that already has an account gets a notice instead; the person registering sees
    the same answer either way, so registration does not reveal who has an account.
    """
    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        send_after_commit(
            email, _("Your Servicekonto"), "accounts/mail/already_registered.txt",
            {"login_url": _absolute(request, reverse("accounts:login")),
             "reset_url": _absolute(request, reverse("accounts:password_reset"))})
        return None
    user = User.objects.create_user(email, password, first_name=first_name,
                                    last_name=last_name)
    send_verification(request, user)
    return user


def send_verification(request: HttpRequest | None, user: User) -> None:
    token = signing.dumps({"id": user.pk, "email": user.email}, salt=VERIFY_SALT)
    url = _absolute(request, reverse("accounts:verify", args=[token]))
    send_after_commit(
        user.email, _("Please confirm your e-mail address"), "accounts/mail/verify.txt",
        {"user": user, "url": url, "days": VERIFY_MAX_AGE // 86400})


def confirm_email(token: str) -> User | None:
    """Mark the address as confirmed; None for a link that is broken, expired or used up."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("id"), email=data.get("email")).first()
    if user is None:
        return None
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def password_login(request: HttpRequest, *, email: str, password: str) -> User:
    """Log in with e-mail and password (trust level basis), throttled per account and IP."""
    ip = request.META.get("REMOTE_ADDR", "")
    generic = _("The e-mail address or the password is not right, or there were too many "
                "attempts. Please check your entry or try again in 15 minutes.")
    if throttle.is_blocked(email, ip):
        throttle.record_failure(email, ip)
        raise LoginRefused(generic)
    user = authenticate(request, email=email.strip().lower(), password=password)
    if user is None:
        throttle.record_failure(email, ip)
        raise LoginRefused(generic)
    if not user.email_verified:
        raise LoginRefused(_("Please confirm your e-mail address first: we sent you a link. "
                             "You can ask for a new one below."))
    throttle.reset(email)
    login(request, user)  # rotates the session key; the signal below starts the clocks
    log.info("login user=%s level=basis", user.pk)
    return user


def start_session(request: HttpRequest, level: str) -> None:
    now = int(timezone.now().timestamp())
    request.session["trust_level"] = level
    request.session["auth_at"] = now
    request.session["seen_at"] = now


@receiver(user_logged_in, dispatch_uid="amtsweg-start-session")
def _on_login(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    """Every login (password, admin, eID) starts at basis; a stronger method raises it."""
    if request is not None and hasattr(request, "session"):
        start_session(request, TrustLevel.BASIS)


def end_session(request: HttpRequest) -> None:
    """Log out: the session is deleted on the server, not only forgotten by the browser."""
    logout(request)


@transaction.atomic
def end_all_sessions(request: HttpRequest, user: User) -> None:
    """Log out everywhere: every session of the account stops being valid."""
    User.objects.filter(pk=user.pk).update(session_version=user.session_version + 1)
    logout(request)
