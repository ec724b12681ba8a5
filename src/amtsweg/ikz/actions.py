"""State changes of cooperations: create and change them, members, shared staff, and the
adoption of a cooperation's services by its members in one step.

Every action checks the permission (`access`), changes the data and writes its audit entry in
one transaction. `user=None` means the system (demo loader, commands): no permission check,
actor "system". Audit entries go to the log of the Behörde through which the person acts
(their admin role in the lead Kommune, or the adopting Behörde); the Landesadmin's and the
system's to the platform log.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from amtsweg.accounts.models import StaffRole, User
from amtsweg.audit import actions as audit
from amtsweg.core.tenantcrypto import tenant_of_authority
from amtsweg.services import actions as services
from amtsweg.services.models import Adoption, OnlineService, ServiceVersion
from amtsweg.territory.models import Area, Authority

from . import access
from .models import Cooperation, Member, SharedStaff, TaskArea


class CooperationError(Exception):
    """A change was refused; the message is a sentence for the person (nothing was saved)."""


def _allowed(user: User | None, allowed: bool) -> None:
    if user is not None and not allowed:
        raise PermissionError(_("You may not change this cooperation."))


def _tenant(user: User | None, area_id: int) -> str:
    """The audit log of the Behörde through which the person acts in this Kommune."""
    if user is not None and user.is_authenticated and not user.is_superuser:
        authority_id = (StaffRole.objects.filter(user=user, role=StaffRole.Role.ADMIN,
                                                 authority__area_id=area_id)
                        .order_by("authority_id").values_list("authority_id", flat=True)
                        .first())
        if authority_id is not None:
            return tenant_of_authority(authority_id)
    return audit.PLATFORM


def _record(user: User | None, area_id: int, action: str, cooperation: Cooperation,
            **data) -> None:
    audit.record(tenant=_tenant(user, area_id), actor=audit.actor_of(user), action=action,
                 obj=cooperation, data=data)


def _check(name: str, task_area: str, starts_on: datetime.date | None,
           ends_on: datetime.date | None) -> None:
    if not name.strip():
        raise CooperationError(_("Give the cooperation a name."))
    if task_area not in TaskArea.values:
        raise CooperationError(_("Choose a task area."))
    if starts_on is None:
        raise CooperationError(_("Give the date the cooperation starts."))
    if ends_on is not None and ends_on < starts_on:
        raise CooperationError(_("The cooperation cannot end before it starts."))


def _check_kommune(area: Area) -> None:
    if area.kind not in access.KOMMUNE_KINDS or area.gemeindefrei:
        raise CooperationError(_("Only Gemeinden and Kreise can be members of a cooperation."))


def unique_slug(name: str) -> str:
    base = slugify(name)[:180] or "ikz"
    slug, n = base, 2
    while Cooperation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- the cooperation ----------------------------------------------------------------------

@transaction.atomic
def create_cooperation(user: User | None, *, name: str, task_area: str, lead: Area,
                       starts_on: datetime.date, ends_on: datetime.date | None = None,
                       description: str = "", slug: str = "",
                       is_demo: bool = False) -> Cooperation:
    """A new cooperation; its lead Kommune is its first member."""
    _allowed(user, user is not None and access.lead_choices(user).filter(pk=lead.pk).exists())
    _check(name, task_area, starts_on, ends_on)
    _check_kommune(lead)
    cooperation = Cooperation.objects.create(
        name=name.strip(), slug=slug or unique_slug(name), task_area=task_area, lead=lead,
        description=description.strip(), starts_on=starts_on, ends_on=ends_on,
        is_demo=is_demo)
    Member.objects.create(cooperation=cooperation, area=lead, joined_on=starts_on)
    _record(user, lead.pk, "ikz.cooperation.created", cooperation, lead=lead.pk,
            task_area=task_area)
    return cooperation


EDITABLE = ("name", "task_area", "description", "starts_on", "ends_on", "lead")


def update_cooperation(user: User | None, cooperation: Cooperation,
                       changes: dict) -> Cooperation:
    """Change name, task area, description, period or lead (a current member)."""
    _allowed(user, user is not None and access.can_manage(user, cooperation))
    with transaction.atomic():
        current = Cooperation.objects.select_for_update().get(pk=cooperation.pk)
        acting_in = current.lead_id
        changed = []
        for key, value in changes.items():
            if key in EDITABLE and getattr(current, key) != value:
                setattr(current, key, value)
                changed.append(key)
        _check(current.name, current.task_area, current.starts_on, current.ends_on)
        if "lead" in changed and not Member.objects.current().filter(
                cooperation=current, area=current.lead).exists():
            raise CooperationError(_("The lead must be a member of the cooperation."))
        if not changed:
            return current
        current.name = current.name.strip()
        current.save()
        _record(user, acting_in, "ikz.cooperation.changed", current, fields=sorted(changed))
    return current


# --- members ------------------------------------------------------------------------------

def add_member(user: User | None, cooperation: Cooperation, area: Area,
               joined_on: datetime.date | None = None) -> Member:
    """Add a Kommune (again, if it had left)."""
    _allowed(user, user is not None and access.can_manage(user, cooperation))
    _check_kommune(area)
    joined_on = joined_on or timezone.localdate()
    with transaction.atomic():
        member = (Member.objects.select_for_update()
                  .filter(cooperation=cooperation, area=area).first())
        if member is not None and member.is_current:
            raise CooperationError(_("%(area)s is already a member.")
                                   % {"area": area.display_name})
        if member is None:
            member = Member.objects.create(cooperation=cooperation, area=area,
                                           joined_on=joined_on)
        else:
            member.joined_on, member.left_on = joined_on, None
            member.save(update_fields=["joined_on", "left_on"])
        _record(user, cooperation.lead_id, "ikz.member.added", cooperation, area=area.pk)
    return member


def remove_member(user: User | None, cooperation: Cooperation, member: Member) -> Member:
    """The Kommune leaves today; the row stays, so the history (and funding) keeps it."""
    _allowed(user, user is not None and access.can_manage(user, cooperation))
    if member.cooperation_id != cooperation.pk:
        raise CooperationError(_("This Kommune is not a member of the cooperation."))
    if member.area_id == cooperation.lead_id:
        raise CooperationError(_("The lead Kommune cannot leave; make another member the "
                                 "lead first."))
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if not member.is_current:
            raise CooperationError(_("%(area)s has already left.")
                                   % {"area": member.area.display_name})
        member.left_on = timezone.localdate()
        member.save(update_fields=["left_on"])
        _record(user, cooperation.lead_id, "ikz.member.removed", cooperation,
                area=member.area_id)
    return member


# --- shared staff -------------------------------------------------------------------------

def staff_accounts(cooperation: Cooperation, user: User | None = None):
    """Accounts that can be linked as shared staff: staff of a current member's Behörden;
    for `user` only of the Behörden that person administers (an admin of the lead does not
    see the staff directory of the other members; the Landesadmin sees all)."""
    areas = Member.objects.current().filter(cooperation=cooperation).values("area_id")
    accounts = User.objects.filter(staff_roles__authority__area__in=areas)
    if user is not None and not user.is_superuser:
        administered = StaffRole.objects.filter(user=user, role=StaffRole.Role.ADMIN)
        accounts = accounts.filter(staff_roles__authority__in=administered.values("authority_id"))
    return accounts.distinct().order_by("last_name", "first_name", "pk")


def add_shared_staff(user: User | None, cooperation: Cooperation, *, role: str,
                     employer: Area, name: str = "", account: User | None = None,
                     hours_per_week=None, name_public: bool = False) -> SharedStaff:
    _allowed(user, user is not None and access.can_manage(user, cooperation))
    if not role.strip():
        raise CooperationError(_("Name the role, for example “IT-Koordination”."))
    if not Member.objects.current().filter(cooperation=cooperation, area=employer).exists():
        raise CooperationError(_("The employing Kommune must be a member of the "
                                 "cooperation."))
    if account is not None and not staff_accounts(cooperation, user).filter(
            pk=account.pk).exists():
        raise CooperationError(_("Only staff of the member Kommunen can be linked."))
    if not name.strip() and account is None:
        raise CooperationError(_("Give a name or link a staff account."))
    with transaction.atomic():
        staff = SharedStaff.objects.create(
            cooperation=cooperation, role=role.strip(), name=name.strip(), user=account,
            employer=employer, hours_per_week=hours_per_week, name_public=name_public)
        _record(user, cooperation.lead_id, "ikz.staff.added", cooperation, staff=staff.pk,
                employer=employer.pk)
    return staff


def remove_shared_staff(user: User | None, cooperation: Cooperation,
                        staff: SharedStaff) -> None:
    _allowed(user, user is not None and access.can_manage(user, cooperation))
    if staff.cooperation_id != cooperation.pk:
        raise CooperationError(_("This person is not shared staff of the cooperation."))
    with transaction.atomic():
        pk = staff.pk
        staff.delete()
        _record(user, cooperation.lead_id, "ikz.staff.removed", cooperation, staff=pk)


# --- adopting the cooperation's services ---------------------------------------------------

def published_services(cooperation: Cooperation) -> list[tuple[OnlineService, ServiceVersion]]:
    """The cooperation's services that have a published version, with the newest one."""
    versions = (ServiceVersion.objects.filter(service__owner_cooperation=cooperation,
                                              state=ServiceVersion.State.PUBLISHED)
                .select_related("service__leistung").order_by("service__slug", "-number"))
    found: dict[int, tuple[OnlineService, ServiceVersion]] = {}
    for version in versions:
        found.setdefault(version.service_id, (version.service, version))
    return list(found.values())


