"""Identification through an OpenID Connect provider, against a real local peer.

The peer is a second Amtsweg installation started as its own process (own database, own
keys) acting as identity provider, the way a Land's Servicekonto or BundID's OIDC interface
would. The browser is a requests session holding a login at both.
"""

import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests
from authlib.jose import JsonWebKey, jwt

from amtsweg.accounts.identity import IdentityError, providers
from amtsweg.accounts.identity.oidc import OidcIdentityProvider
from amtsweg.accounts.models import Identity, User

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Ein langer Satz als Passwort 7"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url).text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def post_form(session, url, data, **kwargs):
    return session.post(url, data={"csrfmiddlewaretoken": csrf(session, url), **data},
                        headers={"Referer": url}, **kwargs)


@pytest.fixture(scope="module")
def peer(tmp_path_factory, live_server):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(AMTSWEG_VAR_DIR=str(tmp_path_factory.mktemp("peer")), SITE_URL=base,
               TEST_EID_ENABLED="true", DEMO_DATA="false", PYTHONUNBUFFERED="1",
               ALLOWED_HOSTS="127.0.0.1,localhost",
               # the peer plays BundID with fake identities over plain HTTP on loopback
               SILENCED_SYSTEM_CHECKS="amtsweg.E002,amtsweg.E004,amtsweg.E005,amtsweg.E007")
    server = subprocess.Popen([sys.executable, "-m", "amtsweg.cli", "run", "--no-worker",
                               "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        callback = live_server.url + "/konto/eid/oidc/peer/callback"
        setup = subprocess.run([sys.executable, "-m", "amtsweg.cli", "oidc_client", "portal",
                                "--name", "Amtsweg Portal", "--redirect-uri", callback],
                               env=env, capture_output=True, text=True, check=True)
        secret = setup.stdout.split("client_secret=")[1].strip()
        subprocess.run([sys.executable, "-m", "amtsweg.cli", "shell", "-c",
                        "from amtsweg.accounts.models import User; "
                        f"User.objects.create_user('bund@example.org', '{PASSWORD}', "
                        "email_verified_at='2026-01-01T00:00Z')"],
                       env=env, check=True, capture_output=True)
        yield {"base": base, "client_id": "portal", "secret": secret}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def configured(peer, settings):
    settings.IDENTITY_OIDC_PROVIDERS = [{
        "key": "peer", "label": "Servicekonto (Peer)", "issuer": peer["base"],
        "client_id": peer["client_id"], "client_secret": peer["secret"],
        "levels": ["substanziell", "hoch"]}]
    provider = providers.register(OidcIdentityProvider("peer", "Servicekonto (Peer)",
                                                       ("substanziell", "hoch")))
    yield provider
    providers.unregister("peer")


def browser_at_both(live_server, peer, peer_level="substanziell") -> requests.Session:
    User.objects.create_user("erika@example.org", PASSWORD, email_verified_at="2026-01-01T00:00Z")
    s = requests.Session()
    post_form(s, live_server.url + "/konto/anmelden/",
              {"email": "erika@example.org", "password": PASSWORD})
    post_form(s, peer["base"] + "/konto/anmelden/",
              {"email": "bund@example.org", "password": PASSWORD})
    post_form(s, peer["base"] + f"/konto/eid/test/?level={peer_level}", {
        "level": peer_level, "given_name": "Erika", "family_name": "Mustermann",
        "birth_date": "1964-08-12", "street": "Heidestraße", "house_number": "17",
        "postal_code": "51147", "city": "Köln"})
    return s


def identify(s: requests.Session, live_server, peer, level="substanziell") -> requests.Response:
    step_up = live_server.url + f"/konto/vertrauensniveau/?level={level}&next=/konto/profil/"
    assert "Servicekonto (Peer)" in s.get(step_up).text
    start = s.post(live_server.url + "/konto/vertrauensniveau/starten/", data={
        "csrfmiddlewaretoken": csrf(s, step_up), "provider": "peer", "level": level},
        headers={"Referer": step_up}, allow_redirects=False)
    authorize = start.headers["Location"]
    assert authorize.startswith(peer["base"] + "/oidc/authorize")
    assert "acr_values=" + level in authorize and "code_challenge_method=S256" in authorize
    consent = s.get(authorize, allow_redirects=False)
    assert consent.status_code == 200, consent.status_code
    back = s.post(peer["base"] + "/oidc/authorize", data={
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                                         consent.text).group(1), "decision": "allow"},
        headers={"Referer": authorize}, allow_redirects=False)
    assert back.headers["Location"].startswith(live_server.url + "/konto/eid/oidc/peer/")
    return s.get(back.headers["Location"])


def test_step_up_through_an_oidc_provider(live_server, peer, configured):
    s = browser_at_both(live_server, peer)
    final = identify(s, live_server, peer)
    assert final.url.endswith("/konto/profil/")
    assert "Mustermann" in final.text  # given by the peer, shown at the reached level
    link = Identity.objects.get(provider="peer")
    assert link.user.email == "erika@example.org" and link.level == "substanziell"
    assert "substanziell" in s.get(live_server.url + "/konto/").text


def test_the_asked_level_reaches_the_provider(live_server, peer, configured):
    """Asking for "hoch" while the peer session is "substanziell": the peer asks the person
    to identify more strongly instead of confirming less."""
    s = browser_at_both(live_server, peer, peer_level="substanziell")
    step_up = live_server.url + "/konto/vertrauensniveau/?level=hoch"
    start = s.post(live_server.url + "/konto/vertrauensniveau/starten/", data={
        "csrfmiddlewaretoken": csrf(s, step_up), "provider": "peer", "level": "hoch"},
        headers={"Referer": step_up}, allow_redirects=False)
    at_peer = s.get(start.headers["Location"], allow_redirects=False)
    assert at_peer.status_code == 302
    assert "/konto/vertrauensniveau/?level=hoch" in at_peer.headers["Location"]


def test_a_callback_without_the_started_state_is_refused(live_server, peer, configured):
    s = browser_at_both(live_server, peer)
    response = s.get(live_server.url + "/konto/eid/oidc/peer/callback?code=x&state=forged")
    assert response.ok and not Identity.objects.exists()


def _token(key, **claims) -> str:
    now = int(time.time())
    body = {"iss": "ISS", "aud": "portal", "sub": "x", "nonce": "n", "acr": "hoch",
            "iat": now, "exp": now + 300, **claims}
    return jwt.encode({"alg": "PS512", "kid": key.kid}, body, key).decode()


@pytest.mark.parametrize("case", ["valid", "forged", "expired", "weaker", "other-audience"])
def test_id_tokens_are_checked(rf, peer, configured, monkeypatch, case):
    """The token endpoint answers with an ID token signed by a stranger, expired, with a lower
    acr than asked, or for another client: refused. A correct one (signed by a key the
    provider's JWKS publishes) is accepted, so the checks can fail for the right reason."""
    meta = configured.metadata()
    key = JsonWebKey.generate_key("RSA", 2048, is_private=True)
    kid = key.thumbprint()
    key = JsonWebKey.import_key(key.as_dict(is_private=True, kid=kid))
    claims = {"iss": meta["issuer"], "acr": "hoch"}
    if case == "expired":
        claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    if case == "weaker":
        claims["acr"] = "substanziell"
    if case == "other-audience":
        claims["aud"] = "another-portal"
    if case != "forged":  # the provider publishes this key; a forger's key is not published
        real_get = requests.get
        monkeypatch.setattr(requests, "get", lambda url, **kw: type(
            "R", (), {"json": lambda self: {"keys": [key.as_dict(kid=kid)]}})()
            if url == meta["jwks_uri"] else real_get(url, **kw))
    token = _token(key, **claims)
    monkeypatch.setattr("authlib.integrations.requests_client.OAuth2Session.fetch_token",
                        lambda self, *a, **kw: {"id_token": token, "access_token": "t"})
    request = rf.get("/konto/eid/oidc/peer/callback", {"state": "st", "code": "c"})
    request.session = {"idp:peer": {"state": "st", "nonce": "n", "verifier": "v",
                                    "level": "hoch"}}
    if case == "valid":
        assertion = configured.finish(request)
        assert (assertion.level, assertion.subject) == ("hoch", "x")
    else:
        with pytest.raises(IdentityError):
            configured.finish(request)


def test_a_linked_identity_logs_in_without_password(live_server, peer, configured):
    s = browser_at_both(live_server, peer)
    identify(s, live_server, peer)  # links the peer identity to erika@example.org
    fresh = requests.Session()  # a new browser: logged in at the peer only
    post_form(fresh, peer["base"] + "/konto/anmelden/",
              {"email": "bund@example.org", "password": PASSWORD})
    post_form(fresh, peer["base"] + "/konto/eid/test/?level=substanziell", {
        "level": "substanziell", "given_name": "Erika", "family_name": "Mustermann",
        "birth_date": "1964-08-12", "street": "Heidestraße", "house_number": "17",
        "postal_code": "51147", "city": "Köln"})
    login_page = live_server.url + "/konto/anmelden/"
    assert "Servicekonto (Peer)" in fresh.get(login_page).text
    start = fresh.post(live_server.url + "/konto/anmelden/eid/", data={
        "csrfmiddlewaretoken": csrf(fresh, login_page), "provider": "peer"},
        headers={"Referer": login_page}, allow_redirects=False)
    consent = fresh.get(start.headers["Location"], allow_redirects=False)
    back = fresh.post(peer["base"] + "/oidc/authorize", data={
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                                         consent.text).group(1), "decision": "allow"},
        headers={"Referer": start.headers["Location"]}, allow_redirects=False)
    fresh.get(back.headers["Location"])
    account = fresh.get(live_server.url + "/konto/")
    assert account.url.endswith("/konto/") and "erika@example.org" in account.text
    assert "substanziell" in account.text


def test_the_providers_identity_of_another_person_is_refused(live_server, peer, configured,
                                                            settings):
    """Finding 9 through OpenID Connect: the account is bound to Lena Becker (test eID);
    the peer confirms Erika Mustermann."""
    settings.TEST_EID_ENABLED = True
    s = browser_at_both(live_server, peer)
    post_form(s, live_server.url + "/konto/eid/test/?level=substanziell", {
        "level": "substanziell", "given_name": "Lena", "family_name": "Becker",
        "birth_date": "1988-03-02", "street": "Marktplatz", "house_number": "3",
        "postal_code": "36037", "city": "Fulda"})
    final = identify(s, live_server, peer)
    assert "Diese eID gehört nicht zu der Person" in final.text
    assert not Identity.objects.filter(provider="peer").exists()
    user = User.objects.get(email="erika@example.org")
    assert user.attributes.get(name="family_name").value == "Becker"
