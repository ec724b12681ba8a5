"""Import the shipped territory and catalogue data, and in demo mode the demo authorities and
services (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from amtsweg.catalog.actions import import_catalog
from amtsweg.dashboard.actions import snapshot as dashboard_snapshot
from amtsweg.funding.demo import load_demo_funding
from amtsweg.funding.history import load_history
from amtsweg.ikz.demo import load_demo_cooperations
from amtsweg.services.demo import load_demo_services
from amtsweg.territory.actions import import_territory
from amtsweg.territory.demo import load_demo_authorities


class Command(BaseCommand):
    help = ("Import Hessen's areas, PLZ, the LeiKa/OZG catalogue and, with DEMO_DATA on (or "
            "--demo), the demo Behörden, services, cooperations and funding history.")

    def add_arguments(self, parser):
        demo = parser.add_mutually_exclusive_group()
        demo.add_argument("--demo", action="store_true", default=None,
                          help="Also load the demo data (default: on when DEMO_DATA is on).")
        demo.add_argument("--no-demo", action="store_true",
                          help="No demo data, whatever DEMO_DATA says.")
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")

    def handle(self, *args, demo: bool | None = None, no_demo: bool = False,
               quiet: bool = False, **options):
        if demo is None:
            demo = settings.DEMO_DATA
        no_demo = no_demo or not demo
        progress = not quiet
        stats = import_territory(progress=progress)
        self.stdout.write(f"Territory: {stats['areas']} areas, {stats['postal_codes']} PLZ pairs, "
                          f"{stats['german_postal_codes']} German PLZ rows for the address check")
        stats = import_catalog(progress=progress)
        self.stdout.write(
            f"Catalogue: {stats['leistungen']} Leistungen ({stats['created']} new, "
            f"{stats['updated']} updated), {stats['ozg_leistungen']} OZG-Leistungen, "
            f"{stats['lebenslagen']} Lebenslagen, {stats['themenfelder']} Themenfelder"
        )
        if not no_demo:
            stats = load_demo_authorities()
            self.stdout.write(
                f"Demo: {stats['authorities']} Behörden, "
                f"{stats['responsibilities']} Zuständigkeiten"
            )
            stats = load_demo_services()
            self.stdout.write(f"Demo: {stats['services']} online services, "
                              f"{stats['adoptions']} adoptions")
            self.stdout.write("Demo: {cooperations} IKZ cooperations, {adoptions} adoptions of "
                              "their service".format(**load_demo_cooperations()))
            self.stdout.write(f"Demo: {load_history()['grants']} historical IKZ grants")
            self.stdout.write("Demo: {programmes} IKZ funding programme, {budgets} yearly budget"
                              .format(**load_demo_funding()))
        self.stdout.write(f"Dashboard: maturity counts of {dashboard_snapshot()} areas")
        self.stdout.write(self.style.SUCCESS("Import complete."))
