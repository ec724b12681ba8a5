"""Routes and areas in the shape of the FIT-Connect Routing API.

A route says which destination (Behörde) receives applications for a Leistung in an area.
Each route carries a compact JWS (PS512) by the platform whose payload names the area
(``urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:<ARS>``) and the Leistung
(``urn:de:fim:leika:leistung:<key>``), so a client can check that the answer is ours.
"""

import fnmatch
import threading
import time
import uuid
from collections import OrderedDict
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

from amtsweg.catalog import search as catalog_search
from amtsweg.catalog.models import Leistung
from amtsweg.core import signing
from amtsweg.core.text import fold
from amtsweg.territory import lookup
from amtsweg.territory.models import Area, Responsibility

RS_URN = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"
LEIKA_URN = "urn:de:fim:leika:leistung:"

_signatures: OrderedDict[tuple, str] = OrderedDict()
_signatures_lock = threading.Lock()
_SIGNATURE_CACHE_SIZE = 20_000


def _signature(destination_id: uuid.UUID, area_ars: list[str], leika_key: str) -> str:
    """Sign once per (destination, areas, Leistung); RSA-4096 costs milliseconds, a cache hit
    costs microseconds. The cache (Redis at scale) shares signatures across processes."""
    cache_key = (str(destination_id), tuple(area_ars), leika_key, signing.signing_key().kid)
    with _signatures_lock:
        token = _signatures.get(cache_key)
        if token:
            _signatures.move_to_end(cache_key)
            return token
    shared_key = "sig:" + ":".join([cache_key[0], *cache_key[1], leika_key, cache_key[3]])
    token = cache.get(shared_key)
    if token is None:
        token = signing.sign({
            "submissionHost": urlsplit(settings.SITE_URL).netloc,
            "iss": settings.SITE_URL,
            "services": [{"gebietIDs": [RS_URN + ars for ars in area_ars],
                          "leistungIDs": [LEIKA_URN + leika_key]}],
            "destinationId": str(destination_id),
            "iat": int(time.time()),
            "jti": str(uuid.uuid4()),
        })
        cache.set(shared_key, token, timeout=24 * 3600)
    with _signatures_lock:
        _signatures[cache_key] = token
        if len(_signatures) > _SIGNATURE_CACHE_SIZE:
            _signatures.popitem(last=False)
    return token


def _text(de: str) -> dict:
    # The catalogue is German only; English clients get the German text rather than nothing.
    return {"description": {"de": de, "en": de}}


def route_for(responsibility: Responsibility, leistung: Leistung, area: Area) -> dict:
    authority = responsibility.authority
    ars = [area.ars] if area.ars == responsibility.area.ars else [area.ars, responsibility.area.ars]
    route: dict = {
        "destinationId": str(authority.destination_id),
        "destinationSignature": _signature(authority.destination_id, ars, leistung.leika_key),
        "destinationName": authority.name,
        "destinationShortName": authority.short_name or authority.name,
        "contactPersons": authority.contact_persons or [
            {"name": authority.name, "tel": authority.phone, "email": authority.email}],
        "address": {"street": authority.street, "houseNumber": authority.house_number,
                    "zip": authority.zip, "city": authority.city},
        "privacyPolicyUrl": authority.privacy_policy_url or None,
        "imprintUrl": authority.imprint_url or None,
        "accessibilityUrl": authority.accessibility_url or None,
        "furtherInformation": _text(responsibility.further_information or leistung.description),
        "requiredDocuments": _text(responsibility.required_documents
                                   or leistung.required_documents),
        "legalBasis": _text(leistung.legal_basis),
        "processingDuration": {"minDuration": responsibility.processing_min,
                               "maxDuration": responsibility.processing_max,
                               "unit": responsibility.processing_unit},
        "origin": responsibility.origin,
    }
    return {k: v for k, v in route.items() if v is not None}


def routes(leika_key: str, area: Area | None, offset: int, limit: int) -> dict:
    found: list[dict] = []
    leistung = catalog_search.leistung(leika_key)
    if leistung is not None and area is not None:
        responsibility = lookup.resolve(leistung.pk, area.pk)
        if responsibility is not None:
            found.append(route_for(responsibility, leistung, area))
    page = found[offset:offset + limit]
    return {"count": len(page), "offset": offset, "totalCount": len(found), "routes": page}


def _matcher(expression: str):
    """A search word: a wildcard pattern ('Mag*', '*burg', '353*') or a whole word."""
    needle = fold(expression)
    if "*" in needle:
        pattern = needle
        return lambda text: fnmatch.fnmatchcase(text, pattern) or any(
            fnmatch.fnmatchcase(w, pattern) for w in text.split())
    return lambda text: text == needle or needle in text.split()


def search_areas(expressions: list[str], offset: int, limit: int) -> dict:
    """Areas whose name (or PLZ) matches every expression, ANDed as in FIT-Connect."""
    matchers = [_matcher(e) for e in expressions]
    hits = [
        area for area, full, display, codes in lookup.areas_index()
        if all(m(full) or m(display) or any(m(c) for c in codes) for m in matchers)
    ]
    order = {Area.Kind.LAND: 0, Area.Kind.REGIERUNGSBEZIRK: 1, Area.Kind.KREIS: 2,
             Area.Kind.GEMEINDE: 3}
    hits.sort(key=lambda a: (order[a.kind], a.name))
    page = hits[offset:offset + limit]
    return {"count": len(page), "offset": offset, "totalCount": len(hits),
            "areas": [{"id": str(a.pk), "name": a.display_name, "type": a.type_label}
                      for a in page]}


def area_by_param(*, ars: str | None, ags: str | None, area_id: str | None) -> Area | None:
    return lookup.area_for_code(ars=ars, ags=ags,
                                area_id=int(area_id) if area_id is not None else None)
