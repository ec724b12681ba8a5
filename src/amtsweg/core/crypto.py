"""Encryption at rest for secrets kept in the database and for Postfach files (AES-256-GCM),
directly with the master key.

The key comes from FIELD_ENCRYPTION_KEY (base64, 32 bytes) or is generated once into
var/field_key (mode 0600). Former keys listed in FIELD_ENCRYPTION_OLD_KEYS (comma-separated)
still decrypt while a rotation is under way; `amtsweg rotate_keys --rewrap` re-encrypts every
registered value and file with the current key (core/reencrypt.py), after which the old key
can go (docs/security.md).

Formats (the context, e.g. "totp:<user id>", is bound as associated data):
- text ``v2:<key id>:<base64(nonce + ciphertext)>``, files ``AW2<key id><nonce><ciphertext>``,
  with the 12-character id of the master key (key_id) that encrypted them;
- written before key ids existed: text ``v1:<base64(...)>``, files ``AW1<nonce><ciphertext>``.
  These are tried with the current key first, then with each old key (GCM tells which fits).
"""

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "v2:"
LEGACY_PREFIX = "v1:"
FILE_MAGIC = b"AW2"
LEGACY_FILE_MAGIC = b"AW1"
KID_LENGTH = 12


class UnknownMasterKey(ValueError):
    """The value names a master key that is neither FIELD_ENCRYPTION_KEY nor listed in
    FIELD_ENCRYPTION_OLD_KEYS."""


def _decode(configured: str) -> bytes:
    key = base64.urlsafe_b64decode(configured)
    if len(key) != 32:
        raise ValueError("FIELD_ENCRYPTION_KEY must be 32 bytes, base64-encoded.")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"amtsweg-master:" + key).hexdigest()[:KID_LENGTH]


@cache
def master_keys() -> dict[str, bytes]:
    """Master keys by id: the current one first, then FIELD_ENCRYPTION_OLD_KEYS (comma-
    separated) that are still accepted for decrypting and unwrapping while keys are rotated."""
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


def current_key_id() -> str:
    return key_id(_key())


def _candidates(kid: str | None) -> list[bytes]:
    """The keys to try: the one named, or (legacy values) the current key, then the old ones."""
    current = _key()
    if kid is not None:
        key = current if kid == key_id(current) else master_keys().get(kid)
        if key is None:
            raise UnknownMasterKey(f"The master key {kid} is not configured "
                                   "(FIELD_ENCRYPTION_KEY or FIELD_ENCRYPTION_OLD_KEYS).")
        return [key]
    return [current] + [k for k in master_keys().values() if k != current]


def _open(keys: list[bytes], nonce: bytes, sealed: bytes, context: str) -> bytes:
    for key in keys[:-1]:
        try:
            return AESGCM(key).decrypt(nonce, sealed, context.encode())
        except InvalidTag:
            continue
    return AESGCM(keys[-1]).decrypt(nonce, sealed, context.encode())  # InvalidTag: none fits


def encrypt(plaintext: str, context: str) -> str:
    """Encrypt; `context` (e.g. 'totp:<user id>') is bound to the ciphertext."""
    key = _key()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}{key_id(key)}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, context: str) -> str:
    if token.startswith(PREFIX):
        kid, _, payload = token[len(PREFIX):].partition(":")
    elif token.startswith(LEGACY_PREFIX):
        kid, payload = None, token[len(LEGACY_PREFIX):]
    else:
        raise ValueError("Unknown encryption format.")
    raw = base64.urlsafe_b64decode(payload)
    return _open(_candidates(kid), raw[:12], raw[12:], context).decode()


def encrypt_bytes(data: bytes, context: str) -> bytes:
    key = _key()
    nonce = os.urandom(12)
    return (FILE_MAGIC + key_id(key).encode() + nonce
            + AESGCM(key).encrypt(nonce, data, context.encode()))


def decrypt_bytes(blob: bytes, context: str) -> bytes:
    if blob.startswith(FILE_MAGIC):
        head = len(FILE_MAGIC) + KID_LENGTH
        kid, blob = blob[len(FILE_MAGIC):head].decode("ascii", "replace"), blob[head:]
    elif blob.startswith(LEGACY_FILE_MAGIC):
        kid, blob = None, blob[len(LEGACY_FILE_MAGIC):]
    else:
        raise ValueError("Unknown encryption format.")
    return _open(_candidates(kid), blob[:12], blob[12:], context)


def is_current(value: str | bytes) -> bool:
    """Whether a token or file (its first bytes suffice) is encrypted with the current key."""
    kid = current_key_id()
    if isinstance(value, str):
        return value.startswith(f"{PREFIX}{kid}:")
    return bytes(value).startswith(FILE_MAGIC + kid.encode())


def reencrypt(token: str, context: str) -> str:
    """The same value encrypted with the current key (old keys are tried to open it)."""
    return encrypt(decrypt(token, context), context)


def reencrypt_bytes(blob: bytes, context: str) -> bytes:
    return encrypt_bytes(decrypt_bytes(blob, context), context)


# What is encrypted directly with the master key, for `rotate_keys --rewrap`. Each app that
# calls encrypt()/encrypt_bytes() registers its columns here (tests/core/test_rotation.py
# fails for a call site outside the known modules).


@dataclass(frozen=True)
class Encrypted:
    """Columns of `model` ("app_label.ModelName") holding encrypt() tokens (blank: nothing
    stored), or with `files=True` one column holding the default storage name of an
    encrypt_bytes() file. `context(row, column)` gives the associated data."""

    model: str
    columns: tuple[str, ...]
    context: Callable[[Any, str], str]
    files: bool = False


_registry: dict[str, Encrypted] = {}


def register(entry: Encrypted) -> None:
    if entry.files and len(entry.columns) != 1:
        raise ValueError("A file entry has exactly one column (the storage name).")
    _registry[entry.model] = entry


def registered() -> list[Encrypted]:
    return [_registry[label] for label in sorted(_registry)]
