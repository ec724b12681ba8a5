"""Master key rotation for everything encrypted directly with the master key (core.crypto):
old values stay readable, `rotate_keys --rewrap` re-encrypts them with the new key, and after
that the old key can be dropped with every kind of data still readable."""

import base64
import os
import re
from io import StringIO
from pathlib import Path

import pyotp
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse

from amtsweg.accounts import profile, twofactor
from amtsweg.accounts.models import ProfileAttribute, TotpDevice, User
from amtsweg.api import clients
from amtsweg.api.models import ApiClient
from amtsweg.audit.models import AuditEntry
from amtsweg.cases.models import Case
from amtsweg.core import crypto, reencrypt, tenantcrypto
from amtsweg.core.models import TenantKey
from amtsweg.mailbox import actions as mailbox
from amtsweg.mailbox.models import Attachment, Message
from amtsweg.territory.models import Authority
from tests.cases.test_workflow import submit
from tests.services.staff import client_for, staff
from tests.submissions.conftest import make_small_service

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_keys(monkeypatch):
    # start from an explicit key, so that no test depends on var/field_key
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", _new_key())
    monkeypatch.delenv("FIELD_ENCRYPTION_OLD_KEYS", raising=False)
    _forget()
    yield
    _forget()


def _forget() -> None:
    crypto._key.cache_clear()
    crypto.master_keys.cache_clear()
    tenantcrypto.forget()


def _new_key() -> str:
    return base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode()


def _use(monkeypatch, key: str, *old: str) -> None:
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", key)
    if old:
        monkeypatch.setenv("FIELD_ENCRYPTION_OLD_KEYS", ",".join(old))
    else:
        monkeypatch.delenv("FIELD_ENCRYPTION_OLD_KEYS", raising=False)
    _forget()


def _legacy(plaintext: str, context: str) -> str:
    """A value as core.crypto wrote it before key ids (format v1, no key id)."""
    nonce = os.urandom(12)
    sealed = AESGCM(crypto._key()).encrypt(nonce, plaintext.encode(), context.encode())
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def _legacy_bytes(data: bytes, context: str) -> bytes:
    nonce = os.urandom(12)
    return b"AW1" + nonce + AESGCM(crypto._key()).encrypt(nonce, data, context.encode())


@pytest.fixture
def standesamt():
    return Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def adoption(standesamt):
    return make_small_service(standesamt)


def test_values_written_before_key_ids_are_still_read(monkeypatch):
    old = os.environ["FIELD_ENCRYPTION_KEY"]
    token, blob = _legacy("geheim", "totp:1"), _legacy_bytes(b"%PDF", "attachment:x:a.pdf")
    assert crypto.decrypt(token, "totp:1") == "geheim"
    assert crypto.decrypt_bytes(blob, "attachment:x:a.pdf") == b"%PDF"
    assert not crypto.is_current(token) and not crypto.is_current(blob)
    # after a new master key they open with the old key from FIELD_ENCRYPTION_OLD_KEYS
    _use(monkeypatch, _new_key(), _new_key(), old)
    assert crypto.decrypt(token, "totp:1") == "geheim"
    assert crypto.decrypt_bytes(blob, "attachment:x:a.pdf") == b"%PDF"
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, "totp:2")  # the context still binds
    _use(monkeypatch, os.environ["FIELD_ENCRYPTION_KEY"])
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, "totp:1")  # no configured key fits


def test_new_values_name_their_key(monkeypatch):
    old = os.environ["FIELD_ENCRYPTION_KEY"]
    token = crypto.encrypt("geheim", "profile:1:city")
    blob = crypto.encrypt_bytes(b"%PDF", "c")
    kid = crypto.current_key_id()
    assert token.startswith(f"v2:{kid}:") and blob.startswith(b"AW2" + kid.encode())
    assert crypto.is_current(token) and crypto.is_current(blob[:20])
    assert "geheim" not in token and b"%PDF" not in blob
    new = _new_key()
    _use(monkeypatch, new, old)
    assert not crypto.is_current(token)
    assert crypto.decrypt(token, "profile:1:city") == "geheim"
    assert crypto.decrypt_bytes(blob, "c") == b"%PDF"
    assert crypto.is_current(crypto.reencrypt(token, "profile:1:city"))
    _use(monkeypatch, new)
    with pytest.raises(crypto.UnknownMasterKey, match=f"{kid} is not configured"):
        crypto.decrypt(token, "profile:1:city")
    with pytest.raises(crypto.UnknownMasterKey):
        crypto.decrypt_bytes(blob, "c")


def _message_with_attachment(user, authority, subject="Ihre Geburtsurkunde") -> Message:
    return mailbox.deliver(account=user, authority=authority, subject=subject,
                           body="Guten Tag,\nanbei die Urkunde.",
                           files=[mailbox.File("urkunde.pdf", PDF, "application/pdf")])


