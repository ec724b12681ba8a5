"""State changes of the funding programme: a funding application from a received submission,
the decision (grant or refusal) as effects of the case workflow, payout and proof of use.

Every change runs in one transaction with its audit entry (tenant: the Förderstelle). Staff
changes check the person's role (Sachbearbeitung or Leitung) at the programme's Förderstelle.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import formats, timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from amtsweg.accounts.models import Organisation, StaffRole, User
from amtsweg.audit import actions as audit
from amtsweg.core import tenantcrypto
from amtsweg.ikz.models import Cooperation, TaskArea
from amtsweg.submissions.models import Submission
from amtsweg.territory.models import Area

from . import rules
from .models import Budget, FundingApplication, Grant, Participant, Programme

WORKING_ROLES = (StaffRole.Role.CLERK, StaffRole.Role.LEAD)
CASE_ROLES = (*WORKING_ROLES, StaffRole.Role.ADMIN)
PROOF_MONTHS = 6  # the Verwendungsnachweis is due six months after the project ends
PROJECT_MONTHS_WITHOUT_END = 24  # assumed project length when no end date is known


class FundingError(Exception):
    """A refused change, as a sentence for the person; nothing was changed."""


# --- who may see what -----------------------------------------------------------------------

def funding_authorities(user: User) -> set[int] | None:
    """The Förderstellen whose programmes `user` may see (None: all, for the Landesadmin)."""
    if user.is_superuser:
        return None
    return set(StaffRole.objects.filter(user=user, role__in=CASE_ROLES)
               .values_list("authority_id", flat=True))


def visible_programmes(user: User) -> QuerySet[Programme]:
    allowed = funding_authorities(user)
    programmes = Programme.objects.all()
    return programmes if allowed is None else programmes.filter(authority_id__in=allowed)


def visible_applications(user: User) -> QuerySet[FundingApplication]:
    return FundingApplication.objects.filter(programme__in=visible_programmes(user))


def visible_grants(user: User) -> QuerySet[Grant]:
    return Grant.objects.filter(programme__in=visible_programmes(user))


def _roles(user: User, programme: Programme) -> set[str]:
    if user.is_superuser:
        return {"clerk", "lead", "admin"}
    return set(StaffRole.objects.filter(user=user, authority_id=programme.authority_id)
               .values_list("role", flat=True))


def may_work(user: User, programme: Programme) -> bool:
    return bool(_roles(user, programme) & set(WORKING_ROLES))


def _tenant(programme: Programme) -> str:
    if programme.authority_id is None:
        return audit.PLATFORM
    return tenantcrypto.tenant_of_authority(programme.authority_id)


# --- from submission to funding application -------------------------------------------------

def on_submission_received(sender, submission_id: str, **kwargs) -> None:
    record_application(submission_id)


def programme_for(submission: Submission) -> Programme | None:
    """The programme whose online service the submission belongs to: the one whose period
    covers the day of the submission, else the newest."""
    programmes = list(Programme.objects.filter(service_id=submission.version.service_id)
                      .order_by("-opens_on", "pk"))
    day = timezone.localdate(submission.submitted_at)
    for programme in programmes:
        if programme.opens_on <= day and (programme.closes_on is None
                                          or day <= programme.closes_on):
            return programme
    return programmes[0] if programmes else None


def _money(value: object) -> Decimal:
    try:
        return Decimal(str(value)).quantize(rules.CENT)
    except (InvalidOperation, ValueError):
        return rules.ZERO


def _date(value: object) -> date | None:
    return parse_date(value) if isinstance(value, str) else None


def _kommune_of(organisation: Organisation | None) -> Area | None:
    if (organisation is not None and organisation.kind == Organisation.Kind.KOMMUNE
            and organisation.area_id is not None):
        return organisation.area
    return None


def record_application(submission_id) -> FundingApplication | None:
    """The funding application of a received submission of a programme's online service,
    created once however often this runs (the outbox delivers at least once). Submissions of
    other services give None.

    The lead Kommune is the applying organisation's Gemeinde or Kreis. It takes part even when
    the applicant did not list it: applying is its consent.
    """
    submission = (Submission.objects.select_related("version", "organisation__area", "area")
                  .get(pk=submission_id))
    programme = programme_for(submission)
    if programme is None:
        return None
    with transaction.atomic():
        existing = FundingApplication.objects.filter(submission=submission).first()
        if existing is not None:
            return existing
        answers = submission.content.get("answers", {})
        kommune = _kommune_of(submission.organisation)
        lead = kommune or submission.area
        key = name = ""
        cooperation = None
        if answers.get("verbund_art") == "bestehend":
            key = str(answers.get("verbund_kennung") or "")[:200]
            cooperation = Cooperation.objects.filter(slug=key).first()
        else:
            name = str(answers.get("verbund_name") or "")[:200]
        application, created = FundingApplication.objects.get_or_create(
            submission=submission, defaults={
                "programme": programme, "cooperation": cooperation, "cooperation_key": key,
                "cooperation_name": name, "lead": lead,
                "project": str(answers.get("projekt_titel") or "")[:300],
                "task_area": str(answers.get("aufgabenbereich") or "")[:40],
                "eligible_costs": _money(answers.get("foerderfaehige_kosten")),
                "cost_plan": [{"item": row.get("position", ""),
                               "amount": str(_money(row.get("betrag")))}
                              for row in answers.get("kostenplan") or []],
                "staff_plan": [{"role": row.get("funktion", ""), "fte": row.get("umfang"),
                                "employer": row.get("traeger") or ""}
                               for row in answers.get("personalplan") or []],
                "starts_on": _date(answers.get("laufzeit_beginn")),
                "ends_on": _date(answers.get("laufzeit_ende")),
                "applied_at": submission.submitted_at})
        if not created:
            return application
        entries = [(str(row.get("ags") or "")[:8], _date(row.get("zustimmung_am")))
                   for row in answers.get("kommunen") or []]
        if kommune is not None and kommune.ags not in {ags for ags, _consent in entries}:
            entries.insert(0, (kommune.ags, timezone.localdate(submission.submitted_at)))
        areas = Area.objects.in_bulk([ags for ags, _consent in entries], field_name="ags")
        seen: set[str] = set()
        participants = []
        for ags, consent in entries:
            if ags and ags not in seen:
                seen.add(ags)
                participants.append(Participant(application=application, ags=ags,
                                                area=areas.get(ags), consent_on=consent))
        Participant.objects.bulk_create(participants)
        audit.record(tenant=_tenant(programme), actor="worker",
                     action="funding.application_received", obj=application,
                     data={"submission": str(submission.pk), "programme": programme.pk,
                           "participants": len(participants)})
    return application


# --- the decision ---------------------------------------------------------------------------

def rules_of(programme: Programme) -> rules.Rules:
    return rules.Rules(amount_per_member=programme.amount_per_member,
                       min_members=programme.min_members, opens_on=programme.opens_on,
                       closes_on=programme.closes_on,
                       eligible_task_areas=tuple(programme.eligible_task_areas or ()))


def task_area_label(key: str) -> str:
    return str(TaskArea(key).label) if key in TaskArea.values else key


def input_of(application: FundingApplication) -> rules.Application:
    """The rules' view of an application (participants with their areas)."""
    participants = tuple(
        rules.Kommune(ags=p.ags, name=p.area.display_name if p.area else "",
                      kind=p.area.kind if p.area else "",
                      gemeindefrei=bool(p.area and p.area.gemeindefrei),
                      consent_on=p.consent_on)
        for p in application.participants.select_related("area").order_by("pk"))
    submission = application.submission
    applicant_is_kommune = True
    if submission is not None:
        applicant_is_kommune = _kommune_of(submission.organisation) is not None
    cooperation = application.cooperation
    return rules.Application(
        applied_on=timezone.localdate(application.applied_at), lead_ags=application.lead.ags,
        task_area=application.task_area, task_area_label=task_area_label(application.task_area),
        eligible_costs=application.eligible_costs, participants=participants,
        applicant_is_kommune=applicant_is_kommune, cooperation_key=application.cooperation_key,
        cooperation_found=cooperation is not None or not application.cooperation_key,
        cooperation_lead_ags=cooperation.lead.ags if cooperation is not None else "")


