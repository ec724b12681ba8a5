from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from amtsweg.cases import actions
from amtsweg.cases.reminders import send_reminders

from .test_workflow import clerk, submit

pytestmark = pytest.mark.django_db


def test_reminders_go_to_the_assignee_or_the_behoerde(adoption, standesamt,
                                                      django_capture_on_commit_callbacks):
    first, second = submit(adoption).case, submit(adoption, "Max Muster").case
    anna = clerk(standesamt)
    actions.assign(anna, first.pk, anna)
    now = timezone.now()
    assert send_reminders(now) == 0  # due in 14 days
    later = now + timedelta(days=12)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(later) == 1  # anna: her case and the unassigned one
    body = mail.outbox[-1].body
    assert first.receipt_number in body and second.receipt_number in body
    assert "Muster" not in body and mail.outbox[-1].to == [anna.email]
    actions.transition(anna, first.pk, "pruefen")
    actions.transition(anna, first.pk, "bewilligen", note="ok")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(now + timedelta(days=20))
    assert first.receipt_number not in mail.outbox[-1].body  # decided: no reminder
    assert "overdue" in mail.outbox[-1].body or "überfällig" in mail.outbox[-1].body
