"""Close what demo mode left in this database (run by `amtsweg run` in production mode)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from amtsweg.accounts.demo import retire_demo_logins, retire_test_identities


class Command(BaseCommand):
    help = ("Disable the demo logins and unlink test-eID identities (needs DEMO_DATA and "
            "TEST_EID_ENABLED off).")

    def handle(self, *args, **options):
        if settings.DEMO_DATA:
            raise CommandError("DEMO_DATA is on: demo logins stay usable on a demo installation.")
        disabled = retire_demo_logins()
        if disabled:
            self.stdout.write(f"Demo logins disabled: {disabled}")
        if settings.TEST_EID_ENABLED:
            self.stdout.write("TEST_EID_ENABLED is on: test-eID identities left as they are.")
            return
        retired = retire_test_identities()
        if any(retired.values()):
            self.stdout.write("Test-eID identities unlinked: {identities}, confirmed attributes "
                              "marked as typed: {attributes}".format(**retired))
