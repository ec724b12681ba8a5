import pytest

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_tasks(settings, monkeypatch):
    """The database task backend (the other tests run tasks at once), and a function that
    works off the ready tasks in-process with django_tasks_db's own Worker."""
    from django_tasks_db.management.commands import db_worker

    from tests.jobs import tasks_for_tests

    settings.TASKS = DB_TASKS
    tasks_for_tests.CALLS.clear()
    # The worker closes "old" connections between tasks; in a test's transaction it must not.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def work_off(worker_id: str = "test-worker") -> None:
        db_worker.Worker(queue_names=["default"], interval=0, batch=True,
                         backend_name="default", startup_delay=False, max_tasks=100,
                         worker_id=worker_id, excluded_queue_names=[]).run()

    return work_off
