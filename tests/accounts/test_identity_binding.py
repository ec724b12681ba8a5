"""A Servicekonto is bound to the person of its first identification (issue 11, finding 9).

An account identified as Lena Becker must not step up with the eID of somebody else: the
Postfach stays closed, the confirmed data stay Lena's, applications are not prefilled with
the stranger's data; the refusal is a sentence, an audit entry and a mail to the holder.
"""

import ast
import pathlib

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import RequestFactory, TestCase
from django.utils import translation

from amtsweg.accounts import actions, binding
from amtsweg.accounts.identity import Assertion
from amtsweg.accounts.identity.testeid import SAMPLE
from amtsweg.accounts.models import Identity, ProfileAttribute, User
from amtsweg.audit.models import AuditEntry
from amtsweg.submissions.actions import profile_values
from tests.accounts.conftest import CommitClient as Client
from tests.accounts.test_accounts import login, registered_user
from tests.accounts.test_profile_trust import step_up
from tests.mailbox.test_postfach import deliver

pytestmark = pytest.mark.django_db

LENA = {"given_name": "Lena", "family_name": "Becker", "birth_date": "1988-03-02",
        "street": "Marktplatz", "house_number": "3", "postal_code": "36037", "city": "Fulda"}
ERIKA = SAMPLE  # the test eID's sample person


@pytest.fixture(autouse=True)
def _test_eid(settings):
    settings.TEST_EID_ENABLED = True


def confirmed(user) -> dict[str, str]:
    return {a.name: a.value for a in ProfileAttribute.objects.filter(user=user, source="eid")}


def test_another_persons_eid_is_refused_on_step_up(client, tmp_path):
    user = registered_user(client)
    login(client)
    step_up(client, **LENA)
    message = deliver(tmp_path, level="substanziell", subject="Ihr Bescheid")
    assert confirmed(user)["family_name"] == "Becker"
    client.post("/konto/abmelden/")
    login(client)  # the password alone: basis
    mail.outbox.clear()
    response = step_up(client, **ERIKA)
    assert response.status_code == 302 and response.url == "/konto/"
    page = client.get(response.url).content.decode()
    assert "Diese eID gehört nicht zu der Person, die dieses Servicekonto bestätigt hat" in page
    assert client.session["trust_level"] == "basis"
    assert confirmed(user)["family_name"] == "Becker" and confirmed(user)["city"] == "Fulda"
    assert Identity.objects.filter(user=user).count() == 1
    assert profile_values(user)["given_name"] == "Lena"  # what applications are prefilled with
    postfach = client.get(f"/konto/postfach/{message.pk}/")
    assert postfach.status_code == 302 and "/konto/vertrauensniveau/" in postfach.url
    entry = AuditEntry.objects.get(action="identity.refused")
    assert entry.tenant == "platform" and entry.object_id == str(user.pk)
    assert entry.actor == f"user:{user.pk}"
    assert entry.data == {"provider": "test-eid", "level": "substanziell",
                          "reason": "other_person",
                          "differing": ["family_name", "given_name", "birth_date"]}
    assert "Becker" not in str(entry.data) and "Mustermann" not in str(entry.data)
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    assert "eID" in mail.outbox[0].body


def test_the_refusal_is_english_in_english(client):
    registered_user(client)
    login(client)
    step_up(client, **LENA)
    client.post("/konto/abmelden/")
    login(client)
    client.cookies["django_language"] = "en"
    response = step_up(client, **ERIKA)
    page = client.get(response.url).content.decode()
    assert "This eID does not belong to the person who confirmed this Servicekonto" in page


def test_the_same_person_steps_up_again(client):
    user = registered_user(client)
    login(client)
    step_up(client, **LENA)
    moved = {**LENA, "street": "Bahnhofstraße", "house_number": "9"}
    client.post("/konto/abmelden/")
    login(client)
    response = step_up(client, level="hoch", **moved)
    assert response.status_code == 302 and client.session["trust_level"] == "hoch"
    assert confirmed(user)["street"] == "Bahnhofstraße"
    assert list(AuditEntry.objects.filter(action__startswith="identity.")
                .values_list("action", flat=True)) == ["identity.bound"]


def _identify(user, assertion: Assertion):
    request = RequestFactory().get("/")
    request.user = user
    request.session = Client().session
    return actions.identify(request, assertion)


def test_another_provider_for_the_same_person_is_linked():
    """BundID after the test eID (or a new identity card): other pseudonym, same person."""
    user = User.objects.create_user("lena@example.org", "x" * 12)
    _identify(user, Assertion("test-eid", "pseudonym-1", "substanziell", LENA))
    same = {"given_name": "LENA", "family_name": "becker", "birth_date": "02.03.1988"}
    _identify(user, Assertion("bundid", "bpk-1", "hoch", same))
    assert set(user.identities.values_list("provider", flat=True)) == {"test-eid", "bundid"}
    assert list(AuditEntry.objects.filter(action__startswith="identity.").order_by("seq")
                .values_list("action", flat=True)) == ["identity.bound", "identity.linked"]


