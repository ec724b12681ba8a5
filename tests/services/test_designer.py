"""The designer's pages: create (scratch, FIM, copy, file), edit with live preview, publish,
compare, export; access for other roles and other Behörden."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from amtsweg.services import actions
from amtsweg.services.models import OnlineService, ServiceVersion

from .staff import client_for, fulda, other_authority, staff

pytestmark = pytest.mark.django_db
FIM = Path(__file__).resolve().parents[2] / "src/amtsweg/forms/data/fim/v3/simple.xml"
LEIKA = "99027002012000"


@pytest.fixture
def designer():
    return staff(("designer", fulda()))


@pytest.fixture
def dclient(designer):
    return client_for(designer)


def make_service(user, title="Testdienst") -> OnlineService:
    from amtsweg.catalog.models import Leistung

    return actions.create_service(user, leistung=Leistung.objects.get(leika_key=LEIKA),
                                  title={"de": title, "en": "Test service"},
                                  owner_authority=fulda())


def draft(service) -> ServiceVersion:
    return service.versions.get(state="draft")


def test_create_from_scratch(dclient):
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "scratch", "scratch-title_de": "Hundesteuer anmelden",
        "scratch-title_en": "Register a dog", "scratch-leistung": "9902 7002 0120 00",
        "scratch-owner": fulda().pk})
    service = OnlineService.objects.get(title__de="Hundesteuer anmelden")
    assert response.status_code == 302
    assert response["Location"] == f"/verwaltung/dienste/{service.slug}/v1/"
    assert service.owner_authority == fulda() and service.leistung.leika_key == LEIKA
    page = dclient.get(response["Location"]).content.decode()
    assert "Hundesteuer anmelden" in page and 'id="preview"' in page
    assert "/verwaltung/dienste/" in dclient.get("/verwaltung/dienste/").content.decode()


def test_create_with_unknown_leistung_saves_nothing(dclient):
    before = OnlineService.objects.count()
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "scratch", "scratch-title_de": "X", "scratch-leistung": "99000000000001",
        "scratch-owner": fulda().pk})
    assert response.status_code == 400
    assert "99000000000001" in response.content.decode()
    assert 'aria-describedby="id_scratch-leistung-hint id_scratch-leistung-error"' in \
        response.content.decode()
    assert OnlineService.objects.count() == before


def test_create_for_an_authority_without_the_role_is_refused(dclient):
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "scratch", "scratch-title_de": "X", "scratch-leistung": LEIKA,
        "scratch-owner": other_authority().pk})
    assert response.status_code == 400
    assert not OnlineService.objects.filter(title__de="X").exists()


def test_create_from_fim_file_shows_the_notes(dclient):
    upload = SimpleUploadedFile("simple.xml", FIM.read_bytes(), "application/xml")
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "fim", "fim-file": upload, "fim-title_de": "Anschrift melden",
        "fim-leistung": LEIKA, "fim-owner": fulda().pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    service = OnlineService.objects.get(title__de="Anschrift melden")
    form = draft(service).form
    assert form["fim"]["id"] == "G60000000088"
    assert form["title"]["de"] == "Anschrift melden"
    page = dclient.get(response["Location"]).content.decode()
    assert "R60000000019" in page  # the FIM rule note
    assert "Straße" in page  # preview of the first step


def test_create_from_a_broken_fim_file(dclient):
    upload = SimpleUploadedFile("x.xml", b"<kein-fim/>", "application/xml")
    before = OnlineService.objects.count()
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "fim", "fim-file": upload, "fim-title_de": "X", "fim-leistung": LEIKA,
        "fim-owner": fulda().pk})
    assert response.status_code == 400
    assert 'id="id_fim-file-error"' in response.content.decode()
    assert OnlineService.objects.count() == before


def test_copy_a_published_service_of_another_owner(dclient):
    source = OnlineService.objects.get(slug="geburtsurkunde")
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "copy", "copy-source": source.pk, "copy-owner": fulda().pk})
    assert response.status_code == 302
    copy = OnlineService.objects.get(copied_from=source)
    assert copy.owner_authority == fulda()
    assert draft(copy).form == actions.latest_published(source).form


def test_export_and_import_round_trip(dclient, designer):
    service = make_service(designer)
    response = dclient.get(f"/verwaltung/dienste/{service.slug}/v1/export.json")
    assert response["Content-Disposition"] == f'attachment; filename="{service.slug}-v1.json"'
    data = json.loads(response.content)
    assert data["format"] == "amtsweg.service/1"
    upload = SimpleUploadedFile("s.json", response.content, "application/json")
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "import", "import-file": upload, "import-owner": fulda().pk})
    assert response.status_code == 302
    imported = OnlineService.objects.exclude(pk=service.pk).get(title=service.title)
    assert draft(imported).form == draft(service).form
    bad = SimpleUploadedFile("s.json", b'{"format": "x"}', "application/json")
    response = dclient.post("/verwaltung/dienste/neu/", {
        "how": "import", "import-file": bad, "import-owner": fulda().pk})
    assert response.status_code == 400 and "amtsweg.service/1" in response.content.decode()


def post_editor(client, version, data):
    version.refresh_from_db()
    return client.post(f"/verwaltung/dienste/{version.service.slug}/v{version.number}/",
                       {"lock_version": version.lock_version, **data})


def item_data(item: dict, **changes) -> dict:
    from amtsweg.services.editing import item_initial

    data = {f"item-{k}": ("on" if v is True else "" if v in (None, False) else v)
            for k, v in item_initial(item).items()}
    data.update({f"item-{k}": v for k, v in changes.items()})
    return data


def test_edit_steps_and_items(dclient, designer):
    service = make_service(designer)
    version = draft(service)
    r = post_editor(dclient, version, {"op": "step_add", "newstep-title_de": "Ihr Hund",
                                       "newstep-title_en": "Your dog"})
    assert r.status_code == 302 and "schritt=1" in r["Location"]
    r = post_editor(dclient, version, {"op": "item_add", "addr": "1", "newitem-type": "choice",
                                       "newitem-label_de": "Rasse des Hundes"})
    assert r.status_code == 302 and "element=1.0" in r["Location"]
    version.refresh_from_db()
    item = version.form["steps"][1]["items"][0]
    assert item["key"] == "rasse_des_hundes" and item["type"] == "choice"
    page = dclient.get(r["Location"]).content.decode()
    assert 'name="item-options"' in page and 'hx-post="/verwaltung/dienste/' in page
    r = post_editor(dclient, version, {"op": "item_save", "addr": "1.0", **item_data(
        item, label_de="Rasse", label_en="Breed", required="on",
        options="dackel|Dackel|Dachshund\nmops|Mops")})
    assert r.status_code == 302, r.content.decode()[:2000]
    version.refresh_from_db()
    item = version.form["steps"][1]["items"][0]
    assert item["label"] == {"de": "Rasse", "en": "Breed"} and item["required"] is True
    assert item["options"][1] == {"value": "mops", "label": {"de": "Mops"}}
    # rename and move the step, then delete the item
    r = post_editor(dclient, version, {"op": "step_save", "addr": "1",
                                       "step-title_de": "Der Hund", "step-key": ""})
    r = post_editor(dclient, version, {"op": "up", "addr": "1"})
    version.refresh_from_db()
    assert [s["title"]["de"] for s in version.form["steps"]] == ["Der Hund", "Ihre Angaben"]
    post_editor(dclient, version, {"op": "delete", "addr": "0.0"})
    version.refresh_from_db()
    assert version.form["steps"][0]["items"] == []


def test_nested_group_items_are_editable(dclient, designer):
    version = draft(make_service(designer))
    post_editor(dclient, version, {"op": "item_add", "addr": "0", "newitem-type": "group",
                                   "newitem-label_de": "Kinder"})
    post_editor(dclient, version, {"op": "item_add", "addr": "0.1", "newitem-type": "text",
                                   "newitem-label_de": "Vorname"})
    version.refresh_from_db()
    group = version.form["steps"][0]["items"][1]
    assert group["items"][0]["key"] == "vorname"
    r = post_editor(dclient, version, {"op": "item_save", "addr": "0.1", **item_data(
        group, repeat="on", repeat_min="1", repeat_max="5")})
    assert r.status_code == 302
    r = post_editor(dclient, version, {"op": "item_save", "addr": "0.1.0", **item_data(
        group["items"][0], max_length="40")})
    assert r.status_code == 302
    version.refresh_from_db()
    group = version.form["steps"][0]["items"][1]
    assert group["repeat"] == {"min": 1, "max": 5}
    assert group["items"][0]["max_length"] == 40


def test_preview_renders_without_saving(dclient, designer):
    version = draft(make_service(designer))
    before = version.form
    item = before["steps"][0]["items"][0]
    r = dclient.post(f"/verwaltung/dienste/{version.service.slug}/v1/vorschau/", {
        "addr": "0.0", **item_data(item, label_de="Vollständiger Name")},
        HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "Vollständiger Name" in r.content.decode()
    version.refresh_from_db()
    assert version.form == before
    r = dclient.post(f"/verwaltung/dienste/{version.service.slug}/v1/vorschau/", {
        "addr": "0.0", **item_data(item, visible='{"==": [{"var": "gibtsnicht"}, 1]}')})
    assert "steps[0].items[0].visible" in r.content.decode()


def test_a_broken_rule_names_its_path_and_saves_nothing(dclient, designer):
    version = draft(make_service(designer))
    before = version.form
    item = before["steps"][0]["items"][0]
    r = post_editor(dclient, version, {"op": "item_save", "addr": "0.0", **item_data(
        item, visible='{"==": [{"var": "gibtsnicht"}, 1]}')})
    page = r.content.decode()
    assert r.status_code == 400
    assert "form.steps[0].items[0].visible" in page and "gibtsnicht" in page
    assert 'id="id_item-visible-error"' in page  # shown at the field
    assert "gibtsnicht" in page.split('id="id_item-visible"')[1].split("</textarea>")[0]
    r = post_editor(dclient, version, {"op": "item_save", "addr": "0.0", **item_data(
        item, visible='{"==": [')})
    assert r.status_code == 400 and "not valid JSON" in r.content.decode()
    version.refresh_from_db()
    assert version.form == before and version.lock_version == 0


def test_stale_lock_version_is_refused_and_the_input_kept(dclient, designer):
    version = draft(make_service(designer))
    item = version.form["steps"][0]["items"][0]
    actions.save_version(designer, version, {"processing": {"de": "Zwei Wochen"}}, 0)
    r = dclient.post(f"/verwaltung/dienste/{version.service.slug}/v1/", {
        "op": "item_save", "addr": "0.0", "lock_version": 0,
        **item_data(item, label_de="Mein neuer Text")})
    page = r.content.decode()
    assert r.status_code == 409
    assert "Someone else saved this draft" in page and "Mein neuer Text" in page
    version.refresh_from_db()
    assert version.form["steps"][0]["items"][0]["label"]["de"] == "Name"


def test_settings_and_json(dclient, designer):
    version = draft(make_service(designer))
    r = post_editor(dclient, version, {
        "op": "settings", "settings-trust_level": "substanziell",
        "settings-applicants": ["person", "organisation"], "settings-fee": "12,50",
        "settings-processing_de": "Zwei Wochen", "settings-processing_en": "",
        "settings-declaration_de": "", "settings-declaration_en": "",
        "settings-fee_explanation_de": "", "settings-fee_explanation_en": ""})
    assert r.status_code == 302
    version.refresh_from_db()
    assert version.fee == {"amount": 12.5} and version.trust_level == "substanziell"
    assert version.processing == {"de": "Zwei Wochen"}
    r = post_editor(dclient, version, {
        "op": "settings", "settings-trust_level": "substanziell",
        "settings-applicants": ["guest"], "settings-fee": '{"*": [2, {"var": "x"}]}'})
    assert r.status_code == 400 and "Guests can only apply" in r.content.decode()
    defn = dict(version.form, steps=[dict(version.form["steps"][0], key="Falsch")])
    r = post_editor(dclient, version, {"op": "json", "json-definition": json.dumps(defn)})
    assert r.status_code == 400 and "form.steps[0].key" in r.content.decode()
    defn["steps"][0]["key"] = "richtig"
    r = post_editor(dclient, version, {"op": "json", "json-definition": json.dumps(defn)})
    assert r.status_code == 302
    version.refresh_from_db()
    assert version.form["steps"][0]["key"] == "richtig"


def test_publish_then_no_edit_then_new_draft_and_compare(dclient, designer):
    service = make_service(designer)
    version = draft(service)
    r = dclient.post(f"/verwaltung/dienste/{service.slug}/v1/veroeffentlichen/")
    assert r.status_code == 302
    version.refresh_from_db()
    assert version.state == "published"
    item = version.form["steps"][0]["items"][0]
    r = post_editor(dclient, version, {"op": "item_save", "addr": "0.0",
                                       **item_data(item, label_de="Anders")})
    assert "cannot be changed" in r.content.decode()
    version.refresh_from_db()
    assert version.form["steps"][0]["items"][0]["label"]["de"] == "Name"
    page = dclient.get(f"/verwaltung/dienste/{service.slug}/v1/?element=0.0").content.decode()
    assert "Save field" not in page and "Start a new draft" in page
    r = dclient.post(f"/verwaltung/dienste/{service.slug}/neuer-entwurf/")
    assert r["Location"] == f"/verwaltung/dienste/{service.slug}/v2/"
    v2 = service.versions.get(number=2)
    post_editor(dclient, v2, {"op": "item_save", "addr": "0.0",
                              **item_data(item, label_de="Familienname")})
    page = dclient.get(f"/verwaltung/dienste/{service.slug}/vergleich/?a=1&b=2").content.decode()
    assert "Familienname" in page and "<del>" in page and "changed" in page
    assert dclient.get(f"/verwaltung/dienste/{service.slug}/vergleich/?a=1&b=9"
                       ).status_code == 404
    r = dclient.post(f"/verwaltung/dienste/{service.slug}/v1/zurueckziehen/")
    assert service.versions.get(number=1).state == "retired"


def test_publish_errors_are_shown(dclient, designer):
    service = make_service(designer)
    ServiceVersion.objects.filter(service=service).update(applicants=[])  # broken by hand
    r = dclient.post(f"/verwaltung/dienste/{service.slug}/v1/veroeffentlichen/", follow=True)
    assert "Choose who may apply" in r.content.decode()
    assert draft(service).state == "draft"


def test_a_pattern_that_needs_backtracking_is_refused_with_a_german_sentence(designer):
    """Patterns run on RE2 (issue 11): what it cannot run is refused on save and on publish,
    with a sentence naming the problem at the field."""
    client = client_for(designer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    service = make_service(designer)
    version = draft(service)
    before = version.form
    item = before["steps"][0]["items"][0]
    r = post_editor(client, version, {"op": "item_save", "addr": "0.0",
                                      **item_data(item, pattern=r"^(\w)\1+$")})
    page = r.content.decode()
    assert r.status_code == 400
    assert "Das Muster verweist auf eine frühere Gruppe zurück (\\1)." in page
    assert 'id="id_item-pattern-error"' in page
    version.refresh_from_db()
    assert version.form == before
    r = post_editor(client, version, {"op": "item_save", "addr": "0.0",
                                      **item_data(item, pattern="(a{1,30}){1,30}")})
    assert r.status_code == 302  # harmless on RE2
    # a draft that holds such a pattern from before cannot be published
    broken = dict(before, steps=[dict(before["steps"][0], items=[
        dict(item, pattern="^(?=[A-Z])\\w+$"), *before["steps"][0]["items"][1:]])])
    ServiceVersion.objects.filter(pk=version.pk).update(form=broken)
    r = client.post(f"/verwaltung/dienste/{service.slug}/v1/veroeffentlichen/", follow=True)
    assert "Das Muster schaut voraus oder zurück ((?=…))." in r.content.decode()
    assert draft(service).state == "draft"


def test_leistung_search(dclient):
    r = dclient.get("/verwaltung/leistungen/", {"scratch-leistung": "Geburtsurkunde"})
    assert "99027002012000" in r.content.decode()


def test_command_import_and_export(tmp_path, capsys):
    from amtsweg.services.actions import seed_files

    data = json.loads(seed_files()[0].read_text())
    data["slug"] = "kommando-test"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    call_command("services", "import", str(path), "--owner-authority", str(fulda().pk),
                 "--publish")
    service = OnlineService.objects.get(slug="kommando-test")
    assert service.versions.get().state == "published"
    capsys.readouterr()
    call_command("services", "export", "kommando-test", "--version", "1")
    out = json.loads(capsys.readouterr().out)
    assert out["version"]["form"] == data["version"]["form"]
    from django.core.management import CommandError

    path.write_text("{}")
    with pytest.raises(CommandError):
        call_command("services", "import", str(path), "--owner-authority", str(fulda().pk))
    with pytest.raises(CommandError):
        call_command("services", "export", "gibt-es-nicht")


def routes(slug: str) -> list[tuple[str, str]]:
    return [
        ("get", "/verwaltung/dienste/"), ("get", "/verwaltung/dienste/neu/"),
        ("get", f"/verwaltung/dienste/{slug}/"), ("get", f"/verwaltung/dienste/{slug}/v1/"),
        ("post", f"/verwaltung/dienste/{slug}/v1/"),
        ("post", f"/verwaltung/dienste/{slug}/v1/vorschau/"),
        ("post", f"/verwaltung/dienste/{slug}/v1/veroeffentlichen/"),
        ("post", f"/verwaltung/dienste/{slug}/v1/zurueckziehen/"),
        ("post", f"/verwaltung/dienste/{slug}/neuer-entwurf/"),
        ("get", f"/verwaltung/dienste/{slug}/v1/export.json"),
        ("get", f"/verwaltung/dienste/{slug}/v1/bescheid/"),
        ("post", f"/verwaltung/dienste/{slug}/v1/bescheid/"),
        ("get", f"/verwaltung/dienste/{slug}/v1/bescheid/vorschau/"),
        ("post", f"/verwaltung/dienste/{slug}/v1/bescheid/vorschau/"),
        ("get", f"/verwaltung/dienste/{slug}/vergleich/?a=1&b=1"),
        ("get", "/verwaltung/leistungen/?q=Geburt"),
    ]


@pytest.mark.parametrize("who", ["clerk_here", "admin_here", "designer_elsewhere",
                                 "citizen"])
def test_access_matrix(designer, who):
    service = make_service(designer)
    if who == "clerk_here":
        user = staff(("clerk", fulda()), ("lead", fulda()))
    elif who == "admin_here":
        user = staff(("admin", fulda()))
    elif who == "designer_elsewhere":
        user = staff(("designer", other_authority()))
    else:
        user = staff(("designer", fulda()), is_staff=False)
    client = client_for(user)
    for method, url in routes(service.slug):
        response = getattr(client, method)(url)
        allowed = {403, 404}
        if who == "designer_elsewhere" and url in ("/verwaltung/dienste/",
                                                   "/verwaltung/dienste/neu/",
                                                   "/verwaltung/leistungen/?q=Geburt"):
            allowed = {200}  # their own (empty) list and pages
        assert response.status_code in allowed, (who, url, response.status_code)
    version = draft(service)
    assert version.lock_version == 0 and version.state == "draft"


def test_anonymous_is_sent_to_login(client):
    response = client.get("/verwaltung/dienste/")
    assert response.status_code == 302 and "/konto/anmelden/" in response["Location"]


def test_a_duplicate_step_key_is_shown_at_the_add_step_form(dclient, designer):
    version = draft(make_service(designer))
    r = post_editor(dclient, version, {"op": "step_add", "newstep-title_de": "Noch mal",
                                       "newstep-key": "angaben"})
    page = r.content.decode()
    assert r.status_code == 400 and 'id="id_newstep-key-error"' in page
    assert "form.steps[1].key" in page
    r = post_editor(dclient, version, {"op": "item_save", "addr": "0", "item-key": "x"})
    assert r.status_code == 302  # an item operation on a step address: nothing happens
    version.refresh_from_db()
    assert len(version.form["steps"]) == 1 and version.lock_version == 0


def test_staff_home_lists_roles_and_tools(dclient):
    page = dclient.get("/verwaltung/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/verwaltung/dienste/" in html
