from django.core.management.base import BaseCommand

from amtsweg.jobs.engine import reap


class Command(BaseCommand):
    help = ("Re-queue tasks whose worker died (RUNNING longer than their timeout), set aside "
            "those out of attempts as dead letters, reschedule failed reliable tasks.")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than", type=float, default=None, metavar="SECONDS",
            help="Take RUNNING tasks started more than SECONDS ago for lost (default: the "
                 "task's timeout, else JOBS_STUCK_AFTER = 600).")

    def handle(self, *, older_than: float | None, verbosity: int, **options) -> None:
        report = reap(older_than=older_than)
        if verbosity:
            self.stdout.write(str(report))