def test_the_holder_is_told_when_a_further_eid_is_linked(django_capture_on_commit_callbacks):
    """A namesake (same names and date of birth) is indistinguishable by design
    (docs/identity.md); the holder learns of every further eID and can react."""
    user = User.objects.create_user("lena@example.org", "x" * 12)
    with django_capture_on_commit_callbacks(execute=True):
        _identify(user, Assertion("test-eid", "pseudonym-1", "substanziell", LENA))
    assert mail.outbox == []  # the first identification binds, nothing to report
    with django_capture_on_commit_callbacks(execute=True), translation.override("de"):
        _identify(user, Assertion("bundid", "bpk-1", "hoch", LENA))
    assert [m.to for m in mail.outbox] == [["lena@example.org"]]
    assert "weitere eID" in mail.outbox[0].subject and "bundid" in mail.outbox[0].body


@pytest.mark.parametrize(("attributes", "reason"), [
    ({**LENA, "given_name": "Lea"}, "other_person"),
    ({**LENA, "birth_date": "1988-03-03"}, "other_person"),
    ({"given_name": "Lena", "family_name": "Becker"}, "unconfirmed"),  # no date of birth
    ({}, "unconfirmed"),
])
def test_another_provider_must_show_the_same_person(attributes, reason):
    user = User.objects.create_user("lena@example.org", "x" * 12)
    _identify(user, Assertion("test-eid", "pseudonym-1", "substanziell", LENA))
    with pytest.raises(actions.IdentityRefused):
        _identify(user, Assertion("bundid", "bpk-2", "hoch", attributes))
    assert list(user.identities.values_list("provider", flat=True)) == ["test-eid"]
    assert confirmed(user) == LENA
    assert AuditEntry.objects.get(action="identity.refused").data["reason"] == reason


def test_the_same_pseudonym_with_another_persons_data_is_refused():
    """A provider whose pseudonym stands for an account, not a card (another Land's
    Servicekonto), could hand over somebody else's data under the same subject."""
    user = User.objects.create_user("lena@example.org", "x" * 12)
    _identify(user, Assertion("peer", "sub-1", "substanziell", LENA))
    with pytest.raises(actions.IdentityRefused):
        _identify(user, Assertion("peer", "sub-1", "substanziell", ERIKA))
    assert confirmed(user)["family_name"] == "Becker"


def test_normalisation_forgives_spelling_not_names():
    decomposed = "Mu\u0308ller"
    assert binding.normalise("family_name", decomposed) == binding.normalise("family_name",
                                                                             "MÜLLER")
    assert binding.normalise("given_name", " Anna  Lena ") == "anna lena"
    assert binding.normalise("birth_date", "2.3.1988") == "1988-03-02"
    assert binding.normalise("birth_date", "1988-03-02T00:00:00Z") == "1988-03-02"
    assert binding.normalise("family_name", "Mueller") != binding.normalise("family_name",
                                                                           "Müller")


def test_identity_of_another_account_stays_refused_and_is_audited(client):
    registered_user(client)
    login(client)
    step_up(client, **LENA)
    other = Client()
    registered_user(other, "max@example.org")
    login(other, email="max@example.org")
    with translation.override("de"):
        step_up(other, **LENA)
    assert other.session["trust_level"] == "basis"
    assert AuditEntry.objects.get(action="identity.refused").data["reason"] == "other_account"


def test_a_wrongly_bound_account_is_released_by_support(client, capsys):
    """Somebody else identified first; support checks the holder and releases the account."""
    user = registered_user(client)
    login(client)
    step_up(client, **ERIKA)
    assert client.session["trust_level"] == "substanziell"
    call_command("identity_release", "erika@example.org", "--ticket", "SK-2026-0042")
    assert "Nothing changed" in capsys.readouterr().out
    assert Identity.objects.filter(user=user).exists()
    mail.outbox.clear()
    with pytest.raises(CommandError):  # no free text (names) into the audit log
        call_command("identity_release", "erika@example.org", "--ticket", "SK-1 Frau X",
                     "--yes")
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("identity_release", "erika@example.org", "--ticket", "SK-2026-0042",
                     "--yes")
    assert not Identity.objects.filter(user=user).exists() and confirmed(user) == {}
    assert client.get("/konto/").status_code == 302  # every session ended
    entry = AuditEntry.objects.get(action="identity.released")
    assert entry.data == {"identities": 1, "attributes": 7, "ticket": "SK-2026-0042"}
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    login(client)
    step_up(client, **LENA)  # bound anew, to the right person
    assert client.session["trust_level"] == "substanziell"
    assert confirmed(user)["family_name"] == "Becker"


WRITES = {"create", "update_or_create", "get_or_create", "bulk_create", "bulk_update",
          "update", "store"}


def test_only_the_identify_action_links_identities_or_writes_confirmed_data():
    """The class behind finding 9: an identification that reaches an account without the
    binding check. Linking identities and writing eID-confirmed attributes happen in
    accounts/actions.py only, where binding.judge runs first."""
    src = pathlib.Path(__file__).parents[2] / "src" / "amtsweg"
    allowed = {src / "accounts" / "actions.py"}
    offenders = []
    for path in src.rglob("*.py"):
        if "migrations" in path.parts or path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in WRITES):
                continue
            receiver = ast.unparse(node.func.value)
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
            if ("Identity" in receiver or "identities" in receiver
                    or "EID" in keywords.get("source", "")
                    or "'eid'" in keywords.get("source", "")):
                offenders.append(f"{path.relative_to(src)}:{node.lineno}")
    assert offenders == []
