"""Bescheide: filled from the submission, the case and the adopting Behörde's parameters,
rendered with Typst (template `notice`), stored sealed, delivered to the applicant's Postfach
(or, for guests, by e-mail) — as the effect `issue_notice` of the decision transitions."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amtsweg.core import tenantcrypto
from amtsweg.documents.render import render_pdf

from . import workflow
from .models import Case, Notice

REMEDY = {
    "de": ("Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats nach "
           "Bekanntgabe Widerspruch erhoben werden. Der Widerspruch ist schriftlich, in "
           "elektronischer Form oder zur Niederschrift bei der oben genannten Behörde "
           "einzulegen."),
    "en": ("Legal remedy: you may object to this notice within one month of its "
           "notification, in writing, electronically or in person at the authority named "
           "above. (The German text is binding.)"),
}


def notice_data(case: Case, reasons: str, number: str, now=None) -> dict:
    submission = case.submission
    content = submission.content
    authority = case.authority
    adoption = submission.adoption
    flow = workflow.of(case.version)
    lang = submission.lang
    outcome = flow.get("outcomes", {}).get(case.outcome, {})
    now = timezone.localtime(now or timezone.now())
    signer = adoption.signer or {}
    fee = submission.fee_amount
    with translation.override(lang):
        return {
            "title": _("Notice on your application: %(service)s")
            % {"service": adoption.service.title_text},
            "platform": "Amtsweg", "receipt_number": case.receipt_number,
            "notice_number": number, "service": adoption.service.title_text,
            "submitted_at": formats.date_format(timezone.localtime(submission.submitted_at),
                                                "SHORT_DATE_FORMAT"),
            "place_date": f"{authority.city}, "
                          f"{formats.date_format(now, 'DATE_FORMAT')}".strip(", "),
            "applicant": {"name": content.get("organisation") or content.get("applicant", ""),
                          "address": ""},
            "authority": {"name": authority.name,
                          "address": f"{authority.street} {authority.house_number}, "
                                     f"{authority.zip} {authority.city}".strip(" ,"),
                          "email": authority.email, "phone": authority.phone},
            "decision": _("Your application is %(outcome)s.")
            % {"outcome": outcome.get(lang) or outcome.get("de") or case.outcome},
            "reasons": reasons,
            "fee": (formats.number_format(fee, 2, use_l10n=True, force_grouping=True) + " EUR"
                    if fee else ""),
            "remedy": REMEDY.get(lang, REMEDY["de"]),
            "closing": _("Kind regards"),
            "signer": signer.get("name") or authority.name,
            "signer_role": signer.get("role", ""),
            "labels": {
                "receipt_number": _("Receipt number"), "notice_number": _("Notice number"),
                "service": _("Service"), "submitted_at": _("Application of"),
                "decision": _("Decision"), "reasons": _("Reasons"), "fee": _("Fee"),
                "remedy": _("Legal remedy"), "page_of": _("Page {page} of {pages}"),
                "contact": _("Contact"), "email": _("E-mail"), "phone": _("Phone"),
                "authority": _("Responsible authority"),
            },
        }


def render(case: Case, reasons: str, number: str = "", now=None) -> bytes:
    """The PDF; also the preview (with a provisional number) before issuing."""
    number = number or _("(preview)")
    return render_pdf(case.version.notice_template or "notice",
                      notice_data(case, reasons, number, now),
                      lang=case.submission.lang, created=now)


def read(notice: Notice) -> bytes:
    with default_storage.open(notice.stored_name, "rb") as fh:
        return tenantcrypto.open_(tenantcrypto.tenant_of_authority(notice.case.authority_id),
                                  fh.read(), f"notice:{notice.pk}")


def issue(step: workflow.Step) -> Notice:
    """Render, store and deliver the notice of a decision (the effect `issue_notice`)."""
    from amtsweg.mailbox.actions import File, deliver

    case = Case.objects.select_related("submission__adoption__service", "authority",
                                       "version").get(pk=step.case.pk)
    now = timezone.now()
    number = f"{case.receipt_number}-B{case.notices.count() + 1}"
    pdf = render(case, step.note, number, now)
    tenant = tenantcrypto.tenant_of_authority(case.authority_id)
    notice = Notice(case=case, number=number, outcome=case.outcome, size=len(pdf),
                    issued_by=step.actor if getattr(step.actor, "is_authenticated", False)
                    else None, stored_name="")
    notice.save()
    notice.stored_name = default_storage.save(
        f"notices/{case.authority_id}/{notice.pk}.bin",
        ContentFile(tenantcrypto.seal(tenant, pdf, f"notice:{notice.pk}")))
    notice.save(update_fields=["stored_name"])
    submission = case.submission
    with translation.override(submission.lang):
        subject = _("Notice on your application %(number)s") % {"number": case.receipt_number}
        body = _("Please find the notice of %(authority)s attached.") % {
            "authority": case.authority.name}
    filename = f"Bescheid-{number}.pdf"
    if submission.user_id:
        deliver(account=submission.user, authority=case.authority, subject=subject, body=body,
                trust_level=submission.trust_level, files=[File(filename, pdf, "application/pdf")])
    elif email := submission.content.get("email"):
        def send() -> None:
            message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
            message.attach(filename, pdf, "application/pdf")
            message.send()
        transaction.on_commit(send)
    return notice


workflow.effects.register(workflow.Effect("issue_notice", issue))
