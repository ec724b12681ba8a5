"""Read receipts on the case page: the Postfach messages the case sent to the applicant (the
Nachforderung, the Bescheid, messages through the API) with whether and when they were read."""

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from amtsweg.audit import actions as audit
from amtsweg.cases import actions
from amtsweg.mailbox import actions as mailbox
from amtsweg.mailbox.models import Message
from amtsweg.submissions import actions as submit_actions
from tests.cases.test_workflow import clerk, submit
from tests.services.staff import client_for, staff

pytestmark = pytest.mark.django_db


def submit_with_account(adoption, user):
    draft, _token = submit_actions.start(adoption=adoption, area=adoption.authority.area,
                                         user=user, trust_level="basis")
    draft.set_content(answers={"vorname": "Erika", "familienname": "Muster",
                               "zweck": "rente", "anzahl": "1"})
    draft.save()
    return submit_actions.submit(draft.pk, user=user, accepted=True)


def rows(html: str) -> list[tuple[str, str]]:
    """(subject cell, read cell) of the Postfach table."""
    section = html.split('id="h-postfach"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<td class="kern-table__cell">((?:(?!</td>).)*)</td>\s*'
                      r'<td class="kern-table__cell" data-read="(yes|no)">', section, re.S)


def test_case_page_shows_which_messages_the_applicant_read(adoption, standesamt,
                                                           django_user_model):
    applicant = django_user_model.objects.create_user("leserin@example.org", "x" * 14)
    case = submit_with_account(adoption, applicant).case
    page = client_for(staff(("clerk", standesamt)))
    url = reverse("cases:detail", args=[case.pk])
    assert "No Postfach messages for this case yet." in page.get(url).content.decode()

    user = clerk(standesamt)
    actions.transition(user, case.pk, "pruefen")
    actions.transition(user, case.pk, "nachfordern", note="Bitte Ausweiskopie nachreichen.")
    # unrelated: the same Behörde writes to the same account about something else
    with transaction.atomic():
        mailbox.deliver(account=applicant, authority=standesamt, subject="Sprechzeiten",
                        body="Geänderte Öffnungszeiten")
    html = page.get(url).content.decode()
    assert [read for _subject, read in rows(html)] == ["no"]
    assert "not read yet" in html and "Sprechzeiten" not in html

    # the applicant opens the Nachforderung in the Postfach
    request = next(m for m in Message.objects.filter(account=applicant)
                   if case.receipt_number in m.subject)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(applicant)
    assert browser.get(reverse("mailbox:detail", args=[request.pk])).status_code == 200
    request.refresh_from_db()
    assert request.read_at is not None

    actions.transition(user, case.pk, "nachforderung_erledigt")
    actions.transition(user, case.pk, "bewilligen", note="Die Voraussetzungen liegen vor.")
    html = page.get(url).content.decode()
    found = rows(html)
    assert [read for _subject, read in found] == ["yes", "no"]
    assert case.receipt_number in found[0][0] and case.receipt_number in found[1][0]
    notice = case.notices.get()
    assert f"Bescheid-{notice.number}.pdf" in found[1][0]  # the Bescheid, with its PDF
    assert "read on" in html


def test_messages_sent_through_the_api_count_too(adoption, standesamt, django_user_model):
    """An API client may choose any subject; the audit entry names the message."""
    applicant = django_user_model.objects.create_user("api@example.org", "x" * 14)
    submission = submit_with_account(adoption, applicant)
    with transaction.atomic():
        message = mailbox.deliver(account=applicant, authority=standesamt,
                                  subject="Termin zur Abholung", body="Ab Montag.")
        audit.record(tenant=submission.tenant, actor="api:1", action="api.message.sent",
                     obj=submission, data={"client": 1, "message": str(message.pk)})
    mailbox.mark_read(message)
    html = client_for(staff(("lead", standesamt))).get(
        reverse("cases:detail", args=[submission.case.pk])).content.decode()
    assert [(s.strip(), r) for s, r in rows(html)] == [("Termin zur Abholung", "yes")]


def test_another_account_or_behoerde_is_not_this_case(adoption, standesamt, other_authority,
                                                      django_user_model):
    applicant = django_user_model.objects.create_user("a@example.org", "x" * 14)
    someone = django_user_model.objects.create_user("b@example.org", "x" * 14)
    case = submit_with_account(adoption, applicant).case
    with transaction.atomic():
        mailbox.deliver(account=someone, authority=standesamt,
                        subject=f"Ihr Antrag {case.receipt_number}", body="x")
        mailbox.deliver(account=applicant, authority=other_authority,
                        subject=f"Zu {case.receipt_number}", body="x")
    html = client_for(staff(("clerk", standesamt))).get(
        reverse("cases:detail", args=[case.pk])).content.decode()
    assert rows(html) == [] and "No Postfach messages for this case yet." in html


def test_guest_applications_have_no_read_receipts(adoption, standesamt):
    case = submit(adoption).case
    html = client_for(staff(("clerk", standesamt))).get(
        reverse("cases:detail", args=[case.pk])).content.decode()
    assert "messages go by e-mail, without read receipts" in html


@pytest.fixture
def other_authority(standesamt):
    from amtsweg.territory.models import Authority

    return Authority.objects.filter(is_demo=True).exclude(pk=standesamt.pk).order_by("pk")[0]
