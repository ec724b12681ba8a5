"""The whole chain a Kommune goes through, through the pages: build a service from the FIM
file v3/simple.xml in the designer, publish it, adopt it for one Gemeinde's Behörde, and a
citizen applies for it there (and only there)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from amtsweg.catalog.models import Leistung
from amtsweg.services.models import OnlineService
from amtsweg.submissions.models import Draft, Submission
from amtsweg.territory.models import Authority

from .staff import client_for, staff

pytestmark = pytest.mark.django_db
FIM = Path(__file__).resolve().parents[2] / "src/amtsweg/forms/data/fim/v3/simple.xml"


def test_from_fim_file_to_a_citizens_application():
    standesamt = Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)
    kommune = client_for(staff(("designer", standesamt), ("admin", standesamt)))
    # a Leistung nobody is recorded for yet: adopting makes the Standesamt responsible
    leistung = Leistung.objects.filter(responsibilities__isnull=True).order_by("pk").first()
    r = kommune.post("/verwaltung/dienste/neu/", {
        "how": "fim", "fim-file": SimpleUploadedFile("simple.xml", FIM.read_bytes(),
                                                     "application/xml"),
        "fim-title_de": "Anschrift melden", "fim-leistung": leistung.leika_key,
        "fim-owner": standesamt.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    service = OnlineService.objects.get(owner_authority=standesamt)
    r = kommune.post(f"/verwaltung/dienste/{service.slug}/v1/veroeffentlichen/")
    assert r.status_code == 302
    version = service.versions.get()
    assert version.state == "published"
    r = kommune.post(f"/verwaltung/nachnutzung/dienst/{service.slug}/", {
        "version": version.pk, "authority": standesamt.pk, "fee": "5", "processing": "1 Woche",
        "email": "", "phone": "", "holder": "Gemeindekasse", "iban": "DE02120300000000202051",
        "bic": "", "signer_name": "", "signer_role": ""})
    assert r.status_code == 302, r.content.decode()[:3000]

    citizen = Client()
    page = citizen.get(reverse("portal:leistung", args=[leistung.leika_key]),
                       {"gemeinde": "06635001"}).content.decode()
    start = reverse("submissions:start", args=[service.slug, "06635001"])
    assert start in page
    assert citizen.get(reverse("submissions:start", args=[service.slug, "06635002"])
                       ).status_code == 404  # another Gemeinde's Standesamt did not adopt
    r = citizen.post(start, {"email": "melder@example.org"})
    draft = Draft.objects.get(adoption__service=service)
    step = version.form["steps"][0]["key"]
    assert r["Location"] == reverse("submissions:step", args=[draft.pk, step])
    group = version.form["steps"][0]["items"][0]["key"]
    field = version.form["steps"][0]["items"][0]["items"][0]["key"]
    r = citizen.post(r["Location"], {f"{group}.{field}": "Bahnhofstraße 1", "_action": "next"})
    assert r["Location"] == reverse("submissions:summary", args=[draft.pk])
    r = citizen.post(r["Location"], {"declaration": "1"})
    submission = Submission.objects.get(adoption__service=service)
    assert r["Location"] == reverse("submissions:done", args=[submission.receipt_number])
    assert submission.content["answers"][group][field] == "Bahnhofstraße 1"
    assert str(submission.fee_amount) == "5.00"
    assert citizen.get(reverse("submissions:receipt_pdf", args=[submission.receipt_number])
                       ).content.startswith(b"%PDF")
