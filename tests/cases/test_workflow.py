"""Cases: opened from the outbox once per submission, moved along the workflow by staff
with the right role at the right Behörde, concurrent edits detected, audited."""

import pytest
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amtsweg.accounts.models import StaffRole
from amtsweg.audit.models import AuditEntry
from amtsweg.cases import actions, workflow
from amtsweg.cases.models import Case, CaseEvent
from amtsweg.submissions import actions as submit_actions
from amtsweg.submissions.models import Submission

pytestmark = pytest.mark.django_db


def submit(adoption, name="Erika Mustermann") -> Submission:
    given_name, family = name.split(" ", 1)
    draft, _token = submit_actions.start(adoption=adoption, area=adoption.authority.area,
                                         user=None, trust_level="basis",
                                         guest_email="erika@example.org")
    draft.set_content(answers={"vorname": given_name, "familienname": family,
                               "zweck": "rente", "anzahl": "1"})
    draft.save()
    return submit_actions.submit(draft.pk, user=None, accepted=True)


def clerk(authority, role="clerk"):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(f"{role}{authority.pk}@amt.example", "x" * 14,
                                                is_staff=True)
    StaffRole.objects.create(user=user, authority=authority, role=role)
    return user


def test_a_submission_opens_one_case(adoption):
    submission = submit(adoption)
    case = Case.objects.get(submission=submission)  # opened by the outbox task
    assert case.state == "eingegangen" and case.receipt_number == submission.receipt_number
    assert actions.open_case(submission.pk) == case  # again: the same case
    assert Case.objects.filter(submission=submission).count() == 1
    assert AuditEntry.objects.filter(action="case.opened", object_id=str(case.pk)).count() == 1
    assert any(submission.receipt_number in m.subject for m in mail.outbox)


def test_blind_index_finds_by_name_without_storing_it(adoption):
    submission = submit(adoption, "Zacharias Quux")
    case = submission.case
    tokens = set(case.tokens.values_list("token", flat=True))
    tenant = submission.tenant
    assert set(actions.name_tokens(tenant, "quux")) <= tokens
    assert set(actions.name_tokens(tenant, "Zacharias")) <= tokens
    assert not set(actions.name_tokens(tenant, "Mustermann")) & tokens
    assert not any("quux" in t for t in tokens)
    assert set(actions.name_tokens("authority:999999", "Quux")).isdisjoint(tokens)


def test_transitions_roles_guards_and_locking(adoption, standesamt):
    case = submit(adoption).case
    user = clerk(standesamt)
    case = actions.transition(user, case.pk, "pruefen", lock_version=case.lock_version)
    assert case.state == "in_pruefung"
    with pytest.raises(actions.Conflict):
        actions.transition(user, case.pk, "bewilligen", lock_version=0)
    with pytest.raises(actions.CaseError):
        actions.transition(user, case.pk, "ablehnen", note="")  # a reason is needed
    with pytest.raises(actions.CaseError):
        actions.transition(user, case.pk, "abschliessen")  # not from in_pruefung
    from amtsweg.territory.models import Authority

    other = clerk(Authority.objects.exclude(pk=standesamt.pk).filter(is_demo=True).first())
    with pytest.raises(PermissionError):
        actions.transition(other, case.pk, "bewilligen")
    case = actions.transition(user, case.pk, "bewilligen", note="Alles in Ordnung.")
    assert (case.state, case.outcome) == ("entschieden", "bewilligt")
    assert any("entschieden" in m.subject.lower() or case.receipt_number in m.subject
               for m in mail.outbox)
    case = actions.transition(user, case.pk, "abschliessen")
    case.refresh_from_db()
    assert case.state == "abgeschlossen" and case.closed_at is not None
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("transition") == 3
    assert AuditEntry.objects.filter(object_id=str(case.pk),
                                     action="case.transition").count() == 3


def test_default_workflow_is_consistent():
    assert workflow.check(workflow.DEFAULT) == []
    broken = {**workflow.DEFAULT, "transitions": [
        {"key": "x", "from": ["nirgends"], "to": "eingegangen", "roles": ["clerk"],
         "guards": ["unbekannt"]}]}
    assert len(workflow.check(broken)) == 2


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([t["key"] for t in workflow.DEFAULT["transitions"]]),
                max_size=8))
def test_any_sequence_of_steps_keeps_the_case_consistent(adoption, standesamt, keys):
    """Stateful property: whatever staff try, the case only ever is in a known state, moved
    exactly along allowed transitions, and each successful step leaves one event."""
    case = submit(adoption).case
    user = clerk(standesamt, role="lead") if not StaffRole.objects.filter(
        role="lead", authority=standesamt).exists() else StaffRole.objects.filter(
        role="lead", authority=standesamt).first().user
    flow = workflow.DEFAULT
    state, done = case.state, 0
    for key in keys:
        tr = workflow.transition(flow, key)
        allowed = state in tr["from"] and "lead" in tr["roles"]
        try:
            case = actions.transition(user, case.pk, key, note="Begründung")
        except (actions.CaseError, PermissionError):
            assert not allowed
        else:
            assert allowed
            state, done = tr["to"], done + 1
        assert Case.objects.get(pk=case.pk).state == state
        assert state in flow["states"]
    assert CaseEvent.objects.filter(case=case, kind="transition").count() == done


