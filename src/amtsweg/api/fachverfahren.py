"""REST API for Fachverfahren (case management systems of a Behörde): fetch new submissions
with their decrypted data and files, acknowledge them, move their case along the workflow,
write to the applicant's Postfach and send a notice.

Every request authenticates with a client's bearer token (clients.ClientAuth) and sees only
its own Behörde: an id of another Behörde's submission answers 404, exactly like an id that
does not exist. Every change writes an audit entry (actor "api:<client id>") in its
transaction.
"""

import base64
import binascii
import datetime
import uuid
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from amtsweg.audit import actions as audit
from amtsweg.cases import actions as case_actions
from amtsweg.cases.models import Case
from amtsweg.core import bodylimit
from amtsweg.core import files as core_files
from amtsweg.mailbox import actions as mailbox
from amtsweg.submissions.actions import read_upload
from amtsweg.submissions.models import Submission, Upload

from . import clients
from .models import Acknowledgement, Scope
from .problems import Problem, bad_request

router = Router(tags=["Fachverfahren"], auth=clients.ClientAuth())

MAX_NOTICE_BYTES = mailbox.MAX_ATTACHMENT_BYTES
bodylimit.allow("api-v1:send_notice", MAX_NOTICE_BYTES)


# --- schemas ----------------------------------------------------------------------------------

class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


class CaseOut(Schema):
    id: int
    state: str
    outcome: str
    lockVersion: int


class SubmissionItem(Schema):
    id: uuid.UUID
    receiptNumber: str
    serviceSlug: str
    serviceVersion: int
    submittedAt: datetime.datetime
    acknowledgedAt: datetime.datetime | None
    caseState: str | None


class SubmissionPage(Schema):
    submissions: list[SubmissionItem]
    next: str | None = Field(None, description="Cursor for `after` to get the next page")


class ListParams(Schema):
    state: Literal["new", "acknowledged"] | None = Field(
        None, description="new: not yet acknowledged by this client")
    limit: int = Field(50, ge=1, le=200)
    after: str | None = Field(None, max_length=200,
                              description="The `next` cursor of the previous page")


class Attachment(Schema):
    id: uuid.UUID
    field: str
    name: str
    contentType: str
    size: int
    sha256: str


class ServiceOut(Schema):
    slug: str
    version: int
    leikaKey: str
    title: str


class SubmissionDetail(Schema):
    id: uuid.UUID
    receiptNumber: str
    authorityId: int
    service: ServiceOut
    submittedAt: datetime.datetime
    trustLevel: str
    lang: str
    applicant: str
    organisation: str
    email: str
    hasAccount: bool
    answers: dict
    fee: str | None = Field(None, description="Decimal amount in EUR as a string")
    attachments: list[Attachment]
    case: CaseOut | None
    acknowledgedAt: datetime.datetime | None


class AckOut(Schema):
    submissionId: uuid.UUID
    acknowledgedAt: datetime.datetime


class TransitionIn(Schema):
    transition: str = Field(..., min_length=1, max_length=63)
    note: str = Field("", max_length=5000)
    lockVersion: int | None = Field(None, ge=0, le=2**31 - 1)


class MessageIn(Schema):
    subject: str = Field(..., min_length=1, max_length=mailbox.MAX_SUBJECT)
    body: str = Field(..., min_length=1, max_length=mailbox.MAX_BODY)


class MessageOut(Schema):
    messageId: uuid.UUID
    submissionId: uuid.UUID
    attachments: int


ERRORS = {401: ProblemOut, 403: ProblemOut, 404: ProblemOut}


# --- helpers ----------------------------------------------------------------------------------

def not_found() -> Problem:
    return Problem(404, _("Not found"), _("There is no such submission."))


def conflict(detail: str) -> Problem:
    return Problem(409, _("Conflict"), detail, "conflict")


def _submission(request: HttpRequest, submission_id: uuid.UUID,
                scope: str = Scope.SUBMISSIONS_READ) -> Submission:
    """The submission if it belongs to the client's Behörde; 404 otherwise (never 403: the
    answer must not tell whether another Behörde has it)."""
    client = clients.require_scope(request, scope)
    submission = (Submission.objects.select_related("version__service__leistung", "user")
                  .filter(pk=submission_id, authority_id=client.authority_id).first())
    if submission is None:
        raise not_found()
    return submission


