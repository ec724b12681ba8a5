"""Read side of the territory: area hierarchy, place search, and the responsibility finder.

The area tree (about 460 rows) and, per Leistung asked for, its Zuständigkeiten are held per
process, so resolving a responsibility walks dictionaries instead of querying. A change in
this process drops them at once (see the signals below); other processes notice the bumped
DataVersion within RECHECK_SECONDS.
"""

import re
import sys
import threading
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from amtsweg.core.fuzzy import Vocabulary
from amtsweg.core.models import DataVersion
from amtsweg.core.text import fold, tokens

from .models import Area, Authority, GermanPostalCode, PostalCode, Responsibility

VERSION_KEY = "territory"

# Sent after a committed change of areas, authorities or responsibilities.
territory_changed = Signal()
RECHECK_SECONDS = 5.0


_RESPONSIBILITY_FIELDS = ("id", "leistung_id", "area_id", "authority_id", "processing_min",
                          "processing_max", "processing_unit", "fee", "required_documents",
                          "further_information", "origin")


_tails: dict[tuple, tuple] = {}


def _compact(row: tuple) -> tuple:
    """(id, leistung, area, authority, shared tail): most rows share processing time, fee and
    texts, so the tail tuple is stored once for all of them."""
    tail = tuple(sys.intern(v) if isinstance(v, str) else v for v in row[4:])
    return (*row[:4], _tails.setdefault(tail, tail))


class _State:
    """One consistent in-memory copy of areas, and of the authorities and responsibilities
    asked for so far (loaded per Leistung on first use)."""

    def __init__(self, version: int, *, eager: bool) -> None:
        self.version = version
        self.areas: dict[int, Area] = {a.pk: a for a in Area.objects.all()}
        self.by_ags = {a.ags: a for a in self.areas.values()}
        self.by_ars = {a.ars: a for a in self.areas.values()}
        self.parents = {pk: a.parent_id for pk, a in self.areas.items()}
        self.authorities: dict[int, Authority] = {}
        self.responsibilities: dict[int, dict[int, tuple]] = {}
        self.areas_index: list[tuple[Area, tuple[str, ...]]] | None = None
        self.place_index: _PlaceIndex | None = None
        self.german_names: dict[str, tuple[str, str]] | None = None
        self.children: dict[int, list[int]] = {}
        for pk, parent in self.parents.items():
            if parent is not None:
                self.children.setdefault(parent, []).append(pk)
        if eager:
            # the whole map (about 50,000 rows, a few MB): no lookup ever waits for a query
            for a in Authority.objects.all():
                a.area = self.areas[a.area_id]
                self.authorities[a.pk] = a
            for row in Responsibility.objects.values_list(*_RESPONSIBILITY_FIELDS):
                self.responsibilities.setdefault(row[1], {})[row[2]] = _compact(row)

    def for_leistung(self, leistung_id: int) -> dict[int, tuple]:
        """area id → the responsibility row's values, for one Leistung."""
        rows = self.responsibilities.get(leistung_id)
        if rows is None:
            rows = {
                row[2]: _compact(row)
                for row in Responsibility.objects.filter(leistung_id=leistung_id)
                .values_list(*_RESPONSIBILITY_FIELDS)
            }
            self.responsibilities[leistung_id] = rows
        return rows

    def authority(self, pk: int) -> Authority:
        obj = self.authorities.get(pk)
        if obj is None:
            obj = self.authorities[pk] = Authority.objects.get(pk=pk)
            obj.area = self.areas[obj.area_id]
        return obj


_lock = threading.Lock()
_state: _State | None = None
_checked_at = 0.0


def invalidate() -> None:
    """Forget this process's copy; the next lookup rebuilds it."""
    global _state
    with _lock:
        _state = None


def changed() -> None:
    """Record a change of areas or responsibilities for every process, after commit."""
    invalidate()

    def bump() -> None:
        DataVersion.bump(VERSION_KEY)
        invalidate()
        territory_changed.send(sender=Area)

    transaction.on_commit(bump)


def _current() -> _State:
    global _state, _checked_at
    now = time.monotonic()
    state = _state
    if state is not None and now - _checked_at < RECHECK_SECONDS:
        return state
    if transaction.get_connection().in_atomic_block:
        # Inside a transaction this process may see rows that are later rolled back:
        # answer from the database as it is now, and keep nothing.
        return _State(DataVersion.current(VERSION_KEY), eager=False)
    with _lock:
        version = DataVersion.current(VERSION_KEY)
        _checked_at = now
        if _state is None or _state.version != version:
            _state = _State(version, eager=True)
        return _state


