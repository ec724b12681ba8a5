from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "amtsweg.submissions"
    label = "submissions"
    verbose_name = _("Anträge")

    def ready(self) -> None:
        from . import export  # noqa: F401 - registers drafts and applications in the data export
