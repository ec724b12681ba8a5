"""Retention with time travel: 90 days after a case is closed its data goes (delete or
anonymise per service version), files included, leaving a PII-free audit entry."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from amtsweg.audit.models import AuditEntry
from amtsweg.cases import actions, retention
from amtsweg.cases.models import Case, CaseEvent, SearchToken
from amtsweg.submissions.models import Submission, Upload
from tests.submissions.test_apply import PDF, start_as_guest, step_url

from .test_workflow import clerk

pytestmark = pytest.mark.django_db


def closed_case(client, adoption, standesamt, name="Zacharias"):
    draft, _ = start_as_guest(client, adoption)
    client.post(step_url(draft, "person"), {"vorname": name, "familienname": "Quux",
                                            "zweck": "rente", "_action": "next"})
    client.post(step_url(draft, "weiteres"), {
        "anzahl": "1", "nachweis": SimpleUploadedFile("beleg.pdf", PDF), "_action": "next"})
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    case = Submission.objects.get(draft_key=draft.pk).case
    user = clerk(standesamt) if not hasattr(standesamt, "_clerk") else standesamt._clerk
    standesamt._clerk = user
    actions.transition(user, case.pk, "pruefen")
    actions.transition(user, case.pk, "bewilligen", note="In Ordnung, Herr Quux.")
    actions.transition(user, case.pk, "abschliessen")
    case.refresh_from_db()
    return case


def test_delete_after_90_days(client, adoption, standesamt, django_capture_on_commit_callbacks):
    case = closed_case(client, adoption, standesamt)
    files = retention._files(case)
    assert files and all(default_storage.exists(n) for n in files)
    soon = case.closed_at + timedelta(days=89)
    assert retention.apply(soon).deleted == 0
    later = case.closed_at + timedelta(days=90, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        retention.apply(later)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Submission.objects.filter(pk=case.submission_id).exists()
    assert not any(default_storage.exists(n) for n in files)
    entry = AuditEntry.objects.get(action="retention.deleted", object_id=str(case.pk))
    text = str(entry.data) + entry.actor + entry.object_id
    assert "Quux" not in text and "Zacharias" not in text and "@" not in text
    assert retention.apply(later).deleted == 0  # nothing left to do


def test_anonymise_keeps_the_case_for_statistics(client, adoption, standesamt,
                                                 django_capture_on_commit_callbacks):
    version = adoption.version
    version.retention = {"after_days": 30, "action": "anonymise"}
    version.save(update_fields=["retention"])
    case = closed_case(client, adoption, standesamt)
    with django_capture_on_commit_callbacks(execute=True):
        report = retention.apply(timezone.now() + timedelta(days=31))
    assert report.anonymised == 1
    case.refresh_from_db()
    assert case.anonymised_at and case.state == "abgeschlossen"
    assert case.submission.content == {"answers": {}, "anonymised": True}
    assert not SearchToken.objects.filter(case=case).exists()
    assert not Upload.objects.filter(submission_id=case.submission_id).exists()
    assert not CaseEvent.objects.filter(case=case).exclude(text=b"").exists()
    assert AuditEntry.objects.filter(action="retention.anonymised").count() == 1
    assert retention.apply(timezone.now() + timedelta(days=400)).anonymised == 0


def test_open_cases_are_kept(client, adoption, standesamt):
    draft, _ = start_as_guest(client, adoption)
    client.post(step_url(draft, "person"), {"vorname": "A", "familienname": "B",
                                            "zweck": "rente", "_action": "next"})
    client.post(step_url(draft, "weiteres"), {"anzahl": "1", "_action": "next"})
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    assert retention.apply(timezone.now() + timedelta(days=3650)).deleted == 0
    call_command("apply_retention", verbosity=0)
