"""Manage the API clients of Fachverfahren: create (prints the token once), revoke, list."""

from django.core.management.base import BaseCommand, CommandError

from amtsweg.api import clients
from amtsweg.api.models import ALL_SCOPES, ApiClient
from amtsweg.territory.models import Authority


class Command(BaseCommand):
    help = "Create, revoke or list API clients of Fachverfahren."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new client; prints its token once")
        create.add_argument("--authority", type=int, required=True, help="Authority id")
        create.add_argument("--name", required=True)
        create.add_argument("--webhook-url", default="")
        create.add_argument("--scope", action="append", choices=ALL_SCOPES,
                            help="repeat for several; default: all scopes")
        revoke = sub.add_parser("revoke", help="revoke a client's token at once")
        revoke.add_argument("client", help="name or id")
        sub.add_parser("list", help="all clients")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _create(self, *, authority, name, webhook_url, scope, **options):
        target = Authority.objects.filter(pk=authority).first()
        if target is None:
            raise CommandError(f"There is no authority with id {authority}.")
        try:
            made = clients.create(authority=target, name=name, webhook_url=webhook_url,
                                  scopes=scope, by="cli")
        except clients.ClientError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"client={made.client.pk} name={made.client.name} "
                          f"authority={target.pk} ({target.name})")
        self.stdout.write(f"token={made.token}")
        if made.webhook_secret:
            self.stdout.write(f"webhook_secret={made.webhook_secret}")
        self.stdout.write("Store the token (and the secret) now: they are not shown again.")

    def _revoke(self, *, client, **options):
        rows = ApiClient.objects.filter(name=client)
        if not rows.exists() and client.isdecimal():
            rows = ApiClient.objects.filter(pk=int(client))
        found = rows.first()
        if found is None:
            raise CommandError(f"There is no API client {client!r}.")
        found = clients.revoke(found, by="cli")
        self.stdout.write(f"revoked client={found.pk} name={found.name} at "
                          f"{found.revoked_at:%Y-%m-%d %H:%M:%S}")

    def _list(self, **options):
        for c in ApiClient.objects.select_related("authority").order_by("pk"):
            state = "revoked" if c.revoked_at else "active"
            used = f"{c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "never"
            self.stdout.write(f"{c.pk}\t{c.name}\t{state}\tauthority={c.authority_id}\t"
                              f"token={c.token_hint}…\tlast_used={used}\t"
                              f"scopes={','.join(c.scopes)}\twebhook={c.webhook_url or '-'}")
