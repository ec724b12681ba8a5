from django_tasks import task

from .destinations import sign_stale_destinations


@task()
def sign_destinations() -> int:
    """Background: sign the destinations after the territory changed."""
    return sign_stale_destinations()
