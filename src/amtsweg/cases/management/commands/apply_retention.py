"""Delete or anonymise the data of closed cases whose retention period is over (daily)."""

from django.core.management.base import BaseCommand

from amtsweg.cases.retention import apply


class Command(BaseCommand):
    help = "Apply the retention rules of the online services to closed cases."

    def handle(self, *args, **options) -> None:
        report = apply()
        self.stdout.write(f"Deleted {report.deleted} and anonymised {report.anonymised} "
                          f"cases; {len(report.files)} files removed.")
