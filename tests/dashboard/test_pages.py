"""Dashboard pages: public Land, Kreis and Gemeinde pages, the comparison, CSV and JSON
exports; the staff dashboard scoped to the person's Behörden (another Behörde: 404), and the
isolation matrix over every staff route that takes an id."""

import csv
import io
import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from amtsweg.accounts.models import User
from amtsweg.dashboard import actions, staff_urls
from amtsweg.dashboard.models import Rollup
from amtsweg.territory.models import Authority
from tests.dashboard.conftest import make_case, months_ago
from tests.services.staff import client_for, staff

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/", "/dashboard/kreis/06635/", "/dashboard/gemeinde/06635001/",
         "/dashboard/vergleich/?a=06635&b=06635001"]


@pytest.fixture
def public():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def cases(adoption):
    made = [make_case(adoption, months_ago(1, 4), outcome="bewilligt", closed_after=d)
            for d in (3, 5)]
    made.append(make_case(adoption, months_ago(1, 6), due_in=2))
    actions.rollup()
    return made


def _no_inline_code(html: str) -> None:
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.parametrize("url", PAGES)
def test_public_pages(public, url, cases):
    r = public.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    _no_inline_code(html)
    # every chart is an image with a name, and the page has tables beside them
    charts = re.findall(r'<svg class="aw-chart" role="(img|group)" aria-labelledby="([^"]+)"',
                        html)
    assert charts and all(role == "img" for role, _ids in charts if "map" not in _ids)
    for _role, ids in charts:
        for id_ in ids.split():
            assert f'id="{id_}"' in html
    assert "<table" in html


def test_land_page_has_map_with_links_and_table(public, cases):
    html = public.get("/dashboard/").content.decode()
    assert 'role="group" aria-labelledby="map-t map-d"' in html
    assert html.count('href="/dashboard/gemeinde/') >= 2 * 421  # map symbol + table row
    assert 'href="/dashboard/kreis/06635/"' in html
    assert "Waldeck-Frankenberg" in html


def test_gemeinde_page_shows_its_figures_and_the_comparison(public, cases):
    html = public.get("/dashboard/gemeinde/06635001/").content.decode()
    assert "Allendorf (Eder)" in html and "Waldeck-Frankenberg" in html
    assert "Key figures side by side" in html and "Hessen" in html
    assert ">4.0 days<" in html  # median of 3 and 5 days
    assert 'href="/dashboard/kreis/06635/"' in html


def test_unknown_places_are_404(public):
    assert public.get("/dashboard/kreis/99999/").status_code == 404
    assert public.get("/dashboard/gemeinde/06635/").status_code == 404  # a Kreis's AGS
    assert public.get("/dashboard/kreis/06635001/").status_code == 404
    assert public.get("/dashboard/daten.xml").status_code == 404


def test_compare_refuses_unknown_codes_with_a_sentence(public):
    r = public.get("/dashboard/vergleich/", {"a": "1234", "b": "06635001"})
    assert r.status_code == 400
    assert "Choose a Kreis or a Gemeinde from the lists." in r.content.decode()
    r = public.get("/dashboard/vergleich/", {"a": "06635", "b": "06635001"})
    html = r.content.decode()
    assert r.status_code == 200
    assert html.index("Waldeck-Frankenberg") < html.index("Allendorf (Eder)")


def test_json_export(public, cases):
    r = public.get("/dashboard/gemeinde/06635001/daten.json")
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    data = json.loads(r.content)
    assert data["area"]["ags"] == "06635001"
    assert data["figures"]["submissions"] == 3 and data["figures"]["open"] == 1
    assert data["figures"]["median_days"] == 4.0
    assert data["levels"]["2"] == "online form"
    assert sum(data["maturity"]["counts"]) == data["maturity"]["pairs"] == len(
        data["leistungen"])


