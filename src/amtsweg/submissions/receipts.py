"""The receipt (Eingangsbestätigung) of a submission as a PDF, rendered with Typst on demand
from the immutable submission, in the language the applicant used."""

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from amtsweg.documents.render import render_pdf

from . import actions
from .models import Submission


def _size(n: int) -> str:
    return f"{max(1, round(n / 1024))} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def receipt_data(submission: Submission) -> dict:
    content = submission.content
    uploads = actions.upload_names(submission)
    sections = actions.summary_sections(submission.version, content["answers"], uploads)
    authority = submission.authority
    fee = submission.fee_amount
    return {
        "title": _("Receipt of your application"),
        "service": submission.adoption.service.title_text,
        "receipt_number": submission.receipt_number,
        "submitted_at": formats.date_format(timezone.localtime(submission.submitted_at),
                                            "DATETIME_FORMAT"),
        "applicant": {"name": content.get("applicant") or content.get("organisation") or "",
                      "email": content.get("email", "")},
        "authority": {"name": authority.name,
                      "address": f"{authority.street} {authority.house_number}, "
                                 f"{authority.zip} {authority.city}".strip(" ,"),
                      "email": authority.email, "phone": authority.phone},
        "sections": [{"title": s["title"], "rows": [[str(k), str(v)] for k, v in s["rows"]]}
                     for s in sections],
        "attachments": [{"name": u["name"], "size": _size(u["size"])} for u in uploads.values()],
        "fee": (formats.number_format(fee, 2, use_l10n=True, force_grouping=True) + " EUR")
        if fee is not None else None,
        "processing": submission.adoption.processing,
        "labels": {
            "receipt_number": _("Receipt number"), "submitted_at": _("Received on"),
            "service": _("Service"), "authority": _("Responsible authority"),
            "applicant": _("Applicant"), "answers": _("Your answers"),
            "attachments": pgettext("receipt", "Attachments"),
            "no_attachments": _("No attachments"),
            "fee": _("Fee"), "processing": _("Processing time"),
            "page_of": _("Page {page} of {pages}"), "question": _("Question"),
            "answer": pgettext("receipt", "Answer"), "file": _("File"), "size": _("Size"),
            "contact": _("Contact"), "email": _("E-mail"), "phone": _("Phone"),
            "no_fee": _("No fee"), "platform": "Amtsweg",
        },
        "footer": _("This receipt confirms that your application was received. It is not a "
                    "decision. Please quote the receipt number in every enquiry."),
    }


def render(submission: Submission) -> bytes:
    with translation.override(submission.lang):
        return render_pdf("receipt", receipt_data(submission), lang=submission.lang,
                          created=submission.submitted_at)
