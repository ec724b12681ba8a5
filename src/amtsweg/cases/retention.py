"""Retention: what happens to an application's data once its case is closed. Per service
version (`ServiceVersion.retention`): after `after_days` (default 90) days either delete the
submission with its case, files and notices, or anonymise it (answers, name index, notes and
files go; the case row stays with its dates and states for the statistics). Each run leaves
one audit entry per case without personal data."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from amtsweg.audit import actions as audit
from amtsweg.core import tenantcrypto
from amtsweg.submissions.models import Submission, Upload

from .models import Case, CaseEvent, Notice

DEFAULT = {"after_days": 90, "action": "delete"}


@dataclass
class Report:
    deleted: int = 0
    anonymised: int = 0
    files: list[str] = field(default_factory=list)


def rule_of(version) -> dict:
    rule = {**DEFAULT, **(version.retention or {})}
    if rule["action"] not in ("delete", "anonymise"):
        rule["action"] = "delete"
    return rule


def due(now=None):
    """Closed cases whose retention period is over and that still hold personal data."""
    now = now or timezone.now()
    for case in (Case.objects.filter(closed_at__isnull=False, anonymised_at__isnull=True)
                 .select_related("version").iterator()):
        rule = rule_of(case.version)
        if case.closed_at + timedelta(days=int(rule["after_days"])) <= now:
            yield case, rule


def apply(now=None) -> Report:
    report = Report()
    for case, rule in list(due(now)):
        with transaction.atomic():
            files = _files(case)
            tenant = tenantcrypto.tenant_of_authority(case.authority_id)
            if rule["action"] == "anonymise":
                _anonymise(case)
                report.anonymised += 1
            else:
                Submission.objects.filter(pk=case.submission_id).delete()
                report.deleted += 1
            audit.record(tenant=tenant, actor="system", action=f"retention.{rule['action']}d"
                         if rule["action"] == "delete" else "retention.anonymised",
                         object_type="cases.case", object_id=case.pk,
                         data={"version": case.version_id, "files": len(files),
                               "after_days": int(rule["after_days"])})
            transaction.on_commit(lambda files=files: [default_storage.delete(n)
                                                       for n in files])
            report.files += files
    return report


def _files(case: Case) -> list[str]:
    uploads = Upload.objects.filter(submission_id=case.submission_id)
    notices = Notice.objects.filter(case=case)
    return ([n for n in uploads.values_list("stored_name", flat=True) if n]
            + [n for n in notices.values_list("stored_name", flat=True) if n])


def _anonymise(case: Case) -> None:
    submission = case.submission
    submission.data = submission.seal({"answers": {}, "anonymised": True})
    submission.user_id = None
    submission.organisation_id = None
    submission.save(update_fields=["data", "user", "organisation"])
    Upload.objects.filter(submission=submission).delete()
    Notice.objects.filter(case=case).delete()
    case.tokens.all().delete()
    CaseEvent.objects.filter(case=case).update(text=b"")
    Case.objects.filter(pk=case.pk).update(assignee=None, anonymised_at=timezone.now())
