"""The demo funding programme "IKZ-Förderung Digitalisierung" and its online service.

The programme (25,000 EUR per participating Kommune, at least two Kommunen, task area
digitalisation, open since 2021, a budget for the current year) is run by the demo HMdI
IKZ-Förderstelle. Kommunen apply through the online service "Förderantrag Interkommunale
Zusammenarbeit" (`seed/foerderantrag-ikz.json`): owned by the Land, with its own workflow,
adopted by the Förderstelle, which is made responsible for its Leistung in the whole Land.

LeiKa has no Leistung for the funding of inter-municipal cooperation; the service uses
"Verbesserung der regionalen Wirtschaftsstruktur Förderung" (99132012027000, LeiKa type 4:
regulated and carried out by the Land) as the nearest entry (docs/funding.md).

Idempotent: running it again changes nothing; a changed seed file is published as a new
version and the adoption moves to it.
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from amtsweg.cases import workflow as flow
from amtsweg.catalog.models import Leistung
from amtsweg.services import actions as services
from amtsweg.services.models import Adoption, OnlineService, ServiceVersion
from amtsweg.territory.models import Area, Authority, Responsibility

from .models import Budget, Programme

SEED = Path(__file__).parent / "seed" / "foerderantrag-ikz.json"
PROGRAMME_SLUG = "ikz-digitalisierung"
OPENS_ON = date(2021, 1, 1)
YEARLY_BUDGET = Decimal("3000000.00")
ALLENDORF = "06635001"  # Allendorf (Eder): lead Kommune of the demo cooperation
ORGANISATION_NAME = "Gemeinde Allendorf (Eder)"
FOERDERSTELLE_LOGIN = "foerderstelle@demo.example"


def foerderstelle() -> Authority:
    return Authority.objects.get(kind=Authority.Kind.MINISTERIUM, is_demo=True,
                                 name__endswith="Förderstelle Interkommunale Zusammenarbeit")


def seed() -> dict:
    return json.loads(SEED.read_text(encoding="utf-8"))


def _service_version(data: dict, land: Area) -> ServiceVersion:
    """The published version of the seed file (with its workflow, which the export format
    does not carry), published anew when the file changed."""
    workflow = data["version"]["workflow"]
    if problems := flow.check(workflow):
        raise ValueError(f"{SEED.name}: workflow: {'; '.join(problems)}")
    content_hash = services._hash(data["version"])
    service = OnlineService.objects.filter(slug=data["slug"]).first()
    if service is None:
        service = services.import_service(None, data, owner_area=land, is_demo=True)
        draft = service.versions.get()
    else:
        latest = services.latest_published(service)
        if (latest is not None and latest.content_hash == content_hash
                and latest.workflow == workflow):
            return latest
        draft = service.versions.filter(state=ServiceVersion.State.DRAFT).first()
        if draft is None:
            number = (service.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            draft = ServiceVersion(service=service, number=number)
        for key in services.VERSION_FIELDS:
            setattr(draft, key, data["version"].get(key, services.FIELD_DEFAULTS.get(key)))
        draft.content_hash = content_hash
    draft.workflow = workflow
    draft.save()
    return services.publish(None, draft)


def _responsible(authority: Authority, leistung: Leistung, land: Area) -> None:
    """The Förderstelle is responsible for the funding application everywhere in Hessen."""
    current = Responsibility.objects.filter(leistung=leistung, area=land).first()
    if current is None:
        Responsibility.objects.create(leistung=leistung, area=land, authority=authority,
                                      processing_min=4, processing_max=8,
                                      processing_unit=Responsibility.DurationUnit.WEEK,
                                      origin="Amtsweg-Demo")
    elif current.authority_id != authority.pk:
        current.authority = authority
        current.save(update_fields=["authority"])


def _adopt(authority: Authority, version: ServiceVersion) -> None:
    current = Adoption.objects.filter(authority=authority, service=version.service).first()
    if current is not None and current.version_id == version.pk and current.active:
        return
    services.adopt(None, authority, version, {
        "processing": "In der Regel 4 bis 8 Wochen",
        "contact": {"email": authority.email, "phone": authority.phone},
        "signer": {"name": "Referat Interkommunale Zusammenarbeit",
                   "role": "Hessisches Ministerium des Innern, für Sicherheit und "
                           "Heimatschutz"},
    })


def _programme(authority: Authority, service: OnlineService) -> Programme:
    wanted = {
        "name": "IKZ-Förderung Digitalisierung",
        "description": ("Demo: das Land Hessen fördert Projekte interkommunaler Zusammenarbeit "
                        "in der Digitalisierung mit 25.000 EUR je beteiligter Kommune, "
                        "höchstens in Höhe der förderfähigen Kosten."),
        "amount_per_member": Decimal("25000.00"), "min_members": 2,
        "eligible_task_areas": ["digitalisierung"], "opens_on": OPENS_ON, "closes_on": None,
        "authority": authority, "service": service, "is_demo": True,
    }
    programme = Programme.objects.filter(slug=PROGRAMME_SLUG).first()
    if programme is None:
        return Programme.objects.create(slug=PROGRAMME_SLUG, **wanted)
    changed = [key for key, value in wanted.items() if getattr(programme, key) != value]
    if changed:
        for key in changed:
            setattr(programme, key, wanted[key])
        programme.save(update_fields=changed)
    return programme


@transaction.atomic
def load_demo_funding() -> dict[str, int]:
    """The demo programme, its budget of this year, the online service, its adoption by the
    Förderstelle and the Förderstelle's Zuständigkeit."""
    authority = foerderstelle()
    land = Area.objects.get(kind=Area.Kind.LAND)
    data = seed()
    version = _service_version(data, land)
    _responsible(authority, version.service.leistung, land)
    _adopt(authority, version)
    programme = _programme(authority, version.service)
    Budget.objects.get_or_create(programme=programme, year=timezone.localdate().year,
                                 defaults={"amount": YEARLY_BUDGET})
    return {"programmes": 1, "budgets": programme.budgets.count()}


