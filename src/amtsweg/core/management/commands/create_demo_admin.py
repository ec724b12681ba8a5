"""Create the demo Landesadmin login (only for demo installations)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "landesadmin@demo.example"
PASSWORD = "Amtsweg-Demo-2026"  # noqa: S105 - documented demo login, demo installations only


class Command(BaseCommand):
    help = "Create the demo Landesadmin account (needs DEMO_DATA=true)."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA:
            raise CommandError("DEMO_DATA is off: no demo logins on this installation.")
        user_model = get_user_model()
        if user_model.objects.filter(email=USERNAME).exists():
            self.stdout.write(f"Demo login {USERNAME} exists.")
            return
        user_model.objects.create_superuser(USERNAME, PASSWORD, first_name="Demo",
                                            last_name="Landesadmin")
        self.stdout.write(f"Demo login: {USERNAME} / {PASSWORD} (at /admin/)")
