"""The ``reliable`` task decorator and the retry policy.

A reliable task is an ordinary django-tasks ``Task`` (enqueue, get_result, priority, queues all
work as usual) that carries its retry policy. The policy is applied by the worker side
(:mod:`amtsweg.jobs.engine`): a failure puts the *same* task row back in the queue with a later
``run_after``, so the task keeps its id across attempts and receivers can dedupe by it. The
attempt count is the backend's own: one worker id is appended at every claim
(``TaskResult.attempts``, ``TaskContext.attempt``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.version import PY311
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks.base import DEFAULT_TASK_PRIORITY, Task


class WorkerLost(Exception):
    """Recorded as the error of a task whose worker died while running it."""


def default_max_attempts() -> int:
    return int(getattr(settings, "JOBS_MAX_ATTEMPTS", 5))


def default_stuck_after() -> float:
    """Seconds after which a RUNNING task is taken for lost (its worker died)."""
    return float(getattr(settings, "JOBS_STUCK_AFTER", 600))


@dataclass(frozen=True, slots=PY311, kw_only=True)
class ReliableTask(Task):
    max_attempts: int | None = None
    """Attempts before the task becomes a dead letter (None: JOBS_MAX_ATTEMPTS, 5)."""

    backoff: float | None = None
    """Delay before the 2nd attempt in seconds, doubled each time (None: JOBS_BACKOFF, 30)."""

    timeout: float | None = None
    """Seconds a run may take before the reaper re-queues it (None: JOBS_STUCK_AFTER, 600)."""

    @property
    def attempts_allowed(self) -> int:
        return self.max_attempts or default_max_attempts()

    def retry_delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: base · 2^(attempts-1),
        at most JOBS_BACKOFF_MAX (1 hour)."""
        base = self.backoff if self.backoff is not None else float(
            getattr(settings, "JOBS_BACKOFF", 30))
        cap = float(getattr(settings, "JOBS_BACKOFF_MAX", 3600))
        return min(base * 2 ** max(attempts - 1, 0), cap)


def reliable(
    function: Callable | None = None,
    *,
    max_attempts: int | None = None,
    backoff: float | None = None,
    timeout: float | None = None,
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: bool = False,
) -> Any:
    """Like django-tasks' ``@task``, with retries, reaping and dead letters. The function must
    be idempotent: it may run more than once (at least once delivery)."""

    def wrapper(f: Callable) -> ReliableTask:
        return ReliableTask(func=f, priority=priority, queue_name=queue_name, backend=backend,
                            takes_context=takes_context, run_after=None,
                            max_attempts=max_attempts, backoff=backoff, timeout=timeout)

    return wrapper(function) if function else wrapper


def policy_for(task_path: str) -> ReliableTask | None:
    """The reliable task behind a stored task path, or None for a plain task (or a path that
    no longer imports)."""
    try:
        task = import_string(task_path)
    except ImportError:
        return None
    return task if isinstance(task, ReliableTask) else None


def attempts_allowed(task_path: str) -> int:
    task = policy_for(task_path)
    return task.attempts_allowed if task else default_max_attempts()


def stuck_after(task_path: str) -> float:
    task = policy_for(task_path)
    return task.timeout if task and task.timeout else default_stuck_after()
