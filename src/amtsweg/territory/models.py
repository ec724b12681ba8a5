"""Areas (Gebietskörperschaften), postal codes, authorities (Behörden) and responsibilities."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    """A Gebietskörperschaft: Land, Regierungsbezirk, Kreis or Gemeinde.

    A kreisfreie Stadt is two rows: the Kreis (AGS of 5 digits) and its one Gemeinde (8 digits),
    because the city acts at both levels (Standesamt as Gemeinde, Zulassungsstelle as Kreis).
    """

    class Kind(models.TextChoices):
        LAND = "land", _("Land")
        REGIERUNGSBEZIRK = "regierungsbezirk", _("Regierungsbezirk")
        KREIS = "kreis", _("Kreis")
        GEMEINDE = "gemeinde", _("Gemeinde")

    class KreisType(models.TextChoices):
        LANDKREIS = "landkreis", _("Landkreis")
        KREISFREIE_STADT = "kreisfreie-stadt", _("kreisfreie Stadt")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    ags = models.CharField(_("AGS"), max_length=8, unique=True)
    ars = models.CharField(_("ARS"), max_length=12, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kreis_type = models.CharField(max_length=20, choices=KreisType.choices, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    area_km2 = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    seat_plz = models.CharField(max_length=5, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    gemeindefrei = models.BooleanField(
        default=False, help_text=_("Uninhabited area without a Gemeinde (gemeindefreies Gebiet)")
    )

    class Meta:
        ordering = ["ars"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """'Frankfurt am Main, Stadt' reads as 'Frankfurt am Main' in running text."""
        return self.name.split(",")[0].strip()

    @property
    def type_label(self) -> str:
        """The area type in the words of the FIT-Connect routing API ('Landkreis', 'Stadt', …)."""
        if self.kind == self.Kind.LAND:
            return "Bundesland"
        if self.kind == self.Kind.KREIS:
            if self.kreis_type == self.KreisType.KREISFREIE_STADT:
                return "kreisfreie Stadt"
            return "Landkreis"
        if self.kind == self.Kind.GEMEINDE:
            if self.gemeindefrei:
                return "gemeindefreies Gebiet"
            return "Stadt" if "stadt" in self.name.split(",", 1)[-1].lower() else "Gemeinde"
        return "Regierungsbezirk"


class PostalCode(models.Model):
    """A PLZ ↔ Gemeinde pair; a PLZ can span several Gemeinden and a Gemeinde several PLZ."""

    plz = models.CharField(_("postal code"), max_length=5, db_index=True)
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="postal_codes")
    place = models.CharField(max_length=200)

    class Meta:
        ordering = ["plz", "place"]
        constraints = [
            models.UniqueConstraint(fields=["plz", "area", "place"], name="unique_plz_area_place")
        ]

    def __str__(self) -> str:
        return f"{self.plz} {self.place}"


class GermanPostalCode(models.Model):
    """A PLZ ↔ Gemeinde (AGS) ↔ place row for all of Germany, Hessen included.

    Only for checking addresses (a landlord in Bochum, a former address in Köln): the
    responsibility finder works on Area and PostalCode, which cover Hessen alone.
    """

    plz = models.CharField(_("postal code"), max_length=5, db_index=True)
    ags = models.CharField(_("AGS"), max_length=8)
    place = models.CharField(max_length=200)
    land = models.CharField(max_length=40)

    class Meta:
        ordering = ["plz", "place"]
        verbose_name = _("German postal code")
        verbose_name_plural = _("German postal codes")
        constraints = [
            models.UniqueConstraint(fields=["plz", "ags", "place"], name="unique_german_plz")
        ]

    def __str__(self) -> str:
        return f"{self.plz} {self.place} ({self.land})"


class Authority(models.Model):
    """A Behörde (Organisationseinheit) of an Area, the destination of applications."""

    class Kind(models.TextChoices):
        STANDESAMT = "standesamt", _("Standesamt")
        BUERGERBUERO = "buergerbuero", _("Bürgerbüro")
        ZULASSUNGSSTELLE = "zulassungsstelle", _("Zulassungsstelle")
        FAHRERLAUBNISBEHOERDE = "fahrerlaubnisbehoerde", _("Fahrerlaubnisbehörde")
        WOHNGELDSTELLE = "wohngeldstelle", _("Wohngeldstelle")
        GENEHMIGUNGSBEHOERDE = "genehmigungsbehoerde", _(
            "Genehmigungsbehörde Personenbeförderung und Krankentransport"
        )
        ELTERNGELDSTELLE = "elterngeldstelle", _("Elterngeldstelle")
        MINISTERIUM = "ministerium", _("Ministerium")
        OTHER = "other", _("other authority")

    destination_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="authorities")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    name = models.CharField(max_length=300)
    short_name = models.CharField(max_length=120, blank=True)
    street = models.CharField(max_length=200, blank=True)
    house_number = models.CharField(max_length=20, blank=True)
    zip = models.CharField(max_length=5, blank=True)
    city = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    contact_persons = models.JSONField(
        default=list, blank=True, help_text=_("List of {name, tel, fax, email}")
    )
    opening_hours = models.JSONField(
        default=list, blank=True, help_text=_("List of {days, hours}, e.g. Mo–Fr, 08:00–12:00")
    )
    privacy_policy_url = models.URLField(blank=True)
    imprint_url = models.URLField(blank=True)
    accessibility_url = models.URLField(blank=True)
    is_demo = models.BooleanField(
        default=False, help_text=_("Invented demo data: addresses and contacts are not real")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")
        constraints = [
            models.UniqueConstraint(fields=["area", "kind", "name"], name="unique_authority")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_href(self) -> str:
        """The phone number as a `tel:` link ("06452 / 123-0" → "tel:064521230")."""
        digits = "".join(c for c in self.phone if c.isdigit() and c.isascii())
        return f"tel:{'+' if self.phone.strip().startswith('+') else ''}{digits}"


class Responsibility(models.Model):
    """Zuständigkeit: for this Leistung in this Area, this Authority is responsible.

    Looked up from the most specific Area upwards (Gemeinde → Kreis → Regierungsbezirk → Land).
    """

    class DurationUnit(models.TextChoices):
        DAY = "day", _("days")
        WORKDAY = "workday", _("working days")
        WEEK = "week", _("weeks")
        MONTH = "month", _("months")

    leistung = models.ForeignKey(
        "catalog.Leistung", on_delete=models.CASCADE, related_name="responsibilities"
    )
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="responsibilities")
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="responsibilities"
    )
    processing_min = models.PositiveSmallIntegerField(null=True, blank=True)
    processing_max = models.PositiveSmallIntegerField(null=True, blank=True)
    processing_unit = models.CharField(
        max_length=10, choices=DurationUnit.choices, default=DurationUnit.DAY
    )
    fee = models.CharField(max_length=300, blank=True)
    required_documents = models.TextField(blank=True)
    further_information = models.TextField(blank=True)
    origin = models.CharField(max_length=40, default="Amtsweg")

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.UniqueConstraint(fields=["leistung", "area"], name="unique_responsibility")
        ]

    def __str__(self) -> str:
        return f"{self.leistung_id} @ {self.area_id} → {self.authority_id}"


class DestinationSignature(models.Model):
    """The platform's signed statement of what a destination serves (FIT-Connect shape).

    Derived data: made again whenever the territory version changes, by the task worker in
    the background or on first use.
    """

    authority = models.OneToOneField(
        Authority, on_delete=models.CASCADE, related_name="destination_signature"
    )
    version = models.PositiveBigIntegerField()
    kid = models.CharField(max_length=100)
    token = models.TextField()
    signed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.authority_id}@{self.version}"
