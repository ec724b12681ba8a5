"""The audit chain is keyed (HMAC-SHA256 under the audit key, audit/keys.py; finding 15 of
issue 11).

Entries written before keep their plain SHA-256 hash (``key_id`` NULL) and stay verifiable.
They are not rewritten (the log is append-only); instead every existing chain gets one keyed
entry, ``audit.chain_keyed``, whose MAC covers the last plain hash: rewriting the old entries
and recomputing their SHA-256 chain now breaks that entry's link, and audit_verify refuses a
chain that ends without the key. Every existing tenant is registered in the platform chain
(``audit.chain_started``), as record() does for new tenants from now on.

The MAC is computed here as audit/actions.py computes it today, so that a later change of
that code does not change what this migration wrote.
"""

import datetime
import json

from django.db import migrations, models
from django.utils import timezone

GENESIS = "0" * 64


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _append(AuditEntry, AuditHead, tenant: str, action: str, object_type: str = "",
            object_id: str = "", data: dict | None = None) -> None:
    from amtsweg.audit import keys

    head = AuditHead.objects.select_for_update().filter(tenant=tenant).first()
    if head is None:
        head = AuditHead.objects.create(tenant=tenant, seq=0, hash=GENESIS)
    kid = keys.current_id()
    at = timezone.now()
    entry = AuditEntry(tenant=tenant, seq=head.seq + 1, at=at, actor="system", action=action,
                       object_type=object_type, object_id=object_id, data=data or {},
                       prev_hash=head.hash, key_id=kid)
    fields = [tenant, entry.seq, at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
              "system", action, object_type, object_id, entry.data, head.hash, kid]
    entry.hash = keys.mac(kid, b"audit-chain", _canonical(fields).encode())
    entry.save(force_insert=True)
    AuditHead.objects.filter(tenant=tenant).update(seq=entry.seq, hash=entry.hash)


def key_the_chains(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditHead = apps.get_model("audit", "AuditHead")
    tenants = sorted(AuditHead.objects.filter(seq__gt=0).values_list("tenant", flat=True))
    for tenant in tenants:
        _append(AuditEntry, AuditHead, tenant, "audit.chain_keyed",
                data={"unkeyed_entries": AuditHead.objects.get(tenant=tenant).seq})
    registered = set(AuditEntry.objects.filter(
        tenant="platform", action="audit.chain_started").values_list("object_id", flat=True))
    for tenant in tenants:
        if tenant != "platform" and tenant not in registered:
            _append(AuditEntry, AuditHead, "platform", "audit.chain_started",
                    object_type="audit.chain", object_id=tenant)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(
                blank=True, max_length=12, null=True, verbose_name="audit key",
                help_text="Id of the audit key whose HMAC is the hash; empty: plain SHA-256 of "
                          "an entry written before the chain was keyed"),
        ),
        migrations.RunPython(key_the_chains, migrations.RunPython.noop, elidable=False),
    ]