def _encode_cursor(submitted_at: datetime.datetime, pk: uuid.UUID) -> str:
    raw = f"{submitted_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime.datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|", 1)
        when = datetime.datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError(at)
        return when, uuid.UUID(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_request(_("after is not a cursor from a previous page.")) from None


def _ack_at(client, submission: Submission) -> datetime.datetime | None:
    return (Acknowledgement.objects.filter(api_client=client, submission=submission)
            .values_list("at", flat=True).first())


def _case_out(case: Case | None) -> dict | None:
    if case is None:
        return None
    return {"id": case.pk, "state": case.state, "outcome": case.outcome,
            "lockVersion": case.lock_version}


def _tenant(submission: Submission) -> str:
    return submission.tenant


# --- endpoints --------------------------------------------------------------------------------

@router.get("/submissions", response={200: SubmissionPage, **ERRORS},
            summary="Submissions of the client's Behörde, oldest first")
def list_submissions(request: HttpRequest, params: Query[ListParams]):
    client = clients.require_scope(request, Scope.SUBMISSIONS_READ)
    acks = Acknowledgement.objects.filter(api_client=client, submission=OuterRef("pk"))
    rows = (Submission.objects.filter(authority_id=client.authority_id)
            .select_related("version__service", "case")
            .annotate(acked=Exists(acks)).order_by("submitted_at", "id"))
    if params.state == "new":
        rows = rows.filter(acked=False)
    elif params.state == "acknowledged":
        rows = rows.filter(acked=True)
    if params.after:
        at, pk = _decode_cursor(params.after)
        rows = rows.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=pk))
    page = list(rows[:params.limit + 1])
    more = len(page) > params.limit
    page = page[:params.limit]
    acked_at = dict(Acknowledgement.objects.filter(api_client=client, submission__in=page)
                    .values_list("submission_id", "at"))
    items = []
    for s in page:
        case = getattr(s, "case", None) if hasattr(s, "case") else None
        items.append({"id": s.pk, "receiptNumber": s.receipt_number,
                      "serviceSlug": s.version.service.slug, "serviceVersion": s.version.number,
                      "submittedAt": s.submitted_at, "acknowledgedAt": acked_at.get(s.pk),
                      "caseState": case.state if case else None})
    last = page[-1] if page else None
    return {"submissions": items,
            "next": _encode_cursor(last.submitted_at, last.pk) if more and last else None}


@router.get("/submissions/{submission_id}", response={200: SubmissionDetail, **ERRORS},
            summary="A submission with its decrypted answers and its attachments")
def get_submission(request: HttpRequest, submission_id: uuid.UUID):
    submission = _submission(request, submission_id)
    content = submission.content
    service = submission.version.service
    case = Case.objects.filter(submission=submission).first()
    uploads = Upload.objects.filter(submission=submission).order_by("created_at", "id")
    return {
        "id": submission.pk, "receiptNumber": submission.receipt_number,
        "authorityId": submission.authority_id,
        "service": {"slug": service.slug, "version": submission.version.number,
                    "leikaKey": service.leistung.leika_key, "title": service.title_text},
        "submittedAt": submission.submitted_at, "trustLevel": submission.trust_level,
        "lang": submission.lang, "applicant": content.get("applicant", ""),
        "organisation": content.get("organisation", ""), "email": content.get("email", ""),
        "hasAccount": submission.user_id is not None,
        "answers": content.get("answers", {}),
        "fee": str(submission.fee_amount) if submission.fee_amount is not None else None,
        "attachments": [{"id": u.pk, "field": u.field, "name": u.name,
                         "contentType": u.content_type, "size": u.size, "sha256": u.sha256}
                        for u in uploads],
        "case": _case_out(case),
        "acknowledgedAt": _ack_at(request.api_client, submission),
    }


@router.get("/submissions/{submission_id}/attachments/{upload_id}",
            response={200: None, **ERRORS}, summary="The bytes of an attachment",
            openapi_extra={"responses": {200: {
                "description": "The file, with the type detected at upload (PDF, an image…)",
                "content": {"*/*": {
                    "schema": {"type": "string", "format": "binary"}}}}}})
def get_attachment(request: HttpRequest, submission_id: uuid.UUID, upload_id: uuid.UUID):
    submission = _submission(request, submission_id)
    upload = Upload.objects.filter(pk=upload_id, submission=submission).first()
    if upload is None:
        raise Problem(404, _("Not found"), _("There is no such attachment."))
    return core_files.download(read_upload(upload), upload.name, upload.content_type)


