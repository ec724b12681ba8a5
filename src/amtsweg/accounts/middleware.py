"""Idle and absolute session timeouts by trust level (Serviceportal guideline)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import TrustLevel

# level: (idle seconds, absolute seconds)
TIMEOUTS = {
    TrustLevel.BASIS: (60 * 60, 12 * 3600),
    TrustLevel.SUBSTANZIELL: (30 * 60, 2 * 3600),
    TrustLevel.HOCH: (5 * 60, 30 * 60),
}
SEEN_RESOLUTION = 30  # seconds: do not write the session on every request


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            session = request.session
            level = session.get("trust_level", TrustLevel.BASIS)
            idle, absolute = TIMEOUTS.get(level, TIMEOUTS[TrustLevel.BASIS])
            now = int(timezone.now().timestamp())
            auth_at = session.get("auth_at", 0)
            seen_at = session.get("seen_at", 0)
            if now - seen_at > idle or now - auth_at > absolute:
                logout(request)
                messages.info(request, _("You were logged out for your security after a time "
                                         "without activity. Please log in again."))
            elif now - seen_at >= SEEN_RESOLUTION:
                session["seen_at"] = now
        return self.get_response(request)



class StaffTwoFactorMiddleware:
    """Staff and admins must use two factors: until then, only the 2FA pages open."""

    ALLOWED = ("/konto/2fa/", "/konto/abmelden/", "/konto/anmelden/", "/static/", "/i18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and user.is_staff and not request.session.get("mfa")
                and not request.path.startswith(self.ALLOWED)):
            return redirect("accounts:totp_setup")
        return self.get_response(request)
