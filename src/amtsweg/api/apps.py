from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "amtsweg.api"
    label = "api"

    def ready(self) -> None:
        from amtsweg.territory.lookup import territory_changed

        from . import checks  # noqa: F401 - registers the webhook settings checks

        territory_changed.connect(_sign_in_background, dispatch_uid="sign-destinations")

        from amtsweg.submissions.signals import received

        from . import webhooks

        received.connect(webhooks.on_submission_received, dispatch_uid="api-webhooks")


def _sign_in_background(sender, **kwargs) -> None:
    from .tasks import sign_destinations

    sign_destinations.enqueue()
