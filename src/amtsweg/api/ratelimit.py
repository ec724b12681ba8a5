"""Fixed-window rate limit for the API and the OIDC endpoints, with RateLimit-* headers.

Counts live in the shared counters of `core.throttle` (Redis or the database), so all web
processes and nodes agree; the client is `core.clientip` (trusted proxies only).
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


class ApiRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(LIMITED_PATHS):
            return self.get_response(request)
        limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
        now = int(time.time())
        window_start = now - now % window
        counter = throttle.key("api", f"{clientip.client_key(request)}|{window_start}")
        used = throttle.hit(counter, window + 1).used
        reset = window_start + window - now
        if used > limit:
            response = problem_response(request, Problem(
                429, _("Too many requests"),
                _("The rate limit of %(limit)d requests per %(window)d seconds is used up; "
                  "try again in %(reset)d seconds.") % {"limit": limit, "window": window,
                                                         "reset": reset}))
            response["Retry-After"] = str(reset)
        else:
            response = self.get_response(request)
        response["RateLimit-Limit"] = str(limit)
        response["RateLimit-Remaining"] = str(max(limit - used, 0))
        response["RateLimit-Reset"] = str(reset)
        return response
