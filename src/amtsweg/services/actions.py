"""State changes of online services: create, edit a draft, publish, retire, copy, export and
import, adopt (Nachnutzung). Views, commands and the demo loader call these."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from amtsweg.accounts.models import StaffRole, TrustLevel, User
from amtsweg.catalog.models import Leistung
from amtsweg.forms import logic
from amtsweg.forms.schema import validate_definition
from amtsweg.ikz.models import Cooperation, current_q
from amtsweg.territory.models import Area, Authority

from . import signals
from .models import Adoption, OnlineService, ServiceVersion

FORMAT = "amtsweg.service/1"
SEED_DIR = Path(__file__).parent / "seed"
VERSION_FIELDS = ("form", "trust_level", "applicants", "fee", "attachments", "processing",
                  "declaration", "notice_template", "retention")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


class ServiceError(Exception):
    """A change was refused; `problems` says where and why (nothing was saved)."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" if p.path else p.message
                                   for p in problems))


# --- permissions -------------------------------------------------------------------------

def _roles(user: User, *roles: str) -> set[int]:
    return set(StaffRole.objects.filter(user=user, role__in=roles)
               .values_list("authority_id", flat=True))


def designable_authorities(user: User):
    if user.is_superuser:
        return Authority.objects.all()
    return Authority.objects.filter(pk__in=_roles(user, StaffRole.Role.DESIGNER))


def adopting_authorities(user: User):
    if user.is_superuser:
        return Authority.objects.all()
    return Authority.objects.filter(pk__in=_roles(user, StaffRole.Role.ADMIN))


def designable_cooperations(user: User):
    """IKZ cooperations whose services this person edits: designers at a Behörde of any
    current member Kommune (Gemeinde or Kreis) of the cooperation."""
    if user.is_superuser:
        return Cooperation.objects.all()
    areas = Authority.objects.filter(pk__in=_roles(user, StaffRole.Role.DESIGNER)).values(
        "area_id")
    return Cooperation.objects.filter(
        pk__in=Cooperation.objects.filter(current_q("members__"), members__area__in=areas)
        .values("pk"))


def can_design(user: User, service: OnlineService) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if service.owner_cooperation_id:
        return designable_cooperations(user).filter(pk=service.owner_cooperation_id).exists()
    mine = _roles(user, StaffRole.Role.DESIGNER)
    if service.owner_authority_id:
        return service.owner_authority_id in mine
    return Authority.objects.filter(pk__in=mine, area_id=service.owner_area_id).exists()


def can_adopt(user: User, authority: Authority) -> bool:
    return user.is_authenticated and (
        user.is_superuser or authority.pk in _roles(user, StaffRole.Role.ADMIN))


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionError(_("You may not change this online service."))


# --- validation ---------------------------------------------------------------------------

def _text_ok(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("de", ""), str)


def check_version(payload: dict) -> list[Problem]:
    """Everything that makes a version publishable: the form and the service settings."""
    problems = [Problem(f"form.{e.path}" if e.path else "form", e.message)
                for e in validate_definition(payload.get("form"))]
    level = payload.get("trust_level")
    if level not in TrustLevel.values:
        problems.append(Problem("trust_level", _("Choose a trust level.")))
    applicants = payload.get("applicants")
    if (not isinstance(applicants, list) or not applicants
            or not set(applicants) <= set(ServiceVersion.Applicant.values)):
        problems.append(Problem("applicants", _("Choose who may apply.")))
    elif "guest" in applicants and level != TrustLevel.BASIS:
        problems.append(Problem("applicants", _(
            "Guests can only apply for services at the basic trust level.")))
    fee = payload.get("fee") or {}
    if not isinstance(fee, dict):
        problems.append(Problem("fee", _("The fee must be an object with an amount.")))
    elif "amount" in fee:
        problems.extend(Problem("fee.amount", m) for m in check_fee_amount(fee["amount"]))
    for key in ("processing", "declaration"):
        if payload.get(key) and not _text_ok(payload[key]):
            problems.append(Problem(key, _("Give the text as German and English text.")))
    if not isinstance(payload.get("attachments", []), list):
        problems.append(Problem("attachments", _("Attachments must be a list.")))
    from amtsweg.documents.render import templates

    if templates.get(payload.get("notice_template") or "notice") is None:
        problems.append(Problem("notice_template", _("There is no document template %(name)s.")
                                % {"name": payload.get("notice_template")}))
    retention = payload.get("retention") or {}
    if not isinstance(retention, dict) or retention.get("action", "delete") not in (
            "delete", "anonymise") or not (
            isinstance(retention.get("after_days", 90), int)
            and 1 <= retention.get("after_days", 90) <= 3650):
        problems.append(Problem("retention", _(
            'Retention: {"after_days": 1 to 3650, "action": "delete" or "anonymise"}.')))
    return problems


