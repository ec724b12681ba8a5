"""Inter-municipal cooperation (IKZ-Verbund): Kommunen that build and run services together.

A cooperation has a lead Kommune and members (Gemeinden and Kreise, as territory Areas), a
task area and a period. Funding (programmes, applications, grants) lives in `funding`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskArea(models.TextChoices):
    """Task areas of IKZ projects (the funding programme names its eligible ones)."""

    DIGITALISIERUNG = "digitalisierung", _("Digitalisation and e-government")
    ALLGEMEINE_VERWALTUNG = "allgemeine-verwaltung", _("General administration")
    FINANZEN = "finanzen", _("Finance, taxes and cash office")
    STANDESAMT = "standesamt", _("Registry office")
    ORDNUNG = "ordnung", _("Public order")
    BAUEN = "bauen", _("Building and planning")
    BAUHOF = "bauhof", _("Building yard and infrastructure")
    FEUERWEHR = "feuerwehr", _("Fire brigade")
    SOZIALES = "soziales", _("Social affairs, youth and schools")
    WIRTSCHAFT = "wirtschaft", _("Economy and tourism")
    UMWELT = "umwelt", _("Environment, water and energy")


class Cooperation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    task_area = models.CharField(_("task area"), max_length=40, choices=TaskArea.choices)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey("territory.Area", on_delete=models.PROTECT,
                             related_name="led_cooperations", verbose_name=_("lead Kommune"))
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cooperation")
        verbose_name_plural = _("cooperations")

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A Kommune (Gemeinde or Kreis) taking part in a cooperation; the lead is a member too."""

    cooperation = models.ForeignKey(Cooperation, on_delete=models.CASCADE,
                                    related_name="members")
    area = models.ForeignKey("territory.Area", on_delete=models.PROTECT,
                             related_name="cooperation_memberships")
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["cooperation", "area__name"]
        constraints = [models.UniqueConstraint(fields=["cooperation", "area"],
                                               name="ikz_member_once")]

    def __str__(self) -> str:
        return f"{self.area} in {self.cooperation}"
