"""Vorgänge: the back-office work on a submission, in the submission's Behörde."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    submission = models.OneToOneField("submissions.Submission", on_delete=models.CASCADE,
                                      related_name="case")
    authority = models.ForeignKey("territory.Authority", on_delete=models.PROTECT,
                                  related_name="cases")
    version = models.ForeignKey("services.ServiceVersion", on_delete=models.PROTECT,
                                related_name="cases")
    receipt_number = models.CharField(max_length=32, unique=True)
    state = models.CharField(max_length=40)
    outcome = models.CharField(max_length=40, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_cases")
    received_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["authority", "received_at", "id"], name="case_inbox"),
            models.Index(fields=["authority", "state", "received_at", "id"],
                         name="case_inbox_state"),
            models.Index(fields=["authority", "assignee", "received_at", "id"],
                         name="case_inbox_assignee"),
            models.Index(fields=["authority", "due_at"], name="case_due"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.receipt_number


class SearchToken(models.Model):
    """Blind index: keyed hashes of the words of the applicant's name, so that clerks can
    search by name while the name itself stays encrypted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["token"], name="case_token")]

    def __str__(self) -> str:
        return self.token


class CaseEvent(models.Model):
    """What happened on a case: transitions, assignments, internal notes (text sealed)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("case opened")
        TRANSITION = "transition", _("state changed")
        ASSIGNED = "assigned", _("assigned")
        NOTE = "note", _("internal note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    text = models.BinaryField(blank=True, default=b"")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"


class Notice(models.Model):
    """A Bescheid: the PDF is stored sealed for the Behörde and sent to the applicant."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    number = models.CharField(max_length=40, unique=True)
    outcome = models.CharField(max_length=40, blank=True)
    stored_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return self.number


class NoticeText(models.Model):
    """The notice text a designer wrote for a service version (markup of
    `cases.noticetext`); without one, or with an empty German text, the version's
    registered Typst template is used. Editable while the version is a draft, frozen with it
    afterwards; a new draft or a copy of the service carries it over."""

    version = models.OneToOneField("services.ServiceVersion", on_delete=models.CASCADE,
                                   related_name="notice_text")
    body_de = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    lock_version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notice text")
        verbose_name_plural = _("notice texts")

    def __str__(self) -> str:
        return f"notice text of version {self.version_id}"

    def body(self, lang: str) -> str:
        """The text for a notice in `lang`: the English one if written, else the German."""
        if lang[:2] == "en" and self.body_en.strip():
            return self.body_en
        return self.body_de if self.body_de.strip() else ""
