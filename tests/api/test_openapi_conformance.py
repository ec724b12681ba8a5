"""Issue 11, finding 16: both OpenAPI documents describe what the APIs answer.

schemathesis generates requests from each document (valid ones and ones that break it) and
calls the WSGI application in process, inside the test's transaction; every answer must have
a documented status code, the documented content type (problem+json for errors), a body that
matches the documented schema and documented headers, no 5xx, and requests the document
forbids must be refused. Deterministic (derandomized, no example database) and bounded.
"""

import itertools

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from amtsweg.api.models import ALL_SCOPES

from .conftest import make_client, submit

EXAMPLES = 25
# Operations whose valid requests need more than their document can say, so a request that
# fits the document may still be refused (400/422), and positive_data_acceptance cannot hold.
SEMANTIC = {
    "POST /api/v1/forms/fim": "the file must be XDatenfelder XML",
    "POST /api/v1/fachverfahren/submissions/{submission_id}/notice": "the file must be a PDF",
    "GET /api/v1/fachverfahren/submissions": "`after` must be a cursor of a previous page",
    "GET /api/routing/v1/routes": "exactly one of ars, ags and areaId",
}
HYPOTHESIS = hypothesis_settings(max_examples=EXAMPLES, derandomize=True, database=None,
                                 deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True)
def _keep_language():
    with translation.override(translation.get_language()):
        yield


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """One operation takes a few hundred requests here; 429 is tested in test_routing_api."""
    settings.API_RATE_LIMIT = 10**6


@pytest.fixture
def keep_connection():
    """As Django's test client does: requests must not close the test's connection (on
    PostgreSQL that would end the transaction the test runs in)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fachverfahren(standesamt, adoption, citizen):
    """A client with every scope and two submissions of its Behörde (a guest's with a file,
    an account holder's): generated ids answer 404, so every second case of an operation on
    a submission gets a real id instead, and the answers about real data are checked too."""
    guest, account = submit(adoption, attach=True), submit(adoption, user=citizen)
    token = make_client(standesamt, scopes=list(ALL_SCOPES))[1]
    return token, itertools.cycle([None, guest, account])


def _real_ids(case, submissions) -> None:
    params = case.path_parameters or {}
    if case.meta is not None and case.meta.is_negative_at("path"):
        return  # a case about an invalid id keeps it
    if "submission_id" in params and (real := next(submissions)) is not None:
        params["submission_id"] = str(real.pk)
        if "upload_id" in params and real.uploads.exists():
            params["upload_id"] = str(real.uploads.get().pk)


def _load(path: str) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_wsgi(path, get_wsgi_application())
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
    return schema


@pytest.fixture
def rest_schema(db, keep_connection):
    return _load("/api/v1/openapi.json")


@pytest.fixture
def routing_schema(db, keep_connection):
    return _load("/api/routing/v1/openapi.json")


rest = schemathesis.pytest.from_fixture("rest_schema")
routing = schemathesis.pytest.from_fixture("routing_schema")


@rest.parametrize()
@HYPOTHESIS
def test_rest_api_answers_as_documented(case, fachverfahren):
    token, submissions = fachverfahren
    _real_ids(case, submissions)
    # A case about a missing or broken Authorization header keeps it as generated.
    auth = ({} if case.meta is not None and case.meta.is_negative_at("header")
            else {"Authorization": f"Bearer {token}"})
    case.call_and_validate(headers=auth,
                           excluded_checks=_excluded(case))


@routing.parametrize()
@HYPOTHESIS
def test_routing_api_answers_as_documented(case):
    case.call_and_validate(excluded_checks=_excluded(case))


def _excluded(case) -> list:
    return [checks.positive_data_acceptance] if case.operation.label in SEMANTIC else []


def test_the_exceptions_name_operations_that_exist(rest_schema, routing_schema):
    labels = {op.ok().label for schema in (rest_schema, routing_schema)
              for op in schema.get_all_operations()}
    assert set(SEMANTIC) <= labels


DOCUMENTS = ["/api/v1/openapi.json", "/api/routing/v1/openapi.json"]


def _operations(client):
    for url in DOCUMENTS:
        spec = client.get(url).json()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                yield f"{method.upper()} {path}", operation


def _constrained(schema: dict) -> bool:
    """A limit on what a parameter may be: a pattern, a set, a format, bounds."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    for s in options:
        if s.get("type") == "array":
            if "maxItems" not in s or not _constrained(s.get("items", {})):
                return False
        elif s.get("type") == "integer":
            if "minimum" not in s or "maximum" not in s:
                return False
        elif not ({"pattern", "enum", "format", "maxLength"} & set(s)):
            return False
    return bool(options)


def test_every_parameter_is_declared_with_its_limits(client, db):
    unconstrained = [(op, p["name"]) for op, operation in _operations(client)
                     for p in operation.get("parameters", []) if not _constrained(p["schema"])]
    assert unconstrained == []
    areas = dict(_operations(client))["GET /api/routing/v1/areas"]
    expression = next(p for p in areas["parameters"] if p["name"] == "areaSearchexpression")
    assert expression["required"] and expression["schema"]["items"]["pattern"]


def test_every_error_answer_is_documented_as_problem_json(client, db):
    for label, operation in _operations(client):
        codes = set(operation["responses"])
        assert {"400", "429"} <= codes or not operation.get("parameters"), label
        if "requestBody" in operation:
            assert {"400", "413"} <= codes, label
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (label, code)


def test_a_method_an_address_does_not_take_is_a_problem(client, db):
    response = client.put("/api/v1/catalog/search?q=Pass")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET" and response.json()["status"] == 405
