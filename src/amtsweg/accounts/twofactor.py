"""Two-factor login with TOTP and single-use recovery codes.

Optional for citizens, mandatory for staff and admins (see middleware). A code is accepted
only for a time step later than the last accepted one, so an observed code cannot be replayed.

Every code check goes through :func:`verify`, which counts wrong codes per account across
logins and sessions and locks the second factor with growing pauses (issue 11, finding 4):
a new password login does not give new tries. tests/accounts/test_twofactor_lock.py fails
when code outside this module checks codes itself.
"""

import hashlib
import hmac
import io
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amtsweg.audit import actions as audit
from amtsweg.core import crypto
from amtsweg.core.mail import send_after_commit

from .models import RecoveryCode, TotpDevice, User

ISSUER = "Amtsweg"
STEP = 30
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32(length=32)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=user.email,
                                                              issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG (no script, no style: fits the CSP)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True,
                                    title="QR-Code", nl=False, border=2)
    return buffer.getvalue().decode()


def _matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    code = "".join(code.split())
    if not (code.isdecimal() and len(code) == 6):
        return None
    now = int((at if at is not None else time.time()) // STEP)
    totp = pyotp.TOTP(secret, interval=STEP)
    for step in (now - 1, now, now + 1):  # one step of clock drift either way
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _secret(device: TotpDevice) -> str:
    return crypto.decrypt(device.secret_encrypted, device.context())


@transaction.atomic
def confirm_device(user: User, secret: str, code: str) -> list[str] | None:
    """Save the app once the person proved it works; returns fresh recovery codes."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    TotpDevice.objects.update_or_create(user=user, defaults={
        "secret_encrypted": crypto.encrypt(secret, TotpDevice(user=user).context()),
        "confirmed_at": timezone.now(), "last_used_step": step, "failed_attempts": 0,
        "locked_until": None})
    return new_recovery_codes(user)


def has_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@dataclass(frozen=True)
class Verdict:
    """The outcome of a code check; true when the code was right."""

    ok: bool
    locked_until: datetime | None = None

    def __bool__(self) -> bool:
        return self.ok


def lock_seconds(failures: int) -> int:
    """The pause after `failures` wrong codes: none until the limit, then doubling."""
    after = settings.SECOND_FACTOR_LOCK_AFTER
    if failures < after or failures % after:
        return 0
    doublings = failures // after - 1
    return min(settings.SECOND_FACTOR_LOCK_SECONDS * 2 ** min(doublings, 32),
               settings.SECOND_FACTOR_LOCK_MAX_SECONDS)


def locked_until(user: User) -> datetime | None:
    until = (TotpDevice.objects.filter(user=user, confirmed_at__isnull=False)
             .values_list("locked_until", flat=True).first())
    return until if until is not None and until > timezone.now() else None


@transaction.atomic
def verify(user: User, code: str) -> Verdict:
    """A TOTP code (once per time step) or an unused recovery code, unless the second factor
    is locked; a wrong code counts towards the next lock."""
    device = TotpDevice.objects.select_for_update().filter(
        user=user, confirmed_at__isnull=False).first()
    if device is None:
        return Verdict(False)
    now = timezone.now()
    if device.locked_until is not None and device.locked_until > now:
        return Verdict(False, device.locked_until)  # not even checked: no oracle while locked
    step = _matching_step(_secret(device), code)
    if step is not None and step > device.last_used_step:
        device.last_used_step = step
        ok = True
    else:  # a wrong code, or one already used
        ok = step is None and use_recovery_code(user, code)
    if ok:
        device.failed_attempts, device.locked_until = 0, None
        device.save(update_fields=["last_used_step", "failed_attempts", "locked_until"])
        return Verdict(True)
    device.failed_attempts += 1
    pause = lock_seconds(device.failed_attempts)
    if pause:
        device.locked_until = now + timedelta(seconds=pause)
        _locked(user, device, pause)
    device.save(update_fields=["failed_attempts", "locked_until"])
    return Verdict(False, device.locked_until if pause else None)


def _locked(user: User, device: TotpDevice, pause: int) -> None:
    audit.record(tenant=audit.PLATFORM, actor="system", action="accounts.second_factor_locked",
                 object_type="accounts.user", object_id=user.pk,
                 data={"failures": device.failed_attempts, "seconds": pause})
    notify_holder(user, _("Wrong codes at the login to your Servicekonto"),
                   "accounts/mail/second_factor_locked.txt",
                   {"until": timezone.localtime(device.locked_until),
                    "failures": device.failed_attempts})


def notify_holder(user: User, subject: str, template: str, context: dict) -> None:
    """Tell the account's own address what happened to its login, and what to do if it was
    not the holder (no address, place or device of whoever did it)."""
    send_after_commit(user.email, subject, template, {
        **context, "user": user,
        "reset_url": settings.SITE_URL + reverse("accounts:password_reset")})


def _hash(code: str) -> str:
    normalized = "".join(code.split()).replace("-", "").lower()
    return hmac.new(settings.SECRET_KEY.encode(), normalized.encode(),
                    hashlib.sha256).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_hash(c)) for c in codes])
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    updated = RecoveryCode.objects.filter(user=user, code_hash=_hash(code),
                                          used_at__isnull=True).update(used_at=timezone.now())
    return updated == 1


def remove_device(user: User) -> None:
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
