"""The Postfach in the export of all own data (accounts.dataprotection)."""

from django.db.models import QuerySet

from amtsweg.accounts.dataprotection import Archive, ExportPart, register_export
from amtsweg.accounts.models import TrustLevel, User

from .actions import read_attachment
from .models import Message


def _messages(user: User) -> QuerySet[Message]:
    return Message.objects.filter(account=user)


def build(user: User, archive: Archive) -> list[dict]:
    messages = []
    for m in _messages(user).select_related("authority").prefetch_related("attachments"):
        files = []
        for a in m.attachments.all():
            path = archive.add("attachments", str(m.pk), f"{a.pk}-{a.name}",
                               data=read_attachment(a))
            files.append({"filename": a.name, "path": path, "size": a.size})
        messages.append({
            "id": str(m.pk), "direction": m.direction, "authority": m.authority.name,
            "subject": m.subject, "body": m.body, "trust_level": m.trust_level,
            "created_at": m.created_at, "read_at": m.read_at,
            "in_reply_to": str(m.in_reply_to_id) if m.in_reply_to_id else None,
            "attachments": files,
        })
    return messages


def level(user: User) -> str:
    levels = set(_messages(user).values_list("trust_level", flat=True)) | {TrustLevel.BASIS}
    return max(levels, key=TrustLevel.rank)


register_export(ExportPart("messages", build, covers=("mailbox.Message", "mailbox.Attachment"),
                           level=level))
