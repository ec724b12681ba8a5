"""Register a relying party (another online service) for "Login mit Servicekonto"."""

import secrets

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from amtsweg.accounts.models import OidcClient


class Command(BaseCommand):
    help = "Create or update an OpenID Connect client; prints its secret once."

    def add_arguments(self, parser):
        parser.add_argument("client_id")
        parser.add_argument("--name", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True)
        parser.add_argument("--public", action="store_true",
                            help="public client without secret (PKCE only)")

    def handle(self, *args, client_id, name, redirect_uri, public, **options):
        secret = "" if public else secrets.token_urlsafe(32)
        OidcClient.objects.update_or_create(client_id=client_id, defaults={
            "name": name, "redirect_uris": "\n".join(redirect_uri),
            "client_secret_hash": make_password(secret) if secret else ""})
        self.stdout.write(f"client_id={client_id}")
        if secret:
            self.stdout.write(f"client_secret={secret}")
