"""Applying online through the citizen pages: start, steps, conditional fields, uploads,
save and resume, summary, idempotent submit, receipt, e-mail, encryption at rest."""

import re
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.urls import reverse

from amtsweg.submissions import actions
from amtsweg.submissions.models import Draft, Submission, Upload

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00"
       b"\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18"
       b"\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def start_as_guest(client, adoption, email="erika@example.org"):
    url = reverse("submissions:start", args=[adoption.service.slug, "06635001"])
    response = client.post(url, {"email": email})
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Draft.objects.get(adoption=adoption)
    return draft, response["Location"]


def step_url(draft, key):
    return reverse("submissions:step", args=[draft.pk, key])


def fill(client, draft):
    r = client.post(step_url(draft, "person"), {
        "vorname": "Erika", "familienname": "Mustermann", "zweck": "rente", "_action": "next"})
    assert r.status_code == 302 and r["Location"] == step_url(draft, "weiteres")
    r = client.post(step_url(draft, "weiteres"), {"anzahl": "2", "_action": "next"})
    assert r.status_code == 302
    assert r["Location"] == reverse("submissions:summary", args=[draft.pk])


def test_catalogue_offers_online_application_only_where_adopted(client, small_service):
    page = client.get(reverse("portal:leistung", args=["99027002012000"]),
                      {"gemeinde": "06635001"}).content.decode()
    assert reverse("submissions:start", args=[small_service.service.slug, "06635001"]) in page
    # Battenberg (Eder), same Kreis, has its own Standesamt that did not adopt this service
    other = client.get(reverse("submissions:start",
                               args=[small_service.service.slug, "06635002"]))
    assert other.status_code == 404


