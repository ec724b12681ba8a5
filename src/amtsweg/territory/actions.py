"""State changes of the territory app: imports of the shipped data and demo authorities."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from amtsweg.core.importing import progress_bar, upsert

from .models import Area, GermanPostalCode, PostalCode

DATA_DIR = Path(__file__).resolve().parent / "data"

LAND = {"ags": "06", "ars": "06", "name": "Hessen"}
REGIERUNGSBEZIRKE = {"Darmstadt": "064", "Gießen": "065", "Kassel": "066"}


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@transaction.atomic
def import_territory(*, progress: bool = False) -> dict[str, int]:
    """Import Land, Regierungsbezirke, Kreise, Gemeinden and PLZ from the shipped CSV files.

    Idempotent: rows are matched on their AGS (PLZ pairs on PLZ, Gemeinde and place), so a
    second run changes nothing and a corrected file updates what changed.
    """
    gemeinden = _read("gemeinden_hessen.csv")
    kreise = _read("kreise_hessen.csv")
    plz_rows = _read("plz_hessen.csv")
    stats: dict[str, int] = {}

    upsert(Area, "ags", [{**LAND, "kind": Area.Kind.LAND, "parent": None,
                          "population": sum(int(g["einwohner"] or 0) for g in gemeinden)}])
    land = Area.objects.get(ags=LAND["ags"])
    upsert(Area, "ags", [
        {"ags": code, "ars": code, "name": f"Regierungsbezirk {name}",
         "kind": Area.Kind.REGIERUNGSBEZIRK, "parent_id": land.pk}
        for name, code in REGIERUNGSBEZIRKE.items()
    ])
    rb = {a.name.removeprefix("Regierungsbezirk "): a.pk
          for a in Area.objects.filter(kind=Area.Kind.REGIERUNGSBEZIRK)}
    upsert(Area, "ags", [
        {"ags": k["kreis_ags"], "ars": k["kreis_ags"], "name": k["name"],
         "kind": Area.Kind.KREIS, "kreis_type": k["typ"], "parent_id": rb[k["regierungsbezirk"]],
         "population": int(k["einwohner"])}
        for k in kreise
    ], progress=progress_bar("Kreise", len(kreise), progress))
    kreis_ids = {a.ags: a.pk for a in Area.objects.filter(kind=Area.Kind.KREIS)}
    upsert(Area, "ags", [
        {"ags": g["ags"], "ars": g["ars"], "name": g["name"], "kind": Area.Kind.GEMEINDE,
         "parent_id": kreis_ids[g["kreis_ags"]], "population": int(g["einwohner"] or 0),
         "area_km2": Decimal(g["flaeche_km2"]).quantize(Decimal("0.01")),
         "seat_plz": g["plz_verwaltungssitz"], "lat": float(g["lat"]), "lon": float(g["lon"]),
         "gemeindefrei": g["gemeindefrei"] == "1"}
        for g in gemeinden
    ], progress=progress_bar("Gemeinden", len(gemeinden), progress))
    stats["areas"] = Area.objects.count()

    gemeinde_ids = {a.ags: a.pk for a in Area.objects.filter(kind=Area.Kind.GEMEINDE)}
    existing = set(PostalCode.objects.values_list("plz", "area_id", "place"))
    wanted = {(p["plz"], gemeinde_ids[p["ags"]], p["ort"]) for p in plz_rows}
    new = [PostalCode(plz=plz, area_id=area, place=place)
           for plz, area, place in progress_bar("PLZ", len(wanted), progress)(sorted(wanted))
           if (plz, area, place) not in existing]
    PostalCode.objects.bulk_create(new, batch_size=500)
    stale = existing - wanted
    for plz, area, place in stale:
        PostalCode.objects.filter(plz=plz, area_id=area, place=place).delete()
    stats["postal_codes"] = PostalCode.objects.count()
    stats["german_postal_codes"] = import_german_postal_codes(progress=progress)
    from . import lookup

    lookup.changed()
    return stats


@transaction.atomic
def import_german_postal_codes(*, progress: bool = False) -> int:
    """Import every German PLZ ↔ Gemeinde ↔ place row (about 12,900) for the address check.

    Idempotent like the PLZ pairs above: a second run writes nothing, a corrected file adds
    and removes only what changed. The shipped file lost the leading zero of the PLZ 0xxxx
    (a spreadsheet read them as numbers); they are padded back here.
    """
    wanted: dict[tuple[str, str, str], str] = {}
    for row in _read("plz_deutschland.csv"):
        plz, ags = row["plz"].strip().zfill(5), row["ags"].strip().zfill(8)
        if not (plz.isdecimal() and len(plz) == 5 and ags.isdecimal() and len(ags) == 8):
            raise ValueError(f"plz_deutschland.csv: bad row {row!r}")
        wanted[(plz, ags, row["ort"].strip())] = row["bundesland"].strip()
    existing = {(plz, ags, place): (pk, land) for pk, plz, ags, place, land in
                GermanPostalCode.objects.values_list("pk", "plz", "ags", "place", "land")}
    new = [GermanPostalCode(plz=plz, ags=ags, place=place, land=land)
           for (plz, ags, place), land in progress_bar("PLZ Deutschland", len(wanted), progress)(
               sorted(wanted.items()))
           if (plz, ags, place) not in existing]
    GermanPostalCode.objects.bulk_create(new, batch_size=1000)
    changed = [GermanPostalCode(pk=pk, plz=key[0], ags=key[1], place=key[2], land=wanted[key])
               for key, (pk, land) in existing.items() if key in wanted and wanted[key] != land]
    GermanPostalCode.objects.bulk_update(changed, ["land"], batch_size=1000)
    stale = [pk for key, (pk, _) in existing.items() if key not in wanted]
    for start in range(0, len(stale), 500):
        GermanPostalCode.objects.filter(pk__in=stale[start:start + 500]).delete()
    if new or changed or stale:
        from . import lookup

        lookup.changed()  # the address check's PLZ cache listens to territory_changed
    return GermanPostalCode.objects.count()
