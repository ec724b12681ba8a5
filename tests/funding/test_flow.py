"""The whole chain: the lead Kommune's organisation account applies through the online
service → the outbox records the funding application and opens the case at the Förderstelle
→ approving runs the programme rules and creates the Grant → the Bewilligungsbescheid lands in
the organisation's Postfach. And the refusals: budget used up, not eligible, rejected,
withdrawn."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from amtsweg.audit.models import AuditEntry
from amtsweg.cases import actions as cases
from amtsweg.cases import notices, workflow
from amtsweg.funding import actions, casework
from amtsweg.funding.models import FundingApplication, Grant
from amtsweg.ikz.models import Cooperation
from amtsweg.mailbox.models import Message
from tests.funding.conftest import (
    ALLENDORF,
    BATTENBERG,
    FOUR,
    apply,
    kommune_account,
    set_budget,
)
from tests.services.staff import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def decide(case, clerk, key="bewilligen", note="Die Voraussetzungen sind erfüllt."):
    if case.state == "eingegangen":
        cases.transition(clerk, case.pk, "pruefen")
    return cases.transition(clerk, case.pk, key, note=note)


def test_four_members_get_100000_and_the_notice_lands_in_the_postfach(foerderstelle,
                                                                      programme):
    organisation, (person,) = kommune_account()
    submission = apply(organisation, person)

    application = FundingApplication.objects.get(submission=submission)
    assert application.programme == programme
    assert application.lead.ags == ALLENDORF
    assert application.cooperation == Cooperation.objects.get(slug="ederbergland-digital")
    assert sorted(application.participants.values_list("ags", flat=True)) == sorted(FOUR)
    assert all(p.area is not None and p.consent_on for p in application.participants.all())
    assert application.eligible_costs == Decimal("120000.00")
    assert application.cost_plan == [{"item": "Software", "amount": "90000.00"},
                                     {"item": "Schulung", "amount": "60000.00"}]
    assert application.staff_plan[0]["role"] == "IT-Koordination"
    case = submission.case
    assert case.authority == foerderstelle and case.state == "eingegangen"
    assert AuditEntry.objects.filter(action="funding.application_received",
                                     object_id=str(application.pk)).count() == 1

    clerk = staff(("clerk", foerderstelle))
    decide(case, clerk)
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("entschieden", "bewilligt")
    grant = Grant.objects.get(application=application)
    today = timezone.localdate()
    assert grant.amount == Decimal("100000.00")
    assert (grant.year, grant.decided_on, grant.participations) == (today.year, today, 4)
    assert grant.task_area == "digitalisierung" and grant.programme == programme
    assert sorted(grant.areas.values_list("ags", flat=True)) == sorted(FOUR)
    assert grant.cooperation == application.cooperation
    assert grant.payout == Grant.Payout.PENDING and grant.proof == Grant.Proof.DUE
    assert grant.proof_due_on == actions._add_months(application.ends_on, 6)
    application.refresh_from_db()
    assert application.state == FundingApplication.State.APPROVED
    assert application.decided_at is not None
    entry = AuditEntry.objects.get(action="funding.granted", object_id=str(grant.pk))
    assert entry.data["amount"] == "100000.00" and entry.data["participations"] == 4
    assert entry.actor == f"user:{clerk.pk}"

    # the Bewilligungsbescheid: issued once, linked, in the Postfach with the PDF
    assert grant.notice is not None and grant.notice.case == case
    assert notices.read(grant.notice).startswith(b"%PDF")
    message = Message.objects.get(account=person, authority=foerderstelle,
                                  attachments__filename__startswith="Bescheid-")
    assert case.receipt_number in message.subject
    assert message.attachments.get().content_type == "application/pdf"


def test_the_bescheid_shows_amount_members_task_area_payout_and_proof(foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person).case
    decide(case, staff(("clerk", foerderstelle)))
    case.refresh_from_db()
    data = casework.notice_data(case, "en")["funding"]
    assert data["approved"] is True
    assert data["amount"] == "100,000.00 EUR"
    assert data["computation"] == ("4 participating Kommunen × 25,000.00 EUR = "
                                   "100,000.00 EUR")
    assert [m["ags"] for m in data["members"]] == sorted(FOUR)
    assert data["members"][0]["name"] == "Allendorf (Eder)"
    assert data["task_area"] == "Digitalisation and e-government"
    assert "paid out on request to the lead Kommune Allendorf (Eder)" in data["payout"]
    grant = Grant.objects.get(application__submission=case.submission)
    assert "Verwendungsnachweis" in data["proof"]
    from django.utils import formats

    assert formats.date_format(grant.proof_due_on, "DATE_FORMAT") in data["proof"]
    assert case.version.notice_template == casework.TEMPLATE


def test_the_notice_machinery_gives_the_template_the_grant(foerderstelle):
    """notices.notice_data (issue, preview) adds the funding data to the registered
    Bewilligungsbescheid; the clerk's preview of an approval shows what would be granted."""
    organisation, (person,) = kommune_account()
    case = apply(organisation, person, costs="90000.00").case
    preview = notices.notice_data(case, "", "(preview)", outcome="bewilligt")
    assert notices.template_of(case.version, preview) == "bewilligungsbescheid"
    assert preview["funding"]["amount"] == "90,000.00 EUR"  # in the applicant's language
    assert preview["labels"]["amount"] == "Amount granted"
    assert preview["labels"]["receipt_number"] == "Receipt number"  # the notice's own stay
    assert notices.render(case, "", outcome="bewilligt").startswith(b"%PDF")
    refused = notices.notice_data(case, "", "(preview)", outcome="abgelehnt")
    assert refused["funding"]["approved"] is False and "amount" not in refused["funding"]
    decide(case, staff(("clerk", foerderstelle)))
    case.refresh_from_db()
    issued = notices.notice_data(case, "Gründe", "X")
    assert issued["funding"]["approved"] is True
    assert issued["funding"]["amount"] == "90,000.00 EUR"


