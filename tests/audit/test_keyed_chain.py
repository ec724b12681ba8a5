"""The keyed audit chain (finding 15 of issue 11): someone who can write to the database but
does not hold the audit key can neither rewrite a chain and recompute it, nor delete a
Behörde's chain with its head, nor cut off a tail behind an exported head unnoticed."""

import base64
import datetime
import hashlib
import hmac
import importlib
import json
import secrets

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from amtsweg.audit import actions, heads, keys
from amtsweg.audit.models import AuditEntry, AuditHead

from .conftest import chain, triggers_dropped

pytestmark = pytest.mark.django_db


def _plain_sha256(entry: AuditEntry) -> str:
    """The unkeyed hash the chain used before: what anyone can recompute."""
    fields = [entry.tenant, entry.seq,
              entry.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
              entry.actor, entry.action, entry.object_type, entry.object_id, entry.data,
              entry.prev_hash]
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _rewrite_from(tenant: str, seq: int, change: dict, **extra) -> None:
    """The attack: change entry `seq`, recompute every later hash the old way (SHA-256 over
    the content and the previous hash) and move the head, so the chain is consistent."""
    prev = AuditEntry.objects.get(tenant=tenant, seq=seq - 1).hash if seq > 1 else "0" * 64
    with triggers_dropped():
        for entry in AuditEntry.objects.filter(tenant=tenant, seq__gte=seq).order_by("seq"):
            if entry.seq == seq:
                for name, value in change.items():
                    setattr(entry, name, value)
            entry.prev_hash = prev
            entry.hash = _plain_sha256(entry)
            columns = {**(change if entry.seq == seq else {}), **extra}
            AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash,
                                                           hash=entry.hash, **columns)
            prev = entry.hash
        AuditHead.objects.filter(tenant=tenant).update(hash=prev)


def test_entries_are_macs_under_a_key_outside_the_database(tenant, settings):
    entry = chain(tenant, 1)[0]
    assert entry.key_id == keys.current_id() and len(entry.hash) == 64
    assert entry.hash != _plain_sha256(entry)
    key = keys.keys()[entry.key_id]
    sub = hmac.new(key, b"audit-chain", hashlib.sha256).digest()
    fields = [entry.tenant, 1, entry.at.astimezone(datetime.UTC).isoformat(
        timespec="microseconds"), "system", "test.step", "test.thing", "1", {"step": 1},
        actions.GENESIS, entry.key_id]
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.hash == hmac.new(sub, payload.encode(), hashlib.sha256).hexdigest()
    # the embedded default generates the key into var/, readable by its owner only
    if not settings.AUDIT_KEY:
        assert (settings.VAR_DIR / "audit_key").stat().st_mode & 0o077 == 0
    with connection.cursor() as cursor:  # nothing of the key is in the database
        cursor.execute("SELECT * FROM audit_auditentry")
        dumped = str(cursor.fetchall())
    assert base64.urlsafe_b64encode(key).decode() not in dumped and key.hex() not in dumped


def test_a_rewritten_chain_with_recomputed_sha256_hashes_is_detected(tenant):
    chain(tenant, 4)
    _rewrite_from(tenant, 2, {"actor": "user:666"})
    problems = actions.verify(tenant)
    assert [(p.seq, p.kind) for p in problems] == [(2, "hash"), (3, "hash"), (4, "hash")]


def test_a_rewrite_that_claims_to_be_unkeyed_is_detected(tenant):
    chain(tenant, 4)
    _rewrite_from(tenant, 2, {"actor": "user:666"}, key_id=None)
    kinds = {(p.seq, p.kind) for p in actions.verify(tenant)}
    assert (2, "unkeyed") in kinds and (4, "unkeyed") in kinds  # also: the end is unkeyed


def test_deleting_a_behoerde_chain_with_its_head_is_detected(tenant):
    chain(tenant, 3)
    chain(tenant + "b", 2)
    assert actions.verify() == [] and actions.verify(tenant) == []
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant).delete()
        AuditHead.objects.filter(tenant=tenant).delete()
    expected = [(tenant, 0, "missing")]
    assert [(p.tenant, p.seq, p.kind) for p in actions.verify()] == expected
    assert [(p.tenant, p.seq, p.kind) for p in actions.verify(tenant)] == expected
    with pytest.raises(CommandError, match="1 problems"):
        call_command("audit_verify")