@router.post("/submissions/{submission_id}/acknowledge", response={200: AckOut, **ERRORS},
             summary="Confirm that the Fachverfahren took the submission over (idempotent)")
def acknowledge(request: HttpRequest, submission_id: uuid.UUID):
    submission = _submission(request, submission_id)
    client = request.api_client
    with transaction.atomic():
        ack, created = Acknowledgement.objects.get_or_create(api_client=client,
                                                             submission=submission)
        if created:
            audit.record(tenant=_tenant(submission), actor=clients.actor(client),
                         action="api.submission.acknowledged", obj=submission,
                         data={"client": client.pk})
    return {"submissionId": submission.pk, "acknowledgedAt": ack.at}


@router.post("/cases/{submission_id}/transition", response={200: CaseOut, **ERRORS,
                                                              409: ProblemOut},
             summary="Take a workflow transition on the submission's case")
def transition(request: HttpRequest, submission_id: uuid.UUID, data: TransitionIn):
    submission = _submission(request, submission_id, Scope.CASES_WRITE)
    case = Case.objects.filter(submission=submission).first()
    if case is None:
        raise conflict(_("The case of this submission is not open yet; try again shortly."))
    try:
        case = case_actions.transition(None, case.pk, data.transition,
                                       lock_version=data.lockVersion, note=data.note,
                                       api_client=request.api_client)
    except case_actions.CaseError as exc:
        raise conflict(str(exc)) from None
    except PermissionError as exc:
        raise Problem(403, _("Forbidden"), str(exc)) from None
    return _case_out(case)


def _applicant(submission: Submission):
    if submission.user is None:
        raise conflict(_("The applicant has no user account and so no Postfach (a guest "
                         "application)."))
    return submission.user


def _deliver(request: HttpRequest, submission: Submission, *, subject: str, body: str,
             files: list[mailbox.File], action: str) -> dict:
    account = _applicant(submission)
    client = request.api_client
    try:
        with transaction.atomic():
            message = mailbox.deliver(account=account, authority=submission.authority,
                                      subject=subject, body=body,
                                      trust_level=submission.trust_level, files=files)
            audit.record(tenant=_tenant(submission), actor=clients.actor(client),
                         action=action, obj=submission,
                         data={"client": client.pk, "message": str(message.pk),
                               "attachments": len(files)})
    except DjangoValidationError as exc:
        raise bad_request(" ".join(exc.messages)) from None
    return {"messageId": message.pk, "submissionId": submission.pk, "attachments": len(files)}


@router.post("/submissions/{submission_id}/messages",
             response={201: MessageOut, **ERRORS, 409: ProblemOut},
             summary="Send a message to the applicant's Postfach")
def send_message(request: HttpRequest, submission_id: uuid.UUID, data: MessageIn):
    submission = _submission(request, submission_id, Scope.MESSAGES_WRITE)
    return Status(201, _deliver(request, submission, subject=data.subject, body=data.body,
                                files=[], action="api.message.sent"))


@router.post("/submissions/{submission_id}/notice",
             response={201: MessageOut, **ERRORS, 409: ProblemOut},
             summary="Send a notice (Bescheid, PDF) to the applicant's Postfach")
def send_notice(request: HttpRequest, submission_id: uuid.UUID,
                file: File[UploadedFile],
                subject: str = Form("", max_length=mailbox.MAX_SUBJECT),
                body: str = Form("", max_length=mailbox.MAX_BODY)):
    submission = _submission(request, submission_id, Scope.NOTICES_WRITE)
    _applicant(submission)
    if file.size is None or file.size > MAX_NOTICE_BYTES:
        raise bad_request(_("The notice must be a PDF file of at most 10 MB."))
    data = file.read()
    if not data.startswith(b"%PDF"):
        raise bad_request(_("The notice must be a PDF file of at most 10 MB."))
    if not subject.strip():
        with translation.override(submission.lang):
            subject = _("Notice on your application %(number)s") % {
                "number": submission.receipt_number}
    body = body or subject
    name = core_files.stored_name(file.name or "bescheid", "application/pdf")
    return Status(201, _deliver(request, submission, subject=subject, body=body,
                                files=[mailbox.File(name, data, "application/pdf")],
                                action="api.notice.sent"))
