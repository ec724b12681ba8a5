"""Public pages of the cooperations: the list (filter by task area and Kreis) and a
cooperation's page with its members, shared staff and the services it owns."""

from collections import defaultdict

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from amtsweg.services import actions as services
from amtsweg.services.models import Adoption, ServiceVersion
from amtsweg.territory.models import Area

from . import access, actions
from .models import Cooperation, Member, TaskArea, current_q

PAGE_SIZE = 25


def page_number(request: HttpRequest) -> int:
    value = request.GET.get("seite", "1")
    return int(value) if value.isdecimal() and 0 < int(value) < 100000 else 1


@require_GET
def cooperation_list(request: HttpRequest) -> HttpResponse:
    task_area = request.GET.get("aufgabe", "")
    task_area = task_area if task_area in TaskArea.values else ""
    kreise = list(Area.objects.filter(kind=Area.Kind.KREIS).order_by("name"))
    kreis = next((k for k in kreise if k.ags == request.GET.get("kreis", "")), None)
    qs = (Cooperation.objects.select_related("lead")
          .annotate(member_count=Count("members", filter=current_q("members__"))))
    if task_area:
        qs = qs.filter(task_area=task_area)
    if kreis is not None:
        qs = qs.filter(pk__in=Member.objects.current()
                       .filter(Q(area=kreis) | Q(area__parent=kreis))
                       .values("cooperation_id"))
    page = Paginator(qs.order_by("name", "pk"), PAGE_SIZE).get_page(page_number(request))
    query = {k: v for k, v in (("aufgabe", task_area), ("kreis", kreis.ags if kreis else ""))
             if v}
    return render(request, "ikz/list.html", {
        "page": page, "task_areas": TaskArea.choices, "task_area": task_area,
        "kreise": kreise, "kreis": kreis, "query": urlencode(query),
        "filtered": bool(query)})


def offers_by_service(members: list[Member],
                      service_ids: list[int]) -> dict[int, list[Adoption]]:
    """service id → the active adoptions of it by Behörden of the member Kommunen."""
    found: dict[int, list[Adoption]] = defaultdict(list)
    adoptions = (Adoption.objects.filter(service_id__in=service_ids, active=True,
                                         version__state=ServiceVersion.State.PUBLISHED,
                                         authority__area__in=[m.area_id for m in members])
                 .select_related("authority__area").order_by("authority__area__name"))
    for adoption in adoptions:
        found[adoption.service_id].append(adoption)
    return found


@require_GET
def cooperation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    cooperation = get_object_or_404(Cooperation.objects.select_related("lead"), slug=slug)
    members = list(cooperation.members.select_related("area").order_by("area__name"))
    current = [m for m in members if m.is_current]
    owned = actions.published_services(cooperation)
    offers = offers_by_service(current, [s.pk for s, _v in owned])
    user = request.user
    return render(request, "ikz/detail.html", {
        "cooperation": cooperation, "members": current,
        "former": [m for m in members if not m.is_current],
        "staff": cooperation.shared_staff.select_related("employer", "user")
        .order_by("role", "pk"),
        "services": [{"service": s, "version": v, "offers": offers.get(s.pk, [])}
                     for s, v in owned],
        "staff_link": user.is_authenticated and user.is_staff and (
            access.can_manage(user, cooperation)
            or bool(access.member_areas_of(user, cooperation))),
        "designer_link": user.is_authenticated and user.is_staff
        and services.designable_cooperations(user).filter(pk=cooperation.pk).exists(),
    })
