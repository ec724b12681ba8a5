"""The public cooperation pages, the service library and the staff pages of cooperations,
with the tenant isolation matrix of every staff route that takes an id."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amtsweg.accounts.models import User
from amtsweg.ikz import actions
from amtsweg.ikz.models import Cooperation, Member, SharedStaff, TaskArea
from amtsweg.services.models import Adoption, OnlineService
from amtsweg.territory.models import Authority
from tests.services.staff import client_for, fulda, staff

from .conftest import ALHEIM, BEBRA, BREITENBACH, area, cooperation_service, office

pytestmark = pytest.mark.django_db


@pytest.fixture
def public():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.content.decode())


def plain(html: str) -> str:
    """The text of a page without its tags."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- public cooperation pages ----------------------------------------------------------------

def test_list_filters_by_task_area_and_kreis(public, demo):
    page = text_of(public.get("/ikz/"))
    total = Cooperation.objects.count()
    assert f"{total} cooperations" in page and f"Page 1 of {(total + 24) // 25}" in page
    assert page.count('<tr class="kern-table__row">') == 26  # header and 25 rows
    page = text_of(public.get("/ikz/", {"aufgabe": "digitalisierung", "kreis": "06635"}))
    assert "IKZ Ederbergland digital" in page
    assert "Informationssicherheit Waldeck-Frankenberg" in page  # the Kreis itself is a member
    assert "Gemeinsames Standesamt Oberer Vogelsberg" not in page
    page = text_of(public.get("/ikz/", {"aufgabe": "standesamt", "kreis": "06535"}))
    assert "Gemeinsames Standesamt Oberer Vogelsberg" in page
    assert "IKZ Ederbergland digital" not in page
    # nonsense filters are ignored, not errors
    assert public.get("/ikz/", {"aufgabe": "x", "kreis": "<b>", "seite": "-1"}).status_code == 200


def test_list_runs_a_fixed_number_of_queries(public):
    with CaptureQueriesContext(connection) as few:
        public.get("/ikz/")
    with CaptureQueriesContext(connection) as filtered:
        public.get("/ikz/", {"kreis": "06635", "seite": "1"})
    assert len(few) <= 5 and len(filtered) <= 5


def test_detail_shows_members_staff_and_services_without_private_data(public, demo):
    page = text_of(public.get("/ikz/ederbergland-digital/"))
    for name in ("Allendorf (Eder) (lead)", "Battenberg (Eder)", "Burgwald", "Hatzfeld (Eder)",
                 "Digitalisation and e-government", "since 01.01.2021"):
        assert name in page, name
    assert "IT-Koordination (gemeinsam eingestellt): Jana Beispiel" in page  # a public role
    assert "Informationssicherheitsbeauftragte:r – employed by Battenberg (Eder)" in page
    assert "Tom Muster" not in page  # not public
    assert "Register a dog for the dog tax" in page
    assert "Bürgerbüro der Stadt Hatzfeld (Eder)" in page  # which members offer it
    assert "@" not in re.sub(r"<head>.*?</head>", "", page)  # no e-mail addresses at all
    assert public.get("/ikz/gibt-es-nicht/").status_code == 404


def test_a_linked_account_shows_no_email_and_its_name_only_when_public(public, demo):
    person = staff(("clerk", office("06635006")))
    person.first_name, person.last_name = "Lina", "Linked"
    person.save()
    actions.add_shared_staff(None, demo, role="Webredaktion", account=person,
                             employer=area("06635006"), name_public=True)
    actions.add_shared_staff(None, demo, role="Datenschutz", account=person,
                             employer=area("06635006"), name_public=False)
    page = text_of(public.get("/ikz/ederbergland-digital/"))
    assert "Webredaktion: Lina Linked" in page
    assert "Datenschutz: Lina" not in page and person.email not in page


# --- the service library ---------------------------------------------------------------------

def test_library_lists_every_owner_with_maturity_and_use(public):
    page = text_of(public.get("/bibliothek/"))
    published = OnlineService.objects.filter(versions__state="published").distinct().count()
    assert f"{published} online services" in page
    for title in ("Apply for a birth certificate", "Register a dog for the dog tax"):
        assert title in page, title
    assert "IKZ Ederbergland digital" in page and "Hessen" in page
    row = re.search(r"Register a dog for the dog tax</a></th>(.*?)</tr>", page).group(1)
    assert "level 3 / level 3" in plain(row) and "4 Kommunen" in row
    assert "Adopt" not in page  # only administrators see the button


