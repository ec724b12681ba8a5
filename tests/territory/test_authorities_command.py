"""Issue 12, item 12: admins find a Behörde's id by name, and invite new staff from the command
line as the browser does (before: the id was nowhere to be seen, and `staff grant` for a person
without an account failed)."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from amtsweg.accounts.models import StaffRole, User
from amtsweg.audit.models import AuditEntry
from amtsweg.territory.models import Authority

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_search_forgives_case_umlauts_and_punctuation():
    standesamt = Authority.objects.filter(name__icontains="Standesamt",
                                          area__name__icontains="Allendorf").first()
    assert standesamt is not None
    for query in (["standesamt", "allendorf"], ["STANDESAMT", "Allendorf/Eder"],
                  ["Standesamt", "allendorf", "(eder)"]):
        lines = run("authorities", "search", *query).splitlines()
        assert any(line.startswith(f"{standesamt.pk}\t") for line in lines), (query, lines)
    assert "(demo data)" in run("authorities", "search", "standesamt", "allendorf")
    with pytest.raises(CommandError, match="No Behörde matches"):
        run("authorities", "search", "Nirgendwoamt")
    shown = run("authorities", "show", str(standesamt.pk))
    assert standesamt.name in shown and "demo data" in shown


def test_staff_grant_invites_a_person_without_an_account(django_capture_on_commit_callbacks):
    authority = Authority.objects.filter(is_demo=True).first()
    with django_capture_on_commit_callbacks(execute=True):
        out = run("staff", "grant", "Neu.Kollegin@amt.example", "--authority",
                  str(authority.pk), "--role", "clerk", "--first-name", "Nora",
                  "--last-name", "Neu")
    assert "invited: neu.kollegin@amt.example clerk" in out
    person = User.objects.get(email="neu.kollegin@amt.example")
    assert not person.has_usable_password() and person.first_name == "Nora"
    assert StaffRole.objects.filter(user=person, authority=authority, role="clerk").exists()
    assert [m.to for m in mail.outbox] == [["neu.kollegin@amt.example"]]
    assert authority.name in mail.outbox[0].subject
    assert AuditEntry.objects.filter(action="staff.role_granted").exists()
    run("staff", "grant", "neu.kollegin@amt.example", "--authority", str(authority.pk),
        "--role", "clerk")  # again: the account exists now, nothing new
    assert StaffRole.objects.filter(user=person, authority=authority).count() == 1
