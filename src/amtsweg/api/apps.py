from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "amtsweg.api"
    label = "api"

    def ready(self) -> None:
        from amtsweg.territory.lookup import territory_changed

        territory_changed.connect(_sign_in_background, dispatch_uid="sign-destinations")


def _sign_in_background(sender, **kwargs) -> None:
    from .tasks import sign_destinations

    sign_destinations.enqueue()
