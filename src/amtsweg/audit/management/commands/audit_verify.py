"""Verify the audit chains; exit 1 when one is broken (for cron and monitoring).

    amtsweg audit_verify                          # every chain and the register of tenants,
                                                  # against AUDIT_HEADS_FILE when it exists
    amtsweg audit_verify --tenant authority:12    # one chain
    amtsweg audit_verify --heads FILE             # ... and every head exported to FILE is there
    amtsweg audit_verify --export-heads FILE      # ... and, if all is well, export the heads
    amtsweg audit_verify --checkpoint             # both with AUDIT_HEADS_FILE
    amtsweg audit_verify --checkpoint --new-reference   # start a new reference (after a restore)

The first checkpoint records `audit.heads_started` in the platform chain. From then on a
missing AUDIT_HEADS_FILE is an error, not a reason to skip the comparison: deleting the file
and the newest entries together must not pass, nor let the next checkpoint write a fresh
reference over the cut.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from amtsweg.audit import actions
from amtsweg.audit import heads as audit_heads


class Command(BaseCommand):
    help = ("Verify the audit chains (all tenants, or one with --tenant), optionally against "
            "exported heads, and export the heads.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help='One tenant, e.g. "authority:12" or "platform"')
        parser.add_argument("--heads", dest="heads_file", type=Path, metavar="FILE",
                            help="heads exported earlier: each must still be in its chain")
        parser.add_argument("--export-heads", dest="export_file", type=Path, metavar="FILE",
                            help="after a clean check, write the current heads there (0600)")
        parser.add_argument("--no-heads", action="store_true",
                            help="do not compare with AUDIT_HEADS_FILE (only the chains)")
        parser.add_argument("--new-reference", action="store_true",
                            help="with --checkpoint: the heads file is missing on purpose "
                                 "(moved aside after a restore); start a new reference")
        parser.add_argument("--checkpoint", action="store_true",
                            help="check against AUDIT_HEADS_FILE (if it exists), then export "
                                 "the heads to it")

    def handle(self, *args, tenant: str | None = None, heads_file: Path | None = None,
               export_file: Path | None = None, checkpoint: bool = False, no_heads: bool = False,
               new_reference: bool = False, **options) -> None:
        if new_reference and not checkpoint:
            raise CommandError("--new-reference belongs to --checkpoint.")
        started = False
        if checkpoint:
            export_file = audit_heads.default_path()
            heads_file = export_file if export_file.exists() else None
            started = heads_file is None
            if started and not new_reference:
                self._missing_file(export_file)
        elif heads_file is None and tenant is None and not no_heads:
            # An operator who types the plain command after an incident expects the whole
            # check: a chain cut back to an earlier, consistent state passes the chain check
            # alone and is only found against the heads exported before.
            default = audit_heads.default_path()
            if default.exists():
                heads_file = default
            else:
                self._missing_file(default)
        if tenant and export_file:
            raise CommandError("Exported heads cover every chain; leave out --tenant.")
        try:
            exported = audit_heads.load(heads_file) if heads_file else None
        except audit_heads.HeadsFileError as exc:
            raise CommandError(str(exc)) from None
        report = actions.check(None if tenant is None else [tenant], exported=exported)
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            kept = f"; {export_file} was left as it was" if export_file else ""
            raise CommandError(f"{len(report.problems)} problems in {report.entries} entries "
                               f"of {report.chains} chains{kept}")
        against = f"; every head exported to {heads_file} is there" if heads_file else ""
        self.stdout.write(f"OK: {report.entries} entries in {report.chains} chains{against}")
        if export_file:
            document = audit_heads.snapshot()
            audit_heads.write(export_file, document)
            self.stdout.write(f"Exported {len(document['heads'])} heads to {export_file} "
                              f"(fingerprint {audit_heads.digest(document)}).")
            if started:
                with transaction.atomic():
                    actions.record(tenant=actions.PLATFORM, actor="system",
                                   action=audit_heads.STARTED,
                                   data={"fingerprint": audit_heads.digest(document),
                                         "chains": len(document["heads"]),
                                         "new_reference": new_reference})

    @staticmethod
    def _missing_file(path: Path) -> None:
        """Refuse to go on without the heads file once a checkpoint has exported one."""
        if audit_heads.started():
            raise CommandError(
                f"The heads file {path} is missing, although heads were exported before "
                f"(audit.heads_started in the platform chain). Restore it from its off-host "
                f"copy and run the check again. Only if it was moved aside on purpose (after "
                f"restoring a backup, docs/audit.md): amtsweg audit_verify --checkpoint "
                f"--new-reference.")
