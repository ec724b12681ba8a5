"""Writing and verifying the audit log.

Every action of the other apps calls :func:`record` inside its own transaction, so the audit
entry commits (or rolls back) together with the change it describes. Entries form one chain
per tenant, each entry's hash an HMAC under the audit key (audit/keys.py, not in the
database). The first entry of a tenant also registers the tenant in the platform chain, so
a tenant whose whole chain was deleted (head included) is missed by :func:`check`; exported
heads (audit/heads.py) catch a cut-off tail. ``amtsweg audit_verify`` runs the checks.
"""

import datetime
import hashlib
import hmac
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from . import keys
from .models import AuditEntry, AuditHead

PLATFORM = "platform"
GENESIS = "0" * 64
CHAIN = b"audit-chain"  # the purpose of the entries' MACs (keys.mac)
REGISTERED = "audit.chain_started"  # in the platform chain: a tenant's chain exists
REGISTER_TYPE = "audit.chain"  # object_type of those entries; object_id is the tenant


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
                 object_type: str, object_id: str, data: Any, prev_hash: str,
                 key_id: str | None) -> str:
    """HMAC-SHA256 under the audit key `key_id` over the canonical JSON of the entry's fields,
    the previous hash and the key id. `key_id` None: the plain SHA-256 (without key id) of
    entries written before the chain was keyed, kept verifiable."""
    fields = [tenant, seq, _iso(at), actor, action, object_type, object_id, data, prev_hash]
    if key_id is None:
        return hashlib.sha256(_canonical(fields).encode()).hexdigest()
    return keys.mac(key_id, CHAIN, _canonical([*fields, key_id]).encode())


def entry_hash(entry: AuditEntry) -> str:
    """What the entry's hash must be (keys.UnknownAuditKey for a key that is not
    configured)."""
    return compute_hash(tenant=entry.tenant, seq=entry.seq, at=entry.at, actor=entry.actor,
                        action=entry.action, object_type=entry.object_type,
                        object_id=entry.object_id, data=entry.data, prev_hash=entry.prev_hash,
                        key_id=entry.key_id)


def hash_ok(entry: AuditEntry) -> bool:
    try:
        return hmac.compare_digest(entry_hash(entry), entry.hash)
    except keys.UnknownAuditKey:
        return False


def _locked_head(tenant: str) -> tuple[AuditHead, bool]:
    """The tenant's head, locked, and whether this call created it."""
    head = AuditHead.objects.select_for_update().filter(tenant=tenant).first()
    if head is not None:
        return head, False
    try:
        with transaction.atomic():
            return AuditHead.objects.create(tenant=tenant, seq=0, hash=GENESIS), True
    except IntegrityError:  # another writer created the head first; wait for its lock
        return AuditHead.objects.select_for_update().get(tenant=tenant), False


