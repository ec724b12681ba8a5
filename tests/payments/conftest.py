from tests.accounts.conftest import client  # noqa: F401 - runs on_commit callbacks
from tests.submissions.conftest import allendorf, small_service, standesamt  # noqa: F401
