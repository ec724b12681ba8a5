"""The Förderstelle's pages: programmes with the year's budget, applications with the rules'
decision, grants with payout and proof of use (each step audited, wrong input refused with a
sentence), and the tenant isolation matrix over every route that takes an id."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amtsweg.accounts.models import User
from amtsweg.audit.models import AuditEntry
from amtsweg.cases import actions as cases
from amtsweg.funding import actions
from amtsweg.funding.models import FundingApplication, Grant
from tests.funding.conftest import apply, kommune_account, set_budget
from tests.services.staff import client_for, fulda, staff

pytestmark = pytest.mark.django_db

INDEX = reverse("funding_staff:index")


@pytest.fixture
def application(foerderstelle) -> FundingApplication:
    organisation, (person,) = kommune_account()
    return FundingApplication.objects.get(submission=apply(organisation, person))


@pytest.fixture
def granted(application, foerderstelle) -> Grant:
    clerk = staff(("clerk", foerderstelle))
    case = application.submission.case
    cases.transition(clerk, case.pk, "pruefen")
    cases.transition(clerk, case.pk, "bewilligen", note="Bewilligt.")
    return Grant.objects.get(application=application)


def test_overview_lists_programme_budget_applications_and_grants(application, granted,
                                                                 foerderstelle, programme):
    client = client_for(staff(("clerk", foerderstelle)))
    page = client.get(INDEX).content.decode()
    assert "IKZ-Förderung Digitalisierung" in page
    assert "3,000,000.00 EUR" in page and "2,900,000.00 EUR" in page  # budget and rest
    assert reverse("funding_staff:application", args=[application.pk]) in page
    assert reverse("funding_staff:grant", args=[granted.pk]) in page
    assert "1 grant waits for its payout." in page
    filtered = client.get(INDEX, {"open": "payout", "year": granted.year,
                                  "programme": programme.pk}).content.decode()
    assert reverse("funding_staff:grant", args=[granted.pk]) in filtered
    none = client.get(INDEX, {"open": "overdue", "programme": programme.pk}).content.decode()
    assert reverse("funding_staff:grant", args=[granted.pk]) not in none


def test_overview_for_staff_of_a_behoerde_without_programme():
    page = client_for(staff(("clerk", fulda()))).get(INDEX)
    assert page.status_code == 200
    assert "Your authority runs no funding programme." in page.content.decode()
    assert "IKZ-Förderung" not in page.content.decode()


def test_application_page_shows_the_rules_decision(application, foerderstelle, programme):
    client = client_for(staff(("clerk", foerderstelle)))
    url = reverse("funding_staff:application", args=[application.pk])
    page = client.get(url).content.decode()
    assert "Eligible: approving the case now grants 100,000.00 EUR." in page
    assert "4 participating Kommunen × 25,000.00 EUR = 100,000.00 EUR." in page
    assert reverse("cases:detail", args=[application.submission.case.pk]) in page
    set_budget(programme, "0")
    page = client.get(url).content.decode()
    assert "Not eligible: the case cannot be approved." in page
    assert "is used up by earlier grants." in page


def test_grant_page_payout_and_proof_of_use_audited(granted, foerderstelle):
    clerk = staff(("clerk", foerderstelle))
    client = client_for(clerk)
    url = reverse("funding_staff:grant", args=[granted.pk])
    page = client.get(url).content.decode()
    assert "100,000.00 EUR" in page and 'data-payout="pending"' in page
    assert reverse("cases:notice", args=[granted.application.submission.case.pk,
                                          granted.notice_id]) in page
    today = timezone.localdate()

    # a date in the future is refused with a sentence, nothing changes
    r = client.post(reverse("funding_staff:payout", args=[granted.pk]),
                    {"paid_out_on": (today + timedelta(days=1)).isoformat()})
    assert r.status_code == 400 and "The date cannot be in the future." in r.content.decode()
    assert f'value="{(today + timedelta(days=1)).isoformat()}"' in r.content.decode()
    r = client.post(reverse("funding_staff:payout", args=[granted.pk]), {"paid_out_on": "x"})
    assert r.status_code == 400 and "Give the date (payout)." in r.content.decode()
    granted.refresh_from_db()
    assert granted.payout == Grant.Payout.PENDING

    r = client.post(reverse("funding_staff:payout", args=[granted.pk]),
                    {"paid_out_on": today.isoformat()})
    assert r.status_code == 302
    granted.refresh_from_db()
    assert (granted.payout, granted.paid_out_on) == (Grant.Payout.PAID, today)
    r = client.post(reverse("funding_staff:payout", args=[granted.pk]),
                    {"paid_out_on": today.isoformat()})
    assert r.status_code == 400 and "paid out already" in r.content.decode()

    proof = reverse("funding_staff:proof", args=[granted.pk])
    new_due = today + timedelta(days=400)
    assert client.post(proof, {"step": "due", "proof_due_on": new_due.isoformat()}
                       ).status_code == 302
    r = client.post(proof, {"step": "accept", "proof_checked_on": today.isoformat()})
    assert r.status_code == 400 and "Only a received proof of use" in r.content.decode()
    assert client.post(proof, {"step": "received", "proof_received_on": today.isoformat()}
                       ).status_code == 302
    assert client.post(proof, {"step": "accept", "proof_checked_on": today.isoformat()}
                       ).status_code == 302
    granted.refresh_from_db()
    assert granted.proof == Grant.Proof.ACCEPTED and granted.proof_due_on == new_due
    assert (granted.proof_received_on, granted.proof_checked_on) == (today, today)
    actions_logged = list(AuditEntry.objects.filter(object_id=str(granted.pk),
                                                    object_type="funding.grant")
                          .order_by("seq").values_list("action", "actor"))
    assert actions_logged[0][0] == "funding.granted"
    assert actions_logged[1:] == [("funding.paid_out", f"user:{clerk.pk}"),
                                  ("funding.proof_due", f"user:{clerk.pk}"),
                                  ("funding.proof_received", f"user:{clerk.pk}"),
                                  ("funding.proof_accepted", f"user:{clerk.pk}")]
    assert client.post(proof, {"step": "nonsense"}).status_code == 400


def test_refund_demanded_after_payout(granted, foerderstelle):
    clerk = staff(("lead", foerderstelle))
    client = client_for(clerk)
    proof = reverse("funding_staff:proof", args=[granted.pk])
    today = timezone.localdate().isoformat()
    r = client.post(proof, {"step": "refund", "refund_amount": "1000",
                            "refund_checked_on": today})
    assert r.status_code == 400 and "paid out" in r.content.decode()
    actions.mark_paid_out(clerk, granted.pk, timezone.localdate())
    r = client.post(proof, {"step": "refund", "refund_amount": "100.000,01",
                            "refund_checked_on": today})
    assert r.status_code == 400 and "at most the grant (100,000.00 EUR)" in r.content.decode()
    r = client.post(proof, {"step": "refund", "refund_amount": "12.500,50",
                            "refund_checked_on": today})
    assert r.status_code == 302
    granted.refresh_from_db()
    assert granted.proof == Grant.Proof.REFUND
    assert granted.refund_amount == Decimal("12500.50")
    entry = AuditEntry.objects.get(action="funding.refund_demanded")
    assert entry.data == {"refund_amount": "12500.50", "checked_on": today}
    page = client.get(reverse("funding_staff:grant", args=[granted.pk])).content.decode()
    assert "12,500.50 EUR" in page and 'data-proof="refund"' in page


def test_admin_of_the_foerderstelle_reads_but_does_not_change(granted, foerderstelle):
    client = client_for(staff(("admin", foerderstelle)))
    url = reverse("funding_staff:grant", args=[granted.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Mark as paid out" not in page.content.decode()
    r = client.post(reverse("funding_staff:payout", args=[granted.pk]),
                    {"paid_out_on": timezone.localdate().isoformat()})
    assert r.status_code == 403
    granted.refresh_from_db()
    assert granted.payout == Grant.Payout.PENDING


def test_historical_grants_are_listed_for_the_foerderstelle(foerderstelle):
    historical = Grant.objects.filter(is_demo=True, programme__authority=foerderstelle)
    if not historical.exists():
        pytest.skip("no historical demo grants loaded")
    client = client_for(staff(("clerk", foerderstelle)))
    page = client.get(INDEX, {"year": 2019}).content.decode()
    old = historical.filter(year=2019).order_by("-decided_on", "-id").first()
    assert reverse("funding_staff:grant", args=[old.pk]) in page
    detail = client.get(reverse("funding_staff:grant", args=[old.pk]))
    assert detail.status_code == 200 and 'data-proof="accepted"' in detail.content.decode()
    assert "Mark as paid out" not in detail.content.decode()  # paid out long ago


# --- tenant isolation matrix ----------------------------------------------------------------

ROUTES = ["application", "grant", "payout", "proof"]
READ_ROUTES = ("application", "grant")


def test_every_id_route_is_covered():
    from amtsweg.funding import staff_urls

    with_id = {p.name for p in staff_urls.urlpatterns if "<" in str(p.pattern)}
    assert with_id == set(ROUTES)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_isolation_matrix(route, method, granted, foerderstelle):
    pk = granted.application_id if route == "application" else granted.pk
    url = reverse(f"funding_staff:{route}", args=[pk])
    data = {"paid_out_on": timezone.localdate().isoformat(), "step": "received",
            "proof_received_on": timezone.localdate().isoformat()}

    def call(client):
        return client.post(url, data) if method == "post" else client.get(url)

    other = fulda()
    assert call(client_for(staff(("clerk", other)))).status_code == 404
    assert call(client_for(staff(("lead", other), ("admin", other)))).status_code == 404
    assert call(client_for(staff(("designer", foerderstelle)))).status_code == 403
    citizen = Client()
    citizen.force_login(User.objects.create_user(f"b{uuid.uuid4().hex[:6]}@example.org",
                                                 "Sehr-geheim-2026"))
    assert call(citizen).status_code == 403
    assert call(Client()).status_code == 302
    granted.refresh_from_db()
    assert granted.payout == Grant.Payout.PENDING and granted.proof == Grant.Proof.DUE
    assert not AuditEntry.objects.filter(object_id=str(granted.pk),
                                         action__in=("funding.paid_out",
                                                     "funding.proof_received")).exists()
    own = call(client_for(staff(("clerk", foerderstelle)))).status_code
    assert own in ({200} if method == "get" and route in READ_ROUTES else
                   {302} if method == "post" and route not in READ_ROUTES else
                   {405})


def test_pages_render_in_german(granted, foerderstelle):
    client = client_for(staff(("clerk", foerderstelle)))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    for url in (INDEX, reverse("funding_staff:application", args=[granted.application_id]),
                reverse("funding_staff:grant", args=[granted.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="de"' in response.content.decode()
    assert "100.000,00 EUR" in client.get(reverse("funding_staff:grant",
                                                  args=[granted.pk])).content.decode()
