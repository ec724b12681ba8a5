"""What makes tasks reliable: retry after failure, reap lost runs, set aside dead letters,
retry by hand. Everything works on django_tasks_db's ``DBTaskResult`` rows and changes a row
only with a conditional, row-locked update, so that several workers, reapers and admins may
act at the same time without running a task twice on purpose.

Row states (django_tasks_db): READY → (claim) RUNNING → SUCCESSFUL | FAILED.
- FAILED, reliable, attempts left  → READY, run_after = now + backoff   (:func:`after_failure`)
- FAILED, reliable, no attempts left → stays FAILED + open DeadLetter
- RUNNING longer than the timeout (worker died) → READY at once, or FAILED + DeadLetter
  (reason worker_lost) when the attempts are used up                       (:func:`reap`)
- FAILED / stuck / dead letter, by a superuser → READY with a fresh attempt budget (:func:`retry`)
The task id never changes, so receivers dedupe by it.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import DeadLetter
from .reliable import WorkerLost, attempts_allowed, policy_for, stuck_after

logger = logging.getLogger("amtsweg.jobs")

READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
FAILED, SUCCESSFUL = TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL


def on_task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """django-tasks' ``task_finished`` signal, sent by the worker after it stored the outcome.
    Never raises: an exception here would end the worker."""
    if task_result.status != FAILED or not hasattr(task_result, "db_result"):
        return  # success, or not the database backend (the immediate backend in tests)
    try:
        after_failure(task_result.id)
    except Exception:
        logger.exception("jobs: could not reschedule failed task %s", task_result.id)


def _locked(task_id: Any, **filters: Any) -> DBTaskResult | None:
    return (DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(pk=task_id, **filters).first())


def _open_dead_letter_ids():
    return DeadLetter.objects.filter(retried_at__isnull=True).values("task_id")


def after_failure(task_id: Any) -> str | None:
    """Retry a failed reliable task later, or set it aside after its last attempt.
    Returns "retry", "dead" or None (plain task, or nothing to do)."""
    with transaction.atomic():
        row = _locked(task_id, status=FAILED)
        if row is None or DeadLetter.objects.filter(task_id=row.pk,
                                                    retried_at__isnull=True).exists():
            return None
        task = policy_for(row.task_path)
        if task is None:
            return None  # plain tasks stay FAILED and are shown to admins
        attempts = len(row.worker_ids)
        if attempts >= task.attempts_allowed:
            _set_aside(row, DeadLetter.Reason.FAILED)
            logger.error("jobs: task %s (%s) set aside after %d attempts",
                         row.pk, row.task_path, attempts)
            return "dead"
        delay = task.retry_delay(attempts)
        _requeue(row, run_after=timezone.now() + timedelta(seconds=delay))
        logger.warning("jobs: task %s (%s) failed (attempt %d of %d), retry in %ss",
                       row.pk, row.task_path, attempts, task.attempts_allowed, delay)
        return "retry"


def _requeue(row: DBTaskResult, *, run_after=None, fresh: bool = False) -> None:
    """Back to READY. The last error stays in the row until the task succeeds."""
    row.status = READY
    row.started_at = None
    row.finished_at = None
    row.run_after = run_after or timezone.now()
    fields = ["status", "started_at", "finished_at", "run_after"]
    if fresh:
        row.worker_ids = []
        fields.append("worker_ids")
    row.save(update_fields=fields)


def _set_aside(row: DBTaskResult, reason: str) -> DeadLetter:
    now = timezone.now()
    if row.status != FAILED:
        row.status = FAILED
        row.finished_at = now
        row.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
        row.traceback = (f"WorkerLost: the worker running this task since {row.started_at:%c} "
                         f"stopped without finishing it (killed, crashed or restarted).\n")
        row.return_value = None
        row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback",
                                "return_value"])
    letter, _ = DeadLetter.objects.update_or_create(task_id=row.pk, defaults={
        "task_path": row.task_path, "queue_name": row.queue_name, "priority": row.priority,
        "backend_name": row.backend_name, "args_kwargs": row.args_kwargs,
        "attempts": len(row.worker_ids), "reason": reason,
        "exception_class_path": row.exception_class_path, "traceback": row.traceback,
        "enqueued_at": row.enqueued_at, "created_at": now, "retried_at": None,
        "retried_by": None})
    return letter


@dataclass
class ReapReport:
    requeued: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{len(self.requeued)} re-queued, {len(self.dead)} set aside, "
                f"{len(self.rescheduled)} failed reliable tasks rescheduled")


def reap(older_than: float | None = None) -> ReapReport:
    """Re-queue RUNNING tasks whose worker is gone: started more than ``older_than`` seconds
    ago (default: the task's ``timeout``, else JOBS_STUCK_AFTER). A run counts as an attempt;
    a task out of attempts becomes a dead letter. Also reschedules failed reliable tasks whose
    worker died between storing the failure and rescheduling it. Safe to run concurrently."""
    now = timezone.now()
    report = ReapReport()
    running = DBTaskResult.objects.running()
    if older_than is not None:
        running = running.filter(started_at__lt=now - timedelta(seconds=older_than))
    # RUNNING rows are few (at most one per live worker, plus the lost ones).
    for task_id, path, started_at in running.values_list("pk", "task_path", "started_at"):
        limit = older_than if older_than is not None else stuck_after(path)
        if started_at is None or started_at >= now - timedelta(seconds=limit):
            continue
        with transaction.atomic():
            row = _locked(task_id, status=RUNNING, started_at=started_at)
            if row is None:
                continue  # finished or taken care of meanwhile
            if len(row.worker_ids) >= attempts_allowed(row.task_path):
                _set_aside(row, DeadLetter.Reason.WORKER_LOST)
                report.dead.append(str(row.pk))
                logger.error("jobs: task %s (%s) lost its worker %d times, set aside",
                             row.pk, row.task_path, len(row.worker_ids))
            else:
                _requeue(row)
                report.requeued.append(str(row.pk))
                logger.warning("jobs: task %s (%s) lost its worker, re-queued",
                               row.pk, row.task_path)
    # A reliable task stored FAILED but never rescheduled (its worker died right after).
    failed = (DBTaskResult.objects.failed()
              .filter(finished_at__lt=now - timedelta(seconds=60))
              .exclude(pk__in=_open_dead_letter_ids()))
    paths = [p for p in failed.values_list("task_path", flat=True).distinct()
             if policy_for(p) is not None]
    for task_id in failed.filter(task_path__in=paths).values_list("pk", flat=True)[:500]:
        if after_failure(task_id):
            report.rescheduled.append(str(task_id))
    return report


def retry(task_id: Any, user: Any = None) -> bool:
    """Run a failed, stuck or dead-lettered task again (a superuser's decision), with a fresh
    attempt budget; its dead letter is marked retried. False when there was nothing to retry
    (the task is queued, running normally or done)."""
    now = timezone.now()
    with transaction.atomic():
        letter = (DeadLetter.objects.select_for_update()
                  .filter(task_id=task_id, retried_at__isnull=True).first())
        row = _locked(task_id)
        if row is not None:
            stuck = (row.status == RUNNING and row.started_at is not None
                     and row.started_at < now - timedelta(seconds=stuck_after(row.task_path)))
            if row.status != FAILED and not stuck:
                return False
            _requeue(row, fresh=True)
        elif letter is not None:
            # The result row was pruned: enqueue the stored call again (a new task id; the
            # arguments carry the ids receivers dedupe by).
            from django.utils.module_loading import import_string

            task = import_string(letter.task_path).using(
                queue_name=letter.queue_name, priority=letter.priority,
                backend=letter.backend_name)
            task.enqueue(*letter.args_kwargs.get("args", []),
                         **letter.args_kwargs.get("kwargs", {}))
        else:
            return False
        if letter is not None:
            letter.retried_at = now
            letter.retried_by = user if user is not None and user.is_authenticated else None
            letter.times_retried += 1
            letter.save(update_fields=["retried_at", "retried_by", "times_retried"])
    logger.warning("jobs: task %s retried by %s", task_id, getattr(user, "pk", None))
    return True


def counts() -> dict[str, int]:
    by_status = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("pk"))
                     .values_list("status", "n"))
    return {
        "queued": by_status.get(READY, 0),
        "running": by_status.get(RUNNING, 0),
        "stuck": len(stuck_tasks(limit=1000)),
        "failed": DBTaskResult.objects.failed().exclude(pk__in=_open_dead_letter_ids()).count(),
        "dead": DeadLetter.objects.filter(retried_at__isnull=True).count(),
        "successful": by_status.get(SUCCESSFUL, 0),
    }


def stuck_tasks(limit: int = 50) -> list[DBTaskResult]:
    now = timezone.now()
    rows = DBTaskResult.objects.running().order_by("started_at")[:limit * 4]
    return [r for r in rows if r.started_at
            and r.started_at < now - timedelta(seconds=stuck_after(r.task_path))][:limit]


def failed_tasks(limit: int = 50):
    return (DBTaskResult.objects.failed().exclude(pk__in=_open_dead_letter_ids())
            .order_by("-finished_at")[:limit])


def dead_letters(limit: int = 50):
    return DeadLetter.objects.filter(retried_at__isnull=True).order_by("-created_at")[:limit]
