"""E-mail clerks about cases due within three days or overdue (run every morning)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from amtsweg.cases.reminders import send_reminders


class Command(BaseCommand):
    help = "Remind clerks of due and overdue cases."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            count = send_reminders()
        self.stdout.write(f"Sent {count} reminders.")
