"""Historical demo data of the IKZ funding programme: grants from 2008 to June 2020.

The totals are the published ones (Hessisches Ministerium des Innern, publications on its IKZ
funding, as quoted in issue 6): since 2008, 350 funded cooperations with 1,664 participations
of Kommunen (repeats counted) and more than 23.5 M EUR; 2018: 45 cooperations and more than
3 M EUR; 2019: 43 and more than 2.6 M EUR; January to June 2020: 25 and almost 1.4 M EUR.

Everything below those totals is invented demo data, generated from a fixed seed: the split of
the other years, the cooperations and their members (real Hessian Gemeinden and Kreise, mostly
neighbours in one Kreis), task areas, dates and single amounts. The rates per Kommune are a
plausible assumption for the demo, not a statement about the real funding rules (see
docs/funding.md, "Statistics"). Each historical cooperation received exactly one grant.
"""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from amtsweg.core.importing import upsert
from amtsweg.ikz.models import Cooperation, Member, TaskArea
from amtsweg.territory.models import Area, Authority

from . import stats
from .models import Grant, Programme

SEED = 20080101
PROGRAMME_SLUG = "ikz-foerderung-historisch"
SLUG_PREFIX = "ikz-hist-"
FIRST_DAY = date(2008, 1, 1)
LAST_DAY = date(2020, 6, 30)
STEP = Decimal(500)  # every demo amount is a multiple of 500 EUR


@dataclass(frozen=True)
class YearTarget:
    cooperations: int
    participations: int
    amount: Decimal | None = None  # None: a share of what the published total leaves


# 2018, 2019 and 2020 are the published figures (amounts chosen just above "more than 3 M",
# "more than 2.6 M" and just below "almost 1.4 M"); 2008–2017 are invented and sum to the
# published totals together with them.
TOTAL_AMOUNT = Decimal("23612500")
YEARS: dict[int, YearTarget] = {
    2008: YearTarget(12, 58), 2009: YearTarget(18, 92), 2010: YearTarget(21, 110),
    2011: YearTarget(24, 128), 2012: YearTarget(26, 140), 2013: YearTarget(25, 135),
    2014: YearTarget(27, 146), 2015: YearTarget(26, 140), 2016: YearTarget(28, 152),
    2017: YearTarget(30, 168),
    2018: YearTarget(45, 165, Decimal("3042500")),
    2019: YearTarget(43, 150, Decimal("2637500")),
    2020: YearTarget(25, 80, Decimal("1392500")),
}

# Demo assumption (not the real rules): per participating Kommune and project 15,000 EUR
# (at most 90,000 per project) until 2012, 17,500 EUR (at most 100,000) until 2017, and from
# 2018 25,000 EUR for digitalisation and 15,000 EUR for other task areas without a cap; a grant
# is lower where the eligible costs were lower.
def rate(year: int, task_area: str) -> tuple[Decimal, Decimal | None]:
    """(amount per participating Kommune, cap per project or None) in the demo history."""
    if year <= 2012:
        return Decimal(15000), Decimal(90000)
    if year <= 2017:
        return Decimal(17500), Decimal(100000)
    if task_area == TaskArea.DIGITALISIERUNG:
        return Decimal(25000), None
    return Decimal(15000), None


def full_amount(year: int, task_area: str, participations: int) -> Decimal:
    """What the demo rules would grant with sufficient eligible costs."""
    per_member, cap = rate(year, task_area)
    amount = per_member * participations
    return min(amount, cap) if cap is not None else amount


# Task areas over the years: digitalisation grows, from 2018 it is about half of all projects.
OTHER_AREAS = {
    TaskArea.ALLGEMEINE_VERWALTUNG: 12, TaskArea.FINANZEN: 14, TaskArea.STANDESAMT: 12,
    TaskArea.ORDNUNG: 10, TaskArea.BAUEN: 8, TaskArea.BAUHOF: 12, TaskArea.FEUERWEHR: 7,
    TaskArea.SOZIALES: 9, TaskArea.WIRTSCHAFT: 6, TaskArea.UMWELT: 10,
}
MEMBER_WEIGHTS = {2: 10, 3: 18, 4: 20, 5: 17, 6: 12, 7: 9, 8: 6, 9: 4, 10: 4}
NAMES = {
    TaskArea.DIGITALISIERUNG: "Digitale Verwaltung",
    TaskArea.ALLGEMEINE_VERWALTUNG: "Verwaltungsverbund",
    TaskArea.FINANZEN: "Gemeinsame Finanzverwaltung",
    TaskArea.STANDESAMT: "Gemeinsamer Standesamtsbezirk",
    TaskArea.ORDNUNG: "Gemeinsamer Ordnungsbehördenbezirk",
    TaskArea.BAUEN: "Gemeinsame Bauverwaltung",
    TaskArea.BAUHOF: "Bauhofkooperation",
    TaskArea.FEUERWEHR: "Feuerwehrverbund",
    TaskArea.SOZIALES: "Jugendpflege im Verbund",
    TaskArea.WIRTSCHAFT: "Gemeinsame Wirtschafts- und Tourismusförderung",
    TaskArea.UMWELT: "Umwelt- und Energiekooperation",
}


