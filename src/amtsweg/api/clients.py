"""API clients of Fachverfahren: creating and revoking them, and the bearer authentication
of their requests.

A token is `aw_` + 43 URL-safe characters (32 random bytes); only its SHA-256 is stored, so a
leaked database gives no usable token. The webhook secret is sealed with the field key
(core.crypto) because it must be read to sign.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from amtsweg.audit import actions as audit
from amtsweg.core import crypto, outbound, tenantcrypto
from amtsweg.territory.models import Authority

from .models import ALL_SCOPES, ApiClient, webhook_secret_context
from .problems import Problem

TOKEN_PREFIX = "aw_"  # noqa: S105 - a prefix, not a secret
# last_used_at is written at most this often per client, not at every request.
TOUCH_EVERY = timedelta(minutes=1)


class ClientError(ValueError):
    """A refused change of an API client, as a sentence."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def webhook_secret(client: ApiClient) -> str:
    if not client.webhook_secret:
        return ""
    return crypto.decrypt(client.webhook_secret, webhook_secret_context(client.pk))


def actor(client: ApiClient) -> str:
    """The audit actor of a client's changes."""
    return f"api:{client.pk}"


def check_webhook_url(url: str) -> str:
    """The normalised URL (scheme and host in lower case), or ClientError with a sentence:
    https only (FIT-Connect requires it), to a public address (core.outbound, which checks
    the address again at every delivery)."""
    try:
        return outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise ClientError(str(exc)) from None


@dataclass(frozen=True)
class Created:
    client: ApiClient
    token: str
    webhook_secret: str


def create(*, authority: Authority, name: str, webhook_url: str = "",
           scopes: list[str] | None = None, by: str = "system") -> Created:
    """A new client; the token (and the webhook secret) are returned once and never
    stored in plaintext."""
    scopes = list(scopes) if scopes else list(ALL_SCOPES)
    if unknown := set(scopes) - set(ALL_SCOPES):
        raise ClientError(_("Unknown scopes: %(scopes)s") % {"scopes": ", ".join(sorted(unknown))})
    if webhook_url:
        webhook_url = check_webhook_url(webhook_url)
    if ApiClient.objects.filter(name=name).exists():
        raise ClientError(_("There already is an API client with this name."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    secret = secrets.token_urlsafe(32) if webhook_url else ""
    with transaction.atomic():
        client = ApiClient.objects.create(name=name, authority=authority,
                                          token_hash=hash_token(token),
                                          token_hint=token[:8], scopes=scopes,
                                          webhook_url=webhook_url)
        if secret:
            client.webhook_secret = crypto.encrypt(secret, webhook_secret_context(client.pk))
            client.save(update_fields=["webhook_secret"])
        audit.record(tenant=tenantcrypto.tenant_of_authority(authority.pk), actor=by,
                     action="api_client.created", obj=client,
                     data={"scopes": scopes, "webhook": bool(webhook_url)})
    return Created(client, token, secret)


def revoke(client: ApiClient, *, by: str = "system") -> ApiClient:
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client.pk)
        if client.revoked_at is None:
            client.revoked_at = timezone.now()
            client.save(update_fields=["revoked_at"])
            audit.record(tenant=tenantcrypto.tenant_of_authority(client.authority_id),
                         actor=by, action="api_client.revoked", obj=client)
    return client


def unauthorized(detail: str) -> Problem:
    return Problem(401, _("Unauthorized"), detail, "unauthorized")


class ClientAuth(HttpBearer):
    """`Authorization: Bearer aw_…`. Missing, unknown and revoked tokens all get 401 as
    problem+json; the client is put on `request.api_client` (and `request.auth`)."""

    def __call__(self, request: HttpRequest):
        value = request.headers.get(self.header, "")
        scheme, _sep, token = value.partition(" ")
        if not value or scheme.lower() != "bearer" or not token.strip():
            raise unauthorized(_("Send the API token as 'Authorization: Bearer <token>'."))
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient:
        client = None
        if token.startswith(TOKEN_PREFIX) and len(token) < 200:
            client = (ApiClient.objects.select_related("authority")
                      .filter(token_hash=hash_token(token)).first())
        if client is None or client.revoked_at is not None:
            raise unauthorized(_("The API token is unknown or was revoked."))
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > TOUCH_EVERY:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        request.api_client = client
        return client


def require_scope(request: HttpRequest, scope: str) -> ApiClient:
    client: ApiClient = request.api_client
    if scope not in (client.scopes or []):
        raise Problem(403, _("Forbidden"),
                      _("This API client lacks the scope %(scope)s.") % {"scope": scope},
                      "insufficient-scope")
    return client
