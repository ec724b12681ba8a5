"""The hash chain: written in the caller's transaction, append-only, and verifiable."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from amtsweg.audit import actions
from amtsweg.audit.models import AuditEntry, AuditHead

from .conftest import chain, triggers_dropped

pytestmark = pytest.mark.django_db


def test_a_chain_of_several_entries_verifies(tenant):
    entries = chain(tenant, 4)
    other = chain(tenant + "b", 2)
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == actions.GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert other[0].seq == 1
    assert actions.verify(tenant) == []
    report = actions.check([tenant, tenant + "b"])
    assert (report.ok, report.entries, report.chains) == (True, 6, 2)
    head = AuditHead.objects.get(tenant=tenant)
    assert (head.seq, head.hash) == (4, entries[-1].hash)


def test_record_takes_a_model_object_and_stores_what_it_hashed(tenant):
    from amtsweg.territory.models import Authority

    authority = Authority.objects.order_by("pk").first()
    entry = actions.record(tenant=tenant, actor="user:1", action="test.object", obj=authority,
                           data={"nested": {"b": [1, "zwei", None], "a": True}})
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.object_type, stored.object_id) == ("territory.authority", str(authority.pk))
    assert actions.entry_hash(stored) == stored.hash == entry.hash


def test_floats_in_data_are_refused(tenant):
    with pytest.raises(TypeError):
        actions.record(tenant=tenant, actor="system", action="test.float", data={"x": 1.5})


def test_record_costs_three_queries_once_the_chain_exists(tenant, django_assert_num_queries):
    chain(tenant, 1)
    with django_assert_num_queries(3):
        chain(tenant, 1)


def test_a_changed_row_is_detected_at_its_sequence_number(tenant):
    chain(tenant, 4)
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=2).update(data={"step": 99})
    problems = actions.verify(tenant)
    assert [(p.seq, p.kind) for p in problems] == [(2, "hash")]


def test_a_changed_row_with_a_recomputed_hash_breaks_the_link_to_the_next(tenant):
    chain(tenant, 4)
    forged = AuditEntry.objects.get(tenant=tenant, seq=2)
    forged.actor = "user:666"
    with triggers_dropped():
        AuditEntry.objects.filter(pk=forged.pk).update(actor=forged.actor,
                                                       hash=actions.entry_hash(forged))
    assert [(p.seq, p.kind) for p in actions.verify(tenant)] == [(3, "prev_hash")]


def test_a_deleted_row_is_detected_as_a_gap(tenant):
    chain(tenant, 4)
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=2).delete()
    problems = actions.verify(tenant)
    assert [(p.seq, p.kind) for p in problems] == [(3, "gap")]
    assert "2–2" in problems[0].message


def test_a_deleted_tail_is_detected_by_the_head(tenant):
    chain(tenant, 3)
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=3).delete()
    assert [(p.seq, p.kind) for p in actions.verify(tenant)] == [(2, "head")]
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant).delete()
    assert [(p.seq, p.kind) for p in actions.verify(tenant)] == [(0, "head")]


def test_a_chain_without_head_is_reported(tenant):
    chain(tenant, 1)
    AuditHead.objects.filter(tenant=tenant).delete()
    assert [p.kind for p in actions.verify(tenant)] == ["head"]


def test_the_database_refuses_update_and_delete(tenant):
    entry = chain(tenant, 1)[0]
    entry.action = "test.changed"
    for change in (entry.save,
                   entry.delete,
                   lambda: AuditEntry.objects.filter(pk=entry.pk).update(actor="user:9"),
                   lambda: AuditEntry.objects.filter(tenant=tenant).delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.step"
    assert actions.verify(tenant) == []


def test_the_command_says_ok(tenant, capsys):
    chain(tenant, 3)
    chain(tenant + "b", 2)
    call_command("audit_verify", "--tenant", tenant)
    assert capsys.readouterr().out.strip() == "OK: 3 entries in 1 chains"
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and " chains" in out


def test_the_command_fails_on_a_broken_chain(tenant, capsys):
    chain(tenant, 3)
    with triggers_dropped():
        AuditEntry.objects.filter(tenant=tenant, seq=3).update(action="test.other")
    with pytest.raises(CommandError, match="1 problems in 3 entries of 1 chains") as exc:
        call_command("audit_verify", "--tenant", tenant)
    assert exc.value.returncode == 1  # what `amtsweg audit_verify` exits with
    assert f"{tenant} #3: the content does not match its hash" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(actions.AuditOutsideTransaction):
        actions.record(tenant="test:autocommit", actor="system", action="test.x")
    assert not AuditEntry.objects.filter(tenant="test:autocommit").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_of_one_tenant_give_a_gap_free_chain():
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database is one connection; file databases "
                    "serialise writers with BEGIN IMMEDIATE (see docs/forms.md)")
    tenant, threads_n, per_thread = "test:concurrent", 8, 10
    barrier = threading.Barrier(threads_n)
    errors = []

    def write(n: int) -> None:
        from django.db import connections

        try:
            barrier.wait()  # all of them race to create the chain's head, too
            for i in range(per_thread):
                with transaction.atomic():
                    actions.record(tenant=tenant, actor="worker", action="test.concurrent",
                                   data={"thread": n, "i": i})
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    seqs = list(AuditEntry.objects.filter(tenant=tenant).order_by("seq")
                .values_list("seq", flat=True))
    assert seqs == list(range(1, threads_n * per_thread + 1))
    assert actions.verify(tenant) == []
