"""Bescheide: filled from the submission, the case and the adopting Behörde's parameters,
rendered with Typst, stored sealed, delivered to the applicant's Postfach (or, for guests, by
e-mail) — as the effect `issue_notice` of the decision transitions.

The words of the notice are the designer's text of the version (`NoticeText`, markup of
`noticetext`) laid out by the template `notice`, or, where none is written, the version's
registered template (`ServiceVersion.notice_template`); the app that registers such a
template may add its own data for it (`template_data`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amtsweg.core import tenantcrypto
from amtsweg.core.registry import Registry
from amtsweg.documents.render import render_pdf
from amtsweg.services.models import Adoption, ServiceVersion
from amtsweg.services.models import text as text_of
from amtsweg.submissions.actions import compute_fee, form_of
from amtsweg.territory.models import Authority

from . import noticetext, workflow
from .models import Case, Notice, NoticeText

REMEDY = {
    "de": ("Rechtsbehelfsbelehrung: Gegen diesen Bescheid kann innerhalb eines Monats nach "
           "Bekanntgabe Widerspruch erhoben werden. Der Widerspruch ist schriftlich, in "
           "elektronischer Form oder zur Niederschrift bei der oben genannten Behörde "
           "einzulegen."),
    "en": ("Legal remedy: you may object to this notice within one month of its "
           "notification, in writing, electronically or in person at the authority named "
           "above. (The German text is binding.)"),
}


@dataclass
class Letter:
    """What a notice says: taken from a case, or sample values for the designer's preview."""

    version: ServiceVersion
    lang: str
    service: str
    receipt_number: str
    number: str
    submitted_at: datetime
    applicant: str
    authority: Authority
    signer: dict
    outcome: str
    reasons: str
    fee: Decimal | None
    answers: dict
    now: datetime


def notice_data(case: Case, reasons: str, number: str, now=None, *,
                outcome: str | None = None) -> dict:
    """The data of the case's notice; `outcome` (default: the case's) lets the clerk preview
    a decision before taking it."""
    submission = case.submission
    content = submission.content
    adoption = submission.adoption
    outcome = case.outcome if outcome is None else outcome
    data = letter_data(Letter(
        version=case.version, lang=submission.lang, service=adoption.service.title_text,
        receipt_number=case.receipt_number, number=number,
        submitted_at=submission.submitted_at,
        applicant=content.get("organisation") or content.get("applicant", ""),
        authority=case.authority, signer=adoption.signer or {},
        outcome=outcome, reasons=reasons,
        fee=submission.fee_amount, answers=content.get("answers") or {},
        now=now or timezone.now()))
    extra = template_data.get(template_of(case.version, data))
    if extra is not None:
        more = extra.data(case, submission.lang, outcome)
        data["labels"].update(more.pop("labels", {}))
        data.update(more)
    return data


@dataclass(frozen=True)
class TemplateData:
    """More data for a registered notice template, given by the app that owns the template
    (the funding app's Bewilligungsbescheid adds the grant): `data(case, lang, outcome)`
    returns keys for the template and, under "labels", more static words."""

    key: str  # the template's name
    data: Callable[[Case, str, str], dict]

    def is_enabled(self) -> bool:
        return True


template_data: Registry[TemplateData] = Registry("notice template data")


