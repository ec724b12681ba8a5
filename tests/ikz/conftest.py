import datetime
import json

import pytest

from amtsweg.ikz import actions
from amtsweg.ikz.demo import SEED
from amtsweg.ikz.models import Cooperation, TaskArea
from amtsweg.services import actions as services
from amtsweg.territory.models import Area, Authority

ALHEIM, BEBRA, BREITENBACH, KREIS = "06632001", "06632003", "06632004", "06632"


def area(ags: str) -> Area:
    return Area.objects.get(ags=ags)


def office(ags: str, kind: str = Authority.Kind.BUERGERBUERO) -> Authority:
    return Authority.objects.get(area__ags=ags, kind=kind, is_demo=True)


@pytest.fixture
def demo() -> Cooperation:
    return Cooperation.objects.get(slug="ederbergland-digital")


@pytest.fixture
def coop() -> Cooperation:
    """A new cooperation in Hersfeld-Rotenburg: Alheim (lead), Bebra, Breitenbach, the Kreis."""
    cooperation = actions.create_cooperation(
        None, name="IKZ Fulda-Haune digital", task_area=TaskArea.DIGITALISIERUNG,
        lead=area(ALHEIM), starts_on=datetime.date(2025, 1, 1))
    for ags in (BEBRA, BREITENBACH, KREIS):
        actions.add_member(None, cooperation, area(ags))
    return cooperation


def cooperation_service(cooperation: Cooperation, slug: str = "hundesteuer-test",
                        publish: bool = True):
    data = json.loads(SEED.read_text(encoding="utf-8"))
    data["slug"] = slug
    service = services.import_service(None, data, owner_cooperation=cooperation,
                                      publish_now=publish)
    return service
