"""The dashboard for staff of a Behörde: the public figures of its area, plus its own online
services with their level, its open cases by service and by assignee, and its overdue cases
(counted live from the cases, not from the roll-up). Any staff role at the Behörde gives
access; another Behörde's dashboard is a 404."""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amtsweg.accounts.models import StaffRole, User
from amtsweg.cases import workflow
from amtsweg.cases.actions import CASE_ROLES, roles_at
from amtsweg.cases.models import Case
from amtsweg.services.models import Adoption, OnlineService
from amtsweg.territory.models import Area, Authority

from . import charts, exports, figures, maturity
from .figures import GEMEINDE, KREIS, LAND
from .views import page_context

OVERDUE_SHOWN = 50


def staff_authorities(user: User):
    """The Behörden whose dashboard `user` may see: every Behörde where the person has a
    staff role; all for the Landesadmin."""
    if user.is_superuser:
        return Authority.objects.all()
    return Authority.objects.filter(
        pk__in=StaffRole.objects.filter(user=user).values("authority_id"))


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        if "authority_id" in kwargs:
            authority = (staff_authorities(request.user).select_related("area")
                         .filter(pk=kwargs.pop("authority_id")).first())
            if authority is None:
                raise Http404
            kwargs["authority"] = authority
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@staff_view
def index(request: HttpRequest) -> HttpResponse:
    authorities = list(staff_authorities(request.user).select_related("area")
                       .order_by("name")[:200])
    return render(request, "dashboard/staff_index.html", {"authorities": authorities,
                                                          "section": "dashboard"})


def _scope(area: Area) -> str:
    if area.kind == Area.Kind.GEMEINDE and not area.gemeindefrei:
        return GEMEINDE
    return KREIS if area.kind == Area.Kind.KREIS else LAND


def _public_area(area: Area) -> Area:
    """The area whose public figures a Behörde's page shows: its own; for a gemeindefreies
    Gebiet its Kreis; for a Regierungsbezirk the Land (the public figures know no
    Regierungsbezirke)."""
    if area.kind == Area.Kind.GEMEINDE and area.gemeindefrei and area.parent_id:
        return area.parent
    if area.kind == Area.Kind.REGIERUNGSBEZIRK:
        return Area.objects.get(kind=Area.Kind.LAND)
    return area


def _case_details(user: User, authority: Authority) -> bool:
    return bool(roles_at(user, authority.pk) & set(CASE_ROLES))


def authority_figures(authority: Authority, *, case_details: bool = True) -> dict:
    """Live figures of one Behörde. Without `case_details` (a person without a case role
    there, e.g. a designer), no receipt numbers and no names of who works on the cases."""
    now = timezone.now()
    this_month, start, first = figures.window()
    open_cases = Case.objects.filter(authority=authority, outcome="", closed_at__isnull=True)
    counts = {"open": Count("id"), "overdue": Count("id", filter=Q(due_at__lt=now))}
    by_service = list(open_cases.values("version__service_id").annotate(**counts).order_by())
    titles = {pk: s.title_text for pk, s in OnlineService.objects.in_bulk(
        [row["version__service_id"] for row in by_service]).items()}
    by_assignee = list(open_cases.values("assignee_id").annotate(**counts).order_by())
    people = User.objects.in_bulk([row["assignee_id"] for row in by_assignee
                                   if row["assignee_id"]])
    overdue = list(open_cases.filter(due_at__lt=now).select_related("version__service")
                   .order_by("due_at", "id")[:OVERDUE_SHOWN])
    adoptions = (Adoption.objects.filter(authority=authority)
                 .select_related("service", "version").order_by("service__slug"))
    own = figures.grouped(None, Q(authority_id=authority.pk), start).get(None) \
        or dict(figures.EMPTY)
    return {
        "case_details": case_details,
        "authority": {"id": authority.pk, "name": authority.name,
                      "area": {"ags": authority.area.ags, "name": authority.area.display_name}},
        "as_of": now.isoformat(),
        "figures": {"submissions": own["submissions"], "decided": own["decided"],
                    "median_days": own["median_days"],
                    "open": sum(r["open"] for r in by_service),
                    "overdue": sum(r["overdue"] for r in by_service)},
        "services": sorted(({"service": titles.get(r["version__service_id"], ""),
                             "open": r["open"], "overdue": r["overdue"]} for r in by_service),
                           key=lambda r: (-r["open"], r["service"])),
        "assignees": sorted(({"assignee": _person(people.get(r["assignee_id"])),
                              "open": r["open"], "overdue": r["overdue"]}
                             for r in by_assignee), key=lambda r: (-r["open"], r["assignee"]))
        if case_details else [],
        "overdue_cases": [{"id": c.pk, "receipt_number": c.receipt_number,
                           "service": c.version.service.title_text,
                           "state": workflow.state_label(workflow.of(c.version), c.state,
                                                         (get_language() or "de")[:2]),
                           "received_at": c.received_at.isoformat(),
                           "due_at": c.due_at.isoformat() if c.due_at else None,
                           "assignee": _person(c.assignee) if c.assignee_id else ""}
                          for c in overdue] if case_details else [],
        "offers": [{"service": a.service.title_text, "slug": a.service.slug,
                    "version": a.version.number, "active": a.active,
                    "level": maturity.level(responsible=True, version=a.version, adoption=a)}
                   for a in adoptions],
        "months": figures.month_series(Q(authority_id=authority.pk), first, this_month),
    }