def _inbox_search(client, q: str) -> list[str]:
    response = client.get(reverse("cases:inbox"), {"q": q})
    assert response.status_code == 200
    return [e["case"].receipt_number for e in response.context["entries"]]


def test_rotation_end_to_end(monkeypatch, adoption, standesamt,
                             django_capture_on_commit_callbacks):
    old = os.environ["FIELD_ENCRYPTION_KEY"]
    user = User.objects.create_user("erika@example.org", "x" * 14)
    message = _message_with_attachment(user, standesamt)
    attachment = Attachment.objects.get(message=message)
    # a message and its file as written before key ids existed
    legacy = Message(account=user, authority=standesamt)
    legacy.subject_encrypted = _legacy("Alte Nachricht", legacy._context("subject"))
    legacy.body_encrypted = _legacy("Alter Text", legacy._context("body"))
    legacy.save()
    legacy_file = Attachment(message=legacy, filename="alt.pdf", content_type="application/pdf",
                             size=len(PDF))
    legacy_file.stored_name = default_storage.save(
        f"mailbox/{legacy.pk}/alt.bin", _content(_legacy_bytes(PDF, legacy_file.context())))
    legacy_file.save()
    secret = pyotp.random_base32()
    assert twofactor.confirm_device(user, secret, pyotp.TOTP(secret).now())
    profile.set_typed(user, {"city": "Fulda", "street": "Am Rathaus"})
    case = submit(adoption, name="Erika Mustermann").case  # before the clients: no webhook
    made = clients.create(authority=standesamt, name="Fachverfahren Standesamt",
                          webhook_url="https://fv.example.org/hook")
    without_hook = clients.create(authority=standesamt, name="Ohne Webhook")
    clerk = client_for(staff(("clerk", standesamt)))
    assert _inbox_search(clerk, "Mustermann") == [case.receipt_number]
    old_kid = crypto.current_key_id()

    # deploy the new key, the old one still listed; everything still reads
    new = _new_key()
    _use(monkeypatch, new, old)
    assert message.subject == "Ihre Geburtsurkunde"
    assert mailbox.read_attachment(attachment) == PDF
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_keys", "--rewrap", "--batch", "2", stdout=out)
    output = out.getvalue()
    assert "Re-wrapped" in output and "Reindexed the names of" in output
    assert "mailbox.Message: 2 checked, 2 re-encrypted" in output  # a progress line
    assert re.search(r"Re-encrypted 8 values and files \(.*accounts.ProfileAttribute 2.*"
                     r"accounts.TotpDevice 1.*api.ApiClient 1.*mailbox.Attachment 2.*"
                     r"mailbox.Message 2\); 0 not readable", output), output
    new_kid = crypto.current_key_id()
    assert TenantKey.objects.filter(tenant=f"authority:{standesamt.pk}",
                                    master_kid=new_kid).exists()
    old_names = [attachment.stored_name, legacy_file.stored_name]
    assert not any(default_storage.exists(name) for name in old_names)  # removed after commit

    # audit: one entry per batch with ids and counts, a summary; never a value
    entries = AuditEntry.objects.filter(tenant="platform", action="core.values_reencrypted")
    assert {e.object_type for e in entries} == {
        "mailbox.Message", "mailbox.Attachment", "accounts.TotpDevice",
        "accounts.ProfileAttribute", "api.ApiClient"}
    ids = [i for e in entries.filter(object_type="mailbox.Message") for i in e.data["ids"]]
    assert sorted(ids) == sorted(str(m.pk) for m in (message, legacy))
    assert all(e.data["key"] == new_kid for e in entries)
    summary = AuditEntry.objects.get(tenant="platform", action="core.master_key_rotated")
    assert summary.data["reencrypted"]["mailbox.Message"] == 2
    logged = str(list(AuditEntry.objects.values_list("data", flat=True)))
    for plaintext in ("Geburtsurkunde", "Fulda", "Rathaus", secret, made.webhook_secret,
                      "Mustermann", old_kid):
        assert plaintext not in logged

    # a second run changes nothing
    before = _snapshot()
    out = StringIO()
    call_command("rotate_keys", "--rewrap", stdout=out)
    assert "Re-encrypted 0 values and files" in out.getvalue()
    assert _snapshot() == before

    # the old key is dropped: everything reads
    _use(monkeypatch, new)
    message.refresh_from_db()
    assert (message.subject, message.body) == ("Ihre Geburtsurkunde",
                                               "Guten Tag,\nanbei die Urkunde.")
    legacy.refresh_from_db()
    assert (legacy.subject, legacy.body) == ("Alte Nachricht", "Alter Text")
    for item in Attachment.objects.filter(message__in=[message, legacy]):
        assert mailbox.read_attachment(item) == PDF
        with default_storage.open(item.stored_name, "rb") as fh:
            assert crypto.is_current(fh.read())
    TotpDevice.objects.filter(user=user).update(last_used_step=0)  # a later login
    assert twofactor.verify(user, pyotp.TOTP(secret).now())
    values = {name: a.value for name, a in profile.attributes(user).items()}
    assert values == {"city": "Fulda", "street": "Am Rathaus"}
    assert clients.webhook_secret(ApiClient.objects.get(pk=made.client.pk)) == made.webhook_secret
    assert clients.webhook_secret(ApiClient.objects.get(pk=without_hook.client.pk)) == ""
    case = Case.objects.select_related("submission").get(pk=case.pk)
    assert case.submission.content["answers"]["vorname"] == "Erika"
    assert _inbox_search(clerk, "erika mustermann") == [case.receipt_number]
    # and what is written now is under the new key
    assert _message_with_attachment(user, standesamt, "Neu").subject == "Neu"


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def _snapshot() -> dict:
    return {
        "messages": sorted(Message.objects.values_list("pk", "subject_encrypted",
                                                       "body_encrypted")),
        "files": sorted(Attachment.objects.values_list("pk", "stored_name")),
        "totp": sorted(TotpDevice.objects.values_list("pk", "secret_encrypted")),
        "profile": sorted(ProfileAttribute.objects.values_list("pk", "value_encrypted")),
        "api": sorted(ApiClient.objects.values_list("pk", "webhook_secret")),
        "tenant_keys": sorted(TenantKey.objects.values_list("pk", "wrapped")),
    }


