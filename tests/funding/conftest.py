"""The demo funding programme (loaded by import_data), the Förderstelle, and the lead Kommune
applying with its organisation account through the online service."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from amtsweg.accounts.models import Membership, Organisation, User
from amtsweg.funding import demo
from amtsweg.funding.models import Budget, Programme
from amtsweg.services import actions as services
from amtsweg.submissions import actions as submit_actions
from amtsweg.submissions.models import Submission
from amtsweg.territory.models import Area, Authority

ALLENDORF, BATTENBERG, BURGWALD, HATZFELD = "06635001", "06635004", "06635006", "06635014"
FOUR = (ALLENDORF, BATTENBERG, BURGWALD, HATZFELD)
COOPERATION = "ederbergland-digital"
_n = itertools.count()


@pytest.fixture
def programme() -> Programme:
    return Programme.objects.get(slug=demo.PROGRAMME_SLUG)


@pytest.fixture
def foerderstelle() -> Authority:
    return demo.foerderstelle()


@pytest.fixture
def budget(programme) -> Budget:
    return Budget.objects.get(programme=programme, year=timezone.localdate().year)


def kommune_account(ags: str = ALLENDORF, kind: str = Organisation.Kind.KOMMUNE,
                    members: int = 1) -> tuple[Organisation, list[User]]:
    """An organisation account (of a Gemeinde, unless `kind` says otherwise) with members."""
    area = Area.objects.get(ags=ags)
    organisation = Organisation.objects.create(name=f"Gemeinde {area.display_name}",
                                               kind=kind, area=area)
    users = []
    for i in range(members):
        user = User.objects.create_user(f"person{next(_n)}@kommune.example", "Sehr-geheim-2026",
                                        first_name="Petra", last_name=f"Person{i}")
        Membership.objects.create(organisation=organisation, user=user,
                                  role=Membership.Role.ADMIN if i == 0 else
                                  Membership.Role.MEMBER)
        users.append(user)
    return organisation, users


def answers(*, members=FOUR, costs="120000.00", task_area="digitalisierung",
            cooperation: str | None = COOPERATION, new_cooperation: str = "",
            consent: date | None = None) -> dict:
    consent = consent or timezone.localdate() - timedelta(days=10)
    start = timezone.localdate() + timedelta(days=30)
    values = {
        "projekt_titel": "Gemeinsames Bürgerportal Ederbergland",
        "projekt_beschreibung": "Vier Kommunen bauen ihre Onlinedienste gemeinsam.",
        "aufgabenbereich": task_area,
        "laufzeit_beginn": start.isoformat(),
        "laufzeit_ende": (start + timedelta(days=364)).isoformat(),
        "kommunen": [{"ags": ags, "zustimmung_am": consent.isoformat()} for ags in members],
        "kostenplan": [{"position": "Software", "betrag": "90000.00"},
                       {"position": "Schulung", "betrag": "60000.00"}],
        "foerderfaehige_kosten": costs,
        "personalplan": [{"funktion": "IT-Koordination", "umfang": "1.0",
                          "traeger": "Allendorf (Eder)"}],
        "zustimmungen_vorhanden": True, "nicht_begonnen": True,
    }
    if new_cooperation:
        values.update(verbund_art="neu", verbund_name=new_cooperation)
    else:
        values.update(verbund_art="bestehend", verbund_kennung=cooperation)
    return values


def apply(organisation: Organisation, user: User, **kw) -> Submission:
    """The organisation's member applies for funding at the organisation's place; the outbox
    task (run at once in tests) opens the case and records the funding application."""
    service = services.OnlineService.objects.get(slug="foerderantrag-ikz")
    adoption = services.offered(service.leistung_id, organisation.area_id, service.slug)
    assert adoption is not None, "the funding application is not offered there"
    draft, _token = submit_actions.start(adoption=adoption, area=organisation.area, user=user,
                                         organisation=organisation, trust_level="basis")
    draft.set_content(answers=answers(**kw))
    draft.save()
    return submit_actions.submit(draft.pk, user=user, accepted=True)


def set_budget(programme: Programme, amount: str) -> Budget:
    budget, _created = Budget.objects.update_or_create(
        programme=programme, year=timezone.localdate().year,
        defaults={"amount": Decimal(amount)})
    return budget
