"""Back office pages: the inbox (filters, blind-index search, keyset pagination) and a case
(answers, attachments, history, transitions, assignment, internal notes).

Everything is looked up through actions.visible_cases(user): a case of another Behörde is a
404, whatever the route. Changes go through the actions (roles, optimistic locking, audit).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amtsweg.accounts.models import User
from amtsweg.core import files as core_files
from amtsweg.core import tenantcrypto
from amtsweg.core.text import fold
from amtsweg.forms import render as form_render
from amtsweg.payments.models import Payment
from amtsweg.services.models import OnlineService, ServiceVersion, text
from amtsweg.submissions import actions as submission_actions
from amtsweg.submissions.models import Upload
from amtsweg.territory.models import Authority

from . import actions, postfach, workflow
from .models import Case, SearchToken

PAGE_SIZE = 50
DUE_SOON_DAYS = 3
# Up to this many Behörden, the inbox of a person who works for several merges one index walk
# per Behörde (see inbox); beyond it, one query with authority_id IN (…).
MERGE_MAX_AUTHORITIES = 30
WORKING_ROLES = ("clerk", "lead")


def case_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, staff (two factors are enforced by the accounts middleware) with a case
    role (Sachbearbeitung, Leitung, Admin) at some Behörde."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_staff:
            raise PermissionDenied
        allowed = actions.case_authorities(user)
        if allowed is not None and not allowed:
            raise PermissionDenied
        request.case_authorities = allowed
        return view(request, *args, **kwargs)

    return wrapper


def case_route(*methods: str) -> Callable[[Callable[..., HttpResponse]],
                                         Callable[..., HttpResponse]]:
    """A page of one case: the case is looked up first (404 when the person may not see it,
    whatever the method), then the method is checked; the view gets the case."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @case_view
        @wraps(view)
        def wrapper(request: HttpRequest, case_id: int, **kwargs) -> HttpResponse:
            case = _case(request, case_id)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, case, **kwargs)

        return wrapper

    return decorate


def _lang() -> str:
    return (translation.get_language() or "de")[:2]


def _label(labels: dict | str, lang: str) -> str:
    if isinstance(labels, str):
        return labels
    return labels.get(lang) or labels.get("de") or next(iter(labels.values()), "")


def _authorities(request: HttpRequest) -> QuerySet[Authority]:
    allowed = request.case_authorities
    qs = Authority.objects.order_by("name")
    return qs if allowed is None else qs.filter(pk__in=allowed)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- inbox ------------------------------------------------------------------------------------

def _cursor(value: str) -> tuple[datetime, int] | None:
    stamp, _sep, pk = value.rpartition("_")
    try:
        at = datetime.fromisoformat(stamp)
        return (at if timezone.is_aware(at) else timezone.make_aware(at)), int(pk)
    except ValueError:
        return None


def _search(cases: QuerySet[Case], q: str, authority_ids: list[int]) -> QuerySet[Case]:
    """A receipt number (exact), else the name words: a case must carry a token of every
    word (tokens are keyed per Behörde, so each word gives one token per Behörde and master
    key, see actions.search_tokens)."""
    q = q.strip()
    if q.upper().startswith("AW-"):
        return cases.filter(receipt_number=q.upper())
    words = sorted({w for w in fold(q).replace("-", " ").split() if len(w) >= 2})
    if not words:
        return cases.none()
    tenants = [tenantcrypto.tenant_of_authority(a) for a in authority_ids]
    tokens = [t for tenant in tenants for word in words
              for t in actions.search_tokens(tenant, word)]
    # A case holds each of its tokens once, and only tokens of its own Behörde: it matches
    # every word when it holds len(words) of these tokens. One pass over the token index.
    matching = (SearchToken.objects.filter(token__in=tokens).values("case_id")
                .annotate(n=Count("id")).filter(n=len(words)).values("case_id"))
    return cases.filter(id__in=matching)


def _states(services: list[OnlineService], lang: str) -> list[tuple[str, str]]:
    states = {key: _label(s.get("label", {}), lang)
              for key, s in workflow.DEFAULT["states"].items()}
    for flow in (ServiceVersion.objects.filter(service__in=services)
                 .exclude(workflow=None).values_list("workflow", flat=True)):
        if isinstance(flow, dict):
            for key, s in (flow.get("states") or {}).items():
                states.setdefault(key, _label(s.get("label", {}), lang))
    # in the order a case goes through them (issue 12: alphabetical put "Abgeschlossen" first)
    return list(states.items())


