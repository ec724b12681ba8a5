import base64

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command

from amtsweg.core import crypto, tenantcrypto
from amtsweg.core.models import TenantKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_keys():
    tenantcrypto.forget()
    yield
    tenantcrypto.forget()
    crypto.master_keys.cache_clear()
    crypto._key.cache_clear()


def test_seal_and_open_round_trip_with_context():
    blob = tenantcrypto.seal_json("authority:1", {"name": "Erika Mustermann"}, "draft:x")
    assert b"Erika" not in blob
    assert tenantcrypto.open_json("authority:1", blob, "draft:x") == {"name": "Erika Mustermann"}
    with pytest.raises(InvalidTag):
        tenantcrypto.open_json("authority:1", blob, "draft:y")


def test_each_tenant_has_its_own_key():
    blob = tenantcrypto.seal("authority:1", b"secret", "c")
    tenantcrypto.current_version("authority:2")
    with pytest.raises(InvalidTag):
        tenantcrypto.open_("authority:2", blob, "c")
    assert TenantKey.objects.filter(tenant__in=["authority:1", "authority:2"]).count() == 2
    row = TenantKey.objects.get(tenant="authority:1")
    assert len(row.wrapped) > 40 and row.master_kid == crypto.key_id(crypto._key())


def test_rotating_a_tenant_key_keeps_old_data_readable():
    old = tenantcrypto.seal("authority:7", b"old", "c")
    assert tenantcrypto.rotate_tenant("authority:7") == 2
    new = tenantcrypto.seal("authority:7", b"new", "c")
    assert tenantcrypto.key_version(old) == 1 and tenantcrypto.key_version(new) == 2
    assert tenantcrypto.open_("authority:7", old, "c") == b"old"
    assert tenantcrypto.open_("authority:7", new, "c") == b"new"


def test_master_key_rotation_rewraps_data_keys(monkeypatch):
    blob = tenantcrypto.seal("authority:9", b"kept", "c")
    old_key = base64.urlsafe_b64encode(crypto._key()).decode()
    new_key = base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode()
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", new_key)
    monkeypatch.setenv("FIELD_ENCRYPTION_OLD_KEYS", old_key)
    crypto._key.cache_clear()
    crypto.master_keys.cache_clear()
    tenantcrypto.forget()
    call_command("rotate_keys", "--rewrap")
    row = TenantKey.objects.get(tenant="authority:9")
    assert row.master_kid == crypto.key_id(base64.urlsafe_b64decode(new_key))
    monkeypatch.delenv("FIELD_ENCRYPTION_OLD_KEYS")
    crypto.master_keys.cache_clear()
    tenantcrypto.forget()
    assert tenantcrypto.open_("authority:9", blob, "c") == b"kept"


def test_unknown_master_key_is_a_clear_error(monkeypatch):
    tenantcrypto.seal("authority:11", b"x", "c")
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY",
                       base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode())
    crypto._key.cache_clear()
    crypto.master_keys.cache_clear()
    tenantcrypto.forget()
    with pytest.raises(ValueError, match="is not configured"):
        tenantcrypto.open_("authority:11", tenantcrypto.MAGIC + b"\0\0\0\1" + b"0" * 40, "c")
