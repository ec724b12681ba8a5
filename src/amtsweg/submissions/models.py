"""Drafts (an application in progress), uploads and submissions (Anträge).

Answers and files are sealed with the data key of the receiving Authority
(core.tenantcrypto); names of files are sealed too. Nothing an applicant typed is stored in
plaintext.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amtsweg.core import files, tenantcrypto


class Sealed:
    """Mixin: a row whose `data` blob is sealed for its authority's tenant key."""

    authority_id: int
    pk: object

    @property
    def tenant(self) -> str:
        return tenantcrypto.tenant_of_authority(self.authority_id)

    def _context(self) -> str:
        return f"{self._meta.model_name}:{self.pk}"  # type: ignore[attr-defined]

    def seal(self, value: object) -> bytes:
        return tenantcrypto.seal_json(self.tenant, value, self._context())

    def open(self, blob: bytes) -> object:
        return tenantcrypto.open_json(self.tenant, blob, self._context())


class Draft(Sealed, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    adoption = models.ForeignKey("services.Adoption", on_delete=models.CASCADE,
                                 related_name="drafts")
    version = models.ForeignKey("services.ServiceVersion", on_delete=models.CASCADE,
                                related_name="drafts")
    authority = models.ForeignKey("territory.Authority", on_delete=models.CASCADE,
                                  related_name="drafts")
    area = models.ForeignKey("territory.Area", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="drafts")
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="drafts")
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    data = models.BinaryField()
    step = models.CharField(max_length=63, blank=True)
    reached_summary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def content(self) -> dict:
        """{"answers": {...}, "email": contact e-mail of a guest}."""
        if not self.data:
            return {"answers": {}}
        if not hasattr(self, "_content"):
            self._content = self.open(self.data)
        return self._content

    @property
    def answers(self) -> dict:
        return self.content.get("answers", {})

    def set_content(self, **changes: object) -> None:
        content = {**self.content, **changes}
        self._content = content
        self.data = self.seal(content)


class Upload(Sealed, models.Model):
    """A file the applicant uploaded; the bytes are sealed in the media folder."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="uploads")
    submission = models.ForeignKey("Submission", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="uploads")
    authority = models.ForeignKey("territory.Authority", on_delete=models.CASCADE,
                                  related_name="+")
    field = models.CharField(max_length=200)
    meta = models.BinaryField(help_text=_("Sealed: original file name"))
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.id)

    @property
    def name(self) -> str:
        """The name to show and download under, with the extension of the detected type
        (applied again for files stored before names were made safe)."""
        return files.stored_name(self.open(self.meta)["name"], self.content_type)


class Submission(Sealed, models.Model):
    """An Antrag as sent: immutable, pointing at the exact service version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    receipt_number = models.CharField(max_length=32, unique=True)
    draft_key = models.UUIDField(unique=True, help_text=_(
        "The draft this came from: one submission per draft, however often it is sent"))
    version = models.ForeignKey("services.ServiceVersion", on_delete=models.PROTECT,
                                related_name="submissions")
    adoption = models.ForeignKey("services.Adoption", on_delete=models.PROTECT,
                                 related_name="submissions")
    authority = models.ForeignKey("territory.Authority", on_delete=models.PROTECT,
                                  related_name="submissions")
    area = models.ForeignKey("territory.Area", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="submissions")
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="submissions")
    trust_level = models.CharField(max_length=20)
    lang = models.CharField(max_length=5, default="de")
    data = models.BinaryField(help_text=_("Sealed: answers, applicant, fee"))
    fee_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def content(self) -> dict:
        return self.open(self.data)
