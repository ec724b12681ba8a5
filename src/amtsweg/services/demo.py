"""The seed services: shipped as export files, owned by the Land, adopted by demo Behörden.

Adoption in the demo: every responsible Behörde at Kreis or Land level adopts; of the
Gemeinde-level Behörden (Standesamt, Bürgerbüro) four in five do (those whose AGS is not a
multiple of 5), so that the portal shows "Online beantragen" in some places and not in others,
as it is in reality. See docs/services.md.
"""

import json

from django.db import transaction

from amtsweg.territory.models import Area, Authority, Responsibility

from . import actions
from .models import Adoption, OnlineService, ServiceVersion

DEMO_IBAN = "DE02120300000000202051"  # a well-known example IBAN, never a real account


def adopts(authority: Authority) -> bool:
    area = authority.area
    return area.kind != Area.Kind.GEMEINDE or int(area.ags) % 5 != 0


def _params(authority: Authority, processing: str) -> dict:
    return {
        "processing": processing,
        "contact": {"email": authority.email, "phone": authority.phone},
        "payment_account": {"holder": authority.name[:70], "iban": DEMO_IBAN,
                            "bank": "Demo-Bank (Beispiel)"},
        "signer": {"name": f"Team {authority.short_name or authority.name}"},
    }


def _processing(resp: Responsibility) -> str:
    if resp.processing_min is None:
        return ""
    units = {"day": "Tage", "workday": "Arbeitstage", "week": "Wochen", "month": "Monate"}
    return (f"{resp.processing_min} bis {resp.processing_max} "
            f"{units.get(resp.processing_unit, resp.processing_unit)}")


def seed_version(data: dict, **owner) -> ServiceVersion:
    """The published version of a shipped service file (`owner`: owner_area=…,
    owner_cooperation=…): imported the first time, published again as a new version when
    the file changed, else the existing version."""
    service = OnlineService.objects.filter(slug=data["slug"]).first()
    if service is None:
        service = actions.import_service(None, data, publish_now=True, is_demo=True, **owner)
        return service.versions.get()
    version = actions.latest_published(service)
    if version is not None and version.content_hash == actions._hash(data["version"]):
        return version
    draft = service.versions.filter(state=ServiceVersion.State.DRAFT).first()
    if draft is None:
        number = service.versions.count() + 1
        draft = ServiceVersion(service=service, number=number)
    for key in actions.VERSION_FIELDS:
        setattr(draft, key, data["version"].get(key, getattr(draft, key, None)) or
                ([] if key in ("applicants", "attachments") else {}))
    draft.content_hash = actions._hash(data["version"])
    draft.save()
    return actions.publish(None, draft)


@transaction.atomic
def load_demo_services() -> dict[str, int]:
    land = Area.objects.get(kind=Area.Kind.LAND)
    services = adoptions = 0
    for path in actions.seed_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        version = seed_version(data, owner_area=land)
        services += 1
        responsible = (Responsibility.objects.filter(leistung=version.service.leistung,
                                                     authority__is_demo=True)
                       .select_related("authority__area").order_by("authority_id"))
        rows, seen = [], set()
        for resp in responsible:
            if resp.authority_id in seen or not adopts(resp.authority):
                continue
            seen.add(resp.authority_id)
            rows.append(Adoption(authority=resp.authority, service=version.service,
                                 version=version, **_params(resp.authority, _processing(resp))))
        Adoption.objects.bulk_create(rows, ignore_conflicts=True)
        Adoption.objects.filter(service=version.service).update(version=version)
        adoptions += len(rows)
    return {"services": services, "adoptions": adoptions}
