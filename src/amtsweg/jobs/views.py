"""Background jobs for superusers: counts, dead letters, failed and stuck tasks, retry."""

from collections.abc import Callable
from functools import wraps
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import engine


def superuser_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, staff and superuser (staff have two factors enforced by the middleware)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_staff and request.user.is_superuser):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@superuser_view
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/overview.html", {
        "counts": engine.counts(),
        "dead_letters": engine.dead_letters(),
        "failed": engine.failed_tasks(),
        "stuck": engine.stuck_tasks(),
    })


@require_POST
@superuser_view
def retry(request: HttpRequest, task_id: UUID) -> HttpResponse:
    if engine.retry(task_id, request.user):
        messages.success(request, _("The task was queued again."))
    else:
        messages.info(request, _("The task is no longer failed or stuck; nothing was queued."))
    return redirect("jobs:overview")
