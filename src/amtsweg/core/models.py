from django.db import models, transaction
from django.db.models import F


class DataVersion(models.Model):
    """A counter per shared data set, bumped by its import so that every process can notice
    that its in-memory copy (search index, area tree) is stale."""

    key = models.CharField(max_length=50, unique=True)
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}@{self.version}"

    @classmethod
    def bump(cls, key: str) -> None:
        with transaction.atomic():
            obj, _ = cls.objects.get_or_create(key=key)
            cls.objects.filter(pk=obj.pk).update(version=F("version") + 1)

    @classmethod
    def current(cls, key: str) -> int:
        return cls.objects.filter(key=key).values_list("version", flat=True).first() or 0


class TenantKey(models.Model):
    """A data key of one tenant (e.g. an Authority), wrapped by the master key from the
    environment. New data uses the newest version; old versions stay to decrypt old data."""

    tenant = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    wrapped = models.TextField()
    master_kid = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "version"],
                                               name="unique_tenant_key_version")]

    def __str__(self) -> str:
        return f"{self.tenant}#{self.version}"


class ThrottleCounter(models.Model):
    """One fixed-window counter of `core.throttle` with THROTTLE_STORE=database (the default
    on PostgreSQL without Redis): every web process and node counts in the same row (atomic
    upsert), never in its own memory. On SQLite the counters live in a file of their own."""

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True, help_text="Unix time")

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
