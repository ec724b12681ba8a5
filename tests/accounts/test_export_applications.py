"""The export of all own data holds the account's applications (issue 11, finding 17):
drafts, submissions with their answers, uploads (decrypted), receipts, the case as the
applicant sees it with its Nachforderung, notices and payments; never another account's."""

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from amtsweg.accounts import dataprotection
from amtsweg.cases import actions as case_actions
from amtsweg.payments.models import Payment
from amtsweg.submissions.models import Draft, Submission
from tests.accounts.conftest import CommitClient
from tests.cases.test_workflow import clerk
from tests.submissions.conftest import make_small_service
from tests.submissions.test_apply import PDF, PNG, step_url

pytestmark = pytest.mark.django_db

PASSWORD = "Ein langer Satz als Passwort 7"


@pytest.fixture
def standesamt():
    from amtsweg.territory.models import Authority

    return Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def adoption(standesamt):
    return make_small_service(standesamt)


def person(email: str, given: str) -> tuple[CommitClient, object]:
    user = apps.get_model(settings.AUTH_USER_MODEL).objects.create_user(
        email, PASSWORD, email_verified_at="2026-01-01T00:00Z")
    client = CommitClient()
    client.post("/konto/anmelden/", {"email": email, "password": PASSWORD})
    return client, user


def start(client, offer, given: str, family: str, upload: tuple[str, bytes]) -> Draft:
    client.post(reverse("submissions:start", args=[offer.service.slug, "06635001"]))
    draft = Draft.objects.filter(adoption=offer).latest("created_at")
    client.post(step_url(draft, "person"), {"vorname": given, "familienname": family,
                                            "zweck": "rente", "_action": "next"})
    name, data = upload
    r = client.post(step_url(draft, "weiteres"), {
        "anzahl": "2", "nachweis": SimpleUploadedFile(name, data), "_action": "next"})
    assert r.status_code == 302, r.content.decode()[:500]
    return draft


def send(client, draft) -> Submission:
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    return Submission.objects.get(draft_key=draft.pk)


def export(client) -> tuple[zipfile.ZipFile, dict]:
    response = client.post("/konto/daten/export/")
    assert response["Content-Type"] == "application/zip", response.status_code
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return archive, json.loads(archive.read("data.json"))


def test_the_export_holds_drafts_applications_files_receipts_cases_and_payments(
        adoption, standesamt):
    lena, lena_user = person("lena@example.org", "Lena")
    sent_draft = start(lena, adoption, "Lena", "Becker", ("geburtsurkunde.pdf", PDF))
    submission = send(lena, sent_draft)
    draft = start(lena, adoption, "Lena", "Entwurf", ("foto.png", PNG))
    Payment.objects.create(draft_key=submission.draft_key, submission=submission,
                           authority=standesamt, amount="24.00", provider="invoice",
                           state=Payment.State.INVOICE_OPEN, reference=submission.receipt_number)
    case = submission.case
    staff = clerk(standesamt)
    case_actions.transition(staff, case.pk, "pruefen")
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_actions.transition(staff, case.pk, "nachfordern",
                                note="Bitte Ausweiskopie nachreichen.")
    lena.post(reverse("case_portal:detail", args=[submission.receipt_number]), {
        "action": "answer", "answer": "Anbei die Kopie.",
        "files": SimpleUploadedFile("ausweis.pdf", PDF)})
    case_actions.add_note(staff, case.pk, "Interne Notiz: Akte prüfen")

    other, _ = person("max@example.org", "Max")  # another account applies too
    other_submission = send(other, start(other, adoption, "Max", "Fremd",
                                         ("fremd.pdf", PDF + b"% max")))

    archive, data = export(lena)
    names = archive.namelist()

    [exported_draft] = data["drafts"]
    assert exported_draft["id"] == str(draft.pk)
    assert exported_draft["answers"]["familienname"] == "Entwurf"
    assert ["Family name", "Entwurf"] in exported_draft["summary"][0]["rows"] or \
        ["Familienname", "Entwurf"] in exported_draft["summary"][0]["rows"]
    [draft_file] = exported_draft["files"]
    assert draft_file["filename"] == "foto.png"
    assert archive.read(draft_file["path"]) == PNG
    assert draft_file["path"] == f"drafts/{draft.pk}/{draft_file['id']}-foto.png"

    [application] = data["applications"]
    assert application["receipt_number"] == submission.receipt_number
    assert application["answers"]["familienname"] == "Becker"
    assert application["email"] == "lena@example.org" and application["fee"] == "24.00"
    files = {f["filename"]: f for f in application["files"]}
    assert archive.read(files["geburtsurkunde.pdf"]["path"]) == PDF
    assert files["ausweis.pdf"]["field"] == "nachforderung"  # the answer to the request
    assert archive.read(application["receipt"]).startswith(b"%PDF")

    [exported_case] = data["cases"]
    assert exported_case["receipt_number"] == submission.receipt_number
    assert exported_case["state"]
    notes = [row["note"] for row in exported_case["history"]]
    assert "Bitte Ausweiskopie nachreichen." in notes
    assert any("Anbei die Kopie." in note for note in notes)
    assert "Interne Notiz" not in json.dumps(data, ensure_ascii=False)  # staff only

    [payment] = data["payments"]
    assert payment["application"] == submission.receipt_number and payment["amount"] == "24.00"

    everything = json.dumps(data, ensure_ascii=False).encode() + b"".join(
        archive.read(n) for n in names)
    assert other_submission.receipt_number.encode() not in everything
    assert b"Fremd" not in everything and b"fremd.pdf" not in everything
    assert b"% max" not in everything
    assert lena_user.email == data["account"]["email"]


