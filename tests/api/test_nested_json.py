"""Issue 11, finding 10: deeply nested JSON to the API answers 400 with problem+json, never a
500 (RecursionError)."""

import json

import pytest
from django.test import Client
from django.utils import translation

from tests.forms.test_fim import NS_V2, s

from .conftest import bearer, make_client, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_language():
    """Test client requests leave their language active; give the next test its own back."""
    with translation.override(translation.get_language()):
        yield

NESTED = "[" * 100000 + "]" * 100000
DEEP_BUT_PARSEABLE = '{"a": ' * 300 + "1" + "}" * 300  # json.loads manages, walkers did not


def _is_problem(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("body", [NESTED, DEEP_BUT_PARSEABLE,
                                  '{"format": "amtsweg.form/1", "steps": ' + NESTED + "}"],
                         ids=["nested", "deep-but-parseable", "nested-inside"])
def test_form_check_refuses_deep_nesting(body):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    answer = _is_problem(client.post("/api/v1/forms/check", body,
                                     content_type="application/json"))
    assert "nested too deeply" in answer["detail"]


def test_form_check_in_german():
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="de")
    answer = _is_problem(client.post("/api/v1/forms/check", NESTED,
                                     content_type="application/json"))
    assert "zu tief verschachtelt" in answer["detail"]


def test_ninja_bodies_go_through_the_limit(standesamt, adoption):
    submission = submit(adoption)
    _client, token = make_client(standesamt)
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    for body in (NESTED, '{"transition": "x", "note": ' + DEEP_BUT_PARSEABLE + "}"):
        response = client.post(f"/api/v1/fachverfahren/cases/{submission.pk}/transition",
                               body, content_type="application/json", **bearer(token))
        assert "nested too deeply" in _is_problem(response)["detail"]


def test_fim_file_with_nested_json_constraints_is_converted_with_a_warning():
    field = ("<xdf:datenfeld><xdf:identifikation><xdf:id>F1</xdf:id></xdf:identifikation>"
             "<xdf:name>Alter</xdf:name><xdf:feldart><code>input</code></xdf:feldart>"
             "<xdf:datentyp><code>num_int</code></xdf:datentyp>"
             f"<xdf:praezisierung>{NESTED}</xdf:praezisierung></xdf:datenfeld>")
    xml = (f'<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS_V2}"><xdf:stammdatenschema>'
           f"<xdf:identifikation><xdf:id>S2</xdf:id></xdf:identifikation><xdf:name>X</xdf:name>"
           f"{s('1:1', field)}</xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>")
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/api/v1/forms/fim", {
        "file": SimpleUploadedFile("f.xml", xml.encode(), "application/xml")})
    assert response.status_code == 200, response.content[:300]
    assert any("F1" in w and "ignored" in w for w in response.json()["warnings"])


def test_ordinary_json_still_works():
    client = Client()
    answer = client.post("/api/v1/forms/check", json.dumps({"format": "amtsweg.form/1"}),
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["valid"] is False