@dataclass(frozen=True)
class Budgeted:
    year: int
    budget: Decimal | None
    granted: Decimal


def budget_of(programme: Programme, year: int, *, lock: bool = False) -> Budgeted:
    """A year's budget and what was granted of it. With `lock`, the budget row stays locked
    until the transaction ends, so two approvals cannot both spend the same rest."""
    budgets = Budget.objects.filter(programme=programme, year=year)
    if lock:
        budgets = budgets.select_for_update()
    row = budgets.first()
    granted = (Grant.objects.filter(programme=programme, year=year)
               .aggregate(s=Sum("amount"))["s"] or rules.ZERO)
    return Budgeted(year, row.amount if row else None, granted)


def decide(application: FundingApplication, *, on: date | None = None,
           lock: bool = False) -> rules.Decision:
    """The rules' decision on `application` if it were decided on `on` (default: today)."""
    on = on or timezone.localdate()
    budgeted = budget_of(application.programme, on.year, lock=lock)
    return rules.decide(rules_of(application.programme), input_of(application),
                        year=on.year, budget=budgeted.budget, granted=budgeted.granted)


def application_of_case(case) -> FundingApplication | None:
    return (FundingApplication.objects.select_related("programme", "lead", "cooperation__lead",
                                                       "submission__organisation__area")
            .filter(submission_id=case.submission_id).first())


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def proof_due(application: FundingApplication, decided_on: date) -> date:
    """The Verwendungsnachweis is due six months after the project ends."""
    end = application.ends_on or _add_months(decided_on, PROJECT_MONTHS_WITHOUT_END)
    return _add_months(max(end, decided_on), PROOF_MONTHS)


