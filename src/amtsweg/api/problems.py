"""RFC 9457 problem details for every API error."""

from django.http import HttpRequest, JsonResponse
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
