from tests.accounts.conftest import client  # noqa: F401 - same client as the account tests
