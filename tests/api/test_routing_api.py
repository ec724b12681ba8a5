"""Routing API in the FIT-Connect shape: routes, areas, problem+json errors, rate limit."""

import time
import uuid

import pytest

from amtsweg.core.signing import verify
from amtsweg.territory.models import Authority

pytestmark = pytest.mark.django_db

ROUTES = "/api/routing/v1/routes"
RS = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"
LEIKA = "urn:de:fim:leika:leistung:"


def serves(payload: dict, ars: str, leika_key: str) -> bool:
    """What a FIT-Connect client checks: the signed services cover this area and Leistung."""
    return any(RS + ars in s["gebietIDs"] and LEIKA + leika_key in s["leistungIDs"]
               for s in payload["services"])
AREAS = "/api/routing/v1/areas"
GEBURTSURKUNDE = "99027002012000"
ZULASSUNG = "99036011012000"


def test_route_shape_and_signature(client):
    response = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE, "ags": "06631009"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["count"], body["offset"], body["totalCount"]) == (1, 0, 1)
    route = body["routes"][0]
    authority = Authority.objects.get(destination_id=route["destinationId"])
    assert authority.name == "Standesamt der Stadt Fulda"
    uuid.UUID(route["destinationId"])
    assert route["destinationName"] == authority.name
    assert route["destinationShortName"] == "Standesamt Fulda"
    assert route["address"] == {"street": authority.street, "houseNumber": authority.house_number,
                                "zip": "36037", "city": "Fulda"}
    assert route["contactPersons"][0]["email"].endswith(".example")
    for url in ("privacyPolicyUrl", "imprintUrl", "accessibilityUrl"):
        assert route[url].startswith("https://")
    for text in ("furtherInformation", "requiredDocuments", "legalBasis"):
        assert set(route[text]["description"]) == {"de", "en"}
    assert "Personenstandsgesetz" in route["legalBasis"]["description"]["de"]
    assert route["processingDuration"] == {"minDuration": 3, "maxDuration": 10,
                                           "unit": "workday"}
    assert route["origin"]

    jwks = client.get("/.well-known/jwks.json").json()
    assert all("d" not in key and "p" not in key for key in jwks["keys"])
    header_b64 = route["destinationSignature"].split(".")[0]
    import base64
    import json
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    assert header["alg"] == "PS512" and header["kid"] == jwks["keys"][0]["kid"]
    payload = verify(route["destinationSignature"], jwks)
    assert payload["destinationId"] == route["destinationId"]
    assert serves(payload, "066310009009", GEBURTSURKUNDE)
    assert not serves(payload, "066310003003", GEBURTSURKUNDE)  # another Gemeinde
    assert {"submissionHost", "iss", "iat", "jti"} <= set(payload)


def test_signature_does_not_verify_with_another_key(client):
    from joserfc.errors import JoseError
    from joserfc.jwk import RSAKey

    route = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE, "ags": "06631009"}).json()
    other = RSAKey.generate_key(2048, private=True, parameters={"alg": "PS512"})
    other.ensure_kid()
    jwks = {"keys": [other.as_dict(private=False)]}
    with pytest.raises((JoseError, ValueError)):
        verify(route["routes"][0]["destinationSignature"], jwks)


@pytest.mark.parametrize("params", [
    {"ars": "066310003003"}, {"ars": "066310003"}, {"ags": "06631003"},
])
def test_kreis_service_by_every_kind_of_gemeinde_code(client, params):
    body = client.get(ROUTES, {"leikaKey": ZULASSUNG, **params}).json()
    route = body["routes"][0]
    assert route["destinationName"] == "Zulassungsstelle des Landkreises Fulda"
    payload = verify(route["destinationSignature"], client.get("/.well-known/jwks.json").json())
    assert serves(payload, "066310003003", ZULASSUNG)
    assert serves(payload, "06631", ZULASSUNG)
    assert not serves(payload, "066320001001", ZULASSUNG)  # a Gemeinde of another Kreis
    assert not serves(payload, "066310003003", GEBURTSURKUNDE)


