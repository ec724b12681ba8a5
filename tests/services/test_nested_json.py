"""Issue 11, finding 10: deeply nested JSON in the designer (service file import, JSON fields,
the fee rule) is refused with a sentence at the field, never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from .staff import fulda, staff
from .test_designer import draft, make_service, post_editor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_language():
    """Test client requests leave their language active; give the next test its own back."""
    with translation.override(translation.get_language()):
        yield

NESTED = "[" * 100000 + "]" * 100000


@pytest.fixture
def designer():
    return staff(("designer", fulda()))


@pytest.fixture
def dclient(designer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(designer)
    session = client.session
    session["mfa"] = True
    session.save()
    return client


def test_import_of_a_nested_service_file(dclient):
    for content in (NESTED, '{"format": "amtsweg.service/1", "version": ' + NESTED + "}"):
        upload = SimpleUploadedFile("s.json", content.encode(), "application/json")
        response = dclient.post("/verwaltung/dienste/neu/", {
            "how": "import", "import-file": upload, "import-owner": fulda().pk})
        assert response.status_code == 400
        assert "nested too deeply" in response.content.decode()


@pytest.mark.parametrize("op,field", [("json", "json-definition"),
                                      ("settings", "settings-fee")])
def test_json_fields_of_the_editor(dclient, designer, op, field):
    version = draft(make_service(designer))
    data = {"op": op, field: NESTED}
    if op == "settings":
        data.update({"settings-trust_level": "basis", "settings-applicants": ["person"]})
    response = post_editor(dclient, version, data)
    assert response.status_code == 400
    version.refresh_from_db()
    assert version.lock_version == 0
