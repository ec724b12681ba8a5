"""Data protection: export of all own data, account deletion, consent log."""

import io
import json
import zipfile

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .models import Consent, TrustLevel, User

# Sent before an account is deleted; apps that keep records for Behörden (submissions, cases)
# receive it to detach the account and tell the Behörde. Arguments: user.
account_deleting = Signal()


def record_consent(user: User, kind: str) -> Consent:
    return Consent.objects.create(user=user, kind=kind)


def highest_level(user: User) -> str:
    """The strongest trust level among the account's data: export needs a session at it."""
    from amtsweg.mailbox.models import Message

    levels = set(user.attributes.values_list("level", flat=True))
    levels |= set(Message.objects.filter(account=user).values_list("trust_level", flat=True))
    levels.add(TrustLevel.BASIS)
    return max(levels, key=TrustLevel.rank)


def export_archive(user: User) -> bytes:
    """One ZIP: data.json with everything about the account, and every attachment."""
    from amtsweg.mailbox.actions import read_attachment
    from amtsweg.mailbox.models import Message

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        messages = []
        for m in Message.objects.filter(account=user).select_related("authority"):
            files = []
            for a in m.attachments.all():
                path = f"attachments/{m.pk}/{a.pk}-{a.name}"
                archive.writestr(path, read_attachment(a))
                files.append({"filename": a.name, "path": path, "size": a.size})
            messages.append({
                "id": str(m.pk), "direction": m.direction, "authority": m.authority.name,
                "subject": m.subject, "body": m.body, "trust_level": m.trust_level,
                "created_at": m.created_at.isoformat(),
                "read_at": m.read_at.isoformat() if m.read_at else None,
                "in_reply_to": str(m.in_reply_to_id) if m.in_reply_to_id else None,
                "attachments": files,
            })
        data = {
            "exported_at": timezone.now().isoformat(),
            "account": {"email": user.email, "first_name": user.first_name,
                        "last_name": user.last_name, "date_joined": user.date_joined.isoformat(),
                        "email_confirmed_at": user.email_verified_at.isoformat()
                        if user.email_verified_at else None,
                        "two_factor": hasattr(user, "totp")},
            "profile": [{"name": a.name, "value": a.value, "source": a.source,
                         "provider": a.provider, "trust_level": a.level,
                         "updated_at": a.updated_at.isoformat()}
                        for a in user.attributes.all()],
            "identities": [{"provider": i.provider, "trust_level": i.level,
                            "linked_at": i.linked_at.isoformat()}
                           for i in user.identities.all()],
            "consents": [{"kind": c.kind, "version": c.version,
                          "given_at": c.given_at.isoformat(),
                          "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None}
                         for c in user.consents.all()],
            "messages": messages,
        }
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
    return buffer.getvalue()


@transaction.atomic
def delete_account(user: User) -> None:
    """Delete the account and everything that belongs only to it (profile, identities,
    Postfach with its files). Records of Behörden are detached by the receivers of
    `account_deleting`."""
    from django.core.files.storage import default_storage

    from amtsweg.mailbox.models import Attachment

    account_deleting.send(sender=User, user=user)
    stored = list(Attachment.objects.filter(message__account=user)
                  .values_list("stored_name", flat=True))
    user.delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in stored])