def test_kreis_level_query_and_area_id(client):
    kreis = client.get(ROUTES, {"leikaKey": ZULASSUNG, "ars": "06631"}).json()
    assert kreis["routes"][0]["destinationName"] == "Zulassungsstelle des Landkreises Fulda"
    area = client.get(AREAS, {"areaSearchexpression": "Dipperz"}).json()["areas"][0]
    by_id = client.get(ROUTES, {"leikaKey": ZULASSUNG, "areaId": area["id"]}).json()
    assert by_id["routes"][0]["destinationId"] == kreis["routes"][0]["destinationId"]


def test_gemeinde_service_asked_for_a_kreis_has_no_route(client):
    body = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE, "ars": "06631"}).json()
    assert body == {"count": 0, "offset": 0, "totalCount": 0, "routes": []}


@pytest.mark.parametrize("params", [
    {"leikaKey": "99999999999999", "ags": "06631003"},  # unknown Leistung
    {"leikaKey": ZULASSUNG, "ags": "09162000"},  # München: not in this installation
])
def test_unknown_leistung_or_area_gives_an_empty_list(client, params):
    body = client.get(ROUTES, params).json()
    assert body["totalCount"] == 0 and body["routes"] == []


def test_paging(client):
    body = client.get(ROUTES, {"leikaKey": ZULASSUNG, "ags": "06631003", "offset": 1}).json()
    assert (body["count"], body["offset"], body["totalCount"]) == (0, 1, 1)


@pytest.mark.parametrize(("params", "fragment"), [
    ({"ags": "06631003"}, "leikaKey"),
    ({"leikaKey": "12345678901234", "ags": "06631003"}, "leikaKey"),
    ({"leikaKey": "990270020120001", "ags": "06631003"}, "leikaKey"),
    ({"leikaKey": GEBURTSURKUNDE}, "exactly one"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "ars": "066310003003"}, "exactly one"),
    ({"leikaKey": GEBURTSURKUNDE, "ars": "0663100030"}, "ars"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "0663100"}, "ags"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "0663100a"}, "ags"),
    ({"leikaKey": GEBURTSURKUNDE, "areaId": "0"}, "areaId"),
    ({"leikaKey": GEBURTSURKUNDE, "areaId": "x"}, "areaId"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "limit": "0"}, "limit"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "limit": "501"}, "limit"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "offset": "-1"}, "offset"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "offset": "eins"}, "offset"),
    # Outside tester (schemathesis): an empty value is no integer, so not the default.
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "offset": ""}, "offset"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "limit": ""}, "limit"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "", "ars": "066310003003"}, "exactly one"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": "06631003", "ars": "066310003003", "areaId": "1"},
     "exactly one"),
    ({"leikaKey": GEBURTSURKUNDE, "ags": ""}, "ags"),
])
def test_bad_parameters_are_problems(client, params, fragment):
    response = client.get(ROUTES, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == 400
    assert fragment in body["detail"]


def test_problem_detail_in_german_by_default(client):
    german = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE}).json()["detail"]
    english = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE},
                         HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert english == "Give exactly one of the parameters ars, ags and areaId."
    assert german != english and "ars" in german


def test_areas_by_name_wildcard_and_plz(client):
    body = client.get(AREAS, {"areaSearchexpression": "Fulda"}).json()
    assert {"id", "name", "type"} == set(body["areas"][0])
    types = {(a["name"], a["type"]) for a in body["areas"]}
    assert ("Fulda", "Landkreis") in types and ("Fulda", "Stadt") in types
    wildcard = client.get(AREAS, {"areaSearchexpression": "Fulda*"}).json()
    names = {a["name"] for a in wildcard["areas"]}
    assert {"Fulda", "Fuldatal", "Fuldabrück"} <= names
    plz = client.get(AREAS, {"areaSearchexpression": "34127"}).json()
    assert {a["name"] for a in plz["areas"]} == {"Kassel", "Fuldatal"}
    both = client.get(AREAS, [("areaSearchexpression", "34127"),
                              ("areaSearchexpression", "Fuldatal")]).json()
    assert [a["name"] for a in both["areas"]] == ["Fuldatal"]
    land = client.get(AREAS, {"areaSearchexpression": "Hessen"}).json()
    assert land["areas"][0] == {"id": land["areas"][0]["id"], "name": "Hessen",
                                "type": "Bundesland"}
    assert "Borken (Hessen)" in {a["name"] for a in land["areas"]}


def test_areas_paging(client):
    body = client.get(AREAS, {"areaSearchexpression": "Bad*", "limit": 5, "offset": 5}).json()
    assert body["count"] == 5 and body["offset"] == 5 and body["totalCount"] > 10


