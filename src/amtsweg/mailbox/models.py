"""Postfach: messages between Behörden and a Servicekonto, encrypted at rest."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amtsweg.accounts.models import TrustLevel
from amtsweg.core import crypto, files


class Message(models.Model):
    class Direction(models.TextChoices):
        TO_ACCOUNT = "in", _("from an authority")
        FROM_ACCOUNT = "out", _("sent by you")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="messages")
    authority = models.ForeignKey("territory.Authority", on_delete=models.PROTECT,
                                  related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices,
                                 default=Direction.TO_ACCOUNT)
    in_reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replies")
    subject_encrypted = models.TextField()
    body_encrypted = models.TextField()
    trust_level = models.CharField(max_length=20, choices=TrustLevel.choices,
                                   default=TrustLevel.BASIS)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True,
                                   help_text=_("Read receipt, visible to the authority"))

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "direction", "read_at"])]

    def __str__(self) -> str:
        return str(self.id)

    def _context(self, part: str) -> str:
        return f"message:{self.id}:{part}"

    @property
    def subject(self) -> str:
        return crypto.decrypt(self.subject_encrypted, self._context("subject"))

    @property
    def body(self) -> str:
        return crypto.decrypt(self.body_encrypted, self._context("body"))

    def set_text(self, subject: str, body: str) -> None:
        self.subject_encrypted = crypto.encrypt(subject, self._context("subject"))
        self.body_encrypted = crypto.encrypt(body, self._context("body"))


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    stored_name = models.CharField(max_length=300)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Every way of attaching a file names it by its detected type (core.files); a new
        # one that stores the sender's name as it came fails here, not in a clerk's browser.
        if self._state.adding and self.filename != files.stored_name(self.filename,
                                                                     self.content_type):
            raise ValueError("Attachment.filename must come from core.files.stored_name().")
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        """The name to show and download under, with the extension of the detected type
        (applied again for files stored before names were made safe)."""
        return files.stored_name(self.filename, self.content_type)

    def context(self) -> str:
        """Associated data of the encrypted file (core.crypto.encrypt_bytes)."""
        return f"attachment:{self.message_id}:{self.filename}"


# Encrypted directly with the master key: re-encrypted by `rotate_keys --rewrap`.
crypto.register(crypto.Encrypted(
    "mailbox.Message", ("subject_encrypted", "body_encrypted"),
    lambda message, column: message._context(column.removesuffix("_encrypted"))))
crypto.register(crypto.Encrypted("mailbox.Attachment", ("stored_name",),
                                 lambda attachment, column: attachment.context(), files=True))
