"""The seed online services in src/amtsweg/services/seed/*.json: one file per service in the
export format `amtsweg.service/1`, each with a form that the form validator accepts."""

import json
from pathlib import Path

import pytest

import amtsweg.services
from amtsweg.catalog.models import Leistung
from amtsweg.forms import logic
from amtsweg.forms.schema import validate_definition

SEED_DIR = Path(amtsweg.services.__file__).parent / "seed"

EXPECTED = {
    "geburtsurkunde": "99027002012000",
    "sterbeurkunde": "99101004012000",
    "elterngeld": "99041006017000",
    "wunschkennzeichen": "99036009072003",
    "zulassungsbescheinigung-teil-1": "99036011012000",
    "feinstaubplakette": "99108007040000",
    "wohngeld": "99107023017000",
    "reisepass": "99085001012000",
    "taxigenehmigung": "99084012001000",
    "personenbefoerderungsschein": "99084011001000",
    "krankentransport": "99084008001000",
}
FREE = {"elterngeld", "wohngeld"}
# Keys whose fields must use the dedicated types (checksums, PLZ data, formats).
TYPED_KEYS = {"iban": "iban", "email": "email", "telefon": "phone", "anschrift": "address",
              "lieferanschrift": "address", "betriebssitz": "address"}


def load(slug: str) -> dict:
    return json.loads((SEED_DIR / f"{slug}.json").read_text(encoding="utf-8"))


def items(form: dict):
    """Every item of a form, with nested group items."""
    def walk(entries):
        for item in entries:
            yield item
            if item["type"] == "group":
                yield from walk(item["items"])
    for step in form["steps"]:
        yield from walk(step["items"])


def test_exactly_the_expected_seed_files():
    assert {p.stem for p in SEED_DIR.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_service_file(slug):
    data = load(slug)
    assert data["format"] == "amtsweg.service/1"
    assert data["slug"] == slug
    assert data["leistung"] == EXPECTED[slug]
    for text in (data["title"], data["summary"]):
        assert text["de"] and text["en"]
    version = data["version"]
    assert version["trust_level"] in ("basis", "substanziell", "hoch")
    assert version["applicants"]
    assert set(version["applicants"]) <= {"person", "organisation", "guest"}
    if "guest" in version["applicants"]:
        assert version["trust_level"] == "basis", "guests are only possible with trust level basis"
    assert version["form"]["format"] == "amtsweg.form/1"


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_form_validates(slug):
    errors = validate_definition(load(slug)["version"]["form"])
    assert [e.as_dict() for e in errors] == []


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_labels_in_both_languages(slug):
    form = load(slug)["version"]["form"]
    for item in items(form):
        if item["type"] == "info":
            assert item["text"]["de"] and item["text"].get("en"), item["key"]
        else:
            assert item["label"]["de"] and item["label"].get("en"), item["key"]
        for option in item.get("options", []):
            assert option["label"]["de"] and option["label"].get("en"), (item["key"], option)


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_declaration_and_attachments(slug):
    version = load(slug)["version"]
    form = version["form"]
    declarations = [i for i in items(form) if i["key"] == "erklaerung"]
    assert len(declarations) == 1
    assert declarations[0]["type"] == "boolean" and declarations[0]["required"] is True
    file_keys = {i["key"] for i in items(form) if i["type"] == "file"}
    for attachment in version["attachments"]:
        assert attachment["key"] in file_keys, attachment["key"]
        assert attachment["label"]["de"] and attachment["label"]["en"]
    for item in items(form):
        if item["type"] == "file":
            spec = item["file"]
            assert spec["types"] and spec["max_size"] > 0 and spec["max_count"] >= 1
        expected_type = TYPED_KEYS.get(item["key"])
        if expected_type:
            assert item["type"] == expected_type, item["key"]


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_fee(slug):
    fee = load(slug)["version"]["fee"]
    amount = fee["amount"]
    value = logic.evaluate(amount, {}) if isinstance(amount, dict) else amount
    assert isinstance(value, (int, float)) and value >= 0
    assert fee["explanation"]["de"] and fee["explanation"]["en"]
    if slug in FREE:
        assert amount == 0
    else:
        assert fee["example"] is True and value > 0


def test_fee_rules_follow_the_answers():
    def fee(slug, answers):
        return logic.evaluate(load(slug)["version"]["fee"]["amount"], answers)

    assert fee("geburtsurkunde", {"anzahl": 1}) == 12
    assert fee("geburtsurkunde", {"anzahl": 3}) == 24
    assert fee("reisepass", {"person": {"geburtsdatum": "1980-05-01"}}) == 70
    assert fee("reisepass", {"person": {"geburtsdatum": "1980-05-01"}, "expresspass": True}) == 102
    assert fee("taxigenehmigung", {"fahrzeuge": [{}, {}]}) == 500
    assert fee("zulassungsbescheinigung-teil-1", {"grund": "beschaedigt"}) == pytest.approx(13.1)
    assert fee("zulassungsbescheinigung-teil-1", {"grund": "verloren"}) == pytest.approx(43.8)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_leistung_exists(slug):
    assert Leistung.objects.filter(leika_key=load(slug)["leistung"]).exists()
