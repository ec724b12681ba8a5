"""Rotate encryption keys: re-wrap data keys under a new master key, or start new data key
versions for tenants. See docs/security.md."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from amtsweg.core import tenantcrypto
from amtsweg.core.models import TenantKey


class Command(BaseCommand):
    help = "Rotate the master key wrapping (--rewrap) or tenant data keys (--tenant/--all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rewrap", action="store_true",
                            help="Re-wrap all data keys with the current FIELD_ENCRYPTION_KEY.")
        parser.add_argument("--tenant", action="append", default=[],
                            help="Start a new data key version for this tenant.")
        parser.add_argument("--all", action="store_true",
                            help="Start a new data key version for every tenant.")

    def handle(self, *args, rewrap: bool, tenant: list[str], all: bool, **options) -> None:
        if not (rewrap or tenant or all):
            raise CommandError("Say what to rotate: --rewrap, --tenant T or --all.")
        if rewrap:
            try:
                count = tenantcrypto.rewrap_all()
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Re-wrapped {count} data keys.")
            # The name search tokens are keyed with a key derived from the master key (a
            # tenant key rotation leaves them alone): recompute them under the new one.
            call_command("reindex_names", "--all", stdout=self.stdout,
                         verbosity=options.get("verbosity", 1))
        tenants = set(tenant)
        if all:
            tenants |= set(TenantKey.objects.values_list("tenant", flat=True))
        for name in sorted(tenants):
            self.stdout.write(f"{name}: data key version {tenantcrypto.rotate_tenant(name)}")
