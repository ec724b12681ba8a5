"""`amtsweg fim import FILE`: turn an XDatenfelder message into a form definition.

Subcommands keep room for more FIM work (for example creating a draft service from the
import) without a second command name.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amtsweg.forms.fim import MAX_BYTES, FimError, import_xdatenfelder


class Command(BaseCommand):
    help = "Work with FIM data fields (XDatenfelder 2.0 and 3.0.0)."
    requires_system_checks = []  # reads a file; only --service touches the database

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True,
                                        title="actions", metavar="ACTION")
        imp = actions.add_parser(
            "import", help="Print (or write) the form definition of a Stammdatenschema or "
                           "Datenfeldgruppe message.")
        imp.add_argument("file", type=Path, help="The XDatenfelder XML file.")
        imp.add_argument("--output", "-o", type=Path,
                         help="Write the definition (JSON) to this file instead of stdout.")
        imp.add_argument("--service", metavar="LEIKA_KEY",
                         help="Also create a draft online service for this Leistung with the "
                              "imported form (needs --owner-authority).")
        imp.add_argument("--owner-authority", type=int, metavar="ID",
                         help="The Behörde (id) that owns the new service.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "import":
            definition = self.import_file(options["file"], options.get("output"))
            if options.get("service"):
                self.create_service(definition, options["service"],
                                    options.get("owner_authority"))

    def create_service(self, definition: dict, leika_key: str, owner_id: int | None) -> None:
        from amtsweg.catalog.models import Leistung
        from amtsweg.services.actions import ServiceError, create_service
        from amtsweg.territory.models import Authority

        leistung = Leistung.objects.filter(leika_key=leika_key).first()
        if leistung is None:
            raise CommandError(_("There is no Leistung with the key %(key)s.")
                               % {"key": leika_key})
        owner = Authority.objects.filter(pk=owner_id).first() if owner_id else None
        if owner is None:
            raise CommandError(_("Name the owning Behörde with --owner-authority ID."))
        title = definition.get("title") or {"de": leistung.name}
        try:
            service = create_service(None, leistung=leistung, title=title,
                                     owner_authority=owner, version={"form": definition})
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(_("Draft service %(slug)s created for %(owner)s.")
                          % {"slug": service.slug, "owner": owner.name})

    def import_file(self, path: Path, output: Path | None) -> dict:
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(_("The file %(path)s cannot be read: %(error)s")
                               % {"path": path, "error": exc.strerror}) from None
        try:
            result = import_xdatenfelder(data)
        except FimError as exc:
            raise CommandError(f"{path}: {exc}") from None
        for note in result.notes:
            self.stderr.write(_("Note: %(text)s") % {"text": note})
        for warning in result.warnings:
            self.stderr.write(_("Warning: %(text)s") % {"text": warning})
        text = json.dumps(result.definition, ensure_ascii=False, indent=2) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
            return result.definition
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(_("The file %(path)s cannot be written: %(error)s")
                               % {"path": output, "error": exc.strerror}) from None
        self.stderr.write(_("Form definition written to %(path)s.") % {"path": output})
        return result.definition
