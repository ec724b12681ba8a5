"""Create the demo logins (only for demo installations): the Landesadmin, the staff of the
Gemeinde Allendorf (Eder), who design and adopt services and apply for IKZ funding with the
Gemeinde's organisation account, and the IKZ-Förderstelle."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "landesadmin@demo.example"
STAFF = "kommune@demo.example"
CLERK = "standesamt@demo.example"
ALLENDORF = "06635001"  # Allendorf (Eder)
PASSWORD = "Amtsweg-Demo-2026"  # noqa: S105 - documented demo login, demo installations only


class Command(BaseCommand):
    help = "Create the demo Landesadmin account (needs DEMO_DATA=true)."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA:
            raise CommandError("DEMO_DATA is off: no demo logins on this installation.")
        user_model = get_user_model()
        if user_model.objects.filter(email=USERNAME).exists():
            self.stdout.write(f"Demo login {USERNAME} exists.")
        else:
            user_model.objects.create_superuser(USERNAME, PASSWORD, first_name="Demo",
                                                last_name="Landesadmin")
            self.stdout.write(f"Demo login: {USERNAME} / {PASSWORD} (at /admin/)")
        self._staff(user_model)
        self._funding(user_model)
        from amtsweg.accounts.demo import restore_demo_logins

        if restored := restore_demo_logins(PASSWORD):
            self.stdout.write(f"Demo logins disabled earlier are open again: {restored}")

    def _staff(self, user_model) -> None:
        """Designer and admin of every demo Behörde of Allendorf (Eder)."""
        from django.utils import timezone

        from amtsweg.accounts.actions import grant_staff_role
        from amtsweg.accounts.models import StaffRole
        from amtsweg.territory.models import Authority

        user = user_model.objects.filter(email=STAFF).first()
        if user is None:
            user = user_model.objects.create_user(
                STAFF, PASSWORD, first_name="Demo", last_name="Gemeinde Allendorf",
                email_verified_at=timezone.now())
        for authority in Authority.objects.filter(area__ags=ALLENDORF, is_demo=True):
            grant_staff_role(user, authority, StaffRole.Role.DESIGNER)
            grant_staff_role(user, authority, StaffRole.Role.ADMIN)
        self.stdout.write(f"Demo staff login: {STAFF} / {PASSWORD} (at /verwaltung/)")
        clerk = user_model.objects.filter(email=CLERK).first()
        if clerk is None:
            clerk = user_model.objects.create_user(
                CLERK, PASSWORD, first_name="Demo", last_name="Sachbearbeitung",
                email_verified_at=timezone.now())
        for authority in Authority.objects.filter(area__ags=ALLENDORF, is_demo=True,
                                                  kind=Authority.Kind.STANDESAMT):
            grant_staff_role(clerk, authority, StaffRole.Role.CLERK)
        self.stdout.write(f"Demo clerk login: {CLERK} / {PASSWORD} (at /verwaltung/faelle/)")

    def _funding(self, user_model) -> None:
        """The organisation account of Allendorf (Eder) and the Förderstelle's login."""
        from amtsweg.funding.demo import create_demo_logins

        for line in create_demo_logins(user_model, PASSWORD, STAFF):
            self.stdout.write(line)