def test_a_value_no_key_opens_is_reported_and_left_alone(monkeypatch, standesamt):
    first = os.environ["FIELD_ENCRYPTION_KEY"]
    user = User.objects.create_user("max@example.org", "x" * 14)
    readable = _message_with_attachment(user, standesamt, "Lesbar")
    lost_key = _new_key()
    _use(monkeypatch, lost_key)
    lost = _message_with_attachment(user, standesamt, "Verloren")
    lost_file = Attachment.objects.get(message=lost)
    new = _new_key()
    # the operator forgot one former key: only the first one is listed
    _use(monkeypatch, new, first)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 values could not be decrypted"):
        call_command("rotate_keys", "--rewrap", stdout=out, stderr=err)
    assert f"mailbox.Message: not readable with any configured key: {lost.pk}" in err.getvalue()
    assert f"mailbox.Attachment: not readable with any configured key: {lost_file.pk}" in (
        err.getvalue())
    assert "Re-encrypted 2 values and files" in out.getvalue()
    assert "Reindexed the names" in out.getvalue()  # the rest of the rotation still ran
    assert Message.objects.get(pk=lost.pk).subject_encrypted == lost.subject_encrypted
    assert Attachment.objects.get(pk=lost_file.pk).stored_name == lost_file.stored_name
    summary = AuditEntry.objects.get(action="core.master_key_rotated")
    assert summary.data["unreadable"] == {"mailbox.Message": [str(lost.pk)],
                                          "mailbox.Attachment": [str(lost_file.pk)]}
    # with the forgotten key listed too, a second run finishes the job
    _use(monkeypatch, new, first, lost_key)
    call_command("rotate_keys", "--rewrap", stdout=StringIO())
    _use(monkeypatch, new)
    assert Message.objects.get(pk=lost.pk).subject == "Verloren"
    assert mailbox.read_attachment(Attachment.objects.get(pk=lost_file.pk)) == PDF
    assert Message.objects.get(pk=readable.pk).subject == "Lesbar"


def test_a_failed_batch_removes_the_files_it_wrote(monkeypatch, standesamt):
    user = User.objects.create_user("jana@example.org", "x" * 14)
    message = _message_with_attachment(user, standesamt)
    attachment = Attachment.objects.get(message=message)
    _use(monkeypatch, _new_key(), os.environ["FIELD_ENCRYPTION_KEY"])
    folder = Path(default_storage.path(attachment.stored_name)).parent
    before = sorted(p.name for p in folder.iterdir())

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Attachment.objects, "bulk_update", broken)
    entry = next(e for e in crypto.registered() if e.model == "mailbox.Attachment")
    with pytest.raises(RuntimeError):
        reencrypt.reencrypt(entry)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert mailbox.read_attachment(Attachment.objects.get(pk=attachment.pk)) == PDF


KNOWN_CALLERS = {"mailbox/models.py", "mailbox/actions.py", "accounts/twofactor.py",
                 "accounts/profile.py", "api/clients.py"}


def test_every_use_of_the_master_key_is_registered_for_rotation():
    """A new caller of crypto.encrypt()/encrypt_bytes() must register its columns with
    crypto.register (or rotation would leave its values behind), then be listed here."""
    src = Path(crypto.__file__).parents[1]
    callers = {str(path.relative_to(src)) for path in src.rglob("*.py")
               if path.name != "crypto.py"
               and re.search(r"crypto\.encrypt(_bytes)?\(", path.read_text())}
    assert callers == KNOWN_CALLERS
    assert [e.model for e in crypto.registered()] == [
        "accounts.ProfileAttribute", "accounts.TotpDevice", "api.ApiClient",
        "mailbox.Attachment", "mailbox.Message"]
