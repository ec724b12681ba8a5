"""Recompute the blind index of applicant names (after a master key change; see
docs/security.md). `rotate_keys --rewrap` runs it for every Behörde."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.cases import reindex
from amtsweg.territory.models import Authority


def _authority_id(value: str) -> int:
    """ "authority:<id>" (the tenant name `rotate_keys` uses) or the bare id."""
    raw = value.removeprefix("authority:")
    if not raw.isdecimal():
        raise CommandError(f"{value!r} is not a Behörde: give authority:<id> or the id.")
    if not Authority.objects.filter(pk=int(raw)).exists():
        raise CommandError(f"No Behörde with the id {raw}.")
    return int(raw)


class Command(BaseCommand):
    help = "Recompute the name search tokens of the cases of one Behörde (--tenant) or all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", action="append", default=[],
                            help="authority:<id> (or the id); may be repeated.")
        parser.add_argument("--all", action="store_true", help="Every Behörde with cases.")
        parser.add_argument("--batch", type=int, default=reindex.BATCH,
                            help="Cases per transaction (default %(default)s).")

    def handle(self, *args, tenant: list[str], all: bool, batch: int, **options) -> None:
        if not (tenant or all):
            raise CommandError("Say which Behörden: --tenant authority:<id> or --all.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        ids = {_authority_id(t) for t in tenant}
        if all:
            ids |= set(reindex.authorities_with_cases())
        total = reindex.Result()
        for authority_id in sorted(ids):
            result = reindex.reindex_authority(authority_id, batch)
            total.cases += result.cases
            total.tokens += result.tokens
            if options["verbosity"] > 1:
                self.stdout.write(f"authority:{authority_id}: {result.cases} cases, "
                                  f"{result.tokens} tokens")
        self.stdout.write(f"Reindexed the names of {total.cases} cases "
                          f"({total.tokens} tokens, {len(ids)} Behörden).")
