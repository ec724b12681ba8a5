"""The audit log for administrators: superusers see every tenant, Kommunal-Admins the
tenants of their Behörden. Entries of other tenants are not listed and answer 404."""

import datetime
import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from amtsweg.accounts.models import StaffRole
from amtsweg.core.tenantcrypto import tenant_of_authority
from amtsweg.territory.models import Authority

from . import actions, heads
from .models import AuditEntry

PAGE_SIZE = 50
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
AUTHORITY_PREFIX = tenant_of_authority(0).removesuffix("0")


def visible_tenants(user) -> list[str] | None:
    """The tenants whose audit log this person may read; None means all (superuser)."""
    if user.is_superuser:
        return None
    ids = (StaffRole.objects.filter(user=user, role=StaffRole.Role.ADMIN)
           .values_list("authority_id", flat=True).order_by("authority_id"))
    return [tenant_of_authority(pk) for pk in ids]


def audit_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in staff (two factors enforced by the accounts middleware) who administer at
    least one Behörde, or superusers."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        tenants = visible_tenants(request.user)
        if tenants == []:
            raise PermissionDenied
        return view(request, tenants, *args, **kwargs)

    return wrapper


def _scoped(tenants: list[str] | None) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    return qs if tenants is None else qs.filter(tenant__in=tenants)


def _cursor(entry: AuditEntry) -> str:
    return f"{(entry.at - EPOCH) // datetime.timedelta(microseconds=1)}.{entry.pk}"


def _parse_cursor(value: str) -> tuple[datetime.datetime, int] | None:
    micros, _, pk = value.partition(".")
    try:
        return EPOCH + datetime.timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def _tenant_names(tenants) -> dict[str, str]:
    ids = {t.removeprefix(AUTHORITY_PREFIX) for t in tenants if t.startswith(AUTHORITY_PREFIX)}
    ids = [int(i) for i in ids if i.isdecimal()]
    return {tenant_of_authority(pk): name for pk, name in
            Authority.objects.filter(pk__in=ids).values_list("pk", "name")}


@audit_view
@require_GET
def entry_list(request: HttpRequest, tenants: list[str] | None) -> HttpResponse:
    """Newest first, paged by (at, id) so that deep pages cost as little as the first."""
    qs = _scoped(tenants)
    action = request.GET.get("action", "").strip()
    object_id = request.GET.get("object_id", "").strip()
    tenant = request.GET.get("tenant", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if tenant:
        qs = qs.filter(tenant=tenant)
    before = _parse_cursor(request.GET.get("before", ""))
    if before:
        at, pk = before
        qs = qs.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    entries = list(qs.order_by("-at", "-pk")[:PAGE_SIZE + 1])
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    names = _tenant_names({e.tenant for e in entries} | set(tenants or ()))
    for entry in entries:
        entry.tenant_name = names.get(entry.tenant, "")
    return render(request, "audit/list.html", {
        "section": "audit", "entries": entries, "action": action, "object_id": object_id,
        "tenant": tenant, "paged": bool(before),
        "next_cursor": _cursor(entries[-1]) if more else "",
        "tenant_choices": None if tenants is None else
        [(t, names.get(t, t)) for t in tenants],
    })


@audit_view
@require_GET
def entry_detail(request: HttpRequest, tenants: list[str] | None, pk: int) -> HttpResponse:
    entry = get_object_or_404(AuditEntry, pk=pk)
    if tenants is not None and entry.tenant not in tenants:
        raise Http404
    return render(request, "audit/detail.html", {
        "section": "audit", "entry": entry,
        "tenant_name": _tenant_names([entry.tenant]).get(entry.tenant, ""),
        "data_json": json.dumps(entry.data, indent=2, sort_keys=True, ensure_ascii=False),
        "hash_ok": actions.hash_ok(entry),
    })


@audit_view
@require_POST
def verify(request: HttpRequest, tenants: list[str] | None) -> HttpResponse:
    """Recompute the chains this person may see (all of them for a superuser), against the
    heads exported last (AUDIT_HEADS_FILE) when there are any."""
    path = heads.default_path()
    try:
        exported = heads.load(path) if path.exists() else None
    except heads.HeadsFileError as exc:
        exported = None
        problem = actions.Problem("-", 0, "exported", str(exc))
    else:
        problem = None
    report = actions.check(tenants, exported=exported)
    if problem is not None and tenants is None:
        report.problems.append(problem)
    return render(request, "audit/verify.html", {"section": "audit", "report": report})
