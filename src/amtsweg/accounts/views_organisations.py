"""Organisation pages; every page checks the membership of the logged-in person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amtsweg.core import mail

from . import organisations
from .models import Membership, Organisation


def _own(request: HttpRequest, pk: int) -> Membership:
    m = organisations.membership(request.user, pk)
    if m is None:
        raise Http404
    return m


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            org = organisations.create(request.user, name=request.POST.get("name", ""),
                                       kind=request.POST.get("kind", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("The organisation is created; you are its "
                                        "administrator."))
            return redirect("accounts:organisation", pk=org.pk)
    return render(request, "accounts/organisations.html", {
        "memberships": Membership.objects.filter(user=request.user)
        .select_related("organisation"),
        "kinds": Organisation.Kind.choices, "error": error,
        "name": request.POST.get("name", ""),
    }, status=400 if error else 200)


def _count_invitation(request: HttpRequest, email: str) -> None:
    """Invitations go to typed addresses: counted like every such mail (core.mail)."""
    try:
        mail.count_typed_address(request, email)
    except mail.TooManyMails:
        raise ValidationError(str(mail.TOO_MANY_MAILS)) from None


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    mine = _own(request, pk)
    org = mine.organisation
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invite":
                _count_invitation(request, request.POST.get("email", ""))
                organisations.invite(request, request.user, org,
                                     email=request.POST.get("email", ""),
                                     role=request.POST.get("role", "member"))
                messages.success(request, _("The invitation is sent."))
            elif action in {"role", "remove"}:
                member = get_object_or_404(Membership, pk=request.POST.get("member"),
                                           organisation=org)
                if action == "role":
                    organisations.change_role(request.user, member, request.POST.get("role"))
                else:
                    organisations.remove(request.user, member)
                    if member.user_id == request.user.pk:
                        return redirect("accounts:organisations")
            return redirect("accounts:organisation", pk=org.pk)
        except (ValidationError, PermissionDenied) as exc:
            error = " ".join(getattr(exc, "messages", [str(exc)]))
    return render(request, "accounts/organisation.html", {
        "org": org, "mine": mine, "is_admin": mine.role == Membership.Role.ADMIN,
        "members": org.memberships.select_related("user").order_by("user__email"),
        "invitations": org.invitations.filter(accepted_at__isnull=True),
        "roles": Membership.Role.choices, "error": error,
    }, status=400 if error else 200)


@login_required
@require_POST
def act(request: HttpRequest) -> HttpResponse:
    value = request.POST.get("organisation", "")
    if value:
        try:
            org = organisations.act_for(request, int(value))
        except (ValueError, PermissionDenied):
            raise Http404 from None
        messages.info(request, _("You now act for %(org)s.") % {"org": org.name})
    else:
        organisations.act_for(request, None)
        messages.info(request, _("You now act for yourself."))
    return redirect("accounts:home")


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = organisations.find_invitation(token)
    if found is None:
        return render(request, "accounts/message.html", {
            "heading": _("This invitation is no longer valid"),
            "text": _("Ask the organisation for a new invitation.")}, status=400)
    if not request.user.is_authenticated:
        query = urlencode({"next": request.path})
        return redirect(f"{reverse('accounts:login')}?{query}")
    error = ""
    if request.method == "POST":
        try:
            org = organisations.accept(request.user, token)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("You are now a member of %(org)s.") % {"org": org.name})
            return redirect("accounts:organisation", pk=org.pk)
    return render(request, "accounts/invitation.html", {"invitation": found, "error": error},
                  status=400 if error else 200)
