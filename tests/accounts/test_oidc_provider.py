"""The Servicekonto as OpenID Connect provider, used by a real client library (Authlib)."""

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from django.core.management import call_command
from django.test import Client

from amtsweg.accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Ein langer Satz als Passwort 7"
REDIRECT = "https://fachportal.example/callback"


@pytest.fixture
def relying_party(capsys):
    call_command("oidc_client", "fachportal", "--name", "Fachportal Hessen",
                 "--redirect-uri", REDIRECT)
    out = capsys.readouterr().out
    return "fachportal", out.split("client_secret=")[1].strip()


@pytest.fixture
def person():
    return User.objects.create_user("oidc@example.org", PASSWORD, first_name="Erika",
                                    last_name="Mustermann", email_verified_at="2026-01-01T00:00Z")


def browser_login(level: str | None = None) -> Client:
    browser = Client()
    browser.post("/konto/anmelden/", {"email": "oidc@example.org", "password": PASSWORD})
    if level:
        session = browser.session
        session["trust_level"] = level
        session.save()
    return browser


def authorize_in_browser(browser: Client, url: str) -> str:
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = browser.get("/" + path)
    assert response.status_code == 200, response.status_code
    response = browser.post("/oidc/authorize", {"decision": "allow"})
    assert response.status_code == 302 and response.url.startswith(REDIRECT)
    return response.url


def test_code_flow_with_pkce_by_a_real_client(live_server, relying_party, person):
    client_id, secret = relying_party
    discovery = requests.get(live_server.url + "/.well-known/openid-configuration").json()
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert "substanziell" in discovery["acr_values_supported"]
    base = live_server.url
    rp = OAuth2Session(client_id, secret, scope="openid email profile", redirect_uri=REDIRECT,
                       code_challenge_method="S256")
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(base + "/oidc/authorize", code_verifier=verifier,
                                             nonce=nonce, acr_values="basis")
    callback = authorize_in_browser(browser_login(), url)
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = rp.fetch_token(base + "/oidc/token", authorization_response=callback,
                           code_verifier=verifier)
    jwks = JsonWebKey.import_key_set(requests.get(base + "/.well-known/jwks.json").json())
    claims = jwt.decode(token["id_token"], jwks, claims_options={
        "iss": {"essential": True, "value": "http://127.0.0.1:8000"},
        "aud": {"essential": True, "value": client_id},
        "nonce": {"essential": True, "value": nonce}})
    claims.validate()
    assert claims["acr"] == "basis" and claims["email"] == "oidc@example.org"
    assert claims["sub"] != str(person.pk) and len(claims["sub"]) == 64
    info = rp.get(base + "/oidc/userinfo").json()
    assert info["sub"] == claims["sub"] and info["given_name"] == "Erika"

    # the same code a second time is refused (and the tokens it gave are revoked)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    again = requests.post(base + "/oidc/token", auth=(client_id, secret), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert rp.get(base + "/oidc/userinfo").status_code == 401


def test_wrong_verifier_or_secret_is_refused(live_server, relying_party, person):
    client_id, secret = relying_party
    rp = OAuth2Session(client_id, secret, scope="openid", redirect_uri=REDIRECT,
                       code_challenge_method="S256")
    verifier = secrets.token_urlsafe(48)
    url, _ = rp.create_authorization_url(live_server.url + "/oidc/authorize",
                                         code_verifier=verifier)
    callback = authorize_in_browser(browser_login(), url)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    bad_secret = requests.post(live_server.url + "/oidc/token", auth=(client_id, "falsch"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier})
    assert bad_secret.status_code == 401
    bad_verifier = requests.post(live_server.url + "/oidc/token", auth=(client_id, secret), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": "x" * 50})
    assert bad_verifier.json()["error"] == "invalid_grant"


def test_acr_asks_for_a_higher_level_first(relying_party, person):
    client_id, _ = relying_party
    browser = browser_login()
    params = {"client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": "openid", "code_challenge": "x" * 43, "code_challenge_method": "S256",
              "acr_values": "substanziell"}
    response = browser.get("/oidc/authorize", params)
    assert response.status_code == 302 and response.url.startswith(
        "/konto/vertrauensniveau/?level=substanziell")
    browser = browser_login(level="substanziell")
    assert browser.get("/oidc/authorize", params).status_code == 200


@pytest.mark.parametrize(("change", "fragment"), [
    ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri"),
    ({"client_id": "unbekannt"}, "client_id"),
    ({"code_challenge_method": "plain"}, "PKCE"),
    ({"scope": "email"}, "openid"),
])
def test_bad_requests_are_shown_not_redirected(relying_party, person, change, fragment):
    client_id, _ = relying_party
    params = {"client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": "openid", "code_challenge": "x" * 43, "code_challenge_method": "S256",
              **change}
    response = browser_login().get("/oidc/authorize", params)
    assert response.status_code == 400 and fragment in response.content.decode()


def test_denied_consent_goes_back_with_an_error(relying_party, person):
    client_id, _ = relying_party
    browser = browser_login()
    browser.get("/oidc/authorize", {
        "client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code",
        "scope": "openid", "code_challenge": "x" * 43, "code_challenge_method": "S256",
        "state": "abc"})
    response = browser.post("/oidc/authorize", {"decision": "deny"})
    assert response.url == REDIRECT + "?error=access_denied&state=abc"


def test_token_endpoint_is_rate_limited(settings):
    settings.API_RATE_LIMIT = 2
    client = Client()
    statuses = [client.post("/oidc/token", {"grant_type": "authorization_code"}).status_code
                for _ in range(3)]
    assert statuses[:2] == [401, 401] and statuses[2] == 429