def _found_cooperation(application: FundingApplication, members: list[Area],
                       on: date) -> Cooperation:
    """A cooperation named by the application as new is founded with the grant: the lead and
    the participating Kommunen are its members."""
    from amtsweg.ikz import actions as ikz

    try:
        cooperation = ikz.create_cooperation(
            None, name=application.cooperation_name or application.project[:200],
            task_area=application.task_area, lead=application.lead,
            starts_on=application.starts_on or on, ends_on=application.ends_on)
        for area in members:
            if area.pk != application.lead_id:
                ikz.add_member(None, cooperation, area, joined_on=on)
    except ikz.CooperationError as exc:
        raise FundingError(str(exc)) from exc
    application.cooperation = cooperation
    application.save(update_fields=["cooperation"])
    return cooperation


def grant(application: FundingApplication, *, actor: User | None,
          on: date | None = None) -> Grant:
    """Approve: the rules decide once more with the year's budget locked, the Grant is
    created (members, amount, proof due date), a new cooperation is founded. Refuses with the
    rules' reasons. Runs inside the approval transition's transaction."""
    on = on or timezone.localdate()
    application = FundingApplication.objects.select_for_update().get(pk=application.pk)
    if application.state != FundingApplication.State.SUBMITTED:
        raise FundingError(_("This funding application was decided already."))
    decision = decide(application, on=on, lock=True)
    if not decision.eligible:
        raise FundingError(decision.message)
    areas = Area.objects.in_bulk([k.ags for k in decision.members], field_name="ags")
    members = [areas[k.ags] for k in decision.members]
    cooperation = application.cooperation or _found_cooperation(application, members, on)
    made = Grant.objects.create(
        programme=application.programme, application=application, cooperation=cooperation,
        year=on.year, decided_on=on, task_area=application.task_area,
        participations=len(members), amount=decision.amount,
        proof_due_on=proof_due(application, on))
    made.areas.set(members)
    application.state = FundingApplication.State.APPROVED
    application.decided_at = timezone.now()
    application.save(update_fields=["state", "decided_at"])
    audit.record(tenant=_tenant(application.programme), actor=audit.actor_of(actor),
                 action="funding.granted", obj=made,
                 data={"application": application.pk, "amount": str(made.amount),
                       "participations": made.participations, "year": made.year,
                       "capped_by": list(decision.capped_by),
                       "cooperation": cooperation.pk})
    return made


def close_application(application: FundingApplication, state: str, *,
                      actor: User | None) -> None:
    """Refused or withdrawn: no grant; the state and the time are kept."""
    application = FundingApplication.objects.select_for_update().get(pk=application.pk)
    if application.state != FundingApplication.State.SUBMITTED:
        raise FundingError(_("This funding application was decided already."))
    application.state = state
    application.decided_at = timezone.now()
    application.save(update_fields=["state", "decided_at"])
    audit.record(tenant=_tenant(application.programme),
                 actor=audit.actor_of(actor) if actor is not None else "applicant",
                 action=f"funding.{state}", obj=application, data={"state": state})


# --- payout and proof of use ----------------------------------------------------------------

