from django.core.management.base import BaseCommand

from amtsweg.core.signing import ensure_key


class Command(BaseCommand):
    help = "Create the platform's PS512 signing key under var/ if there is none yet."

    def handle(self, *args, **options):
        key = ensure_key()
        self.stdout.write(f"Signing key {key.kid}")
