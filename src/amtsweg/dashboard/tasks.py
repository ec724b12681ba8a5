from django_tasks import task

from . import actions, coverage, figures


@task()
def refresh() -> int:
    """Background: count on (the roll-up), record today's maturity counts, and build the
    Land's figures into the cache, so that no visitor waits for them."""
    actions.rollup()
    rows = actions.snapshot()
    figures.get(figures.LAND, coverage.current().land.id)
    return rows
