"""Deliver a Postfach message from a Behörde to an account, as other apps will."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from amtsweg.accounts.models import User
from amtsweg.mailbox.actions import File, deliver
from amtsweg.territory.models import Authority


class Command(BaseCommand):
    help = "Send a message (with attachments) from an authority to a Servicekonto."

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help="e-mail address of the account")
        parser.add_argument("--authority", required=True,
                            help="destination id (UUID) or exact name of the Behörde")
        parser.add_argument("--subject", required=True)
        parser.add_argument("--body", required=True)
        parser.add_argument("--level", default="basis",
                            choices=["basis", "substanziell", "hoch"])
        parser.add_argument("--attach", action="append", default=[], type=Path)

    def handle(self, *args, **o):
        account = User.objects.filter(email=o["to"].lower()).first()
        if account is None:
            raise CommandError(f"No Servicekonto with the address {o['to']}.")
        authority = (Authority.objects.filter(name=o["authority"]).first()
                     or _by_destination(o["authority"]))
        if authority is None:
            raise CommandError(f"No authority named or with the id {o['authority']}.")
        files = []
        for path in o["attach"]:
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
            files.append(File(path.name, path.read_bytes()))
        try:
            message = deliver(account=account, authority=authority, subject=o["subject"],
                              body=o["body"], trust_level=o["level"], files=files)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Delivered message {message.pk} to {account.email}.")


def _by_destination(value: str) -> Authority | None:
    try:
        return Authority.objects.filter(destination_id=value).first()
    except ValidationError:
        return None
