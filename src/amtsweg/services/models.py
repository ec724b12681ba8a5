"""Online services (Onlinedienste), their versions and their adoption (Nachnutzung)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amtsweg.accounts.models import TrustLevel


def text(value: dict | None, lang: str | None = None) -> str:
    """Pick the text of the current language from a {"de": …, "en": …} object."""
    if not value:
        return ""
    lang = (lang or get_language() or "de")[:2]
    return value.get(lang) or value.get("de") or ""


class OnlineService(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    leistung = models.ForeignKey("catalog.Leistung", on_delete=models.PROTECT,
                                 related_name="online_services")
    title = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    owner_authority = models.ForeignKey("territory.Authority", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="owned_services")
    owner_area = models.ForeignKey("territory.Area", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="owned_services")
    owner_cooperation = models.ForeignKey("ikz.Cooperation", null=True, blank=True,
                                          on_delete=models.PROTECT,
                                          related_name="owned_services")
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="copies")
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("online service")
        verbose_name_plural = _("online services")
        constraints = [models.CheckConstraint(
            condition=(Q(owner_authority__isnull=False, owner_area__isnull=True,
                         owner_cooperation__isnull=True)
                       | Q(owner_authority__isnull=True, owner_area__isnull=False,
                           owner_cooperation__isnull=True)
                       | Q(owner_authority__isnull=True, owner_area__isnull=True,
                           owner_cooperation__isnull=False)),
            name="online_service_has_one_owner")]

    def __str__(self) -> str:
        return self.slug

    @property
    def title_text(self) -> str:
        return text(self.title)

    @property
    def owner_name(self) -> str:
        if self.owner_authority_id:
            return self.owner_authority.name
        if self.owner_cooperation_id:
            return self.owner_cooperation.name
        return self.owner_area.display_name


class ServiceVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        RETIRED = "retired", _("retired")

    class Applicant(models.TextChoices):
        PERSON = "person", _("person with a Servicekonto")
        ORGANISATION = "organisation", _("organisation")
        GUEST = "guest", _("guest without an account")

    service = models.ForeignKey(OnlineService, on_delete=models.CASCADE,
                                related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    form = models.JSONField()
    trust_level = models.CharField(max_length=20, choices=TrustLevel.choices,
                                   default=TrustLevel.BASIS)
    applicants = models.JSONField(default=list)
    fee = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    processing = models.JSONField(default=dict, blank=True)
    declaration = models.JSONField(default=dict, blank=True)
    workflow = models.JSONField(null=True, blank=True, help_text=_(
        "States and transitions of the back office; empty: the default workflow"))
    notice_template = models.CharField(max_length=60, default="notice", help_text=_(
        "The Typst template of the Bescheid (a name registered in amtsweg.documents)"))
    retention = models.JSONField(default=dict, blank=True, help_text=_(
        '{"after_days": 90, "action": "delete" or "anonymise"}; empty: delete 90 days after '
        'the case is closed'))
    content_hash = models.CharField(max_length=64, blank=True)
    lock_version = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service", "-number"]
        constraints = [models.UniqueConstraint(fields=["service", "number"],
                                               name="unique_service_version")]

    def __str__(self) -> str:
        return f"{self.service.slug} v{self.number}"

    @property
    def editable(self) -> bool:
        return self.state == self.State.DRAFT

    def allows(self, applicant: str) -> bool:
        return applicant in self.applicants


class Adoption(models.Model):
    """An Authority offers a published version in the places it is responsible for."""

    authority = models.ForeignKey("territory.Authority", on_delete=models.CASCADE,
                                  related_name="adoptions")
    service = models.ForeignKey(OnlineService, on_delete=models.CASCADE,
                                related_name="adoptions")
    version = models.ForeignKey(ServiceVersion, on_delete=models.PROTECT,
                                related_name="adoptions")
    active = models.BooleanField(default=True)
    fee = models.JSONField(null=True, blank=True,
                           help_text=_("Local fee (number or rule); empty: the service's fee"))
    processing = models.CharField(max_length=300, blank=True)
    contact = models.JSONField(default=dict, blank=True)
    payment_account = models.JSONField(default=dict, blank=True)
    signer = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "service"],
                                               name="unique_adoption")]

    def __str__(self) -> str:
        return f"{self.service.slug}@{self.authority_id}"
