"""Staff management pages under /verwaltung/personal/ for the administrators of a Behörde and
the Landesadmin. A role or person outside the Behörden one administers answers 404."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amtsweg.territory.models import Authority

from . import staff
from .forms import StaffGrantForm
from .models import StaffRole, User

SEARCH_LIMIT = 50


def staff_admin_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, staff (two factors are enforced by the middleware), and administrator of
    some Behörde (or the Landesadmin)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not staff.may_manage_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _shown(request: HttpRequest, chosen: int | None) -> list[Authority]:
    """The Behörden on the page: the chosen one (if administered), else all administered;
    the Landesadmin sees one Behörde at a time (chosen by search)."""
    scope = staff.administered(request.user)
    if scope is None:
        return list(Authority.objects.filter(pk=chosen)) if chosen else []
    authorities = list(scope.order_by("name"))
    picked = [a for a in authorities if a.pk == chosen]
    return picked or authorities


def _people(authority: Authority, viewer: User) -> list[dict]:
    """The staff of a Behörde, one row per person with their roles there."""
    rows: dict[int, dict] = {}
    for role in (StaffRole.objects.filter(authority=authority)
                 .select_related("user", "user__totp")
                 .order_by("user__last_name", "user__first_name", "user__email", "role")):
        person = role.user
        row = rows.setdefault(person.pk, {
            "person": person, "roles": [], "pending": staff.pending(person),
            "two_factor": bool(getattr(person, "totp", None) and person.totp.confirmed_at)})
        row["roles"].append({"role": role, "label": role.get_role_display(),
                             "own_admin": role.role == StaffRole.Role.ADMIN
                             and person.pk == viewer.pk})
    return list(rows.values())


def _list_page(request: HttpRequest, *, chosen: int | None, form: StaffGrantForm | None = None,
               error: str = "", status: int = 200) -> HttpResponse:
    authorities = _shown(request, chosen)
    superuser = staff.administered(request.user) is None
    q = request.GET.get("q", "").strip()[:100]
    found = []
    if superuser and q:
        found = list(Authority.objects.filter(name__icontains=q).order_by("name")
                     [:SEARCH_LIMIT])
        if q.isdecimal():
            found = list(Authority.objects.filter(pk=int(q))) + found
    if form is None:
        form = StaffGrantForm(authorities=[(a.pk, a.name) for a in authorities],
                              initial={"authority": chosen or (authorities[0].pk
                                                               if authorities else None),
                                       "role": StaffRole.Role.CLERK})
    return render(request, "accounts/staff_list.html", {
        "section": "staff", "superuser": superuser, "q": q, "found": found,
        "groups": [{"authority": a, "people": _people(a, request.user)} for a in authorities],
        "form": form, "error": error, "chosen": chosen,
    }, status=status)


def _back(authority_id: int) -> str:
    return f"{reverse('staff:list')}?{urlencode({'authority': authority_id})}"


@staff_admin_view
@require_http_methods(["GET", "HEAD", "POST"])
def staff_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _list_page(request, chosen=_int(request.GET.get("authority")))
    chosen = _int(request.POST.get("authority"))
    authorities = _shown(request, chosen)
    if not authorities:  # the Landesadmin without a valid Behörde
        return _list_page(request, chosen=None, status=400, error=_(
            "Choose one of the authorities you administer."))
    form = StaffGrantForm(request.POST, authorities=[(a.pk, a.name) for a in authorities])
    if not form.is_valid():
        return _list_page(request, chosen=chosen, form=form, status=400)
    data = form.cleaned_data
    authority = next(a for a in authorities if a.pk == data["authority"])
    try:
        role, invited = staff.grant(request, request.user, authority, email=data["email"],
                                    role=data["role"], first_name=data["first_name"],
                                    last_name=data["last_name"])
    except PermissionError as exc:
        raise PermissionDenied from exc
    except staff.StaffError as exc:
        return _list_page(request, chosen=authority.pk, form=form, error=str(exc), status=400)
    if invited:
        text = _("%(email)s now has the role “%(role)s” at %(authority)s. We sent an "
                 "invitation to set a password (valid for %(days)s days).")
    else:
        text = _("%(email)s now has the role “%(role)s” at %(authority)s. We told them by "
                 "e-mail.")
    messages.success(request, text % {"email": role.user.email,
                                      "role": role.get_role_display(),
                                      "authority": authority.name,
                                      "days": staff.INVITATION_DAYS})
    return redirect(_back(authority.pk))


@staff_admin_view
@require_POST
def revoke(request: HttpRequest, role_id: int) -> HttpResponse:
    role = staff.visible_roles(request.user).filter(pk=role_id).first()
    if role is None:
        raise Http404
    try:
        staff.revoke(request.user, role.pk)
    except StaffRole.DoesNotExist as exc:  # gone meanwhile
        raise Http404 from exc
    except staff.StaffError as exc:
        return _list_page(request, chosen=role.authority_id, error=str(exc), status=400)
    messages.success(request, _("%(email)s no longer has the role “%(role)s” at "
                                "%(authority)s.") % {
        "email": role.user.email, "role": role.get_role_display(),
        "authority": role.authority.name})
    if request.POST.get("back") == "person" and staff.visible_people(request.user).filter(
            pk=role.user_id).exists():
        return redirect("staff:person", role.user_id)
    return redirect(_back(role.authority_id))


def _person(request: HttpRequest, user_id: int) -> User:
    person = staff.visible_people(request.user).filter(pk=user_id).first()
    if person is None:
        raise Http404
    return person


def _person_page(request: HttpRequest, who: User, *, error: str = "",
                 status: int = 200) -> HttpResponse:
    roles = (staff.visible_roles(request.user).filter(user=who)
             .order_by("authority__name", "role"))
    return render(request, "accounts/staff_person.html", {
        "section": "staff", "person": who, "pending": staff.pending(who),
        "two_factor": bool(getattr(who, "totp", None) and who.totp.confirmed_at),
        "roles": [{"role": r, "own_admin": r.role == StaffRole.Role.ADMIN
                   and who.pk == request.user.pk} for r in roles],
        "error": error, "days": staff.INVITATION_DAYS,
    }, status=status)


@staff_admin_view
@require_http_methods(["GET", "HEAD"])
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    return _person_page(request, _person(request, user_id))


@staff_admin_view
@require_POST
def resend_invitation(request: HttpRequest, user_id: int) -> HttpResponse:
    who = _person(request, user_id)
    try:
        staff.resend_invitation(request, request.user, who)
    except staff.StaffError as exc:
        return _person_page(request, who, error=str(exc), status=400)
    messages.success(request, _("We sent %(email)s a new invitation; earlier links no longer "
                                "work.") % {"email": who.email})
    return redirect("staff:person", who.pk)


class InvitationView(auth_views.PasswordResetConfirmView):
    """The invited person sets their first password (the address is confirmed with it)."""

    template_name = "accounts/staff_invitation.html"
    token_generator = staff.invitation_tokens
    reset_url_token = "passwort-setzen"  # noqa: S105 - a path segment, not a secret
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    @transaction.atomic
    def form_valid(self, form):
        response = super().form_valid(form)
        staff.accept_invitation(self.user)
        messages.success(self.request, _("Your password is set. Log in now; you will then set "
                                         "up two-factor login with an authenticator app."))
        return response
