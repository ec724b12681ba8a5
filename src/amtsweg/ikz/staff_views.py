"""Staff pages of the cooperations (`/verwaltung/ikz/`): the list, create, and a
cooperation's page with its data, members, shared staff (changed by the lead Kommune's
admins and the Landesadmin) and the adoption of its services in one step (admins of any
member Kommune). A cooperation a person has no part in answers 404."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from amtsweg.services.views.common import staff_view

from . import access, actions
from .forms import AdoptForm, CooperationForm, MemberForm, SharedStaffForm, kommune_label
from .models import Cooperation, Member, SharedStaff
from .views import offers_by_service, page_number

PAGE_SIZE = 50


def ikz_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff (login and two factors) with an admin role at some Behörde, or the Landesadmin."""

    @staff_view
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_superuser or access.admin_area_ids(request.user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _cooperation(request: HttpRequest, pk: int) -> Cooperation:
    cooperation = get_object_or_404(Cooperation.objects.select_related("lead"), pk=pk)
    if not access.visible_to_staff(request.user).filter(pk=pk).exists():
        raise Http404
    return cooperation


def cooperation_route(*methods: str, manage: bool = False):
    """A page of one cooperation: it is looked up first (404 when the person has no part in
    it, or may not change it when `manage`), whatever the method; then the method is
    checked. The view gets the cooperation."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @ikz_view
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int, **kwargs) -> HttpResponse:
            cooperation = _cooperation(request, pk)
            if manage and not access.can_manage(request.user, cooperation):
                raise Http404
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, cooperation, **kwargs)

        return wrapper

    return decorate


@ikz_view
@require_GET
def cooperation_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    qs = access.visible_to_staff(request.user).select_related("lead")
    if q:
        qs = qs.filter(name__icontains=q)
    page = Paginator(qs.order_by("name", "pk"), PAGE_SIZE).get_page(page_number(request))
    return render(request, "ikz/staff_list.html", {
        "section": "ikz", "page": page, "q": q, "query": urlencode({"q": q}) if q else "",
        "can_create": access.can_create(request.user)})


@ikz_view
@require_http_methods(["GET", "POST"])
def cooperation_create(request: HttpRequest) -> HttpResponse:
    leads = access.lead_choices(request.user)
    if not leads.exists():
        raise PermissionDenied
    form = CooperationForm(request.POST or None, leads=leads)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            cooperation = actions.create_cooperation(
                request.user, name=d["name"], task_area=d["task_area"], lead=d["lead"],
                starts_on=d["starts_on"], ends_on=d["ends_on"], description=d["description"])
        except actions.CooperationError as exc:
            form.add_error(None, str(exc))
        except PermissionError as exc:
            form.add_error("lead", str(exc))
        else:
            messages.success(request, _("The cooperation %(name)s was created.")
                             % {"name": cooperation.name})
            return redirect("ikz_staff:detail", pk=cooperation.pk)
    return render(request, "ikz/staff_create.html", {"section": "ikz", "form": form},
                  status=400 if request.method == "POST" else 200)


def _forms(request: HttpRequest, cooperation: Cooperation, bound: dict) -> dict:
    members = Member.objects.current().filter(cooperation=cooperation)
    employers = access.kommunen().filter(pk__in=members.values("area_id")).order_by("name")
    owned = actions.published_services(cooperation)
    return {
        "edit": bound.get("edit") or CooperationForm(
            instance=cooperation, leads=access.kommunen().filter(
                pk__in=members.values("area_id")), prefix="edit"),
        "member": bound.get("member") or MemberForm(prefix="member"),
        "staff": bound.get("staff") or SharedStaffForm(
            prefix="staff", accounts=actions.staff_accounts(cooperation, request.user),
            employers=employers),
        "adopt": bound.get("adopt") or AdoptForm(
            prefix="adopt", services=[s for s, _v in owned],
            areas=access.member_areas_of(request.user, cooperation)),
    }


def _detail(request: HttpRequest, cooperation: Cooperation, status: int = 200,
            **bound) -> HttpResponse:
    user = request.user
    members = list(cooperation.members.select_related("area").order_by("area__name"))
    current = [m for m in members if m.is_current]
    owned = actions.published_services(cooperation)
    offers = offers_by_service(current, [s.pk for s, _v in owned])
    mine = access.member_areas_of(user, cooperation)
    rows = []
    for service, version in owned:
        by_area = {}
        for adoption in offers.get(service.pk, []):
            by_area.setdefault(adoption.authority.area_id, []).append(adoption)
        rows.append({"service": service, "version": version,
                     "areas": [(area, by_area.get(area.pk, [])) for area in mine]})
    return render(request, "ikz/staff_detail.html", {
        "section": "ikz", "cooperation": cooperation, "members": current,
        "former": [m for m in members if not m.is_current],
        "staff": cooperation.shared_staff.select_related("employer", "user"),
        "manage": access.can_manage(user, cooperation), "mine": mine, "services": rows,
        "forms": _forms(request, cooperation, bound),
        "kommunen": [kommune_label(a) for a in access.kommunen().order_by("name")],
    }, status=status)


@cooperation_route("GET", "HEAD")
def cooperation_detail(request: HttpRequest, cooperation: Cooperation) -> HttpResponse:
    return _detail(request, cooperation)


@cooperation_route("POST", manage=True)
def cooperation_edit(request: HttpRequest, cooperation: Cooperation) -> HttpResponse:
    pk = cooperation.pk
    members = Member.objects.current().filter(cooperation=cooperation).values("area_id")
    form = CooperationForm(request.POST, instance=Cooperation.objects.get(pk=pk),
                           leads=access.kommunen().filter(pk__in=members), prefix="edit")
    if form.is_valid():
        try:
            actions.update_cooperation(request.user, cooperation, form.changes())
        except actions.CooperationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("ikz_staff:detail", pk=pk)
    return _detail(request, cooperation, status=400, edit=form)


@cooperation_route("POST", manage=True)
def member_add(request: HttpRequest, cooperation: Cooperation) -> HttpResponse:
    pk = cooperation.pk
    form = MemberForm(request.POST, prefix="member")
    if form.is_valid():
        area = form.cleaned_data["kommune"]
        try:
            actions.add_member(request.user, cooperation, area, form.cleaned_data["joined_on"])
        except actions.CooperationError as exc:
            form.add_error("kommune", str(exc))
        else:
            messages.success(request, _("%(area)s is a member now.")
                             % {"area": area.display_name})
            return redirect("ikz_staff:detail", pk=pk)
    return _detail(request, cooperation, status=400, member=form)


@cooperation_route("POST", manage=True)
def member_remove(request: HttpRequest, cooperation: Cooperation, member: int) -> HttpResponse:
    pk = cooperation.pk
    row = get_object_or_404(Member.objects.select_related("area"), pk=member,
                            cooperation=cooperation)
    try:
        actions.remove_member(request.user, cooperation, row)
    except actions.CooperationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(area)s has left the cooperation.")
                         % {"area": row.area.display_name})
    return redirect("ikz_staff:detail", pk=pk)


@cooperation_route("POST", manage=True)
def staff_add(request: HttpRequest, cooperation: Cooperation) -> HttpResponse:
    pk = cooperation.pk
    members = Member.objects.current().filter(cooperation=cooperation).values("area_id")
    form = SharedStaffForm(request.POST, prefix="staff",
                           accounts=actions.staff_accounts(cooperation, request.user),
                           employers=access.kommunen().filter(pk__in=members))
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.add_shared_staff(
                request.user, cooperation, role=d["role"], name=d["name"],
                account=d["account"], employer=d["employer"],
                hours_per_week=d["hours_per_week"], name_public=d["name_public"])
        except actions.CooperationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(role)s was added.") % {"role": d["role"]})
            return redirect("ikz_staff:detail", pk=pk)
    return _detail(request, cooperation, status=400, staff=form)


@cooperation_route("POST", manage=True)
def staff_remove(request: HttpRequest, cooperation: Cooperation, staff: int) -> HttpResponse:
    pk = cooperation.pk
    row = get_object_or_404(SharedStaff, pk=staff, cooperation=cooperation)
    actions.remove_shared_staff(request.user, cooperation, row)
    messages.success(request, _("%(role)s was removed.") % {"role": row.role})
    return redirect("ikz_staff:detail", pk=pk)


SKIP_TEXT = {
    actions.ALREADY: gettext_lazy("%(authority)s already offers %(service)s."),
    actions.OTHER_LEVEL: gettext_lazy(
        "%(service)s in %(area)s: %(authority)s is responsible for the Leistung there, not a "
        "Behörde of %(area)s."),
    actions.NO_AUTHORITY: gettext_lazy(
        "%(service)s in %(area)s: no Behörde of %(area)s is responsible for the Leistung."),
    actions.NOT_ADMIN: gettext_lazy(
        "%(service)s in %(area)s: you are not an administrator of %(authority)s."),
    actions.REFUSED: gettext_lazy("%(service)s at %(authority)s was refused: %(detail)s"),
}


def skip_sentence(outcome: actions.Outcome) -> str:
    return str(SKIP_TEXT[outcome.result]) % {
        "service": outcome.service.title_text, "area": outcome.area.display_name,
        "authority": outcome.authority.name if outcome.authority else "",
        "detail": outcome.detail}


@cooperation_route("POST")
def adopt(request: HttpRequest, cooperation: Cooperation) -> HttpResponse:
    pk = cooperation.pk
    mine = access.member_areas_of(request.user, cooperation)
    if not mine:
        raise Http404
    owned = actions.published_services(cooperation)
    form = AdoptForm(request.POST, prefix="adopt", services=[s for s, _v in owned],
                     areas=mine)
    if not form.is_valid():
        return _detail(request, cooperation, status=400, adopt=form)
    report = actions.adopt_for_members(request.user, cooperation,
                                       service=form.cleaned_data["service"],
                                       areas=form.cleaned_data["kommune"])
    adopted, skipped = len(report.adopted), len(report.skipped)
    messages.success(request, ngettext("%(n)d adoption made", "%(n)d adoptions made", adopted)
                     % {"n": adopted} + "; " + ngettext("%(n)d skipped.", "%(n)d skipped.",
                                                        skipped) % {"n": skipped})
    if adopted:
        messages.info(request, _("The local parameters were taken from the lead Kommune's "
                                 "adoption; check them (fee, contact, bank account) on the "
                                 "adoption pages."))
    for outcome in report.skipped:
        messages.info(request, skip_sentence(outcome))
    return redirect("ikz_staff:detail", pk=pk)
