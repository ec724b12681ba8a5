"""The audit page: superusers see every tenant, admins of a Behörde only its tenant."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amtsweg.accounts.models import User
from amtsweg.audit import actions
from amtsweg.audit.models import AuditEntry
from amtsweg.core.tenantcrypto import tenant_of_authority
from tests.services.staff import client_for, fulda, other_authority, staff

from .conftest import triggers_dropped

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    """Two entries at Fulda's Standesamt, one at another Behörde, one platform-wide."""
    mine, theirs = tenant_of_authority(fulda().pk), tenant_of_authority(other_authority().pk)
    return {
        "mine": [actions.record(tenant=mine, actor="user:1", action="case.transition",
                                object_type="cases.case", object_id=f"mine-{i}",
                                data={"to": "in_progress"}) for i in range(2)],
        "theirs": actions.record(tenant=theirs, actor="worker", action="notice.issued",
                                 object_type="cases.notice", object_id="theirs-1"),
        "platform": actions.record(tenant=actions.PLATFORM, actor="system",
                                   action="retention.deleted", object_id="platform-1",
                                   data={"submissions": 3}),
    }


def superuser() -> User:
    return User.objects.create_superuser("root@amt.example", "Sehr-geheim-2026")


def listed(client: Client, **params) -> str:
    response = client.get(reverse("audit:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_superuser_sees_every_tenant(entries):
    page = listed(client_for(superuser()))
    for object_id in ("mine-0", "mine-1", "theirs-1", "platform-1"):
        assert object_id in page
    assert fulda().name in page


def test_an_admin_sees_the_entries_of_their_authority_only(entries):
    client = client_for(staff(("admin", fulda())))
    page = listed(client)
    assert "mine-0" in page and "mine-1" in page
    assert "theirs-1" not in page and "platform-1" not in page
    assert listed(client, tenant=entries["theirs"].tenant).count("theirs-1") == 0
    mine = client.get(reverse("audit:detail", args=[entries["mine"][0].pk]))
    assert mine.status_code == 200 and "matches the content" in mine.content.decode()
    for other in (entries["theirs"], entries["platform"]):
        assert client.get(reverse("audit:detail", args=[other.pk])).status_code == 404


def test_other_staff_and_citizens_are_refused(entries):
    clerk = client_for(staff(("clerk", fulda()), ("designer", fulda())))
    assert clerk.get(reverse("audit:list")).status_code == 403
    citizen = Client()
    citizen.force_login(User.objects.create_user("b@example.org", "Sehr-geheim-2026"))
    assert citizen.get(reverse("audit:list")).status_code == 403
    anonymous = Client().get(reverse("audit:list"))
    assert anonymous.status_code == 302 and "/konto/anmelden/" in anonymous["Location"]


def test_staff_without_second_factor_are_sent_to_set_it_up(entries):
    client = Client()
    client.force_login(staff(("admin", fulda())))
    response = client.get(reverse("audit:list"))
    assert response.status_code == 302 and "/konto/2fa/" in response["Location"]


def test_filters_by_action_and_object_id(entries):
    client = client_for(superuser())
    page = listed(client, action="case.")
    assert "mine-0" in page and "theirs-1" not in page
    page = listed(client, object_id="theirs-1")
    assert "theirs-1" in page and "mine-0" not in page


def test_pages_by_keyset_without_offset(tenant):
    client = client_for(superuser())
    created = [actions.record(tenant=tenant, actor="system", action="paging.test",
                              object_id=f"p{i:03}") for i in range(60)]
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("audit:list"), {"action": "paging."})
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    entries = first.context["entries"]
    assert len(entries) == 50 and entries[0].pk == created[-1].pk
    second = client.get(reverse("audit:list"),
                        {"action": "paging.", "before": first.context["next_cursor"]})
    rest = second.context["entries"]
    assert [e.pk for e in entries + rest] == [e.pk for e in reversed(created)]
    assert second.context["next_cursor"] == ""
    assert 'rel="next"' in first.content.decode()
    assert listed(client, before="not-a-cursor").count("p059") == 1


def test_verify_shows_the_chains_the_person_may_see(entries):
    with triggers_dropped():
        AuditEntry.objects.filter(pk=entries["theirs"].pk).update(action="notice.forged")
    admin = client_for(staff(("admin", fulda())))
    page = admin.post(reverse("audit:verify")).content.decode()
    assert "The chain is intact" in page and "2 entries in 1 chain checked" in page
    page = client_for(superuser()).post(reverse("audit:verify")).content.decode()
    assert "The chain is broken" in page
    assert f"{entries['theirs'].tenant}" in page and "does not match its hash" in page


def test_verify_needs_post_and_a_csrf_token(entries):
    user = staff(("admin", fulda()))
    client = client_for(user)
    assert client.get(reverse("audit:verify")).status_code == 405
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    strict.force_login(user)
    session = strict.session
    session["mfa"] = True
    session.save()
    assert strict.post(reverse("audit:verify")).status_code == 403
    page = strict.get(reverse("audit:list"))
    token = page.cookies["csrftoken"].value
    assert strict.post(reverse("audit:verify"), {"csrfmiddlewaretoken": token}).status_code == 200
