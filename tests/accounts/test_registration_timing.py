"""Issue 11, finding 5: registering an address that has an account costs what registering a
new one costs: the password is hashed on both ways, and both mails go to the worker."""

from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django_tasks import default_task_backend

from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import register, registered_user

pytestmark = pytest.mark.django_db


def hashes_and_tasks(email: str) -> tuple[int, list[str]]:
    """Register `email` with a worker that only queues: count password hashes, and list the
    tasks queued; no mail may leave inside the request."""
    mail.outbox.clear()
    default_task_backend.clear()
    hashed = []
    encode = Argon2PasswordHasher.encode

    def counting(self, password, salt):
        hashed.append(1)
        return encode(self, password, salt)

    with mock.patch.object(Argon2PasswordHasher, "encode", counting):
        assert register(Client(), email).status_code == 302
    assert not mail.outbox  # nothing sent inline
    return len(hashed), [r.task.name for r in default_task_backend.results]


def test_both_ways_hash_once_and_queue_one_mail(client, settings):
    registered_user(client, "da@example.org")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend",
                                  "QUEUES": ["default"]}}
    assert hashes_and_tasks("da@example.org") == (1, ["send_email"])
    assert hashes_and_tasks("neu@example.org") == (1, ["send_email"])
