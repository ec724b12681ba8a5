from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "amtsweg.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        # register the built-in providers and the payments' part of the data export
        from . import export, providers  # noqa: F401
