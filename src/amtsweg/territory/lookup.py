"""Read side of the territory: area hierarchy, place search, and the responsibility finder.

The area tree (about 460 rows) is held per process and dropped when an import changes it, so
walking from a Gemeinde up to the Land costs no query.
"""

import re
import threading
from dataclasses import dataclass

from amtsweg.core.text import fold

from .models import Area, PostalCode, Responsibility

_lock = threading.Lock()
_parents: dict[int, int | None] | None = None


def invalidate() -> None:
    global _parents
    with _lock:
        _parents = None


def _parent_map() -> dict[int, int | None]:
    global _parents
    if _parents is None:
        with _lock:
            if _parents is None:
                _parents = dict(Area.objects.values_list("id", "parent_id"))
    return _parents


def ancestors(area_id: int) -> list[int]:
    """The area itself, then its parents up to the Land."""
    parents = _parent_map()
    chain: list[int] = []
    current: int | None = area_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def resolve(leistung_id: int, area_id: int) -> Responsibility | None:
    """The responsible authority for a Leistung at an Area: the most specific entry wins."""
    chain = ancestors(area_id)
    found = {
        r.area_id: r
        for r in Responsibility.objects.filter(leistung_id=leistung_id, area_id__in=chain)
        .select_related("authority", "area")
    }
    for area in chain:
        if area in found:
            return found[area]
    return None


@dataclass(frozen=True)
class Place:
    """A Gemeinde as a person names it: by PLZ and place or by its name."""

    area: Area
    places: tuple[str, ...]
    plz: tuple[str, ...]

    @property
    def label(self) -> str:
        names = ", ".join(p for p in self.places if p != self.area.display_name)
        plz = ", ".join(self.plz)
        label = f"{plz} {self.area.display_name}".strip()
        return f"{label} ({names})" if names else label


PLZ_RE = re.compile(r"^\d{5}$")


def find_places(query: str, limit: int = 20) -> list[Place]:
    """Gemeinden for a PLZ or a (part of a) place name; several when the answer is ambiguous."""
    query = query.strip()
    if not query:
        return []
    if PLZ_RE.match(query):
        rows = PostalCode.objects.filter(plz=query).select_related("area").order_by("area__name")
        return _group(rows)[:limit]
    if query.isdigit():
        rows = PostalCode.objects.filter(plz__startswith=query).select_related("area")
        return _group(rows.order_by("plz", "area__name"))[:limit]
    needle = fold(query)
    scored: list[tuple[int, str, Area]] = []
    for area in Area.objects.filter(kind=Area.Kind.GEMEINDE, gemeindefrei=False):
        name = fold(area.display_name)
        if name == needle:
            scored.append((0, name, area))
        elif name.startswith(needle):
            scored.append((1, name, area))
        elif needle in name:
            scored.append((2, name, area))
    if any(rank == 0 for rank, _, _ in scored):
        # "Fulda" means Fulda, not also Fuldatal and Fuldabrück
        scored = [s for s in scored if s[0] == 0]
    ids = [a.pk for _, _, a in sorted(scored, key=lambda t: (t[0], t[1]))[:limit]]
    extra = (
        PostalCode.objects.exclude(area_id__in=ids)
        .select_related("area")
        .order_by("place")
    )
    by_place = [pc for pc in extra if needle in fold(pc.place)]
    codes = PostalCode.objects.filter(area_id__in=ids).select_related("area")
    places = {p.area.pk: p for p in _group(list(codes) + by_place)}
    ordered = [places[i] for i in ids if i in places]
    ordered += [p for k, p in places.items() if k not in ids]
    return ordered[:limit]


def _group(rows) -> list[Place]:
    grouped: dict[int, tuple[Area, list[str], list[str]]] = {}
    for pc in rows:
        _, places, plz = grouped.setdefault(pc.area_id, (pc.area, [], []))
        if pc.place not in places:
            places.append(pc.place)
        if pc.plz not in plz:
            plz.append(pc.plz)
    return [Place(area, tuple(pl), tuple(sorted(z))) for area, pl, z in grouped.values()]


def area_for_code(*, ars: str | None = None, ags: str | None = None) -> Area | None:
    """The Area for an ARS (2, 3, 5, 9 or 12 digits) or AGS (2, 3, 5 or 8 digits)."""
    if ags is not None:
        return Area.objects.filter(ags=ags).first()
    if ars is None:
        return None
    if len(ars) == 9:
        # Gemeindeverband level: in Hessen every Gemeinde is its own Verband.
        matches = list(Area.objects.filter(kind=Area.Kind.GEMEINDE, ars__startswith=ars)[:2])
        return matches[0] if len(matches) == 1 else None
    return Area.objects.filter(ars=ars).first()