ADOPTED, ALREADY, OTHER_LEVEL, NO_AUTHORITY, NOT_ADMIN, REFUSED = (
    "adopted", "already", "other_level", "no_authority", "not_admin", "refused")


@dataclass
class Outcome:
    service: OnlineService
    area: Area
    authority: Authority | None
    result: str  # one of the constants above
    detail: str = ""

    @property
    def adopted(self) -> bool:
        return self.result == ADOPTED


@dataclass
class AdoptionReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def adopted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.adopted]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.adopted]


def reference_adoption(cooperation: Cooperation, service: OnlineService) -> Adoption | None:
    """The lead Kommune's adoption of the service (else the owning Behörde's): its local
    parameters are the defaults for the members."""
    found = (Adoption.objects.filter(service=service, active=True,
                                     authority__area_id=cooperation.lead_id)
             .select_related("authority").order_by("pk").first())
    if found is None and service.owner_authority_id:
        found = (Adoption.objects.filter(service=service, active=True,
                                         authority_id=service.owner_authority_id)
                 .select_related("authority").first())
    return found


def default_parameters(reference: Adoption | None, authority: Authority) -> dict:
    """Fee, processing time and signer's role as the reference has them (a cooperation
    usually shares its fee statute); the contact is the adopting Behörde's own, the signer's
    name is left to it (the notice falls back to the Behörde's name). The payment account is
    never copied: the member's applicants must not pay into the lead Kommune's account, so
    invoices wait until the member enters its own."""
    params: dict = {"contact": {k: v for k, v in (("email", authority.email),
                                                  ("phone", authority.phone)) if v}}
    if reference is not None:
        params["fee"] = reference.fee
        params["processing"] = reference.processing
        if (reference.signer or {}).get("role"):
            params["signer"] = {"role": reference.signer["role"]}
    return params