@pytest.mark.parametrize(("query", "expected", "not_expected"), [
    ({"q": "hundesteuer"}, "Register a dog", "birth certificate"),
    ({"q": "GEBURTSURKUNDE"}, "birth certificate", "Register a dog"),
    ({"q": "Fuehrerschein Pruefung"}, None, "Register a dog"),
    ({"q": "hund festsetzung"}, "Register a dog", "birth certificate"),  # title + Leistung
    ({"eigentuemer": "cooperation:{demo}"}, "Register a dog", "birth certificate"),
    ({"themenfeld": "familie-kind"}, "Apply for parental allowance", "Register a dog"),
    ({"themenfeld": "engagement-hobby"}, "Register a dog", "birth certificate"),
    ({"leistung": "99102013002000"}, "Register a dog", "birth certificate"),
    ({"reifegrad": "4"}, None, "Register a dog"),
])
def test_library_search_and_filters(public, demo, query, expected, not_expected):
    query = {k: v.format(demo=demo.pk) for k, v in query.items()}
    page = text_of(public.get("/bibliothek/", query))
    if expected:
        assert expected in page
    assert not_expected not in page


def test_maturity_filter_keeps_services_that_reach_the_level(public):
    from amtsweg.ikz import library

    ids = library.candidates(library.Filters())
    levels = library.version_levels(library.newest_published(ids))
    assert set(levels.values()) <= {2, 3, 4}
    for level in (2, 3, 4):
        page = text_of(public.get("/bibliothek/", {"reifegrad": level}))
        count = sum(1 for value in levels.values() if value >= level)
        assert f"{count} online service" in page, (level, count)


def test_library_page_costs_a_fixed_number_of_queries(public, demo):
    with CaptureQueriesContext(connection) as everything:
        public.get("/bibliothek/")
    with CaptureQueriesContext(connection) as one:
        public.get("/bibliothek/", {"eigentuemer": f"cooperation:{demo.pk}"})
    # the same queries whether 1 or 12 services with 1,218 adoptions are on the page (the
    # only extra ones load a version's form the first time it is rated in this process)
    assert len(everything) <= 12 and len(one) <= 12


def test_library_pages(public):
    ids = [int(x) for x in re.findall(r"seite=(\d+)", text_of(public.get("/bibliothek/")))]
    assert ids == []  # 12 services fit on one page
    from amtsweg.ikz import library

    assert library.PAGE_SIZE == 20


def test_library_detail_lists_the_kommunen_that_use_it(public):
    page = text_of(public.get("/bibliothek/geburtsurkunde/"))
    # a Standesamt serves its Gemeinde; four in five Gemeinden adopted the seed service
    adopting = Adoption.objects.filter(service__slug="geburtsurkunde", active=True).count()
    assert f"Used in {adopting} Kommunen" in page
    assert "Allendorf (Eder) (Gemeinde) Standesamt der Gemeinde Allendorf (Eder)" in plain(page)
    elterngeld = plain(text_of(public.get("/bibliothek/elterngeld/")))
    assert "Used in 3 Kommunen" in elterngeld  # the three Regierungsbezirke
    assert "Regierungsbezirk" in elterngeld
    assert public.get("/bibliothek/gibt-es-nicht/").status_code == 404


def test_a_draft_only_service_is_not_in_the_library(public, coop):
    service = cooperation_service(coop, publish=False)
    assert public.get(f"/bibliothek/{service.slug}/").status_code == 404
    assert service.slug not in text_of(public.get("/bibliothek/"))


def test_administrators_see_the_adopt_button(demo):
    client = client_for(staff(("admin", fulda())))
    page = text_of(client.get("/bibliothek/"))
    assert 'href="/verwaltung/nachnutzung/dienst/hundesteuer-anmeldung/"' in page
    page = text_of(client.get("/bibliothek/hundesteuer-anmeldung/"))
    assert "Adopt for your authority" in page
    assert client.get("/verwaltung/nachnutzung/dienst/hundesteuer-anmeldung/").status_code == 200
    clerk = client_for(staff(("clerk", fulda())))
    assert "Adopt for your authority" not in text_of(
        clerk.get("/bibliothek/hundesteuer-anmeldung/"))


# --- staff pages -----------------------------------------------------------------------------

