import pytest
from django.test import Client, TestCase


class CommitClient(Client):
    """A test client whose requests run their on-commit callbacks (e-mails) as a real request
    outside the test's transaction would."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@pytest.fixture
def client():
    return CommitClient()
