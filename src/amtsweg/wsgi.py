import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Build the search index before the first request instead of during it."""
    from django.db import DatabaseError

    from amtsweg.catalog.search import get_index

    try:
        get_index()
    except DatabaseError:  # not migrated yet; the first search builds it
        pass


_warm_up()
