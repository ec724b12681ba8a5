"""Which Leistungen each Kommune must offer, and the maturity level of each, for all of Hessen.

The Leistungen a Gemeinde must offer are those (with an OZG-Leistung) for which, in more than
half of Hessen's Gemeinden, a Behörde of the Gemeinde itself is recorded as responsible
(`territory.Responsibility`); the same rule at Kreis level gives the Leistungen of a Kreis.
For each Kommune and such Leistung the responsible Behörde is found as the finder finds it
(Gemeinde → Kreis → Regierungsbezirk → Land), and its best active adoption of a published
version gives the level (`maturity.level`). See docs/dashboard.md.

The whole matrix (about 52,000 pairs for the demo data) takes some 0.15 s to compute; it is
kept per process and made again when its signature changes: the territory version, and the
number and latest change of adoptions and service versions. Its territory part (Kommunen,
mandatory Leistungen, Zuständigkeiten: two thirds of that time) is kept for its territory
version, so an adoption or a version change costs the levels only (about 0.05 s).
"""

import threading
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max

from amtsweg.catalog.models import Leistung
from amtsweg.core.models import DataVersion
from amtsweg.services.models import Adoption, ServiceVersion
from amtsweg.territory import lookup
from amtsweg.territory.models import Area, Responsibility

from . import maturity

ONLINE = maturity.ONLINE_FORM  # "online" means level 2 or more


@dataclass(frozen=True)
class Kommune:
    id: int
    kind: str
    ags: str
    name: str
    kreis_id: int | None  # the Kreis of a Gemeinde; None for a Kreis
    population: int
    lat: float | None = None
    lon: float | None = None


@dataclass
class Coverage:
    signature: tuple
    land: Kommune
    gemeinde_leistungen: list[Leistung]
    kreis_leistungen: list[Leistung]
    kommunen: dict[int, Kommune] = field(default_factory=dict)
    levels: dict[int, bytes] = field(default_factory=dict)  # aligned with the area's list
    by_ags: dict[str, int] = field(default_factory=dict)

    def leistungen(self, area_id: int) -> list[Leistung]:
        return (self.kreis_leistungen if self.kommunen[area_id].kind == Area.Kind.KREIS
                else self.gemeinde_leistungen)

    def kreise(self) -> list[Kommune]:
        return sorted((k for k in self.kommunen.values() if k.kind == Area.Kind.KREIS),
                      key=lambda k: k.name)

    def gemeinden(self, kreis_id: int | None = None) -> list[Kommune]:
        return sorted((k for k in self.kommunen.values() if k.kind == Area.Kind.GEMEINDE
                       and (kreis_id is None or k.kreis_id == kreis_id)), key=lambda k: k.name)

    def own_counts(self, area_id: int) -> list[int]:
        counts = [0] * len(maturity.LEVELS)
        for value in self.levels.get(area_id, b""):
            counts[value] += 1
        return counts

    def counts(self, area_id: int) -> list[int]:
        """Counts per level in the area: its own pairs; a Kreis adds its Gemeinden's, the
        Land every Kommune's."""
        if area_id == self.land.id:
            members = list(self.kommunen)
        elif self.kommunen[area_id].kind == Area.Kind.KREIS:
            members = [area_id, *(g.id for g in self.gemeinden(area_id))]
        else:
            members = [area_id]
        total = [0] * len(maturity.LEVELS)
        for member in members:
            for level, n in enumerate(self.own_counts(member)):
                total[level] += n
        return total


def share_online(counts: list[int]) -> float | None:
    total = sum(counts)
    return sum(counts[ONLINE:]) / total if total else None


def signature() -> tuple:
    """Changes whenever a level may have changed: the territory (Zuständigkeiten), an
    adoption (made, ended, moved to another version) or a version (published, retired)."""
    adoptions = Adoption.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    versions = ServiceVersion.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return (DataVersion.current(lookup.VERSION_KEY), adoptions["n"], str(adoptions["at"]),
            versions["n"], str(versions["at"]))


def mandatory(kind: str, counts: dict[tuple[int, str], int], areas: int) -> list[int]:
    """Leistungen whose Zuständigkeit lies at this level in more than half of its areas."""
    return [leistung for (leistung, k), n in counts.items() if k == kind and 2 * n > areas]


def best_offers() -> dict[tuple[int, int], int]:
    """(Behörde, Leistung) → the highest level among the Behörde's offers for it."""
    adoptions = list(Adoption.objects.filter(
        active=True, version__state=ServiceVersion.State.PUBLISHED)
        .select_related("service").only(
            "id", "authority_id", "service_id", "version_id", "fee", "payment_account",
            "active", "service__leistung_id"))
    versions = ServiceVersion.objects.in_bulk({a.version_id for a in adoptions})
    best: dict[tuple[int, int], int] = {}
    for adoption in adoptions:
        value = maturity.level(responsible=True, version=versions[adoption.version_id],
                               adoption=adoption)
        key = (adoption.authority_id, adoption.service.leistung_id)
        if value > best.get(key, -1):
            best[key] = value
    return best