def record(*, tenant: str, actor: str, action: str, obj: models.Model | None = None,
           object_type: str = "", object_id: str | int = "",
           data: dict[str, Any] | None = None) -> AuditEntry:
    """Append an entry to the tenant's chain, in the caller's transaction.

    ``data`` must hold no personal data (names, addresses, e-mail addresses, answers, file
    names): only ids, codes, states and counts. The log is kept when the data it describes is
    deleted. Values must be JSON (str, int, bool, None, lists, dicts; no floats).
    Three queries: lock the head, insert the entry, move the head; the first entry of a
    tenant also registers it in the platform chain.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransaction(
            "audit.record() must run inside the transaction of the change it records.")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
    data = json.loads(_canonical(data or {}))
    _reject_floats(data)
    head, created = _locked_head(tenant)
    entry = AuditEntry(tenant=tenant, seq=head.seq + 1, at=timezone.now(), actor=actor,
                       action=action, object_type=object_type, object_id=str(object_id),
                       data=data, prev_hash=head.hash, key_id=keys.current_id())
    entry.hash = entry_hash(entry)
    entry.save(force_insert=True)
    AuditHead.objects.filter(tenant=tenant).update(seq=entry.seq, hash=entry.hash)
    if created and tenant != PLATFORM:
        record(tenant=PLATFORM, actor="system", action=REGISTERED,
               object_type=REGISTER_TYPE, object_id=tenant)
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
    kind: str  # gap, prev_hash, hash, head, key, unkeyed, missing, unregistered, exported
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


Heads = dict[str, tuple[int, str]]  # tenant → (seq, hash), e.g. from an exported heads file


def registered_tenants(tenants: Iterable[str] | None = None) -> set[str]:
    """The tenants the platform chain says have a chain."""
    rows = AuditEntry.objects.filter(tenant=PLATFORM, action=REGISTERED,
                                     object_type=REGISTER_TYPE)
    if tenants is not None:
        rows = rows.filter(object_id__in=list(tenants))
    return set(rows.values_list("object_id", flat=True))


def check(tenants: Iterable[str] | None = None, *, exported: Heads | None = None) -> Report:
    """Verify the chains of the given tenants (all when None), streaming the entries: each
    entry's MAC and link, the heads, that every tenant the platform chain registered still
    has its chain, and that every head in `exported` is still in its chain. Writers may go
    on meanwhile: the heads are read first and each chain must pass through its head."""
    entries = AuditEntry.objects.order_by("tenant", "seq")
    heads = AuditHead.objects.all()
    exported = dict(exported or {})
    if tenants is not None:
        tenants = list(tenants)
        entries = entries.filter(tenant__in=tenants)
        heads = heads.filter(tenant__in=tenants)
        exported = {t: h for t, h in exported.items() if t in tenants}
    head_of = {h.tenant: h for h in heads}
    report = Report()
    seen: set[str] = set()
    for tenant, chain in itertools.groupby(entries.iterator(chunk_size=2000),
                                           key=lambda e: e.tenant):
        seen.add(tenant)
        report.chains += 1
        head = head_of.get(tenant)
        pins = {}
        if tenant in exported:
            seq, hash_ = exported[tenant]
            pins[seq] = (hash_, "exported", "the entry differs from the exported head")
        if head is not None and head.seq:
            pins[head.seq] = (head.hash, "head", "the last hash does not match the head")
        last_seq, last_hash = _check_chain(report, tenant, chain, pins)
        if tenant in exported and last_seq < exported[tenant][0]:
            report.problems.append(Problem(
                tenant, last_seq, "exported",
                f"the chain ends at {last_seq} but was exported up to {exported[tenant][0]}"))
        _check_head(report, tenant, head, last_seq, last_hash)
    for tenant in sorted(set(head_of) - seen):
        _check_head(report, tenant, head_of[tenant], 0, GENESIS)
    _check_presence(report, tenants, seen | set(head_of), exported)
    return report


def _check_chain(report: Report, tenant: str, chain: Iterable[AuditEntry],
                 pins: dict[int, tuple[str, str, str]]) -> tuple[int, str]:
    """Each entry in order; `pins` are (seq → hash, kind, message) the chain must pass
    through (its head as read before, an exported head)."""
    last_seq, last_hash, last_rank, last_keyed = 0, GENESIS, None, True
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
        if entry.seq in pins and entry.hash != pins[entry.seq][0]:
            report.problems.append(Problem(tenant, entry.seq, *pins[entry.seq][1:]))
        last_seq, last_hash = entry.seq, entry.hash
        if entry.key_id is None:
            last_keyed = False
            if last_rank is not None:
                report.problems.append(Problem(
                    tenant, entry.seq, "unkeyed",
                    "an entry without the audit key after keyed entries"))
        else:
            last_keyed = True
            try:
                rank = keys.rank(entry.key_id)
            except keys.UnknownAuditKey as exc:
                report.problems.append(Problem(tenant, entry.seq, "key", str(exc)))
                continue
            if last_rank is not None and rank > last_rank:
                report.problems.append(Problem(
                    tenant, entry.seq, "key",
                    "an entry under an older audit key after one under a newer key"))
            last_rank = rank
        if not hash_ok(entry):
            report.problems.append(Problem(
                tenant, entry.seq, "hash", "the content does not match its hash"))
    if not last_keyed:
        report.problems.append(Problem(
            tenant, last_seq, "unkeyed",
            "the chain ends with entries without the audit key (they can be rewritten)"))
    return last_seq, last_hash


def _check_presence(report: Report, tenants: list[str] | None, present: set[str],
                    exported: Heads) -> None:
    """Chains that must exist: registered in the platform chain, or exported."""
    registered = registered_tenants(tenants)
    # a chain started while we read shows up in the register but not in what we read
    present |= set(AuditHead.objects.filter(tenant__in=list(registered - present))
                   .values_list("tenant", flat=True))
    for tenant in sorted(registered - present):
        report.problems.append(Problem(
            tenant, 0, "missing",
            "the platform chain registered this chain, but it has no entries and no head"))
    for tenant in sorted(set(exported) - present - registered):
        report.problems.append(Problem(
            tenant, 0, "missing", "this chain was exported but has no entries and no head"))
    for tenant in sorted(present - registered - {PLATFORM}):
        report.problems.append(Problem(
            tenant, 0, "unregistered", "the chain is not registered in the platform chain"))
    if tenants is None and (registered or present - {PLATFORM}) and PLATFORM not in present:
        report.problems.append(Problem(
            PLATFORM, 0, "missing",
            "the platform chain, which registers the other chains, is missing"))


def _check_head(report: Report, tenant: str, head: AuditHead | None, seq: int,
                hash_: str) -> None:
    """The chain ends at its head (read before the entries; a hash mismatch at the head's
    seq is reported while streaming)."""
    if head is None:  # or created while we read
        head = AuditHead.objects.filter(tenant=tenant).first()
        if head is None:
            report.problems.append(Problem(tenant, seq, "head", "the chain has no head"))
            return
    if seq < head.seq:
        report.problems.append(Problem(
            tenant, seq, "head", f"the chain ends at {seq} but its head says {head.seq}"))
    elif seq > head.seq:  # appended while we read, or a head moved back
        now = AuditHead.objects.filter(tenant=tenant).values_list("seq", "hash").first()
        if now is None or now[0] < seq or (now[0] == seq and now[1] != hash_):
            report.problems.append(Problem(
                tenant, seq, "head",
                f"the chain ends at {seq} but its head says {now[0] if now else head.seq}"))


def verify(tenant: str | None = None) -> list[Problem]:
    """The problems of one tenant's chain, or of all chains."""
    return check(None if tenant is None else [tenant]).problems
