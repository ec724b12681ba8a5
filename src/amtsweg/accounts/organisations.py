"""Organisationskonten: members with roles, invitations, acting on behalf of an organisation."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amtsweg.core.mail import send_after_commit

from .dataprotection import account_deleting
from .models import Invitation, Membership, Organisation, User

INVITATION_DAYS = 14
ACTING_KEY = "acting_as"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def membership(user: User, organisation_id: int) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (Membership.objects.select_related("organisation")
            .filter(user=user, organisation_id=organisation_id).first())


def require_admin(user: User, organisation: Organisation) -> None:
    m = membership(user, organisation.pk)
    if m is None or m.role != Membership.Role.ADMIN:
        raise PermissionDenied(_("Only administrators of the organisation may do this."))


@transaction.atomic
def create(user: User, *, name: str, kind: str) -> Organisation:
    name = " ".join(name.split())[:200]
    if not name or kind not in Organisation.Kind.values:
        raise ValidationError(_("Please give the organisation's name and kind."))
    org = Organisation.objects.create(name=name, kind=kind)
    Membership.objects.create(organisation=org, user=user, role=Membership.Role.ADMIN)
    return org


@transaction.atomic
def invite(request: HttpRequest | None, by: User, organisation: Organisation, *, email: str,
           role: str) -> Invitation:
    require_admin(by, organisation)
    email = User.objects.normalize_email(email).lower()
    if role not in Membership.Role.values:
        raise ValidationError(_("Unknown role."))
    if Membership.objects.filter(organisation=organisation, user__email=email).exists():
        raise ValidationError(_("%(email)s is already a member.") % {"email": email})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role, token_hash=_hash(token),
        invited_by=by, expires_at=timezone.now() + timedelta(days=INVITATION_DAYS))
    path = reverse("accounts:invitation", args=[token])
    url = request.build_absolute_uri(path) if request else path
    send_after_commit(email, _("Invitation to %(org)s") % {"org": organisation.name},
                      "accounts/mail/invitation.txt",
                      {"org": organisation.name, "by": by.get_full_name(), "url": url,
                       "days": INVITATION_DAYS})
    return invitation


def find_invitation(token: str) -> Invitation | None:
    return (Invitation.objects.select_related("organisation")
            .filter(token_hash=_hash(token), accepted_at__isnull=True,
                    expires_at__gt=timezone.now()).first())


@transaction.atomic
def accept(user: User, token: str) -> Organisation:
    invitation = find_invitation(token)
    if invitation is None:
        raise ValidationError(_("This invitation is no longer valid. Ask for a new one."))
    if invitation.email != user.email:
        raise ValidationError(_("This invitation is for %(email)s. Log in with that address.")
                              % {"email": invitation.email})
    Membership.objects.get_or_create(organisation=invitation.organisation, user=user,
                                     defaults={"role": invitation.role})
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return invitation.organisation


def _admins(organisation: Organisation) -> int:
    return Membership.objects.filter(organisation=organisation,
                                     role=Membership.Role.ADMIN).count()


@transaction.atomic
def change_role(by: User, member: Membership, role: str) -> None:
    require_admin(by, member.organisation)
    if role not in Membership.Role.values:
        raise ValidationError(_("Unknown role."))
    if (member.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN
            and _admins(member.organisation) == 1):
        raise ValidationError(_("The organisation needs at least one administrator."))
    member.role = role
    member.save(update_fields=["role"])


@transaction.atomic
def remove(by: User, member: Membership) -> None:
    """An admin removes a member, or a member leaves; the last admin cannot go."""
    if by.pk != member.user_id:
        require_admin(by, member.organisation)
    if member.role == Membership.Role.ADMIN and _admins(member.organisation) == 1:
        raise ValidationError(_("The organisation needs at least one administrator. Make "
                                "someone else administrator first."))
    member.delete()


def act_for(request: HttpRequest, organisation_id: int | None) -> Organisation | None:
    """Act on behalf of an organisation (applications, Postfach) or, with None, as oneself."""
    if organisation_id is None:
        request.session.pop(ACTING_KEY, None)
        return None
    m = membership(request.user, organisation_id)
    if m is None:
        raise PermissionDenied(_("You are not a member of this organisation."))
    request.session[ACTING_KEY] = m.organisation_id
    return m.organisation


def acting_for(request: HttpRequest) -> Organisation | None:
    """The organisation the person acts for now; checked against the membership each time."""
    org_id = request.session.get(ACTING_KEY) if hasattr(request, "session") else None
    if org_id is None:
        return None
    m = membership(request.user, org_id)
    if m is None:
        request.session.pop(ACTING_KEY, None)
        return None
    return m.organisation


@receiver(account_deleting, dispatch_uid="organisations-hand-over")
def _hand_over(sender, user: User, **kwargs) -> None:
    """When the last administrator deletes the account, the longest member takes over; an
    organisation without other members goes with the account."""
    for m in Membership.objects.filter(user=user, role=Membership.Role.ADMIN):
        if _admins(m.organisation) > 1:
            continue
        successor = (Membership.objects.filter(organisation=m.organisation)
                     .exclude(user=user).order_by("joined_at").first())
        if successor is None:
            m.organisation.delete()
        else:
            successor.role = Membership.Role.ADMIN
            successor.save(update_fields=["role"])