@pytest.mark.parametrize("params", [
    {}, {"areaSearchexpression": "a"}, {"areaSearchexpression": "**"},
    {"areaSearchexpression": "Fu*da*x*"}, {"areaSearchexpression": "Kassel", "limit": "1000"},
])
def test_bad_area_searches(client, params):
    response = client.get(AREAS, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("expression", [
    pytest.param("a" * 36 + "***", id="issue-11"),  # 5.6 s with the former regex check
    "a" * 60 + "***", "a" * 1000 + "***", "*" * 1000, "ab*" * 33 + "**", "a*" * 500,
    "ab" + "*ab" * 30 + "***", "Fulda" * 20 + "x***",
])
def test_pathological_area_expressions_are_refused_at_once(client, expression):
    """Finding 1 of issue 11: the expression is checked by hand, its length first."""
    started = time.perf_counter()
    response = client.get(AREAS, {"areaSearchexpression": expression})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert time.perf_counter() - started < 0.5


def test_wildcards_with_many_pieces_stay_fast(client):
    expression = "ab*" * 33  # 99 characters: the longest accepted, 33 pieces
    started = time.perf_counter()
    response = client.get(AREAS, {"areaSearchexpression": [expression] * 10})
    assert response.status_code == 200 and response.json()["totalCount"] == 0
    assert time.perf_counter() - started < 1


def test_star_is_the_only_wildcard(client):
    names = {a["name"] for a in client.get(
        AREAS, {"areaSearchexpression": "Ful*tal"}).json()["areas"]}
    assert names == {"Fuldatal"}
    assert {a["name"] for a in client.get(
        AREAS, {"areaSearchexpression": "*uldat*"}).json()["areas"]} == {"Fuldatal"}
    for literal in ("Fu?da*", "[F]ulda*", "Fu[a-z]da"):
        body = client.get(AREAS, {"areaSearchexpression": literal}).json()
        assert body["totalCount"] == 0, literal
    both = client.get(AREAS, {"areaSearchexpression": "Fu**tal"}).json()
    assert {a["name"] for a in both["areas"]} == {"Fuldatal"}


def test_rate_limit_headers_and_429(client, settings):
    settings.API_RATE_LIMIT = 3
    for expected_remaining in (2, 1, 0):
        response = client.get(AREAS, {"areaSearchexpression": "Fulda"})
        assert response.status_code == 200
        assert response["RateLimit-Limit"] == "3"
        assert response["RateLimit-Remaining"] == str(expected_remaining)
        assert 0 < int(response["RateLimit-Reset"]) <= settings.API_RATE_WINDOW
    response = client.get(AREAS, {"areaSearchexpression": "Fulda"})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert int(response["Retry-After"]) > 0
    # Another client is not affected.
    other = client.get(AREAS, {"areaSearchexpression": "Fulda"}, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200


def test_unknown_api_path_and_method(client):
    response = client.get("/api/routing/v1/nothing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    response = client.post(ROUTES, {})
    assert response.status_code == 405


def test_signatures_are_stored_and_renewed_when_the_territory_changes(client):
    from amtsweg.api.destinations import sign_stale_destinations
    from amtsweg.territory.models import DestinationSignature, Responsibility

    first = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE, "ags": "06631009"}).json()
    token = first["routes"][0]["destinationSignature"]
    authority = Authority.objects.get(destination_id=first["routes"][0]["destinationId"])
    assert DestinationSignature.objects.get(authority=authority).token == token
    again = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE, "ags": "06631009"}).json()
    assert again["routes"][0]["destinationSignature"] == token

    # the Standesamt Fulda now also serves Dipperz: a new signature says so
    from amtsweg.catalog.models import Leistung
    from amtsweg.territory.models import Area
    Responsibility.objects.filter(leistung__leika_key=GEBURTSURKUNDE,
                                  area__ags="06631003").delete()
    Responsibility.objects.create(leistung=Leistung.objects.get(leika_key=GEBURTSURKUNDE),
                                  area=Area.objects.get(ags="06631003"), authority=authority)
    from amtsweg.core.models import DataVersion
    from amtsweg.territory import lookup
    DataVersion.bump(lookup.VERSION_KEY)  # what the commit of the change does
    lookup.invalidate()
    route = client.get(ROUTES, {"leikaKey": GEBURTSURKUNDE, "ags": "06631003"}).json()
    renewed = route["routes"][0]["destinationSignature"]
    assert route["routes"][0]["destinationId"] == str(authority.destination_id)
    assert renewed != token
    assert serves(verify(renewed, client.get("/.well-known/jwks.json").json()),
                  "066310003003", GEBURTSURKUNDE)
    assert sign_stale_destinations() > 0
    assert sign_stale_destinations() == 0