def _person(user: User | None) -> str:
    if user is None:
        return _("nobody")
    return user.get_full_name() or user.email


def _tables(data: dict) -> dict:
    return {
        "services": (["service", "open", "overdue"], data["services"]),
        "assignees": (["assignee", "open", "overdue"], data["assignees"]),
        "overdue": (["receipt_number", "service", "state", "received_at", "due_at",
                     "assignee"], data["overdue_cases"]),
        "offers": (["service", "slug", "version", "active", "level"], data["offers"]),
        "months": (["month", "submissions", "decided"], data["months"]),
    }


@require_GET
@staff_view
def authority(request: HttpRequest, authority: Authority) -> HttpResponse:
    may_open = _case_details(request.user, authority)
    data = authority_figures(authority, case_details=may_open)
    area = _public_area(authority.area)
    public = figures.get(_scope(area), area.pk)
    for case in data["overdue_cases"]:
        case["url"] = reverse("cases:detail", args=[case["id"]]) if may_open else ""
        case["due"] = datetime.fromisoformat(case["due_at"]) if case["due_at"] else None
    for offer in data["offers"]:
        offer["label"] = maturity.LABELS[offer["level"]] if offer["active"] else _("ended")
    context = {
        **page_context(public),
        "staff": data, "section": "dashboard",
        "public_url": reverse("dashboard:land") if _scope(area) == LAND
        else reverse(f"dashboard:{_scope(area)}", args=[area.ags]),
        "staff_months_chart": charts.columns(
            "staff-months", _("Applications per month at %(name)s") % {"name": authority.name},
            [(m["month"], m["submissions"]) for m in data["months"]]),
        "staff_json": reverse("dashboard_staff:export", args=[authority.pk, "json"]),
        "staff_csv": {t: reverse("dashboard_staff:export", args=[authority.pk, "csv"])
                      + f"?table={t}" for t in _tables(data)},
    }
    return render(request, "dashboard/staff_authority.html", context)


@require_GET
@staff_view
def export(request: HttpRequest, authority: Authority, fmt: str) -> HttpResponse:
    data = authority_figures(authority, case_details=_case_details(request.user, authority))
    name = f"dashboard-behoerde-{authority.pk}"
    if fmt == "json":
        return exports.json_response(data, f"{name}.json")
    if fmt != "csv":
        raise Http404
    table = request.GET.get("table") or "services"
    return exports.table_response(_tables(data), table, f"{name}-{table}.csv")