def create_demo_logins(user_model, password: str, kommune_email: str) -> list[str]:
    """The demo Kommune login (kommune@demo.example) becomes a member of the organisation
    account of the Gemeinde Allendorf (Eder), which applies for funding; the Förderstelle gets
    a login with the roles Sachbearbeitung and Leitung. Returns lines for the console."""
    from amtsweg.accounts.actions import grant_staff_role
    from amtsweg.accounts.models import Membership, Organisation, StaffRole

    lines = []
    area = Area.objects.get(ags=ALLENDORF)
    organisation = Organisation.objects.filter(kind=Organisation.Kind.KOMMUNE, area=area).first()
    if organisation is None:
        organisation = Organisation.objects.create(name=ORGANISATION_NAME, area=area,
                                                   kind=Organisation.Kind.KOMMUNE)
    kommune = user_model.objects.filter(email=kommune_email).first()
    if kommune is not None:
        Membership.objects.get_or_create(organisation=organisation, user=kommune,
                                         defaults={"role": Membership.Role.ADMIN})
        lines.append(f"Demo organisation account: {organisation.name} (member {kommune_email}), "
                     "applies for IKZ funding")
    clerk = user_model.objects.filter(email=FOERDERSTELLE_LOGIN).first()
    if clerk is None:
        clerk = user_model.objects.create_user(
            FOERDERSTELLE_LOGIN, password, first_name="Demo", last_name="Förderstelle",
            email_verified_at=timezone.now())
    authority = foerderstelle()
    for role in (StaffRole.Role.CLERK, StaffRole.Role.LEAD):
        grant_staff_role(clerk, authority, role)
    lines.append(f"Demo Förderstelle login: {FOERDERSTELLE_LOGIN} / {password} "
                 "(at /verwaltung/foerderung/ and /verwaltung/faelle/)")
    return lines
