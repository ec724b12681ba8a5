from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "amtsweg.core"
    label = "core"

    def ready(self) -> None:
        from . import throttle  # noqa: F401 - registers its system check
