"""Staff roles from the command line: who works for which Behörde in which role."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from amtsweg.accounts import staff
from amtsweg.accounts.actions import grant_staff_role, revoke_staff_role
from amtsweg.accounts.models import StaffRole, User
from amtsweg.territory.models import Authority


class Command(BaseCommand):
    help = "Grant, revoke or list staff roles (designer, admin, clerk, lead) at a Behörde."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("grant", "revoke"):
            p = sub.add_parser(name)
            p.add_argument("email")
            p.add_argument("--authority", type=int, required=True, help="Behörde id")
            p.add_argument("--role", required=True, choices=StaffRole.Role.values)
            if name == "grant":
                p.add_argument("--first-name", help="for a person without an account yet")
                p.add_argument("--last-name", help="for a person without an account yet")
        sub.add_parser("list").add_argument("--authority", type=int)

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            roles = StaffRole.objects.select_related("user", "authority").order_by(
                "authority__name", "user__email")
            if options.get("authority"):
                roles = roles.filter(authority_id=options["authority"])
            for r in roles:
                self.stdout.write(f"{r.authority_id}\t{r.authority.name}\t{r.user.email}\t"
                                  f"{r.role}")
            return
        authority = Authority.objects.filter(pk=options["authority"]).first()
        if authority is None:
            raise CommandError(f"No Behörde with the id {options['authority']}; "
                               "`amtsweg authorities search NAME` finds it.")
        user = User.objects.filter(email=options["email"].lower()).first()
        if user is None and action == "grant":
            # as in the browser: the account is made and the person invited to set a password
            try:
                role, _invited = staff.grant(None, None, authority, email=options["email"],
                                             role=options["role"],
                                             first_name=options.get("first_name") or "",
                                             last_name=options.get("last_name") or "")
            except staff.StaffError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"invited: {role.user.email} {options['role']} at "
                              f"{authority.name} (the invitation mail asks them to set a "
                              f"password; valid {staff.INVITATION_DAYS} days)")
            return
        if user is None:
            raise CommandError(f"No account with the e-mail address {options['email']}.")
        with transaction.atomic():
            if action == "grant":
                grant_staff_role(user, authority, options["role"])
            else:
                revoke_staff_role(user, authority, options["role"])
        self.stdout.write(f"{action}: {user.email} {options['role']} at {authority.name}")
