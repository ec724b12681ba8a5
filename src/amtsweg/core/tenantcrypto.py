"""Envelope encryption per tenant: answers and files are sealed with a data key of the
tenant (an Authority), and that data key is stored wrapped by the master key from the
environment (FIELD_ENCRYPTION_KEY). Rotating the master key re-wraps the data keys; rotating a
tenant key starts a new version for new data while old versions still decrypt old data.

Sealed blobs: b"AT1" + 4-byte key version + 12-byte nonce + AES-256-GCM ciphertext; the
context (e.g. "submission:<id>") is bound as associated data, so a blob copied to another row
does not decrypt.
"""

import base64
import json
import os
import struct
import threading
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction

from . import crypto
from .models import TenantKey

MAGIC = b"AT1"
_lock = threading.Lock()
_keys: dict[tuple[str, int], AESGCM] = {}
_current: dict[str, tuple[int, float]] = {}
CURRENT_TTL = 60.0


def tenant_of_authority(authority_id: int) -> str:
    return f"authority:{authority_id}"


def _wrap(tenant: str, version: int, key: bytes) -> tuple[str, str]:
    master = crypto._key()
    kid = crypto.key_id(master)
    nonce = os.urandom(12)
    sealed = AESGCM(master).encrypt(nonce, key, f"tenant-key:{tenant}:{version}".encode())
    return f"{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}", kid


def _unwrap(row: TenantKey) -> bytes:
    kid, _, payload = row.wrapped.partition(":")
    master = crypto.master_keys().get(kid)
    if master is None:
        raise ValueError(f"The master key {kid} of tenant key {row} is not configured.")
    raw = base64.urlsafe_b64decode(payload)
    return AESGCM(master).decrypt(raw[:12], raw[12:],
                                  f"tenant-key:{row.tenant}:{row.version}".encode())


def _create(tenant: str, version: int) -> TenantKey:
    key = AESGCM.generate_key(256)
    wrapped, kid = _wrap(tenant, version, key)
    return TenantKey.objects.create(tenant=tenant, version=version, wrapped=wrapped,
                                    master_kid=kid)


def _aead(tenant: str, version: int) -> AESGCM:
    cached = _keys.get((tenant, version))
    if cached is None:
        row = TenantKey.objects.get(tenant=tenant, version=version)
        cached = AESGCM(_unwrap(row))
        with _lock:
            _keys[(tenant, version)] = cached
    return cached


def current_version(tenant: str) -> int:
    hit = _current.get(tenant)
    if hit and hit[1] > time.monotonic():
        return hit[0]
    version = (TenantKey.objects.filter(tenant=tenant).order_by("-version")
               .values_list("version", flat=True).first())
    if version is None:
        try:
            with transaction.atomic():
                version = _create(tenant, 1).version
        except IntegrityError:
            version = TenantKey.objects.filter(tenant=tenant).order_by("-version")[0].version
    with _lock:
        _current[tenant] = (version, time.monotonic() + CURRENT_TTL)
    return version


def seal(tenant: str, data: bytes, context: str) -> bytes:
    version = current_version(tenant)
    nonce = os.urandom(12)
    return (MAGIC + struct.pack(">I", version) + nonce
            + _aead(tenant, version).encrypt(nonce, data, context.encode()))


def open_(tenant: str, blob: bytes, context: str) -> bytes:
    blob = bytes(blob)
    if not blob.startswith(MAGIC):
        raise ValueError("Unknown encryption format.")
    (version,) = struct.unpack(">I", blob[3:7])
    return _aead(tenant, version).decrypt(blob[7:19], blob[19:], context.encode())


def seal_json(tenant: str, value: object, context: str) -> bytes:
    return seal(tenant, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(),
                context)


def open_json(tenant: str, blob: bytes, context: str) -> object:
    return json.loads(open_(tenant, blob, context))


def key_version(blob: bytes) -> int:
    return struct.unpack(">I", bytes(blob)[3:7])[0]


def rotate_tenant(tenant: str) -> int:
    """Start a new data key version for new data of `tenant`."""
    with transaction.atomic():
        latest = (TenantKey.objects.select_for_update().filter(tenant=tenant)
                  .order_by("-version").first())
        row = _create(tenant, (latest.version if latest else 0) + 1)
    forget()
    return row.version


def rewrap_all() -> int:
    """Re-wrap every data key with the current master key (after changing
    FIELD_ENCRYPTION_KEY and listing the old one in FIELD_ENCRYPTION_OLD_KEYS)."""
    master_kid = crypto.key_id(crypto._key())
    count = 0
    for row in TenantKey.objects.exclude(master_kid=master_kid).iterator():
        row.wrapped, row.master_kid = _wrap(row.tenant, row.version, _unwrap(row))
        row.save(update_fields=["wrapped", "master_kid"])
        count += 1
    forget()
    return count


def forget() -> None:
    """Drop cached keys (tests, rotation)."""
    with _lock:
        _keys.clear()
        _current.clear()