def letter_data(letter: Letter, text: NoticeText | None = None) -> dict:
    """The template's data; with the designer's notice text (the version's own unless
    `text` is given) as `body`."""
    lang = letter.lang
    flow = workflow.of(letter.version)
    outcome = flow.get("outcomes", {}).get(letter.outcome, {})
    outcome_word = outcome.get(lang) or outcome.get("de") or letter.outcome
    now = timezone.localtime(letter.now)
    authority = letter.authority
    fee = letter.fee
    with translation.override(lang):
        data = {
            "title": _("Notice on your application: %(service)s")
            % {"service": letter.service},
            "platform": "Amtsweg", "receipt_number": letter.receipt_number,
            "notice_number": letter.number, "service": letter.service,
            "submitted_at": formats.date_format(timezone.localtime(letter.submitted_at),
                                                "SHORT_DATE_FORMAT"),
            "date": formats.date_format(now, "DATE_FORMAT"),
            "place_date": f"{authority.city}, "
                          f"{formats.date_format(now, 'DATE_FORMAT')}".strip(", "),
            "applicant": {"name": letter.applicant, "address": ""},
            "authority": {"name": authority.name,
                          "address": f"{authority.street} {authority.house_number}, "
                                     f"{authority.zip} {authority.city}".strip(" ,"),
                          "email": authority.email, "phone": authority.phone},
            "outcome": outcome_word,
            "decision": _("Your application is %(outcome)s.") % {"outcome": outcome_word},
            "reasons": letter.reasons,
            "fee": (formats.number_format(fee, 2, use_l10n=True, force_grouping=True) + " EUR"
                    if fee else ""),
            "remedy": REMEDY.get(lang, REMEDY["de"]),
            "closing": _("Kind regards"),
            "signer": letter.signer.get("name") or authority.name,
            "signer_role": letter.signer.get("role", ""),
            "labels": {
                "receipt_number": _("Receipt number"), "notice_number": _("Notice number"),
                "service": _("Service"), "submitted_at": _("Application of"),
                "decision": _("Decision"), "reasons": _("Reasons"), "fee": _("Fee"),
                "remedy": _("Legal remedy"), "page_of": _("Page {page} of {pages}"),
                "contact": _("Contact"), "email": _("E-mail"), "phone": _("Phone"),
                "authority": _("Responsible authority"),
            },
        }
        if text is None:
            text = NoticeText.objects.filter(version=letter.version).first()
        body = text.body(lang) if text is not None else ""
        if body:
            data["body"] = noticetext.to_blocks(body, _values(letter, data, body),
                                                letter.outcome)
    return data


def _values(letter: Letter, data: dict, body: str) -> dict[str, str]:
    """The placeholder values of a notice (only the answers the text names are shown)."""
    values = {
        "case.receipt_number": data["receipt_number"], "case.notice_number": data["notice_number"],
        "case.submitted_at": data["submitted_at"], "service.title": data["service"],
        "applicant.name": data["applicant"]["name"], "decision": data["decision"],
        "outcome": data["outcome"], "reasons": data["reasons"], "fee": data["fee"],
        "date": data["date"],
        **{f"authority.{k}": v for k, v in data["authority"].items()},
    }
    paths = [n[len(noticetext.ANSWERS):] for n in noticetext.placeholders(body)
             if n.startswith(noticetext.ANSWERS)]
    if paths:
        form = form_of(letter.version)
        values.update({noticetext.ANSWERS + path: text for path, text in
                       noticetext.answer_texts(form, letter.answers, paths, letter.lang).items()})
    return values


def template_of(version: ServiceVersion, data: dict) -> str:
    """A written text is laid out by the fixed template `notice`; otherwise the version's
    registered template is used as it is."""
    return "notice" if "body" in data else (version.notice_template or "notice")


def render(case: Case, reasons: str, number: str = "", now=None, *,
           outcome: str | None = None) -> bytes:
    """The PDF; also the preview (with a provisional number) before issuing."""
    with translation.override(case.submission.lang):
        number = number or _("(preview)")
    data = notice_data(case, reasons, number, now, outcome=outcome)
    return render_pdf(template_of(case.version, data), data, lang=case.submission.lang,
                      created=now)


def preview(version: ServiceVersion, *, outcome: str, lang: str = "de",
            text: NoticeText | None = None) -> bytes:
    """The notice of `version` with sample answers from its form and sample case data, for
    the designer; `text` (unsaved) instead of the stored notice text."""
    service = version.service
    form = form_of(version)
    answers = noticetext.sample_answers(form, lang)
    with translation.override(lang):
        authority = service.owner_authority or Authority(
            name=_("Example authority"), street="Musterstraße", house_number="1", zip="12345",
            city="Musterstadt", email="poststelle@example.org", phone="0123 456-0")
        letter = Letter(
            version=version, lang=lang, service=text_of(service.title, lang) or service.slug,
            receipt_number="AW-2026-0000-0000X", number=_("(preview)"),
            submitted_at=timezone.now(), applicant="Erika Mustermann", authority=authority,
            signer={}, outcome=outcome,
            reasons=_("Here the notice shows the reasons the clerk writes when deciding."),
            fee=compute_fee(Adoption(fee=None), version, answers), answers=answers,
            now=timezone.now())
    data = letter_data(letter, text)
    return render_pdf(template_of(version, data), data, lang=lang)


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


workflow.effects.register(workflow.Effect("issue_notice", issue, issues_notice=True))
