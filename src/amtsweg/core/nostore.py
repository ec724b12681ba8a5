"""No browser or proxy keeps a copy of an answer that may carry personal data (issue 11,
finding 12): a Bürgerbüro kiosk browser showed the Postfach again after logout.

Rather than each view remembering a header, this middleware decides for every answer, so a
new view is covered the moment it exists (tests/test_no_store_everywhere.py walks all
routes). An answer gets ``Cache-Control: no-store`` when

- its path lies under a prefix of personal pages (account, Postfach, applications, receipts,
  payments, staff pages, admin, the OpenID Connect endpoints, the Fachverfahren API), or
- the request carries credentials: a session (a logged-in person, or a guest's application
  in progress) or an ``Authorization`` header (API clients).

Public pages requested without a session keep their caching. ``no-store`` alone is the
whole instruction (RFC 9111); ``Pragma`` is a request header of HTTP/1.0 and means nothing in
an answer, so it is not sent.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PERSONAL_PREFIXES = (
    "/konto/", "/verwaltung/", "/beantragen/", "/antrag/", "/zahlung/", "/admin/", "/oidc/",
    "/api/v1/fachverfahren/",
)


def carries_personal_data(request: HttpRequest) -> bool:
    if request.path.startswith(PERSONAL_PREFIXES) or "HTTP_AUTHORIZATION" in request.META:
        return True
    session = getattr(request, "session", None)
    return session is not None and bool(session.session_key)


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if carries_personal_data(request) and "no-store" not in response.get("Cache-Control",
                                                                             ""):
            response["Cache-Control"] = "no-store"
        return response
