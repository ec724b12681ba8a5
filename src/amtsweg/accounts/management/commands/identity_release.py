"""Support path for a Servicekonto bound to the wrong person (docs/identity.md)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.accounts.actions import release_identity
from amtsweg.accounts.models import TrustLevel, User
from amtsweg.mailbox.models import Message


class Command(BaseCommand):
    help = ("Release a Servicekonto from the person it is bound to (its linked eIDs and "
            "eID-confirmed data), after support has checked who holds the account. Without "
            "--yes only shows what would be removed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--ticket", required=True,
                            help="the support ticket reference (letters, digits, -_/#.), "
                                 "written to the audit log")
        parser.add_argument("--yes", action="store_true", help="really release")

    def handle(self, *args, email: str, ticket: str, yes: bool, **options) -> None:
        if not ticket or any(not (c.isascii() and (c.isalnum() or c in "-_/#.")) for c in ticket):
            raise CommandError("The ticket reference may hold letters, digits and -_/#. only "
                               "(no names: it goes to the audit log).")
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"No account with the e-mail address {email}.")
        confirmed = Message.objects.filter(account=user).exclude(trust_level=TrustLevel.BASIS)
        self.stdout.write(
            f"{user.email}: {user.identities.count()} linked identities, "
            f"{user.attributes.filter(source='eid').count()} eID-confirmed attributes, "
            f"{confirmed.count()} Postfach messages above level basis (they stay in the "
            "account and open for the person who identifies next).")
        if not yes:
            self.stdout.write("Nothing changed; add --yes to release.")
            return
        counts = release_identity(user, ticket=ticket)
        self.stdout.write(f"Released: {counts['identities']} identities and "
                          f"{counts['attributes']} attributes removed; all sessions ended.")
