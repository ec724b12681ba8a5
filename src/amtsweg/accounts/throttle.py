"""Login throttling per account and per client address, in the shared counters of
`core.throttle` (all web processes and nodes agree).

Failures are counted for the e-mail address typed, whether an account exists or not, so the
answer after the limit is the same for both.
"""

from django.conf import settings

from amtsweg.core import throttle


def _account(email: str) -> str:
    return throttle.key("login-account", email)


def _client(client: str) -> str:
    return throttle.key("login-client", client)


def is_blocked(email: str, client: str) -> bool:
    return (throttle.peek(_account(email)) >= settings.LOGIN_THROTTLE_PER_ACCOUNT
            or throttle.peek(_client(client)) >= settings.LOGIN_THROTTLE_PER_IP)


def record_failure(email: str, client: str) -> None:
    for counter in (_account(email), _client(client)):
        throttle.hit(counter, settings.LOGIN_THROTTLE_WINDOW)


def reset(email: str) -> None:
    throttle.clear(_account(email))
