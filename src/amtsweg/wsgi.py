import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
application = get_wsgi_application()


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
