"""The Förderstelle's pages (/verwaltung/foerderung/): programmes with their budget, funding
applications with the rules' decision, grants with payout and proof of use.

Everything is looked up through actions.visible_*(user): another Förderstelle's application
or grant is a 404, whatever the route. Changes go through the actions (role, audit)."""

from collections.abc import Callable
from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amtsweg.cases.models import Case
from amtsweg.forms.types import parse_decimal

from . import actions
from .models import FundingApplication, Grant

MAX_ROWS = 200


def funding_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, staff (two factors are enforced by the accounts middleware) with a case
    role (Sachbearbeitung, Leitung, Admin) at some Behörde."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        allowed = actions.funding_authorities(request.user)
        if allowed is not None and not allowed:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _day(request: HttpRequest, name: str) -> date | None:
    value = request.POST.get(name, "").strip()
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def _case_of(application: FundingApplication | None) -> Case | None:
    if application is None or application.submission_id is None:
        return None
    return Case.objects.filter(submission_id=application.submission_id).first()


def _open_counts(user) -> dict[str, int]:
    """Grants waiting for their payout or proof of use (for the overview's headline)."""
    today = timezone.localdate()
    return actions.visible_grants(user).aggregate(
        payout=Count("id", filter=Q(payout=Grant.Payout.PENDING)),
        overdue=Count("id", filter=Q(proof=Grant.Proof.DUE, proof_due_on__lt=today)))


# --- overview -------------------------------------------------------------------------------

