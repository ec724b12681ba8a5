"""Issue 12: people go back, send a step again, change an answer on the summary and resume.
The Wohngeld seed service, through the citizen pages: no answer and no file may be lost, a
file is not listed twice, Germany in the Staat list is Germany, and conditional fields of a
household member follow their checkbox from the first visit on."""

import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from amtsweg.accounts.models import TrustLevel
from amtsweg.services.actions import offered
from amtsweg.services.models import Adoption
from amtsweg.submissions import actions
from amtsweg.submissions.models import Draft, Submission, Upload
from amtsweg.territory import lookup

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PDF2 = b"%PDF-1.4\n% another document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00"
       b"\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18"
       b"\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
BOUNDARY = "----amtswegBoundary12"
FILE_FIELDS = ("mietvertrag", "mietbescheinigung", "sonstige_nachweise")

ANTRAG = {
    "zuschussart": "miete", "antragsart": "erst",
    "antragsteller.familienname": "Beck", "antragsteller.vornamen": "Jana",
    "antragsteller.geburtsdatum": "1980-04-02", "antragsteller.geschlecht": "w",
    "antragsteller.familienstand": "LD", "antragsteller.staatsangehoerigkeit": "000",
    "antragsteller.anschrift.street": "Marktstraße", "antragsteller.anschrift.house_number": "3",
    "antragsteller.anschrift.postal_code": "36037", "antragsteller.anschrift.place": "Fulda",
    "antragsteller.anschrift.country": "000",
    "antragsteller.einzugsdatum": "2015-01-01", "antragsteller.email": "jana@example.org",
}
HAUSHALT = {
    "haushalt.0.familienname": "Beck", "haushalt.0.vornamen": "Jana",
    "haushalt.0.geburtsdatum": "1980-04-02", "haushalt.0.verhaeltnis": "selbst",
}
WOHNUNG = {
    "wohnflaeche": "62", "zimmer": "3", "heizung": "zentral", "miete.grundmiete": "540",
    "miete.nebenkosten": "120", "miete.vermieter_name": "Hausverwaltung Ost",
    "miete.vermieter_anschrift.street": "Bahnhofstraße",
    "miete.vermieter_anschrift.house_number": "8",
    "miete.vermieter_anschrift.postal_code": "36037",
    "miete.vermieter_anschrift.place": "Fulda",
}
BANK = {"kontoinhaber": "Jana Beck", "iban": "DE89 3704 0044 0532 0130 00"}
ABSCHLUSS = {"erklaerung": "true", "mitwirkung": "true", "datenabgleich": "true",
             "datenschutz": "true"}


