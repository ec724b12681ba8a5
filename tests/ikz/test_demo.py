"""The demo cooperations: loaded by import_data, marked as demo, idempotent; a changed service
file is published as a new version and the members' adoptions move to it."""

import json

import pytest

from amtsweg.audit.models import AuditEntry
from amtsweg.ikz import demo
from amtsweg.ikz.models import Cooperation, Member, SharedStaff
from amtsweg.services.models import Adoption, OnlineService, ServiceVersion

pytestmark = pytest.mark.django_db


def counts() -> tuple:
    return (Cooperation.objects.count(), Member.objects.count(), SharedStaff.objects.count(),
            OnlineService.objects.count(), ServiceVersion.objects.count(),
            Adoption.objects.count(), AuditEntry.objects.count())


def test_demo_cooperations_are_there_and_marked():
    ederbergland = Cooperation.objects.get(slug="ederbergland-digital")
    assert ederbergland.name == "IKZ Ederbergland digital"
    assert ederbergland.task_area == "digitalisierung" and ederbergland.lead.ags == "06635001"
    assert sorted(ederbergland.members.values_list("area__ags", flat=True)) == [
        "06635001", "06635004", "06635006", "06635014"]
    ours = Cooperation.objects.filter(slug__in=[c["slug"] for c in demo.COOPERATIONS])
    assert ours.count() == 4 and all(c.is_demo for c in ours)
    assert OnlineService.objects.get(slug="hundesteuer-anmeldung").is_demo


def test_loading_again_changes_nothing():
    before = counts()
    stats = demo.load_demo_cooperations()
    assert counts() == before
    assert stats["cooperations"] == 4 and stats["adoptions"] == 4


def test_a_changed_service_file_becomes_a_new_version(tmp_path, monkeypatch):
    data = json.loads(demo.SEED.read_text(encoding="utf-8"))
    data["version"]["processing"] = {"de": "Sofort.", "en": "At once."}
    changed = tmp_path / "hundesteuer-anmeldung.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(demo, "SEED", changed)
    demo.load_demo_cooperations()
    service = OnlineService.objects.get(slug="hundesteuer-anmeldung")
    newest = service.versions.order_by("-number").first()
    assert newest.number == 2 and newest.state == "published"
    assert newest.processing["de"] == "Sofort."
    assert set(Adoption.objects.filter(service=service).values_list("version", flat=True)) == {
        newest.pk}
