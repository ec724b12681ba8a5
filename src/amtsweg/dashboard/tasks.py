from django_tasks import task

from . import actions


@task()
def refresh() -> int:
    """Background: count on (the roll-up) and record today's maturity counts."""
    actions.rollup()
    return actions.snapshot()