def multipart(fields: dict, files: dict | None = None, empty: tuple = ()) -> bytes:
    """A body as a browser sends it: `empty` names file inputs left empty, which a browser
    posts with filename="" (Django reads them as empty text values)."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name in empty:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}";'
                     ' filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
                     .encode())
    for name, items in (files or {}).items():
        for filename, data in items:
            parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}";'
                         f' filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
                         .encode() + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(client, draft, step, fields, files=None, empty=(), **extra):
    return client.post(reverse("submissions:step", args=[draft.pk, step]),
                       data=multipart(fields, files, empty),
                       content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra)


@pytest.fixture
def wohngeld():
    adoption = (Adoption.objects.filter(service__slug="wohngeld", active=True)
                .select_related("authority__area", "version").order_by("pk").first())
    area = next(a for a in sorted(lookup.covered_areas(adoption.authority.area_id),
                                  key=lambda a: a.ags)
                if a.kind == "gemeinde" and offered(adoption.service.leistung_id, a.pk))
    return adoption, area


def applicant(django_user_model, wohngeld, email="jana@example.org"):
    _adoption, area = wohngeld
    client = Client()
    user = django_user_model.objects.create_user(email, "Pw-for-tests-2026")
    client.force_login(user)
    session = client.session
    session["trust_level"] = TrustLevel.BASIS
    session.save()
    r = client.post(reverse("submissions:start", args=["wohngeld", area.ags]), {})
    assert r.status_code == 302, r.content.decode()[:2000]
    return client, Draft.objects.get(user=user)


def walk_to_bank(client, draft):
    for step, fields in (("antrag", ANTRAG), ("haushalt", HAUSHALT), ("wohnung", WOHNUNG),
                         ("weitere_angaben", {})):
        r = post(client, draft, step, {**fields, "_action": "next"})
        assert r.status_code == 302, (step, re.findall(r'kern-error".*?</div>',
                                                       r.content.decode()))


def stored(draft) -> dict:
    answers = Draft.objects.get(pk=draft.pk).answers
    return {k: answers.get(k) for k in FILE_FIELDS}


def test_sending_the_upload_step_again_keeps_every_file(django_user_model, wohngeld):
    client, draft = applicant(django_user_model, wohngeld)
    walk_to_bank(client, draft)
    r = post(client, draft, "bank_unterlagen", {**BANK, "_action": "next"},
             files={"mietvertrag": [("vertrag.pdf", PDF)],
                    "sonstige_nachweise": [("bild.png", PNG)]},
             empty=("mietbescheinigung",))
    assert r.status_code == 302 and r["Location"].endswith("/schritt/abschluss/")
    before = stored(draft)
    assert len(before["mietvertrag"]) == 1 and len(before["sonstige_nachweise"]) == 1

    # back on the step ("Zurück" from the next step, or "Ändern" on the summary), then every
    # button of the step, with the file inputs left empty as a browser sends them
    for action in ("next", "back", "save", "refresh"):
        assert client.get(reverse("submissions:step",
                                  args=[draft.pk, "bank_unterlagen"])).status_code == 200
        r = post(client, draft, "bank_unterlagen", {**BANK, "_action": action},
                 empty=FILE_FIELDS)
        assert r.status_code in (200, 302), (action, r.content.decode()[:2000])
        assert "Bitte laden Sie" not in r.content.decode(), action
        assert stored(draft) == before, action
    assert Upload.objects.filter(draft=draft).count() == 2

    post(client, draft, "abschluss", {**ABSCHLUSS, "_action": "next"})
    r = client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    assert r.status_code == 302, r.content.decode()[:3000]
    submission = Submission.objects.get(draft_key=draft.pk)
    assert submission.uploads.count() == 2
    answers = submission.content["answers"]
    assert answers["mietvertrag"] == before["mietvertrag"]
    assert answers["sonstige_nachweise"] == before["sonstige_nachweise"]


def test_a_posted_upload_id_is_never_taken(django_user_model, wohngeld):
    """Someone who learnt another draft's upload id cannot make it part of their own."""
    other_client, other = applicant(django_user_model, wohngeld, "other@example.org")
    walk_to_bank(other_client, other)
    post(other_client, other, "bank_unterlagen", {**BANK, "_action": "save"},
         files={"mietvertrag": [("fremd.pdf", PDF)]})
    [foreign] = stored(other)["mietvertrag"]

    client, draft = applicant(django_user_model, wohngeld)
    walk_to_bank(client, draft)
    r = post(client, draft, "bank_unterlagen",
             {**BANK, "mietvertrag": foreign, "sonstige_nachweise": foreign, "_action": "next"})
    assert r.status_code == 400  # the required Mietvertrag is still missing
    assert stored(draft)["mietvertrag"] in (None, [])
    assert stored(draft)["sonstige_nachweise"] in (None, [])
    assert "fremd.pdf" not in r.content.decode()
    assert Upload.objects.get(pk=foreign).draft_id == other.pk


def test_the_same_file_twice_at_one_field_is_stored_once(django_user_model, wohngeld):
    client, draft = applicant(django_user_model, wohngeld)
    walk_to_bank(client, draft)
    post(client, draft, "bank_unterlagen", {**BANK, "_action": "save"},
         files={"mietvertrag": [("vertrag.pdf", PDF)]})
    # again, alone and together with a new file, and twice in one request
    r = post(client, draft, "bank_unterlagen", {**BANK, "_action": "refresh"},
             files={"mietvertrag": [("vertrag-kopie.pdf", PDF), ("seite2.pdf", PDF2),
                                    ("seite2-nochmal.pdf", PDF2)]})
    assert r.status_code == 200
    notices = [str(m) for m in get_messages(r.wsgi_request)
               if "zweites Mal" in str(m) or "second time" in str(m)]
    assert len(notices) == 2, notices
    assert "vertrag-kopie.pdf" in notices[0] and "seite2-nochmal.pdf" in notices[1]
    assert len(stored(draft)["mietvertrag"]) == 2
    assert Upload.objects.filter(draft=draft).count() == 2
    # the same content at another field is a different document there
    post(client, draft, "bank_unterlagen", {**BANK, "_action": "save"},
         files={"sonstige_nachweise": [("vertrag.pdf", PDF)]})
    assert len(stored(draft)["sonstige_nachweise"]) == 1
    # removed, the same file can be added again
    first = stored(draft)["mietvertrag"][0]
    post(client, draft, "bank_unterlagen",
         {**BANK, "_action": f"remove_upload:mietvertrag:{first}"})
    post(client, draft, "bank_unterlagen", {**BANK, "_action": "save"},
         files={"mietvertrag": [("vertrag.pdf", PDF)]})
    assert len(stored(draft)["mietvertrag"]) == 2 and first not in stored(draft)["mietvertrag"]


