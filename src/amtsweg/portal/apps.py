from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "amtsweg.portal"
    label = "portal"
