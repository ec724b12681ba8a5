"""Fixed-window rate limit for the API and the OIDC endpoints, with RateLimit-* headers.

Counts live in the shared counters of `core.throttle` (Redis, the database, or on SQLite a file
of their own), so all web processes and nodes agree; the client is `core.clientip` (trusted
proxies only).

The endpoints that check a form definition or convert a FIM file need no login and may each
compile a definition's whole pattern budget (core/patterns.py); they have a second, tighter
limit of their own (CHECK_RATE_LIMIT per CHECK_RATE_WINDOW).
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from amtsweg.core import clientip, throttle

from .problems import Problem, problem_response

# Machine-facing endpoints: the REST API and the OpenID Connect endpoints.
LIMITED_PATHS = ("/api/", "/oidc/")
# Unauthenticated endpoints that compile patterns: the tighter limit on top.
COSTLY_PATHS = frozenset({"/api/v1/forms/check", "/api/v1/forms/fim"})


def _window(scope: str, request: HttpRequest, limit: int, window: int
            ) -> tuple[int, int]:
    """(requests used, seconds until the window ends) after counting this one."""
    now = int(time.time())
    window_start = now - now % window
    counter = throttle.key(scope, f"{clientip.client_key(request)}|{window_start}")
    return throttle.hit(counter, window + 1).used, window_start + window - now


def _too_many(request: HttpRequest, limit: int, window: int, reset: int) -> HttpResponse:
    response = problem_response(request, Problem(
        429, _("Too many requests"),
        _("The rate limit of %(limit)d requests per %(window)d seconds is used up; "
          "try again in %(reset)d seconds.") % {"limit": limit, "window": window,
                                                 "reset": reset}))
    response["Retry-After"] = str(reset)
    return response


class ApiRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(LIMITED_PATHS):
            return self.get_response(request)
        limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
        used, reset = _window("api", request, limit, window)
        if used > limit:
            response = _too_many(request, limit, window, reset)
        elif request.path.rstrip("/") in COSTLY_PATHS and request.method != "OPTIONS":
            strict, strict_window = settings.CHECK_RATE_LIMIT, settings.CHECK_RATE_WINDOW
            strict_used, strict_reset = _window("api-check", request, strict, strict_window)
            if strict_used > strict:
                response = _too_many(request, strict, strict_window, strict_reset)
            else:
                response = self.get_response(request)
            if strict - strict_used < limit - used:
                # the headers name the limit that binds here (second outside round: a 429 of
                # the tighter limit said 589 requests were left)
                limit, used, reset = strict, strict_used, strict_reset
        else:
            response = self.get_response(request)
        response["RateLimit-Limit"] = str(limit)
        response["RateLimit-Remaining"] = str(max(limit - used, 0))
        response["RateLimit-Reset"] = str(reset)
        return response