def check_fee_amount(amount: object) -> list[str]:
    if isinstance(amount, bool):
        return [_("The fee must be a number of euros or a rule.")]
    if isinstance(amount, int | float):
        return [] if amount >= 0 else [_("A fee cannot be negative.")]
    if isinstance(amount, dict):
        return logic.check_rule(amount)
    return [_("The fee must be a number of euros or a rule.")]


FIELD_DEFAULTS = {"notice_template": "notice", "retention": {}}


def _hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(
        {k: payload.get(k, FIELD_DEFAULTS.get(k)) for k in VERSION_FIELDS},
        sort_keys=True).encode()).hexdigest()


def _payload(version: ServiceVersion) -> dict:
    return {k: getattr(version, k) for k in VERSION_FIELDS}


# --- services and versions ----------------------------------------------------------------

RESERVED_SLUGS = {"neu"}  # path segments of the designer pages


def unique_slug(base: str) -> str:
    base = slugify(base)[:70] or "dienst"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or OnlineService.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def empty_form(title: dict) -> dict:
    return {"format": "amtsweg.form/1", "title": title, "steps": [
        {"key": "angaben", "title": {"de": "Ihre Angaben", "en": "Your details"},
         "items": [{"type": "text", "key": "name", "required": True,
                    "label": {"de": "Name", "en": "Name"}}]}]}


def may_own(user: User, *, owner_authority: Authority | None = None,
            owner_cooperation: Cooperation | None = None) -> bool:
    """Whether this person may create services for this owner (a Behörde where they design,
    or a cooperation of which a Kommune they design for is a member)."""
    if owner_authority is not None:
        return user.is_superuser or designable_authorities(user).filter(
            pk=owner_authority.pk).exists()
    if owner_cooperation is not None:
        return designable_cooperations(user).filter(pk=owner_cooperation.pk).exists()
    return False


@transaction.atomic
def create_service(user: User | None, *, leistung: Leistung, title: dict,
                   owner_authority: Authority | None = None, owner_area: Area | None = None,
                   owner_cooperation: Cooperation | None = None,
                   slug: str = "", summary: dict | None = None, version: dict | None = None,
                   copied_from: OnlineService | None = None,
                   is_demo: bool = False) -> OnlineService:
    """A new service with its first draft version (an empty form unless one is given).
    Exactly one owner: a Behörde, an Area (the Land's services) or an IKZ cooperation."""
    if [owner_authority, owner_area, owner_cooperation].count(None) != 2:
        raise ServiceError([Problem("owner", _("Choose one owner for the service."))])
    if user is not None:
        _require(owner_area is None and may_own(user, owner_authority=owner_authority,
                                                owner_cooperation=owner_cooperation))
    if not _text_ok(title) or not title.get("de", "").strip():
        raise ServiceError([Problem("title", _("Give the service a German title."))])
    payload = {"form": empty_form(title), "trust_level": TrustLevel.BASIS,
               "applicants": ["person", "guest"], "fee": {}, "attachments": [],
               "processing": {}, "declaration": {}, "notice_template": "notice",
               "retention": {}}
    payload.update({k: v for k, v in (version or {}).items() if k in VERSION_FIELDS})
    if problems := check_version(payload):
        raise ServiceError(problems)
    service = OnlineService.objects.create(
        slug=unique_slug(slug or title["de"]), leistung=leistung, title=title,
        summary=summary or {}, owner_authority=owner_authority, owner_area=owner_area,
        owner_cooperation=owner_cooperation, copied_from=copied_from, is_demo=is_demo)
    ServiceVersion.objects.create(service=service, number=1, content_hash=_hash(payload),
                                  **payload)
    return service


