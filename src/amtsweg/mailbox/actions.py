"""Deliver, read and answer Postfach messages. Other apps and the API call `deliver`."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amtsweg.accounts.models import TrustLevel, User
from amtsweg.core import crypto
from amtsweg.core import files as core_files
from amtsweg.core.mail import send_after_commit
from amtsweg.territory.models import Authority

from .models import Attachment, Message

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
ALLOWED_TYPES = {"application/pdf", "image/png", "image/jpeg"}
MAX_SUBJECT, MAX_BODY = 200, 20_000


@dataclass(frozen=True)
class File:
    name: str
    data: bytes
    content_type: str = ""


def too_large(name: str) -> str:
    return _("“%(name)s” is larger than 10 MB.") % {"name": name}


def _check_files(files: list[File]) -> list[tuple[File, str]]:
    """Each file with the type detected from its content (not its name or the sender's
    claim), or ValidationError with a sentence."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(_("At most %(n)d attachments.") % {"n": MAX_ATTACHMENTS})
    checked = []
    for f in files:
        kind = core_files.sniff(f.data) if f.data else ""
        if kind not in ALLOWED_TYPES:
            raise ValidationError(_("“%(name)s” is not a PDF, PNG or JPEG file.")
                                  % {"name": f.name})
        if len(f.data) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(too_large(f.name))
        checked.append((f, kind))
    return checked


def _attach(message: Message, files: list[tuple[File, str]]) -> None:
    for f, kind in files:
        attachment = Attachment(message=message, content_type=kind, size=len(f.data),
                                filename=core_files.stored_name(f.name, kind))
        stored = default_storage.save(
            f"mailbox/{message.id}/{timezone.now().timestamp():.0f}.bin",
            ContentFile(crypto.encrypt_bytes(f.data, attachment.context())))
        attachment.stored_name = stored
        attachment.save()


def read_attachment(attachment: Attachment) -> bytes:
    with default_storage.open(attachment.stored_name, "rb") as fh:
        return crypto.decrypt_bytes(fh.read(), attachment.context())


@transaction.atomic
def deliver(*, account: User, authority: Authority, subject: str, body: str,
            trust_level: str = TrustLevel.BASIS, files: list[File] | None = None,
            in_reply_to: Message | None = None) -> Message:
    """A Behörde sends a message (a notice, a request for documents) to an account.

    The account owner gets an e-mail that a message is waiting, without its content.
    """
    files = files or []
    if trust_level not in TrustLevel.values:
        raise ValidationError(_("Unknown trust level."))
    if not subject.strip() or len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise ValidationError(_("The subject must have 1 to 200 characters and the text at "
                                "most 20,000."))
    checked = _check_files(files)
    message = Message(account=account, authority=authority, trust_level=trust_level,
                      in_reply_to=in_reply_to, direction=Message.Direction.TO_ACCOUNT)
    message.set_text(subject.strip(), body)
    message.save()
    _attach(message, checked)
    send_after_commit(account.email, _("You have a new message in your Postfach"),
                      "mailbox/mail/new_message.txt",
                      {"url": reverse("mailbox:inbox"), "authority": authority.name,
                       "site_url": settings.SITE_URL})
    return message


@transaction.atomic
def mark_read(message: Message) -> None:
    if message.read_at is None and message.direction == Message.Direction.TO_ACCOUNT:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])


@transaction.atomic
def reply(*, account: User, to: Message, body: str, files: list[File] | None = None) -> Message:
    """The account answers a message (for example with requested documents)."""
    files = files or []
    if to.account_id != account.pk:
        raise ValidationError(_("This message is not yours."))
    if not body.strip() or len(body) > MAX_BODY:
        raise ValidationError(_("Please write an answer of at most 20,000 characters."))
    checked = _check_files(files)
    answer = Message(account=account, authority=to.authority, in_reply_to=to,
                     trust_level=to.trust_level, direction=Message.Direction.FROM_ACCOUNT)
    answer.set_text((_("Re: %(subject)s") % {"subject": to.subject})[:MAX_SUBJECT], body)
    answer.save()
    _attach(answer, checked)
    return answer


def unread_count(account: User) -> int:
    return Message.objects.filter(account=account, direction=Message.Direction.TO_ACCOUNT,
                                  read_at__isnull=True).count()
