"""The platform's signing key (RSA 4096, PS512) and compact JWS signatures.

The private key lives in a JWK file under var/ (or SIGNING_KEY_FILE), created on first run with
mode 0600; the public part is served at /.well-known/jwks.json.
"""

import json
import os
import threading
from functools import cache

from django.conf import settings
from joserfc import jws
from joserfc.jwk import KeySet, RSAKey

ALG = "PS512"
REGISTRY = jws.JWSRegistry(algorithms=[ALG])
_lock = threading.Lock()


def ensure_key() -> RSAKey:
    """Load the signing key, creating it if there is none yet."""
    path = settings.SIGNING_KEY_FILE
    with _lock:
        if not path.exists():
            key = RSAKey.generate_key(4096, private=True, parameters={"use": "sig", "alg": ALG})
            key.ensure_kid()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(key.as_dict(private=True), fh)
    return signing_key()


@cache
def signing_key() -> RSAKey:
    path = settings.SIGNING_KEY_FILE
    if not path.exists():
        ensure_key()
    return RSAKey.import_key(json.loads(path.read_text()))


def public_jwks() -> dict:
    key = signing_key()
    public = key.as_dict(private=False)
    public.setdefault("key_ops", ["verify"])
    return {"keys": [public]}


def sign(payload: dict) -> str:
    key = signing_key()
    header = {"alg": ALG, "kid": key.kid, "typ": "jwt"}
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return jws.serialize_compact(header, data, key, registry=REGISTRY)


def verify(token: str, jwks: dict) -> dict:
    """Verify a compact JWS against a JWKS (as a client would) and return its payload."""
    keyset = KeySet.import_key_set(jwks)
    obj = jws.deserialize_compact(token, keyset, registry=REGISTRY)
    return json.loads(obj.payload)
