"""Drafts and applications in the export of all own data (accounts.dataprotection): the
answers as typed and as shown in the summary, the uploaded files (decrypted), and for each
sent application its receipt PDF."""

from django.db.models import QuerySet

from amtsweg.accounts.dataprotection import Archive, ExportPart, register_export
from amtsweg.accounts.models import TrustLevel, User

from . import actions, receipts
from .models import Draft, Submission, Upload


def _summary(version, answers: dict, uploads: dict[str, dict]) -> list[dict]:
    return [{"title": str(s["title"]), "rows": [[str(k), str(v)] for k, v in s["rows"]]}
            for s in actions.summary_sections(version, answers, uploads)]


def _files(archive: Archive, folder: tuple[str, ...], uploads: QuerySet[Upload]) -> list[dict]:
    files = []
    for u in uploads.order_by("created_at", "pk"):
        name = u.name
        files.append({"id": str(u.pk), "field": u.field, "filename": name,
                      "content_type": u.content_type, "size": u.size, "uploaded_at": u.created_at,
                      "path": archive.add(*folder, f"{u.pk}-{name}", data=actions.read_upload(u))})
    return files


def drafts(user: User, archive: Archive) -> list[dict]:
    out = []
    for d in (Draft.objects.filter(user=user)
              .select_related("adoption__service", "authority", "organisation", "version")):
        out.append({
            "id": str(d.pk), "service": d.adoption.service.title_text,
            "authority": d.authority.name,
            "organisation": d.organisation.name if d.organisation_id else None,
            "created_at": d.created_at, "updated_at": d.updated_at, "expires_at": d.expires_at,
            "step": d.step, "answers": d.answers,
            "summary": _summary(d.version, d.answers, actions.upload_names(d)),
            "files": _files(archive, ("drafts", str(d.pk)), d.uploads.all()),
        })
    return out


def _submissions(user: User) -> QuerySet[Submission]:
    return Submission.objects.filter(user=user)


def applications(user: User, archive: Archive) -> list[dict]:
    out = []
    for s in _submissions(user).select_related("adoption__service", "authority", "organisation",
                                               "version"):
        content = s.content
        folder = ("applications", s.receipt_number)
        out.append({
            "receipt_number": s.receipt_number, "service": s.adoption.service.title_text,
            "authority": s.authority.name,
            "organisation": s.organisation.name if s.organisation_id else None,
            "submitted_at": s.submitted_at, "trust_level": s.trust_level,
            "fee": s.fee_amount, "applicant": content.get("applicant", ""),
            "email": content.get("email", ""), "answers": content.get("answers", {}),
            "summary": _summary(s.version, content.get("answers", {}), actions.upload_names(s)),
            "files": _files(archive, (*folder, "files"), s.uploads.all()),
            "receipt": archive.add(*folder, f"eingangsbestaetigung-{s.receipt_number}.pdf",
                                   data=receipts.render(s)),
        })
    return out


def _strongest(levels: set[str]) -> str:
    return max((lv for lv in levels | {TrustLevel.BASIS} if lv in TrustLevel.values),
               key=TrustLevel.rank)


def draft_level(user: User) -> str:
    """The level of the session that started a draft (it may hold confirmed data)."""
    return _strongest({d.content.get("level", TrustLevel.BASIS)
                       for d in Draft.objects.filter(user=user)})


def application_level(user: User) -> str:
    return _strongest(set(_submissions(user).values_list("trust_level", flat=True)))


register_export(ExportPart("drafts", drafts, covers=("submissions.Draft", "submissions.Upload"),
                           level=draft_level))
register_export(ExportPart("applications", applications,
                           covers=("submissions.Submission", "submissions.Upload"),
                           level=application_level))
