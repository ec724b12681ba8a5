"""Data protection: export of all own data, account deletion, consent log.

The export (DSGVO Art. 15 and 20) holds everything the platform keeps about the account.
Apps above accounts (Postfach, applications, cases, payments) keep data of the account too;
accounts must not import them, so each registers an export part here (``register_export``)
and this module writes whatever is registered. What is deliberately left out is listed in
``NOT_EXPORTED`` with the reason; a test fails for a model that holds data of an account
and is in neither (tests/accounts/test_export_applications.py).
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from amtsweg.core.registry import Registry

from .models import Consent, TrustLevel, User

# Sent before an account is deleted; apps that keep records for Behörden (submissions, cases)
# receive it to detach the account and tell the Behörde. Arguments: user.
account_deleting = Signal()


class Archive:
    """The ZIP of an export while parts write into it: files get safe, unique paths."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._paths: set[str] = set()

    def add(self, *parts: str, data: bytes) -> str:
        """Store `data` under the folders and file name `parts` (names typed by people are
        made safe: no folders, no leading dots); returns the path inside the ZIP."""
        path = "/".join(safe_name(str(part)) for part in parts)
        stem, n = path, 1
        while path in self._paths:
            n += 1
            path = f"{stem}-{n}"
        self._paths.add(path)
        self._archive.writestr(path, data)
        return path


def safe_name(name: str) -> str:
    """A file or folder name from something a person typed, safe to unpack anywhere."""
    cleaned = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name)
    cleaned = cleaned.strip().lstrip(".")[-120:]
    return cleaned or "datei"


@dataclass(frozen=True)
class ExportPart:
    """One section of the export's data.json, written by the app that owns the data.

    ``build(user, archive)`` returns the JSON of the section (and may add files to the
    archive); ``covers`` names the models (app_label.ModelName) whose rows of the account it
    exports; ``level(user)`` is the strongest trust level among its data, if it has levels.
    """

    key: str
    build: Callable[[User, Archive], Any]
    covers: tuple[str, ...] = ()
    level: Callable[[User], str] | None = None

    def is_enabled(self) -> bool:
        return True


export_parts: Registry[ExportPart] = Registry("data export parts")


def register_export(part: ExportPart) -> ExportPart:
    return export_parts.register(part)


# Models that hold data linked to an account but are not in the export, and why. Reviewed
# with the data protection officer; a new model linked to an account must be exported by a
# part or named here.
NOT_EXPORTED = {
    "accounts.RecoveryCode": "keyed hashes of one-time codes; the export says whether two "
                             "factors are on",
    "accounts.Invitation": "invitations a person sent: the addresses of other people",
    "accounts.OidcCode": "credentials valid for seconds",
    "accounts.OidcToken": "credentials valid for minutes",
    "admin.LogEntry": "changes made in the admin as staff: work records of the platform",
    "jobs.DeadLetter": "background jobs retried by staff: work records",
    "services.ServiceVersion": "service versions published by staff: work records",
    "cases.SearchToken": "keyed hashes of the words of the applicant's name (search index)",
    "cases.NoticeText": "notice texts written by staff: work records",
    "ikz.SharedStaff": "staff shared by a cooperation: work records of the Behörden",
    "funding.FundingApplication": "the Kommune's funding application made from a submission "
                                  "(the submission itself is exported)",
    "funding.Grant": "a grant to Kommunen, decided by a notice (the notice is exported)",
    "api.Acknowledgement": "the Fachverfahren's receipt of a submission: technical record",
    "api.WebhookDelivery": "deliveries of a submission to a Fachverfahren: technical record",
}


def record_consent(user: User, kind: str) -> Consent:
    return Consent.objects.create(user=user, kind=kind)


def highest_level(user: User) -> str:
    """The strongest trust level among the account's data: export needs a session at it."""
    levels = set(user.attributes.values_list("level", flat=True)) | {TrustLevel.BASIS}
    levels |= {part.level(user) for part in export_parts.enabled() if part.level is not None}
    return max(levels, key=TrustLevel.rank)


def _account(user: User) -> dict:
    return {
        "account": {"email": user.email, "first_name": user.first_name,
                    "last_name": user.last_name, "date_joined": user.date_joined,
                    "email_confirmed_at": user.email_verified_at,
                    "two_factor": hasattr(user, "totp")},
        "profile": [{"name": a.name, "value": a.value, "source": a.source,
                     "provider": a.provider, "trust_level": a.level, "updated_at": a.updated_at}
                    for a in user.attributes.all()],
        "identities": [{"provider": i.provider, "trust_level": i.level, "linked_at": i.linked_at}
                       for i in user.identities.all()],
        "consents": [{"kind": c.kind, "version": c.version, "given_at": c.given_at,
                      "withdrawn_at": c.withdrawn_at} for c in user.consents.all()],
        "organisations": [{"name": m.organisation.name, "kind": m.organisation.kind,
                           "role": m.role, "joined_at": m.joined_at}
                          for m in user.memberships.select_related("organisation")],
        "staff_roles": [{"authority": r.authority.name, "role": r.role, "granted_at": r.granted_at}
                        for r in user.staff_roles.select_related("authority")],
    }


# What this module exports itself (the sections of _account).
ACCOUNT_COVERS = ("accounts.User", "accounts.TotpDevice", "accounts.ProfileAttribute",
                  "accounts.Identity", "accounts.Consent", "accounts.Membership",
                  "accounts.StaffRole")


def export_archive(user: User) -> bytes:
    """One ZIP: data.json with everything about the account, and every file it holds
    (Postfach attachments, uploads, receipts, notices), from all registered parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        files = Archive(archive)
        data = {"exported_at": timezone.now(), **_account(user)}
        for part in export_parts.enabled():
            data[part.key] = part.build(user, files)
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2,
                                                 cls=DjangoJSONEncoder))
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