def _clerks(authority_ids: list[int]) -> QuerySet[User]:
    return (User.objects.filter(staff_roles__authority_id__in=authority_ids,
                                staff_roles__role__in=WORKING_ROLES)
            .distinct().order_by("last_name", "first_name", "email"))


@require_GET
@case_view
def inbox(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    authorities = list(_authorities(request))
    authority_ids = [a.pk for a in authorities]
    get = request.GET
    chosen_authority = _int(get.get("authority"))
    if chosen_authority not in authority_ids:
        chosen_authority = None
    scope = [chosen_authority] if chosen_authority else authority_ids

    # Scoped to `scope` below, after the filters (one index walk per Behörde where it pays).
    scoped = request.case_authorities is not None or chosen_authority
    cases = Case.objects.all()
    services = list(OnlineService.objects.filter(adoptions__authority_id__in=authority_ids)
                    .distinct().order_by("slug")) if request.case_authorities is not None \
        else list(OnlineService.objects.order_by("slug"))
    service_id = _int(get.get("service"))
    if service_id:
        cases = cases.filter(version__service_id=service_id)
    state = get.get("state", "")
    if state:
        cases = cases.filter(state=state)
    assignee = get.get("assignee", "")
    if assignee == "me":
        cases = cases.filter(assignee=request.user)
    elif assignee == "nobody":
        cases = cases.filter(assignee__isnull=True)
    elif _int(assignee):
        cases = cases.filter(assignee_id=_int(assignee))
    now = timezone.now()
    due = get.get("due", "")
    if due == "overdue":
        cases = cases.filter(due_at__lt=now, closed_at__isnull=True)
    elif due == "soon":
        cases = cases.filter(due_at__gte=now, due_at__lt=now + timedelta(days=DUE_SOON_DAYS),
                             closed_at__isnull=True)
    q = get.get("q", "").strip()[:200]
    if q:
        cases = _search(cases, q, scope)
    cursor = _cursor(get.get("before", ""))
    if cursor:
        at, pk = cursor
        # received_at <= at narrows the index range; the OR breaks ties by id.
        cases = cases.filter(Q(received_at__lt=at) | Q(received_at=at, id__lt=pk),
                             received_at__lte=at)

    if scoped and 1 < len(scope) <= MERGE_MAX_AUTHORITIES:
        # authority_id IN (…) cannot walk the (authority, received_at, id) index in order;
        # one LIMITed index walk per Behörde, merged here, stays as cheap as a single one.
        keys = []
        for authority_id in scope:
            keys += cases.filter(authority_id=authority_id).order_by(
                "-received_at", "-id").values_list("received_at", "id")[:PAGE_SIZE + 1]
        keys.sort(reverse=True)
        cases = Case.objects.filter(id__in=[pk for _, pk in keys[:PAGE_SIZE + 1]])
    elif scoped:
        cases = cases.filter(authority_id__in=scope)
    rows = list(cases.select_related("version__service", "assignee", "submission")
                .only("id", "receipt_number", "state", "received_at", "due_at", "closed_at",
                      "authority_id", "lock_version", "version__id", "version__workflow",
                      "version__service__id", "version__service__title",
                      "version__service__slug", "assignee__id", "assignee__email",
                      "assignee__first_name", "assignee__last_name", "submission__id",
                      "submission__authority_id", "submission__data")
                .order_by("-received_at", "-id")[:PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    entries = []
    detail_url = reverse("cases:detail", args=[0])[:-2]  # one reverse(), not one per row
    for case in rows:
        content = case.submission.content
        flow = workflow.of(case.version)
        entries.append({
            "case": case, "url": f"{detail_url}{case.pk}/",
            "service": text(case.version.service.title) or case.version.service.slug,
            "state": workflow.state_label(flow, case.state, lang),
            "overdue": bool(case.due_at and case.due_at < now and not case.closed_at),
            "applicant": content.get("applicant") or content.get("organisation") or "",
        })
    next_url = ""
    if more:
        last = rows[-1]
        params = {k: v for k, v in get.items() if k != "before" and v}
        params["before"] = f"{last.received_at.isoformat()}_{last.pk}"
        next_url = "?" + urlencode(params)
    first_url = "?" + urlencode({k: v for k, v in get.items() if k != "before" and v}) \
        if cursor else ""
    return render(request, "cases/inbox.html", {
        "section": "cases", "entries": entries, "next_url": next_url, "first_url": first_url,
        "filters": {"service": service_id, "state": state, "assignee": assignee, "due": due,
                    "authority": chosen_authority, "q": q},
        "services": [(s.pk, text(s.title) or s.slug) for s in services],
        "states": _states(services, lang),
        "clerks": _clerks(authority_ids).exclude(pk=request.user.pk),
        "authorities": authorities if len(authorities) > 1 else [],
        "searched": bool(q),
    })


# --- a case -----------------------------------------------------------------------------------

def _case(request: HttpRequest, case_id: int) -> Case:
    return get_object_or_404(
        actions.visible_cases(request.user).select_related(
            "version__service", "authority", "assignee", "submission"), pk=case_id)


def _detail(request: HttpRequest, case: Case, *, status: int = 200, error: str = "",
            form: dict | None = None) -> HttpResponse:
    lang = _lang()
    submission = case.submission
    content = submission.content
    uploads = list(submission.uploads.order_by("created_at"))
    names = {str(u.pk): {"name": u.name, "size": u.size,
                         "type": form_render.file_kind(u.content_type)}
             for u in uploads}
    sections = submission_actions.summary_sections(case.version, content.get("answers", {}),
                                                   names, lang)
    for section in sections:
        section["rows"] = [(label, ", ".join(map(str, value))
                            if isinstance(value, list | tuple) else value)
                           for label, value in section["rows"]]
    flow = workflow.of(case.version)
    roles = actions.roles_at(request.user, case.authority_id)
    transitions = [{"key": tr["key"], "label": _label(tr.get("label", tr["key"]), lang),
                    "note_required": "note_given" in tr.get("guards", [])}
                   for tr in workflow.available(flow, case.state)
                   if roles & set(tr.get("roles", []))]
    events = list(case.events.select_related("actor"))
    history = []
    for event in events:
        event.case = case  # note_text needs the case's Behörde; no query per event
        history.append({"event": event, "note": actions.note_text(event),
                        "from": workflow.state_label(flow, event.from_state, lang)
                        if event.from_state else "",
                        "to": workflow.state_label(flow, event.to_state, lang)
                        if event.to_state else ""})
    works = bool(roles & set(WORKING_ROLES))
    outcomes = flow.get("outcomes", {})
    return render(request, "cases/detail.html", {
        "section": "cases", "case": case, "submission": submission,
        "postfach": postfach.sent_to_applicant(case),
        "open_invoice": _open_invoice(case) if works else None,
        "service": text(case.version.service.title) or case.version.service.slug,
        "applicant": content.get("applicant") or content.get("organisation") or "",
        "email": content.get("email", ""),
        "state": workflow.state_label(flow, case.state, lang),
        "outcome": _label(flow.get("outcomes", {}).get(case.outcome, case.outcome), lang)
        if case.outcome else "",
        "overdue": bool(case.due_at and case.due_at < timezone.now() and not case.closed_at),
        "sections": sections, "uploads": [(u, names[str(u.pk)]) for u in uploads],
        "history": history, "transitions": transitions, "works": works,
        "clerks": _clerks([case.authority_id]) if works else [],
        "error": error, "form": form or {},
        "notice_outcomes": [(key, _label(label, lang)) for key, label in outcomes.items()],
        "notice_outcome": case.outcome or next(iter(outcomes), ""),
    }, status=status)


@case_route("GET", "HEAD")
def detail(request: HttpRequest, case: Case) -> HttpResponse:
    return _detail(request, case)


def _lock_version(request: HttpRequest) -> int | None:
    return _int(request.POST.get("lock_version"))


@case_route("POST")
def take_transition(request: HttpRequest, case: Case) -> HttpResponse:
    key = request.POST.get("transition", "")
    note = request.POST.get("note", "")
    try:
        actions.transition(request.user, case.pk, key, note=note,
                           lock_version=_lock_version(request) if "lock_version" in request.POST
                           else case.lock_version)
    except PermissionError as exc:
        raise PermissionDenied from exc
    except actions.Conflict as exc:
        return _detail(request, _case(request, case.pk), status=409, error=str(exc),
                       form={"transition": key, "note": note})
    except actions.CaseError as exc:
        return _detail(request, _case(request, case.pk), status=400, error=str(exc),
                       form={"transition": key, "note": note})
    messages.success(request, _("The case was updated."))
    return redirect("cases:detail", case.pk)


@case_route("POST")
def assign(request: HttpRequest, case: Case) -> HttpResponse:
    value = request.POST.get("assignee", "")
    lock_version = _lock_version(request)
    if lock_version is None:
        lock_version = case.lock_version
    try:
        if value == "me":
            assignee = request.user
        elif value in ("", "nobody"):
            assignee = None
        else:
            assignee = User.objects.filter(pk=_int(value) or 0).first()
            if assignee is None:
                raise actions.CaseError(
                    _("Cases can only be assigned to clerks of this authority."))
        actions.assign(request.user, case.pk, assignee, lock_version=lock_version)
    except PermissionError as exc:
        raise PermissionDenied from exc
    except actions.CaseError as exc:
        return _detail(request, _case(request, case.pk),
                       status=409 if isinstance(exc, actions.Conflict) else 400,
                       error=str(exc), form={"assignee": value})
    messages.success(request, _("The assignment was saved."))
    return redirect("cases:detail", case.pk)


@case_route("POST")
def add_note(request: HttpRequest, case: Case) -> HttpResponse:
    note = request.POST.get("text", "")
    try:
        actions.add_note(request.user, case.pk, note)
    except PermissionError as exc:
        raise PermissionDenied from exc
    except actions.CaseError as exc:
        return _detail(request, case, status=400, error=str(exc), form={"text": note})
    messages.success(request, _("The note was added."))
    return redirect("cases:detail", case.pk)


def _open_invoice(case: Case) -> Payment | None:
    if not case.submission.fee_amount:
        return None
    return Payment.objects.filter(draft_key=case.submission.draft_key,
                                  authority_id=case.authority_id,
                                  state=Payment.State.INVOICE_OPEN).first()


@case_route("POST")
def invoice_paid(request: HttpRequest, case: Case, payment_id: UUID) -> HttpResponse:
    """Sachbearbeitung or Leitung records that the transfer for an invoice arrived."""
    from amtsweg.payments import actions as payments

    payment = Payment.objects.filter(pk=payment_id, draft_key=case.submission.draft_key,
                                     authority_id=case.authority_id).first()
    if payment is None:
        raise Http404
    if not actions.roles_at(request.user, case.authority_id) & set(WORKING_ROLES):
        raise PermissionDenied
    if payment.state == Payment.State.INVOICE_PAID:
        messages.info(request, _("This invoice is already marked as paid."))
        return redirect("cases:detail", case.pk)
    try:
        payments.mark_invoice_paid(request.user, payment)
    except payments.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The invoice is marked as paid."))
    return redirect("cases:detail", case.pk)


@case_route("GET", "HEAD")
def attachment(request: HttpRequest, case: Case, upload_id: UUID) -> HttpResponse:
    upload = Upload.objects.filter(pk=upload_id, submission_id=case.submission_id).first()
    if upload is None:
        raise Http404
    return core_files.download(submission_actions.read_upload(upload), upload.name,
                          upload.content_type)


def _disposition(name: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, name or "attachment")


@case_route("GET", "HEAD")
def notice_preview(request: HttpRequest, case: Case) -> HttpResponse:
    """The Bescheid as it would be issued now with the chosen outcome (default: the case's,
    else the first of the workflow) and the reasons typed so far (not stored)."""
    from . import notices

    if not actions.roles_at(request.user, case.authority_id) & set(WORKING_ROLES):
        raise PermissionDenied
    outcomes = workflow.of(case.version).get("outcomes", {})
    outcome = request.GET.get("outcome", "")
    if outcome not in outcomes:
        outcome = case.outcome or next(iter(outcomes), "")
    pdf = notices.render(case, request.GET.get("note", "")[:5000], outcome=outcome)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="Bescheid-Vorschau.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@case_route("GET", "HEAD")
def notice_file(request: HttpRequest, case: Case, notice_id: int) -> HttpResponse:
    from . import notices
    from .models import Notice

    notice = Notice.objects.filter(pk=notice_id, case=case).first()
    if notice is None:
        raise Http404
    response = HttpResponse(notices.read(notice), content_type="application/pdf")
    response["Content-Disposition"] = _disposition(f"Bescheid-{notice.number}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response

