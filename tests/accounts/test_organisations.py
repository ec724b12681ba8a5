"""Organisationskonten: roles, invitations, acting on behalf, isolation."""

import re

import pytest
from django.core import mail

from amtsweg.accounts.models import Membership, Organisation
from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import PASSWORD, login, registered_user

pytestmark = pytest.mark.django_db


def create_org(client, name="Taxi Müller GmbH") -> Organisation:
    response = client.post("/konto/organisationen/", {"name": name, "kind": "unternehmen"})
    assert response.status_code == 302
    return Organisation.objects.get(name=name)


def invite_and_join(admin, org, email, role="member") -> Client:
    mail.outbox.clear()
    admin.post(f"/konto/organisationen/{org.pk}/",
               {"action": "invite", "email": email, "role": role})
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    person = Client()
    registered_user(person, email)
    response = person.get(link)
    assert response.status_code == 302 and "/konto/anmelden/" in response.url
    login(person, email=email)
    assert person.post(link).status_code == 302
    return person


def test_create_invite_accept_and_act(client):
    registered_user(client)
    login(client)
    org = create_org(client)
    assert Membership.objects.get(organisation=org).role == "admin"
    fahrer = invite_and_join(client, org, "fahrer@example.org")
    assert Membership.objects.get(organisation=org, user__email="fahrer@example.org").role == \
        "member"
    response = fahrer.post("/konto/organisationen/handeln/", {"organisation": org.pk})
    assert response.status_code == 302
    assert "Taxi Müller GmbH" in fahrer.get("/konto/").content.decode()
    assert fahrer.session["acting_as"] == org.pk
    fahrer.post("/konto/organisationen/handeln/", {"organisation": ""})
    assert "acting_as" not in fahrer.session


def test_invitation_is_for_one_address_and_once(client):
    registered_user(client)
    login(client)
    org = create_org(client)
    client.post(f"/konto/organisationen/{org.pk}/",
                {"action": "invite", "email": "a@example.org", "role": "member"})
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    stranger = Client()
    registered_user(stranger, "b@example.org")
    login(stranger, email="b@example.org")
    response = stranger.post(link)
    assert response.status_code == 400 and "a@example.org" in response.content.decode()
    assert not Membership.objects.filter(user__email="b@example.org").exists()
    assert stranger.get("/konto/einladung/erfunden/").status_code == 400


def test_members_cannot_administer_and_outsiders_see_nothing(client):
    registered_user(client)
    login(client)
    org = create_org(client)
    member = invite_and_join(client, org, "m@example.org")
    response = member.post(f"/konto/organisationen/{org.pk}/",
                           {"action": "invite", "email": "x@example.org", "role": "admin"})
    assert response.status_code == 400
    admin_row = Membership.objects.get(organisation=org, role="admin")
    member.post(f"/konto/organisationen/{org.pk}/",
                {"action": "remove", "member": admin_row.pk})
    assert Membership.objects.filter(pk=admin_row.pk).exists()
    outsider = Client()
    registered_user(outsider, "o@example.org")
    login(outsider, email="o@example.org")
    assert outsider.get(f"/konto/organisationen/{org.pk}/").status_code == 404
    assert outsider.post("/konto/organisationen/handeln/",
                         {"organisation": org.pk}).status_code == 404


def test_last_administrator_stays(client):
    registered_user(client)
    login(client)
    org = create_org(client)
    own = Membership.objects.get(organisation=org)
    response = client.post(f"/konto/organisationen/{org.pk}/",
                           {"action": "remove", "member": own.pk})
    assert response.status_code == 400 and Membership.objects.filter(pk=own.pk).exists()
    member = invite_and_join(client, org, "m@example.org")
    row = Membership.objects.get(user__email="m@example.org")
    client.post(f"/konto/organisationen/{org.pk}/",
                {"action": "role", "member": row.pk, "role": "admin"})
    row.refresh_from_db()
    assert row.role == "admin"
    assert client.post(f"/konto/organisationen/{org.pk}/",
                       {"action": "remove", "member": own.pk}).status_code == 302
    assert member.get(f"/konto/organisationen/{org.pk}/").status_code == 200


def test_deleting_the_last_admin_hands_over(client):
    registered_user(client)
    login(client)
    org = create_org(client)
    invite_and_join(client, org, "m@example.org")
    client.post("/konto/loeschen/", {"password": PASSWORD, "confirm": "yes"})
    assert Membership.objects.get(organisation=org).role == "admin"
    alone = Client()
    registered_user(alone, "solo@example.org")
    login(alone, email="solo@example.org")
    solo = create_org(alone, "Verein Solo")
    alone.post("/konto/loeschen/", {"password": PASSWORD, "confirm": "yes"})
    assert not Organisation.objects.filter(pk=solo.pk).exists()
