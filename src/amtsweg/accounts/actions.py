"""State changes of the Servicekonto. Views and commands call these; none writes models."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import make_password
from django.contrib.auth.signals import user_logged_in
from django.core import signing
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from amtsweg.audit import actions as audit
from amtsweg.core.mail import send_after_commit

from . import binding, profile, tasks, throttle, twofactor
from .backends import BACKEND
from .identity import ATTRIBUTES, Assertion
from .models import Consent, Identity, ProfileAttribute, StaffRole, TrustLevel, User

log = logging.getLogger(__name__)
VERIFY_SALT = "amtsweg.accounts.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600


class LoginRefused(Exception):
    pass


class SecondFactorNeeded(Exception):
    """The password was right; the person must now enter a code from their app."""


class IdentityRefused(Exception):
    """An identification that does not belong to the account (a sentence); nothing changed
    but the audit entry."""


PENDING_SECONDS = 300
SECOND_FACTOR_ATTEMPTS = 5


def _absolute(request: HttpRequest | None, path: str) -> str:
    return request.build_absolute_uri(path) if request else settings.SITE_URL + path


@transaction.atomic
def register(request: HttpRequest | None, *, email: str, password: str,
             first_name: str = "", last_name: str = "") -> User | None:
    """Create an account and send the confirmation link.

    An address that already has an account gets a notice instead; the person registering sees
    the same answer either way, so registration does not reveal who has an account. Both ways
    cost the same (issue 11, finding 5): the password is hashed on both (the hash is most of
    the time), and both enqueue one mail for the worker instead of sending it.
    """
    email = User.objects.normalize_email(email).lower()
    hashed = make_password(password)
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        send_after_commit(
            email, _("Your Servicekonto"), "accounts/mail/already_registered.txt",
            {"login_url": _absolute(request, reverse("accounts:login")),
             "reset_url": _absolute(request, reverse("accounts:password_reset"))})
        return None
    user = User.objects.create(email=email, password=hashed, first_name=first_name,
                               last_name=last_name)
    Consent.objects.create(user=user, kind=Consent.Kind.PRIVACY)
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
    """Log in with e-mail and password (trust level basis), throttled per account and client
    (or known device), per account across clients, and per client (accounts/throttle.py)."""
    attempt = throttle.attempt(request, email)
    generic = _("The e-mail address or the password is not right, or there were too many "
                "attempts. Please check your entry or try again in 15 minutes.")
    if throttle.is_blocked(attempt):
        throttle.record_blocked(attempt)
        raise LoginRefused(generic)
    user = authenticate(request, email=attempt.email, password=password)
    if user is None:
        _count_failure(request, attempt)
        raise LoginRefused(generic)
    if not user.email_verified:
        raise LoginRefused(_("Please confirm your e-mail address first: we sent you a link. "
                             "You can ask for a new one below."))
    throttle.succeeded(attempt)
    if twofactor.has_device(user):
        request.session.cycle_key()
        request.session["2fa_user"] = user.pk
        request.session["2fa_at"] = int(timezone.now().timestamp())
        request.session["2fa_tries"] = 0
        raise SecondFactorNeeded()
    login(request, user)  # rotates the session key; the signal below starts the clocks
    log.info("login user=%s level=basis factors=1", user.pk)
    return user


def _count_failure(request: HttpRequest, attempt: "throttle.Attempt") -> None:
    """Count a wrong password; when it locks (this client or device, or every unknown device)
    the holder is told once per lock what happened and how to get back in.

    The notice is queued for known and unknown addresses alike (accounts/tasks.py looks the
    account up in the worker), so the person typing sees the same answer in the same time."""
    kind = throttle.record_failure(attempt)
    if kind is None or not throttle.first_mail_of_lock(attempt.email, kind):
        return
    reset_url = _absolute(request, reverse("accounts:password_reset"))
    everywhere = kind == throttle.ACCOUNT_LOCK
    language = get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: tasks.tell_login_locked.enqueue(attempt.email, everywhere,
                                                                  reset_url, language))


def code_refusal(verdict: twofactor.Verdict) -> str:
    """The sentence for a refused code: wrong, or the second factor is locked for now."""
    if verdict.locked_until is not None:
        until = formats.date_format(timezone.localtime(verdict.locked_until), "j.n.Y H:i")
        return _("Too many wrong codes: the login with two factors of this account is locked "
                 "until %(until)s. Please try again after that time.") % {"until": until}
    return _("The code is not right or was already used. Enter the current code from your "
             "app or one of your recovery codes.")


def pending_second_factor(request: HttpRequest) -> User | None:
    """The account whose password was just right, if the code is still awaited."""
    pk, at = request.session.get("2fa_user"), request.session.get("2fa_at", 0)
    if pk is None or timezone.now().timestamp() - at > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def second_factor_login(request: HttpRequest, code: str) -> User:
    """Finish the login with a TOTP or recovery code; too many wrong codes start it over."""
    user = pending_second_factor(request)
    if user is None:
        raise LoginRefused(_("Please log in again: the time for the code has run out."))
    request.session["2fa_tries"] = request.session.get("2fa_tries", 0) + 1
    if request.session["2fa_tries"] > SECOND_FACTOR_ATTEMPTS:
        for key in ("2fa_user", "2fa_at", "2fa_tries"):
            request.session.pop(key, None)
        raise LoginRefused(_("Too many wrong codes. Please log in again."))
    verdict = twofactor.verify(user, code)
    if not verdict:
        raise LoginRefused(code_refusal(verdict))
    for key in ("2fa_user", "2fa_at", "2fa_tries"):
        request.session.pop(key, None)
    login(request, user, backend=BACKEND)
    request.session["mfa"] = True
    log.info("login user=%s level=basis factors=2", user.pk)
    return user


def _looks_like_code(text: str) -> bool:
    """A TOTP code (6 digits) or a recovery code (10 hex digits); passwords are longer."""
    compact = "".join(text.split()).replace("-", "")
    return (len(compact) == 6 and compact.isdecimal()) or (
        len(compact) == 10 and all(c in "0123456789abcdefABCDEF" for c in compact))


def reauthenticate(request: HttpRequest, user: User, proof: str) -> str | None:
    """Check the password or a current second-factor code again before the second factor
    changes; None when right, else the sentence to show. Wrong passwords count towards the
    login limit, wrong codes towards the second-factor lock."""
    if _looks_like_code(proof) and twofactor.has_device(user):
        verdict = twofactor.verify(user, proof)
        return None if verdict else code_refusal(verdict)
    refusal = _("The password or the code is not right, or there were too many attempts. "
                "Please try again, later if need be.")
    attempt = throttle.attempt(request, user.email)
    if throttle.is_blocked(attempt):
        throttle.record_blocked(attempt)
        return refusal
    if not user.check_password(proof):
        _count_failure(request, attempt)
        return refusal
    return None


RECENT_LOGIN_SECONDS = 600


def recently_logged_in(request: HttpRequest) -> bool:
    """A login (password, two factors or eID) within the last ten minutes counts as recent
    authentication for setting up the first authenticator app."""
    at = request.session.get("auth_at")
    return isinstance(at, int) and 0 <= timezone.now().timestamp() - at <= RECENT_LOGIN_SECONDS


def _second_factor_changed(user: User, action: str, subject: str, template: str) -> None:
    audit.record(tenant=audit.PLATFORM, actor=audit.actor_of(user), action=action,
                 object_type="accounts.user", object_id=user.pk)
    twofactor.notify_holder(user, subject, template, {})


@transaction.atomic
def enable_second_factor(request: HttpRequest, user: User, secret: str,
                         code: str) -> list[str] | None:
    """Save the authenticator app (the caller re-authenticated the person); the current
    session counts as two-factor from now on. The holder is told by mail."""
    replacing = twofactor.has_device(user)
    codes = twofactor.confirm_device(user, secret, code)
    if codes is None:
        return None
    request.session["mfa"] = True
    if replacing:
        _second_factor_changed(user, "accounts.second_factor_replaced",
                               _("A new authenticator app for your Servicekonto"),
                               "accounts/mail/second_factor_replaced.txt")
    else:
        _second_factor_changed(user, "accounts.second_factor_enabled",
                               _("Two-factor login for your Servicekonto is on"),
                               "accounts/mail/second_factor_enabled.txt")
    return codes


@transaction.atomic
def disable_second_factor(request: HttpRequest, user: User) -> bool:
    """Switch two factors off (the caller re-authenticated the person); never for staff."""
    if user.is_staff or not twofactor.has_device(user):
        return False
    twofactor.remove_device(user)
    request.session["mfa"] = False
    _second_factor_changed(user, "accounts.second_factor_disabled",
                           _("Two-factor login for your Servicekonto is off"),
                           "accounts/mail/second_factor_disabled.txt")
    return True


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


def _staff_audit(actor: User | None, action: str, role: StaffRole, **data) -> None:
    from amtsweg.audit import actions as audit
    from amtsweg.core import tenantcrypto

    audit.record(tenant=tenantcrypto.tenant_of_authority(role.authority_id),
                 actor=audit.actor_of(actor), action=action, object_type="accounts.staffrole",
                 object_id=role.pk,
                 data={"user": role.user_id, "authority": role.authority_id,
                       "role": role.role, **data})


@transaction.atomic
def grant_staff_role(user: User, authority, role: str, *, actor: User | None = None,
                     invited: bool = False) -> StaffRole:
    """Give `user` a staff role at `authority`. Staff must use two factors (middleware).
    Audited when the role is new (`actor` None: the command line or demo data)."""
    if role not in StaffRole.Role.values:
        raise ValueError(f"Unknown staff role {role!r}")
    granted, created = StaffRole.objects.get_or_create(user=user, authority=authority,
                                                       role=role)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if created:
        _staff_audit(actor, "staff.role_granted", granted, invited=invited)
    return granted


@transaction.atomic
def revoke_staff_role(user: User, authority, role: str, *, actor: User | None = None) -> None:
    for held in StaffRole.objects.select_for_update().filter(user=user, authority=authority,
                                                             role=role):
        _staff_audit(actor, "staff.role_revoked", held)
        held.delete()
    if not user.is_superuser and not user.staff_roles.exists():
        user.is_staff = False
        user.save(update_fields=["is_staff"])


REFUSALS = {
    binding.Outcome.OTHER_ACCOUNT: gettext_lazy(
        "This identity is already linked to another Servicekonto."),
    binding.Outcome.OTHER_PERSON: gettext_lazy(
        "This eID does not belong to the person who confirmed this Servicekonto. Your "
        "confirmed data and your Postfach stay as they were. If this is your Servicekonto "
        "and your name has changed, please contact the office named in the legal notice "
        "(Impressum)."),
    binding.Outcome.UNCONFIRMED: gettext_lazy(
        "We cannot tell whether this eID belongs to the person who confirmed this "
        "Servicekonto, because the identity provider did not send name and date of birth. "
        "Please identify yourself the way you did the first time, or contact the office "
        "named in the legal notice (Impressum)."),
}


IDENTITY_EVENTS = {binding.Outcome.BIND: "identity.bound", binding.Outcome.LINK: "identity.linked"}


def _identity_audit(request: HttpRequest, user: User, action: str, assertion: Assertion,
                    **data) -> None:
    from amtsweg.audit import actions as audit

    audit.record(tenant=audit.PLATFORM, actor=audit.actor_of(request.user), action=action,
                 object_type="accounts.user", object_id=user.pk,
                 data={"provider": assertion.provider, "level": assertion.level, **data})


def identify(request: HttpRequest, assertion: Assertion, account: User | None = None) -> User:
    """Accept what an identity provider confirmed, for the logged-in account (step-up) or for
    `account`, the one linked to the identity (login with the eID alone).

    The only way an identification reaches an account: binding.judge decides whether it is
    the account's person; if so the identity is linked, its data stored as confirmed and the
    session raised, else IdentityRefused is raised after an audit entry (and a mail to the
    holder) were committed, and profile, links and session level stay as they were.
    """
    target = account or request.user
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=target.pk)
        verdict = binding.judge(user, assertion)
        if not verdict.accepted:
            _identity_audit(request, user, "identity.refused", assertion,
                            reason=verdict.outcome, differing=list(verdict.differing))
            if verdict.outcome != binding.Outcome.OTHER_ACCOUNT:
                send_after_commit(user.email, _("Your Servicekonto: identification refused"),
                                  "accounts/mail/identity_refused.txt",
                                  {"login_url": _absolute(request, reverse("accounts:login"))})
        else:
            if account is not None:
                login(request, user, backend=BACKEND)
                request.session["mfa"] = True  # an eID is two factors: card and PIN
            _apply(request, user, assertion)
            if verdict.outcome != binding.Outcome.SAME:
                _identity_audit(request, user, IDENTITY_EVENTS[verdict.outcome], assertion)
            if verdict.outcome == binding.Outcome.LINK:  # a namesake would be noticed here
                send_after_commit(user.email, _("Your Servicekonto: a further eID was linked"),
                                  "accounts/mail/identity_linked.txt",
                                  {"provider": assertion.provider,
                                   "login_url": _absolute(request, reverse("accounts:login"))})
    if not verdict.accepted:
        log.warning("identification refused user=%s provider=%s reason=%s", user.pk,
                    assertion.provider, verdict.outcome)
        raise IdentityRefused(str(REFUSALS[verdict.outcome]))
    return user


def _apply(request: HttpRequest, user: User, assertion: Assertion) -> None:
    """Link the identity, take over its confirmed data, raise the session's level."""
    Identity.objects.update_or_create(
        provider=assertion.provider, subject=assertion.subject,
        defaults={"user": user, "level": assertion.level})
    current = profile.attributes(user)
    for name, value in assertion.attributes.items():
        if name not in ATTRIBUTES or not value:
            continue
        level = assertion.level
        old = current.get(name)
        if (old is not None and old.source == ProfileAttribute.Source.EID and old.value == value
                and TrustLevel.rank(old.level) > TrustLevel.rank(level)):
            level = old.level  # the same value confirmed more strongly before stays so
        profile.store(user, name, value, source=ProfileAttribute.Source.EID,
                      provider=assertion.provider, level=level)
    request.session.cycle_key()  # a new level is a new login: new session id
    start_session(request, assertion.level)


