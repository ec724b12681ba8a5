"""OpenID Connect identity provider plugin (for example the OIDC interface of BundID).

The platform is the relying party: code flow with PKCE, state and nonce; the ID token is
checked against the provider's JWKS (issuer, audience, nonce, expiry) and its `acr` must
reach the level that was asked for.
"""

import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..models import TrustLevel
from . import Assertion, ConfiguredProvider, IdentityError

TIMEOUT = 10
CLAIMS = {"given_name": "given_name", "family_name": "family_name", "birthdate": "birth_date"}


class OidcIdentityProvider(ConfiguredProvider):
    SETTING = "IDENTITY_OIDC_PROVIDERS"

    def metadata(self) -> dict:
        issuer = self.config["issuer"].rstrip("/")
        key = f"oidc-meta:{issuer}"
        meta = cache.get(key)
        if meta is None:
            meta = requests.get(f"{issuer}/.well-known/openid-configuration",
                                timeout=TIMEOUT).json()
            cache.set(key, meta, 3600)
        return meta

    def _session(self, request: HttpRequest) -> OAuth2Session:
        c = self.config
        redirect_uri = request.build_absolute_uri(
            reverse("accounts:oidc_callback", args=[self.key]))
        return OAuth2Session(c["client_id"], c.get("client_secret"), scope="openid profile",
                             redirect_uri=redirect_uri, code_challenge_method="S256")

    def start(self, request: HttpRequest, level: str) -> HttpResponse:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        acr = self.config.get("acr", {}).get(level, level)
        url, state = self._session(request).create_authorization_url(
            self.metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
            acr_values=acr)
        request.session[f"idp:{self.key}"] = {"state": state, "nonce": nonce,
                                               "verifier": verifier, "level": level}
        return HttpResponseRedirect(url)

    def finish(self, request: HttpRequest) -> Assertion:
        pending = request.session.pop(f"idp:{self.key}", None)
        if not pending or request.GET.get("state") != pending["state"]:
            raise IdentityError("state")
        if "error" in request.GET:
            raise IdentityError("cancelled")
        meta = self.metadata()
        try:
            token = self._session(request).fetch_token(
                meta["token_endpoint"], authorization_response=request.build_absolute_uri(),
                code_verifier=pending["verifier"], timeout=TIMEOUT)
            keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=TIMEOUT).json())
            decoded = jwt.decode(token["id_token"], keys,
                                 algorithms=meta.get("id_token_signing_alg_values_supported",
                                                     ["RS256"]))
            jwt.JWTClaimsRegistry(
                leeway=30, iss={"essential": True, "value": meta["issuer"]},
                aud={"essential": True, "value": self.config["client_id"]},
                nonce={"essential": True, "value": pending["nonce"]},
                exp={"essential": True}).validate(decoded.claims)
            claims = decoded.claims
        except (JoseError, requests.RequestException, KeyError, ValueError) as exc:
            raise IdentityError("token") from exc
        reverse_acr = {v: k for k, v in self.config.get("acr", {}).items()}
        level = reverse_acr.get(claims.get("acr"), claims.get("acr"))
        if level not in TrustLevel.values or TrustLevel.rank(level) < TrustLevel.rank(
                pending["level"]):
            raise IdentityError("level")
        attributes = {ours: str(claims[theirs]) for theirs, ours in CLAIMS.items()
                      if claims.get(theirs)}
        return Assertion(self.key, str(claims["sub"]), level, attributes)

