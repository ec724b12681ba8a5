"""The service library (Prozessbibliothek): every published online service of every owner
(the Land, Behörden, IKZ cooperations), with the Kommunen that use it and its maturity.

The candidate list is one query of small rows; the text search folds like the catalogue
(`core.text`) and runs in Python over titles and Leistung names, so it behaves the same on
SQLite and PostgreSQL. A page of results then costs a fixed number of queries whatever its
size: services, their newest published versions, their active adoptions (with the adopted
versions, forms deferred), and the Zuständigkeiten of the adopting Behörden.

Maturity (`dashboard.maturity`): a service's *version level* is what an adoption of its newest
published version reaches with no local parameters; its *best level* is the highest level
over its active adoptions. "Kommunen that use it" are the areas where an adopting Behörde is
the recorded Zuständigkeit for the service's Leistung (a Gemeinde for a Standesamt, a Kreis for
a Zulassungsstelle, a Regierungsbezirk for an Elterngeldstelle), else the Behörde's own area.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import Themenfeld
from amtsweg.core.text import fold, tokens
from amtsweg.dashboard import maturity
from amtsweg.services.models import Adoption, OnlineService, ServiceVersion, text
from amtsweg.territory.models import Area, Authority, Responsibility

PAGE_SIZE = 20
MAX_QUERY = 100

LEVEL_TEXT = {
    maturity.ONLINE_FORM: _("2 – online form"),
    maturity.FULLY_DIGITAL: _("3 – fully digital (online payment, notice in the Postfach)"),
    maturity.EID_PREFILL: _("4 – fully digital with eID data prefilled"),
}
OWNER_KINDS = ("area", "authority", "cooperation")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    themenfeld: str = ""
    leistung: str = ""
    owner: str = ""  # "<kind>:<id>", kind one of OWNER_KINDS
    maturity: int | None = None  # the version reaches at least this level

    @classmethod
    def from_query(cls, params) -> "Filters":
        level = params.get("reifegrad", "")
        owner = params.get("eigentuemer", "")
        kind, _sep, pk = owner.partition(":")
        return cls(
            q=params.get("q", "").strip()[:MAX_QUERY],
            themenfeld=params.get("themenfeld", "").strip()[:120],
            leistung=params.get("leistung", "").strip()[:14],
            owner=owner if kind in OWNER_KINDS and pk.isdecimal() else "",
            maturity=int(level) if level.isdecimal() and int(level) in LEVEL_TEXT else None)

    @property
    def active(self) -> bool:
        return any((self.q, self.themenfeld, self.leistung, self.owner, self.maturity))


def published_services() -> QuerySet[OnlineService]:
    published = ServiceVersion.objects.filter(state=ServiceVersion.State.PUBLISHED)
    return OnlineService.objects.filter(pk__in=published.values("service_id"))


def _matches(words: list[str], row: dict) -> bool:
    title = row["title"] or {}
    haystack = fold(" ".join([title.get("de", ""), title.get("en", ""),
                              row["leistung__name"], row["slug"]]))
    return all(word in haystack for word in words)


def candidates(filters: Filters) -> list[int]:
    """Ids of the services matching the filters, in title order."""
    qs = published_services()
    if filters.themenfeld:
        qs = qs.filter(leistung__ozg__themenfeld__slug=filters.themenfeld)
    if filters.leistung:
        qs = qs.filter(leistung__leika_key=filters.leistung)
    if filters.owner:
        kind, _sep, pk = filters.owner.partition(":")
        qs = qs.filter(**{f"owner_{kind}_id": int(pk)})
    rows = list(qs.values("pk", "slug", "title", "leistung__name"))
    words = tokens(filters.q)
    if words:
        rows = [r for r in rows if _matches(words, r)]
    rows.sort(key=lambda r: (fold(text(r["title"], "de")), r["slug"]))
    ids = [r["pk"] for r in rows]
    if filters.maturity is not None and ids:
        levels = version_levels(newest_published(ids))
        ids = [pk for pk in ids if levels.get(pk, 0) >= filters.maturity]
    return ids


def newest_published(service_ids: list[int]) -> dict[int, ServiceVersion]:
    """The newest published version of each service (the form is loaded only when the
    compiled-form cache of `submissions.actions.form_of` does not have it)."""
    found: dict[int, ServiceVersion] = {}
    for version in (ServiceVersion.objects.filter(service_id__in=service_ids,
                                                  state=ServiceVersion.State.PUBLISHED)
                    .defer("form").order_by("service_id", "-number")):
        found.setdefault(version.service_id, version)
    return found


def version_levels(versions: dict[int, ServiceVersion]) -> dict[int, int]:
    """service id → the level an adoption of the version reaches without local parameters."""
    return {pk: maturity.offer_level(v, Adoption(service_id=pk, version=v))
            for pk, v in versions.items()}


@dataclass
class Use:
    """An active adoption of the service: the adopting Behörde, the adopted version, its
    level and the areas it serves."""

    authority_id: int
    own_area_id: int
    version: ServiceVersion
    level: int
    area_ids: list[int] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    authority: Authority | None = None


@dataclass
class Entry:
    service: OnlineService
    version: ServiceVersion
    version_level: int
    uses: list[Use]

    @property
    def best_level(self) -> int | None:
        return max((u.level for u in self.uses), default=None)

    @property
    def area_ids(self) -> set[int]:
        return {pk for use in self.uses for pk in use.area_ids}

    @property
    def area_count(self) -> int:
        return len(self.area_ids)


def entries(service_ids: list[int], *, with_areas: bool = False) -> list[Entry]:
    """The library rows for these services, in the given order; `with_areas` also loads the
    Area rows and the adopting Behörden (the detail page lists them)."""
    services = {s.pk: s for s in OnlineService.objects.filter(pk__in=service_ids)
                .select_related("leistung__ozg__themenfeld", "owner_authority", "owner_area",
                                "owner_cooperation")}
    versions = newest_published(service_ids)
    levels = version_levels(versions)
    rows = list(Adoption.objects.filter(service_id__in=service_ids, active=True,
                                        version__state=ServiceVersion.State.PUBLISHED)
                .order_by("pk").values_list("service_id", "authority_id", "authority__area_id",
                                            "version_id", "fee", "payment_account"))
    adopted = {v.pk: v for v in versions.values()}
    missing = {row[3] for row in rows} - set(adopted)
    adopted.update(ServiceVersion.objects.defer("form").in_bulk(missing))
    uses: dict[int, list[Use]] = defaultdict(list)
    probe = Adoption(active=True)  # one unsaved row, given each adoption's values in turn
    for service_id, authority_id, area_id, version_id, fee, account in rows:
        version = adopted[version_id]
        probe.service_id, probe.authority_id, probe.version_id = service_id, authority_id, \
            version_id
        probe.fee, probe.payment_account = fee, account
        uses[service_id].append(Use(authority_id, area_id, version,
                                    maturity.offer_level(version, probe)))
    _attach_areas(uses)
    if with_areas:
        _load_names(uses)
    return [Entry(services[pk], versions[pk], levels[pk], uses.get(pk, []))
            for pk in service_ids if pk in services and pk in versions]


def _attach_areas(uses: dict[int, list[Use]]) -> None:
    served: dict[tuple[int, int], list[int]] = defaultdict(list)
    rows = (Responsibility.objects
            .filter(authority__adoptions__service_id__in=list(uses),
                    authority__adoptions__active=True,
                    authority__adoptions__service__leistung_id=F("leistung_id"))
            .values_list("authority__adoptions__service_id", "authority_id", "area_id")
            .distinct())
    for service_id, authority_id, area_id in rows:
        served[(service_id, authority_id)].append(area_id)
    for service_id, service_uses in uses.items():
        for use in service_uses:
            use.area_ids = sorted(served.get((service_id, use.authority_id))
                                  or [use.own_area_id])


def _load_names(uses: dict[int, list[Use]]) -> None:
    all_uses = [u for service_uses in uses.values() for u in service_uses]
    areas = Area.objects.in_bulk({pk for u in all_uses for pk in u.area_ids})
    authorities = Authority.objects.only("id", "name", "area_id").in_bulk(
        {u.authority_id for u in all_uses})
    for use in all_uses:
        use.authority = authorities.get(use.authority_id)
        use.areas = sorted((areas[pk] for pk in use.area_ids if pk in areas),
                           key=lambda a: fold(a.name))


def owner_choices() -> list[tuple[str, str]]:
    """(value, label) of every owner of a published service, Land first."""
    seen: dict[str, tuple[int, str]] = {}
    rows = published_services().values_list(
        "owner_area_id", "owner_area__name", "owner_authority_id", "owner_authority__name",
        "owner_cooperation_id", "owner_cooperation__name").distinct()
    for area_id, area, authority_id, authority, coop_id, coop in rows:
        if area_id:
            seen[f"area:{area_id}"] = (0, area.split(",")[0])
        elif coop_id:
            seen[f"cooperation:{coop_id}"] = (1, _("IKZ: %(name)s") % {"name": coop})
        elif authority_id:
            seen[f"authority:{authority_id}"] = (2, authority)
    return [(value, str(label)) for value, (_rank, label)
            in sorted(seen.items(), key=lambda kv: (kv[1][0], fold(str(kv[1][1]))))]


def leistung_choices() -> list[tuple[str, str]]:
    rows = (published_services().values_list("leistung__leika_key", "leistung__name")
            .distinct().order_by("leistung__name"))
    return [(key, name) for key, name in rows]


def themenfeld_choices() -> list[tuple[str, str]]:
    return list(Themenfeld.objects.order_by("name").values_list("slug", "name"))
