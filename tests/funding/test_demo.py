"""The demo programme and its online service: offered through the Förderstelle everywhere in
Hessen, with the funding workflow; loading twice changes nothing; the demo logins."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from amtsweg.accounts.models import Membership, Organisation, StaffRole, User
from amtsweg.cases import workflow
from amtsweg.forms.schema import validate_definition
from amtsweg.funding import demo
from amtsweg.funding.models import Budget, Programme
from amtsweg.ikz.models import TaskArea
from amtsweg.services import actions as services
from amtsweg.services.models import Adoption, OnlineService, ServiceVersion
from amtsweg.territory.models import Area, Responsibility

pytestmark = pytest.mark.django_db


def test_the_demo_programme(foerderstelle):
    programme = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    assert programme.name == "IKZ-Förderung Digitalisierung" and programme.is_demo
    assert str(programme.amount_per_member) == "25000.00" and programme.min_members == 2
    assert programme.eligible_task_areas == ["digitalisierung"]
    assert programme.authority == foerderstelle
    assert programme.opens_on <= timezone.localdate() and programme.closes_on is None
    assert programme.service.slug == "foerderantrag-ikz"
    assert Budget.objects.filter(programme=programme, year=timezone.localdate().year).exists()


def test_the_service_is_offered_by_the_foerderstelle_in_every_kommune(foerderstelle):
    service = OnlineService.objects.get(slug="foerderantrag-ikz")
    assert service.owner_area.kind == Area.Kind.LAND and service.is_demo
    version = services.latest_published(service)
    assert version.applicants == ["organisation"]
    assert version.notice_template == "bewilligungsbescheid"
    assert workflow.check(version.workflow) == []
    flow = {t["key"]: t for t in version.workflow["transitions"]}
    assert flow["bewilligen"]["guards"] == ["funding.eligible"]
    assert flow["bewilligen"]["effects"] == ["funding.grant"]
    assert flow["ablehnen"]["effects"] == ["funding.refuse"]
    land = Area.objects.get(kind=Area.Kind.LAND)
    assert Responsibility.objects.get(leistung=service.leistung, area=land).authority == \
        foerderstelle
    adoption = Adoption.objects.get(service=service)
    assert adoption.authority == foerderstelle and adoption.version == version
    for ags in ("06635001", "06635", "06411000", "06631009"):  # Gemeinden, a Kreis, cities
        area = Area.objects.get(ags=ags)
        assert services.offered(service.leistung_id, area.pk, service.slug) == adoption


def test_the_seed_file_is_a_valid_service_with_every_task_area():
    data = demo.seed()
    leistung, _data = services.parse_export(data)
    assert leistung.leika_key == "99132012027000"
    assert validate_definition(data["version"]["form"]) == []
    items = {i["key"]: i for s in data["version"]["form"]["steps"] for i in s["items"]}
    assert [o["value"] for o in items["aufgabenbereich"]["options"]] == list(TaskArea.values)
    assert items["kommunen"]["repeat"]["min"] == 2


def _snapshot() -> tuple:
    service = OnlineService.objects.get(slug="foerderantrag-ikz")
    return (list(Programme.objects.filter(slug=demo.PROGRAMME_SLUG).values()),
            list(Budget.objects.values()), list(service.versions.values()),
            list(Adoption.objects.filter(service=service).values()),
            list(Responsibility.objects.filter(leistung=service.leistung).values()))


def test_loading_twice_changes_nothing():
    before = _snapshot()
    demo.load_demo_funding()
    assert _snapshot() == before


def test_a_changed_seed_file_is_published_as_a_new_version(monkeypatch, tmp_path):
    data = demo.seed()
    data["version"]["processing"]["de"] = "In der Regel 2 bis 6 Wochen."
    changed = tmp_path / "seed.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(demo, "SEED", changed)
    demo.load_demo_funding()
    service = OnlineService.objects.get(slug="foerderantrag-ikz")
    latest = services.latest_published(service)
    assert latest.number == 2 and latest.workflow == data["version"]["workflow"]
    assert latest.processing["de"] == "In der Regel 2 bis 6 Wochen."
    assert Adoption.objects.get(service=service).version == latest
    assert service.versions.filter(state=ServiceVersion.State.PUBLISHED).count() == 2


def test_demo_logins(settings, foerderstelle):
    settings.DEMO_DATA = True
    out = io.StringIO()
    call_command("create_demo_admin", stdout=out)
    call_command("create_demo_admin", stdout=io.StringIO())  # twice: nothing doubled
    kommune = User.objects.get(email="kommune@demo.example")
    organisation = Organisation.objects.get(kind=Organisation.Kind.KOMMUNE,
                                            area__ags=demo.ALLENDORF)
    assert Membership.objects.get(organisation=organisation, user=kommune).role == "admin"
    clerk = User.objects.get(email=demo.FOERDERSTELLE_LOGIN)
    assert set(StaffRole.objects.filter(user=clerk, authority=foerderstelle)
               .values_list("role", flat=True)) == {"clerk", "lead"}
    assert clerk.is_staff
    assert demo.FOERDERSTELLE_LOGIN in out.getvalue()


def test_a_new_draft_of_the_foerderantrag_keeps_its_workflow():
    """The workflow is not part of the export format; a designer's new draft must still keep
    it, or approving would no longer run the programme rules."""
    service = OnlineService.objects.get(slug="foerderantrag-ikz")
    published = services.latest_published(service)
    designer = User.objects.create_superuser("designer@land.example", "Sehr-geheim-2026")
    draft = services.new_draft(designer, service)
    assert draft.number == published.number + 1
    assert draft.workflow == published.workflow
    assert draft.notice_template == "bewilligungsbescheid"


def test_a_copy_of_the_foerderantrag_keeps_its_workflow():
    service = OnlineService.objects.get(slug="foerderantrag-ikz")
    published = services.latest_published(service)
    designer = User.objects.create_superuser("copier@land.example", "Sehr-geheim-2026")
    copy = services.copy_service(designer, service, owner_authority=published.adoptions.first()
                                 .authority)
    assert copy.versions.get().workflow == published.workflow