def _task_weights(year: int) -> dict[str, float]:
    digital = 120.0 if year >= 2018 else 2 + (year - 2008) * 1.5
    return {TaskArea.DIGITALISIERUNG: digital, **OTHER_AREAS}


@dataclass(frozen=True)
class Place:
    """A Kommune as the generator sees it."""

    ags: str
    name: str
    kreis: str  # AGS of its Kreis (a Kreis: its own)
    population: int
    lat: float
    lon: float


@dataclass
class PlannedGrant:
    slug: str
    name: str
    year: int
    decided_on: date
    task_area: str
    lead: str  # AGS
    members: list[str]  # AGS, the lead first
    starts_on: date
    amount: Decimal = Decimal(0)


def _distance(a: Place, b: Place) -> float:
    dx = (a.lon - b.lon) * math.cos(math.radians(50.5))
    return math.hypot(dx, a.lat - b.lat)


def _member_counts(rng: random.Random, target: YearTarget) -> list[int]:
    sizes, weights = list(MEMBER_WEIGHTS), list(MEMBER_WEIGHTS.values())
    counts = rng.choices(sizes, weights, k=target.cooperations)
    while (total := sum(counts)) != target.participations:
        if total < target.participations:
            i = rng.choice([i for i, n in enumerate(counts) if n < max(sizes)])
            counts[i] += 1
        else:
            i = rng.choice([i for i, n in enumerate(counts) if n > min(sizes)])
            counts[i] -= 1
    return counts


def _members(rng: random.Random, lead: Place, size: int, gemeinden: list[Place],
             by_kreis: dict[str, list[Place]], landkreise: dict[str, Place]) -> list[Place]:
    """The lead, its neighbours (mostly in its Kreis, sometimes across the border) and now and
    then its Landkreis."""
    chosen = [lead]
    if size >= 3 and lead.kreis in landkreise and rng.random() < 0.1:
        chosen.append(landkreise[lead.kreis])
    wanted = size - len(chosen)
    pool = gemeinden if rng.random() < 0.2 else by_kreis[lead.kreis]
    near = sorted((p for p in pool if p is not lead), key=lambda p: (_distance(lead, p), p.ags))
    picked = rng.sample(near[:wanted + 2], min(wanted, len(near[:wanted + 2])))
    if len(picked) < wanted:  # a small Kreis or a kreisfreie Stadt: fill with the nearest
        rest = sorted((p for p in gemeinden if p is not lead and p not in picked),
                      key=lambda p: (_distance(lead, p), p.ags))
        picked += rest[:wanted - len(picked)]
    return chosen + sorted(picked, key=lambda p: _distance(lead, p))


def _name(task_area: str, members: list[Place]) -> str:
    names = [m.name.split(",")[0].strip() for m in members if len(m.ags) == 8]
    if len(members) == 2 and len(names) == 2:
        region = f"{names[0]} und {names[1]}"
    else:
        region = f"{names[0]} und Partner"
    return f"{NAMES[task_area]} {region}"


