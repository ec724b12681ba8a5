"""Tasks the jobs tests run in-process with the database backend."""

from amtsweg.jobs import reliable

CALLS: dict[str, int] = {}


@reliable(max_attempts=4, backoff=0)
def flaky(key: str, failures: int) -> int:
    """Fails ``failures`` times, then succeeds; returns the number of calls."""
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= failures:
        raise RuntimeError(f"failure {CALLS[key]} of {key}")
    return CALLS[key]


@reliable(max_attempts=3, backoff=60)
def always_fails(key: str) -> None:
    CALLS[key] = CALLS.get(key, 0) + 1
    raise ValueError(f"{key} is broken")


@reliable(timeout=5)
def quick() -> None:
    pass
