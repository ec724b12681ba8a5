"""Routes and areas in the shape of the FIT-Connect Routing API.

A route says which destination (Behörde) receives applications for a Leistung in an area.
Each route carries the destination's signature (see destinations.py), so a client can check
that the answer is ours and that the destination serves the Leistung in the area.
"""

import fnmatch
import re

from amtsweg.catalog import search as catalog_search
from amtsweg.catalog.models import Leistung
from amtsweg.core.text import fold
from amtsweg.territory import lookup
from amtsweg.territory.models import Area, Responsibility

from .destinations import destination_signature


def _text(de: str) -> dict:
    # The catalogue is German only; English clients get the German text rather than nothing.
    return {"description": {"de": de, "en": de}}


def route_for(responsibility: Responsibility, leistung: Leistung, area: Area) -> dict:
    authority = responsibility.authority
    route: dict = {
        "destinationId": str(authority.destination_id),
        "destinationSignature": destination_signature(authority),
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
        return re.compile(fnmatch.translate(needle)).match
    return needle.__eq__


def search_areas(expressions: list[str], offset: int, limit: int) -> dict:
    """Areas whose name, a word of it, or a PLZ matches every expression (ANDed, as in
    FIT-Connect)."""
    matchers = [_matcher(e) for e in expressions]
    hits = [area for area, texts in lookup.areas_index()
            if all(any(m(t) for t in texts) for m in matchers)]
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