def test_a_kommunal_admin_creates_and_manages_a_cooperation():
    admin = staff(("admin", office(ALHEIM)))
    client = client_for(admin)
    form = text_of(client.get("/verwaltung/ikz/neu/"))
    assert "Alheim (06632001)" in form and "Bebra" not in form  # only their own Kommune
    response = client.post("/verwaltung/ikz/neu/", {
        "name": "Haune digital", "task_area": "digitalisierung", "lead": area(ALHEIM).pk,
        "description": "", "starts_on": "2026-02-01", "ends_on": "2026-01-01"})
    assert response.status_code == 400
    assert "The cooperation cannot end before it starts." in response.content.decode()
    response = client.post("/verwaltung/ikz/neu/", {
        "name": "Haune digital", "task_area": "digitalisierung", "lead": area(ALHEIM).pk,
        "description": "", "starts_on": "2026-02-01", "ends_on": ""})
    cooperation = Cooperation.objects.get(name="Haune digital")
    assert response.status_code == 302
    assert response["Location"] == f"/verwaltung/ikz/{cooperation.pk}/"
    base = response["Location"]
    r = client.post(base + "mitglieder/", {"member-kommune": "Bebra", "member-joined_on": ""})
    assert r.status_code == 302
    r = client.post(base + "mitglieder/", {"member-kommune": "Breitenbach a. Herzberg (06632004)"})
    assert r.status_code == 302
    r = client.post(base + "mitglieder/", {"member-kommune": "Kassel"})
    assert r.status_code == 400 and "Several match" in r.content.decode()
    r = client.post(base + "mitglieder/", {"member-kommune": "Atlantis"})
    assert r.status_code == 400 and "There is no Gemeinde or Kreis named" in r.content.decode()
    assert set(Member.objects.current().filter(cooperation=cooperation)
               .values_list("area__ags", flat=True)) == {ALHEIM, BEBRA, BREITENBACH}
    r = client.post(base + "personal/", {
        "staff-role": "IT-Koordination", "staff-name": "Kai Beispiel",
        "staff-employer": area(BEBRA).pk, "staff-hours_per_week": "19.5",
        "staff-name_public": "on"})
    assert r.status_code == 302
    shared = SharedStaff.objects.get(cooperation=cooperation)
    assert shared.name_public and str(shared.hours_per_week) == "19.5"
    r = client.post(base + "personal/", {"staff-role": "", "staff-employer": area(BEBRA).pk})
    assert r.status_code == 400
    r = client.post(base + "bearbeiten/", {
        "edit-name": "Haune digital 2", "edit-task_area": "finanzen",
        "edit-lead": area(ALHEIM).pk, "edit-description": "Gemeinsam.",
        "edit-starts_on": "2026-02-01", "edit-ends_on": ""})
    assert r.status_code == 302
    cooperation.refresh_from_db()
    assert cooperation.name == "Haune digital 2" and cooperation.task_area == "finanzen"
    member = Member.objects.get(cooperation=cooperation, area__ags=BEBRA)
    assert client.post(f"{base}mitglieder/{member.pk}/austritt/").status_code == 302
    member.refresh_from_db()
    assert member.left_on is not None
    assert client.post(f"{base}personal/{shared.pk}/entfernen/").status_code == 302
    assert not SharedStaff.objects.filter(cooperation=cooperation).exists()
    page = text_of(client.get(base))
    assert "Former members: Bebra" in page


def test_a_member_admin_adopts_in_one_step_and_sees_why_others_were_skipped(coop):
    service = cooperation_service(coop)
    admin = staff(("admin", office(BEBRA)), ("admin", office(BREITENBACH)))
    client = client_for(admin)
    page = text_of(client.get(f"/verwaltung/ikz/{coop.pk}/"))
    assert "Adopt in one step" in page and "not offered" in page
    assert "Data of the cooperation" not in page  # members' admins do not edit
    r = client.post(f"/verwaltung/ikz/{coop.pk}/uebernehmen/",
                    {"adopt-service": "alle", "adopt-kommune": "alle"}, follow=True)
    page = plain(text_of(r))
    assert "2 adoptions made; 0 skipped." in page
    assert "The local parameters were taken from the lead Kommune's adoption" in page
    assert Adoption.objects.filter(service=service, active=True).count() == 2
    r = client.post(f"/verwaltung/ikz/{coop.pk}/uebernehmen/",
                    {"adopt-service": service.pk, "adopt-kommune": area(BEBRA).pk},
                    follow=True)
    page = plain(text_of(r))
    assert "0 adoptions made; 1 skipped." in page
    assert "Bürgerbüro der Stadt Bebra already offers Register a dog for the dog tax." in page
    assert "offered by Bürgerbüro der Stadt Bebra" in page
    r = client.post(f"/verwaltung/ikz/{coop.pk}/uebernehmen/",
                    {"adopt-service": "999999", "adopt-kommune": "alle"})
    assert r.status_code == 400 and Adoption.objects.filter(service=service).count() == 2


