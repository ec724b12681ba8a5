"""Encryption at rest for secrets kept in the database (AES-256-GCM).

The key comes from FIELD_ENCRYPTION_KEY (base64, 32 bytes) or is generated once into
var/field_key (mode 0600). Values carry a version prefix so that the key can be rotated.
"""

import base64
import hashlib
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "v1:"


def _decode(configured: str) -> bytes:
    key = base64.urlsafe_b64decode(configured)
    if len(key) != 32:
        raise ValueError("FIELD_ENCRYPTION_KEY must be 32 bytes, base64-encoded.")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"amtsweg-master:" + key).hexdigest()[:12]


@cache
def master_keys() -> dict[str, bytes]:
    """Master keys by id: the current one first, then FIELD_ENCRYPTION_OLD_KEYS (comma-
    separated) that are still accepted for unwrapping while keys are rotated."""
    keys = {key_id(k): k for k in [_key()]}
    for old in filter(None, os.environ.get("FIELD_ENCRYPTION_OLD_KEYS", "").split(",")):
        keys.setdefault(key_id(_decode(old.strip())), _decode(old.strip()))
    return keys


@cache
def _key() -> bytes:
    if configured := os.environ.get("FIELD_ENCRYPTION_KEY"):
        key = base64.urlsafe_b64decode(configured)
    else:
        path = settings.VAR_DIR / "field_key"
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode())
        key = base64.urlsafe_b64decode(path.read_text().strip())
    if len(key) != 32:
        raise ValueError("FIELD_ENCRYPTION_KEY must be 32 bytes, base64-encoded.")
    return key


def encrypt(plaintext: str, context: str) -> str:
    """Encrypt; `context` (e.g. 'totp:<user id>') is bound to the ciphertext."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, plaintext.encode(), context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str, context: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("Unknown encryption format.")
    raw = base64.urlsafe_b64decode(token[len(PREFIX):])
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], context.encode()).decode()


def encrypt_bytes(data: bytes, context: str) -> bytes:
    nonce = os.urandom(12)
    return b"AW1" + nonce + AESGCM(_key()).encrypt(nonce, data, context.encode())


def decrypt_bytes(blob: bytes, context: str) -> bytes:
    if not blob.startswith(b"AW1"):
        raise ValueError("Unknown encryption format.")
    return AESGCM(_key()).decrypt(blob[3:15], blob[15:], context.encode())
