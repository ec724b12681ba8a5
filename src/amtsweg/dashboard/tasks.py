from django_tasks import task

from . import actions, coverage, figures


@task()
def refresh() -> int:
    """Background: count on (the roll-up and its area sums), record today's maturity counts,
    and build the Land's figures into the cache (cheap since they are read from the area
    sums; it spares the first visitor a few milliseconds)."""
    actions.rollup()
    rows = actions.snapshot()
    figures.get(figures.LAND, coverage.current().land.id)
    return rows
