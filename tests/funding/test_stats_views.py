"""The public statistics page and its CSV and JSON exports."""

import csv
import io
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/foerderung/statistik/"


@pytest.fixture
def en() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">(.*?)</', html, re.S)
    assert match, element_id
    return match.group(1).strip()


def test_page_shows_the_published_figures(en):
    response = en.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert text_of(html, "total-cooperations") == "350"
    assert text_of(html, "total-participations") == "1,664"
    assert text_of(html, "total-amount") == "23.6 million EUR"
    assert "2020 (January to June)" in html
    assert "Hessisches Ministerium des Innern" in html  # the source of the totals


def test_page_formats_numbers_the_german_way():
    html = Client(HTTP_ACCEPT_LANGUAGE="de").get(URL).content.decode()
    assert text_of(html, "total-participations") == "1.664"
    assert text_of(html, "total-amount").startswith("23,6 ")
    assert "23.612.500" in html  # the amount in the table


def test_every_chart_is_an_image_with_a_name_and_a_table_beside_it(en):
    html = en.get(URL).content.decode()
    charts = re.findall(r"<svg[^>]*>", html)
    assert len(charts) == 4
    for svg in charts:
        assert 'role="img"' in svg
        title_id = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
        assert re.search(rf'<title id="{title_id}">[^<]+</title>', html)
    assert html.count("<table") == 3
    assert html.count("<caption") == 3
    # the same numbers: the chart's bar value and the table cell for 2018
    assert re.search(r">45</text>", html)
    assert re.search(r'scope="row">2018</th>\s*<td[^>]*>45</td>', html)
    # strict CSP: no inline style or script, coordinates never localised
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r'(?:x|y|width|height)="[0-9]+,[0-9]', html)
    german = Client(HTTP_ACCEPT_LANGUAGE="de").get(URL).content.decode()
    assert not re.search(r'(?:x|y|width|height)="[0-9.]*,', german)


def test_year_filter(en):
    html = en.get(URL, {"von": "2018", "bis": "2019"}).content.decode()
    assert text_of(html, "total-cooperations") == "88"
    assert "Figures 2018 to 2019" in html
    assert 'href="/foerderung/statistik/jahre.csv?von=2018&amp;bis=2019"' in html
    html = en.get(URL, {"von": "2020"}).content.decode()
    assert text_of(html, "total-cooperations") == "25"


@pytest.mark.parametrize("params, sentence", [
    ({"von": "2019", "bis": "2018"}, "The first year must not be after the last year."),
    ({"von": "abc"}, "Choose a year from 2008 to 2020."),
    ({"bis": "1999"}, "Choose a year from 2008 to 2020."),
])
def test_a_bad_filter_gets_a_sentence_and_all_years(en, params, sentence):
    response = en.get(URL, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert sentence in html
    assert 'aria-invalid="true"' in html
    assert text_of(html, "total-cooperations") == "350"


def test_json_export(en):
    response = en.get(URL + "daten.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"range", "bounds", "currency", "totals", "years", "task_areas",
                         "kreise", "demo", "source"}
    assert data["totals"] == {"grants": 350, "cooperations": 350, "participations": 1664,
                              "kommunen": data["totals"]["kommunen"],
                              "amount": data["totals"]["amount"]}
    assert 23_500_000 < data["totals"]["amount"] < 23_700_000
    assert data["currency"] == "EUR" and data["demo"] is True and data["source"]
    assert [y["year"] for y in data["years"]] == list(range(2008, 2021))
    for row in data["years"]:
        assert set(row) == {"year", "grants", "cooperations", "participations", "kommunen",
                            "amount"}
        assert isinstance(row["amount"], float)
    assert {"key", "label", "grants", "cooperations", "participations", "amount"} == set(
        data["task_areas"][0])
    assert len(data["kreise"]) == 26
    assert sum(k["participations"] for k in data["kreise"]) == 1664
    one_year = en.get(URL + "daten.json", {"von": "2018", "bis": "2018"}).json()
    assert one_year["totals"]["cooperations"] == 45
    assert one_year["range"] == {"from": 2018, "to": 2018}


def test_json_export_refuses_a_bad_filter(en):
    response = en.get(URL + "daten.json", {"von": "2019", "bis": "2018"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "The first year must not be after the last year."


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_exports_hold_the_same_figures(en):
    years = read_csv(en.get(URL + "jahre.csv"))
    assert list(years[0]) == ["year", "grants", "cooperations", "participations", "kommunen",
                              "amount_eur"]
    assert len(years) == 13
    assert sum(int(r["cooperations"]) for r in years) == 350
    assert sum(int(r["participations"]) for r in years) == 1664
    by_year = {r["year"]: r for r in years}
    assert by_year["2018"]["cooperations"] == "45" and float(by_year["2018"]["amount_eur"]) > 3e6
    areas = read_csv(en.get(URL + "aufgabenbereiche.csv"))
    assert list(areas[0]) == ["task_area", "label", "grants", "cooperations", "participations",
                              "amount_eur"]
    assert len(areas) == 11
    kreise = read_csv(en.get(URL + "kreise.csv", {"von": "2018", "bis": "2019"}))
    assert list(kreise[0]) == ["ags", "kreis", "kreis_type", "cooperations", "participations",
                               "kommunen"]
    assert sum(int(r["participations"]) for r in kreise) == 315
    response = en.get(URL + "kreise.csv", {"von": "2018", "bis": "2019"})
    assert 'filename="ikz-foerderung-kreise-2018-2019.csv"' in response["Content-Disposition"]
    assert en.get(URL + "unbekannt.csv").status_code == 404
    assert en.get(URL + "jahre.csv", {"von": "x"}).status_code == 400


def test_page_queries_do_not_grow_with_grants(en, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):  # computed: a fixed number of aggregates
        en.get(URL, {"von": "2018"})
    with django_assert_max_num_queries(2):  # cached: one version check per figure set
        en.get(URL, {"von": "2018"})


def test_without_grants_the_page_says_so(en):
    from amtsweg.funding.models import Grant

    Grant.objects.all().delete()
    response = en.get(URL)
    assert response.status_code == 200
    assert "There are no grants in these years." in response.content.decode()
    assert "<svg" not in response.content.decode()
    assert en.get(URL + "daten.json").json()["totals"]["grants"] == 0
    assert read_csv(en.get(URL + "jahre.csv")) == []


def test_the_current_year_reads_so_far(en):
    import datetime

    from django.utils import timezone

    from amtsweg.funding.models import Programme
    from amtsweg.territory.models import Area
    from tests.funding.test_stats import make_grant

    year = timezone.localdate().year
    programme = Programme.objects.create(name="Test", slug="test-programm",
                                         opens_on=datetime.date(year, 1, 1))
    make_grant(programme, [Area.objects.get(ags="06635001"), Area.objects.get(ags="06635004")],
               year=year)
    html = en.get(URL).content.decode()
    assert f"{year} (so far)" in html
    assert text_of(html, "total-cooperations") == "351"
    assert "Show the years 2008 to 2020 only" in html
    published = en.get(URL, {"von": "2008", "bis": "2020"}).content.decode()
    assert text_of(published, "total-cooperations") == "350"
    assert text_of(published, "total-participations") == "1,664"
    assert "Show the years 2008 to 2020 only" not in published
