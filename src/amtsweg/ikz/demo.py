"""Demo cooperations (invented, plausible in kind) and the demo service owned by one of them.

"IKZ Ederbergland digital" (four Gemeinden in Waldeck-Frankenberg, led by Allendorf (Eder))
owns the online service "Hund zur Hundesteuer anmelden" (`seed/hundesteuer-anmeldung.json`,
a real form definition): published, adopted by the lead's Bürgerbüro with local parameters
and by the other members' Bürgerbüros in one step (`actions.adopt_for_members`). Every row
is marked `is_demo`; running the loader again changes nothing.
"""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from amtsweg.services import actions as services
from amtsweg.services.demo import DEMO_IBAN, seed_version
from amtsweg.services.models import Adoption
from amtsweg.territory.models import Area, Authority

from . import actions
from .models import Cooperation, Member, SharedStaff, TaskArea

SEED = Path(__file__).parent / "seed" / "hundesteuer-anmeldung.json"
EDERBERGLAND = "ederbergland-digital"

COOPERATIONS = [
    {"slug": EDERBERGLAND, "name": "IKZ Ederbergland digital",
     "task_area": TaskArea.DIGITALISIERUNG, "lead": "06635001",
     "members": ["06635001", "06635004", "06635006", "06635014"],
     "starts_on": datetime.date(2021, 1, 1), "ends_on": None,
     "description": "Allendorf (Eder), Battenberg (Eder), Burgwald und Hatzfeld (Eder) bauen "
                    "ihre Onlinedienste gemeinsam, teilen sich eine IT-Koordination und "
                    "betreiben die Dienste für alle vier Kommunen.",
     "staff": [
         {"role": "IT-Koordination (gemeinsam eingestellt)", "name": "Jana Beispiel",
          "employer": "06635001", "hours": "39.0", "public": True},
         {"role": "Informationssicherheitsbeauftragte:r", "name": "Tom Muster",
          "employer": "06635004", "hours": "19.5", "public": False},
     ]},
    {"slug": "standesamt-oberer-vogelsberg", "name": "Gemeinsames Standesamt Oberer Vogelsberg",
     "task_area": TaskArea.STANDESAMT, "lead": "06535007",
     "members": ["06535007", "06535008", "06535012", "06535018"],
     "starts_on": datetime.date(2016, 1, 1), "ends_on": None,
     "description": "Ein Standesamtsbezirk für Grebenhain, Herbstein, Lautertal (Vogelsberg) "
                    "und Ulrichstein mit Sitz in Grebenhain.",
     "staff": [
         {"role": "Standesbeamtin/Standesbeamter", "name": "Alex Beispiel",
          "employer": "06535007", "hours": "39.0", "public": False},
     ]},
    {"slug": "bauhof-antrifttal-kirtorf-romrod",
     "name": "Interkommunaler Bauhof Antrifttal, Kirtorf und Romrod",
     "task_area": TaskArea.BAUHOF, "lead": "06535010",
     "members": ["06535002", "06535010", "06535014"],
     "starts_on": datetime.date(2018, 7, 1), "ends_on": datetime.date(2028, 6, 30),
     "description": "Ein gemeinsamer Bauhof mit abgestimmter Maschinenplanung und "
                    "Winterdienst für drei Kommunen.",
     "staff": []},
    {"slug": "informationssicherheit-waldeck-frankenberg",
     "name": "Informationssicherheit Waldeck-Frankenberg",
     "task_area": TaskArea.DIGITALISIERUNG, "lead": "06635",
     "members": ["06635", "06635007", "06635008", "06635018", "06635020"],
     "starts_on": datetime.date(2020, 4, 1), "ends_on": None,
     "description": "Der Landkreis stellt einen Informationssicherheitsbeauftragten für "
                    "Diemelsee, Diemelstadt, Twistetal und Volkmarsen.",
     "staff": [
         {"role": "Informationssicherheitsbeauftragte:r (ISB)", "name": "Kim Muster",
          "employer": "06635", "hours": "39.0", "public": True},
     ]},
]


def _cooperation(spec: dict, areas: dict[str, Area]) -> Cooperation:
    cooperation = Cooperation.objects.filter(slug=spec["slug"]).first()
    if cooperation is None:
        cooperation = actions.create_cooperation(
            None, name=spec["name"], task_area=spec["task_area"], lead=areas[spec["lead"]],
            starts_on=spec["starts_on"], ends_on=spec["ends_on"],
            description=spec["description"], slug=spec["slug"], is_demo=True)
    have = set(cooperation.members.values_list("area__ags", flat=True))
    for ags in spec["members"]:
        if ags not in have:
            actions.add_member(None, cooperation, areas[ags], joined_on=spec["starts_on"])
    if not cooperation.shared_staff.exists():
        for person in spec["staff"]:
            actions.add_shared_staff(
                None, cooperation, role=person["role"], name=person["name"],
                employer=areas[person["employer"]], hours_per_week=Decimal(person["hours"]),
                name_public=person["public"])
    return cooperation


def _adopt_dog_tax(cooperation: Cooperation) -> int:
    """Publish the service (a new version when the file changed), let the lead's
    Bürgerbüro adopt it with local parameters, then every member in one step."""
    data = json.loads(SEED.read_text(encoding="utf-8"))
    version = seed_version(data, owner_cooperation=cooperation)
    service = version.service
    Adoption.objects.filter(service=service).exclude(version=version).update(version=version)
    lead_office = Authority.objects.filter(area_id=cooperation.lead_id, is_demo=True,
                                           kind=Authority.Kind.BUERGERBUERO).first()
    if lead_office is None:  # demo Behörden not loaded
        return 0
    if not Adoption.objects.filter(service=service, authority=lead_office).exists():
        services.adopt(None, lead_office, version, {
            "processing": "Bescheid in der Regel innerhalb von zwei Wochen",
            "contact": {"email": lead_office.email, "phone": lead_office.phone},
            "payment_account": {"holder": "Gemeinsame Kasse Ederbergland (Demo)",
                                "iban": DEMO_IBAN, "bank": "Demo-Bank (Beispiel)"},
            "signer": {"name": "Team Steuern Ederbergland", "role": "Steuerverwaltung"},
        })
    actions.adopt_for_members(None, cooperation, service=service)
    return Adoption.objects.filter(service=service).count()


@transaction.atomic
def load_demo_cooperations() -> dict[str, int]:
    codes = {ags for spec in COOPERATIONS for ags in spec["members"]}
    areas = {a.ags: a for a in Area.objects.filter(ags__in=codes)}
    cooperations = [_cooperation(spec, areas) for spec in COOPERATIONS]
    adoptions = _adopt_dog_tax(cooperations[0])
    return {"cooperations": len(cooperations),
            "members": Member.objects.filter(cooperation__in=cooperations).count(),
            "staff": SharedStaff.objects.filter(cooperation__in=cooperations).count(),
            "adoptions": adoptions}
