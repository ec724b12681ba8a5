"""The blind index after key rotation: its key is derived from the master key, so a new
FIELD_ENCRYPTION_KEY needs new tokens (`rotate_keys --rewrap` runs `reindex_names --all`);
a tenant key rotation leaves the tokens alone. Searching by name finds the case throughout."""

import base64
from io import StringIO

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import CommandError, call_command
from django.urls import reverse

from amtsweg.audit.models import AuditEntry
from amtsweg.cases import actions
from amtsweg.cases.models import SearchToken
from amtsweg.core import crypto, tenantcrypto
from amtsweg.territory.models import Authority
from tests.cases.test_pages import bulk_cases
from tests.cases.test_workflow import submit
from tests.services.staff import client_for, staff
from tests.submissions.conftest import make_small_service

pytestmark = pytest.mark.django_db

INBOX = reverse("cases:inbox")


@pytest.fixture(autouse=True)
def _fresh_keys():
    tenantcrypto.forget()
    yield
    crypto._key.cache_clear()
    crypto.master_keys.cache_clear()
    tenantcrypto.forget()


@pytest.fixture
def other_adoption(standesamt):
    return make_small_service(Authority.objects.filter(is_demo=True).exclude(pk=standesamt.pk)
                              .order_by("pk").first())


def _use_master_key(monkeypatch, key: str, old: str = "") -> None:
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", key)
    if old:
        monkeypatch.setenv("FIELD_ENCRYPTION_OLD_KEYS", old)
    else:
        monkeypatch.delenv("FIELD_ENCRYPTION_OLD_KEYS", raising=False)
    crypto._key.cache_clear()
    crypto.master_keys.cache_clear()
    tenantcrypto.forget()


def _found(client, q: str) -> list[str]:
    response = client.get(INBOX, {"q": q})
    assert response.status_code == 200
    return [e["case"].receipt_number for e in response.context["entries"]]


def _tokens(case) -> set[str]:
    return set(SearchToken.objects.filter(case=case).values_list("token", flat=True))


def test_search_finds_the_case_through_a_master_key_rotation(monkeypatch, adoption,
                                                             standesamt):
    case = submit(adoption, name="Erika Mustermann").case
    clerk = client_for(staff(("clerk", standesamt)))
    assert _found(clerk, "mustermann erika") == [case.receipt_number]
    old_tokens = _tokens(case)
    old = base64.urlsafe_b64encode(crypto._key()).decode()
    new = base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode()

    # the new master key is deployed, the old one still listed: search tries both keys
    _use_master_key(monkeypatch, new, old)
    assert _found(clerk, "Mustermann") == [case.receipt_number]
    # a case opened now is indexed with the new key and found together with the old one
    newer = submit(adoption, name="Max Mustermann").case
    assert _tokens(newer).isdisjoint(old_tokens)
    assert set(_found(clerk, "mustermann")) == {case.receipt_number, newer.receipt_number}

    # without the old key (and without reindexing), the old tokens match nothing any more:
    # this is why the rotation recomputes them
    _use_master_key(monkeypatch, new)
    assert _found(clerk, "Erika Mustermann") == []
    _use_master_key(monkeypatch, new, old)

    out = StringIO()
    call_command("rotate_keys", "--rewrap", stdout=out)
    assert "Reindexed the names of" in out.getvalue()
    assert _tokens(case).isdisjoint(old_tokens)
    assert _tokens(case) == set(actions.name_tokens(
        tenantcrypto.tenant_of_authority(standesamt.pk), "Erika Mustermann"))
    assert AuditEntry.objects.filter(action="cases.names_reindexed",
                                     tenant=f"authority:{standesamt.pk}").exists()

    # the old key is gone: the submission still opens, and the name is still found
    _use_master_key(monkeypatch, new)
    assert _found(clerk, "erika mustermann") == [case.receipt_number]
    assert set(_found(clerk, "Mustermann")) == {case.receipt_number, newer.receipt_number}
    assert _found(clerk, "Musterfrau") == []


def test_a_tenant_key_rotation_keeps_the_tokens(adoption, standesamt):
    case = submit(adoption, name="Erika Mustermann").case
    before = _tokens(case)
    call_command("rotate_keys", "--tenant", f"authority:{standesamt.pk}", stdout=StringIO())
    assert _tokens(case) == before
    newer = submit(adoption, name="Erika Mustermann").case
    assert tenantcrypto.key_version(newer.submission.data) == 2
    assert _tokens(newer) == before  # same name, same Behörde, same master key: same tokens
    clerk = client_for(staff(("clerk", standesamt)))
    assert set(_found(clerk, "Erika Mustermann")) == {case.receipt_number,
                                                      newer.receipt_number}


def test_reindex_in_batches_for_one_behoerde(adoption, standesamt, other_adoption):
    cases = bulk_cases(adoption, 7, name="Jana Beispiel")
    theirs = bulk_cases(other_adoption, 2, name="Jana Beispiel")
    anonymised = cases[-1]
    anonymised.anonymised_at = anonymised.received_at
    anonymised.save(update_fields=["anonymised_at"])
    # tokens that match nothing any more (as after a master key change)
    SearchToken.objects.filter(case__in=cases + theirs).update(token="0" * 32)
    SearchToken.objects.filter(case=anonymised).delete()
    clerk = client_for(staff(("clerk", standesamt)))
    assert _found(clerk, "Jana Beispiel") == []

    out = StringIO()
    call_command("reindex_names", "--tenant", f"authority:{standesamt.pk}", "--batch", "2",
                 stdout=out)
    assert "Reindexed the names of 6 cases" in out.getvalue()
    expected = set(actions.name_tokens(tenantcrypto.tenant_of_authority(standesamt.pk),
                                       "Jana Beispiel"))
    assert all(_tokens(case) == expected for case in cases[:-1])
    assert _tokens(anonymised) == set()  # anonymised cases stay without tokens
    assert all(_tokens(case) == {"0" * 32} for case in theirs)  # another Behörde: untouched
    assert len(_found(clerk, "Jana Beispiel")) == 6
    # again: the same tokens (idempotent), by the bare id too
    call_command("reindex_names", "--tenant", str(standesamt.pk), stdout=StringIO())
    assert _tokens(cases[0]) == expected
    call_command("reindex_names", "--all", stdout=StringIO())
    assert _tokens(theirs[0]) == set(actions.name_tokens(
        tenantcrypto.tenant_of_authority(other_adoption.authority_id), "Jana Beispiel"))


def test_reindex_refuses_unclear_arguments():
    with pytest.raises(CommandError, match="--tenant"):
        call_command("reindex_names")
    with pytest.raises(CommandError, match="not a Behörde"):
        call_command("reindex_names", "--tenant", "platform")
    with pytest.raises(CommandError, match="No Behörde"):
        call_command("reindex_names", "--tenant", "authority:999999999")
