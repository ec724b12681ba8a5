"""Identification through SAML 2.0 (the protocol of BundID) against a local pysaml2 IdP."""

import base64
import html
import re
import time

import pytest
import requests

from amtsweg.accounts.identity import providers
from amtsweg.accounts.identity.saml import SamlIdentityProvider
from amtsweg.accounts.models import Identity, User
from tests.accounts.saml_idp import SamlIdp, decode_redirect_request, form_fields
from tests.accounts.test_oidc_login import PASSWORD, csrf, post_form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def idp(tmp_path, live_server, settings):
    settings.SITE_URL = live_server.url
    peer = SamlIdp(tmp_path)
    settings.IDENTITY_SAML_PROVIDERS = [{
        "key": "bundid", "label": "BundID (Test-IdP)", "idp_entity_id": peer.entity_id,
        "idp_metadata": peer.metadata(), "levels": ["substanziell", "hoch"]}]
    provider = providers.register(SamlIdentityProvider("bundid", "BundID (Test-IdP)",
                                                       ("substanziell", "hoch")))
    peer.sp_metadata = requests.get(live_server.url + "/konto/eid/saml/bundid/metadata").text
    peer.start()
    yield peer
    peer.stop()
    providers.unregister("bundid")
    assert provider


def absolute(base: str, location: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, location)


def logged_in(live_server) -> requests.Session:
    User.objects.create_user("erika@example.org", PASSWORD, email_verified_at="2026-01-01T00:00Z")
    s = requests.Session()
    post_form(s, live_server.url + "/konto/anmelden/",
              {"email": "erika@example.org", "password": PASSWORD})
    return s


def to_idp(s, live_server, level="substanziell") -> str:
    page = live_server.url + f"/konto/vertrauensniveau/?level={level}&next=/konto/profil/"
    assert "BundID (Test-IdP)" in s.get(page).text
    start = s.post(live_server.url + "/konto/vertrauensniveau/starten/", data={
        "csrfmiddlewaretoken": csrf(s, page), "provider": "bundid", "level": level},
        headers={"Referer": page}, allow_redirects=False)
    return start.headers["Location"]


def back_from_idp(s, location, tamper=None) -> requests.Response:
    action, fields = form_fields(s.get(location).text)
    fields = {k: html.unescape(v) for k, v in fields.items()}
    if tamper:
        fields["SAMLResponse"] = tamper(fields["SAMLResponse"])
    # the IdP's page posts cross-site: no cookies go with it (SameSite=Lax)
    posted = requests.post(action, data=fields, allow_redirects=False)
    assert posted.status_code == 302
    return s.get(absolute(action, posted.headers["Location"]))


def test_step_up_with_saml(idp, live_server):
    s = logged_in(live_server)
    location = to_idp(s, live_server)
    assert location.startswith(idp.base + "/sso")
    assert "STORK-QAA-Level-3" in decode_redirect_request(location)
    final = back_from_idp(s, location)
    assert idp.requested == ["STORK-QAA-Level-3"]
    assert final.url.endswith("/konto/profil/") and "Mustermann" in final.text
    identity = Identity.objects.get(provider="bundid")
    assert identity.subject and identity.level == "substanziell"
    assert "substanziell" in s.get(live_server.url + "/konto/").text


def test_forged_assertion_is_refused(idp, live_server):
    s = logged_in(live_server)

    def forge(value: str) -> str:
        xml = base64.b64decode(value).decode()
        return base64.b64encode(xml.replace("Mustermann", "Musterfrau").encode()).decode()

    final = back_from_idp(s, to_idp(s, live_server), tamper=forge)
    assert "Musterfrau" not in final.text and not Identity.objects.exists()
    assert "basis" in s.get(live_server.url + "/konto/").text


def test_expired_assertion_is_refused(idp, live_server):
    idp.lifetime = {"seconds": 1}
    s = logged_in(live_server)
    location = to_idp(s, live_server)
    action, fields = form_fields(s.get(location).text)
    time.sleep(3)
    posted = requests.post(action, data={k: html.unescape(v) for k, v in fields.items()},
                           allow_redirects=False)
    s.get(absolute(action, posted.headers["Location"]))
    assert not Identity.objects.exists()


def test_weaker_level_is_refused(idp, live_server):
    idp.assert_ref = "STORK-QAA-Level-3"
    s = logged_in(live_server)
    location = to_idp(s, live_server, level="hoch")
    assert "STORK-QAA-Level-4" in decode_redirect_request(location)
    back_from_idp(s, location)
    assert not Identity.objects.exists()


def test_unsolicited_or_replayed_responses_are_refused(idp, live_server):
    s = logged_in(live_server)
    location = to_idp(s, live_server)
    action, fields = form_fields(s.get(location).text)
    fields = {k: html.unescape(v) for k, v in fields.items()}
    first = requests.post(action, data=fields, allow_redirects=False)
    s.get(absolute(action, first.headers["Location"]))
    assert Identity.objects.count() == 1
    Identity.objects.all().delete()
    second = requests.post(action, data=fields, allow_redirects=False)  # the same again
    s.get(absolute(action, second.headers["Location"]))
    assert not Identity.objects.exists()
    unknown = s.get(absolute(action, re.sub(r"ref=.*", "ref=unknown", first.headers["Location"])))
    assert unknown.ok and not Identity.objects.exists()


LENA = {"level": "substanziell", "given_name": "Lena", "family_name": "Becker",
        "birth_date": "1988-03-02", "street": "Marktplatz", "house_number": "3",
        "postal_code": "36037", "city": "Fulda"}


def test_bundid_of_another_person_is_refused(idp, live_server, settings):
    """Finding 9: the account was confirmed as Lena Becker (test eID); BundID then
    confirms Erika Mustermann for it."""
    settings.TEST_EID_ENABLED = True
    first = logged_in(live_server)
    post_form(first, live_server.url + "/konto/eid/test/?level=substanziell", LENA)
    user = User.objects.get(email="erika@example.org")
    assert Identity.objects.get(user=user).provider == "test-eid"
    s = requests.Session()  # later, with the password alone
    post_form(s, live_server.url + "/konto/anmelden/",
              {"email": "erika@example.org", "password": PASSWORD})
    final = back_from_idp(s, to_idp(s, live_server))
    assert "Diese eID gehört nicht zu der Person" in final.text
    assert not Identity.objects.filter(provider="bundid").exists()
    assert user.attributes.get(name="family_name").value == "Becker"
    assert "basis" in s.get(live_server.url + "/konto/").text


def test_bundid_of_the_same_person_is_linked_to_the_bound_account(idp, live_server, settings):
    """Another provider's pseudonym for the person the account is bound to (same names and
    date of birth): linked as a second identity."""
    settings.TEST_EID_ENABLED = True
    s = logged_in(live_server)
    post_form(s, live_server.url + "/konto/eid/test/?level=substanziell", {
        **LENA, "given_name": "Erika", "family_name": "Mustermann", "birth_date": "1964-08-12"})
    final = back_from_idp(s, to_idp(s, live_server))
    assert final.url.endswith("/konto/profil/")
    assert set(Identity.objects.values_list("provider", flat=True)) == {"test-eid", "bundid"}
