"""`amtsweg services import FILE --owner-authority ID | --owner-cooperation SLUG [--publish]` and
`amtsweg services export SLUG [--version N]`: the service file format of docs/services.md."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amtsweg.ikz.models import Cooperation
from amtsweg.services import actions
from amtsweg.services.models import OnlineService
from amtsweg.territory.models import Authority


class Command(BaseCommand):
    help = "Import or export online services (format amtsweg.service/1)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        imp = sub.add_parser("import", help="Create a service from a service file.")
        imp.add_argument("file", type=Path)
        owner = imp.add_mutually_exclusive_group(required=True)
        owner.add_argument("--owner-authority", type=int,
                           help="Id of the Behörde that owns the new service.")
        owner.add_argument("--owner-cooperation", metavar="SLUG",
                           help="Slug of the IKZ cooperation that owns the new service.")
        imp.add_argument("--publish", action="store_true", help="Publish the first version.")
        exp = sub.add_parser("export", help="Print a service version as JSON.")
        exp.add_argument("slug")
        exp.add_argument("--version", type=int, help="Version number (default: the newest).")

    def handle(self, *args, action: str, **options) -> None:
        if action == "import":
            self.import_file(options["file"], options["owner_authority"],
                             options["owner_cooperation"], options["publish"])
        else:
            self.export(options["slug"], options.get("version"))

    def import_file(self, path: Path, owner_id: int | None, cooperation: str | None,
                    publish: bool) -> None:
        if cooperation:
            owner = Cooperation.objects.filter(slug=cooperation).first()
            if owner is None:
                raise CommandError(_("There is no cooperation %(slug)s.") % {"slug": cooperation})
            kwargs = {"owner_cooperation": owner}
        else:
            owner = Authority.objects.filter(pk=owner_id).first()
            if owner is None:
                raise CommandError(_("There is no authority with the id %(id)s.")
                                   % {"id": owner_id})
            kwargs = {"owner_authority": owner}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(_("The file %(path)s cannot be read: %(error)s")
                               % {"path": path, "error": exc.strerror}) from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CommandError(_("The file %(path)s is not valid JSON.") % {"path": path}) \
                from None
        try:
            service = actions.import_service(None, data, publish_now=publish, **kwargs)
        except actions.ServiceError as exc:
            raise CommandError("\n".join(f"{p.path}: {p.message}" if p.path else p.message
                                         for p in exc.problems)) from None
        self.stderr.write(_("Imported %(slug)s for %(owner)s.")
                          % {"slug": service.slug, "owner": owner.name})

    def export(self, slug: str, number: int | None) -> None:
        service = OnlineService.objects.filter(slug=slug).first()
        versions = service.versions.order_by("-number") if service else None
        version = (versions.filter(number=number) if number else versions).first() \
            if versions is not None else None
        if version is None:
            raise CommandError(_("There is no service %(slug)s (version %(n)s).")
                               % {"slug": slug, "n": number or "–"})
        self.stdout.write(json.dumps(actions.export_service(version), ensure_ascii=False,
                                     indent=2))
