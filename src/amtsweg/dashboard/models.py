"""Pre-aggregated figures of the OZG dashboard (derived data, made again by the roll-up).

Applications and decisions are counted per month, Behörde and online service (`Tally`,
`DurationTally`), the open cases per Behörde and service (`Backlog`), so that a dashboard
reads a few thousand rows instead of millions of submissions and cases. `Snapshot` keeps
the maturity counts of every Kommune per day, for the trend "share online over time".
The area, Kreis and Leistung of each row are copied from the Behörde and the service, so
that the figures of a Gemeinde, a Kreis or the Land are one GROUP BY without joins.
See docs/dashboard.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


def _link(model: str, **options) -> models.ForeignKey:
    """Derived rows: no database constraint and no index of its own per column (the
    composite indexes below serve the queries), so that a roll-up inserts quickly."""
    return models.ForeignKey(model, on_delete=models.CASCADE, related_name="+",
                             db_constraint=False, db_index=False, **options)


class _Place(models.Model):
    """Where a tally row belongs: the Behörde, its area and Kreis, the service's Leistung."""

    authority = _link("territory.Authority")
    service = _link("services.OnlineService")
    area = _link("territory.Area")
    kreis = _link("territory.Area", null=True, blank=True, help_text=_(
        "The Kreis of the Behörde's area (the area itself for a Kreis); empty above the "
        "Kreis level"))
    leistung = _link("catalog.Leistung")

    class Meta:
        abstract = True


def _indexes(prefix: str) -> list[models.Index]:
    return [models.Index(fields=["month"], name=f"{prefix}_month"),
            models.Index(fields=["area", "month"], name=f"{prefix}_area"),
            models.Index(fields=["kreis", "month"], name=f"{prefix}_kreis"),
            models.Index(fields=["authority", "month"], name=f"{prefix}_authority")]


class Tally(_Place):
    """Applications received and cases decided in one month."""

    month = models.DateField(help_text=_("The first day of the month"))
    submissions = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "authority", "service"],
                                               name="dashboard_tally_unique")]
        indexes = _indexes("dashboard_tally")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.authority_id}/{self.service_id}"


class DurationTally(_Place):
    """How many cases decided in one month took `days` days (received → decided);
    366 stands for more than a year."""

    month = models.DateField()
    days = models.PositiveSmallIntegerField()
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "authority", "service", "days"],
                                               name="dashboard_duration_unique")]
        indexes = _indexes("dashboard_duration")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.authority_id}/{self.service_id}: {self.days} d"


class Backlog(_Place):
    """Open cases (neither decided nor closed) at the time of the last roll-up."""

    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "service"],
                                               name="dashboard_backlog_unique")]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.service_id}: {self.open}"


class Snapshot(models.Model):
    """The maturity counts of an area on one day: how many (Kommune, Leistung) pairs it must
    offer are at each level. A Kreis counts its own Leistungen and those of its Gemeinden,
    the Land every Kommune's."""

    day = models.DateField()
    area = models.ForeignKey("territory.Area", on_delete=models.CASCADE, related_name="+")
    level0 = models.PositiveIntegerField(default=0)
    level1 = models.PositiveIntegerField(default=0)
    level2 = models.PositiveIntegerField(default=0)
    level3 = models.PositiveIntegerField(default=0)
    level4 = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["area", "day"],
                                               name="dashboard_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.area_id}@{self.day}"

    @property
    def counts(self) -> list[int]:
        return [self.level0, self.level1, self.level2, self.level3, self.level4]


class Rollup(models.Model):
    """One finished run of the roll-up: the figures are as of `started_at`."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    since = models.DateField(null=True, blank=True, help_text=_(
        "The first month counted again; empty: everything was counted again"))
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"roll-up {self.started_at:%Y-%m-%d %H:%M}"