def _on_change(sender, **kwargs) -> None:
    changed()


for _model in (Area, Responsibility, Authority):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"lookup-{_model.__name__}")
    post_delete.connect(_on_change, sender=_model, dispatch_uid=f"lookup-{_model.__name__}-d")


def version() -> int:
    """The territory version the in-memory copy belongs to."""
    return _current().version


def ancestors(area_id: int) -> list[int]:
    """The area itself, then its parents up to the Land."""
    parents = _current().parents
    chain: list[int] = []
    current: int | None = area_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def _row(leistung_id: int, area_id: int) -> tuple | None:
    rows = _current().for_leistung(leistung_id)
    for area in ancestors(area_id):
        row = rows.get(area)
        if row is not None:
            return row
    return None


def covered_areas(area_id: int) -> list[Area]:
    """The area and every area below it (a Kreis and its Gemeinden, …)."""
    state = _current()
    found, stack = [], [area_id]
    while stack:
        current = stack.pop()
        found.append(state.areas[current])
        stack.extend(state.children.get(current, ()))
    return found


def resolve_id(leistung_id: int, area_id: int) -> int | None:
    """The id of the responsibility for a Leistung at an Area: the most specific wins."""
    row = _row(leistung_id, area_id)
    return row[0] if row else None


def resolve(leistung_id: int, area_id: int) -> Responsibility | None:
    """The responsibility for a Leistung at an Area, with its authority and area; from memory
    once the Leistung was asked for. The most specific area wins. Treat it as read-only."""
    row = _row(leistung_id, area_id)
    if row is None:
        return None
    state = _current()
    obj = Responsibility(**dict(zip(_RESPONSIBILITY_FIELDS, (*row[:4], *row[4]), strict=True)))
    obj.area = state.areas[obj.area_id]
    obj.authority = state.authority(obj.authority_id)
    return obj


def areas_index() -> list[tuple[Area, tuple[str, ...]]]:
    """(area, the texts it can be found by) of every inhabited area: its folded full name,
    display name, the words of its name, and its PLZ."""
    state = _current()
    if state.areas_index is None:
        plz: dict[int, set[str]] = {}
        for area_id, code in PostalCode.objects.values_list("area_id", "plz"):
            plz.setdefault(area_id, set()).add(code)
        index = []
        for area in state.areas.values():
            if area.gemeindefrei:
                continue
            full = " ".join(fold(area.name).replace(",", " ").replace("(", " ")
                            .replace(")", " ").split())
            texts = dict.fromkeys([full, fold(area.display_name), *full.split(),
                                   *sorted(plz.get(area.pk, ()))])
            index.append((area, tuple(texts)))
        state.areas_index = index
    return state.areas_index


def warm_up() -> None:
    """Load the in-memory copy before the first request needs it."""
    areas_index()


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
    if query.isdecimal():
        rows = PostalCode.objects.filter(plz__startswith=query).select_related("area")
        return _group(rows.order_by("plz", "area__name"))[:limit]
    return _find_by_name(query, limit)


# -- place search by name -------------------------------------------------------------------

NAME_FIELD, SUFFIX_FIELD, ORTSTEIL_FIELD = 1.0, 0.5, 0.9
CLOSE_TO_BEST = 0.2  # offer the Gemeinden scoring at most this far below the best one
MAX_QUERY_WORDS = 8


def _words(text: str) -> str:
    """A name as folded words: 'Homberg (Ohm)', 'homberg ohm' and 'Homberg/Ohm' read alike."""
    return " ".join(tokens(text))