def save_version(user: User, version: ServiceVersion, changes: dict,
                 lock_version: int | None = None) -> ServiceVersion:
    """Save changes to a draft. Refuses published versions, stale edits and broken input;
    on refusal nothing is saved."""
    _require(can_design(user, version.service))
    with transaction.atomic():
        current = ServiceVersion.objects.select_for_update().get(pk=version.pk)
        if not current.editable:
            raise ServiceError(_("A published version cannot be changed; start a new draft."))
        if lock_version is not None and lock_version != current.lock_version:
            raise ServiceError(_("Someone else saved this draft in the meantime. Reload the "
                                 "page to see their changes."))
        payload = _payload(current)
        payload.update({k: v for k, v in changes.items() if k in VERSION_FIELDS})
        if problems := check_version(payload):
            raise ServiceError(problems)
        for key, value in payload.items():
            setattr(current, key, value)
        current.content_hash = _hash(payload)
        current.lock_version += 1
        current.save()
    return current


@transaction.atomic
def new_draft(user: User, service: OnlineService) -> ServiceVersion:
    """The open draft of a service, or a new one copied from its newest version."""
    _require(can_design(user, service))
    existing = service.versions.filter(state=ServiceVersion.State.DRAFT).first()
    if existing:
        return existing
    latest = service.versions.order_by("-number").first()
    number = (service.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ServiceVersion.objects.create(service=service, number=number,
                                            content_hash=latest.content_hash,
                                            workflow=latest.workflow, **_payload(latest))
    signals.version_copied.send(sender=ServiceVersion, version=version, source=latest)
    return version


def publish(user: User | None, version: ServiceVersion) -> ServiceVersion:
    if user is not None:
        _require(can_design(user, version.service))
    with transaction.atomic():
        current = ServiceVersion.objects.select_for_update().get(pk=version.pk)
        if current.state != ServiceVersion.State.DRAFT:
            raise ServiceError(_("Only a draft can be published."))
        problems = check_version(_payload(current))
        for _receiver, found in signals.publishing.send(sender=ServiceVersion, version=current):
            problems += found or []
        if problems:
            raise ServiceError(problems)
        current.state = ServiceVersion.State.PUBLISHED
        current.published_at = timezone.now()
        current.published_by = user
        current.save(update_fields=["state", "published_at", "published_by", "updated_at"])
    return current


@transaction.atomic
def retire(user: User, version: ServiceVersion) -> ServiceVersion:
    _require(can_design(user, version.service))
    if version.state != ServiceVersion.State.PUBLISHED:
        raise ServiceError(_("Only a published version can be retired."))
    version.state = ServiceVersion.State.RETIRED
    version.save(update_fields=["state", "updated_at"])
    return version


def can_see(user: User, service: OnlineService) -> bool:
    """Published services are visible to every designer; drafts only to their owners."""
    return latest_published(service) is not None or can_design(user, service)


def copy_service(user: User, source: OnlineService, owner_authority: Authority | None = None,
                 title: dict | None = None, *,
                 owner_cooperation: Cooperation | None = None) -> OnlineService:
    _require(can_see(user, source))
    latest = (source.versions.filter(state=ServiceVersion.State.PUBLISHED).first()
              or source.versions.first())
    title = title or {k: f"{v} (Kopie)" if k == "de" else f"{v} (copy)"
                      for k, v in source.title.items()}
    with transaction.atomic():
        service = create_service(user, leistung=source.leistung, title=title,
                                 owner_authority=owner_authority,
                                 owner_cooperation=owner_cooperation, summary=source.summary,
                                 version=_payload(latest), copied_from=source)
        if latest.workflow:  # the back office's workflow goes with the copy, as with a new draft
            service.versions.update(workflow=latest.workflow)
        signals.version_copied.send(sender=ServiceVersion, version=service.versions.get(),
                                    source=latest)
    return service


def latest_published(service: OnlineService) -> ServiceVersion | None:
    return service.versions.filter(state=ServiceVersion.State.PUBLISHED).first()


# --- export / import ----------------------------------------------------------------------

def export_service(version: ServiceVersion) -> dict:
    service = version.service
    return {"format": FORMAT, "slug": service.slug, "leistung": service.leistung.leika_key,
            "title": service.title, "summary": service.summary, "version": _payload(version)}


def parse_export(data: object) -> tuple[Leistung, dict]:
    """Check an export file's shape; returns its Leistung and the data. Raises ServiceError."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ServiceError(_("This is not an Amtsweg service file (format %(format)s).")
                           % {"format": FORMAT})
    leistung = Leistung.objects.filter(leika_key=str(data.get("leistung", ""))).first()
    if leistung is None:
        raise ServiceError([Problem("leistung", _("There is no Leistung with the key "
                                                  "%(key)s.") % {"key": data.get("leistung")})])
    if not isinstance(data.get("version"), dict):
        raise ServiceError([Problem("version", _("The file has no version."))])
    if problems := check_version(data["version"]):
        raise ServiceError([Problem(f"version.{p.path}", p.message) for p in problems])
    return leistung, data


def import_service(user: User | None, data: object, *, owner_authority: Authority | None = None,
                   owner_area: Area | None = None, owner_cooperation: Cooperation | None = None,
                   publish_now: bool = False, is_demo: bool = False) -> OnlineService:
    leistung, data = parse_export(data)
    service = create_service(user, leistung=leistung, title=data.get("title") or {},
                             owner_authority=owner_authority, owner_area=owner_area,
                             owner_cooperation=owner_cooperation,
                             slug=str(data.get("slug") or ""), summary=data.get("summary"),
                             version=data["version"], is_demo=is_demo)
    if publish_now:
        publish(user, service.versions.get())
    return service


# --- adoption -----------------------------------------------------------------------------

ADOPTION_FIELDS = ("fee", "processing", "contact", "payment_account", "signer")


def check_adoption(params: dict) -> list[Problem]:
    problems = []
    if params.get("fee") is not None:
        problems += [Problem("fee", m) for m in check_fee_amount(params["fee"])]
    iban = (params.get("payment_account") or {}).get("iban", "")
    if iban:
        from amtsweg.forms.types import Invalid, clean_iban

        try:
            params["payment_account"]["iban"] = clean_iban({}, iban)
        except Invalid as exc:
            problems.append(Problem("payment_account.iban", str(exc)))
    return problems


def adopt(user: User | None, authority: Authority, version: ServiceVersion,
          params: dict | None = None) -> Adoption:
    """Offer a published version at `authority` (or move the adoption to a newer version)."""
    if user is not None and not can_adopt(user, authority):
        raise PermissionError(_("You may not adopt services for this authority."))
    if version.state != ServiceVersion.State.PUBLISHED:
        raise ServiceError(_("Only a published version can be adopted."))
    params = {k: v for k, v in (params or {}).items() if k in ADOPTION_FIELDS}
    if problems := check_adoption(params):
        raise ServiceError(problems)
    with transaction.atomic():
        adoption, _created = Adoption.objects.update_or_create(
            authority=authority, service=version.service,
            defaults={"version": version, "active": True, **params})
        _record_responsibility(authority, version.service.leistung_id)
    return adoption


def _record_responsibility(authority: Authority, leistung_id: int) -> None:
    """A Behörde that adopts a service for a Leistung nobody is recorded for in its Area
    becomes the recorded Zuständigkeit there, so citizens find the offer. An existing
    Zuständigkeit (of this or another Behörde) is never changed by an adoption."""
    from amtsweg.territory import lookup
    from amtsweg.territory.models import Responsibility

    if lookup.resolve(leistung_id, authority.area_id) is None:
        Responsibility.objects.get_or_create(
            leistung_id=leistung_id, area_id=authority.area_id,
            defaults={"authority": authority, "origin": "Nachnutzung"})


def offers(leistung_id: int, area_id: int) -> list[Adoption]:
    """Every active adoption for a Leistung at a place by the responsible Behörde (one
    Behörde may offer several services for one Leistung, e.g. its own and the Land's)."""
    from amtsweg.territory import lookup

    resp = lookup.resolve(leistung_id, area_id)
    if resp is None:
        return []
    return list(Adoption.objects.select_related("service", "version", "authority")
                .filter(authority_id=resp.authority_id, service__leistung_id=leistung_id,
                        active=True, version__state=ServiceVersion.State.PUBLISHED)
                .order_by("service__slug"))


@transaction.atomic
def end_adoption(user: User, adoption: Adoption) -> None:
    if not can_adopt(user, adoption.authority):
        raise PermissionError(_("You may not adopt services for this authority."))
    adoption.active = False
    adoption.save(update_fields=["active", "updated_at"])


def offered(leistung_id: int, area_id: int, slug: str | None = None) -> Adoption | None:
    """The active adoption for a Leistung at a place (of the service `slug`, if given): the
    responsible Behörde must have adopted a published (not retired) version."""
    found = offers(leistung_id, area_id)
    if slug is not None:
        found = [a for a in found if a.service.slug == slug]
    return found[0] if found else None


def seed_files() -> list[Path]:
    return sorted(SEED_DIR.glob("*.json"))
