"""Online services owned by a cooperation: designers at a Behörde of any member Kommune edit
them, everybody else gets 404 (pages) or PermissionError (actions); one owner per service."""

import json

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from amtsweg.ikz import actions as ikz
from amtsweg.ikz.demo import SEED
from amtsweg.ikz.models import Member
from amtsweg.services import actions
from amtsweg.services.models import OnlineService
from amtsweg.territory.models import Area, Authority
from tests.services.staff import client_for, fulda, staff

from .conftest import BEBRA, cooperation_service, office

pytestmark = pytest.mark.django_db


@pytest.fixture
def dog_tax():
    return OnlineService.objects.get(slug="hundesteuer-anmeldung")


@pytest.fixture
def member_designer():
    """A designer at the Standesamt of Battenberg (Eder), a member of Ederbergland digital."""
    return staff(("designer", office("06635004", Authority.Kind.STANDESAMT)))


def test_a_designer_of_any_member_edits_the_cooperations_service(dog_tax, member_designer):
    assert actions.can_design(member_designer, dog_tax)
    draft = actions.new_draft(member_designer, dog_tax)
    saved = actions.save_version(member_designer, draft, {"processing": {
        "de": "In der Regel eine Woche.", "en": "Usually one week."}}, draft.lock_version)
    assert saved.processing["de"] == "In der Regel eine Woche."
    client = client_for(member_designer)
    assert client.get(f"/verwaltung/dienste/{dog_tax.slug}/").status_code == 200
    assert client.get(f"/verwaltung/dienste/{dog_tax.slug}/v{draft.number}/").status_code == 200
    listing = client.get("/verwaltung/dienste/").content.decode()
    assert "Register a dog for the dog tax" in listing and "IKZ Ederbergland digital" in listing


def test_a_designer_of_a_non_member_gets_404_and_permission_errors(dog_tax):
    outsider = staff(("designer", fulda()), ("admin", fulda()))
    assert not actions.can_design(outsider, dog_tax)
    with pytest.raises(PermissionError):
        actions.new_draft(outsider, dog_tax)
    with pytest.raises(PermissionError):
        actions.save_version(outsider, dog_tax.versions.get(), {"fee": {"amount": 1}})
    client = client_for(outsider)
    for method, url in [("get", f"/verwaltung/dienste/{dog_tax.slug}/"),
                        ("get", f"/verwaltung/dienste/{dog_tax.slug}/v1/"),
                        ("post", f"/verwaltung/dienste/{dog_tax.slug}/neuer-entwurf/"),
                        ("post", f"/verwaltung/dienste/{dog_tax.slug}/v1/zurueckziehen/")]:
        assert getattr(client, method)(url).status_code == 404, url
    assert dog_tax.versions.count() == 1 and dog_tax.versions.get().state == "published"
    # an admin (not designer) of a member Kommune does not design either
    assert not actions.can_design(staff(("admin", office("06635004"))), dog_tax)


def test_a_designer_whose_kommune_left_no_longer_edits(coop):
    designer = staff(("designer", office(BEBRA)))
    service = cooperation_service(coop)
    assert actions.can_design(designer, service)
    ikz.remove_member(None, coop, Member.objects.get(cooperation=coop, area__ags=BEBRA))
    assert not actions.can_design(designer, service)
    assert coop not in actions.designable_cooperations(designer)


def test_the_designer_creates_a_service_for_the_cooperation(demo, member_designer):
    client = client_for(member_designer)
    page = client.get("/verwaltung/dienste/neu/").content.decode()
    assert f'value="ikz-{demo.pk}"' in page and "IKZ cooperation: IKZ Ederbergland digital" in page
    response = client.post("/verwaltung/dienste/neu/", {
        "how": "scratch", "scratch-title_de": "Hund abmelden",
        "scratch-leistung": "99102013002000", "scratch-owner": f"ikz-{demo.pk}"})
    assert response.status_code == 302
    service = OnlineService.objects.get(title__de="Hund abmelden")
    assert service.owner_cooperation == demo and service.owner_authority is None
    # a copy for the cooperation
    response = client.post("/verwaltung/dienste/neu/", {
        "how": "copy", "copy-source": OnlineService.objects.get(slug="geburtsurkunde").pk,
        "copy-owner": f"ikz-{demo.pk}"})
    assert response.status_code == 302
    assert OnlineService.objects.filter(owner_cooperation=demo, copied_from__slug="geburtsurkunde"
                                        ).exists()


def test_a_non_member_cannot_create_for_the_cooperation(demo):
    client = client_for(staff(("designer", fulda())))
    assert f"ikz-{demo.pk}" not in client.get("/verwaltung/dienste/neu/").content.decode()
    response = client.post("/verwaltung/dienste/neu/", {
        "how": "scratch", "scratch-title_de": "Eingeschmuggelt",
        "scratch-leistung": "99102013002000", "scratch-owner": f"ikz-{demo.pk}"})
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not OnlineService.objects.filter(title__de="Eingeschmuggelt").exists()
    with pytest.raises(PermissionError):
        actions.create_service(staff(("designer", fulda())), leistung=demo.owned_services
                               .get().leistung, title={"de": "X"}, owner_cooperation=demo)


def test_a_service_has_exactly_one_owner(demo):
    service = OnlineService.objects.get(slug="hundesteuer-anmeldung")
    with pytest.raises(actions.ServiceError, match="Choose one owner"):
        actions.create_service(None, leistung=service.leistung, title={"de": "Zwei"},
                               owner_cooperation=demo, owner_authority=fulda())
    with pytest.raises(IntegrityError), transaction.atomic():
        OnlineService.objects.filter(pk=service.pk).update(
            owner_area=Area.objects.get(kind=Area.Kind.LAND))
    with pytest.raises(IntegrityError), transaction.atomic():
        OnlineService.objects.filter(pk=service.pk).update(owner_cooperation=None)


def test_import_command_with_a_cooperation_as_owner(demo, tmp_path):
    data = json.loads(SEED.read_text(encoding="utf-8"))
    data["slug"] = "hundesteuer-kommando"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    call_command("services", "import", str(path), "--owner-cooperation", demo.slug)
    assert OnlineService.objects.get(slug="hundesteuer-kommando").owner_cooperation == demo
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no cooperation"):
        call_command("services", "import", str(path), "--owner-cooperation", "gibt-es-nicht")
