"""The unauthenticated endpoints that compile patterns: the pattern budget answers in a
sentence, a tighter rate limit answers 429 problem+json with Retry-After, and a JSON number
too large for Python is a sentence, not a 500."""

import json
from pathlib import Path

import pytest

from amtsweg.core import patterns

pytestmark = pytest.mark.django_db

FIM = Path(__file__).resolve().parents[2] / "src/amtsweg/forms/data/fim"
CHECK = "/api/v1/forms/check"


def flood(heavy: bool, count: int = 100) -> str:
    """The finding's definition; `heavy`: with a second repetition (no length form)."""
    tail = "c{1,2}" if heavy else "c"
    items = [{"type": "text", "key": f"f{i}", "label": {"de": f"Feld {i}"},
              "pattern": rf"[\w ]{{1,199}}{tail}{i}"} for i in range(count)]
    return json.dumps({"format": "amtsweg.form/1", "title": {"de": "Flut"},
                       "steps": [{"key": "s", "title": {"de": "S"}, "items": items}]})


def test_the_testers_check_request_is_cheap(client):
    patterns._cache.clear()
    answer = client.post(CHECK, flood(heavy=False), content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"valid": True, "problems": []}
    assert patterns._cache.bytes == 100 * patterns.TIERS[0]


@pytest.mark.parametrize(("language", "fragment"), [
    ("en", "too many or too complex to be checked together"),
    ("de", "zu viele oder zu aufwendig"),
])
def test_heavy_check_request_is_refused_with_the_budget_sentence(client, language, fragment):
    patterns._cache.clear()
    answer = client.post(CHECK, flood(heavy=True), content_type="application/json",
                         HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 200
    data = answer.json()
    assert data["valid"] is False
    [budget] = [p for p in data["problems"] if fragment in p["message"]]
    heavy = patterns.DEFINITION_BUDGET // patterns.MAX_MEM
    assert budget["path"] == f"steps[0].items[{heavy}].pattern"
    assert len(data["problems"]) == heavy + 1  # nothing after the budget was compiled


@pytest.mark.parametrize("path", [CHECK, "/api/v1/forms/fim"])
def test_tighter_rate_limit_on_the_costly_endpoints(client, settings, path):
    settings.CHECK_RATE_LIMIT = 2
    body = json.dumps({"format": "amtsweg.form/1"})
    for _ in range(2):
        if path == CHECK:
            answer = client.post(path, body, content_type="application/json")
        else:
            with (FIM / "v3" / "simple.xml").open("rb") as fh:
                answer = client.post(path, {"file": fh})
        assert answer.status_code == 200, answer.status_code
    refused = client.post(path, body, content_type="application/json",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert "2 requests per 60 seconds" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= settings.CHECK_RATE_WINDOW
    # the headers name the binding limit, not the general one with hundreds left
    assert (refused["RateLimit-Limit"], refused["RateLimit-Remaining"]) == ("2", "0")
    # another client, and the other API endpoints, are not affected
    assert client.post(path, body, content_type="application/json",
                       REMOTE_ADDR="10.0.0.2").status_code != 429
    assert client.get("/api/v1/services").status_code == 200


def test_both_costly_endpoints_share_one_count(client, settings):
    settings.CHECK_RATE_LIMIT = 1
    body = json.dumps({"format": "amtsweg.form/1"})
    assert client.post(CHECK, body, content_type="application/json").status_code == 200
    with (FIM / "v3" / "simple.xml").open("rb") as fh:
        assert client.post("/api/v1/forms/fim", {"file": fh}).status_code == 429


@pytest.mark.parametrize("number", ["1" * 5000, "-" + "9" * 4400, "1e999", "1" * 400 + ".5"])
def test_a_huge_number_is_a_sentence(client, number):
    answer = client.post(CHECK, '{"format": "amtsweg.form/1", "x": ' + number + "}",
                         content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert "number that is too large" in answer.json()["detail"]
