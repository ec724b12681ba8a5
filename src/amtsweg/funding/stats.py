"""Statistics of the IKZ funding programme: per year, in total, by task area and by Kreis.

What is counted (docs/funding.md, "Statistics"):
- funded cooperations: distinct cooperations with a grant in the period (one grant is one
  project; a cooperation funded in two years counts in each year, once in the total);
- participations: the sum of `Grant.participations`, repeats included (a Kommune in three
  funded projects counts three times); Kommunen: distinct areas named in `Grant.areas`;
- amount: the sum of the granted amounts;
- by Kreis: every participation of a Gemeinde counts for its Kreis, of a Kreis for itself.

All grants of every programme count. The figures come from a few aggregate queries (never a
loop over grants) and are cached under the version of the grant data, which every change of a
grant gives a new value (see `grants_changed`).
"""

import secrets
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, F, Max, Min, Q, Sum, Value, When
from django.db.models.signals import m2m_changed, post_delete, post_save

from amtsweg.core.models import DataVersion
from amtsweg.core.text import fold
from amtsweg.ikz.models import TaskArea
from amtsweg.territory.models import Area

from .models import Grant

VERSION_KEY = "funding-grants"
TERRITORY_KEY = "territory"  # Kreis names come from the territory
CACHE_SECONDS = 24 * 3600
SCHEMA = 1  # part of the cache key: raise it when the shape of the result changes

Stats = dict[str, Any]


def grants_changed() -> None:
    """Give the grant data a new version, in the caller's transaction.

    The version is random rather than counted up: a transaction that is rolled back takes its
    version with it, and because that value never comes back, figures cached under it by the
    writing process are never served. Bulk writes (which send no signals) call this
    themselves."""
    with transaction.atomic():
        obj, _created = DataVersion.objects.get_or_create(key=VERSION_KEY)
        DataVersion.objects.filter(pk=obj.pk).update(version=secrets.randbits(62))


def _on_grant_change(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        grants_changed()


post_save.connect(_on_grant_change, sender=Grant, dispatch_uid="funding-stats-save")
post_delete.connect(_on_grant_change, sender=Grant, dispatch_uid="funding-stats-delete")
m2m_changed.connect(_on_grant_change, sender=Grant.areas.through, dispatch_uid="funding-stats-m2m")


def _versions() -> tuple[int, int]:
    found = dict(DataVersion.objects.filter(key__in=[VERSION_KEY, TERRITORY_KEY])
                 .values_list("key", "version"))
    return found.get(VERSION_KEY, 0), found.get(TERRITORY_KEY, 0)


def statistics(year_from: int | None = None, year_to: int | None = None) -> Stats:
    """The programme's figures for the years year_from..year_to (None: open end).

    Returns a dict with `totals`, `years`, `task_areas`, `kreise`, `bounds` (first and last
    year with a grant, whatever the filter), `demo` (whether demo grants are included) and
    `range`; amounts are Decimals in EUR. Task areas and Kreise without grants are included
    with zeros. Labels are left to the caller (they depend on the language)."""
    grants_version, territory_version = _versions()
    key = (f"funding:stats:{SCHEMA}:{grants_version}:{territory_version}:"
           f"{year_from}:{year_to}")
    found = cache.get(key)
    if found is None:
        found = _compute(year_from, year_to)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _year_filter(prefix: str, year_from: int | None, year_to: int | None) -> Q:
    q = Q()
    if year_from is not None:
        q &= Q(**{f"{prefix}year__gte": year_from})
    if year_to is not None:
        q &= Q(**{f"{prefix}year__lte": year_to})
    return q


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(Decimal("0.01"))


def _compute(year_from: int | None, year_to: int | None) -> Stats:
    grants = Grant.objects.filter(_year_filter("", year_from, year_to)).order_by()
    links = Grant.areas.through.objects.filter(
        _year_filter("grant__", year_from, year_to)).order_by()
    measures = {"grants": Count("id"), "cooperations": Count("cooperation", distinct=True),
                "participations": Sum("participations"), "amount": Sum("amount")}

    totals = grants.aggregate(**measures, demo=Count("id", filter=Q(is_demo=True)))
    totals["kommunen"] = links.aggregate(n=Count("area", distinct=True))["n"]

    kommunen_per_year = dict(links.values("grant__year").annotate(
        n=Count("area", distinct=True)).values_list("grant__year", "n"))
    years = [
        {"year": row["year"], "grants": row["grants"], "cooperations": row["cooperations"],
         "participations": row["participations"] or 0,
         "kommunen": kommunen_per_year.get(row["year"], 0), "amount": _money(row["amount"]),
         "last_decision": row["last_decision"]}
        for row in grants.values("year").annotate(**measures, last_decision=Max("decided_on"))
        .order_by("year")
    ]

    by_task = {row["task_area"]: row for row in grants.values("task_area").annotate(**measures)}
    task_areas = sorted(
        ({"key": key, "grants": by_task.get(key, {}).get("grants", 0),
          "cooperations": by_task.get(key, {}).get("cooperations", 0),
          "participations": by_task.get(key, {}).get("participations") or 0,
          "amount": _money(by_task.get(key, {}).get("amount"))}
         for key in list(TaskArea.values) + sorted(set(by_task) - set(TaskArea.values))),
        key=lambda r: (-r["amount"], -r["participations"], r["key"]))

    kreis_of = Case(When(area__kind=Area.Kind.KREIS, then=F("area_id")),
                    When(area__kind=Area.Kind.GEMEINDE, then=F("area__parent_id")),
                    default=Value(None), output_field=BigIntegerField())
    by_kreis = {row["kreis"]: row for row in links.annotate(kreis=kreis_of).values("kreis")
                .annotate(participations=Count("id"), kommunen=Count("area", distinct=True),
                          cooperations=Count("grant__cooperation", distinct=True))}
    kreise = sorted(
        ({"ags": ags, "name": name, "kreis_type": kreis_type,
          "participations": by_kreis.get(pk, {}).get("participations", 0),
          "kommunen": by_kreis.get(pk, {}).get("kommunen", 0),
          "cooperations": by_kreis.get(pk, {}).get("cooperations", 0)}
         for pk, ags, name, kreis_type in Area.objects.filter(kind=Area.Kind.KREIS)
         .values_list("id", "ags", "name", "kreis_type")),
        key=lambda r: fold(r["name"]))

    bounds = Grant.objects.aggregate(first=Min("year"), last=Max("year"))
    return {
        "range": {"from": year_from, "to": year_to},
        "bounds": bounds if bounds["first"] is not None else None,
        "totals": {"grants": totals["grants"], "cooperations": totals["cooperations"],
                   "participations": totals["participations"] or 0,
                   "kommunen": totals["kommunen"], "amount": _money(totals["amount"])},
        "years": years,
        "task_areas": task_areas,
        "kreise": kreise,
        "demo": bool(totals["demo"]),
    }
