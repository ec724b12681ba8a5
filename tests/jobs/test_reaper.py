"""The reaper: RUNNING rows whose worker died go back to the queue; fresh ones stay."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from amtsweg.jobs.engine import reap
from amtsweg.jobs.models import DeadLetter
from tests.jobs import tasks_for_tests as t

pytestmark = pytest.mark.django_db


def running(task, *args, seconds_ago: float, workers: int = 1) -> str:
    result = task.enqueue(*args)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=[f"dead{n}" for n in range(workers)],
        started_at=timezone.now() - timedelta(seconds=seconds_ago))
    return result.id


def test_requeues_running_rows_older_than_the_timeout_and_leaves_fresh_ones(db_tasks, settings):
    settings.JOBS_STUCK_AFTER = 600
    old = running(t.flaky, "old", 0, seconds_ago=601)
    fresh = running(t.flaky, "fresh", 0, seconds_ago=30)
    report = reap()
    assert report.requeued == [old] and not report.dead
    row = DBTaskResult.objects.get(pk=old)
    assert row.status == TaskResultStatus.READY
    assert row.started_at is None and row.run_after <= timezone.now()
    assert row.worker_ids == ["dead0"]  # the lost run counts as an attempt
    assert DBTaskResult.objects.get(pk=fresh).status == TaskResultStatus.RUNNING
    # The re-queued task runs and succeeds, with the attempt of the dead worker counted.
    db_tasks()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and len(row.worker_ids) == 2
    assert DBTaskResult.objects.get(pk=fresh).status == TaskResultStatus.RUNNING


def test_a_task_timeout_overrides_the_default(db_tasks, settings):
    settings.JOBS_STUCK_AFTER = 600
    short = running(t.quick, seconds_ago=10)  # quick has timeout=5
    assert reap().requeued == [short]


def test_older_than_from_the_command(db_tasks, capsys):
    a = running(t.flaky, "a", 0, seconds_ago=20)
    b = running(t.flaky, "b", 0, seconds_ago=2)
    call_command("jobs_reap", older_than=10)
    assert "1 re-queued" in capsys.readouterr().out
    assert DBTaskResult.objects.get(pk=a).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=b).status == TaskResultStatus.RUNNING


def test_a_task_requeued_too_often_becomes_a_dead_letter(db_tasks):
    lost = running(t.flaky, "lost", 0, seconds_ago=3600, workers=4)  # flaky: 4 attempts
    report = reap()
    assert report.dead == [lost] and not report.requeued
    row = DBTaskResult.objects.get(pk=lost)
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "amtsweg.jobs.reliable.WorkerLost"
    assert row.task_result.errors[0].exception_class.__name__ == "WorkerLost"
    letter = DeadLetter.objects.get(task_id=lost)
    assert letter.reason == "worker_lost" and letter.attempts == 4
    assert reap().dead == []  # once


def test_plain_tasks_are_reaped_too(db_tasks):
    from amtsweg.core.mail import send_email

    lost = running(send_email, "x@example.org", "S", "B", seconds_ago=3600)
    assert reap().requeued == [lost]