def test_capped_at_the_eligible_costs(foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person, costs="80000.00").case
    decide(case, staff(("clerk", foerderstelle)))
    grant = Grant.objects.get(application__submission=case.submission)
    assert grant.amount == Decimal("80000.00") and grant.participations == 4
    assert AuditEntry.objects.get(action="funding.granted",
                                  object_id=str(grant.pk)).data["capped_by"] == [
        "eligible_costs"]
    text = casework.notice_data(case, "en")["funding"]["computation"]
    assert text.endswith("limited to 80,000.00 EUR (eligible costs or the rest of the year's "
                         "budget)")


def test_budget_used_up_refuses_approval_with_the_reason(foerderstelle, programme):
    organisation, (person,) = kommune_account()
    first = apply(organisation, person).case
    second = apply(organisation, person, members=FOUR[:2]).case
    clerk = staff(("clerk", foerderstelle))
    set_budget(programme, "100000.00")
    decide(first, clerk)
    cases.transition(clerk, second.pk, "pruefen")
    with pytest.raises(cases.CaseError) as refused:
        cases.transition(clerk, second.pk, "bewilligen", note="Ok")
    year = timezone.localdate().year
    assert str(refused.value) == (f"The budget of {year} (100,000.00 EUR) is used up by "
                                  "earlier grants.")
    second.refresh_from_db()
    assert second.state == "in_pruefung" and second.outcome == ""
    assert not Grant.objects.filter(application__submission=second.submission).exists()
    application = FundingApplication.objects.get(submission=second.submission)
    assert application.state == FundingApplication.State.SUBMITTED

    # the Förderstelle refuses it then, with a reason the applicant reads
    decide(second, clerk, "ablehnen", note="Die Mittel des Jahres sind ausgeschöpft.")
    application.refresh_from_db()
    assert application.state == FundingApplication.State.REJECTED
    assert AuditEntry.objects.filter(action="funding.rejected",
                                     object_id=str(application.pk)).exists()
    second.refresh_from_db()
    assert second.notices.count() == 1 and second.notices.get().outcome == "abgelehnt"
    refused_data = casework.notice_data(second, "en")["funding"]
    assert refused_data["approved"] is False and "amount" not in refused_data


def test_the_rest_of_the_budget_caps_the_grant(foerderstelle, programme):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person).case
    set_budget(programme, "60000.00")
    decide(case, staff(("clerk", foerderstelle)))
    assert Grant.objects.get(application__submission=case.submission).amount == Decimal(
        "60000.00")


def test_not_eligible_refused_with_every_reason(foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person, members=(ALLENDORF, "06999999"),
                 task_area="feuerwehr").case
    clerk = staff(("clerk", foerderstelle))
    cases.transition(clerk, case.pk, "pruefen")
    with pytest.raises(cases.CaseError) as refused:
        cases.transition(clerk, case.pk, "bewilligen", note="Ok")
    message = str(refused.value)
    assert "task area “Fire brigade”" in message
    assert "06999999 is not the AGS of a Gemeinde or Kreis." in message
    assert "At least 2 Kommunen must take part" in message


def test_only_a_kommune_applies_and_only_the_cooperation_lead(foerderstelle):
    association, (person,) = kommune_account(kind="verein")
    case = apply(association, person).case
    clerk = staff(("clerk", foerderstelle))
    cases.transition(clerk, case.pk, "pruefen")
    with pytest.raises(cases.CaseError, match="Only a Kommune can apply"):
        cases.transition(clerk, case.pk, "bewilligen")
    battenberg, (member,) = kommune_account(BATTENBERG)
    case = apply(battenberg, member).case
    cases.transition(clerk, case.pk, "pruefen")
    with pytest.raises(cases.CaseError, match="Only the lead Kommune of the cooperation"):
        cases.transition(clerk, case.pk, "bewilligen")