def test_remove_upload_changes_only_a_listed_file(django_user_model, wohngeld):
    client, draft = applicant(django_user_model, wohngeld)
    walk_to_bank(client, draft)
    post(client, draft, "bank_unterlagen", {**BANK, "_action": "save"},
         files={"mietvertrag": [("vertrag.pdf", PDF)]})
    [upload_id] = stored(draft)["mietvertrag"]
    for action in (f"remove_upload:kontoinhaber:{upload_id}",  # not a file item
                   f"remove_upload:sonstige_nachweise:{upload_id}",  # not listed there
                   f"remove_upload:haushalt.7.x:{upload_id}",
                   f"remove_upload:mietvertrag:{uuid.uuid4()}",
                   "remove_upload:mietvertrag:kein-uuid"):
        r = post(client, draft, "bank_unterlagen", {**BANK, "_action": action})
        assert r.status_code == 200, action
        answers = Draft.objects.get(pk=draft.pk).answers
        assert answers["kontoinhaber"] == "Jana Beck", action
        assert answers["mietvertrag"] == [upload_id], action
        assert Upload.objects.filter(pk=upload_id).exists(), action
    post(client, draft, "bank_unterlagen", {**BANK, "_action": f"remove_upload:mietvertrag:"
                                                               f"{upload_id}"})
    assert stored(draft)["mietvertrag"] == []
    assert not Upload.objects.filter(pk=upload_id).exists()


def test_germany_from_the_staat_list_is_checked_and_not_shown_as_code(django_user_model,
                                                                      wohngeld):
    client, draft = applicant(django_user_model, wohngeld)
    nowhere = {**ANTRAG, "antragsteller.anschrift.postal_code": "99999",
               "antragsteller.anschrift.place": "Nirgendwo", "_action": "next"}
    r = post(client, draft, "antrag", nowhere)
    assert r.status_code == 400
    assert "99999" in " ".join(re.findall(r'kern-error".*?</div>', r.content.decode()))
    walk_to_bank(client, draft)
    answers = Draft.objects.get(pk=draft.pk).answers
    assert answers["antragsteller"]["anschrift"]["country"] == "000"  # kept as chosen
    cleaned, _errors = actions.form_of(draft.version).validate(answers)
    assert cleaned["antragsteller"]["anschrift"]["country"] == "DE"
    page = client.get(reverse("submissions:step", args=[draft.pk, "antrag"])).content.decode()
    assert re.search(r'<option value="000" selected>', page)
    summary = client.get(reverse("submissions:summary", args=[draft.pk])).content.decode()
    assert "Marktstraße 3, 36037 Fulda" in summary
    assert ", 000" not in summary and "Fulda, DE" not in summary


def test_conditional_fields_of_a_household_member_start_hidden(django_user_model, wohngeld):
    """Without JavaScript: the first visit shows entry 1 (repeat.min) with its conditional
    fields hidden, as after "Eintrag hinzufügen"."""
    client, draft = applicant(django_user_model, wohngeld)
    page = client.get(reverse("submissions:step", args=[draft.pk, "haushalt"])).content.decode()
    for path in ("haushalt.0.gdb", "haushalt.0.einkommensarten",
                 "haushalt.0.brutto_monatlich"):
        wrapper = re.search(rf'<div class="aw-conditional" data-path="{re.escape(path)}"'
                            r'[^>]*>', page)
        assert wrapper and wrapper.group(0).endswith(" hidden>"), path
    control = re.search(r'<input[^>]*id="f-haushalt-0-gdb"[^>]*>', page).group(0)
    assert " disabled" in control
    # ticking the checkbox (the refresh of "Formular aktualisieren") shows the field
    r = post(client, draft, "haushalt", {**HAUSHALT, "haushalt.0.schwerbehindert": "true",
                                         "_action": "refresh"})
    control = re.search(r'<input[^>]*id="f-haushalt-0-gdb"[^>]*>', r.content.decode()).group(0)
    assert " disabled" not in control


