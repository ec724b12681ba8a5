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

Within that allowance, a route that knows how large each of its files may be says so with
`limit_files()`: `PerFileLimitHandler`, the first of FILE_UPLOAD_HANDLERS, counts the bytes
of each file part as they arrive and drops a file the moment it passes its field's limit
(nothing more of it is spooled or kept; the rest of the part is read past, so the fields and
files after it still arrive). The view finds the dropped files in `refused_files(request)`
and answers with a sentence at the field.
"""

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
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


FieldLimit = Callable[[str], int | None]
FileLimits = Callable[[HttpRequest, dict], FieldLimit | None]


@dataclass(frozen=True)
class RouteFileLimits:
    key: str  # the URL's view name, "namespace:name"
    limits: FileLimits

    def is_enabled(self) -> bool:
        return True


file_limits: Registry[RouteFileLimits] = Registry("per-file upload limits")


def limit_files(view_name: str, limits: FileLimits) -> None:
    """Let the route named `view_name` limit each uploaded file while it streams in.

    `limits(request, url_kwargs)` runs once, when the first file part of a request starts,
    and returns a function from a file field's name to the most bytes one file of it may
    have (0: the field takes no files here; None: no limit of its own), or None when the
    request needs no per-file limit. A file above its limit is dropped as it arrives and
    listed in `refused_files(request)`: the view must say so, or the file silently vanishes.
    """
    file_limits.register(RouteFileLimits(view_name, limits))


@dataclass(frozen=True)
class RefusedFile:
    """A file dropped while it streamed in: it was larger than `limit` bytes."""

    field: str
    name: str
    limit: int


def refused_files(request: HttpRequest) -> list[RefusedFile]:
    """The files of this request dropped for being too large (after request.FILES was read)."""
    return list(getattr(request, "_refused_files", ()))


def _field_limit(request: HttpRequest) -> FieldLimit | None:
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    entry = file_limits.get(match.view_name)
    return entry.limits(request, match.kwargs) if entry is not None else None


class PerFileLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes each chunk of a file on to the handlers that
    keep it (memory, temporary file) until the file passes its field's limit, then drops
    it with SkipFile. Django then closes what the other handlers kept of it and reads past
    the rest of the part without keeping it, so the answers after it are not lost."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self._resolved = False
        self._limit_of: FieldLimit | None = None
        self._max: int | None = None
        self._received = 0

    def new_file(self, field_name, file_name, *args, **kwargs) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if not self._resolved:
            self._resolved = True
            self._limit_of = _field_limit(self.request) if self.request is not None else None
        limit = self._limit_of(field_name) if self._limit_of is not None else None
        self._max = max(int(limit), 0) if limit is not None else None
        self._received = 0
        # SkipFile is raised from receive_data_chunk only: raised here, before the other
        # handlers' new_file, Django would close the previous file they still hold.

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self._max is not None:
            self._received += len(raw_data)
            if self._received > self._max:
                refused = self.request.__dict__.setdefault("_refused_files", [])
                refused.append(RefusedFile(self.field_name, self.file_name, self._max))
                self._max = None
                raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


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
