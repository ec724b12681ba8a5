"""Audit entries and the head of each tenant's chain.

An entry's hash covers its content and the hash of the entry before it in the same tenant,
so a changed, inserted or deleted row breaks the chain where it happened (see docs/audit.md).
The hash is an HMAC under the audit key (audit/keys.py), which is not in the database, so a
rewritten chain cannot be recomputed. Rows are never changed or deleted by the application:
database triggers refuse it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One thing that happened. ``data`` holds identifiers and codes, never personal data:
    the audit log outlives the retention of submissions and cases, and nobody can erase an
    entry from it."""

    tenant = models.CharField(
        _("tenant"), max_length=50,
        help_text=_('"authority:<id>" for a Behörde, "platform" for platform-wide events'))
    seq = models.PositiveBigIntegerField(_("sequence number"))
    at = models.DateTimeField(_("time"))
    actor = models.CharField(
        _("actor"), max_length=100,
        help_text=_('"user:<id>", "api:<client id>", "system" or "worker"'))
    action = models.CharField(_("action"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_hash = models.CharField(_("hash of the previous entry"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    # Nullable so that adding it needs no table rebuild (SQLite would drop the append-only
    # triggers with the old table); NULL marks entries written before the chain was keyed.
    key_id = models.CharField(  # noqa: DJ001 - see the comment above
        _("audit key"), max_length=12, null=True, blank=True,
        help_text=_("Id of the audit key whose HMAC is the hash; empty: plain SHA-256 of an "
                    "entry written before the chain was keyed"))

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        constraints = [models.UniqueConstraint(fields=["tenant", "seq"],
                                               name="audit_unique_tenant_seq")]
        indexes = [
            models.Index(fields=["at", "id"], name="audit_at_id"),
            models.Index(fields=["tenant", "at", "id"], name="audit_tenant_at_id"),
            models.Index(fields=["object_id"], name="audit_object_id"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The newest entry of a tenant's chain. Writers lock this row, so the entries of one
    tenant get gap-free sequence numbers even with many web and worker processes; a deleted
    tail of the chain shows as a mismatch with the head."""

    tenant = models.CharField(max_length=50, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.tenant}#{self.seq}"
