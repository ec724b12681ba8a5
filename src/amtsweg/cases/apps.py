from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "amtsweg.cases"
    label = "cases"
    verbose_name = _("Cases (Vorgänge)")

    def ready(self) -> None:
        from amtsweg.services import signals as service_signals
        from amtsweg.submissions.signals import received

        # notices registers its effect, export the cases' part of the data export
        from . import actions, export, notices  # noqa: F401

        received.connect(actions.on_submission_received,
                         dispatch_uid="cases.open_case")
        service_signals.version_copied.connect(actions.on_version_copied,
                                               dispatch_uid="cases.copy_notice_text")
        service_signals.publishing.connect(actions.on_publishing,
                                           dispatch_uid="cases.check_notice_text")