def test_csv_exports(public, cases):
    r = public.get("/dashboard/gemeinde/06635001/daten.csv", {"table": "leistungen"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    row = next(x for x in rows if x["leika_key"] == "99027002012000")
    assert (row["submissions"], row["median_days"], row["open"]) == ("3", "4.0", "1")
    rows = list(csv.DictReader(io.StringIO(
        public.get("/dashboard/daten.csv", {"table": "kreise"}).content.decode())))
    assert len(rows) == 26
    assert next(x for x in rows if x["ags"] == "06635")["submissions"] == "3"
    levels = list(csv.DictReader(io.StringIO(
        public.get("/dashboard/kreis/06635/daten.csv").content.decode())))
    assert [x["level"] for x in levels] == ["0", "1", "2", "3", "4"]
    r = public.get("/dashboard/daten.csv", {"table": "nope"})
    assert r.status_code == 400 and "There is no table" in r.content.decode()


def test_stale_figures_ask_for_a_roll_up(public):
    assert not Rollup.objects.exists()
    assert public.get("/dashboard/").status_code == 200
    assert Rollup.objects.count() == 1  # the task backend of the tests runs it at once
    assert public.get("/dashboard/").status_code == 200
    assert Rollup.objects.count() == 1  # fresh now


def test_portal_links_to_the_dashboard(public):
    assert 'href="/dashboard/"' in public.get("/").content.decode()


# --- staff ------------------------------------------------------------------------------------

def test_staff_dashboard(cases, adoption, standesamt):
    colleague = staff(("clerk", standesamt))
    colleague.first_name, colleague.last_name = "Clara", "Clerk"
    colleague.save()
    case = cases[2]
    case.assignee = colleague
    case.save()
    client = client_for(staff(("clerk", standesamt)))
    index = client.get(reverse("dashboard_staff:index")).content.decode()
    assert standesamt.name in index
    r = client.get(reverse("dashboard_staff:authority", args=[standesamt.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    _no_inline_code(html)
    assert "Clara Clerk" in html and case.receipt_number in html
    assert reverse("cases:detail", args=[case.pk]) in html
    data = json.loads(client.get(reverse("dashboard_staff:export",
                                         args=[standesamt.pk, "json"])).content)
    assert data["figures"]["open"] == 1 and data["figures"]["overdue"] == 1
    assert data["services"] == [{"service": "Test application", "open": 1, "overdue": 1}]
    assert data["assignees"] == [{"assignee": "Clara Clerk", "open": 1, "overdue": 1}]
    assert [c["receipt_number"] for c in data["overdue_cases"]] == [case.receipt_number]
    assert data["figures"]["submissions"] == 3 and data["figures"]["median_days"] == 4.0
    rows = list(csv.DictReader(io.StringIO(client.get(
        reverse("dashboard_staff:export", args=[standesamt.pk, "csv"]),
        {"table": "assignees"}).content.decode())))
    assert rows == [{"assignee": "Clara Clerk", "open": "1", "overdue": "1"}]


def test_designer_sees_figures_but_no_single_cases(cases, standesamt):
    """Without a case role (a designer only) the counts, but no receipt numbers and no
    names of who works on the cases, on the page and in the exports."""
    colleague = staff(("clerk", standesamt))
    colleague.first_name, colleague.last_name = "Clara", "Clerk"
    colleague.save()
    cases[2].assignee = colleague
    cases[2].save()
    client = client_for(staff(("designer", standesamt)))
    html = client.get(reverse("dashboard_staff:authority", args=[standesamt.pk])).content.decode()
    assert cases[2].receipt_number not in html and "Clara Clerk" not in html
    assert reverse("cases:detail", args=[cases[2].pk]) not in html
    assert "Only staff who work on the cases" in html
    data = json.loads(client.get(reverse("dashboard_staff:export",
                                         args=[standesamt.pk, "json"])).content)
    assert data["figures"]["open"] == 1 and data["figures"]["overdue"] == 1
    assert data["assignees"] == [] and data["overdue_cases"] == []
    assert "Clara" not in json.dumps(data)


def test_a_behoerde_of_a_regierungsbezirk_shows_the_lands_public_figures(standesamt):
    from amtsweg.territory.models import Area

    bezirk = Area.objects.filter(kind=Area.Kind.REGIERUNGSBEZIRK).first()
    authority = Authority.objects.create(area=bezirk, kind=standesamt.kind,
                                         name="Test-Behörde im Regierungsbezirk")
    client = client_for(staff(("lead", authority)))
    response = client.get(reverse("dashboard_staff:authority", args=[authority.pk]))
    assert response.status_code == 200
    assert reverse("dashboard:land") in response.content.decode()


ID_ROUTES = ["authority", "export"]


def _url(route: str, authority: Authority) -> str:
    args = [authority.pk] if route == "authority" else [authority.pk, "json"]
    return reverse(f"dashboard_staff:{route}", args=args)


def test_every_id_route_is_covered():
    with_id = {p.name for p in staff_urls.urlpatterns if "<" in str(p.pattern)}
    assert with_id == set(ID_ROUTES)


@pytest.mark.parametrize("route", ID_ROUTES)
def test_isolation_matrix(route, cases, standesamt):
    other = Authority.objects.filter(is_demo=True).exclude(pk=standesamt.pk).order_by("pk")[0]
    url = _url(route, standesamt)
    for roles in ([("clerk", other)], [("lead", other), ("admin", other), ("designer", other)]):
        assert client_for(staff(*roles)).get(url).status_code == 404
    citizen = Client()
    citizen.force_login(User.objects.create_user(f"b{uuid.uuid4().hex[:6]}@example.org",
                                                 "Sehr-geheim-2026"))
    assert citizen.get(url).status_code == 403
    assert Client().get(url).status_code == 302
    for role in ("clerk", "lead", "admin", "designer"):
        assert client_for(staff((role, standesamt))).get(url).status_code == 200
    # another Behörde's figures never show up on one's own page
    assert client_for(staff(("clerk", other))).get(_url(route, other)).status_code == 200
