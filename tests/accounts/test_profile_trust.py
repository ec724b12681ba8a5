"""Profile data with source and level; stepping up with the test eID."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from amtsweg.accounts.identity.testeid import SAMPLE
from amtsweg.accounts.models import Identity, ProfileAttribute
from amtsweg.accounts.profile import require_level
from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import login, registered_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _test_eid(settings):
    settings.TEST_EID_ENABLED = True


def step_up(client, level="substanziell", **data):
    response = client.post("/konto/vertrauensniveau/starten/",
                           {"provider": "test-eid", "level": level})
    assert response.status_code == 302 and response.url.startswith("/konto/eid/test/")
    return client.post("/konto/eid/test/", {"level": level, **SAMPLE, **data})


def test_typed_profile_is_encrypted_and_editable(client):
    user = registered_user(client)
    login(client)
    client.post("/konto/profil/", {"given_name": "Erika", "city": "Fulda"})
    attr = ProfileAttribute.objects.get(user=user, name="city")
    assert attr.value == "Fulda" and "Fulda" not in attr.value_encrypted
    assert attr.source == "typed" and attr.level == "basis"
    client.post("/konto/profil/", {"given_name": "Erika", "city": "Kassel"})
    attr.refresh_from_db()
    assert attr.value == "Kassel"


def test_step_up_with_test_eid(client):
    user = registered_user(client)
    login(client)
    client.post("/konto/profil/", {"city": "Fulda"})
    page = client.get("/konto/vertrauensniveau/?level=substanziell&next=/konto/profil/")
    assert "Test-eID" in page.content.decode()
    before = client.session.session_key
    response = step_up(client)
    assert response.status_code == 302 and response.url == "/konto/profil/"
    assert client.session.session_key != before  # rotated at step-up
    assert client.session["trust_level"] == "substanziell"
    assert Identity.objects.get(user=user).level == "substanziell"
    city = ProfileAttribute.objects.get(user=user, name="city")
    assert (city.value, city.source, city.level) == ("Köln", "eid", "substanziell")
    page = client.get("/konto/profil/").content.decode()
    assert "Mustermann" in page and "bestätigt" in page


def test_confirmed_data_cannot_be_overwritten_by_hand(client):
    user = registered_user(client)
    login(client)
    step_up(client)
    client.post("/konto/profil/", {**SAMPLE, "family_name": "Musterfrau", "city": "Berlin"})
    values = {a.name: a.value for a in ProfileAttribute.objects.filter(user=user)}
    assert values["family_name"] == "Mustermann" and values["city"] == "Köln"


def test_confirmed_data_stays_hidden_below_its_level(client):
    registered_user(client)
    login(client)
    step_up(client, level="hoch")
    again = Client()
    login(again)
    page = again.get("/konto/profil/").content.decode()
    assert "Mustermann" not in page and "••••••" in page
    step_up(again, level="substanziell")
    assert "Mustermann" not in again.get("/konto/profil/").content.decode()
    step_up(again, level="hoch")
    assert "Mustermann" in again.get("/konto/profil/").content.decode()


def test_identity_of_another_account_is_refused(client):
    registered_user(client)
    login(client)
    step_up(client)
    other = Client()
    registered_user(other, "max@example.org")
    login(other, email="max@example.org")
    step_up(other)
    assert other.session["trust_level"] == "basis"
    assert Identity.objects.count() == 1


def test_test_eid_is_off_unless_enabled(client, settings):
    settings.TEST_EID_ENABLED = False
    registered_user(client)
    login(client)
    assert "Test-eID" not in client.get("/konto/vertrauensniveau/").content.decode()
    assert client.get("/konto/eid/test/").status_code == 404
    response = client.post("/konto/vertrauensniveau/starten/",
                           {"provider": "test-eid", "level": "substanziell"})
    assert response.url == "/konto/"


def test_a_service_below_its_level_asks_to_step_up(client):
    user = registered_user(client)

    @require_level("substanziell")
    def service(request):
        return HttpResponse("ok")

    rf = RequestFactory()
    request = rf.get("/dienst/")
    request.user = user
    request.session = {"trust_level": "basis"}
    response = service(request)
    assert response.status_code == 302
    assert response.url.startswith("/konto/vertrauensniveau/?level=substanziell")
    request.session = {"trust_level": "hoch"}
    assert service(request).content == b"ok"


def test_configured_providers_register_from_settings(settings):
    from amtsweg.accounts.identity import providers
    from amtsweg.accounts.identity.oidc import OidcIdentityProvider

    settings.IDENTITY_OIDC_PROVIDERS = [{"key": "land-idp", "label": "Land-IdP",
                                         "issuer": "https://idp.example", "client_id": "x",
                                         "levels": ["hoch"]}]
    OidcIdentityProvider.register_configured()
    try:
        provider = providers.get("land-idp")
        assert provider.label == "Land-IdP" and provider.levels == ("hoch",)
        assert provider.config["issuer"] == "https://idp.example"
        settings.IDENTITY_OIDC_PROVIDERS = []
        assert providers.get("land-idp") is None  # off once the setting is gone
    finally:
        providers.unregister("land-idp")
