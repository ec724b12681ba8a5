import os

from django.contrib import admin
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from amtsweg.accounts import views_oidc
from amtsweg.accounts.views import admin_login
from amtsweg.api.problems import Problem, problem_response
from amtsweg.api.views import api, jwks_view, routing_api

urlpatterns = [
    path("", include("amtsweg.portal.urls")),
    path("", include("amtsweg.submissions.urls")),
    path("antrag/vorgang/", include("amtsweg.cases.portal_urls")),
    path("zahlung/", include("amtsweg.payments.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("konto/", include("amtsweg.accounts.urls")),
    path("konto/postfach/", include("amtsweg.mailbox.urls")),
    path("verwaltung/audit/", include("amtsweg.audit.urls")),
    path("verwaltung/jobs/", include("amtsweg.jobs.urls")),
    path("verwaltung/personal/", include("amtsweg.accounts.staff_urls")),
    path("verwaltung/faelle/", include("amtsweg.cases.urls")),
    path("verwaltung/ikz/", include("amtsweg.ikz.staff_urls")),
    path("verwaltung/foerderung/", include("amtsweg.funding.staff_urls")),
    path("verwaltung/dashboard/", include("amtsweg.dashboard.staff_urls")),
    path("verwaltung/dienste/", include("amtsweg.cases.design_urls")),
    path("verwaltung/", include("amtsweg.services.urls")),
    path("ikz/", include("amtsweg.ikz.urls")),
    path("bibliothek/", include("amtsweg.ikz.library_urls")),
    path("foerderung/", include("amtsweg.funding.urls")),
    path("dashboard/", include("amtsweg.dashboard.urls")),
    path("api/v1/", api.urls),
    path("api/routing/v1/", routing_api.urls),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path(".well-known/openid-configuration", views_oidc.discovery, name="oidc_discovery"),
    path("oidc/authorize", views_oidc.authorize, name="oidc_authorize"),
    path("oidc/token", views_oidc.token, name="oidc_token"),
    path("oidc/userinfo", views_oidc.userinfo, name="oidc_userinfo"),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]

if os.environ.get("AMTSWEG_BENCH_VIEWS") == "1":
    # Benchmark only: bench/submissions_bench.py starts its server with AMTSWEG_BENCH_VIEWS=1
    # to compare the full submit with a bare view that seals and inserts the same payload.
    # Never set in production: without it the view (which is CSRF-exempt) does not exist.
    from amtsweg.submissions import bench_views

    urlpatterns.append(path("__bench__/bare-submit/", bench_views.bare_submit))


TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Bad requests Django refuses itself (SuspiciousOperation), among them bodies above a
    limit (core.bodylimit and DATA_UPLOAD_*): 413 for those, 400 otherwise; never a bare
    page."""
    if isinstance(exception, TOO_LARGE):
        limit = getattr(exception, "limit", None)
        if request.path.startswith("/api/"):
            detail = (_("The request body is larger than the %(size)s this address accepts.")
                      % {"size": filesizeformat(limit)} if limit else
                      _("The request is larger than this address accepts."))
            return problem_response(request, Problem(413, _("Request too large"), detail,
                                                     "request-too-large"))
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()},
                                               require_https=request.is_secure()):
            back = ""
        return render(request, "413.html", {"limit": limit, "back": back}, status=413)
    if request.path.startswith("/api/"):
        return problem_response(request, Problem(
            400, _("Bad request"), _("The request could not be read.")))
    return render(request, "400.html", status=400)


def _back(request: HttpRequest) -> str:
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()},
                                           require_https=request.is_secure()):
        return ""
    return back


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A German (or English) page with a way on, never Django's bare "403 Forbidden"."""
    if request.path.startswith("/api/"):
        return problem_response(request, Problem(
            403, _("Forbidden"), _("These credentials may not use this resource.")))
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: what happened and that nothing saved is lost, with a way back."""
    if request.path.startswith("/api/"):
        return problem_response(request, Problem(
            403, _("Forbidden"), _("The request carries no valid CSRF token.")))
    return render(request, "403_csrf.html", {"back": _back(request)}, status=403)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, Problem(
            404, _("Not found"), _("There is no API resource at this address.")))
    return render(request, "404.html", status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, Problem(
            500, _("Internal error"), _("The request failed on our side; try again later.")))
    return render(request, "500.html", status=500)
