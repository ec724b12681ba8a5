"""What all staff pages of the services app share: access checks and lookups that answer
404 for what a person may not see."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from .. import actions
from ..models import OnlineService, ServiceVersion


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, staff (two factors are enforced by the accounts middleware)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def designer_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @staff_view
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not actions.designable_authorities(request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @staff_view
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not actions.adopting_authorities(request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def designable_services(user) -> QuerySet[OnlineService]:
    qs = OnlineService.objects.select_related("leistung", "owner_authority", "owner_area",
                                              "owner_cooperation")
    if user.is_superuser:
        return qs
    authorities = actions.designable_authorities(user)
    return qs.filter(Q(owner_authority__in=authorities)
                     | Q(owner_area__in=authorities.values("area_id"))
                     | Q(owner_cooperation__in=actions.designable_cooperations(user)))


def visible_services(user) -> QuerySet[OnlineService]:
    """What a designer may copy: their own services and every published one."""
    published = ServiceVersion.objects.filter(state=ServiceVersion.State.PUBLISHED)
    return (designable_services(user)
            | OnlineService.objects.filter(pk__in=published.values("service_id"))).distinct()


def service_for_design(request: HttpRequest, slug: str) -> OnlineService:
    service = get_object_or_404(OnlineService.objects.select_related("leistung"), slug=slug)
    if not actions.can_design(request.user, service):
        raise Http404
    return service


def version_for_design(request: HttpRequest, slug: str, number: int) -> ServiceVersion:
    service = service_for_design(request, slug)
    return get_object_or_404(service.versions.select_related("service__leistung"),
                             number=number)


def problem_rows(problems) -> list[dict]:
    """Problems for the templates: path, message and the editor address they point at."""
    from ..editing import addr_str, split_path

    rows = []
    for p in problems:
        addr, _rest = split_path(p.path) if p.path.startswith("form") else ((), "")
        rows.append({"path": p.path, "message": p.message,
                     "addr": addr_str(addr) if addr else ""})
    return rows