def test_a_file_for_a_repeated_entry_the_answers_lack_is_not_stored(client, standesamt):
    """A file posted under `kinder.5.nachweis` while the draft has one entry was stored and
    then crashed on writing the answer (500); now it is left out."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from amtsweg.catalog.models import Leistung
    from amtsweg.services import actions as service_actions

    form = {"format": "amtsweg.form/1", "title": {"de": "Kinder"}, "steps": [
        {"key": "kinder_schritt", "title": {"de": "Kinder"}, "items": [
            {"type": "group", "key": "kinder", "label": {"de": "Kind"},
             "repeat": {"min": 1, "max": 10}, "items": [
                 {"type": "text", "key": "vorname", "label": {"de": "Vorname"}},
                 {"type": "file", "key": "nachweis", "label": {"de": "Nachweis"},
                  "file": {"types": ["application/pdf"], "max_size": 100000,
                           "max_count": 2}}]}]}]}
    service = service_actions.create_service(
        None, leistung=Leistung.objects.get(leika_key="99027002012000"),
        title={"de": "Kinder"}, owner_authority=standesamt,
        version={"form": form, "applicants": ["guest"], "fee": {"amount": 0}})
    version = service_actions.publish(None, service.versions.get())
    Adoption.objects.filter(authority=standesamt,
                            service__leistung__leika_key="99027002012000").delete()
    adoption = service_actions.adopt(None, standesamt, version, {"fee": None})
    r = client.post(reverse("submissions:start", args=[adoption.service.slug, "06635001"]),
                    {"email": "kinder@example.org"})
    draft = Draft.objects.get(adoption=adoption)
    url = reverse("submissions:step", args=[draft.pk, "kinder_schritt"])
    r = client.post(url, {"kinder.0.vorname": "Mia", "_action": "save",
                          "kinder.5.nachweis": SimpleUploadedFile("a.pdf", PDF),
                          "kinder.0.nachweis": SimpleUploadedFile("b.pdf", PDF2)})
    assert r.status_code == 302
    answers = Draft.objects.get(pk=draft.pk).answers
    assert len(answers["kinder"]) == 1 and len(answers["kinder"][0]["nachweis"]) == 1
    assert [u.name for u in Upload.objects.filter(draft=draft)] == ["b.pdf"]


def test_a_refused_file_is_the_only_error_of_its_required_field(client, standesamt):
    """Second outside round: a required file refused as too large showed "zu groß" and
    "Bitte laden Sie … hoch" for the same cause."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from amtsweg.catalog.models import Leistung
    from amtsweg.services import actions as service_actions

    form = {"format": "amtsweg.form/1", "title": {"de": "Vollmacht"}, "steps": [
        {"key": "belege", "title": {"de": "Belege"}, "items": [
            {"type": "file", "key": "vollmacht", "label": {"de": "Vollmacht"},
             "required": True,
             "file": {"types": ["application/pdf"], "max_size": 100000, "max_count": 1}}]}]}
    service = service_actions.create_service(
        None, leistung=Leistung.objects.get(leika_key="99027002012000"),
        title={"de": "Vollmacht"}, owner_authority=standesamt,
        version={"form": form, "applicants": ["guest"], "fee": {"amount": 0}})
    version = service_actions.publish(None, service.versions.get())
    Adoption.objects.filter(authority=standesamt,
                            service__leistung__leika_key="99027002012000").delete()
    adoption = service_actions.adopt(None, standesamt, version, {"fee": None})
    client.post(reverse("submissions:start", args=[adoption.service.slug, "06635001"]),
                {"email": "vollmacht@example.org"})
    draft = Draft.objects.get(adoption=adoption)
    url = reverse("submissions:step", args=[draft.pk, "belege"])
    big = SimpleUploadedFile("gross.pdf", b"%PDF-1.4\n" + b"x" * 200_000)
    response = client.post(url, {"vollmacht": big, "_action": "next"},
                           HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Die Datei gross.pdf ist zu groß" in page
    assert "Bitte laden Sie" not in page
    # Issue 12: a free service's summary said "Gebühr: 0,00 EUR"
    summary = client.get(reverse("submissions:summary", args=[draft.pk]),
                         HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "gebührenfrei" in summary and "0,00 EUR" not in summary and "0.00" not in summary
