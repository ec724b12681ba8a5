"""Two-factor login with TOTP and single-use recovery codes.

Optional for citizens, mandatory for staff and admins (see middleware). A code is accepted
only for a time step later than the last accepted one, so an observed code cannot be replayed.
"""

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amtsweg.core import crypto

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
        "confirmed_at": timezone.now(), "last_used_step": step})
    return new_recovery_codes(user)


def has_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def verify(user: User, code: str) -> bool:
    """A TOTP code (once per time step) or an unused recovery code."""
    device = TotpDevice.objects.select_for_update().filter(
        user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    step = _matching_step(_secret(device), code)
    if step is not None:
        if step <= device.last_used_step:
            return False  # already used
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return True
    return use_recovery_code(user, code)


def _hash(code: str) -> str:
    normalized = "".join(code.split()).replace("-", "").lower()
    return hmac.new(settings.SECRET_KEY.encode(), normalized.encode(),
                    hashlib.sha256).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODES):
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
