"""Reliable background work on top of django-tasks' database backend.

    from amtsweg.jobs import reliable

    @reliable(max_attempts=5)
    def make_case(submission_id: str) -> None: ...   # idempotent: dedupe by id

A failing reliable task is retried with exponential backoff; a task whose worker died is
re-queued by the reaper; after its last attempt a task is set aside as a dead letter, which
superusers retry at /verwaltung/jobs/. See docs/jobs.md.
"""

from .reliable import ReliableTask, WorkerLost, reliable

__all__ = ["ReliableTask", "WorkerLost", "reliable"]
