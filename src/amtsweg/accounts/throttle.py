"""Login throttling per account and per client address, in the cache (Redis at scale).

Failures are counted for the e-mail address typed, whether an account exists or not, so the
answer after the limit is the same for both.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:{kind}:{digest}"


def _window() -> int:
    return settings.LOGIN_THROTTLE_WINDOW


def is_blocked(email: str, ip: str) -> bool:
    return (cache.get(_key("account", email), 0) >= settings.LOGIN_THROTTLE_PER_ACCOUNT
            or cache.get(_key("ip", ip), 0) >= settings.LOGIN_THROTTLE_PER_IP)


def record_failure(email: str, ip: str) -> None:
    for key in (_key("account", email), _key("ip", ip)):
        if not cache.add(key, 1, timeout=_window()):
            try:
                cache.incr(key)
            except ValueError:
                cache.add(key, 1, timeout=_window())


def reset(email: str) -> None:
    cache.delete(_key("account", email))


def now() -> float:
    return time.time()
