"""State changes of the catalogue: the import of LeiKa and OZG data shipped with the package."""

import csv
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from amtsweg.core.importing import progress_bar, upsert
from amtsweg.core.models import DataVersion
from amtsweg.core.text import fold

from .models import Lebenslage, Leistung, OzgLeistung, Themenfeld

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _slug(name: str) -> str:
    return slugify(fold(name))


@transaction.atomic
def import_catalog(*, progress: bool = False) -> dict[str, int]:
    """Import Themenfelder, Lebenslagen, OZG-Leistungen and all LeiKa Leistungen (idempotent).

    Descriptions, documents and fees that the platform adds to a Leistung (demo texts for the
    services it offers online) come from ``leistung_details.csv`` and override nothing else.
    """
    ozg_rows = _read("ozg_leistungen.csv")
    leika_rows = _read("leistungen.csv")
    details = {r["leika_key"]: r for r in _read("leistung_details.csv")}

    upsert(Themenfeld, "name",
           [{"name": n, "slug": _slug(n)} for n in sorted({r["themenfeld"] for r in ozg_rows})])
    upsert(Lebenslage, "name",
           [{"name": n, "slug": _slug(n)} for n in sorted({r["lebenslage"] for r in ozg_rows})])
    themen = dict(Themenfeld.objects.values_list("name", "id"))
    lagen = dict(Lebenslage.objects.values_list("name", "id"))
    upsert(OzgLeistung, "ozg_id", [
        {"ozg_id": int(r["ozg_id"]), "name": r["name"], "lebenslage_id": lagen[r["lebenslage"]],
         "themenfeld_id": themen[r["themenfeld"]]}
        for r in ozg_rows
    ], progress=progress_bar("OZG-Leistungen", len(ozg_rows), progress))
    ozg = dict(OzgLeistung.objects.values_list("ozg_id", "id"))

    def leistung(r: dict[str, str]) -> dict:
        extra = details.get(r["leika_key"], {})
        ozg_id = int(r["ozg_id"]) if r["ozg_id"].isdecimal() else None
        return {
            "leika_key": r["leika_key"],
            "name": r["name"],
            "leika_typ": r["leika_typ"],
            "ozg_id": ozg.get(ozg_id) if ozg_id else None,
            "legal_basis": r["rechtsgrundlage"],
            "description": extra.get("description", ""),
            "required_documents": extra.get("required_documents", ""),
            "fee": extra.get("fee", ""),
        }

    created, updated = upsert(Leistung, "leika_key", [leistung(r) for r in leika_rows],
                              progress=progress_bar("Leistungen", len(leika_rows), progress))
    DataVersion.bump("catalog")
    from . import search

    search.invalidate()
    return {
        "themenfelder": Themenfeld.objects.count(),
        "lebenslagen": Lebenslage.objects.count(),
        "ozg_leistungen": OzgLeistung.objects.count(),
        "leistungen": Leistung.objects.count(),
        "created": created,
        "updated": updated,
    }
