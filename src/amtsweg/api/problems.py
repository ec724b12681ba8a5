"""RFC 9457 problem details for every API error."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

PROBLEM_BASE = "https://amtsweg.example/problems/"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, kind: str = "") -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.kind = kind or {400: "bad-request", 404: "not-found", 429: "too-many-requests",
                             405: "method-not-allowed"}.get(status, "error")


def problem_response(request: HttpRequest | None, problem: Problem) -> JsonResponse:
    body = {
        "type": PROBLEM_BASE + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if request is not None:
        body["instance"] = request.path
    return JsonResponse(body, status=problem.status, content_type="application/problem+json",
                        json_dumps_params={"ensure_ascii": False})


def bad_request(detail: str) -> Problem:
    return Problem(400, _("Invalid request parameters"), detail, "invalid-parameter")


class ApiProblemMiddleware:
    """Every error answer under /api/ is problem+json, whoever made it (ninja's 405 for a
    method an address does not take is plain text; a view may return a bare error)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code < 400 or not request.path.startswith("/api/")
                or response.get("Content-Type", "").startswith("application/problem+json")):
            return response
        if response.status_code == 405:
            problem = Problem(405, _("Method not allowed"), _(
                "This address does not take %(method)s requests; it takes %(allowed)s.") % {
                    "method": request.method, "allowed": response.get("Allow", "")})
        else:
            problem = Problem(response.status_code, response.reason_phrase,
                              response.reason_phrase)
        replaced = problem_response(request, problem)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replaced[header] = response[header]
        return replaced
