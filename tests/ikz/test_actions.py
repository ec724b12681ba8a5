"""Cooperations: who may create and change them, members, shared staff, audit entries, and
adopting a cooperation's services in one step (responsibility, defaults, idempotence)."""

import datetime

import pytest
from django.utils import timezone, translation

from amtsweg.audit.models import AuditEntry
from amtsweg.core.tenantcrypto import tenant_of_authority
from amtsweg.ikz import access, actions
from amtsweg.ikz.models import Member, TaskArea
from amtsweg.services import actions as services
from amtsweg.services.models import Adoption
from amtsweg.territory.models import Authority
from tests.services.staff import staff

from .conftest import ALHEIM, BEBRA, BREITENBACH, KREIS, area, cooperation_service, office

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The refusals are asserted by their English sentences."""
    with translation.override("en"):
        yield


def test_a_kommunal_admin_creates_a_cooperation_led_by_their_kommune():
    admin = staff(("admin", office(ALHEIM)))
    cooperation = actions.create_cooperation(
        admin, name="  Haune digital ", task_area=TaskArea.DIGITALISIERUNG, lead=area(ALHEIM),
        starts_on=datetime.date(2026, 1, 1))
    assert cooperation.name == "Haune digital" and cooperation.slug == "haune-digital"
    assert list(cooperation.members.values_list("area__ags", flat=True)) == [ALHEIM]
    entry = AuditEntry.objects.get(action="ikz.cooperation.created",
                                   object_id=str(cooperation.pk))
    assert entry.tenant == tenant_of_authority(office(ALHEIM).pk)
    assert entry.actor == f"user:{admin.pk}"
    with pytest.raises(PermissionError):  # not for another Kommune
        actions.create_cooperation(admin, name="X", task_area=TaskArea.BAUHOF,
                                   lead=area(BEBRA), starts_on=datetime.date(2026, 1, 1))
    with pytest.raises(PermissionError):  # designers and clerks do not create cooperations
        actions.create_cooperation(staff(("designer", office(ALHEIM))), name="X",
                                   task_area=TaskArea.BAUHOF, lead=area(ALHEIM),
                                   starts_on=datetime.date(2026, 1, 1))


def test_the_landesadmin_creates_for_any_kommune_and_logs_to_the_platform(django_user_model):
    landesadmin = django_user_model.objects.create_superuser("land@amt.example", "Geheim-2026")
    cooperation = actions.create_cooperation(
        landesadmin, name="Kreis-IKZ", task_area=TaskArea.ORDNUNG, lead=area(KREIS),
        starts_on=datetime.date(2026, 1, 1))
    assert AuditEntry.objects.get(action="ikz.cooperation.created",
                                  object_id=str(cooperation.pk)).tenant == "platform"


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": " "}, "Give the cooperation a name."),
    ({"ends_on": datetime.date(2024, 12, 31)}, "cannot end before it starts"),
    ({"task_area": "raumfahrt"}, "Choose a task area."),
])
def test_bad_changes_are_refused_with_a_sentence(coop, changes, message):
    with pytest.raises(actions.CooperationError, match=message):
        actions.update_cooperation(None, coop, changes)
    coop.refresh_from_db()
    assert coop.name == "IKZ Fulda-Haune digital" and coop.ends_on is None


def test_only_the_lead_kommunes_admins_change_the_cooperation(coop):
    lead_admin = staff(("admin", office(ALHEIM, Authority.Kind.STANDESAMT)))
    member_admin = staff(("admin", office(BEBRA)))
    actions.update_cooperation(lead_admin, coop, {"name": "Haune digital",
                                                  "description": "Gemeinsam online."})
    coop.refresh_from_db()
    assert coop.name == "Haune digital"
    entry = AuditEntry.objects.get(action="ikz.cooperation.changed", object_id=str(coop.pk))
    assert entry.data == {"fields": ["description", "name"]}
    for refused in (lambda: actions.update_cooperation(member_admin, coop, {"name": "X"}),
                    lambda: actions.add_member(member_admin, coop, area("06632005")),
                    lambda: actions.add_shared_staff(member_admin, coop, role="IT",
                                                     name="A", employer=area(BEBRA))):
        with pytest.raises(PermissionError):
            refused()
    assert not access.can_manage(member_admin, coop) and access.can_manage(lead_admin, coop)


def test_the_lead_must_be_a_member(coop):
    with pytest.raises(actions.CooperationError, match="lead must be a member"):
        actions.update_cooperation(None, coop, {"lead": area("06632005")})
    actions.update_cooperation(None, coop, {"lead": area(BEBRA)})
    coop.refresh_from_db()
    assert coop.lead == area(BEBRA)


def test_members_leave_and_join_again(coop):
    member = Member.objects.get(cooperation=coop, area__ags=BEBRA)
    with pytest.raises(actions.CooperationError, match="lead Kommune cannot leave"):
        actions.remove_member(None, coop, Member.objects.get(cooperation=coop,
                                                             area__ags=ALHEIM))
    actions.remove_member(None, coop, member)
    member.refresh_from_db()
    assert member.left_on == timezone.localdate() and not member.is_current
    assert not Member.objects.current().filter(pk=member.pk).exists()
    with pytest.raises(actions.CooperationError, match="already left"):
        actions.remove_member(None, coop, member)
    with pytest.raises(actions.CooperationError, match="already a member"):
        actions.add_member(None, coop, area(BREITENBACH))
    again = actions.add_member(None, coop, area(BEBRA))
    assert again.pk == member.pk and again.left_on is None
    with pytest.raises(actions.CooperationError, match="Only Gemeinden and Kreise"):
        actions.add_member(None, coop, area("064"))  # a Regierungsbezirk
    actions_logged = set(AuditEntry.objects.filter(object_id=str(coop.pk))
                         .values_list("action", flat=True))
    assert {"ikz.member.added", "ikz.member.removed"} <= actions_logged


def test_shared_staff_needs_a_member_employer_and_a_member_account(coop):
    with pytest.raises(actions.CooperationError, match="must be a member"):
        actions.add_shared_staff(None, coop, role="IT", name="A", employer=area("06632005"))
    outsider = staff(("clerk", office("06632005")))
    with pytest.raises(actions.CooperationError, match="Only staff of the member"):
        actions.add_shared_staff(None, coop, role="IT", account=outsider,
                                 employer=area(BEBRA))
    with pytest.raises(actions.CooperationError, match="Give a name or link"):
        actions.add_shared_staff(None, coop, role="IT", employer=area(BEBRA))
    insider = staff(("clerk", office(BEBRA)))
    insider.first_name, insider.last_name = "Ida", "Intern"
    insider.save()
    shared = actions.add_shared_staff(None, coop, role="IT-Koordination", account=insider,
                                      employer=area(BEBRA))
    assert shared.person_name == "Ida Intern" and shared.public_name == ""
    entry = AuditEntry.objects.get(action="ikz.staff.added", object_id=str(coop.pk))
    assert "Ida" not in str(entry.data)  # no personal data in the log
    actions.remove_shared_staff(None, coop, shared)
    assert not coop.shared_staff.exists()


# --- adopt in one step ------------------------------------------------------------------------

def test_adopt_for_members_uses_the_responsible_behoerden_and_the_leads_parameters(coop):
    service = cooperation_service(coop)
    version = service.versions.get()
    services.adopt(None, office(ALHEIM), version, {
        "fee": 3, "processing": "zwei Wochen", "contact": {"email": "x@alheim.example"},
        "payment_account": {"holder": "Kasse Haune", "iban": "DE02120300000000202051"},
        "signer": {"name": "Erika Muster", "role": "Steueramt"}})
    admin = staff(("admin", office(BEBRA)), ("admin", office(BREITENBACH)),
                  ("admin", office(BREITENBACH, Authority.Kind.STANDESAMT)))
    report = actions.adopt_for_members(admin, coop)
    assert {(o.area.ags, o.result) for o in report.outcomes} == {
        (BEBRA, actions.ADOPTED), (BREITENBACH, actions.ADOPTED)}
    bebra = Adoption.objects.get(service=service, authority=office(BEBRA))
    assert bebra.version == version and bebra.active
    assert bebra.fee == 3 and bebra.processing == "zwei Wochen"
    assert not bebra.payment_account  # the lead's bank account is never copied
    assert bebra.contact == {"email": office(BEBRA).email, "phone": office(BEBRA).phone}
    assert bebra.signer == {"role": "Steueramt"}  # the lead's signer name is not copied
    entries = AuditEntry.objects.filter(action="ikz.services.adopted", object_id=str(coop.pk))
    assert {e.tenant for e in entries} == {tenant_of_authority(office(BEBRA).pk),
                                           tenant_of_authority(office(BREITENBACH).pk)}
    assert entries.get(tenant=tenant_of_authority(office(BEBRA).pk)).data == {
        "authority": office(BEBRA).pk, "services": [service.pk]}

    # running it again changes nothing and says why
    again = actions.adopt_for_members(admin, coop)
    assert not again.adopted and {o.result for o in again.skipped} == {actions.ALREADY}
    assert entries.count() == 2
    assert Adoption.objects.filter(service=service).count() == 3


def test_an_ended_adoption_comes_back_with_its_own_parameters(coop):
    service = cooperation_service(coop)
    admin = staff(("admin", office(BEBRA)))
    own = services.adopt(admin, office(BEBRA), service.versions.get(), {"fee": 9})
    services.end_adoption(admin, own)
    report = actions.adopt_for_members(admin, coop, service=service)
    assert [o.result for o in report.outcomes] == [actions.ADOPTED]
    own.refresh_from_db()
    assert own.active and own.fee == 9


def test_reasons_for_skipping(coop):
    service = cooperation_service(coop)
    # Alheim: the admin runs the Standesamt only; the Bürgerbüro is responsible
    # the Kreis: no Behörde of the Kreis is responsible for the dog tax
    admin = staff(("admin", office(ALHEIM, Authority.Kind.STANDESAMT)),
                  ("admin", Authority.objects.filter(area__ags=KREIS).first()))
    report = actions.adopt_for_members(admin, coop, service=service)
    assert {(o.area.ags, o.result) for o in report.outcomes} == {
        (ALHEIM, actions.NOT_ADMIN), (KREIS, actions.NO_AUTHORITY)}
    assert not Adoption.objects.filter(service=service).exists()


def test_a_kreis_level_leistung_is_adopted_by_the_kreis_not_by_its_gemeinden(coop):
    import json

    from amtsweg.services.demo import seed_version

    data = json.loads((services.SEED_DIR / "wunschkennzeichen.json").read_text())
    data["slug"] = "wunschkennzeichen-ikz"
    seed_version(data, owner_cooperation=coop)
    kreis_office = Authority.objects.get(area__ags=KREIS,
                                         kind=Authority.Kind.ZULASSUNGSSTELLE)
    report = actions.adopt_for_members(None, coop)
    outcomes = {(o.service.slug, o.area.ags): o for o in report.outcomes}
    assert outcomes[("wunschkennzeichen-ikz", KREIS)].result == actions.ADOPTED
    assert outcomes[("wunschkennzeichen-ikz", KREIS)].authority == kreis_office
    assert outcomes[("wunschkennzeichen-ikz", BEBRA)].result == actions.OTHER_LEVEL
    assert outcomes[("wunschkennzeichen-ikz", BEBRA)].authority == kreis_office


def test_adopting_needs_an_admin_of_a_member_and_a_published_service(coop):
    draft = cooperation_service(coop, publish=False)
    with pytest.raises(PermissionError):
        actions.adopt_for_members(staff(("admin", office("06632005"))), coop)
    with pytest.raises(PermissionError):
        actions.adopt_for_members(staff(("designer", office(BEBRA))), coop)
    with pytest.raises(actions.CooperationError, match="no published service"):
        actions.adopt_for_members(staff(("admin", office(BEBRA))), coop, service=draft)
    # a Kommune that left is no longer a member
    admin = staff(("admin", office(BEBRA)))
    actions.remove_member(None, coop, Member.objects.get(cooperation=coop, area__ags=BEBRA))
    with pytest.raises(PermissionError):
        actions.adopt_for_members(admin, coop)


def test_the_demo_members_offer_the_dog_tax(demo):
    service = demo.owned_services.get()
    offered = set(Adoption.objects.filter(service=service, active=True)
                  .values_list("authority__area__ags", flat=True))
    assert offered == {"06635001", "06635004", "06635006", "06635014"}
    assert service.owner_name == "IKZ Ederbergland digital"
    assert service.versions.get().state == "published"


def test_an_admin_links_only_staff_of_the_behoerden_they_administer(coop):
    own = staff(("clerk", office(ALHEIM)))
    other = staff(("clerk", office(BEBRA)))
    lead_admin = staff(("admin", office(ALHEIM)))
    offered = set(actions.staff_accounts(coop, lead_admin))
    assert own in offered and other not in offered  # not the other members' directory
    assert other in set(actions.staff_accounts(coop))  # without a person: every member's
    with pytest.raises(actions.CooperationError):
        actions.add_shared_staff(lead_admin, coop, role="IT-Koordination",
                                 employer=area(BEBRA), account=other)
