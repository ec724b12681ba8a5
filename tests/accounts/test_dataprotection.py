"""Export of all own data, account deletion, consent log."""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from amtsweg.accounts.dataprotection import account_deleting
from amtsweg.accounts.models import Consent, User
from amtsweg.mailbox.models import Attachment, Message
from tests.accounts.test_accounts import login, registered_user
from tests.accounts.test_profile_trust import step_up
from tests.mailbox.test_postfach import PDF, deliver

pytestmark = pytest.mark.django_db


def test_registration_logs_the_privacy_consent(client):
    user = registered_user(client)
    consent = Consent.objects.get(user=user)
    assert consent.kind == "privacy" and consent.version and consent.withdrawn_at is None


def test_export_contains_everything(client, tmp_path):
    user = registered_user(client)
    login(client)
    client.post("/konto/profil/", {"city": "Fulda"})
    message = deliver(tmp_path)
    assert client.get("/konto/daten/export/").status_code == 200
    response = client.post("/konto/daten/export/")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == user.email
    assert {"name": "city", "value": "Fulda"}.items() <= data["profile"][0].items()
    assert data["consents"][0]["kind"] == "privacy"
    exported = data["messages"][0]
    assert exported["subject"] == "Ihre Geburtsurkunde" and exported["id"] == str(message.pk)
    assert archive.read(exported["attachments"][0]["path"]) == PDF


def test_export_needs_the_level_of_the_data(client, tmp_path, settings):
    settings.TEST_EID_ENABLED = True
    registered_user(client)
    deliver(tmp_path, level="substanziell")
    login(client)
    response = client.post("/konto/daten/export/")
    assert response.status_code == 302 and "level=substanziell" in response.url
    step_up(client)
    assert client.post("/konto/daten/export/")["Content-Type"] == "application/zip"


def test_delete_account(client, tmp_path):
    user = registered_user(client)
    deliver(tmp_path)
    stored = Attachment.objects.get().stored_name
    assert default_storage.exists(stored)
    login(client)
    told = []
    account_deleting.connect(lambda sender, user, **kw: told.append(user.email),
                             weak=False, dispatch_uid="test-told")
    try:
        response = client.post("/konto/loeschen/", {"password": "falsch", "confirm": "yes"})
        assert response.status_code == 400 and User.objects.filter(pk=user.pk).exists()
        response = client.post("/konto/loeschen/",
                               {"password": "Ein langer Satz als Passwort 7"})
        assert response.status_code == 400  # not confirmed
        response = client.post("/konto/loeschen/", {"password": "Ein langer Satz als Passwort 7",
                                                     "confirm": "yes"})
    finally:
        account_deleting.disconnect(dispatch_uid="test-told")
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Message.objects.exists() and not default_storage.exists(stored)
    assert told == ["erika@example.org"]
    assert client.get("/konto/").status_code == 302
