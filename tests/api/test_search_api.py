import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/catalog/search"


def test_search_shape(client):
    body = client.get(URL, {"q": "Geburtsurk", "limit": 3}).json()
    assert len(body["results"]) == 3
    first = body["results"][0]
    assert first == {"leikaKey": "99027002000000", "name": "Geburtsurkunde", "ozgId": 10557,
                     "score": first["score"]}
    assert 0 < first["score"] <= 1


def test_default_limit_and_no_hits(client):
    assert len(client.get(URL, {"q": "Ausstellung"}).json()["results"]) == 10
    assert client.get(URL, {"q": "xyzzyq"}).json() == {"results": []}


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201},
                                    {"q": "Pass", "limit": 0}, {"q": "Pass", "limit": 51},
                                    {"q": "Pass", "limit": "viele"}])
def test_bad_search_parameters(client, params):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["detail"]


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/catalog/search" in spec["paths"]
    spec = client.get("/api/routing/v1/openapi.json").json()
    assert {"/api/routing/v1/routes", "/api/routing/v1/areas"} <= set(spec["paths"])
