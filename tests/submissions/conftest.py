import pytest

from amtsweg.services import actions as service_actions
from amtsweg.services.models import Adoption, OnlineService
from amtsweg.territory.models import Area, Authority
from tests.accounts.conftest import client  # noqa: F401 - runs on_commit callbacks

SMALL_FORM = {
    "format": "amtsweg.form/1",
    "title": {"de": "Testantrag", "en": "Test application"},
    "steps": [
        {"key": "person", "title": {"de": "Person", "en": "Person"}, "items": [
            {"type": "text", "key": "vorname", "label": {"de": "Vorname", "en": "Given name"},
             "required": True, "prefill": "given_name"},
            {"type": "text", "key": "familienname", "required": True,
             "label": {"de": "Familienname", "en": "Family name"}, "prefill": "family_name"},
            {"type": "choice", "key": "zweck", "required": True,
             "label": {"de": "Zweck", "en": "Purpose"},
             "options": [{"value": "rente", "label": {"de": "Rente"}},
                         {"value": "sonstiges", "label": {"de": "Sonstiges"}}]},
            {"type": "text", "key": "zweck_text", "required": True,
             "label": {"de": "Anderer Zweck", "en": "Other purpose"},
             "visible": {"==": [{"var": "zweck"}, "sonstiges"]}},
        ]},
        {"key": "weiteres", "title": {"de": "Weiteres", "en": "More"}, "items": [
            {"type": "integer", "key": "anzahl", "required": True, "min": 1, "max": 10,
             "label": {"de": "Anzahl", "en": "Number"}},
            {"type": "file", "key": "nachweis", "label": {"de": "Nachweis", "en": "Proof"},
             "file": {"types": ["application/pdf", "image/png"], "max_size": 100000,
                      "max_count": 2}},
        ]},
    ],
}


@pytest.fixture
def allendorf() -> Area:
    return Area.objects.get(ags="06635001")


@pytest.fixture
def standesamt(allendorf) -> Authority:
    return Authority.objects.get(area=allendorf, kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def small_service(standesamt) -> Adoption:
    return make_small_service(standesamt)


def make_small_service(standesamt: Authority) -> Adoption:
    from amtsweg.catalog.models import Leistung

    service = service_actions.create_service(
        None, leistung=Leistung.objects.get(leika_key="99027002012000"),
        title={"de": "Testantrag", "en": "Test application"}, owner_authority=standesamt,
        version={"form": SMALL_FORM, "applicants": ["person", "guest"],
                 "fee": {"amount": {"*": [12, {"var": "anzahl"}]}, "example": True}})
    version = service_actions.publish(None, service.versions.get())
    # The seed Geburtsurkunde is adopted there too; this test service replaces it.
    Adoption.objects.filter(authority=standesamt,
                            service__leistung__leika_key="99027002012000").delete()
    return service_actions.adopt(None, standesamt, version, {"fee": None})


@pytest.fixture
def seed(db) -> dict[str, OnlineService]:
    return {s.slug: s for s in OnlineService.objects.filter(is_demo=True)}


@pytest.fixture
def small_service_tx(transactional_db):
    from django.core.management import call_command

    if not Area.objects.exists():  # an earlier transactional test flushed the tables
        call_command("import_data", demo=True, quiet=True, verbosity=0)
    standesamt = Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)
    return make_small_service(standesamt)
