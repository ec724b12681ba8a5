from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "amtsweg.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from . import providers  # noqa: F401 - registers the built-in providers