def test_applicant_answers_a_request_and_withdraws(client, adoption, standesamt,
                                                   django_capture_on_commit_callbacks,
                                                   monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from amtsweg.submissions.models import Upload
    from tests.submissions.test_apply import PDF, fill, start_as_guest

    draft, _ = start_as_guest(client, adoption)
    fill(client, draft)
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    submission = Submission.objects.get(draft_key=draft.pk)
    case = submission.case
    url = reverse("case_portal:detail", args=[submission.receipt_number])
    page = client.get(url)
    assert page.status_code == 200 and "Eingegangen" in page.content.decode()
    from django.test import Client

    assert Client().get(url).status_code == 404  # another browser
    user = clerk(standesamt)
    actions.transition(user, case.pk, "pruefen")
    with django_capture_on_commit_callbacks(execute=True):
        actions.transition(user, case.pk, "nachfordern",
                           note="Bitte Ausweiskopie nachreichen.")
    page = client.get(url).content.decode()
    assert "Bitte Ausweiskopie nachreichen." in page and 'name="answer"' in page
    assert any("Bitte Ausweiskopie" in m.body for m in mail.outbox)  # the guest's e-mail
    # A document above the limit is dropped while it streams in; the answer is not sent.
    from amtsweg.cases import portal

    monkeypatch.setitem(portal.ANSWER_FILE["file"], "max_size", 1000)
    r = client.post(url, {"action": "answer", "answer": "Anbei.", "files": SimpleUploadedFile(
        "gross.pdf", PDF + b"x" * 5000)}, HTTP_ACCEPT_LANGUAGE="de")
    assert r.status_code == 400
    assert "Die Datei gross.pdf ist zu groß (höchstens 0 MB)." in r.content.decode()
    assert not Upload.objects.filter(submission=submission).exists()
    monkeypatch.undo()
    r = client.post(url, {"action": "answer", "answer": "Anbei.",
                          "files": SimpleUploadedFile("ausweis.pdf", PDF)})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "in_pruefung"
    assert Upload.objects.get(submission=submission, field="nachforderung").name == "ausweis.pdf"
    r = client.post(url, {"action": "withdraw"})
    case.refresh_from_db()
    assert case.state == "zurueckgezogen"
    assert AuditEntry.objects.filter(object_id=str(case.pk), actor="applicant").count() == 2


def test_approval_sends_the_notice_pdf_to_the_postfach(adoption, standesamt,
                                                        django_user_model):
    from amtsweg.cases import notices
    from amtsweg.cases.models import Notice
    from amtsweg.mailbox.actions import read_attachment
    from amtsweg.mailbox.models import Message

    applicant = django_user_model.objects.create_user("antrag@example.org", "x" * 14)
    draft, _token = submit_actions.start(adoption=adoption, area=adoption.authority.area,
                                         user=applicant, trust_level="basis")
    draft.set_content(answers={"vorname": "Erika", "familienname": "Muster",
                               "zweck": "rente", "anzahl": "2"})
    draft.save()
    case = submit_actions.submit(draft.pk, user=applicant, accepted=True).case
    user = clerk(standesamt)
    preview = notices.render(case, "Die Voraussetzungen liegen vor.")
    assert preview.startswith(b"%PDF") and not Notice.objects.exists()
    actions.transition(user, case.pk, "pruefen")
    actions.transition(user, case.pk, "bewilligen", note="Die Voraussetzungen liegen vor.")
    notice = Notice.objects.get(case=case)
    assert notice.outcome == "bewilligt" and notices.read(notice).startswith(b"%PDF")
    message = Message.objects.get(account=applicant)
    assert case.receipt_number in message.subject
    attachment = message.attachments.get()
    assert read_attachment(attachment).startswith(b"%PDF")
    assert attachment.filename == f"Bescheid-{notice.number}.pdf"
    from django.core.files.storage import default_storage

    with default_storage.open(notice.stored_name, "rb") as fh:
        assert not fh.read().startswith(b"%PDF")  # sealed at rest


def test_each_service_version_names_its_notice_template(adoption, standesamt):
    from amtsweg.cases import notices
    from amtsweg.documents.render import DocumentTemplate, templates
    from amtsweg.services import actions as service_actions

    version = adoption.version
    problems = service_actions.check_version({**service_actions._payload(version),
                                              "notice_template": "gibt-es-nicht"})
    assert [p.path for p in problems] == ["notice_template"]
    templates.register(DocumentTemplate("notice_test", path=templates.get("notice").path))
    try:
        assert service_actions.check_version({**service_actions._payload(version),
                                              "notice_template": "notice_test"}) == []
        version.notice_template = "notice_test"
        version.save(update_fields=["notice_template"])
        case = submit(adoption).case
        assert notices.render(case, "Begründung").startswith(b"%PDF")
    finally:
        templates.unregister("notice_test")
