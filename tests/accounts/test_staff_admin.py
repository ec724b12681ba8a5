"""Staff management in the browser (/verwaltung/personal/): administrators of a Behörde and
the Landesadmin list staff, grant roles (inviting new addresses with a set-password link),
revoke roles (never the last administrator, never one's own administrator role), each with
its audit entry; another Behörde's role or person answers 404."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from amtsweg.accounts import staff as staff_admin
from amtsweg.accounts.models import StaffRole, User
from amtsweg.audit.models import AuditEntry
from amtsweg.territory.models import Authority
from tests.accounts.conftest import CommitClient
from tests.services.staff import fulda, other_authority, staff

pytestmark = pytest.mark.django_db

LIST = reverse("staff:list")
PASSWORD = "Ein langer Satz als Passwort 7"


def client_for(user: User) -> CommitClient:
    """Logged in with two factors done, in English, running on-commit callbacks (e-mails)."""
    client = CommitClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    session = client.session
    session["mfa"] = True
    session.save()
    return client


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def grant(client, authority: Authority, email: str, role: str = "clerk", **extra):
    return client.post(LIST, {"authority": authority.pk, "email": email, "role": role,
                              **extra})


def audits(action: str, authority: Authority) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action,
                                          tenant=f"authority:{authority.pk}").order_by("seq"))


@pytest.fixture
def admin():
    return staff(("admin", fulda()))


# --- listing ----------------------------------------------------------------------------------

def test_admin_sees_the_staff_of_the_own_behoerde_only(admin):
    clerk = staff(("clerk", fulda()), ("lead", fulda()))
    stranger = staff(("clerk", other_authority()))
    page = client_for(admin).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert clerk.email in html and admin.email in html and stranger.email not in html
    assert fulda().name in html and other_authority().name not in html
    # another Behörde asked for by id: still only one's own
    html = client_for(admin).get(LIST, {"authority": other_authority().pk}).content.decode()
    assert stranger.email not in html


def test_the_staff_page_is_linked_for_administrators_only(admin):
    link = f'href="{LIST}"'
    assert link in client_for(admin).get(reverse("services:home")).content.decode()
    clerk = staff(("clerk", fulda()))
    assert link not in client_for(clerk).get(reverse("cases:inbox")).content.decode()
    admin_and_clerk = staff(("admin", fulda()), ("clerk", fulda()))
    assert link in client_for(admin_and_clerk).get(reverse("cases:inbox")).content.decode()


def test_landesadmin_chooses_any_behoerde():
    boss = User.objects.create_superuser("land@amt.example", PASSWORD)
    stranger = staff(("clerk", other_authority()))
    client = client_for(boss)
    page = client.get(LIST, {"q": other_authority().name[:12]}).content.decode()
    assert f"?authority={other_authority().pk}" in page
    page = client.get(LIST, {"authority": other_authority().pk}).content.decode()
    assert stranger.email in page
    r = client.post(LIST, {"authority": "999999999", "email": "neu@amt.example",
                           "role": "admin"})
    assert r.status_code == 400
    assert "Choose one of the authorities you administer." in r.content.decode()
    r = grant(client, other_authority(), "neu@amt.example", "admin")
    assert r.status_code == 302
    assert StaffRole.objects.filter(user__email="neu@amt.example", role="admin",
                                    authority=other_authority()).exists()


# --- granting ---------------------------------------------------------------------------------

def test_grant_to_an_existing_account(admin):
    person = User.objects.create_user("erika@example.org", PASSWORD)
    mail.outbox.clear()
    client = client_for(admin)
    r = grant(client, fulda(), "Erika@Example.org", "lead")
    assert r.status_code == 302 and r.url == f"{LIST}?authority={fulda().pk}"
    person.refresh_from_db()
    assert person.is_staff and person.has_usable_password()
    assert StaffRole.objects.filter(user=person, authority=fulda(), role="lead").exists()
    [entry] = audits("staff.role_granted", fulda())
    assert entry.actor == f"user:{admin.pk}" and entry.data == {
        "user": person.pk, "authority": fulda().pk, "role": "lead", "invited": False}
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    assert "head of unit" in mail.outbox[0].body and "/konto/anmelden/" in mail.outbox[0].body
    page = client.get(r.url).content.decode()
    assert "erika@example.org now has the role “head of unit (Leitung)”" in page


def test_grant_to_a_new_address_invites_to_set_a_password(admin):
    mail.outbox.clear()
    r = grant(client_for(admin), fulda(), "neu@amt.example", "clerk",
              first_name="Nina", last_name="Neu")
    assert r.status_code == 302
    person = User.objects.get(email="neu@amt.example")
    assert not person.has_usable_password() and person.is_staff and not person.email_verified
    assert (person.first_name, person.last_name) == ("Nina", "Neu")
    assert audits("staff.role_granted", fulda())[0].data["invited"] is True
    [message] = mail.outbox
    link = link_in(message)
    assert message.to == ["neu@amt.example"] and "/konto/personal-einladung/" in link
    assert "7 days" in message.body
    assert "invited, no password set yet" in client_for(admin).get(LIST).content.decode()

    browser = CommitClient(HTTP_ACCEPT_LANGUAGE="en")
    form = browser.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    assert "neu@amt.example" in form.content.decode()
    r = browser.post(form.redirect_chain[-1][0], {"new_password1": "kurz",
                                                  "new_password2": "kurz"})
    assert r.status_code == 200 and "too short" in r.content.decode()
    r = browser.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD,
                                                  "new_password2": PASSWORD})
    assert r.status_code == 302 and r.url == reverse("accounts:login")
    person.refresh_from_db()
    assert person.check_password(PASSWORD) and person.email_verified
    # the link works once
    assert browser.get(link, follow=True).context["validlink"] is False
    # the new clerk logs in and must set up two factors first
    login = CommitClient(HTTP_ACCEPT_LANGUAGE="en")
    r = login.post(reverse("accounts:login"), {"email": "neu@amt.example",
                                               "password": PASSWORD})
    assert r.status_code == 302
    assert login.get(reverse("cases:inbox")).url == reverse("accounts:totp_setup")


def test_invitation_links_expire_and_are_replaced(admin, monkeypatch):
    client = client_for(admin)
    mail.outbox.clear()
    grant(client, fulda(), "spaet@amt.example")
    person = User.objects.get(email="spaet@amt.example")
    first = link_in(mail.outbox[-1])
    # a second role while the password is not set: a new invitation, the first link is void
    grant(client, fulda(), "spaet@amt.example", "lead")
    assert [e.data["invited"] for e in audits("staff.role_granted", fulda())] == [True, True]
    second = link_in(mail.outbox[-1])
    assert first != second
    anonymous = CommitClient(HTTP_ACCEPT_LANGUAGE="en")
    assert anonymous.get(first, follow=True).context["validlink"] is False
    assert anonymous.get(second, follow=True).context["validlink"] is True

    now = staff_admin.invitation_tokens._now()
    monkeypatch.setattr(staff_admin.invitation_tokens, "_now",
                        lambda: now + timedelta(days=staff_admin.INVITATION_DAYS, hours=1))
    page = CommitClient(HTTP_ACCEPT_LANGUAGE="en").get(second, follow=True)
    assert page.context["validlink"] is False
    assert "Ask the administrator of your authority" in page.content.decode()
    monkeypatch.undo()

    # the administrator sends it again from the person page
    r = client.post(reverse("staff:invite_again", args=[person.pk]))
    assert r.status_code == 302
    third = link_in(mail.outbox[-1])
    assert anonymous.get(second, follow=True).context["validlink"] is False
    assert anonymous.get(third, follow=True).context["validlink"] is True
    assert audits("staff.invitation_sent", fulda())[0].object_id == str(person.pk)
    # a password reset link of the normal kind does not open the invitation, nor vice versa
    from django.contrib.auth.tokens import default_token_generator

    assert not staff_admin.invitation_tokens.check_token(
        person, default_token_generator.make_token(person))


def test_resend_refused_once_the_password_is_set(admin):
    person = staff(("clerk", fulda()))
    r = client_for(admin).post(reverse("staff:invite_again", args=[person.pk]))
    assert r.status_code == 400
    assert "has already set a password" in r.content.decode()


@pytest.mark.parametrize(("data", "sentence"), [
    ({"email": "kein-at-zeichen"}, "Enter a valid email address."),
    ({"role": "chef"}, "Choose one of the roles offered."),
    ({"authority": "other"}, "Choose one of the authorities you administer."),
])
def test_bad_grants_are_refused_with_a_sentence(admin, data, sentence):
    form = {"authority": fulda().pk, "email": "neu@amt.example", "role": "clerk", **data}
    if form["authority"] == "other":
        form["authority"] = other_authority().pk
    r = client_for(admin).post(LIST, form)
    assert r.status_code == 400 and sentence in r.content.decode()
    assert not User.objects.filter(email="neu@amt.example").exists()
    assert not audits("staff.role_granted", fulda())
    assert not audits("staff.role_granted", other_authority())


def test_a_role_twice_is_refused(admin):
    person = staff(("clerk", fulda()))
    r = grant(client_for(admin), fulda(), person.email, "clerk")
    assert r.status_code == 400
    assert f"{person.email} already has the role" in r.content.decode()


# --- revoking ---------------------------------------------------------------------------------

def test_revoke_a_role(admin):
    person = staff(("clerk", fulda()), ("lead", fulda()))
    clerk_role = StaffRole.objects.get(user=person, role="clerk")
    client = client_for(admin)
    r = client.post(reverse("staff:revoke", args=[clerk_role.pk]))
    assert r.status_code == 302
    assert not StaffRole.objects.filter(pk=clerk_role.pk).exists()
    person.refresh_from_db()
    assert person.is_staff  # still Leitung
    [entry] = audits("staff.role_revoked", fulda())
    assert entry.object_id == str(clerk_role.pk) and entry.data["role"] == "clerk"
    lead_role = StaffRole.objects.get(user=person, role="lead")
    r = client.post(reverse("staff:revoke", args=[lead_role.pk]), {"back": "person"})
    person.refresh_from_db()
    assert not person.is_staff  # no role left: an ordinary Servicekonto again
    assert r.url == f"{LIST}?authority={fulda().pk}"  # no longer on the person's page


def test_own_admin_role_and_last_admin_stay(admin):
    own = StaffRole.objects.get(user=admin, role="admin")
    r = client_for(admin).post(reverse("staff:revoke", args=[own.pk]))
    assert r.status_code == 400
    assert "You cannot remove your own administrator role" in r.content.decode()
    second = staff(("admin", fulda()))
    other_admin = StaffRole.objects.get(user=second, role="admin")
    # the Landesadmin removes one of two administrators, but not the last one
    boss = client_for(User.objects.create_superuser("land@amt.example", PASSWORD))
    assert boss.post(reverse("staff:revoke", args=[other_admin.pk])).status_code == 302
    r = boss.post(reverse("staff:revoke", args=[own.pk]))
    assert r.status_code == 400
    assert "must keep at least one administrator" in r.content.decode()
    assert StaffRole.objects.filter(pk=own.pk).exists()
    assert len(audits("staff.role_revoked", fulda())) == 1


# --- tenant isolation -------------------------------------------------------------------------

ID_ROUTES = {"revoke": "post", "person": "get", "invite_again": "post"}


def test_every_id_route_is_covered():
    from amtsweg.accounts import staff_urls

    assert {p.name for p in staff_urls.urlpatterns if "<" in str(p.pattern)} == set(ID_ROUTES)


@pytest.mark.parametrize("route", sorted(ID_ROUTES))
def test_isolation_matrix(route, admin):
    target = User.objects.create_user("eingeladen@amt.example", None, is_staff=True)
    role = StaffRole.objects.create(user=target, authority=fulda(), role="clerk")
    url = reverse(f"staff:{route}", args=[role.pk if route == "revoke" else target.pk])
    method = ID_ROUTES[route]

    def call(client):
        return getattr(client, method)(url)

    mail.outbox.clear()
    assert call(client_for(staff(("admin", other_authority())))).status_code == 404
    assert call(client_for(staff(("admin", other_authority()),
                                 ("clerk", fulda())))).status_code == 404
    for role_name in ("clerk", "lead", "designer"):
        assert call(client_for(staff((role_name, fulda())))).status_code == 403
    citizen = client_for(User.objects.create_user("buerger@example.org", PASSWORD))
    assert call(citizen).status_code == 403
    assert call(CommitClient()).status_code == 302  # to the login
    assert StaffRole.objects.filter(pk=role.pk).exists() and not mail.outbox
    assert not AuditEntry.objects.filter(action__startswith="staff.").exists()
    # and the administrator of the Behörde does reach it
    assert call(client_for(admin)).status_code == (200 if method == "get" else 302)


def test_the_list_is_for_administrators_only():
    for user in (staff(("clerk", fulda())), staff(("designer", fulda()))):
        assert client_for(user).get(LIST).status_code == 403
        assert grant(client_for(user), fulda(), "x@amt.example").status_code == 403
    assert not User.objects.filter(email="x@amt.example").exists()


# --- the command line is audited too ----------------------------------------------------------

def test_staff_command_writes_audit_entries():
    person = User.objects.create_user("cli@amt.example", PASSWORD)
    call_command("staff", "grant", person.email, "--authority", str(fulda().pk), "--role",
                 "clerk", stdout=StringIO())
    call_command("staff", "grant", person.email, "--authority", str(fulda().pk), "--role",
                 "clerk", stdout=StringIO())  # again: nothing new, no second entry
    call_command("staff", "revoke", person.email, "--authority", str(fulda().pk), "--role",
                 "clerk", stdout=StringIO())
    assert [(e.action, e.actor) for e in audits("staff.role_granted", fulda())
            + audits("staff.role_revoked", fulda())] == [
        ("staff.role_granted", "system"), ("staff.role_revoked", "system")]