def test_guest_applies_end_to_end(client, small_service):
    draft, location = start_as_guest(client, small_service)
    assert location == step_url(draft, "person")
    assert len(mail.outbox) == 1 and "/antrag/fortsetzen/" in mail.outbox[0].body
    page = client.get(location)
    assert page.status_code == 200 and "Vorname" in page.content.decode()
    fill(client, draft)
    summary = client.get(reverse("submissions:summary", args=[draft.pk])).content.decode()
    assert ("Erika" in summary and "Rente" in summary and "24,00" in summary) or "24.00" in summary
    r = client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    assert r.status_code == 302
    submission = Submission.objects.get()
    assert r["Location"] == reverse("submissions:done", args=[submission.receipt_number])
    assert re.fullmatch(r"AW-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", submission.receipt_number)
    assert str(submission.fee_amount) == "24.00"
    assert submission.content["answers"]["vorname"] == "Erika"
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert any(submission.receipt_number in m.subject for m in mail.outbox)
    pdf = client.get(reverse("submissions:receipt_pdf", args=[submission.receipt_number]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Another browser cannot see the receipt.
    from django.test import Client

    assert Client().get(reverse("submissions:done",
                                args=[submission.receipt_number])).status_code == 404


def test_errors_are_shown_and_typed_input_kept(client, small_service):
    draft, _ = start_as_guest(client, small_service)
    r = client.post(step_url(draft, "person"), {"vorname": "Erika", "zweck": "sonstiges",
                                                "_action": "next"})
    assert r.status_code == 400
    page = r.content.decode()
    assert 'href="#f-familienname"' in page and 'aria-invalid="true"' in page
    assert 'value="Erika"' in page
    # the conditional field appeared because "Sonstiges" was chosen
    assert 'name="zweck_text"' in page and "zweck_text" in str(
        actions.form_of(draft.version).validate(Draft.objects.get(pk=draft.pk).answers)[1])
    assert Draft.objects.get(pk=draft.pk).answers["vorname"] == "Erika"


def test_conditional_field_refresh_with_htmx(client, small_service):
    draft, _ = start_as_guest(client, small_service)
    r = client.post(step_url(draft, "person"), {"zweck": "sonstiges", "_action": "refresh"},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="step-form"' in html and "<html" not in html
    field = re.search(r'<input[^>]*name="zweck_text"[^>]*>', html).group(0)
    assert "hidden" not in field
    assert "kern-error" not in html  # refreshing does not scold


def test_no_access_to_someone_elses_draft(client, small_service):
    from django.test import Client

    _draft, location = start_as_guest(client, small_service)
    assert Client().get(location).status_code == 404


def test_uploads_are_checked_by_content(client, small_service):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft, _ = start_as_guest(client, small_service)
    fake = SimpleUploadedFile("nachweis.pdf", b"MZ\x90\x00 not a pdf at all",
                              content_type="application/pdf")
    r = client.post(step_url(draft, "weiteres"), {"anzahl": "1", "nachweis": fake,
                                                  "_action": "next"})
    assert (r.status_code == 400 and "not an allowed file type" in r.content.decode().replace(
        "&#x27;", "'")) or "kein erlaubter Dateityp" in r.content.decode()
    ok = SimpleUploadedFile("geburt.pdf", PDF, content_type="application/octet-stream")
    r = client.post(step_url(draft, "weiteres"), {"anzahl": "1", "nachweis": ok,
                                                  "_action": "next"})
    assert r.status_code == 302
    upload = Upload.objects.get(draft=draft)
    assert upload.content_type == "application/pdf" and upload.name == "geburt.pdf"
    assert actions.read_upload(upload) == PDF
    with open(settings.STORAGES["default"]["OPTIONS"]["location"] / upload.stored_name,
              "rb") as fh:
        raw = fh.read()
    assert b"%PDF" not in raw and b"geburt" not in raw
    # a third file is over the count of 2 (files of different content: the same content is
    # stored once per field)
    for name, data in (("b.png", PNG), ("c.png", PNG + b"\x00")):
        r = client.post(step_url(draft, "weiteres"), {
            "anzahl": "1", "nachweis": SimpleUploadedFile(name, data), "_action": "next"})
    assert r.status_code == 400 and ("at most 2 files" in r.content.decode()
                                     or "höchstens 2 Dateien" in r.content.decode())
    assert Upload.objects.filter(draft=draft).count() == 2


def test_submit_is_idempotent(client, small_service):
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    url = reverse("submissions:summary", args=[draft.pk])
    first = client.post(url, {"declaration": "1"})
    again = client.post(url, {"declaration": "1"})  # double click / retry after lost response
    assert first["Location"] == again["Location"]
    assert Submission.objects.count() == 1
    direct = actions.submit(draft.pk, user=None, accepted=True)
    assert direct.receipt_number in first["Location"]


def test_declaration_is_required(client, small_service):
    draft, _ = start_as_guest(client, small_service)
    fill(client, draft)
    r = client.post(reverse("submissions:summary", args=[draft.pk]), {})
    assert r.status_code == 400 and 'href="#declaration"' in r.content.decode()
    assert not Submission.objects.exists()


def test_incomplete_draft_cannot_be_submitted(client, small_service):
    draft, _ = start_as_guest(client, small_service)
    r = client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    assert r.status_code == 302 and r["Location"] == step_url(draft, "person")
    assert not Submission.objects.exists()


def test_guest_resumes_with_the_mailed_link(client, small_service):
    from django.test import Client

    draft, _ = start_as_guest(client, small_service)
    client.post(step_url(draft, "person"), {"vorname": "Erika", "_action": "save"})
    link = re.search(r"https?://\S+/antrag/fortsetzen/\S+/", mail.outbox[0].body).group(0)
    other = Client()
    r = other.get(link[link.index("/antrag/"):])
    assert r.status_code == 302 and r["Location"] == step_url(draft, "person")
    assert 'value="Erika"' in other.get(r["Location"]).content.decode()
    assert other.get("/antrag/fortsetzen/wrong-token/").status_code == 404


def test_answers_are_encrypted_at_rest(client, small_service):
    draft, _ = start_as_guest(client, small_service)
    client.post(step_url(draft, "person"), {"vorname": "Zacharias", "familienname": "Quux",
                                            "zweck": "rente", "_action": "next"})
    client.post(step_url(draft, "weiteres"), {"anzahl": "1", "_action": "next"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM submissions_draft")
        raw = b"".join(bytes(row[0]) for row in cursor.fetchall())
    assert raw and b"Zacharias" not in raw and b"Quux" not in raw
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM submissions_submission")
        raw = b"".join(bytes(row[0]) for row in cursor.fetchall())
    assert raw and b"Zacharias" not in raw and b"erika@example.org" not in raw


def test_logged_in_person_with_prefill(client, small_service, django_user_model):
    from amtsweg.accounts import profile
    from amtsweg.accounts.models import Consent

    user = django_user_model.objects.create_user("max@example.org", "Pw-for-tests-2026",
                                                 first_name="Max", last_name="Muster")
    profile.set_typed(user, {"given_name": "Maximilian"})
    client.force_login(user)
    url = reverse("submissions:start", args=[small_service.service.slug, "06635001"])
    page = client.get(url).content.decode()
    assert 'name="prefill"' in page
    r = client.post(url, {"prefill": "1"})
    draft = Draft.objects.get(user=user)
    assert draft.answers["vorname"] == "Maximilian" and draft.answers["familienname"] == "Muster"
    assert Consent.objects.filter(user=user, kind=Consent.Kind.PREFILL).exists()
    assert r["Location"] == step_url(draft, "person")
    listing = client.get(reverse("submissions:account_list")).content.decode()
    assert step_url(draft, "person") in listing


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_give_one_submission(small_service_tx):
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database is one connection; file databases "
                    "serialise writers with BEGIN IMMEDIATE (see docs/forms.md)")
    adoption = small_service_tx
    form = actions.form_of(adoption.version)
    draft, _token = actions.start(adoption=adoption, area=adoption.authority.area, user=None,
                                  trust_level="basis", guest_email="a@example.org")
    draft.set_content(answers=form.validate({"vorname": "A", "familienname": "B",
                                             "zweck": "rente", "anzahl": 1})[0])
    draft.save()
    results, errors = [], []
    barrier = threading.Barrier(8)

    def send():
        from django.db import connections

        try:
            barrier.wait()
            results.append(actions.submit(draft.pk, user=None, accepted=True).receipt_number)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(results)) == 1 and len(results) == 8
    assert Submission.objects.filter(draft_key=draft.pk).count() == 1


def test_adopting_a_service_for_an_unassigned_leistung_makes_it_findable(client, standesamt):
    from amtsweg.catalog.models import Leistung
    from amtsweg.services import actions as service_actions
    from amtsweg.territory.models import Responsibility

    leistung = Leistung.objects.filter(responsibilities__isnull=True).order_by("pk").first()
    service = service_actions.create_service(
        None, leistung=leistung, title={"de": "Kleiner Dienst"}, owner_authority=standesamt)
    version = service_actions.publish(None, service.versions.get())
    assert service_actions.offered(leistung.pk, standesamt.area_id) is None
    service_actions.adopt(None, standesamt, version)
    assert service_actions.offered(leistung.pk, standesamt.area_id).service == service
    assert Responsibility.objects.get(leistung=leistung).origin == "Nachnutzung"
    page = client.get(reverse("portal:leistung", args=[leistung.leika_key]),
                      {"gemeinde": "06635001"}).content.decode()
    assert reverse("submissions:start", args=[service.slug, "06635001"]) in page


def test_organisation_applies_and_members_see_it(client, standesamt, django_user_model):
    from django.test import Client

    from amtsweg.accounts.models import Membership, Organisation
    from amtsweg.catalog.models import Leistung
    from amtsweg.services import actions as service_actions

    service = service_actions.create_service(
        None, leistung=Leistung.objects.get(leika_key="99027002012000"),
        title={"de": "Für Firmen"}, owner_authority=standesamt,
        version={"applicants": ["organisation"]})
    version = service_actions.publish(None, service.versions.get())
    adoption = service_actions.adopt(None, standesamt, version)
    org = Organisation.objects.create(name="Muster GmbH", kind="unternehmen")
    alice = django_user_model.objects.create_user("alice@example.org", "Pw-for-tests-2026")
    bob = django_user_model.objects.create_user("bob@example.org", "Pw-for-tests-2026")
    eve = django_user_model.objects.create_user("eve@example.org", "Pw-for-tests-2026")
    Membership.objects.create(organisation=org, user=alice, role="admin")
    Membership.objects.create(organisation=org, user=bob)
    client.force_login(alice)
    url = reverse("submissions:start", args=[service.slug, "06635001"])
    assert "Muster GmbH" in client.get(url).content.decode()
    r = client.post(url, {"organisation": str(org.pk)})
    draft = Draft.objects.get(adoption=adoption)
    assert draft.organisation == org
    client.post(step_url(draft, "angaben"), {"name": "Muster GmbH", "_action": "next"})
    client.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    submission = Submission.objects.get(organisation=org)
    for user, visible in ((bob, True), (eve, False)):
        other = Client()
        other.force_login(user)
        done = other.get(reverse("submissions:done", args=[submission.receipt_number]))
        assert (done.status_code == 200) is visible
        listing = other.get(reverse("submissions:account_list")).content.decode()
        assert (submission.receipt_number in listing) is visible
    assert r.status_code == 302


def test_expired_drafts_are_purged_with_their_files(client, small_service,
                                                    django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    draft, _ = start_as_guest(client, small_service)
    client.post(step_url(draft, "weiteres"), {
        "anzahl": "1", "nachweis": SimpleUploadedFile("a.pdf", PDF), "_action": "save"})
    stored = Upload.objects.get(draft=draft).stored_name
    assert default_storage.exists(stored)
    call_command("purge_drafts", verbosity=0)
    assert Draft.objects.filter(pk=draft.pk).exists()  # not yet expired
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_drafts", verbosity=0)
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert not Upload.objects.filter(stored_name=stored).exists()
    assert not default_storage.exists(stored)


def test_links_to_continue_to_one_typed_address_are_limited(client, small_service, settings):
    """Issue 11, finding 6: a guest draft mails a link to the typed address; a stranger must
    not be able to flood someone's mailbox with them."""
    from tests.accounts.conftest import CommitClient as Client

    settings.MAIL_THROTTLE_PER_ADDRESS = 2
    mail.outbox.clear()
    url = reverse("submissions:start", args=[small_service.service.slug, "06635001"])
    statuses = [Client().post(url, {"email": "opfer@example.org"}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 400, 400]
    assert sum("opfer@example.org" in m.to for m in mail.outbox) == 2


def test_an_account_draft_link_opened_without_login_asks_to_log_in(client, small_service,
                                                                  django_user_model):
    """Issue 12: the link to a Servicekonto person's draft answered 404 to a browser that was
    not logged in (a link from a mail, another device); now it asks to log in and comes back."""
    user = django_user_model.objects.create_user("max@example.org", "Pw-for-tests-2026")
    client.force_login(user)
    client.post(reverse("submissions:start", args=[small_service.service.slug, "06635001"]))
    draft = Draft.objects.get(user=user)
    client.logout()
    url = step_url(draft, "person")
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Bitte melden Sie sich an" in page
    assert f'{reverse("accounts:login")}?next={url}' in page
    # somebody else's account still learns nothing: 404
    other = django_user_model.objects.create_user("eve@example.org", "Pw-for-tests-2026")
    client.force_login(other)
    assert client.get(url).status_code == 404
