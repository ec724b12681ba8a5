"""Postfach: delivery, unread counter, read receipt, trust levels, answers, isolation."""

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from amtsweg.mailbox.models import Attachment, Message
from amtsweg.territory.models import Authority
from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import login, registered_user
from tests.accounts.test_profile_trust import step_up

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def standesamt():
    return Authority.objects.get(name="Standesamt der Stadt Fulda")


def deliver(tmp_path, level="basis", subject="Ihre Geburtsurkunde", attach=True):
    args = ["--to", "erika@example.org", "--authority", "Standesamt der Stadt Fulda",
            "--subject", subject, "--body", "Guten Tag,\nanbei die Urkunde.",
            "--level", level]
    if attach:
        pdf = tmp_path / "urkunde.pdf"
        pdf.write_bytes(PDF)
        args += ["--attach", str(pdf)]
    from tests.accounts.conftest import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("deliver_message", *args)
    return Message.objects.latest("created_at")


def test_deliver_read_and_receipt(client, tmp_path, standesamt):
    registered_user(client)
    mail.outbox.clear()
    message = deliver(tmp_path)
    assert "Geburtsurkunde" not in message.subject_encrypted
    notice = mail.outbox[-1]
    assert notice.to == ["erika@example.org"]
    assert "Geburtsurkunde" not in notice.body + notice.subject  # no content in the e-mail
    assert "anbei" not in notice.body
    login(client)
    page = client.get("/konto/postfach/").content.decode()
    assert "Ihre Geburtsurkunde" in page and "ungelesen" in page
    assert message.read_at is None
    page = client.get(f"/konto/postfach/{message.pk}/").content.decode()
    assert "anbei die Urkunde" in page and "urkunde.pdf" in page
    message.refresh_from_db()
    assert message.read_at is not None  # read receipt for the Behörde
    assert "ungelesen" not in client.get("/konto/postfach/").content.decode()
    attachment = Attachment.objects.get(message=message)
    with default_storage.open(attachment.stored_name, "rb") as fh:
        assert b"%PDF" not in fh.read()  # encrypted at rest
    response = client.get(f"/konto/postfach/{message.pk}/anhang/{attachment.pk}/")
    assert response.content == PDF and response["Content-Type"] == "application/pdf"


def test_messages_above_the_session_level_stay_closed(client, tmp_path, settings):
    settings.TEST_EID_ENABLED = True
    registered_user(client)
    message = deliver(tmp_path, level="substanziell", subject="Bescheid Wohngeld")
    login(client)
    page = client.get("/konto/postfach/").content.decode()
    assert "Bescheid Wohngeld" not in page
    response = client.get(f"/konto/postfach/{message.pk}/")
    assert response.status_code == 302 and response.url.startswith(
        "/konto/vertrauensniveau/?level=substanziell")
    attachment = message.attachments.get()
    response = client.get(f"/konto/postfach/{message.pk}/anhang/{attachment.pk}/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.read_at is None
    step_up(client)
    assert "Bescheid Wohngeld" in client.get(f"/konto/postfach/{message.pk}/").content.decode()


def test_other_accounts_see_nothing(client, tmp_path):
    registered_user(client)
    message = deliver(tmp_path)
    attachment = message.attachments.get()
    other = Client()
    registered_user(other, "max@example.org")
    login(other, email="max@example.org")
    assert "Geburtsurkunde" not in other.get("/konto/postfach/").content.decode()
    assert other.get(f"/konto/postfach/{message.pk}/").status_code == 404
    assert other.get(f"/konto/postfach/{message.pk}/anhang/{attachment.pk}/").status_code == 404
    assert other.post(f"/konto/postfach/{message.pk}/", {"body": "x"}).status_code == 404


def test_answer_with_documents(client, tmp_path):
    registered_user(client)
    message = deliver(tmp_path, attach=False)
    login(client)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf")
    response = client.post(f"/konto/postfach/{message.pk}/",
                           {"body": "Hier mein Nachweis", "files": [bad]})
    assert response.status_code == 400
    assert "Hier mein Nachweis" in response.content.decode()  # what was typed stays
    assert not message.replies.exists()
    good = SimpleUploadedFile("nachweis.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/konto/postfach/{message.pk}/",
                           {"body": "Hier mein Nachweis", "files": [good]})
    assert response.status_code == 302
    answer = message.replies.get()
    assert answer.direction == "out" and answer.body == "Hier mein Nachweis"
    assert answer.subject.endswith("Ihre Geburtsurkunde")
    assert answer.attachments.get().filename == "nachweis.pdf"


def test_an_attachment_above_the_limit_is_dropped_while_it_streams_in(client, tmp_path,
                                                                      monkeypatch):
    """It used to be read whole into memory (f.read()) before its size was checked."""
    from django.core.files import uploadhandler
    from django.core.files.uploadedfile import SimpleUploadedFile

    from amtsweg.mailbox import actions

    registered_user(client)
    message = deliver(tmp_path, attach=False)
    login(client)
    monkeypatch.setattr(actions, "MAX_ATTACHMENT_BYTES", 1000)
    received = []
    original = uploadhandler.MemoryFileUploadHandler.receive_data_chunk
    monkeypatch.setattr(uploadhandler.MemoryFileUploadHandler, "receive_data_chunk",
                        lambda h, data, start: received.append(len(data)) or original(
                            h, data, start))
    big = SimpleUploadedFile("gross.pdf", PDF + b"x" * 100_000)
    response = client.post(f"/konto/postfach/{message.pk}/",
                           {"files": [big], "body": "Hier mein Nachweis"},
                           HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400 and sum(received) <= 1000
    page = response.content.decode()
    assert "gross.pdf" in page and "Hier mein Nachweis" in page  # posted after the file
    assert not message.replies.exists()


def test_command_errors_are_sentences(tmp_path):
    with pytest.raises(CommandError, match="No Servicekonto"):
        call_command("deliver_message", "--to", "x@example.org", "--authority", "x",
                     "--subject", "s", "--body", "b")
    from amtsweg.accounts.models import User

    User.objects.create_user("erika@example.org", "Ein langer Satz als Passwort 7")
    with pytest.raises(CommandError, match="No authority"):
        call_command("deliver_message", "--to", "erika@example.org", "--authority", "x",
                     "--subject", "s", "--body", "b")
    exe = tmp_path / "a.pdf"
    exe.write_bytes(b"MZ")
    with pytest.raises(CommandError, match="PDF"):
        call_command("deliver_message", "--to", "erika@example.org", "--authority",
                     "Standesamt der Stadt Fulda", "--subject", "s", "--body", "b",
                     "--attach", str(exe))