class _PlaceIndex:
    """The Gemeinden of Hessen by the words of their names and of their Ortsteile."""

    def __init__(self, areas: list[Area], ortsteile: dict[int, set[str]]) -> None:
        self.areas = {a.pk: a for a in areas}
        self.exact: dict[str, list[int]] = {}
        self.postings: dict[str, dict[int, float]] = {}
        for area in areas:
            names = [(area.display_name, NAME_FIELD),
                     (area.name.partition(",")[2], SUFFIX_FIELD),  # ", Stadt", ", Kreisstadt"
                     *((o, ORTSTEIL_FIELD) for o in sorted(ortsteile.get(area.pk, ())))]
            for name, weight in names:
                words = tokens(name)
                if weight == NAME_FIELD and words:
                    ids = self.exact.setdefault(" ".join(words), [])
                    if area.pk not in ids:
                        ids.append(area.pk)
                for word in words:
                    row = self.postings.setdefault(word, {})
                    row[area.pk] = max(row.get(area.pk, 0.0), weight)
        self.vocabulary = Vocabulary(self.postings)

    def search(self, query: str) -> list[int]:
        words = tokens(query)[:MAX_QUERY_WORDS]
        if not words:
            return []
        exact = self.exact.get(" ".join(words))
        if exact:
            # "Fulda" means Fulda, not also Fuldatal and Fuldabrück
            return self._ranked({pk: 1.0 for pk in exact})
        total: dict[int, float] = {}
        for i, word in enumerate(words):
            best: dict[int, float] = {}
            for token, weight in self.vocabulary.expand(word).items():
                for pk, field in self.postings[token].items():
                    if weight * field > best.get(pk, 0.0):
                        best[pk] = weight * field
            # every word the person typed must match: "homberg ohm" is not Homberg (Efze)
            total = best if i == 0 else {pk: total[pk] + v for pk, v in best.items()
                                         if pk in total}
            if not total:
                return []
        top = max(total.values())
        return self._ranked({pk: v / len(words) for pk, v in total.items()
                             if v >= top - CLOSE_TO_BEST * len(words)})

    def _ranked(self, scores: dict[int, float]) -> list[int]:
        areas = self.areas
        return sorted(scores, key=lambda pk: (-scores[pk], -(areas[pk].population or 0),
                                              areas[pk].name))


def place_index() -> _PlaceIndex:
    state = _current()
    if state.place_index is None:
        ortsteile: dict[int, set[str]] = {}
        for area_id, place in PostalCode.objects.values_list("area_id", "place"):
            ortsteile.setdefault(area_id, set()).add(place)
        areas = [a for a in state.areas.values()
                 if a.kind == Area.Kind.GEMEINDE and not a.gemeindefrei]
        state.place_index = _PlaceIndex(areas, ortsteile)
    return state.place_index


def _find_by_name(query: str, limit: int) -> list[Place]:
    ids = place_index().search(query[:200])[:limit]
    if not ids:
        return []
    places = {p.area.pk: p for p in _group(
        PostalCode.objects.filter(area_id__in=ids).select_related("area").order_by("plz"))}
    return [places[pk] for pk in ids if pk in places]


# -- Germany outside Hessen -----------------------------------------------------------------

@dataclass(frozen=True)
class GermanPlace:
    """A place of a German PLZ, from the list for all of Germany (addresses only)."""

    plz: str
    place: str
    land: str
    ags: str


def german_places(plz: str) -> list[GermanPlace]:
    """The places of a German PLZ anywhere in Germany, Hessen included; empty if it is in no
    list (a PO box or large-customer PLZ such as 61343, or a typo)."""
    if not PLZ_RE.match(plz):
        return []
    return [GermanPlace(plz, place, land, ags) for place, land, ags in
            GermanPostalCode.objects.filter(plz=plz).order_by("place", "ags")
            .values_list("place", "land", "ags")]


def land_outside_hessen(query: str) -> tuple[str, str] | None:
    """(place, Land) when a PLZ or place name the finder does not know lies in another Land."""
    query = query.strip()
    if PLZ_RE.match(query):
        rows = [p for p in german_places(query) if p.land != "Hessen"]
        return (rows[0].place, rows[0].land) if rows else None
    state = _current()
    if state.german_names is None:
        names: dict[str, tuple[str, str]] = {}
        for place, land in (GermanPostalCode.objects.exclude(land="Hessen")
                            .order_by("plz").values_list("place", "land")):
            names.setdefault(_words(place), (place, land))
        state.german_names = names
    return state.german_names.get(_words(query))


def _group(rows) -> list[Place]:
    grouped: dict[int, tuple[Area, list[str], list[str]]] = {}
    for pc in rows:
        _, places, plz = grouped.setdefault(pc.area_id, (pc.area, [], []))
        if pc.place not in places:
            places.append(pc.place)
        if pc.plz not in plz:
            plz.append(pc.plz)
    return [Place(area, tuple(pl), tuple(sorted(z))) for area, pl, z in grouped.values()]


def area_for_code(*, ars: str | None = None, ags: str | None = None,
                  area_id: int | None = None) -> Area | None:
    """The Area for an ARS (2, 3, 5, 9 or 12 digits), an AGS (2, 3, 5 or 8) or its id."""
    state = _current()
    if area_id is not None:
        return state.areas.get(area_id)
    if ags is not None:
        return state.by_ags.get(ags)
    if ars is None:
        return None
    if len(ars) == 9:
        # Gemeindeverband level: in Hessen every Gemeinde is its own Verband.
        matches = [a for code, a in state.by_ars.items()
                   if len(code) == 12 and code.startswith(ars)]
        return matches[0] if len(matches) == 1 else None
    return state.by_ars.get(ars)
