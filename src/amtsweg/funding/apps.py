from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "amtsweg.funding"
    label = "funding"
    verbose_name = _("Funding programme")

    def ready(self) -> None:
        from amtsweg.submissions.signals import received

        from . import actions, casework, stats  # noqa: F401 - stats connects its cache signals

        casework.register()
        received.connect(actions.on_submission_received,
                         dispatch_uid="funding.record_application")
