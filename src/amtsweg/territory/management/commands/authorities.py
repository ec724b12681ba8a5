"""Find Behörden by name, place or id, for the commands that need a Behörde's id
(`amtsweg staff grant --authority ID`, `amtsweg api_client create --authority ID`).

    amtsweg authorities search standesamt fulda
    amtsweg authorities search "Homberg (Ohm)" --limit 50
    amtsweg authorities show 12
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.core.text import fold
from amtsweg.territory.models import Authority


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in fold(text)).split()


def search(query: str, limit: int = 20) -> list[Authority]:
    """Behörden whose name, short name, place or area holds every word typed (case, umlauts
    and punctuation do not count), the closest names first."""
    wanted = _words(query)
    if not wanted:
        return []
    found = []
    for authority in Authority.objects.select_related("area").order_by("name", "pk"):
        haystack = " ".join(_words(" ".join((authority.name, authority.short_name,
                                             authority.city, authority.area.name))))
        if all(word in haystack for word in wanted):
            in_name = sum(word in " ".join(_words(authority.name)) for word in wanted)
            found.append((-in_name, len(authority.name), authority))
    found.sort(key=lambda row: row[:2])
    return [row[2] for row in found[:limit]]


class Command(BaseCommand):
    help = "Find Behörden by name or place (search), or show one (show ID)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("search", help="Behörden whose name or place holds every word")
        p.add_argument("words", nargs="+")
        p.add_argument("--limit", type=int, default=20)
        sub.add_parser("show", help="one Behörde by id").add_argument("id", type=int)

    def handle(self, *args, action: str, **options) -> None:
        if action == "show":
            authority = Authority.objects.select_related("area").filter(
                pk=options["id"]).first()
            if authority is None:
                raise CommandError(f"No Behörde with the id {options['id']}.")
            rows = [("id", authority.pk), ("name", authority.name),
                    ("kind", authority.get_kind_display()),
                    ("area", f"{authority.area.name} ({authority.area.ags})"),
                    ("address", f"{authority.street} {authority.house_number}, "
                                f"{authority.zip} {authority.city}".strip(" ,")),
                    ("e-mail", authority.email or "–"), ("phone", authority.phone or "–"),
                    ("demo data", "yes" if authority.is_demo else "no")]
            for label, value in rows:
                self.stdout.write(f"{label:10} {value}")
            return
        limit = max(1, min(options["limit"], 500))
        hits = search(" ".join(options["words"]), limit)
        if not hits:
            raise CommandError(f"No Behörde matches {' '.join(options['words'])!r}.")
        for a in hits:
            demo = "\t(demo data)" if a.is_demo else ""
            self.stdout.write(f"{a.pk}\t{a.name}\t{a.get_kind_display()}\t"
                              f"{a.area.name}{demo}")
