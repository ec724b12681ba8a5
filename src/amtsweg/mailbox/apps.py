from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxConfig(AppConfig):
    name = "amtsweg.mailbox"
    label = "mailbox"
    verbose_name = _("Postfach")

    def ready(self) -> None:
        from . import export  # noqa: F401 - registers the Postfach's part of the data export
