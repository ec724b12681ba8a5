"""Nachnutzung: the Kommunal-Admin adopts a published service with local parameters, moves it
to a newer version, ends it; other roles and other Behörden are refused."""

import pytest

from amtsweg.services import actions
from amtsweg.services.models import Adoption, OnlineService

from .staff import client_for, fulda, other_authority, staff

pytestmark = pytest.mark.django_db
GOOD_IBAN = "DE02 1203 0000 0000 2020 51"


@pytest.fixture
def admin():
    return staff(("admin", fulda()))


@pytest.fixture
def aclient(admin):
    return client_for(admin)


def owned_service(title="Eigener Dienst") -> OnlineService:
    """A published service of another Behörde (owners design, others adopt)."""
    from amtsweg.catalog.models import Leistung

    service = actions.create_service(None, leistung=Leistung.objects.get(
        leika_key="99027002012000"), title={"de": title}, owner_authority=other_authority())
    actions.publish(None, service.versions.get())
    return service


def params(**changes) -> dict:
    data = {"authority": fulda().pk, "fee": "", "processing": "", "email": "", "phone": "",
            "holder": "", "iban": "", "bic": "", "signer_name": "", "signer_role": ""}
    data.update(changes)
    return data


def test_list_and_filter(aclient):
    owned_service("Hundesteuer anmelden")
    page = aclient.get("/verwaltung/nachnutzung/", {"q": "Hundesteuer"}).content.decode()
    page = page.split('id="h-find"')[1]  # the search results, not the own adoptions
    assert "Hundesteuer anmelden" in page and "Geburtsurkunde beantragen" not in page
    page = aclient.get("/verwaltung/nachnutzung/", {"q": "99027002012000"}).content.decode()
    assert "Geburtsurkunde" in page


def test_adopt_with_local_fee_and_iban(aclient):
    service = owned_service()
    version = service.versions.get()
    Adoption.objects.filter(authority=fulda(), service=service).delete()
    url = f"/verwaltung/nachnutzung/dienst/{service.slug}/"
    assert aclient.get(url).status_code == 200
    r = aclient.post(url, params(version=version.pk, fee="15", iban="DE00 1234",
                                 holder="Stadtkasse Fulda"))
    page = r.content.decode()
    assert r.status_code == 400 and "An IBAN from this country has 22 characters" in page
    assert 'id="id_iban-error"' in page
    assert not Adoption.objects.filter(authority=fulda(), service=service).exists()
    r = aclient.post(url, params(version=version.pk, fee="15", iban=GOOD_IBAN,
                                 holder="Stadtkasse Fulda", email="standesamt@fulda.example",
                                 signer_name="M. Muster", processing="5 Tage"))
    assert r.status_code == 302
    adoption = Adoption.objects.get(authority=fulda(), service=service)
    assert adoption.fee == 15 and adoption.active
    assert adoption.payment_account == {"holder": "Stadtkasse Fulda",
                                        "iban": "DE02120300000000202051"}
    assert adoption.contact == {"email": "standesamt@fulda.example"}
    assert adoption.signer == {"name": "M. Muster"}


def test_rule_fee_and_bad_rule(aclient):
    service = owned_service()
    version = service.versions.get()
    url = f"/verwaltung/nachnutzung/dienst/{service.slug}/"
    r = aclient.post(url, params(version=version.pk, fee='{"nope": [1]}'))
    assert r.status_code == 400
    r = aclient.post(url, params(version=version.pk, fee='{"*": [2, 3]}'))
    assert r.status_code == 302
    assert Adoption.objects.get(authority=fulda(), service=service).fee == {"*": [2, 3]}


def test_switch_version_and_end(aclient, admin):
    service = owned_service()
    v1 = service.versions.get()
    adoption = actions.adopt(admin, fulda(), v1, {"fee": 10})
    from amtsweg.services.models import ServiceVersion

    v2 = ServiceVersion.objects.create(service=service, number=2, form=v1.form,
                                       trust_level=v1.trust_level, applicants=v1.applicants)
    actions.publish(None, v2)
    url = f"/verwaltung/nachnutzung/{adoption.pk}/"
    page = aclient.get(url).content.decode()
    assert "Version 2 is published" in page
    r = aclient.post(url, params(version=v2.pk, fee="10"))
    assert r.status_code == 302
    adoption.refresh_from_db()
    assert adoption.version == v2 and adoption.fee == 10
    r = aclient.post(f"/verwaltung/nachnutzung/{adoption.pk}/beenden/")
    assert r.status_code == 302
    adoption.refresh_from_db()
    assert not adoption.active


def test_authority_cannot_be_swapped_on_edit(aclient, admin):
    service = owned_service()
    adoption = actions.adopt(admin, fulda(), service.versions.get())
    r = aclient.post(f"/verwaltung/nachnutzung/{adoption.pk}/", params(
        authority=other_authority().pk, version=service.versions.get().pk, fee="3"))
    assert r.status_code == 302
    assert not Adoption.objects.filter(authority=other_authority(), service=service).exists()
    adoption.refresh_from_db()
    assert adoption.fee == 3


def test_adopt_for_another_authority_is_refused(aclient):
    service = owned_service()
    r = aclient.post(f"/verwaltung/nachnutzung/dienst/{service.slug}/", params(
        authority=other_authority().pk, version=service.versions.get().pk))
    assert r.status_code == 400
    assert not Adoption.objects.filter(service=service).exists()


def test_draft_only_service_cannot_be_adopted(aclient):
    from amtsweg.catalog.models import Leistung

    service = actions.create_service(None, leistung=Leistung.objects.get(
        leika_key="99027002012000"), title={"de": "Entwurf"}, owner_authority=other_authority())
    assert aclient.get(f"/verwaltung/nachnutzung/dienst/{service.slug}/").status_code == 404


@pytest.mark.parametrize("who", ["designer_here", "clerk_here", "admin_elsewhere", "citizen"])
def test_access_matrix(admin, who):
    service = owned_service()
    adoption = actions.adopt(admin, fulda(), service.versions.get(), {"fee": 7})
    if who == "designer_here":
        user = staff(("designer", fulda()))
    elif who == "clerk_here":
        user = staff(("clerk", fulda()))
    elif who == "admin_elsewhere":
        user = staff(("admin", other_authority()))
    else:
        user = staff(("admin", fulda()), is_staff=False)
    client = client_for(user)
    checks = [
        ("get", "/verwaltung/nachnutzung/", {}),
        ("get", f"/verwaltung/nachnutzung/dienst/{service.slug}/", {}),
        ("post", f"/verwaltung/nachnutzung/dienst/{service.slug}/",
         params(version=service.versions.get().pk, fee="1")),
        ("get", f"/verwaltung/nachnutzung/{adoption.pk}/", {}),
        ("post", f"/verwaltung/nachnutzung/{adoption.pk}/",
         params(version=service.versions.get().pk, fee="1")),
        ("post", f"/verwaltung/nachnutzung/{adoption.pk}/beenden/", {}),
    ]
    for method, url, data in checks:
        status = getattr(client, method)(url, data).status_code
        if who == "admin_elsewhere" and url.startswith(
                "/verwaltung/nachnutzung/dienst/"):
            assert status in (200, 400), (who, url, status)  # adopts only for its own Behörde
        elif who == "admin_elsewhere" and url == "/verwaltung/nachnutzung/":
            assert status == 200
        else:
            assert status in (403, 404), (who, url, status)
    adoption.refresh_from_db()
    assert adoption.active and adoption.fee == 7
    assert not Adoption.objects.filter(service=service, authority=fulda()).exclude(
        pk=adoption.pk).exists()