@dataclass(frozen=True)
class _Territory:
    """The part of the matrix that depends on the territory only (Kommunen, the Leistungen
    each must offer, who is responsible where): kept per process for its territory version,
    so that a new adoption recomputes the levels only."""

    version: int
    land: Kommune
    kommunen: dict[int, Kommune]
    gemeinde_leistungen: list[Leistung]
    kreis_leistungen: list[Leistung]
    chains: dict[int, list[int]]
    own_of: dict[str, list[tuple[int, dict[int, int]]]]


def _territory(version: int) -> _Territory:
    areas = {a.pk: a for a in Area.objects.only(
        "id", "kind", "ags", "name", "parent_id", "lat", "lon", "population", "gemeindefrei",
        "kreis_type")}
    parents = {pk: a.parent_id for pk, a in areas.items()}
    land_area = next(a for a in areas.values() if a.kind == Area.Kind.LAND)
    land = Kommune(land_area.pk, land_area.kind, land_area.ags, land_area.display_name, None,
                   land_area.population or 0)
    kommunen: dict[int, Kommune] = {}
    for a in areas.values():
        if a.kind == Area.Kind.KREIS or (a.kind == Area.Kind.GEMEINDE and not a.gemeindefrei):
            name = a.display_name
            if a.kind == Area.Kind.KREIS and a.kreis_type == Area.KreisType.KREISFREIE_STADT:
                name = f"{name} (Stadt)"
            kommunen[a.pk] = Kommune(
                a.pk, a.kind, a.ags, name,
                a.parent_id if a.kind == Area.Kind.GEMEINDE else None, a.population or 0,
                a.lat, a.lon)
    n_gemeinden = sum(1 for k in kommunen.values() if k.kind == Area.Kind.GEMEINDE)
    n_kreise = len(kommunen) - n_gemeinden

    responsible: dict[int, dict[int, int]] = {}  # Leistung → area → Behörde
    level_counts: dict[tuple[int, str], int] = {}
    for leistung_id, area_id, authority_id in Responsibility.objects.filter(
            leistung__ozg__isnull=False).values_list("leistung_id", "area_id", "authority_id"):
        responsible.setdefault(leistung_id, {})[area_id] = authority_id
        if area_id in kommunen:
            key = (leistung_id, kommunen[area_id].kind)
            level_counts[key] = level_counts.get(key, 0) + 1
    by_key = Leistung.objects.only("id", "leika_key", "name").in_bulk(
        {leistung for leistung, _kind in level_counts})

    def ordered(ids: list[int]) -> list[Leistung]:
        return sorted((by_key[i] for i in ids), key=lambda leistung: leistung.leika_key)

    gemeinde_leistungen = ordered(mandatory(Area.Kind.GEMEINDE, level_counts, n_gemeinden))
    kreis_leistungen = ordered(mandatory(Area.Kind.KREIS, level_counts, n_kreise))

    chains: dict[int, list[int]] = {}
    for pk in kommunen:
        chain, current = [], pk
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        chains[pk] = chain

    # (Leistung, its responsible Behörde per area) in the order of each kind's list; plain
    # ids and dicts: this loop runs over every (Kommune, Leistung) pair
    own_of = {kind: [(leistung.pk, responsible.get(leistung.pk, {})) for leistung in own]
              for kind, own in ((Area.Kind.KREIS, kreis_leistungen),
                                (Area.Kind.GEMEINDE, gemeinde_leistungen))}
    return _Territory(version, land, kommunen, gemeinde_leistungen, kreis_leistungen, chains,
                      own_of)


def compute(sig: tuple) -> Coverage:
    global _kept_territory
    territory = _kept_territory
    if territory is None or territory.version != sig[0]:
        territory = _territory(sig[0])
        if not transaction.get_connection().in_atomic_block:  # see current()
            _kept_territory = territory
    best = best_offers()
    levels: dict[int, bytes] = {}
    for pk, kommune in territory.kommunen.items():
        chain = territory.chains[pk]
        values = bytearray()
        for leistung_id, places in territory.own_of[kommune.kind]:
            authority = None
            for area_id in chain:
                authority = places.get(area_id)
                if authority is not None:
                    break
            if authority is None:
                values.append(maturity.NONE)
            else:
                values.append(best.get((authority, leistung_id), maturity.INFORMATION))
        levels[pk] = bytes(values)
    return Coverage(signature=sig, land=territory.land,
                    gemeinde_leistungen=territory.gemeinde_leistungen,
                    kreis_leistungen=territory.kreis_leistungen, kommunen=territory.kommunen,
                    levels=levels,
                    by_ags={k.ags: pk for pk, k in territory.kommunen.items()})


_lock = threading.Lock()
_current: Coverage | None = None
_kept_territory: _Territory | None = None


def current() -> Coverage:
    """The matrix as of now. Inside a transaction it is computed and not kept (it may see
    rows that are rolled back later), like the finder's copy."""
    global _current
    sig = signature()
    if transaction.get_connection().in_atomic_block:
        cached = _current
        return cached if cached is not None and cached.signature == sig else compute(sig)
    with _lock:
        if _current is None or _current.signature != sig:
            _current = compute(sig)
        return _current


def forget() -> None:
    global _current, _kept_territory
    with _lock:
        _current = None
        _kept_territory = None