def _ticket(reference: str) -> str:
    """A support ticket reference for the audit log: letters, digits and -_/#. only, so that
    no free text (which could hold personal data) reaches the log."""
    return "".join(c for c in reference if c.isascii() and (c.isalnum() or c in "-_/#."))[:40]


@transaction.atomic
def release_identity(user: User, *, actor: str = "system", ticket: str = "") -> dict[str, int]:
    """Undo the binding of an account to a person, after support checked who holds it.

    For an account bound to the wrong person (somebody else identified first): the linked
    identities and every eID-confirmed attribute go, every session ends, and the next
    identification binds the account anew. Postfach messages stay in the account.
    """
    from amtsweg.audit import actions as audit

    user = User.objects.select_for_update().get(pk=user.pk)
    counts = {
        "identities": Identity.objects.filter(user=user).delete()[0],
        "attributes": ProfileAttribute.objects.filter(
            user=user, source=ProfileAttribute.Source.EID).delete()[0],
    }
    User.objects.filter(pk=user.pk).update(session_version=user.session_version + 1)
    audit.record(tenant=audit.PLATFORM, actor=actor, action="identity.released",
                 object_type="accounts.user", object_id=user.pk,
                 data={**counts, "ticket": _ticket(ticket)})
    send_after_commit(user.email, _("Your Servicekonto: identification reset"),
                      "accounts/mail/identity_released.txt",
                      {"login_url": _absolute(None, reverse("accounts:login"))})
    return counts