@pytest.mark.parametrize("params", [
    {"leikaKey": "99027002012000", "ags": "0663100\x00"},
    {"leikaKey": "9902700201200\x00", "ags": "06631009"},
])
def test_nul_in_parameters_is_a_bad_request(client, params):
    assert client.get(ROUTES, params).status_code == 400


def test_nul_in_area_search(client):
    response = client.get(AREAS, {"areaSearchexpression": "Fu\x00lda"})
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("application/")


def test_empty_paging_values_of_areas_are_problems_too(client):
    for name in ("offset", "limit"):
        response = client.get(AREAS, {"areaSearchexpression": "Fulda", name: ""},
                              HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, name
        assert response["Content-Type"] == "application/problem+json"
        assert name in response.json()["detail"]


def test_the_document_says_what_the_routes_operation_refuses(client):
    """Outside tester: behaviour and document must agree. OpenAPI cannot make one of three
    optional parameters required, so the operation, each of the three and its 400 answer
    say it; offset and limit say that an empty value is refused."""
    spec = client.get("/api/routing/v1/openapi.json").json()
    operation = spec["paths"]["/api/routing/v1/routes"]["get"]
    assert "exactly one of the parameters ars, ags and areaId" in operation["description"]
    params = {p["name"]: p for p in operation["parameters"]}
    for name in ("ars", "ags", "areaId"):
        assert not params[name]["required"]
        assert "Exactly one of ars, ags and areaId" in params[name]["description"], name
    for name in ("offset", "limit"):
        assert params[name]["schema"]["type"] == "integer"
        assert "empty value" in params[name]["description"], name
    refusal = operation["responses"]["400"]
    assert "none or several of ars, ags and areaId" in refusal["description"]
    assert "empty" in refusal["description"]
    assert list(refusal["content"]) == ["application/problem+json"]
    assert "x-amtsweg-explained" not in refusal
    areas = spec["paths"]["/api/routing/v1/areas"]["get"]
    assert areas["responses"]["400"]["description"] == "Invalid parameters or body"


@pytest.mark.parametrize("query", [
    # Second outside round: Python's `$` matched before a final newline, `\d` and int()
    # took any Unicode digit, `+1` and ` 1`; a repeated parameter silently took the last.
    f"leikaKey={GEBURTSURKUNDE}&ags=06%0A",
    f"leikaKey={GEBURTSURKUNDE}%0A&ags=06631003",
    f"leikaKey={GEBURTSURKUNDE}&ags=%EF%BC%9006631009",  # full-width zero
    f"leikaKey={GEBURTSURKUNDE}&ars=%D9%A06",  # Arabic-Indic zero
    f"leikaKey={GEBURTSURKUNDE}&ags=06631003&offset=%2B1",
    f"leikaKey={GEBURTSURKUNDE}&ags=06631003&offset=%201",
    f"leikaKey={GEBURTSURKUNDE}&ags=06631003&limit=%D9%A3",
    f"leikaKey={GEBURTSURKUNDE}&ags=06631003&offset=0&offset=1",
    f"leikaKey={GEBURTSURKUNDE}&ags=06631003&ags=06631003",
])
def test_parameters_mean_what_the_document_says(client, query):
    response = client.get(f"{ROUTES}?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("expression", "fragment"), [
    ("a" * 101, "at most 100 characters"),
    ("Fulda***", "at most one '*'"),
    ("**Fulda", "at most one '*'"),
    ("F*ul", "at least two characters"),
])
def test_each_bad_area_expression_says_what_is_wrong(client, expression, fragment):
    response = client.get(AREAS, {"areaSearchexpression": expression},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert fragment in response.json()["detail"]


def test_repeated_paging_parameters_of_areas_are_refused(client):
    response = client.get(f"{AREAS}?areaSearchexpression=Fulda&limit=5&limit=6")
    assert response.status_code == 400
