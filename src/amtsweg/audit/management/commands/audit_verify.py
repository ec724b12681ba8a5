"""Recompute the audit hash chains; exit 1 when one is broken (for cron and monitoring)."""

from django.core.management.base import BaseCommand, CommandError

from amtsweg.audit import actions


class Command(BaseCommand):
    help = "Verify the hash chains of the audit log (all tenants, or one with --tenant)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help='One tenant, e.g. "authority:12" or "platform"')

    def handle(self, *args, tenant: str | None = None, **options) -> None:
        report = actions.check(None if tenant is None else [tenant])
        if report.ok:
            self.stdout.write(f"OK: {report.entries} entries in {report.chains} chains")
            return
        for problem in report.problems:
            self.stderr.write(str(problem))
        raise CommandError(f"{len(report.problems)} problems in {report.entries} entries of "
                           f"{report.chains} chains")
