"""Rotate encryption keys: after a new master key, re-wrap the tenant data keys, re-encrypt
what is encrypted directly with the master key and recompute the name search tokens
(--rewrap); or start new data key versions for tenants. See docs/security.md."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from amtsweg.audit import actions as audit
from amtsweg.core import crypto, reencrypt, tenantcrypto
from amtsweg.core.models import TenantKey


class Command(BaseCommand):
    help = "Rotate the master key (--rewrap) or tenant data keys (--tenant/--all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rewrap", action="store_true",
                            help="Re-wrap all data keys, re-encrypt all values and Postfach "
                                 "files with the current FIELD_ENCRYPTION_KEY and recompute "
                                 "the name search tokens.")
        parser.add_argument("--batch", type=int, default=reencrypt.BATCH,
                            help="Rows per transaction when re-encrypting (default "
                                 "%(default)s).")
        parser.add_argument("--tenant", action="append", default=[],
                            help="Start a new data key version for this tenant.")
        parser.add_argument("--all", action="store_true",
                            help="Start a new data key version for every tenant.")

    def handle(self, *args, rewrap: bool, batch: int, tenant: list[str], all: bool,
               **options) -> None:
        if not (rewrap or tenant or all):
            raise CommandError("Say what to rotate: --rewrap, --tenant T or --all.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        unreadable = 0
        if rewrap:
            unreadable = self._rewrap(batch, options.get("verbosity", 1))
        tenants = set(tenant)
        if all:
            tenants |= set(TenantKey.objects.values_list("tenant", flat=True))
        for name in sorted(tenants):
            self.stdout.write(f"{name}: data key version {tenantcrypto.rotate_tenant(name)}")
        if unreadable:
            raise CommandError(
                f"{unreadable} values could not be decrypted with any configured master key "
                "(ids above and in the audit log). Keep the old keys in "
                "FIELD_ENCRYPTION_OLD_KEYS until they are found, then run --rewrap again.")

    def _rewrap(self, batch: int, verbosity: int) -> int:
        try:
            wrapped = tenantcrypto.rewrap_all()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Re-wrapped {wrapped} data keys.")

        def progress(result: reencrypt.Result) -> None:
            self.stdout.write(f"{result.model}: {result.checked} checked, "
                              f"{result.reencrypted} re-encrypted")

        results = reencrypt.reencrypt_all(batch, progress if verbosity else None)
        for result in results:
            if result.unreadable:
                self.stderr.write(f"{result.model}: not readable with any configured key: "
                                  f"{', '.join(result.unreadable)}")
        total = sum(r.reencrypted for r in results)
        unreadable = sum(len(r.unreadable) for r in results)
        self.stdout.write(f"Re-encrypted {total} values and files "
                          f"({', '.join(f'{r.model} {r.reencrypted}' for r in results)}); "
                          f"{unreadable} not readable.")
        with transaction.atomic():
            audit.record(tenant=audit.PLATFORM, actor="system", action="core.master_key_rotated",
                         data={"key": crypto.current_key_id(), "data_keys": wrapped,
                               "reencrypted": {r.model: r.reencrypted for r in results},
                               "unreadable": {r.model: r.unreadable for r in results
                                              if r.unreadable}})
        # The name search tokens are keyed with a key derived from the master key (a
        # tenant key rotation leaves them alone): recompute them under the new one.
        call_command("reindex_names", "--all", stdout=self.stdout, verbosity=verbosity)
        return unreadable
