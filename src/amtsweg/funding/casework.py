"""The Förderstelle works a funding application as a case: the guard and the effects that
the funding service's workflow names (`funding.eligible`, `funding.grant`, `funding.refuse`,
`funding.withdraw`), the Bewilligungsbescheid's data, and its delivery to the applying
organisation.

Registered when the app is ready (apps.py), so that `cases.workflow.check` knows the names.
"""

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amtsweg.accounts.models import User
from amtsweg.cases import notices
from amtsweg.cases import workflow as flow
from amtsweg.cases.actions import CaseError
from amtsweg.cases.models import Case, Notice
from amtsweg.documents.render import DocumentTemplate

from . import actions, rules
from .models import FundingApplication

TEMPLATE = "bewilligungsbescheid"


def _application(case: Case) -> FundingApplication:
    application = actions.application_of_case(case)
    if application is None:
        raise CaseError(_("This case has no funding application. Ask the platform's "
                          "administrators to record it."))
    return application


def _eligible(step: flow.Step) -> str | None:
    """The rules' reasons when the application cannot be granted now."""
    application = _application(step.case)
    if application.state != FundingApplication.State.SUBMITTED:
        return _("This funding application was decided already.")
    decision = actions.decide(application, lock=True)
    return None if decision.eligible else decision.message


def _actor(step: flow.Step) -> User | None:
    return step.actor if getattr(step.actor, "is_authenticated", False) else None


def issue_to_organisation(step: flow.Step) -> Notice:
    """The Bescheid into the Postfach: the person who applied gets it from the notice
    machinery; for an organisation every other member gets it too (an organisation has no
    Postfach of its own: its members' Postfächer are its Postfach)."""
    from amtsweg.mailbox.actions import File, deliver

    notice = notices.issue(step)
    case = step.case
    submission = case.submission
    if submission.organisation_id is None:
        return notice
    members = (User.objects.filter(memberships__organisation_id=submission.organisation_id,
                                   is_active=True)
               .exclude(pk=submission.user_id).order_by("pk"))
    if not members:
        return notice
    pdf = notices.read(notice)
    with translation.override(submission.lang):
        subject = _("Notice on your application %(number)s") % {"number": case.receipt_number}
        body = _("Please find the notice of %(authority)s attached.") % {
            "authority": case.authority.name}
    for member in members:
        deliver(account=member, authority=case.authority, subject=subject, body=body,
                trust_level=submission.trust_level,
                files=[File(f"Bescheid-{notice.number}.pdf", pdf, "application/pdf")])
    return notice


def _grant(step: flow.Step) -> None:
    application = _application(step.case)
    try:
        made = actions.grant(application, actor=_actor(step))
    except actions.FundingError as exc:
        raise CaseError(str(exc)) from exc
    made.notice = issue_to_organisation(step)
    made.save(update_fields=["notice"])


def _refuse(step: flow.Step) -> None:
    application = _application(step.case)
    try:
        actions.close_application(application, FundingApplication.State.REJECTED,
                                  actor=_actor(step))
    except actions.FundingError as exc:
        raise CaseError(str(exc)) from exc
    issue_to_organisation(step)


def _withdraw(step: flow.Step) -> None:
    application = actions.application_of_case(step.case)
    if application is not None and application.state == FundingApplication.State.SUBMITTED:
        actions.close_application(application, FundingApplication.State.WITHDRAWN, actor=None)


# --- the Bewilligungsbescheid --------------------------------------------------------------

def _day(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def notice_data(case: Case, lang: str, outcome: str = "") -> dict:
    """What the Bewilligungsbescheid adds to a notice: the project, the members, the
    computation of the grant, and the terms of payout and proof of use (approved), or the
    project and the reasons (refused). The clerk's preview of an approval shows what the
    rules would grant now."""
    application = actions.application_of_case(case)
    if application is None:
        return {}
    made = getattr(application, "grant", None)
    participants = list(application.participants.select_related("area").order_by("ags"))
    programme = application.programme
    with translation.override(lang):
        data = {
            "programme": programme.name, "project": application.project,
            "task_area": actions.task_area_label(application.task_area),
            "lead": application.lead.display_name,
            "cooperation": (application.cooperation.name if application.cooperation
                            else application.cooperation_name),
            "period": " – ".join(filter(None, (_day(application.starts_on),
                                               _day(application.ends_on)))),
            "eligible_costs": rules.money(application.eligible_costs),
            "members": [{"name": p.area.display_name if p.area else p.ags, "ags": p.ags,
                         "consent": _day(p.consent_on)} for p in participants],
            "approved": False,
        }
        amount = None
        if made is not None:
            amount, members, due = made.amount, made.participations, made.proof_due_on
        elif outcome == "bewilligt" and application.state == FundingApplication.State.SUBMITTED:
            decision = actions.decide(application)
            if decision.eligible:
                amount, members = decision.amount, len(decision.members)
                due = actions.proof_due(application, timezone.localdate())
        if amount is not None:
            full = programme.amount_per_member * members
            data.update({
                "approved": True,
                "amount": rules.money(amount),
                "computation": _("%(n)d participating Kommunen × %(per)s = %(full)s")
                % {"n": members, "per": rules.money(programme.amount_per_member),
                   "full": rules.money(full)}
                + ("" if amount == full else "; " + _(
                    "limited to %(amount)s (eligible costs or the rest of the year's budget)")
                    % {"amount": rules.money(amount)}),
                "payout": _(
                    "The grant is paid out on request to the lead Kommune %(lead)s, as far as "
                    "it is needed within two months for payments due. The lead Kommune passes "
                    "the shares on to the participating Kommunen.")
                % {"lead": application.lead.display_name},
                "proof": _(
                    "The lead Kommune proves the use of the grant by %(due)s with a "
                    "Verwendungsnachweis (a factual report and a numerical statement of the "
                    "costs). Money not used, or not used for the purpose, is demanded back.")
                % {"due": _day(due)},
            })
        labels = {
            "grant": _("Grant"), "programme": _("Funding programme"), "project": _("Project"),
            "task_area": _("Task area"), "lead": _("Lead Kommune"),
            "cooperation": _("IKZ cooperation"), "period": _("Project period"),
            "eligible_costs": _("Eligible costs"), "amount": _("Amount granted"),
            "computation": _("Computation"), "members": _("Participating Kommunen"),
            "ags": _("AGS"), "consent": _("Consent of"), "payout": _("Payout"),
            "proof": _("Proof of use (Verwendungsnachweis)"), "kommune": _("Kommune"),
        }
    return {"funding": data, "labels": labels}


def register() -> None:
    from amtsweg.documents.render import templates

    flow.guards.register(flow.Guard("funding.eligible", _eligible))
    flow.effects.register(flow.Effect("funding.grant", _grant, issues_notice=True))
    flow.effects.register(flow.Effect("funding.refuse", _refuse, issues_notice=True))
    flow.effects.register(flow.Effect("funding.withdraw", _withdraw))
    templates.register(DocumentTemplate(TEMPLATE))
    notices.template_data.register(notices.TemplateData(TEMPLATE, notice_data))