def test_the_lead_takes_part_even_when_not_listed(foerderstelle):
    organisation, (person,) = kommune_account()
    submission = apply(organisation, person, members=FOUR[1:])
    participants = dict(FundingApplication.objects.get(submission=submission)
                        .participants.values_list("ags", "consent_on"))
    assert len(participants) == 4
    assert participants[ALLENDORF] == timezone.localdate(submission.submitted_at)


def test_a_new_cooperation_is_founded_with_the_grant(foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person, new_cooperation="Digitales Ederbergland").case
    application = FundingApplication.objects.get(submission=case.submission)
    assert application.cooperation is None
    assert application.cooperation_name == "Digitales Ederbergland"
    decide(case, staff(("lead", foerderstelle)))
    grant = Grant.objects.get(application=application)
    cooperation = grant.cooperation
    assert cooperation.name == "Digitales Ederbergland" and cooperation.lead.ags == ALLENDORF
    assert sorted(cooperation.members.values_list("area__ags", flat=True)) == sorted(FOUR)
    assert cooperation.task_area == "digitalisierung"


def test_unknown_cooperation_is_refused(foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person, cooperation="gibt-es-nicht").case
    clerk = staff(("clerk", foerderstelle))
    cases.transition(clerk, case.pk, "pruefen")
    with pytest.raises(cases.CaseError, match="no IKZ cooperation with the key"):
        cases.transition(clerk, case.pk, "bewilligen")


def test_every_member_of_the_organisation_finds_the_notice(foerderstelle):
    organisation, people = kommune_account(members=3)
    case = apply(organisation, people[1]).case
    decide(case, staff(("clerk", foerderstelle)))
    for person in people:
        message = Message.objects.get(account=person,
                                      attachments__filename__startswith="Bescheid-")
        assert case.receipt_number in message.subject
    _outsider, (other,) = kommune_account(BATTENBERG)
    assert not Message.objects.filter(account=other).exists()


def test_recording_is_idempotent_and_other_services_are_left_alone(foerderstelle):
    organisation, (person,) = kommune_account()
    submission = apply(organisation, person)
    application = FundingApplication.objects.get(submission=submission)
    assert actions.record_application(submission.pk) == application
    assert application.participants.count() == 4
    assert AuditEntry.objects.filter(action="funding.application_received").count() == 1
    from amtsweg.territory.models import Authority
    from tests.cases.test_workflow import submit
    from tests.submissions.conftest import make_small_service

    standesamt = Authority.objects.get(area__ags=ALLENDORF, kind=Authority.Kind.STANDESAMT)
    other = submit(make_small_service(standesamt))
    assert actions.record_application(other.pk) is None
    assert not FundingApplication.objects.filter(submission=other).exists()


def test_approving_twice_is_impossible_and_a_decided_case_cannot_be_granted_again(
        foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person).case
    clerk = staff(("clerk", foerderstelle))
    decide(case, clerk)
    application = FundingApplication.objects.get(submission=case.submission)
    with pytest.raises(actions.FundingError, match="decided already"):
        actions.grant(application, actor=clerk)
    assert Grant.objects.filter(application=application).count() == 1


def test_the_applicant_withdraws(foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person).case
    cases.transition(None, case.pk, "zurueckziehen", as_applicant=True)
    application = FundingApplication.objects.get(submission=case.submission)
    assert application.state == FundingApplication.State.WITHDRAWN
    assert AuditEntry.objects.get(action="funding.withdrawn").actor == "applicant"


def test_another_behoerde_cannot_decide(foerderstelle):
    organisation, (person,) = kommune_account()
    case = apply(organisation, person).case
    from tests.services.staff import fulda

    with pytest.raises(PermissionError):
        cases.transition(staff(("clerk", fulda())), case.pk, "pruefen")
    assert case.version.workflow is not None
    assert workflow.check(case.version.workflow) == []


def test_the_rules_decide_on_the_day_of_the_application(foerderstelle, programme):
    """An application made before the programme opened is refused with the period."""
    organisation, (person,) = kommune_account()
    submission = apply(organisation, person)
    application = FundingApplication.objects.get(submission=submission)
    programme.opens_on = timezone.localdate() + timedelta(days=1)
    programme.save(update_fields=["opens_on"])
    decision = actions.decide(application)
    assert [r.code for r in decision.reasons] == ["period"]
    programme.opens_on, programme.closes_on = date(2021, 1, 1), timezone.localdate()
    programme.save(update_fields=["opens_on", "closes_on"])
    application = FundingApplication.objects.get(pk=application.pk)
    assert actions.decide(application).eligible  # the closing day itself is still open
