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