def test_removing_the_registration_as_well_breaks_the_platform_chain(tenant):
    chain(tenant, 3)
    registration = AuditEntry.objects.get(tenant=actions.PLATFORM, object_id=tenant,
                                          action=actions.REGISTERED)
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant).delete()
        AuditHead.objects.filter(tenant=tenant).delete()
        AuditEntry.objects.filter(pk=registration.pk).delete()
    problems = actions.verify()
    assert problems and all(p.tenant == actions.PLATFORM for p in problems)


def test_a_new_tenant_is_registered_once_in_the_platform_chain(tenant):
    chain(tenant, 2)
    chain(tenant, 1)
    assert AuditEntry.objects.filter(tenant=actions.PLATFORM, action=actions.REGISTERED,
                                     object_id=tenant).count() == 1
    assert actions.registered_tenants([tenant]) == {tenant}


def test_a_chain_that_is_not_registered_is_reported(tenant):
    chain(tenant, 1)
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=actions.PLATFORM, object_id=tenant).delete()
    assert (tenant, "unregistered") in {(p.tenant, p.kind) for p in actions.verify(tenant)}


# --- exported heads ---------------------------------------------------------------------------


def test_a_cut_off_tail_is_detected_against_the_exported_heads(tenant, tmp_path, capsys):
    chain(tenant, 5)
    path = tmp_path / "heads.json"
    call_command("audit_verify", "--export-heads", str(path))
    assert "Exported" in capsys.readouterr().out
    assert path.stat().st_mode & 0o777 == 0o600
    assert heads.load(path)[tenant] == (5, AuditEntry.objects.get(tenant=tenant, seq=5).hash)
    # delete the two newest entries and move the head back: consistent again …
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq__gt=3).delete()
    third = AuditEntry.objects.get(tenant=tenant, seq=3)
    AuditHead.objects.filter(tenant=tenant).update(seq=3, hash=third.hash)
    assert actions.verify(tenant) == []
    # … but not with the heads exported before
    with pytest.raises(CommandError, match="1 problems"):
        call_command("audit_verify", "--heads", str(path))
    assert f"{tenant} #3: the chain ends at 3 but was exported up to 5" in \
        capsys.readouterr().err


def test_a_chain_that_vanished_after_the_export_is_detected(tenant, tmp_path, capsys):
    chain(tenant, 2)
    path = tmp_path / "heads.json"
    call_command("audit_verify", "--export-heads", str(path))
    with triggers_dropped():  # everything, the registration included
        AuditEntry.objects.filter(tenant=tenant).delete()
        AuditHead.objects.filter(tenant=tenant).delete()
        AuditEntry.objects.filter(tenant=actions.PLATFORM, object_id=tenant).delete()
    with pytest.raises(CommandError):
        call_command("audit_verify", "--tenant", tenant, "--heads", str(path))
    assert f"{tenant} #0: this chain was exported but has no entries and no head" in \
        capsys.readouterr().err


def test_the_heads_file_cannot_be_edited_to_match(tenant, tmp_path):
    chain(tenant, 3)
    path = tmp_path / "heads.json"
    heads.write(path, heads.snapshot())
    document = json.loads(path.read_text())
    document["heads"][tenant]["seq"] = 2
    path.write_text(json.dumps(document))
    with pytest.raises(heads.HeadsFileError, match="MAC does not match"):
        heads.load(path)
    with pytest.raises(CommandError, match="MAC does not match"):
        call_command("audit_verify", "--heads", str(path))
    path.write_text("not json")
    with pytest.raises(CommandError, match="not a readable heads file"):
        call_command("audit_verify", "--heads", str(path))


def test_the_checkpoint_exports_only_over_intact_chains(tenant, tmp_path, settings, capsys):
    settings.AUDIT_HEADS_FILE = str(tmp_path / "audit" / "heads.json")
    chain(tenant, 4)
    call_command("audit_verify", "--checkpoint")  # no file yet: check, then export
    first = (tmp_path / "audit" / "heads.json").read_text()
    chain(tenant, 1)
    call_command("audit_verify", "--checkpoint")  # the chain extends the exported heads
    second = (tmp_path / "audit" / "heads.json").read_text()
    assert json.loads(second)["heads"][tenant]["seq"] == 5
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=5).delete()
    AuditHead.objects.filter(tenant=tenant).update(
        seq=4, hash=AuditEntry.objects.get(tenant=tenant, seq=4).hash)
    capsys.readouterr()
    with pytest.raises(CommandError, match="was left as it was"):
        call_command("audit_verify", "--checkpoint")
    assert (tmp_path / "audit" / "heads.json").read_text() == second != first