@require_GET
@funding_view
def index(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    programmes = list(actions.visible_programmes(request.user).select_related("authority"))
    rows = []
    for programme in programmes:
        budgeted = actions.budget_of(programme, today.year)
        rows.append({"programme": programme, "budget": budgeted.budget,
                     "granted": budgeted.granted,
                     "left": (budgeted.budget - budgeted.granted
                              if budgeted.budget is not None else None)})
    applications = list(actions.visible_applications(request.user)
                        .select_related("programme", "lead", "submission")
                        .annotate(members=Count("participants")).order_by("-applied_at")
                        [:MAX_ROWS])

    grants = actions.visible_grants(request.user).select_related("programme", "cooperation")
    get = request.GET
    filters = {"programme": _int(get.get("programme")), "year": _int(get.get("year")),
               "open": get.get("open", "")}
    if filters["programme"]:
        grants = grants.filter(programme_id=filters["programme"])
    if filters["year"]:
        grants = grants.filter(year=filters["year"])
    if filters["open"] == "payout":
        grants = grants.filter(payout=Grant.Payout.PENDING)
    elif filters["open"] == "proof":
        grants = grants.filter(proof__in=(Grant.Proof.DUE, Grant.Proof.RECEIVED))
    elif filters["open"] == "overdue":
        grants = grants.filter(proof=Grant.Proof.DUE, proof_due_on__lt=today)
    total = grants.aggregate(n=Count("id"), s=Sum("amount"))
    years = (actions.visible_grants(request.user).order_by("-year")
             .values_list("year", flat=True).distinct())
    return render(request, "funding/staff/index.html", {
        "section": "funding", "programmes": rows, "applications": applications,
        "grants": [{"grant": g, "overdue": bool(g.proof == Grant.Proof.DUE and g.proof_due_on
                                                and g.proof_due_on < today)}
                   for g in grants.order_by("-decided_on", "-id")[:MAX_ROWS]],
        "total": total, "more": (total["n"] or 0) > MAX_ROWS, "max_rows": MAX_ROWS,
        "filters": filters, "years": list(years), "year": today.year,
        "choices": [(p.pk, p.name) for p in programmes], "open": _open_counts(request.user),
    })


# --- an application -------------------------------------------------------------------------

def _route(lookup: Callable[[HttpRequest, int], object], *methods: str):
    """A page of one object: it is looked up first (404 when the person may not see it,
    whatever the method), then the method is checked; the view gets the object."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @funding_view
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
            found = lookup(request, pk)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, found)

        return wrapper

    return decorate


def _application(request: HttpRequest, pk: int) -> FundingApplication:
    return get_object_or_404(
        actions.visible_applications(request.user).select_related(
            "programme", "lead", "cooperation", "submission__organisation"), pk=pk)


def _grant(request: HttpRequest, pk: int) -> Grant:
    return get_object_or_404(
        actions.visible_grants(request.user).select_related(
            "programme", "cooperation", "application__lead", "notice"), pk=pk)


@_route(_application, "GET", "HEAD")
def application(request: HttpRequest, found: FundingApplication) -> HttpResponse:
    decision = actions.decide(found) if found.state == FundingApplication.State.SUBMITTED \
        else None
    counted = {k.ags for k in decision.members} if decision else set()
    participants = [{"participant": p, "counts": p.ags in counted}
                    for p in found.participants.select_related("area").order_by("ags")]
    return render(request, "funding/staff/application.html", {
        "section": "funding", "application": found, "decision": decision,
        "participants": participants, "case": _case_of(found),
        "grant": Grant.objects.filter(application=found).first(),
        "task_area": actions.task_area_label(found.task_area),
    })


# --- a grant: payout and proof of use -------------------------------------------------------

def _grant_page(request: HttpRequest, made: Grant, *, error: str = "", form: dict | None = None,
                status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    values = {"paid_out_on": today.isoformat(), "proof_received_on": today.isoformat(),
              "proof_checked_on": today.isoformat(), "refund_checked_on": today.isoformat(),
              "proof_due_on": made.proof_due_on.isoformat() if made.proof_due_on else "",
              "refund_amount": "", **{k: v for k, v in (form or {}).items()
                                      if k != "csrfmiddlewaretoken"}}
    return render(request, "funding/staff/grant.html", {
        "section": "funding", "grant": made, "case": _case_of(made.application),
        "areas": made.areas.order_by("name"),
        "task_area": actions.task_area_label(made.task_area),
        "overdue": bool(made.proof == Grant.Proof.DUE and made.proof_due_on
                        and made.proof_due_on < today),
        "works": actions.may_work(request.user, made.programme),
        "error": error, "values": values,
    }, status=status)


@_route(_grant, "GET", "HEAD")
def grant(request: HttpRequest, made: Grant) -> HttpResponse:
    return _grant_page(request, made)


def _change(request: HttpRequest, made: Grant, change: Callable[[], Grant],
            done: str) -> HttpResponse:
    try:
        change()
    except PermissionError as exc:
        raise PermissionDenied from exc
    except actions.FundingError as exc:
        return _grant_page(request, _grant(request, made.pk), error=str(exc),
                           form=request.POST.dict(), status=400)
    messages.success(request, done)
    return redirect("funding_staff:grant", made.pk)


@_route(_grant, "POST")
def payout(request: HttpRequest, made: Grant) -> HttpResponse:
    return _change(request, made, lambda: actions.mark_paid_out(
        request.user, made.pk, _day(request, "paid_out_on")), _("The payout was recorded."))


@_route(_grant, "POST")
def proof(request: HttpRequest, made: Grant) -> HttpResponse:
    step = request.POST.get("step", "")
    user = request.user
    if step == "due":
        return _change(request, made, lambda: actions.set_proof_due(
            user, made.pk, _day(request, "proof_due_on")), _("The due date was changed."))
    if step == "received":
        return _change(request, made, lambda: actions.record_proof(
            user, made.pk, _day(request, "proof_received_on")),
            _("The receipt of the proof of use was recorded."))
    if step == "accept":
        return _change(request, made, lambda: actions.accept_proof(
            user, made.pk, _day(request, "proof_checked_on")),
            _("The proof of use was accepted."))
    if step == "refund":
        amount = parse_decimal(request.POST.get("refund_amount", ""))
        return _change(request, made, lambda: actions.demand_refund(
            user, made.pk, amount, _day(request, "refund_checked_on")),
            _("The refund demand was recorded."))
    return _grant_page(request, made, error=_("Choose a step."), status=400)
