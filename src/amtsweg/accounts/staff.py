"""Staff management in the browser: the administrators of a Behörde (role `admin`) and the
Landesadmin (superuser, every Behörde) grant and revoke staff roles.

Granting a role to an address without an account creates an account without a usable
password and sends an invitation with a link to set one (Django's password reset machinery
with its own salt and a longer validity). Every change is one transaction with its audit
entry (`accounts.actions.grant_staff_role` / `revoke_staff_role`); mails go after commit.
A Behörde always keeps one administrator, and nobody removes their own administrator role.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from amtsweg.audit import actions as audit
from amtsweg.core import tenantcrypto
from amtsweg.core.mail import send_after_commit
from amtsweg.territory.models import Authority

from .actions import grant_staff_role, revoke_staff_role
from .models import StaffRole, User

INVITATION_DAYS = 7


class StaffError(Exception):
    """A refused change, as a sentence for the administrator; nothing was changed."""


class InvitationTokens(PasswordResetTokenGenerator):
    """Links to set the first password: valid INVITATION_DAYS days and only until a password
    is set (the token covers the password hash, which a new invitation also renews)."""

    key_salt = "amtsweg.accounts.staff.InvitationTokens"

    def check_token(self, user, token) -> bool:
        if not (user and token) or user.has_usable_password():
            return False
        stamp, _sep, _rest = token.partition("-")
        try:
            ts = base36_to_int(stamp)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - ts > INVITATION_DAYS * 86400:
            return False
        return any(constant_time_compare(self._make_token_with_timestamp(user, ts, secret),
                                         token)
                   for secret in [self.secret, *self.secret_fallbacks])


invitation_tokens = InvitationTokens()


# --- who administers what ---------------------------------------------------------------------

def administered(user: User) -> QuerySet[Authority] | None:
    """The Behörden whose staff `user` manages; None: all (the Landesadmin)."""
    if user.is_superuser:
        return None
    return Authority.objects.filter(staff_roles__user=user,
                                    staff_roles__role=StaffRole.Role.ADMIN).distinct()


def may_manage_staff(user: User) -> bool:
    return user.is_authenticated and user.is_staff and (
        user.is_superuser
        or StaffRole.objects.filter(user=user, role=StaffRole.Role.ADMIN).exists())


def administers(user: User, authority_id: int) -> bool:
    return user.is_superuser or StaffRole.objects.filter(
        user=user, authority_id=authority_id, role=StaffRole.Role.ADMIN).exists()


def visible_roles(user: User) -> QuerySet[StaffRole]:
    """Staff roles at the Behörden `user` administers (another Behörde's role: not here)."""
    roles = StaffRole.objects.select_related("user", "authority")
    scope = administered(user)
    return roles if scope is None else roles.filter(authority__in=scope)


def visible_people(user: User) -> QuerySet[User]:
    """People with a role at a Behörde `user` administers."""
    return User.objects.filter(staff_roles__in=visible_roles(user)).distinct()


def pending(person: User) -> bool:
    """Invited, but no password set yet."""
    return not person.has_usable_password()


def role_label(role: str) -> str:
    return str(StaffRole.Role(role).label)


# --- changes ----------------------------------------------------------------------------------

def _absolute(request: HttpRequest | None, path: str) -> str:
    return request.build_absolute_uri(path) if request else settings.SITE_URL + path


def _by(actor: User | None) -> str:
    """Who grants, as the mail names them."""
    if actor is None:
        return _("The operator of the platform")
    return actor.get_full_name() or actor.email


def _send_invitation(request: HttpRequest | None, actor: User | None, person: User,
                     authority: Authority, role: str) -> None:
    """A new link to set the password; earlier links stop working (the unusable password
    they were made for is replaced)."""
    person.set_unusable_password()
    person.save(update_fields=["password"])
    path = reverse("accounts:staff_invitation", args=[
        urlsafe_base64_encode(force_bytes(person.pk)), invitation_tokens.make_token(person)])
    send_after_commit(
        person.email, _("Your access to Amtsweg for %(authority)s") % {
            "authority": authority.name},
        "accounts/mail/staff_invitation.txt",
        {"by": _by(actor), "role": role_label(role), "authority": authority.name,
         "url": _absolute(request, path), "days": INVITATION_DAYS})


def grant(request: HttpRequest | None, actor: User | None, authority: Authority, *,
          email: str, role: str, first_name: str = "",
          last_name: str = "") -> tuple[StaffRole, bool]:
    """Give the person with this address `role` at `authority`; returns the role and whether
    an invitation was sent (new account, or one whose password is not set yet). A person who
    has an account gets a short notice instead. `actor` None is the operator on the command
    line (`amtsweg staff grant`), who may grant at every Behörde."""
    if actor is not None and not administers(actor, authority.pk):
        raise PermissionError(_("Only administrators of this authority can manage its staff."))
    if role not in StaffRole.Role.values:
        raise StaffError(_("Choose one of the roles offered."))
    email = User.objects.normalize_email(email.strip()).lower()
    with transaction.atomic():
        person = User.objects.select_for_update().filter(email=email).first()
        if person is not None and not person.is_active:
            raise StaffError(_("The account of %(email)s is deactivated; it cannot get a "
                               "staff role.") % {"email": email})
        if person is not None and StaffRole.objects.filter(
                user=person, authority=authority, role=role).exists():
            raise StaffError(_("%(email)s already has the role “%(role)s” at %(authority)s.")
                             % {"email": email, "role": role_label(role),
                                "authority": authority.name})
        created = person is None
        if created:
            try:
                with transaction.atomic():  # a savepoint: a twin request may create it first
                    person = User.objects.create_user(
                        email, None, first_name=first_name.strip()[:150],
                        last_name=last_name.strip()[:150])
            except IntegrityError:
                raise StaffError(_("%(email)s was just added by another request; reload the "
                                   "page to see the role.") % {"email": email}) from None
        invite = pending(person)
        granted = grant_staff_role(person, authority, role, actor=actor, invited=invite)
        if invite:
            _send_invitation(request, actor, person, authority, role)
        else:
            send_after_commit(
                person.email, _("Your access to Amtsweg for %(authority)s") % {
                    "authority": authority.name},
                "accounts/mail/staff_role.txt",
                {"by": _by(actor), "role": role_label(role),
                 "authority": authority.name,
                 "url": _absolute(request, reverse("accounts:login"))})
    return granted, invite


def revoke(actor: User, role_id: int) -> StaffRole:
    """Take a role away. Refused for the last administrator of a Behörde and for one's own
    administrator role (another administrator does that)."""
    with transaction.atomic():
        role = visible_roles(actor).filter(pk=role_id).first()
        if role is None:
            raise StaffRole.DoesNotExist
        if role.role == StaffRole.Role.ADMIN:
            if role.user_id == actor.pk:
                raise StaffError(_("You cannot remove your own administrator role; another "
                                   "administrator of %(authority)s can.") % {
                                       "authority": role.authority.name})
            # lock the Behörde's administrator roles: two administrators removing each other
            # at the same moment must not leave it without one
            admins = list(StaffRole.objects.select_for_update().filter(
                authority_id=role.authority_id, role=StaffRole.Role.ADMIN)
                .values_list("pk", flat=True))
            if admins == [role.pk]:
                raise StaffError(_("%(authority)s must keep at least one administrator: give "
                                   "the role to someone else first.") % {
                                       "authority": role.authority.name})
        revoke_staff_role(role.user, role.authority, role.role, actor=actor)
    return role


def resend_invitation(request: HttpRequest | None, actor: User, person: User) -> None:
    """A new invitation link for a person who has not set a password yet."""
    roles = list(visible_roles(actor).filter(user=person).order_by("authority_id", "role"))
    if not roles:
        raise StaffRole.DoesNotExist
    if not pending(person):
        raise StaffError(_("%(email)s has already set a password; they can use “Forgot your "
                           "password?” on the login page.") % {"email": person.email})
    first = roles[0]
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=person.pk)
        _send_invitation(request, actor, locked, first.authority, first.role)
        audit.record(tenant=tenantcrypto.tenant_of_authority(first.authority_id),
                     actor=audit.actor_of(actor), action="staff.invitation_sent",
                     obj=locked, data={"authority": first.authority_id})


def accept_invitation(person: User) -> None:
    """The password is set through the invitation link: the address is confirmed too."""
    User.objects.filter(pk=person.pk, email_verified_at__isnull=True).update(
        email_verified_at=timezone.now())