def test_the_plain_command_compares_with_the_checkpoint_file(tenant, tmp_path, settings,
                                                            capsys):
    """Outside tester: after an incident an operator types plain `audit_verify`, which checked
    only the chains, so a tail cut back to a consistent state passed."""
    settings.AUDIT_HEADS_FILE = str(tmp_path / "heads.json")
    chain(tenant, 4)
    call_command("audit_verify", "--checkpoint")
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=4).delete()
    AuditHead.objects.filter(tenant=tenant).update(
        seq=3, hash=AuditEntry.objects.get(tenant=tenant, seq=3).hash)
    capsys.readouterr()
    with pytest.raises(CommandError, match="1 problems"):
        call_command("audit_verify")
    assert "was exported up to 4" in capsys.readouterr().err
    call_command("audit_verify", "--no-heads")  # the chains alone are consistent
    assert "every head exported" not in capsys.readouterr().out


def test_a_deleted_heads_file_does_not_hide_a_cut(tenant, tmp_path, settings, capsys):
    """Second outside round: deleting the heads file together with a Behörde's newest entries
    passed plain `audit_verify`, and the next checkpoint wrote a fresh reference over the cut."""
    settings.AUDIT_HEADS_FILE = str(tmp_path / "heads.json")
    chain(tenant, 3)
    call_command("audit_verify", "--checkpoint")  # the first export is recorded in the chain
    assert AuditEntry.objects.filter(tenant=actions.PLATFORM,
                                     action=heads.STARTED).count() == 1
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=3).delete()
    AuditHead.objects.filter(tenant=tenant).update(
        seq=2, hash=AuditEntry.objects.get(tenant=tenant, seq=2).hash)
    (tmp_path / "heads.json").unlink()
    for args in ((), ("--checkpoint",)):
        with pytest.raises(CommandError, match="is missing, although heads were exported"):
            call_command("audit_verify", *args)
    assert not (tmp_path / "heads.json").exists()  # no fresh reference over the cut
    call_command("audit_verify", "--no-heads")  # the chains alone still verify
    # the operator who moved it aside on purpose starts a new reference, recorded too
    call_command("audit_verify", "--checkpoint", "--new-reference")
    assert (tmp_path / "heads.json").exists()
    assert AuditEntry.objects.filter(tenant=actions.PLATFORM,
                                     action=heads.STARTED).count() == 2
    call_command("audit_verify")


def test_a_new_installation_has_no_heads_file_yet(tenant, tmp_path, settings, capsys):
    settings.AUDIT_HEADS_FILE = str(tmp_path / "heads.json")
    chain(tenant, 2)
    call_command("audit_verify")  # nothing exported yet: the chains alone
    assert "every head exported" not in capsys.readouterr().out


def test_export_refuses_a_broken_chain(tenant, tmp_path):
    chain(tenant, 2)
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=1).update(actor="user:9")
    with pytest.raises(CommandError):
        call_command("audit_verify", "--export-heads", str(tmp_path / "heads.json"))
    assert not (tmp_path / "heads.json").exists()


# --- keys ---------------------------------------------------------------------------------------


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def test_the_audit_key_can_be_rotated_and_old_entries_stay_verifiable(tenant, settings):
    first, second = _new_key(), _new_key()
    settings.AUDIT_KEY = first
    chain(tenant, 2)
    settings.AUDIT_KEY, settings.AUDIT_OLD_KEYS = second, [first]
    chain(tenant, 2)
    assert len(set(AuditEntry.objects.filter(tenant=tenant).values_list("key_id",
                                                                        flat=True))) == 2
    assert actions.verify(tenant) == []
    # an entry under the old key after ones under the new key: a forgery with a leaked key
    settings.AUDIT_KEY, settings.AUDIT_OLD_KEYS = first, [second]
    chain(tenant, 1)
    settings.AUDIT_KEY, settings.AUDIT_OLD_KEYS = second, [first]
    assert [(p.seq, p.kind) for p in actions.verify(tenant)] == [(5, "key")]
    # without the old key, its entries cannot be verified: a clear problem, not a crash
    settings.AUDIT_OLD_KEYS = []
    problems = actions.verify(tenant)
    assert {p.kind for p in problems} == {"key"}
    assert "is not configured (AUDIT_KEY or AUDIT_OLD_KEYS)" in problems[0].message


def test_the_audit_key_does_not_change_with_the_master_key(tenant, monkeypatch):
    from amtsweg.core import crypto

    chain(tenant, 2)
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", _new_key())
    crypto.master_keys.cache_clear()
    crypto._key.cache_clear()
    try:
        chain(tenant, 1)
        assert actions.verify(tenant) == []
        assert len(set(AuditEntry.objects.filter(tenant=tenant).values_list(
            "key_id", flat=True))) == 1
    finally:
        monkeypatch.delenv("FIELD_ENCRYPTION_KEY")
        crypto.master_keys.cache_clear()
        crypto._key.cache_clear()


