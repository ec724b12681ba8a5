"""The Servicekonto as OpenID Connect provider ("Login mit Servicekonto").

Authorization code flow with PKCE (S256, required), discovery, JWKS, and `acr` carrying the
trust level of the login. ID tokens are signed PS512 with the platform key. The subject is a
pairwise pseudonym per client, so two services cannot join their users by `sub`.
"""

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone

from amtsweg.core import signing

from .models import OidcClient, OidcCode, OidcToken, TrustLevel, User

CODE_SECONDS = 60
TOKEN_SECONDS = 600
SCOPES = {"openid", "email", "profile"}


class OidcError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issuer() -> str:
    return settings.SITE_URL


def discovery() -> dict:
    base = issuer()
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oidc/authorize",
        "token_endpoint": f"{base}/oidc/token",
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [signing.ALG],
        "scopes_supported": sorted(SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "none"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": list(TrustLevel.values),
        "claims_supported": ["sub", "acr", "auth_time", "email", "email_verified",
                             "given_name", "family_name", "name", "birthdate"],
    }


def subject(client: OidcClient, user: User) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"oidc:{client.client_id}:{user.pk}".encode(),
                    hashlib.sha256).hexdigest()


def validate_request(params: dict) -> tuple[OidcClient, dict]:
    """Check an authorization request; errors before the redirect URI is trusted are raised
    for the person to see, never redirected."""
    client = OidcClient.objects.filter(client_id=params.get("client_id", "")).first()
    if client is None:
        raise OidcError("invalid_client", "Unknown client_id.")
    redirect_uri = params.get("redirect_uri", "")
    if not client.allows(redirect_uri):
        raise OidcError("invalid_request", "redirect_uri is not registered for this client.")
    if params.get("response_type") != "code":
        raise OidcError("unsupported_response_type", "Only response_type=code is supported.")
    scope = set(params.get("scope", "").split())
    if "openid" not in scope or not scope <= SCOPES:
        raise OidcError("invalid_scope", "scope must contain openid (and email, profile).")
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        raise OidcError("invalid_request", "PKCE with code_challenge_method=S256 is required.")
    acr_values = params.get("acr_values", "").split()
    wanted = [a for a in acr_values if a in TrustLevel.values]
    level = min(wanted, key=TrustLevel.rank) if wanted else TrustLevel.BASIS
    return client, {"redirect_uri": redirect_uri, "scope": " ".join(sorted(scope)),
                    "nonce": params.get("nonce", "")[:200], "state": params.get("state", ""),
                    "code_challenge": params["code_challenge"], "acr": level}


def issue_code(client: OidcClient, user: User, request_data: dict, acr: str,
               auth_time: int) -> str:
    code = secrets.token_urlsafe(32)
    OidcCode.objects.create(
        code_hash=_hash(code), client=client, user=user,
        redirect_uri=request_data["redirect_uri"], scope=request_data["scope"],
        nonce=request_data["nonce"], code_challenge=request_data["code_challenge"], acr=acr,
        auth_time=auth_time, expires_at=timezone.now() + timedelta(seconds=CODE_SECONDS))
    return code


def _authenticate_client(client_id: str, secret: str | None) -> OidcClient:
    client = OidcClient.objects.filter(client_id=client_id).first()
    if client is None:
        raise OidcError("invalid_client", "Unknown client.")
    if client.client_secret_hash and not (secret and check_password(secret,
                                                                     client.client_secret_hash)):
        raise OidcError("invalid_client", "Client authentication failed.")
    return client


def exchange(*, client_id: str, client_secret: str | None, code: str, redirect_uri: str,
             code_verifier: str) -> dict:
    """Token endpoint: one code, once, for the client, redirect URI and PKCE verifier.

    A code presented a second time means it leaked: the tokens it gave are revoked.
    """
    client = _authenticate_client(client_id, client_secret)
    replayed = OidcCode.objects.filter(code_hash=_hash(code), client=client,
                                       used_at__isnull=False).first()
    if replayed is not None:
        OidcToken.objects.filter(client=client, user_id=replayed.user_id).delete()
        raise OidcError("invalid_grant", "The code is unknown, expired or already used.")
    with transaction.atomic():
        return _redeem(client, code, redirect_uri, code_verifier)


def _redeem(client: OidcClient, code: str, redirect_uri: str, code_verifier: str) -> dict:
    row = (OidcCode.objects.select_for_update().select_related("user")
           .filter(code_hash=_hash(code), client=client, used_at__isnull=True).first())
    if row is None or row.expires_at < timezone.now():
        raise OidcError("invalid_grant", "The code is unknown, expired or already used.")
    digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
    if row.redirect_uri != redirect_uri or not hmac.compare_digest(
            digest.rstrip(b"=").decode(), row.code_challenge):
        raise OidcError("invalid_grant", "redirect_uri or code_verifier do not match.")
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    access = secrets.token_urlsafe(32)
    OidcToken.objects.create(token_hash=_hash(access), client=client, user=row.user,
                             scope=row.scope, acr=row.acr,
                             expires_at=timezone.now() + timedelta(seconds=TOKEN_SECONDS))
    now = int(time.time())
    claims = {"iss": issuer(), "sub": subject(client, row.user), "aud": client.client_id,
              "iat": now, "exp": now + TOKEN_SECONDS, "auth_time": row.auth_time,
              "acr": row.acr, "jti": str(uuid.uuid4())}
    if row.nonce:
        claims["nonce"] = row.nonce
    claims.update(_claims(row.user, row.scope, row.acr))
    return {"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_SECONDS,
            "scope": row.scope, "id_token": signing.sign(claims)}


def _claims(user: User, scope: str, acr: str) -> dict:
    """Claims for the scopes; names and birth date confirmed by eID are given when they were
    confirmed at no higher level than this login's."""
    scopes = set(scope.split())
    claims: dict = {}
    if "email" in scopes:
        claims.update(email=user.email, email_verified=user.email_verified)
    if "profile" in scopes:
        confirmed = {a.name: a.value for a in user.attributes.filter(source="eid")
                     if TrustLevel.rank(a.level) <= TrustLevel.rank(acr)}
        given = confirmed.get("given_name", user.first_name)
        family = confirmed.get("family_name", user.last_name)
        claims.update(given_name=given, family_name=family,
                      name=f"{given} {family}".strip())
        if "birth_date" in confirmed:
            claims["birthdate"] = confirmed["birth_date"]
    return claims


def userinfo(access_token: str) -> dict:
    token = (OidcToken.objects.select_related("client", "user")
             .filter(token_hash=_hash(access_token), expires_at__gt=timezone.now()).first())
    if token is None:
        raise OidcError("invalid_token", "The access token is unknown or expired.")
    return {"sub": subject(token.client, token.user), "acr": token.acr,
            **_claims(token.user, token.scope, token.acr)}
