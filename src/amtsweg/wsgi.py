import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
application = get_wsgi_application()


def _refuse_unsafe_start() -> None:
    """A WSGI server started by hand (not through `amtsweg run`) is held to the same checks:
    in production mode it does not load the application while a deploy check fails, in demo
    mode while a key or setting is malformed."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from amtsweg.core.checks import refusal_text, unsafe_start_errors

    production = not settings.DEMO_DATA
    if errors := unsafe_start_errors(data=production, deploy=production):
        raise ImproperlyConfigured(refusal_text(errors, production=production))


_refuse_unsafe_start()


def _warm_up() -> None:
    """Build the search index and the finder's copy before the first request needs them."""
    from django.db import DatabaseError

    from amtsweg.catalog.search import get_index
    from amtsweg.territory.lookup import warm_up

    try:
        get_index()
        warm_up()
    except DatabaseError:  # not migrated yet; the first search builds it
        pass


_warm_up()
