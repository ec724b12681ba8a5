from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "amtsweg.core"
    label = "core"

    def ready(self) -> None:
        from . import checks, throttle  # noqa: F401 - register their system checks
