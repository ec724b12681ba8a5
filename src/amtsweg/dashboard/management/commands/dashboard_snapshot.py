"""Bring the dashboard's figures up to date: the roll-up of applications and cases, then
today's snapshot of the maturity counts (schedule it, e.g. hourly; see docs/dashboard.md)."""

from django.core.management.base import BaseCommand

from amtsweg.dashboard import actions


class Command(BaseCommand):
    help = "Roll up applications and cases for the OZG dashboard; record the maturity counts."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true",
                            help="Count every month again (from what is still stored).")
        parser.add_argument("--no-rollup", action="store_true",
                            help="Only record today's maturity counts.")

    def handle(self, *args, full: bool = False, no_rollup: bool = False, **options):
        if not no_rollup:
            run = actions.rollup(full=full)
            since = run.since.strftime("%Y-%m") if run.since else "the beginning"
            self.stdout.write(f"Roll-up: counted from {since} in {run.seconds:.2f} s")
        rows = actions.snapshot()
        self.stdout.write(f"Snapshot: maturity counts of {rows} areas")
