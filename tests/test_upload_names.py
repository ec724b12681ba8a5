"""Uploaded files carry the extension of their detected type wherever their name is shown or
used as a download name (finding 14 of issue 11): a JPEG called `rechnung.pdf.html` is
`rechnung.jpg` for the clerk, the Fachverfahren, the applicant and in the Postfach.

One test per way a file enters the platform; core.files.stored_name names them all."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.core import files
from amtsweg.mailbox.models import Attachment, Message
from amtsweg.submissions.models import Submission, Upload
from amtsweg.territory.models import Authority
from tests.accounts.conftest import CommitClient
from tests.accounts.test_accounts import login, registered_user
from tests.api.conftest import bearer, make_client
from tests.api.conftest import submit as api_submit
from tests.services.staff import client_for, staff
from tests.submissions.conftest import make_small_service
from tests.submissions.test_apply import PDF, PNG, start_as_guest, step_url

JPEG = (bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + b"\x08" * 64
        + bytes.fromhex("ffd9"))


@pytest.fixture
def standesamt(db) -> Authority:
    return Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def adoption(standesamt):
    return make_small_service(standesamt)


def disposition_name(response) -> str:
    value = response["Content-Disposition"]
    assert value.startswith("attachment; ")
    return re.search(r'filename="([^"]*)"', value).group(1)


@pytest.mark.parametrize(("sent", "kind", "stored"), [
    ("rechnung.pdf.html", "image/jpeg", "rechnung.jpg"),
    ("bescheid.pdf.exe", "application/pdf", "bescheid.pdf"),
    ("Antrag v1.2 final.PDF", "application/pdf", "Antrag v1.2 final.pdf"),
    ("foto.jpeg", "image/png", "foto.png"),
    ("rechnung\u202egpj.exe", "image/jpeg", "rechnunggpj.jpg"),  # right-to-left override
    ("..\\..\\windows\\system32.pdf", "application/pdf", "system32.pdf"),
    ("../../etc/passwd", "text/plain", "passwd.txt"),
    (".htaccess", "text/plain", "htaccess.txt"),
    ("CON.pdf", "application/pdf", "datei-CON.pdf"),
    ("", "image/png", "datei.png"),
    ("x.bin", "application/x-unknown-thing", "x.bin"),
])
def test_stored_names(sent, kind, stored):
    assert files.stored_name(sent, kind) == stored


@given(st.text(max_size=300), st.sampled_from(sorted(files.EXTENSIONS)))
def test_stored_names_are_safe_and_idempotent(sent, kind):
    name = files.stored_name(sent, kind)
    assert name.endswith(files.EXTENSIONS[kind]) and len(name) <= files.MAX_NAME
    assert not set(name) & set('/\\<>:"|?*') and not name.startswith(".")
    assert name.isprintable()  # no control or bidi characters
    assert files.stored_name(name, kind) == name


def test_an_applicants_upload_is_named_by_its_type_everywhere(client, adoption, standesamt):
    draft, _ = start_as_guest(client, adoption)
    client.post(step_url(draft, "person"), {"vorname": "Erika", "familienname": "Mustermann",
                                            "zweck": "rente", "_action": "next"})
    sent = SimpleUploadedFile("rechnung.pdf.html", PNG, content_type="text/html")
    r = client.post(step_url(draft, "weiteres"), {"anzahl": "1", "nachweis": sent,
                                                  "_action": "next"})
    assert r.status_code == 302
    upload = Upload.objects.get(draft=draft)
    assert upload.name == "rechnung.png" and upload.open(upload.meta)["name"] == "rechnung.png"
    summary = client.get(reverse("submissions:summary", args=[draft.pk])).content.decode()
    assert "rechnung.png" in summary and "rechnung.pdf" not in summary  # the applicant
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    submission = Submission.objects.get(draft_key=draft.pk)
    case = submission.case
    # the clerk's case page and download
    clerk = client_for(staff(("clerk", standesamt)))
    page = clerk.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "rechnung.png" in page and "rechnung.pdf" not in page
    download = clerk.get(reverse("cases:attachment", args=[case.pk, upload.pk]))
    assert disposition_name(download) == "rechnung.png"
    assert download["Content-Type"] == "image/png" and download.content == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    # the Fachverfahren API
    _api_client, token = make_client(standesamt)
    detail = Client().get(f"/api/v1/fachverfahren/submissions/{submission.pk}",
                          **bearer(token)).json()
    assert [a["name"] for a in detail["attachments"]] == ["rechnung.png"]
    download = Client().get(f"/api/v1/fachverfahren/submissions/{submission.pk}/attachments/"
                            f"{upload.pk}", **bearer(token))
    assert disposition_name(download) == "rechnung.png"
    assert download["Content-Type"] == "image/png"


def test_files_stored_before_the_fix_are_shown_with_the_right_extension(adoption, standesamt):
    submission = api_submit(adoption, attach=True)
    upload = submission.uploads.get()
    upload.meta = upload.seal({"name": "rechnung.pdf.html"})  # as the old code stored it
    upload.save(update_fields=["meta"])
    assert Upload.objects.get(pk=upload.pk).name == "rechnung.pdf"  # it holds a PDF
    clerk = client_for(staff(("clerk", standesamt)))
    download = clerk.get(reverse("cases:attachment", args=[submission.case.pk, upload.pk]))
    assert disposition_name(download) == "rechnung.pdf"


def test_an_answer_to_a_nachforderung_is_named_by_its_type(client, adoption, standesamt,
                                                            django_capture_on_commit_callbacks):
    from amtsweg.cases import actions as case_actions
    from tests.cases.test_workflow import clerk as make_clerk
    from tests.submissions.test_apply import fill

    draft, _ = start_as_guest(client, adoption)
    fill(client, draft)
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    submission = Submission.objects.get(draft_key=draft.pk)
    user = make_clerk(standesamt)
    case_actions.transition(user, submission.case.pk, "pruefen")
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.transition(user, submission.case.pk, "nachfordern", note="Bitte.")
    url = reverse("case_portal:detail", args=[submission.receipt_number])
    r = client.post(url, {"action": "answer", "answer": "Anbei.", "files": [
        SimpleUploadedFile("ausweis.pdf.html", JPEG, content_type="text/html")]})
    assert r.status_code == 302
    upload = Upload.objects.get(submission=submission, field="nachforderung")
    assert upload.name == "ausweis.jpg" and upload.content_type == "image/jpeg"
    page = client_for(staff(("clerk", standesamt))).get(
        reverse("cases:detail", args=[submission.case.pk])).content.decode()
    assert "ausweis.jpg" in page and "ausweis.pdf" not in page  # file list and history note


def test_a_postfach_answer_is_named_by_its_type(db, tmp_path):
    from tests.mailbox.test_postfach import deliver

    client = CommitClient()
    registered_user(client)
    message = deliver(tmp_path, attach=False)
    login(client)
    sent = SimpleUploadedFile("rechnung.pdf.html", JPEG, content_type="image/jpeg")
    r = client.post(f"/konto/postfach/{message.pk}/", {"body": "Anbei.", "files": [sent]})
    assert r.status_code == 302
    attachment = message.replies.get().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("rechnung.jpg", "image/jpeg")
    page = client.get(f"/konto/postfach/{message.pk}/").content.decode()
    assert "rechnung.jpg" in page and "rechnung.pdf" not in page
    download = client.get(f"/konto/postfach/{attachment.message_id}/anhang/{attachment.pk}/")
    assert disposition_name(download) == "rechnung.jpg"
    assert download["Content-Type"] == "image/jpeg"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_file_sent_by_a_behoerde_is_named_by_its_type(db, tmp_path):
    registered_user(CommitClient())
    path = tmp_path / "bescheid.pdf.exe"
    path.write_bytes(PDF)
    call_command("deliver_message", "--to", "erika@example.org", "--authority",
                 "Standesamt der Stadt Fulda", "--subject", "Bescheid", "--body", "Anbei.",
                 "--attach", str(path))
    attachment = Message.objects.latest("created_at").attachments.get()
    assert (attachment.name, attachment.content_type) == ("bescheid.pdf", "application/pdf")


def test_a_notice_sent_through_the_api_is_named_by_its_type(adoption, standesamt):
    from django.contrib.auth import get_user_model

    citizen = get_user_model().objects.create_user("buerger@example.org", "x" * 14)
    submission = api_submit(adoption, user=citizen)
    _api_client, token = make_client(standesamt)
    r = Client().post(f"/api/v1/fachverfahren/submissions/{submission.pk}/notice",
                      {"file": SimpleUploadedFile("bescheid.html", PDF, "text/html")},
                      **bearer(token))
    assert r.status_code == 201, r.content
    attachment = Message.objects.get(pk=r.json()["messageId"]).attachments.get()
    assert attachment.name == "bescheid.pdf"


def test_an_attachment_cannot_be_stored_under_the_senders_name(db, tmp_path):
    from tests.mailbox.test_postfach import deliver

    registered_user(CommitClient())
    message = deliver(tmp_path, attach=False)
    with pytest.raises(ValueError, match="stored_name"):
        Attachment(message=message, filename="rechnung.pdf.html", content_type="image/jpeg",
                   size=1, stored_name="x").save()


SRC = Path(files.__file__).parents[1]


def test_uploads_and_attachments_are_only_made_by_the_actions_that_name_them():
    """A new way of storing an uploaded file must name it with core.files.stored_name: the
    model rows are created in these two actions only, and templates show `.name`."""
    makers = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
              if re.search(r"(?<!class )\b(Upload|Attachment)\(", p.read_text())}
    assert makers == {"submissions/actions.py", "mailbox/actions.py"}
    assert "core_files.stored_name(f.name, detected)" in (
        SRC / "submissions/actions.py").read_text()
    assert "filename=core_files.stored_name(f.name, kind)" in (
        SRC / "mailbox/actions.py").read_text()
    shown_raw = [str(p.relative_to(SRC)) for p in SRC.rglob("*.html")
                 if re.search(r"\.filename\b", p.read_text())]
    assert shown_raw == []


def test_uploaded_files_are_served_by_one_helper():
    """Download views of uploaded files use core.files.download (attachment, stored name,
    detected type, nosniff); reading an upload for a response anywhere else fails here."""
    readers = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
               if re.search(r"\b(read_upload|read_attachment)\(", p.read_text())}
    # the export parts write files into the data export's ZIP, one attachment download
    for module in readers - {"submissions/actions.py", "mailbox/actions.py",
                             "mailbox/export.py", "submissions/export.py"}:
        text = (SRC / module).read_text()
        assert "core_files.download(" in text, module
        assert not re.search(r"HttpResponse\((read_upload|actions\.read_attachment|"
                             r"submission_actions\.read_upload)", text), module
