"""Reliable tasks: retried with backoff, attempts counted, set aside after the last one."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from amtsweg.jobs import ReliableTask, reliable
from amtsweg.jobs.engine import after_failure
from amtsweg.jobs.models import DeadLetter
from tests.jobs import tasks_for_tests as t

pytestmark = pytest.mark.django_db


def test_a_task_failing_twice_is_retried_and_ends_successful(db_tasks):
    result = t.flaky.enqueue("k1", 2)
    db_tasks()
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 3
    assert result.attempts == 3  # one worker id per claim, the same task id throughout
    assert t.CALLS["k1"] == 3
    assert DBTaskResult.objects.count() == 1
    assert not DeadLetter.objects.exists()
    row = DBTaskResult.objects.get()
    assert row.traceback == "" and row.exception_class_path == ""


def test_a_task_always_failing_ends_as_one_dead_letter_after_n_attempts(db_tasks):
    result = t.always_fails.enqueue("k2")
    delays = []
    for _ in range(5):  # more passes than attempts: nothing runs after the last one
        db_tasks()
        row = DBTaskResult.objects.get(pk=result.id)
        if row.status == TaskResultStatus.READY:
            delays.append(round((row.run_after - timezone.now()).total_seconds()))
            row.run_after = timezone.now()  # time passes
            row.save(update_fields=["run_after"])
    assert t.CALLS["k2"] == 3
    assert delays[0] in (59, 60) and delays[1] in (119, 120)  # exponential backoff
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.FAILED and len(row.worker_ids) == 3
    letter = DeadLetter.objects.get()
    assert str(letter.task_id) == result.id
    assert letter.task_path == "tests.jobs.tasks_for_tests.always_fails"
    assert letter.args_kwargs == {"args": ["k2"], "kwargs": {}}
    assert letter.attempts == 3 and letter.reason == "failed" and letter.is_open
    assert letter.exception_class_path == "builtins.ValueError"
    assert "k2 is broken" in letter.traceback
    # Handling the same failure again (a second signal, the reaper) changes nothing.
    assert after_failure(result.id) is None
    assert DeadLetter.objects.count() == 1


def test_plain_tasks_are_not_retried(db_tasks):
    from amtsweg.core.mail import send_email

    result = send_email.enqueue("x@example.org", "S", "B")
    DBTaskResult.objects.filter(pk=result.id).update(status=TaskResultStatus.FAILED,
                                                     worker_ids=["w"])
    assert after_failure(result.id) is None
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.FAILED


def test_reliable_is_a_django_task_with_a_policy(settings):
    assert isinstance(t.flaky, ReliableTask)
    assert t.flaky.attempts_allowed == 4
    settings.JOBS_MAX_ATTEMPTS = 7
    assert reliable(t.flaky.func).attempts_allowed == 7
    task = reliable(max_attempts=9, backoff=10)(t.flaky.func)
    assert [task.retry_delay(n) for n in (1, 2, 3)] == [10, 20, 40]
    settings.JOBS_BACKOFF_MAX = 30
    assert task.retry_delay(10) == 30
    assert t.flaky.using(priority=5).max_attempts == 4  # the policy survives using()


def test_the_immediate_backend_still_runs_reliable_tasks_at_once():
    assert t.flaky.enqueue("k3", 0).return_value == 1


def test_a_dropped_reschedule_is_caught_up_by_the_reaper(db_tasks):
    from amtsweg.jobs.engine import reap

    result = t.always_fails.enqueue("k4")
    # The worker stored FAILED and died before rescheduling: no signal handler ran.
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.FAILED, worker_ids=["w1"],
        finished_at=timezone.now() - timedelta(minutes=5))
    report = reap()
    assert report.rescheduled == [result.id]
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
