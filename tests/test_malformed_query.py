"""Malformed query parameters on public pages give a page (or a 4xx), never a server error.
`"²".isdigit()` is true but `int("²")` fails: numbers are checked with isdecimal()."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ODD = ["²", "٣", "-1", "1e9", "99999999999999999999", "abc", "", "%00", "1;2"]
PAGES = {
    "/ikz/": ["seite", "aufgabe", "kreis"],
    "/bibliothek/": ["seite", "reifegrad", "eigentuemer", "themenfeld", "leistung", "q"],
    "/foerderung/statistik/": ["von", "bis"],
    "/foerderung/statistik/daten.json": ["von", "bis"],
    "/dashboard/": ["jahr"],
    "/dashboard/vergleich/": ["a", "b"],
}


@pytest.mark.parametrize("url", PAGES)
def test_odd_values_never_give_a_server_error(url):
    client = Client(raise_request_exception=False)
    for name in PAGES[url]:
        for value in ODD + [f"area:{v}" for v in ODD[:2]]:
            response = client.get(url, {name: value})
            assert response.status_code < 500, (url, name, value, response.status_code)


def test_the_owner_filter_with_a_unicode_digit():
    response = Client().get("/bibliothek/", {"eigentuemer": "area:²", "reifegrad": "²",
                                             "seite": "²"})
    assert response.status_code == 200
