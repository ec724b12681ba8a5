"""Pre-aggregated figures of the OZG dashboard (derived data, made again by the roll-up).

Applications and decisions are counted per month, Behörde and online service (`Tally`,
`DurationTally`), the open cases per Behörde and service (`Backlog`). From these the
roll-up sums the areas once: `AreaMonth` (applications and decisions per area and month)
and `AreaFigures` (the key figures of each area, and of each of its Leistungen, over the
12-month window, medians included), so that a public dashboard page reads a few hundred
rows, never the per-Behörde tallies. `Snapshot` keeps the maturity counts of every Kommune
per day, for the trend "share online over time". The area, Kreis and Leistung of each tally
are copied from the Behörde and the service, so that the sums need no joins.
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
    """Months are found through the unique constraint (month first); the staff dashboard
    reads one Behörde's rows. Areas and Kreise are summed by the roll-up (`AreaMonth`,
    `AreaFigures`), so they need no index here: fewer indexes, faster roll-up inserts."""
    return [models.Index(fields=["authority", "month"], name=f"{prefix}_authority")]


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
    """How many cases decided in one month took `days` days (received → decided): exact up
    to 365 days, above that the first day of a 30-day class (366, 396, …), and 1,086 for
    1,086 days or more (see `actions.bucket`)."""

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


class Scope(models.TextChoices):
    """Whose figures a summed row holds."""

    LAND = "land", _("Every Behörde")
    KREIS = "kreis", _("The Behörden of a Kreis and of its Gemeinden")
    AREA = "area", _("The Behörden of the area itself")


class AreaMonth(models.Model):
    """Applications received and cases decided by the Behörden of an area in one month (the
    sum of its `Tally` rows)."""

    scope = models.CharField(max_length=8, choices=Scope.choices)
    area = _link("territory.Area")
    month = models.DateField()
    submissions = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "area", "month"],
                                               name="dashboard_areamonth_unique")]

    def __str__(self) -> str:
        return f"{self.scope} {self.area_id} {self.month:%Y-%m}"


class AreaFigures(models.Model):
    """The key figures of an area (and, with a Leistung, of one of its Leistungen) over the
    12 months up to the month of the roll-up that made them: applications, decisions and
    the median processing time of those decisions, and the open and overdue cases at the
    roll-up. Made again, all rows at once, by every roll-up."""

    scope = models.CharField(max_length=8, choices=Scope.choices)
    area = _link("territory.Area")
    leistung = _link("catalog.Leistung", null=True, blank=True)
    submissions = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    median_days = models.FloatField(null=True, blank=True)
    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["scope", "area"], name="dashboard_areafigures_area")]

    def __str__(self) -> str:
        return f"{self.scope} {self.area_id} {self.leistung_id or ''}"


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
