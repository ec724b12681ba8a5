"""Routes and areas in the shape of the FIT-Connect Routing API.

A route says which destination (Behörde) receives applications for a Leistung in an area.
Each route carries the destination's signature (see destinations.py), so a client can check
that the answer is ours and that the destination serves the Leistung in the area.
"""

from collections.abc import Callable
from itertools import pairwise

from django.utils.translation import gettext as _

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


MAX_EXPRESSION = 100


def expression_problem(expression: str) -> str | None:
    """Why an areaSearchexpression cannot be used, as a sentence; None if it can."""
    if not expression:
        return _("An areaSearchexpression must not be empty.")
    if len(expression) > MAX_EXPRESSION:
        return _("An areaSearchexpression may have at most %(n)d characters.") % {
            "n": MAX_EXPRESSION}
    if expression.startswith("**") or expression.endswith("**"):
        return _("An areaSearchexpression may start and end with at most one '*' wildcard.")
    if valid_expression(expression):
        return None
    return _("Each areaSearchexpression needs at least two characters besides '*' wildcards "
             "at its start or end.")


def valid_expression(expression: str) -> bool:
    """Whether an areaSearchexpression has, besides its '*' wildcards, pieces of at least two
    characters: one '*' at the start or end, at most two between pieces.

    Parsed by hand and length first: the former check, the regex `^(\\*?([^*]{2,})\\*?)+$`,
    tried every way of cutting a long word into pieces before failing on a trailing '**'
    ("a" * 36 + "***" took 5.6 s, each 1.5 more characters twice as long).
    """
    if not 0 < len(expression) <= MAX_EXPRESSION:
        return False
    pieces = expression.split("*")
    filled = [i for i, piece in enumerate(pieces) if piece]
    return (bool(filled) and all(len(pieces[i]) >= 2 for i in filled)
            and filled[0] <= 1 and len(pieces) - 1 - filled[-1] <= 1
            and all(b - a <= 2 for a, b in pairwise(filled)))


def _matcher(expression: str) -> Callable[[str], bool]:
    """A search word: a wildcard pattern ('Mag*', '*burg', '353*') or a whole word.

    '*' is the only wildcard (as in FIT-Connect); other characters, '?' and '[' included,
    stand for themselves. Matched with string searches, not a regex: each piece is found
    left to right, which is exact for '*' alone and linear in the text.
    """
    needle = fold(expression)
    if "*" not in needle:
        return needle.__eq__
    first, *middle, last = needle.split("*")

    def matches(text: str) -> bool:
        end = len(text) - len(last)
        if end < len(first) or not text.startswith(first) or not text.endswith(last):
            return False
        at = len(first)
        for piece in middle:
            found = text.find(piece, at, end)
            if found < 0:
                return False
            at = found + len(piece)
        return True

    return matches


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