def responsible_authority(leistung_id: int, area: Area,
                          kind: str | None) -> tuple[Authority | None, str]:
    """The Behörde of this Kommune that offers the Leistung: the recorded Zuständigkeit when
    it is a Behörde of the Kommune itself; when nobody is recorded, its Behörde of the same
    kind as the reference adoption's (the adoption then records it as responsible)."""
    from amtsweg.territory import lookup

    responsibility = lookup.resolve(leistung_id, area.pk)
    if responsibility is not None:
        authority = Authority.objects.get(pk=responsibility.authority_id)
        return authority, ("" if authority.area_id == area.pk else OTHER_LEVEL)
    if kind:
        authority = Authority.objects.filter(area=area, kind=kind).order_by("pk").first()
        if authority is not None:
            return authority, ""
    return None, NO_AUTHORITY


def adopt_for_members(user: User | None, cooperation: Cooperation, *,
                      service: OnlineService | None = None,
                      areas: list[Area] | None = None) -> AdoptionReport:
    """Adopt the cooperation's published services (or one of them) for the member Kommunen
    this person administers (or the chosen ones among them), at the Behörden responsible
    for each service's Leistung. Services already offered there are skipped, so running it
    again changes nothing. One audit entry per adopting Behörde."""
    if user is None:
        mine = [m.area for m in Member.objects.current().filter(cooperation=cooperation)
                .select_related("area")]
    else:
        mine = access.member_areas_of(user, cooperation)
    if areas is not None:
        wanted = {a.pk for a in areas}
        mine = [a for a in mine if a.pk in wanted]
    if not mine:
        raise PermissionError(_("You are not an administrator of a member Kommune of this "
                                "cooperation."))
    offered = published_services(cooperation)
    if service is not None:
        offered = [(s, v) for s, v in offered if s.pk == service.pk]
        if not offered:
            raise CooperationError(_("The cooperation has no published service %(slug)s.")
                                   % {"slug": service.slug})
    report = AdoptionReport()
    adopted_at: dict[int, list[int]] = {}
    with transaction.atomic():
        for svc, version in offered:
            reference = reference_adoption(cooperation, svc)
            kind = reference.authority.kind if reference is not None else None
            for area in mine:
                outcome = _adopt_one(user, svc, version, area, reference, kind)
                report.outcomes.append(outcome)
                if outcome.adopted:
                    adopted_at.setdefault(outcome.authority.pk, []).append(svc.pk)
        for authority_id, service_ids in adopted_at.items():
            audit.record(tenant=tenant_of_authority(authority_id), actor=audit.actor_of(user),
                         action="ikz.services.adopted", obj=cooperation,
                         data={"authority": authority_id, "services": service_ids})
    return report


def _adopt_one(user: User | None, service: OnlineService, version: ServiceVersion, area: Area,
               reference: Adoption | None, kind: str | None) -> Outcome:
    authority, problem = responsible_authority(service.leistung_id, area, kind)
    if problem:
        return Outcome(service, area, authority, problem)
    if user is not None and not services.can_adopt(user, authority):
        return Outcome(service, area, authority, NOT_ADMIN)
    existing = Adoption.objects.filter(authority=authority, service=service).first()
    if existing is not None and existing.active:
        return Outcome(service, area, authority, ALREADY)
    # an ended adoption comes back with the parameters it had
    params = {} if existing is not None else default_parameters(reference, authority)
    try:
        services.adopt(user, authority, version, params)
    except services.ServiceError as exc:
        return Outcome(service, area, authority, REFUSED, str(exc))
    return Outcome(service, area, authority, ADOPTED)
