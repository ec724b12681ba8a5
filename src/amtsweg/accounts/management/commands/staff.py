"""Staff roles from the command line: who works for which Behörde in which role."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

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
        user = User.objects.filter(email=options["email"].lower()).first()
        if user is None:
            raise CommandError(f"No account with the e-mail address {options['email']}; the "
                               "person registers first (staff need two-factor login).")
        authority = Authority.objects.filter(pk=options["authority"]).first()
        if authority is None:
            raise CommandError(f"No Behörde with the id {options['authority']}.")
        with transaction.atomic():
            if action == "grant":
                grant_staff_role(user, authority, options["role"])
            else:
                revoke_staff_role(user, authority, options["role"])
        self.stdout.write(f"{action}: {user.email} {options['role']} at {authority.name}")