def test_the_export_of_a_notice(adoption, standesamt):
    """A decided case: the Bescheid's PDF is in the export with the application."""
    lena, _ = person("lena@example.org", "Lena")
    submission = send(lena, start(lena, adoption, "Lena", "Becker", ("a.pdf", PDF)))
    staff = clerk(standesamt)
    case_actions.transition(staff, submission.case.pk, "pruefen")
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_actions.transition(staff, submission.case.pk, "bewilligen",
                                note="Bewilligt.")
    _, data = export(lena)
    [exported] = data["cases"]
    assert exported["notices"] and exported["notices"][0]["path"].endswith(".pdf")
    assert exported["outcome"]


def test_applications_sent_at_a_higher_level_need_that_level_for_the_export(adoption):
    lena, user = person("lena@example.org", "Lena")
    submission = send(lena, start(lena, adoption, "Lena", "Becker", ("a.pdf", PDF)))
    Submission.objects.filter(pk=submission.pk).update(trust_level="substanziell")
    assert dataprotection.highest_level(user) == "substanziell"
    response = lena.post("/konto/daten/export/")
    assert response.status_code == 302 and "level=substanziell" in response.url


def test_names_in_the_archive_are_safe_to_unpack():
    safe = dataprotection.safe_name
    assert safe("../../etc/passwd") == "_.._etc_passwd"
    assert safe("..\\..\\boot.ini") == "_.._boot.ini"
    assert safe(".bashrc") == "bashrc" and safe("") == "datei" and safe("a\x00b") == "a_b"


def test_every_model_with_data_of_an_account_is_exported_or_named():
    """The class behind finding 17: a new model that keeps data of an account (or of its
    applications, cases, messages) must be in an export part or in NOT_EXPORTED with a
    reason. Children of an exported model are followed; of a named one, not."""
    covered = set(dataprotection.ACCOUNT_COVERS)
    for part in dataprotection.export_parts.enabled():
        covered |= set(part.covers)
    named = set(dataprotection.NOT_EXPORTED)
    assert not covered & named
    labels = {m._meta.label: m for m in apps.get_models()}
    assert (covered | named) <= set(labels), (covered | named) - set(labels)
    reached, todo, missing = set(), [settings.AUTH_USER_MODEL], []
    while todo:
        parent = todo.pop()
        reached.add(parent)
        for label, model in labels.items():
            if label in reached or label in todo:
                continue
            pointing = [f for f in model._meta.get_fields() if f.concrete and f.is_relation
                        and f.related_model is not None
                        and f.related_model._meta.label == parent]
            if not pointing:
                continue
            if label in covered:
                todo.append(label)
            elif label not in named:
                missing.append(f"{label} ({pointing[0].name} → {parent})")
    assert missing == []
    assert {"submissions.Submission", "submissions.Draft", "submissions.Upload",
            "cases.Case", "payments.Payment", "mailbox.Message"} <= reached
