"""Writing and verifying the audit log.

Every action of the other apps calls :func:`record` inside its own transaction, so the audit
entry commits (or rolls back) together with the change it describes. Entries form one hash
chain per tenant; :func:`verify` recomputes the chains (``amtsweg audit_verify``).
"""

import datetime
import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .models import AuditEntry, AuditHead

PLATFORM = "platform"
GENESIS = "0" * 64


class AuditOutsideTransaction(RuntimeError):
    """record() was called in autocommit mode: the entry could commit without its change."""


def actor_of(user: Any) -> str:
    """The actor string of a request's user: "user:<id>", or "system" without a login."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return "system"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _iso(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def compute_hash(*, tenant: str, seq: int, at: datetime.datetime, actor: str, action: str,
                 object_type: str, object_id: str, data: Any, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the entry's fields and the previous hash."""
    payload = _canonical([tenant, seq, _iso(at), actor, action, object_type, object_id, data,
                          prev_hash])
    return hashlib.sha256(payload.encode()).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    return compute_hash(tenant=entry.tenant, seq=entry.seq, at=entry.at, actor=entry.actor,
                        action=entry.action, object_type=entry.object_type,
                        object_id=entry.object_id, data=entry.data, prev_hash=entry.prev_hash)


def _locked_head(tenant: str) -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(tenant=tenant).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            return AuditHead.objects.create(tenant=tenant, seq=0, hash=GENESIS)
    except IntegrityError:  # another writer created the head first; wait for its lock
        return AuditHead.objects.select_for_update().get(tenant=tenant)


def record(*, tenant: str, actor: str, action: str, obj: models.Model | None = None,
           object_type: str = "", object_id: str | int = "",
           data: dict[str, Any] | None = None) -> AuditEntry:
    """Append an entry to the tenant's chain, in the caller's transaction.

    ``data`` must hold no personal data (names, addresses, e-mail addresses, answers, file
    names): only ids, codes, states and counts. The log is kept when the data it describes is
    deleted. Values must be JSON (str, int, bool, None, lists, dicts; no floats).
    Three queries: lock the head, insert the entry, move the head.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransaction(
            "audit.record() must run inside the transaction of the change it records.")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
    data = json.loads(_canonical(data or {}))
    _reject_floats(data)
    head = _locked_head(tenant)
    entry = AuditEntry(tenant=tenant, seq=head.seq + 1, at=timezone.now(), actor=actor,
                       action=action, object_type=object_type, object_id=str(object_id),
                       data=data, prev_hash=head.hash)
    entry.hash = entry_hash(entry)
    entry.save(force_insert=True)
    AuditHead.objects.filter(tenant=tenant).update(seq=entry.seq, hash=entry.hash)
    return entry


def _reject_floats(value: Any) -> None:
    """Floats may come back from the database with another spelling and break the hash."""
    if isinstance(value, float):
        raise TypeError("Audit data must not contain floats; store a string or an integer.")
    if isinstance(value, dict):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list):
        for item in value:
            _reject_floats(item)


@dataclass(frozen=True)
class Problem:
    tenant: str
    seq: int
    kind: str  # "gap", "prev_hash", "hash", "head"
    message: str

    def __str__(self) -> str:
        return f"{self.tenant} #{self.seq}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    chains: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check(tenants: Iterable[str] | None = None) -> Report:
    """Verify the chains of the given tenants (all when None), streaming the entries."""
    entries = AuditEntry.objects.order_by("tenant", "seq")
    heads = AuditHead.objects.all()
    if tenants is not None:
        tenants = list(tenants)
        entries = entries.filter(tenant__in=tenants)
        heads = heads.filter(tenant__in=tenants)
    head_of = {h.tenant: h for h in heads}
    report = Report()
    seen: set[str] = set()
    for tenant, chain in itertools.groupby(entries.iterator(chunk_size=2000),
                                           key=lambda e: e.tenant):
        seen.add(tenant)
        report.chains += 1
        last_seq, last_hash = 0, GENESIS
        for entry in chain:
            report.entries += 1
            if entry.seq != last_seq + 1:
                report.problems.append(Problem(
                    tenant, entry.seq, "gap",
                    f"entries {last_seq + 1}–{entry.seq - 1} are missing"
                    if entry.seq > last_seq + 1 else f"sequence number after {last_seq}"))
            elif entry.prev_hash != last_hash:
                report.problems.append(Problem(
                    tenant, entry.seq, "prev_hash",
                    "the previous hash does not match the entry before"))
            if entry_hash(entry) != entry.hash:
                report.problems.append(Problem(
                    tenant, entry.seq, "hash", "the content does not match its hash"))
            last_seq, last_hash = entry.seq, entry.hash
        _check_head(report, tenant, head_of.get(tenant), last_seq, last_hash)
    for tenant in sorted(set(head_of) - seen):
        _check_head(report, tenant, head_of[tenant], 0, GENESIS)
    return report


def _check_head(report: Report, tenant: str, head: AuditHead | None, seq: int,
                hash_: str) -> None:
    if head is None:
        report.problems.append(Problem(tenant, seq, "head", "the chain has no head"))
    elif head.seq == 0 and seq == 0:
        return
    elif (head.seq, head.hash) != (seq, hash_):
        report.problems.append(Problem(
            tenant, seq, "head",
            f"the chain ends at {seq} but its head says {head.seq}"
            if head.seq != seq else "the last hash does not match the head"))


def verify(tenant: str | None = None) -> list[Problem]:
    """The problems of one tenant's chain, or of all chains."""
    return check(None if tenant is None else [tenant]).problems