def _locked_grant(actor: User, grant_id: int) -> Grant:
    made = (Grant.objects.select_for_update(of=("self",)).select_related("programme")
            .get(pk=grant_id))
    if not may_work(actor, made.programme):
        raise PermissionError(_("You may not take this step."))
    return made


def _check_day(day: date | None, made: Grant, what: str) -> date:
    if day is None:
        raise FundingError(_("Give the date (%(what)s).") % {"what": what})
    if day > timezone.localdate():
        raise FundingError(_("The date cannot be in the future."))
    if day < made.decided_on:
        raise FundingError(_("The date cannot be before the grant was decided (%(day)s).")
                           % {"day": formats.date_format(made.decided_on, "DATE_FORMAT")})
    return day


def _record(actor: User, made: Grant, action: str, **data) -> None:
    audit.record(tenant=_tenant(made.programme), actor=audit.actor_of(actor),
                 action=action, obj=made, data={k: str(v) if isinstance(v, date | Decimal)
                                                else v for k, v in data.items()})


def mark_paid_out(actor: User, grant_id: int, paid_on: date | None) -> Grant:
    with transaction.atomic():
        made = _locked_grant(actor, grant_id)
        if made.payout == Grant.Payout.PAID:
            raise FundingError(_("This grant was paid out already."))
        made.paid_out_on = _check_day(paid_on, made, _("payout"))
        made.payout = Grant.Payout.PAID
        made.save(update_fields=["payout", "paid_out_on"])
        _record(actor, made, "funding.paid_out", paid_out_on=made.paid_out_on)
    return made


def set_proof_due(actor: User, grant_id: int, due_on: date | None) -> Grant:
    with transaction.atomic():
        made = _locked_grant(actor, grant_id)
        if made.proof != Grant.Proof.DUE:
            raise FundingError(_("The proof of use was received already."))
        if due_on is None or due_on < made.decided_on:
            raise FundingError(_("Give a due date on or after the decision."))
        made.proof_due_on = due_on
        made.save(update_fields=["proof_due_on"])
        _record(actor, made, "funding.proof_due", proof_due_on=due_on)
    return made


def record_proof(actor: User, grant_id: int, received_on: date | None) -> Grant:
    with transaction.atomic():
        made = _locked_grant(actor, grant_id)
        if made.proof != Grant.Proof.DUE:
            raise FundingError(_("The proof of use was received already."))
        made.proof_received_on = _check_day(received_on, made, _("receipt"))
        made.proof = Grant.Proof.RECEIVED
        made.save(update_fields=["proof", "proof_received_on"])
        _record(actor, made, "funding.proof_received", received_on=made.proof_received_on)
    return made


def accept_proof(actor: User, grant_id: int, checked_on: date | None) -> Grant:
    with transaction.atomic():
        made = _locked_grant(actor, grant_id)
        if made.proof != Grant.Proof.RECEIVED:
            raise FundingError(_("Only a received proof of use can be accepted."))
        checked = _check_day(checked_on, made, _("check"))
        if checked < made.proof_received_on:
            raise FundingError(_("The check cannot be before the proof of use was received."))
        made.proof, made.proof_checked_on = Grant.Proof.ACCEPTED, checked
        made.save(update_fields=["proof", "proof_checked_on"])
        _record(actor, made, "funding.proof_accepted", checked_on=checked)
    return made


def demand_refund(actor: User, grant_id: int, amount: Decimal | None,
                  checked_on: date | None) -> Grant:
    """The proof of use shows money not used for the purpose: part or all of the paid grant
    is demanded back (Rückforderung)."""
    with transaction.atomic():
        made = _locked_grant(actor, grant_id)
        if made.payout != Grant.Payout.PAID:
            raise FundingError(_("A refund can only be demanded of a grant that was paid out."))
        if made.proof not in (Grant.Proof.DUE, Grant.Proof.RECEIVED):
            raise FundingError(_("The proof of use was decided on already."))
        if amount is None or amount <= 0 or amount > made.amount:
            raise FundingError(_("The refund must be more than 0 and at most the grant "
                                 "(%(amount)s).") % {"amount": rules.money(made.amount)})
        made.proof_checked_on = _check_day(checked_on, made, _("check"))
        made.proof, made.refund_amount = Grant.Proof.REFUND, amount.quantize(rules.CENT)
        made.save(update_fields=["proof", "proof_checked_on", "refund_amount"])
        _record(actor, made, "funding.refund_demanded", refund_amount=made.refund_amount,
                checked_on=made.proof_checked_on)
    return made
