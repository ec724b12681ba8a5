from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IkzConfig(AppConfig):
    name = "amtsweg.ikz"
    label = "ikz"
    verbose_name = _("Inter-municipal cooperation")