def _cut_to(rng: random.Random, grants: list[PlannedGrant], target: Decimal) -> None:
    """Lower single grants (their eligible costs were lower) until the year sums to target;
    no grant drops below half of its full amount."""
    full = {g.slug: g.amount for g in grants}
    missing = sum(full.values()) - target
    if missing < 0:
        raise ValueError(f"{grants[0].year}: the demo rates cannot reach {target}")
    rounds = 0
    while missing > 0:
        rounds += 1
        if rounds > 50:
            raise ValueError(f"{grants[0].year}: cannot lower the grants to {target}")
        for g in rng.sample(grants, len(grants)):
            room = g.amount - (full[g.slug] / 2 // STEP) * STEP
            share = (full[g.slug] * Decimal(rng.uniform(0.05, 0.35)) // STEP) * STEP
            cut = min(missing, room, max(share, STEP))
            if cut <= 0:
                continue
            g.amount -= cut
            missing -= cut
            if missing == 0:
                break


def plan(places: list[Place]) -> list[PlannedGrant]:
    """The historical grants, deterministic for the same territory."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
    places = sorted(places, key=lambda p: p.ags)
    gemeinden = [p for p in places if len(p.ags) == 8]
    landkreise = {p.ags: p for p in places if len(p.ags) == 5}
    by_kreis: dict[str, list[Place]] = {}
    for g in gemeinden:
        by_kreis.setdefault(g.kreis, []).append(g)
    lead_weights = [3 if g.population < 15000 else 2 if g.population < 50000 else 0.5
                    for g in gemeinden]
    grants: list[PlannedGrant] = []
    by_year: dict[int, list[PlannedGrant]] = {}
    for year, target in YEARS.items():
        start = date(year, 1, 1)
        days = ((LAST_DAY if year == LAST_DAY.year else date(year, 12, 31)) - start).days
        dates = sorted(start + timedelta(days=rng.randrange(days + 1))
                       for _ in range(target.cooperations))
        weights = _task_weights(year)
        for number, (size, decided_on) in enumerate(
                zip(_member_counts(rng, target), dates, strict=True), start=1):
            task_area = rng.choices(list(weights), list(weights.values()))[0]
            lead = rng.choices(gemeinden, lead_weights)[0]
            members = _members(rng, lead, size, gemeinden, by_kreis, landkreise)
            grant = PlannedGrant(
                slug=f"{SLUG_PREFIX}{year}-{number:02d}", name=_name(task_area, members),
                year=year, decided_on=decided_on, task_area=task_area, lead=lead.ags,
                members=[m.ags for m in members],
                starts_on=decided_on - timedelta(days=rng.randrange(30, 270)),
                amount=full_amount(year, task_area, size))
            grants.append(grant)
            by_year.setdefault(year, []).append(grant)

    published = sum(t.amount for t in YEARS.values() if t.amount is not None)
    free = [y for y, t in YEARS.items() if t.amount is None]
    left = TOTAL_AMOUNT - published
    full_of = {y: sum(g.amount for g in by_year[y]) for y in free}
    targets = {y: t.amount for y, t in YEARS.items() if t.amount is not None}
    for y in free[:-1]:
        targets[y] = (full_of[y] * left / sum(full_of.values()) // STEP) * STEP
    targets[free[-1]] = left - sum(targets[y] for y in free[:-1])
    for year in YEARS:
        _cut_to(rng, by_year[year], targets[year])

    seen: dict[str, int] = {}
    for g in grants:  # the same lead and task area twice: "… II"
        seen[g.name] = seen.get(g.name, 0) + 1
        if seen[g.name] > 1:
            g.name = f"{g.name} {'I' * seen[g.name] if seen[g.name] < 4 else seen[g.name]}"
    return grants


def places() -> list[Place]:
    """Inhabited Gemeinden and the Landkreise of the imported territory (a kreisfreie Stadt
    takes part as its Gemeinde). Kreise are never a lead nor anyone's neighbour, so they need
    no position."""
    found = []
    rows = Area.objects.filter(kind=Area.Kind.GEMEINDE, gemeindefrei=False,
                               lat__isnull=False, lon__isnull=False)
    for ags, name, kreis, population, lat, lon in rows.values_list(
            "ags", "name", "parent__ags", "population", "lat", "lon"):
        found.append(Place(ags, name, kreis, population or 0, lat, lon))
    for ags, name, population in Area.objects.filter(
            kind=Area.Kind.KREIS, kreis_type=Area.KreisType.LANDKREIS).values_list(
            "ags", "name", "population"):
        found.append(Place(ags, name, ags, population or 0, 0.0, 0.0))
    return found


def _programme_row() -> dict:
    authority = Authority.objects.filter(
        kind=Authority.Kind.MINISTERIUM, is_demo=True,
        name__endswith="Förderstelle Interkommunale Zusammenarbeit").first()
    return {
        "slug": PROGRAMME_SLUG, "name": "IKZ-Förderung (historisch)",
        "description": (
            "Demo: die Förderung interkommunaler Zusammenarbeit von 2008 bis Juni 2020. Die "
            "Summen entsprechen den veröffentlichten Zahlen des Hessischen Ministeriums des "
            "Innern; Kooperationen, Mitglieder und einzelne Beträge sind erfundene Demodaten."),
        "amount_per_member": Decimal("25000.00"), "min_members": 2, "eligible_task_areas": [],
        "opens_on": FIRST_DAY, "closes_on": LAST_DAY,
        "authority_id": authority.pk if authority else None, "is_demo": True,
    }


def _grant_row(programme_id: int, cooperation_id: int, g: PlannedGrant) -> dict:
    proof_due = date(g.year + 2, 6, 30)
    return {
        "programme_id": programme_id, "cooperation_id": cooperation_id, "year": g.year,
        "decided_on": g.decided_on, "task_area": g.task_area, "participations": len(g.members),
        "amount": g.amount, "payout": Grant.Payout.PAID,
        "paid_out_on": g.decided_on + timedelta(days=60), "proof": Grant.Proof.ACCEPTED,
        "proof_due_on": proof_due, "proof_received_on": proof_due - timedelta(days=30),
        "is_demo": True,
    }


def _sync_links(model, owner: str, existing: list[tuple], wanted: dict[tuple, dict]) -> int:
    """Make the rows of a link table (owner id, area id) → extra fields equal to `wanted`."""
    changes, stale = 0, []
    for pk, key, values in existing:
        if key not in wanted:
            stale.append(pk)
        elif values != wanted[key]:
            model.objects.filter(pk=pk).update(**wanted[key])
            changes += 1
    have = {key for _pk, key, _values in existing}
    extra = [model(**{f"{owner}_id": o, "area_id": a}, **values)
             for (o, a), values in wanted.items() if (o, a) not in have]
    model.objects.filter(pk__in=stale).delete()
    model.objects.bulk_create(extra, batch_size=500)
    return changes + len(stale) + len(extra)


@transaction.atomic
def load_history() -> dict[str, int]:
    """Create or update the historical demo programme, its cooperations and grants
    (idempotent: a second run changes nothing)."""
    planned = plan(places())
    changes = sum(upsert(Programme, "slug", [_programme_row()]))
    programme = Programme.objects.get(slug=PROGRAMME_SLUG)
    area_ids = dict(Area.objects.filter(ags__in={a for g in planned for a in g.members})
                    .values_list("ags", "id"))
    changes += sum(upsert(Cooperation, "slug", [
        {"slug": g.slug, "name": g.name, "task_area": g.task_area,
         "description": f"Historische Demo-Kooperation (erfundene Daten), gefördert {g.year}.",
         "lead_id": area_ids[g.lead], "starts_on": g.starts_on, "ends_on": None,
         "is_demo": True}
        for g in planned]))
    ours = Cooperation.objects.filter(slug__startswith=SLUG_PREFIX, is_demo=True)
    coop_ids = dict(ours.values_list("slug", "id"))
    wanted_slugs = {g.slug for g in planned}

    gone = [pk for slug, pk in coop_ids.items() if slug not in wanted_slugs]
    if gone:  # an older plan had more grants
        stale_grants = Grant.objects.filter(programme=programme, cooperation_id__in=gone)
        changes += stale_grants.count()
        stale_grants.delete()
        Member.objects.filter(cooperation_id__in=gone).delete()
        changes += Cooperation.objects.filter(pk__in=gone, grants__isnull=True).delete()[0]

    changes += _sync_links(
        Member, "cooperation",
        [(pk, (c, a), {"joined_on": j}) for pk, c, a, j in Member.objects.filter(
            cooperation__in=ours).values_list("id", "cooperation_id", "area_id", "joined_on")],
        {(coop_ids[g.slug], area_ids[ags]): {"joined_on": g.starts_on}
         for g in planned for ags in g.members})

    changes += sum(upsert(Grant, ("programme_id", "cooperation_id"),
                          [_grant_row(programme.pk, coop_ids[g.slug], g) for g in planned]))
    grant_ids = dict(Grant.objects.filter(programme=programme)
                     .values_list("cooperation_id", "id"))
    through = Grant.areas.through
    changes += _sync_links(
        through, "grant",
        [(pk, (gr, a), {}) for pk, gr, a in through.objects.filter(
            grant__programme=programme).values_list("id", "grant_id", "area_id")],
        {(grant_ids[coop_ids[g.slug]], area_ids[ags]): {}
         for g in planned for ags in g.members})

    if changes:
        stats.grants_changed()  # bulk writes send no signals
    return {"grants": len(planned), "changes": changes,
            "participations": sum(len(g.members) for g in planned)}
