"""The staff start page: what this person may do, at which Behörde."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from amtsweg.accounts.models import StaffRole

from .common import staff_view


@staff_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    roles = (StaffRole.objects.filter(user=request.user).select_related("authority")
             .order_by("authority__name", "role"))
    kinds = {r.role for r in roles}
    return render(request, "services/home.html", {
        "roles": roles, "section": "home",
        "designer": request.user.is_superuser or StaffRole.Role.DESIGNER in kinds,
        "admin": request.user.is_superuser or StaffRole.Role.ADMIN in kinds,
    })