def test_a_malformed_audit_key_is_a_clear_error(settings):
    settings.AUDIT_KEY = "too-short"
    with pytest.raises(ValueError, match="AUDIT_KEY must be 32 bytes"):
        keys.current_id()


# --- chains written before the key ------------------------------------------------------------


def _legacy_chain(tenant: str, n: int) -> None:
    """Entries as the code before the key wrote them (plain SHA-256, no registration)."""
    prev = actions.GENESIS
    for seq in range(1, n + 1):
        entry = AuditEntry(tenant=tenant, seq=seq, at=datetime.datetime.now(datetime.UTC),
                           actor="system", action="test.old", object_type="",
                           object_id=str(seq), data={"n": seq}, prev_hash=prev, key_id=None)
        entry.hash = _plain_sha256(entry)
        entry.save(force_insert=True)
        prev = entry.hash
    AuditHead.objects.update_or_create(tenant=tenant, defaults={"seq": n, "hash": prev})


def test_old_entries_stay_verifiable_and_are_sealed_by_the_migration(tenant):
    _legacy_chain(tenant, 3)
    kinds = {p.kind for p in actions.verify(tenant)}
    assert kinds == {"unkeyed", "unregistered"}  # as it stands, it could be rewritten
    migration = importlib.import_module("amtsweg.audit.migrations.0003_keyed_chain")
    migration.key_the_chains(apps, None)
    assert actions.verify(tenant) == [] and actions.verify() == []
    seal = AuditEntry.objects.get(tenant=tenant, seq=4)
    assert (seal.action, seal.key_id, seal.data) == (
        "audit.chain_keyed", keys.current_id(), {"unkeyed_entries": 3})
    assert seal.hash == actions.entry_hash(seal)  # the migration MACs as record() does
    # rewriting an old entry and recomputing the old SHA-256 chain breaks the sealed link
    with triggers_dropped():
        _rewrite_legacy(tenant, 2, 3)
    assert [(p.seq, p.kind) for p in actions.verify(tenant)] == [(4, "prev_hash")]


def _rewrite_legacy(tenant: str, seq: int, last: int) -> None:
    prev = AuditEntry.objects.get(tenant=tenant, seq=seq - 1).hash
    for entry in AuditEntry.objects.filter(tenant=tenant, seq__gte=seq, seq__lte=last
                                           ).order_by("seq"):
        if entry.seq == seq:
            entry.actor = "user:666"
        entry.prev_hash = prev
        entry.hash = _plain_sha256(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(actor=entry.actor,
                                                       prev_hash=prev, hash=entry.hash)
        prev = entry.hash


def test_the_migration_leaves_the_append_only_triggers_in_place(tenant):
    entry = chain(tenant, 1)[0]
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(key_id=None)


@pytest.mark.django_db(transaction=True)
def test_tenants_started_concurrently_are_all_registered():
    """Eight writers start eight new chains at once while others write to the platform
    chain: every chain is registered once, the platform chain has no gap."""
    import threading

    from django.db import connections, transaction

    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database is one connection")
    barrier, errors = threading.Barrier(8), []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                with transaction.atomic():
                    actions.record(tenant=f"test:parallel{n}" if n % 2 or i else
                                   actions.PLATFORM, actor="worker", action="test.parallel",
                                   data={"i": i})
                    actions.record(tenant=f"test:parallel{n}", actor="worker",
                                   action="test.parallel", data={"i": i})
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert actions.registered_tenants() >= {f"test:parallel{n}" for n in range(8)}
    assert actions.verify() == []


def test_amtsweg_run_reports_a_failed_checkpoint_and_goes_on(tenant, tmp_path, settings,
                                                             monkeypatch, capsys):
    from django.db import connections

    from amtsweg import cli

    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction
    settings.AUDIT_HEADS_FILE = str(tmp_path / "heads.json")
    chain(tenant, 2)
    cli.audit_checkpoint()
    assert (tmp_path / "heads.json").exists() and capsys.readouterr().err == ""
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant).delete()
        AuditHead.objects.filter(tenant=tenant).delete()
    cli.audit_checkpoint()  # no exception: the platform keeps serving
    err = capsys.readouterr().err
    assert "AUDIT LOG CHECK FAILED" in err and f"{tenant} #0" in err