def test_staff_list_shows_only_own_cooperations(demo):
    client = client_for(staff(("admin", office("06635004"))))
    page = text_of(client.get("/verwaltung/ikz/"))
    assert "IKZ Ederbergland digital" in page and "Oberer Vogelsberg" not in page
    assert "Create a cooperation" in page
    assert client_for(staff(("designer", fulda()))).get("/verwaltung/ikz/").status_code == 403


# --- tenant isolation matrix -----------------------------------------------------------------

ID_ROUTES = ["detail", "edit", "member_add", "member_remove", "staff_add", "staff_remove",
             "adopt"]
MANAGE_ROUTES = {"edit", "member_add", "member_remove", "staff_add", "staff_remove"}


def test_every_id_route_is_covered():
    from amtsweg.ikz import staff_urls

    with_id = {p.name for p in staff_urls.urlpatterns if "<" in str(p.pattern)}
    assert with_id == set(ID_ROUTES)


def _url(route: str, coop: Cooperation) -> str:
    from django.urls import reverse

    if route == "member_remove":
        member = Member.objects.get(cooperation=coop, area__ags=BEBRA)
        return reverse("ikz_staff:member_remove", args=[coop.pk, member.pk])
    if route == "staff_remove":
        shared = coop.shared_staff.first()
        return reverse("ikz_staff:staff_remove", args=[coop.pk, shared.pk])
    return reverse(f"ikz_staff:{route}", args=[coop.pk])


@pytest.mark.parametrize("route", ID_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_isolation_matrix(route, method, coop):
    cooperation_service(coop)
    actions.add_shared_staff(None, coop, role="IT", name="Kai", employer=area(BEBRA))
    url = _url(route, coop)
    data = {"edit-name": "Gekapert", "edit-task_area": "bauhof", "edit-lead": area(ALHEIM).pk,
            "edit-starts_on": "2025-01-01", "member-kommune": "06632005",
            "staff-role": "X", "staff-name": "Y", "staff-employer": area(BEBRA).pk,
            "adopt-service": "alle", "adopt-kommune": "alle"}

    def call(client):
        return client.post(url, data) if method == "post" else client.get(url)

    outsider = staff(("admin", office("06632005")), ("admin", fulda()))
    assert call(client_for(outsider)).status_code == 404
    for user in (staff(("designer", office(ALHEIM))), staff(("clerk", office(BEBRA)))):
        assert call(client_for(user)).status_code == 403
    member_admin = client_for(staff(("admin", office(BEBRA))))
    if route in MANAGE_ROUTES:
        assert call(member_admin).status_code == 404
    citizen = Client()
    citizen.force_login(User.objects.create_user("buerger@example.org", "Sehr-geheim-2026"))
    assert call(citizen).status_code == 403
    assert call(Client()).status_code == 302
    coop.refresh_from_db()
    assert coop.name == "IKZ Fulda-Haune digital"
    assert Member.objects.current().filter(cooperation=coop).count() == 4
    assert coop.shared_staff.count() == 1
    assert not Adoption.objects.filter(service__owner_cooperation=coop).exists()
    # the lead Kommune's admin reaches it
    lead_admin = client_for(staff(("admin", office(ALHEIM))))
    status = call(lead_admin).status_code
    if method == "get":
        assert status == (200 if route == "detail" else 405)
    else:
        assert status in ({405} if route == "detail" else {302, 400})


def test_dates_of_a_cooperation_are_shown_as_a_period(public):
    cooperation = actions.create_cooperation(
        None, name="Befristet", task_area=TaskArea.BAUHOF, lead=area(ALHEIM),
        starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2022, 12, 31))
    assert "01.01.2020 – 31.12.2022" in text_of(public.get(f"/ikz/{cooperation.slug}/"))
    assert not cooperation.is_current


def test_designers_of_members_are_pointed_to_the_designer(demo):
    client = client_for(staff(("designer", office("06635004", Authority.Kind.STANDESAMT))))
    page = text_of(client.get("/ikz/ederbergland-digital/"))
    assert "Build a service for the cooperation" in page
    assert "Build a service for the cooperation" not in text_of(
        client_for(staff(("designer", fulda()))).get("/ikz/ederbergland-digital/"))
    assert OnlineService.objects.filter(owner_cooperation=demo).count() == 1
