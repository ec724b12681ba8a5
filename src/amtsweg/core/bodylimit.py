"""Request body limits, enforced before anything reads the body.

granian has no body limit and Django caps only the non-file part of a body
(DATA_UPLOAD_MAX_MEMORY_SIZE): a multipart upload of any size was spooled to disk and then
read by the view before its own size check. Here every route gets REQUEST_BODY_LIMIT, and a
route that takes files or a JSON document allows more with `allow()` (a number, or a function
of the request for limits that depend on data, like the files of an application step); no
route goes above REQUEST_BODY_MAX. A declared Content-Length above the route's limit is
refused at once; a chunked body without Content-Length is read into a spool file only up to
the limit. The refusal is the URL configuration's handler400 given a RequestTooLarge, the same
answer Django's own limits (DATA_UPLOAD_MAX_*) get there: 413, problem+json under /api/, a
page with a sentence for people.
"""

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver, resolve

from .registry import Registry

CHUNK = 64 * 1024
logger = logging.getLogger(__name__)

Allowance = int | Callable[[HttpRequest, dict], int]


class RequestTooLarge(RequestDataTooBig):
    """The body is larger than the route accepts; `limit` in bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class RouteAllowance:
    key: str  # the URL's view name, "namespace:name"
    allowance: Allowance

    def is_enabled(self) -> bool:
        return True


allowances: Registry[RouteAllowance] = Registry("request body allowances")


def allow(view_name: str, extra: Allowance) -> None:
    """Let the route named `view_name` take `extra` bytes on top of REQUEST_BODY_LIMIT (the
    form fields around the files). A function gets the request and the URL's kwargs; it runs
    only for bodies larger than REQUEST_BODY_LIMIT, before the view."""
    allowances.register(RouteAllowance(view_name, extra))


def limit_for(request: HttpRequest) -> int:
    """The most bytes this request's route accepts."""
    base = settings.REQUEST_BODY_LIMIT
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return base
    entry = allowances.get(match.view_name)
    if entry is None:
        return base
    extra = (entry.allowance(request, match.kwargs) if callable(entry.allowance)
             else entry.allowance)
    return min(base + max(extra, 0), max(settings.REQUEST_BODY_MAX, base))


def _declared_length(request: HttpRequest) -> int | None:
    value = request.META.get("CONTENT_LENGTH")
    if value in (None, ""):
        return None
    try:
        return max(int(value), 0)
    except ValueError:
        return 0  # Django reads nothing of a body whose length it cannot read


def _chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


class RequestBodyLimitMiddleware:
    """No middleware listed before it may read request.POST, FILES or body in its __call__
    (process_view hooks, like CsrfViewMiddleware's, run after every __call__)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        if length is not None:
            # The common case costs nothing: only bodies above the default look up the route.
            if length > settings.REQUEST_BODY_LIMIT:
                limit = limit_for(request)
                if length > limit:
                    return self._refuse(request, limit, f"Content-Length {length}")
            return self.get_response(request)
        if not _chunked(request):
            return self.get_response(request)
        limit = limit_for(request)
        spool = self._spool(request, limit)
        if spool is None:
            return self._refuse(request, limit, "chunked body")
        try:
            return self.get_response(request)
        finally:
            spool.close()

    @staticmethod
    def _refuse(request: HttpRequest, limit: int, what: str) -> HttpResponse:
        # A warning, not the error with traceback Django logs for a raised SuspiciousOperation.
        logger.warning("Refused %s %s: %s above the limit of %d bytes", request.method,
                       request.path, what, limit)
        handler = get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(400)
        return handler(request, RequestTooLarge(limit))

    @staticmethod
    def _spool(request: HttpRequest, limit: int):
        """Read a chunked body (no Content-Length, which Django would take as empty) up to
        the limit into memory or a temporary file, and hand it to Django with its length;
        None when the body is larger."""
        source = request.META["wsgi.input"]
        spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        size = 0
        while chunk := source.read(min(CHUNK, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                spool.close()
                return None
            spool.write(chunk)
        spool.seek(0)
        request.META["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(spool, size)
        return spool
