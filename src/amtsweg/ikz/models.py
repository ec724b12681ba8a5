"""Inter-municipal cooperation (IKZ-Verbund): Kommunen that build and run services together.

A cooperation has a lead Kommune and members (Gemeinden and Kreise, as territory Areas), a
task area and a period, shared staff (for example jointly hired IT experts) and the online
services it owns (`services.OnlineService.owner_cooperation`). Funding (programmes,
applications, grants) lives in `funding`.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
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

    @property
    def is_current(self) -> bool:
        return self.ends_on is None or self.ends_on >= timezone.localdate()


def current_q(prefix: str = "", on: datetime.date | None = None) -> Q:
    """Members that have not left (on `on`, default today); `prefix` reaches Member rows
    through a relation, e.g. "cooperation_memberships__"."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": on})


class MemberQuerySet(models.QuerySet):
    def current(self) -> "MemberQuerySet":
        return self.filter(current_q())


class Member(models.Model):
    """A Kommune (Gemeinde or Kreis) taking part in a cooperation; the lead is a member too."""

    cooperation = models.ForeignKey(Cooperation, on_delete=models.CASCADE,
                                    related_name="members")
    area = models.ForeignKey("territory.Area", on_delete=models.PROTECT,
                             related_name="cooperation_memberships")
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["cooperation", "area__name"]
        constraints = [models.UniqueConstraint(fields=["cooperation", "area"],
                                               name="ikz_member_once")]

    def __str__(self) -> str:
        return f"{self.area} in {self.cooperation}"

    @property
    def is_current(self) -> bool:
        return self.left_on is None or self.left_on > timezone.localdate()


class SharedStaff(models.Model):
    """A person the cooperation's Kommunen hired or share together (for example an IT expert
    or an information security officer), employed by one Kommune.

    Public pages show the role and the employing Kommune; the name only when `name_public`
    (a public role such as the cooperation's contact person), never an e-mail address.
    """

    cooperation = models.ForeignKey(Cooperation, on_delete=models.CASCADE,
                                    related_name="shared_staff")
    role = models.CharField(_("role"), max_length=200)
    name = models.CharField(_("name"), max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("staff account"))
    employer = models.ForeignKey("territory.Area", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("employed by"))
    hours_per_week = models.DecimalField(_("hours per week"), max_digits=4, decimal_places=1,
                                         null=True, blank=True)
    name_public = models.BooleanField(_("name may be shown publicly"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cooperation", "role", "pk"]
        verbose_name = _("shared staff")
        verbose_name_plural = _("shared staff")

    def __str__(self) -> str:
        return f"{self.role} ({self.cooperation})"

    @property
    def person_name(self) -> str:
        """The name as entered, else the linked account's name (for staff pages)."""
        if self.name:
            return self.name
        if self.user_id:
            return f"{self.user.first_name} {self.user.last_name}".strip()
        return ""

    @property
    def public_name(self) -> str:
        return self.person_name if self.name_public else ""
