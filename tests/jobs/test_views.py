"""/verwaltung/jobs/: superusers see counts, dead letters, failed and stuck tasks and retry."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from amtsweg.accounts.models import User
from amtsweg.jobs.models import DeadLetter
from tests.jobs import tasks_for_tests as t

pytestmark = pytest.mark.django_db
URL = "/verwaltung/jobs/"


def client_for(user: User, **kwargs) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **kwargs)
    client.force_login(user)
    session = client.session
    session["mfa"] = True
    session.save()
    return client


@pytest.fixture
def superuser() -> User:
    return User.objects.create_user("root@amt.example", "Sehr-geheim-2026", is_staff=True,
                                    is_superuser=True)


@pytest.fixture
def dead_letter(db_tasks) -> DeadLetter:
    result = t.always_fails.enqueue("view")
    for _ in range(3):
        db_tasks()
        DBTaskResult.objects.filter(pk=result.id).update(run_after=timezone.now())
    return DeadLetter.objects.get(task_id=result.id)


def test_superuser_sees_counts_and_dead_letters_and_retries(superuser, dead_letter, db_tasks):
    failed = t.flaky.enqueue("plain-failed", 0)
    DBTaskResult.objects.filter(pk=failed.id).update(status=TaskResultStatus.FAILED,
                                                     finished_at=timezone.now())
    stuck = t.flaky.enqueue("stuck", 0)
    DBTaskResult.objects.filter(pk=stuck.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2),
        worker_ids=["gone"])
    client = client_for(superuser)
    page = client.get(URL).content.decode()
    assert "Background jobs" in page and "Dead letters" in page
    assert str(dead_letter.task_id) in page and "always_fails" in page
    assert "view is broken" in page
    assert failed.id in page and stuck.id in page
    assert 'data-count="dead">1<' in page and 'data-count="failed">1<' in page
    assert 'data-count="stuck">1<' in page

    response = client.post(f"{URL}{dead_letter.task_id}/retry/", follow=True)
    assert "The task was queued again." in response.content.decode()
    row = DBTaskResult.objects.get(pk=dead_letter.task_id)
    assert row.status == TaskResultStatus.READY and row.worker_ids == []  # a fresh budget
    dead_letter.refresh_from_db()
    assert not dead_letter.is_open and dead_letter.retried_by == superuser
    assert dead_letter.times_retried == 1
    # It runs again (and here fails 3 more times, reopening its one dead letter).
    for _ in range(3):
        db_tasks()
        DBTaskResult.objects.filter(pk=row.pk, status="READY").update(run_after=timezone.now())
    assert t.CALLS["view"] == 6
    assert DeadLetter.objects.filter(task_id=row.pk).count() == 1
    dead_letter.refresh_from_db()
    assert dead_letter.is_open

    client.post(f"{URL}{stuck.id}/retry/")
    assert DBTaskResult.objects.get(pk=stuck.id).status == TaskResultStatus.READY
    response = client.post(f"{URL}{stuck.id}/retry/", follow=True)  # twice: nothing to do
    assert "nothing was queued" in response.content.decode()


def test_retry_of_a_pruned_task_enqueues_it_again(superuser, dead_letter, db_tasks):
    DBTaskResult.objects.filter(pk=dead_letter.task_id).delete()
    client_for(superuser).post(f"{URL}{dead_letter.task_id}/retry/")
    row = DBTaskResult.objects.get()
    assert row.task_path == dead_letter.task_path and row.args_kwargs == dead_letter.args_kwargs
    assert row.status == TaskResultStatus.READY
    dead_letter.refresh_from_db()
    assert not dead_letter.is_open


def test_staff_without_superuser_get_403(dead_letter):
    staff = User.objects.create_user("staff@amt.example", "Sehr-geheim-2026", is_staff=True)
    client = client_for(staff)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}{dead_letter.task_id}/retry/").status_code == 403
    assert DeadLetter.objects.get().is_open
    # A superuser flag without staff is not enough either.
    odd = User.objects.create_user("odd@amt.example", "Sehr-geheim-2026", is_superuser=True)
    assert client_for(odd).get(URL).status_code == 403


def test_anonymous_go_to_login_and_staff_without_2fa_to_setup(superuser):
    response = Client().get(URL)
    assert response.status_code == 302 and "/konto/" in response["Location"]
    client = Client()
    client.force_login(superuser)
    assert client.get(URL).status_code == 302  # two factors first


def test_retry_needs_a_csrf_token(superuser, dead_letter):
    client = client_for(superuser, enforce_csrf_checks=True)
    assert client.post(f"{URL}{dead_letter.task_id}/retry/").status_code == 403
    assert DeadLetter.objects.get().is_open
    page = client.get(URL)
    token = page.cookies["csrftoken"].value
    response = client.post(f"{URL}{dead_letter.task_id}/retry/",
                           {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not DeadLetter.objects.get().is_open


def test_retry_is_post_only(superuser, dead_letter):
    assert client_for(superuser).get(f"{URL}{dead_letter.task_id}/retry/").status_code == 405
