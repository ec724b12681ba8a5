"""The service catalogue: LeiKa Leistungen, grouped by OZG-Leistung, Lebenslage, Themenfeld."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Themenfeld(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Themenfeld")
        verbose_name_plural = _("Themenfelder")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:themenfeld", args=[self.slug])


class Lebenslage(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Lebenslage")
        verbose_name_plural = _("Lebenslagen")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:lebenslage", args=[self.slug])


class OzgLeistung(models.Model):
    ozg_id = models.PositiveIntegerField(_("OZG-ID"), unique=True)
    name = models.CharField(max_length=300)
    lebenslage = models.ForeignKey(Lebenslage, on_delete=models.PROTECT, related_name="ozg")
    themenfeld = models.ForeignKey(Themenfeld, on_delete=models.PROTECT, related_name="ozg")

    class Meta:
        ordering = ["name"]
        verbose_name = _("OZG-Leistung")
        verbose_name_plural = _("OZG-Leistungen")

    def __str__(self) -> str:
        return self.name


class Leistung(models.Model):
    """One entry of the federal Leistungskatalog (LeiKa), key '99' + 12 digits."""

    class Typ(models.TextChoices):
        BUND = "1", _("Federal law, federal execution")
        BUND_LAND = "2", _("Federal law, execution by the Land")
        BUND_LAND_KOMMUNE = "2/3", _("Federal law, execution by the Land or the Kommune")
        BUND_KOMMUNE = "3", _("Federal law, execution by the Kommune")
        LAND = "4", _("Land law and execution")
        KOMMUNE = "5", _("Kommune law and execution")
        OTHER = "6", _("other")

    leika_key = models.CharField(_("LeiKa key"), max_length=14, unique=True)
    name = models.CharField(max_length=500)
    leika_typ = models.CharField(max_length=20, blank=True)
    ozg = models.ForeignKey(
        OzgLeistung, null=True, blank=True, on_delete=models.SET_NULL, related_name="leistungen"
    )
    legal_basis = models.TextField(blank=True)
    description = models.TextField(blank=True)
    required_documents = models.TextField(blank=True)
    fee = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["leika_key"]
        verbose_name = _("Leistung")
        verbose_name_plural = _("Leistungen")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:leistung", args=[self.leika_key])

    @property
    def object_key(self) -> str:
        """The Leistungsobjekt part of the key: all Verrichtungen of one object share it."""
        return self.leika_key[:8]

    @property
    def is_object(self) -> bool:
        return self.leika_key.endswith("000000")
