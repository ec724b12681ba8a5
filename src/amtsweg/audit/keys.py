"""The audit key: what makes the audit chain unforgeable for someone who can write to the
database but cannot read the servers' configuration.

A plain SHA-256 chain can be recomputed by anyone who rewrites it. Each entry is therefore
MACed with HMAC-SHA256 under a key that is not in the database: ``AUDIT_KEY`` (base64 of 32
bytes, the same on all nodes), or in the embedded default a key generated once into
``var/audit_key`` (mode 0600).

It is deliberately not derived from the master key (FIELD_ENCRYPTION_KEY): a master key is
rotated and its old value eventually destroyed, while the audit log is kept without time
limit and must stay verifiable. Entries record the id of the key that MACed them, so the
audit key can be rotated on its own: set a new AUDIT_KEY and list the former ones in
AUDIT_OLD_KEYS (newest first, kept for as long as the log: they only verify, never sign).
"""

import base64
import hashlib
import hmac
import os
import secrets
from functools import cache

from django.conf import settings

KID_LENGTH = 12


class UnknownAuditKey(LookupError):
    """An entry names an audit key that is neither AUDIT_KEY nor in AUDIT_OLD_KEYS."""


def _decode(value: str, name: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(value.strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(f"{name} must be 32 bytes, base64-encoded.")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"amtsweg-audit:" + key).hexdigest()[:KID_LENGTH]


def _generated() -> bytes:
    path = settings.VAR_DIR / "audit_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process was first
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return _decode(path.read_text(), str(path))


@cache
def _keys(configured: str, old: tuple[str, ...], var_dir: str) -> dict[str, bytes]:
    current = _decode(configured, "AUDIT_KEY") if configured else _generated()
    keys = {key_id(current): current}
    for value in old:
        key = _decode(value, "AUDIT_OLD_KEYS")
        keys.setdefault(key_id(key), key)
    return keys


def keys() -> dict[str, bytes]:
    """Audit keys by id, the current one first, then AUDIT_OLD_KEYS in their order."""
    old = getattr(settings, "AUDIT_OLD_KEYS", ())
    if isinstance(old, str):
        old = old.split(",")
    return _keys(getattr(settings, "AUDIT_KEY", "") or "",
                 tuple(v.strip() for v in old if v.strip()), str(settings.VAR_DIR))


def current_id() -> str:
    return next(iter(keys()))


def rank(kid: str) -> int:
    """0 for the current key, 1, 2, … for older ones; the chain may only move to newer keys."""
    order = list(keys())
    if kid not in order:
        raise UnknownAuditKey(f"The audit key {kid} is not configured "
                              "(AUDIT_KEY or AUDIT_OLD_KEYS).")
    return order.index(kid)


@cache
def _derived(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, purpose, hashlib.sha256).digest()


def mac(kid: str, purpose: bytes, payload: bytes) -> str:
    """Hex HMAC-SHA256 of `payload` under the key `kid`, separated by purpose (chain entries,
    exported heads) so that a MAC made for one can never pass as the other."""
    found = keys().get(kid)
    if found is None:
        raise UnknownAuditKey(f"The audit key {kid} is not configured "
                              "(AUDIT_KEY or AUDIT_OLD_KEYS).")
    return hmac.digest(_derived(found, purpose), payload, "sha256").hex()  # the fast C path
