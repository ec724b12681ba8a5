import pytest

from amtsweg.territory.models import Authority
from tests.accounts.conftest import client  # noqa: F401 - runs on_commit callbacks
from tests.submissions.conftest import make_small_service


@pytest.fixture
def standesamt():
    return Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def adoption(standesamt):
    return make_small_service(standesamt)
