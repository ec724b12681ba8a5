"""Signed destinations: one compact JWS (PS512) per Behörde, naming what it serves.

As in FIT-Connect, the payload lists the destination's services: the areas (its
responsibility areas and every area below them, as
``urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:<ARS>``) and the Leistungen
(``urn:de:fim:leika:leistung:<key>``). RSA-4096 signing costs milliseconds, so signatures
are stored and made ahead by the task worker after every change of the territory; a route
whose signature is missing or stale is signed on first use.
"""

import threading
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from amtsweg.core import signing
from amtsweg.territory import lookup
from amtsweg.territory.models import Authority, DestinationSignature, Responsibility

RS_URN = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"
LEIKA_URN = "urn:de:fim:leika:leistung:"

_local: dict[int, tuple[int, str, str]] = {}  # authority id → (version, kid, token)
_local_lock = threading.Lock()


def forget() -> None:
    """Drop this process's copies (for tests, whose transactions roll back)."""
    with _local_lock:
        _local.clear()


def services(authority: Authority) -> list[dict]:
    """One entry per responsibility area: the areas it covers and the Leistungen."""
    by_area: dict[int, list[str]] = {}
    for area_id, key in Responsibility.objects.filter(authority=authority).values_list(
            "area_id", "leistung__leika_key").order_by("leistung__leika_key"):
        by_area.setdefault(area_id, []).append(key)
    return [
        {"gebietIDs": sorted(RS_URN + a.ars for a in lookup.covered_areas(area_id)),
         "leistungIDs": [LEIKA_URN + key for key in keys]}
        for area_id, keys in sorted(by_area.items())
    ]


def sign_destination(authority: Authority, version: int) -> str:
    """Sign what the authority serves now and store it for this territory version."""
    key = signing.signing_key()
    token = signing.sign({
        "submissionHost": urlsplit(settings.SITE_URL).netloc,
        "iss": settings.SITE_URL,
        "services": services(authority),
        "destinationId": str(authority.destination_id),
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
    })
    try:
        with transaction.atomic():
            DestinationSignature.objects.update_or_create(
                authority=authority,
                defaults={"version": version, "kid": key.kid, "token": token})
    except IntegrityError:  # another process stored one at the same moment; both are valid
        pass
    with _local_lock:
        _local[authority.pk] = (version, key.kid, token)
    return token


def destination_signature(authority: Authority) -> str:
    version = lookup.version()
    kid = signing.signing_key().kid
    cached = _local.get(authority.pk)
    if cached and cached[0] == version and cached[1] == kid:
        return cached[2]
    stored = DestinationSignature.objects.filter(
        authority=authority, version=version, kid=kid).values_list("token", flat=True).first()
    if stored:
        with _local_lock:
            _local[authority.pk] = (version, kid, stored)
        return stored
    return sign_destination(authority, version)


def sign_stale_destinations() -> int:
    """Sign every destination whose signature is missing or older than the territory."""
    version = lookup.version()
    kid = signing.signing_key().kid
    fresh = set(DestinationSignature.objects.filter(version=version, kid=kid)
                .values_list("authority_id", flat=True))
    count = 0
    for authority in Authority.objects.filter(responsibilities__isnull=False).distinct():
        if authority.pk not in fresh:
            sign_destination(authority, version)
            count += 1
    return count
