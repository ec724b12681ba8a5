"""Endpoints of the OpenID Connect provider."""

import base64
import binascii
from urllib.parse import urlencode as urlencode_query

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import oidc, profile

PENDING = "oidc_pending"


def discovery(request: HttpRequest) -> JsonResponse:
    return JsonResponse(oidc.discovery())


def _back(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    separator = "&" if "?" in redirect_uri else "?"
    response = HttpResponseRedirect(redirect_uri + separator + urlencode_query(
        {k: v for k, v in params.items() if v}))
    return response


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        try:
            client, data = oidc.validate_request(request.GET.dict())
        except oidc.OidcError as exc:
            return render(request, "accounts/message.html", {
                "heading": _("This login request is not valid"),
                "text": exc.description}, status=400)
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?"
                            f"{urlencode({'next': request.get_full_path()})}")
        if not profile.has_level(request, data["acr"]):
            return redirect(f"{reverse('accounts:step_up')}?"
                            f"{urlencode({'level': data['acr'], 'next': request.get_full_path()})}")
        request.session[PENDING] = {"client_id": client.client_id, **data}
        return render(request, "accounts/oidc_consent.html", {
            "client": client, "scopes": data["scope"].split()})
    pending = request.session.pop(PENDING, None)
    if not pending or not request.user.is_authenticated:
        return render(request, "accounts/message.html", {
            "heading": _("This login request is not valid"),
            "text": _("Please start the login at the service again.")}, status=400)
    client, data = oidc.validate_request({
        **pending, "response_type": "code", "code_challenge_method": "S256",
        "acr_values": pending["acr"]})
    if request.POST.get("decision") != "allow":
        return _back(data["redirect_uri"], error="access_denied", state=data["state"])
    code = oidc.issue_code(client, request.user, data, profile.session_level(request),
                           request.session.get("auth_at", int(timezone.now().timestamp())))
    return _back(data["redirect_uri"], code=code, state=data["state"])


def _error(exc: oidc.OidcError, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": exc.error, "error_description": exc.description},
                            status=401 if exc.error in {"invalid_client", "invalid_token"}
                            else status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # called by the relying party's server, authenticated by client credentials
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    client_id, secret = request.POST.get("client_id", ""), request.POST.get("client_secret")
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            client_id, _sep, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _error(oidc.OidcError("invalid_client", "Malformed Basic credentials."))
    if request.POST.get("grant_type") != "authorization_code":
        return _error(oidc.OidcError("unsupported_grant_type",
                                     "Only authorization_code is supported."))
    try:
        result = oidc.exchange(client_id=client_id, client_secret=secret,
                               code=request.POST.get("code", ""),
                               redirect_uri=request.POST.get("redirect_uri", ""),
                               code_verifier=request.POST.get("code_verifier", ""))
    except oidc.OidcError as exc:
        return _error(exc)
    response = JsonResponse(result)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # bearer token, no cookie
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> JsonResponse:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        response = _error(oidc.OidcError("invalid_token", "A Bearer token is required."))
    else:
        try:
            response = JsonResponse(oidc.userinfo(auth[7:].strip()))
        except oidc.OidcError as exc:
            response = _error(exc)
    if response.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
