"""Delete unsent applications that were not continued for 30 days (run daily; `amtsweg run`
also runs it at every start)."""

from django.core.management.base import BaseCommand

from amtsweg.submissions.actions import purge_expired_drafts


class Command(BaseCommand):
    help = "Delete expired drafts of online applications and their files."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Deleted {purge_expired_drafts()} expired drafts.")
