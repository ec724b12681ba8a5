import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

FIM = Path(__file__).resolve().parents[2] / "src/amtsweg/forms/data/fim"


def test_published_services_are_listed(client):
    data = client.get("/api/v1/services").json()
    slugs = {s["slug"] for s in data["services"]}
    assert {"geburtsurkunde", "wohngeld", "wunschkennzeichen"} <= slugs
    gu = next(s for s in data["services"] if s["slug"] == "geburtsurkunde")
    assert gu["leikaKey"] == "99027002012000" and gu["adoptions"] > 100
    only = client.get("/api/v1/services", {"leikaKey": "99107023017000"}).json()
    assert [s["slug"] for s in only["services"]] == ["wohngeld"]


def test_offer_at_a_place(client):
    hit = client.get("/api/v1/services/offer",
                     {"leikaKey": "99027002012000", "ags": "06635001"}).json()
    assert hit["slug"] == "geburtsurkunde" and "Allendorf" in hit["authority"]
    assert hit["applyUrl"].endswith("/beantragen/geburtsurkunde/06635001/")
    # AGS 06635005 (a multiple of 5) did not adopt in the demo data
    miss = client.get("/api/v1/services/offer",
                      {"leikaKey": "99027002012000", "ags": "06635005"})
    assert miss.status_code == 404
    assert miss["Content-Type"].startswith("application/problem+json")
    bad = client.get("/api/v1/services/offer", {"leikaKey": "1", "ags": "x"})
    assert bad.status_code == 400


def test_definition_export_and_check(client):
    export = client.get("/api/v1/services/geburtsurkunde").json()
    assert export["format"] == "amtsweg.service/1"
    ok = client.post("/api/v1/forms/check", json.dumps(export["version"]["form"]),
                     content_type="application/json").json()
    assert ok == {"valid": True, "problems": []}
    broken = export["version"]["form"]
    broken["steps"][0]["items"][0]["type"] = "telepathy"
    answer = client.post("/api/v1/forms/check", json.dumps(broken),
                         content_type="application/json").json()
    assert not answer["valid"]
    assert answer["problems"][0]["path"].startswith("steps[0].items[0]")
    assert client.post("/api/v1/forms/check", "{", content_type="application/json"
                       ).status_code == 400
    assert client.get("/api/v1/services/no-such-service").status_code == 404


def test_fim_conversion(client):
    with open(FIM / "v3/simple.xml", "rb") as fh:
        answer = client.post("/api/v1/forms/fim", {"file": fh})
    assert answer.status_code == 200
    assert answer.json()["definition"]["format"] == "amtsweg.form/1"
    with open(FIM / "v3/duplicate-id-node.xml", "rb") as fh:
        refused = client.post("/api/v1/forms/fim", {"file": fh})
    assert refused.status_code == 422 and "id" in refused.json()["detail"]
