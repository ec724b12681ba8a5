"""Back office pages: the inbox (scoped to the person's Behörden, filters, blind-index search,
keyset pagination without OFFSET) and a case (answers, attachments, transitions with
optimistic locking, assignment, notes), and the tenant isolation matrix over every route
that takes an id."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from amtsweg.accounts.models import User
from amtsweg.cases import actions
from amtsweg.cases.models import Case, CaseEvent, SearchToken
from amtsweg.core import tenantcrypto
from amtsweg.submissions.models import Submission, Upload
from amtsweg.territory.models import Authority
from tests.cases.test_workflow import submit
from tests.services.staff import client_for, staff
from tests.submissions.conftest import make_small_service

pytestmark = pytest.mark.django_db

INBOX = reverse("cases:inbox")


@pytest.fixture
def standesamt():
    return Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)


@pytest.fixture
def other():
    return Authority.objects.filter(is_demo=True).exclude(
        area__ags="06635001", kind=Authority.Kind.STANDESAMT).order_by("pk").first()


@pytest.fixture
def adoption(standesamt):
    return make_small_service(standesamt)


@pytest.fixture
def other_adoption(other):
    return make_small_service(other)


def bulk_cases(adoption, n: int, *, name: str = "Max Muster", start=None) -> list[Case]:
    """n submissions with their cases, inserted directly (minimal sealed content), one
    minute apart going back from `start`."""
    start = start or timezone.now()
    authority = adoption.authority
    tenant = tenantcrypto.tenant_of_authority(authority.pk)
    submissions = []
    for i in range(n):
        at = start - timedelta(minutes=i)
        s = Submission(draft_key=uuid.uuid4(), version=adoption.version, adoption=adoption,
                       authority=authority, area=authority.area, trust_level="basis",
                       submitted_at=at, receipt_number=f"AW-2026-T{uuid.uuid4().hex[:10].upper()}")
        s.data = s.seal({"answers": {}, "email": "", "applicant": f"{name} {i}"})
        submissions.append(s)
    Submission.objects.bulk_create(submissions)
    cases = Case.objects.bulk_create(
        Case(submission=s, authority=authority, version=adoption.version,
             receipt_number=s.receipt_number, state="eingegangen", received_at=s.submitted_at,
             due_at=s.submitted_at + timedelta(days=14)) for s in submissions)
    tokens = actions.name_tokens(tenant, name)
    SearchToken.objects.bulk_create(SearchToken(case=c, token=t) for c in cases for t in tokens)
    return cases


def page(client, url=INBOX, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- inbox ------------------------------------------------------------------------------------

def test_inbox_lists_only_the_persons_behoerden(adoption, other_adoption, standesamt, other):
    mine = submit(adoption, "Erika Mustermann").case
    theirs = submit(other_adoption, "Otto Fremd").case
    html = page(client_for(staff(("clerk", standesamt))))
    assert mine.receipt_number in html and "Erika Mustermann" in html
    assert theirs.receipt_number not in html and "Otto Fremd" not in html
    html = page(client_for(staff(("lead", other))))
    assert theirs.receipt_number in html and mine.receipt_number not in html
    both = client_for(staff(("clerk", standesamt), ("admin", other)))
    html = page(both)
    assert mine.receipt_number in html and theirs.receipt_number in html
    html = page(both, authority=other.pk)  # several Behörden: a filter
    assert theirs.receipt_number in html and mine.receipt_number not in html


def test_who_may_open_the_inbox(standesamt):
    assert Client().get(INBOX).status_code == 302  # to the login
    citizen = User.objects.create_user("buerger@example.org", "Sehr-geheim-2026")
    client = Client()
    client.force_login(citizen)
    assert client.get(INBOX).status_code == 403
    assert client_for(staff(("designer", standesamt))).get(INBOX).status_code == 403
    assert client_for(staff(is_staff=True)).get(INBOX).status_code == 403


def test_filters(adoption, standesamt):
    clerk = staff(("clerk", standesamt))
    colleague = staff(("clerk", standesamt))
    a, b, c = (submit(adoption, n).case for n in ("Anna Alpha", "Bert Beta", "Cora Gamma"))
    actions.transition(clerk, a.pk, "pruefen")
    actions.assign(clerk, a.pk, clerk)
    actions.assign(clerk, b.pk, colleague)
    Case.objects.filter(pk=c.pk).update(due_at=timezone.now() - timedelta(days=1))
    Case.objects.filter(pk=b.pk).update(due_at=timezone.now() + timedelta(days=2))
    client = client_for(clerk)

    def shown(**params):
        html = page(client, **params)
        return {x.receipt_number for x in (a, b, c) if x.receipt_number in html}

    assert shown() == {a.receipt_number, b.receipt_number, c.receipt_number}
    assert shown(state="in_pruefung") == {a.receipt_number}
    assert shown(state="eingegangen") == {b.receipt_number, c.receipt_number}
    assert shown(assignee="me") == {a.receipt_number}
    assert shown(assignee="nobody") == {c.receipt_number}
    assert shown(assignee=colleague.pk) == {b.receipt_number}
    assert shown(due="overdue") == {c.receipt_number}
    assert shown(due="soon") == {b.receipt_number}
    assert shown(service=adoption.service_id) == {a.receipt_number, b.receipt_number,
                                                  c.receipt_number}
    assert shown(service=adoption.service_id + 1000) == set()
    html = page(client, due="overdue")
    assert "overdue" in html  # marked in words, not by colour alone
    assert "Under review" in page(client)  # state labels, not keys


def test_search_by_receipt_number_and_name(adoption, other_adoption, standesamt):
    a = submit(adoption, "Erika Mustermann").case
    b = submit(adoption, "Erika Schmidt").case
    c = submit(adoption, "Hans Mustermann").case
    d = submit(other_adoption, "Erika Mustermann").case  # another Behörde
    client = client_for(staff(("clerk", standesamt)))

    def found(q):  # the shown rows (the search box repeats what was typed)
        return {e["case"].receipt_number for e in client.get(INBOX, {"q": q})
                .context["entries"]}

    assert found(a.receipt_number.lower()) == {a.receipt_number}
    assert found(d.receipt_number) == set()
    assert found("Erika") == {a.receipt_number, b.receipt_number}
    assert found("mustermann") == {a.receipt_number, c.receipt_number}
    assert found("Erika Mustermann") == {a.receipt_number}  # all the words
    assert found("mustermann erika") == {a.receipt_number}
    assert found("Nobody Here") == set()
    assert "No case matches the search." in page(client, q="Zyxw")
    assert found("Otto") == set()


def test_name_of_another_behoerde_finds_nothing(adoption, other_adoption, standesamt):
    submit(other_adoption, "Quirin Quast")
    html = page(client_for(staff(("clerk", standesamt))), q="Quirin Quast")
    assert "No case matches the search." in html


def test_keyset_pagination_without_offset(adoption, standesamt):
    cases = bulk_cases(adoption, 120, name="Paula Page")  # newest first
    client = client_for(staff(("clerk", standesamt)))
    seen, url, pages = [], INBOX, 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
        assert "OFFSET" not in sql
        assert not [q for q in queries.captured_queries  # no counting the cases either
                    if "COUNT(" in q["sql"].upper() and "CASES_CASE" in q["sql"].upper()]
        html = response.content.decode()
        seen += [c.receipt_number for c in cases if c.receipt_number in html]
        nxt = response.context["next_url"]
        url = INBOX + nxt if nxt else ""
        pages += 1
    assert pages == 3
    assert seen == [c.receipt_number for c in cases]  # each once, in order
    # cases received at the same moment: the id breaks the tie, nothing skipped or repeated
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(received_at=timezone.now())
    seen, url = [], INBOX + "?q=paula"
    while url:
        response = client.get(url)
        seen += [e["case"].pk for e in response.context["entries"]]
        nxt = response.context["next_url"]
        url = INBOX + nxt if nxt else ""
    assert sorted(seen, reverse=True) == seen and len(set(seen)) == 120
    assert client.get(INBOX, {"before": "nonsense"}).status_code == 200


def test_keyset_pagination_over_several_behoerden(adoption, other_adoption, standesamt, other):
    """A person working for two Behörden: their cases interleaved by time, each once, in
    order, with one index walk per Behörde (no IN list over the authorities)."""
    start = timezone.now()
    mine = bulk_cases(adoption, 70, name="Mia Merge", start=start)
    theirs = bulk_cases(other_adoption, 70, name="Mia Merge",
                        start=start - timedelta(seconds=30))
    expected = [c.pk for c in sorted(mine + theirs, key=lambda c: (c.received_at, c.pk),
                                     reverse=True)]
    client = client_for(staff(("clerk", standesamt), ("clerk", other)))
    for query in ("", "?q=mia+merge", "?state=eingegangen"):
        seen, url = [], INBOX + query
        while url:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            assert not [q for q in queries.captured_queries
                        if "LIMIT" in q["sql"] and '"cases_case"."authority_id" IN' in q["sql"]]
            seen += [e["case"].pk for e in response.context["entries"]]
            nxt = response.context["next_url"]
            url = INBOX + nxt if nxt else ""
        assert seen == expected, query


# --- a case -----------------------------------------------------------------------------------

def add_upload(case: Case, name="nachweis.pdf", data=b"%PDF-1.4 test") -> Upload:
    submission = case.submission
    upload = Upload(submission=submission, authority_id=submission.authority_id,
                    field="nachweis", content_type="application/pdf", size=len(data),
                    sha256="0" * 64)
    upload.meta = upload.seal({"name": name})
    upload.stored_name = default_storage.save(
        f"test-uploads/{upload.pk}", ContentFile(tenantcrypto.seal(
            upload.tenant, data, f"upload-file:{upload.pk}")))
    upload.save()
    return upload


def test_detail_shows_answers_history_and_attachments(adoption, standesamt):
    case = submit(adoption, "Erika Mustermann").case
    upload = add_upload(case)
    clerk = staff(("clerk", standesamt))
    actions.add_note(clerk, case.pk, "Geheime Randnotiz")
    client = client_for(clerk)
    html = page(client, reverse("cases:detail", args=[case.pk]))
    assert case.receipt_number in html and "Erika Mustermann" in html
    assert "Given name" in html and "Erika" in html and "Number" in html  # the answers
    assert "Geheime Randnotiz" in html and "internal note" in html  # history, decrypted
    assert "nachweis.pdf" in html
    assert "(PDF, " in html and "application/pdf" not in html  # issue 12: no MIME types
    assert "Start review" in html and "Approve" not in html  # transitions of the state
    download = client.get(reverse("cases:attachment", args=[case.pk, upload.pk]))
    assert download.status_code == 200 and download.content == b"%PDF-1.4 test"
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "nachweis.pdf" in download["Content-Disposition"]
    # an upload of another case (same Behörde) is not reachable through this case
    other_upload = add_upload(submit(adoption, "Hans Huber").case)
    assert client.get(reverse("cases:attachment", args=[case.pk, other_upload.pk])
                      ).status_code == 404
    assert client.get(reverse("cases:attachment", args=[case.pk, uuid.uuid4()])
                      ).status_code == 404


def test_transitions_by_post(adoption, standesamt):
    case = submit(adoption).case
    client = client_for(staff(("clerk", standesamt)))
    url = reverse("cases:transition", args=[case.pk])
    r = client.post(url, {"transition": "pruefen", "lock_version": case.lock_version})
    assert r.status_code == 302 and r["Location"] == reverse("cases:detail", args=[case.pk])
    case.refresh_from_db()
    assert case.state == "in_pruefung"
    html = page(client, reverse("cases:detail", args=[case.pk]))
    assert "Under review" in html and "Approve" in html
    # a guard refuses: message, the input stays, nothing changed
    r = client.post(url, {"transition": "ablehnen", "lock_version": case.lock_version,
                          "note": ""})
    assert r.status_code == 400 and "Write a short reason" in r.content.decode()
    r = client.post(url, {"transition": "abschliessen", "lock_version": case.lock_version})
    assert r.status_code == 400 and "not possible in the current state" in r.content.decode()
    case.refresh_from_db()
    assert case.state == "in_pruefung"
    # the applicant's own transition is not a clerk's
    r = client.post(url, {"transition": "zurueckziehen", "lock_version": case.lock_version})
    assert r.status_code == 400 or r.status_code == 403
    r = client.post(url, {"transition": "ablehnen", "lock_version": case.lock_version,
                          "note": "Nicht zuständig."})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("entschieden", "abgelehnt")


def test_admin_sees_but_may_not_take_steps(adoption, standesamt):
    case = submit(adoption).case
    client = client_for(staff(("admin", standesamt)))
    html = page(client, reverse("cases:detail", args=[case.pk]))
    assert "Start review" not in html
    r = client.post(reverse("cases:transition", args=[case.pk]), {"transition": "pruefen"})
    assert r.status_code == 403
    r = client.post(reverse("cases:note", args=[case.pk]), {"text": "x"})
    assert r.status_code == 403


def test_stale_lock_version_is_a_conflict(adoption, standesamt):
    case = submit(adoption).case
    clerk = staff(("clerk", standesamt))
    client = client_for(clerk)
    stale = case.lock_version
    actions.assign(staff(("lead", standesamt)), case.pk, clerk)  # someone else, meanwhile
    r = client.post(reverse("cases:transition", args=[case.pk]),
                    {"transition": "pruefen", "lock_version": stale,
                     "note": "Mein langer Text"})
    assert r.status_code == 409
    html = r.content.decode()
    assert "Someone else changed this case" in html and "Mein langer Text" in html
    case.refresh_from_db()
    assert case.state == "eingegangen"
    assert not CaseEvent.objects.filter(case=case, kind="transition").exists()
    r = client.post(reverse("cases:assign", args=[case.pk]),
                    {"assignee": "me", "lock_version": stale})
    assert r.status_code == 409


def test_assign_and_note(adoption, standesamt, other):
    case = submit(adoption).case
    clerk = staff(("clerk", standesamt))
    colleague = staff(("clerk", standesamt))
    stranger = staff(("clerk", other))
    client = client_for(clerk)
    r = client.post(reverse("cases:assign", args=[case.pk]),
                    {"assignee": "me", "lock_version": case.lock_version})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.assignee == clerk
    r = client.post(reverse("cases:assign", args=[case.pk]),
                    {"assignee": colleague.pk, "lock_version": case.lock_version})
    case.refresh_from_db()
    assert r.status_code == 302 and case.assignee == colleague
    r = client.post(reverse("cases:assign", args=[case.pk]),
                    {"assignee": stranger.pk, "lock_version": case.lock_version})
    assert r.status_code == 400 and "only be assigned to clerks" in r.content.decode()
    case.refresh_from_db()
    assert case.assignee == colleague
    r = client.post(reverse("cases:note", args=[case.pk]), {"text": "Rückruf vereinbart"})
    assert r.status_code == 302
    event = CaseEvent.objects.get(case=case, kind="note")
    assert b"R\xc3\xbcckruf" not in bytes(event.text)  # sealed
    assert actions.note_text(event) == "Rückruf vereinbart"
    assert "Rückruf vereinbart" in page(client, reverse("cases:detail", args=[case.pk]))
    r = client.post(reverse("cases:note", args=[case.pk]), {"text": "  "})
    assert r.status_code == 400 and "The note is empty." in r.content.decode()


# --- tenant isolation matrix ----------------------------------------------------------------

ROUTES = ["detail", "transition", "assign", "note", "attachment", "notice_preview", "notice",
          "invoice_paid"]
READ_ROUTES = ("detail", "attachment", "notice_preview", "notice")


def _url(route: str, case: Case, upload: Upload) -> str:
    if route == "attachment":
        return reverse("cases:attachment", args=[case.pk, upload.pk])
    if route == "notice":
        from amtsweg.cases.models import Notice

        notice = Notice.objects.create(case=case, number=f"{case.receipt_number}-B9",
                                       stored_name="", size=0)
        return reverse("cases:notice", args=[case.pk, notice.pk])
    if route == "invoice_paid":
        from amtsweg.payments.models import Payment

        payment = Payment.objects.create(
            draft_key=case.submission.draft_key, submission=case.submission,
            authority_id=case.authority_id, amount=12, provider="invoice",
            state=Payment.State.INVOICE_OPEN, reference=case.receipt_number)
        return reverse("cases:invoice_paid", args=[case.pk, payment.pk])
    return reverse(f"cases:{route}", args=[case.pk])


def test_every_id_route_is_covered():
    from amtsweg.cases import urls

    with_id = {p.name for p in urls.urlpatterns if "<" in str(p.pattern)}
    assert with_id == set(ROUTES)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_isolation_matrix(route, method, adoption, standesamt, other):
    case = submit(adoption).case
    upload = add_upload(case)
    url = _url(route, case, upload)
    data = {"transition": "pruefen", "lock_version": case.lock_version, "assignee": "me",
            "text": "x", "note": "x"}

    def call(client):
        return client.post(url, data) if method == "post" else client.get(url)

    assert call(client_for(staff(("clerk", other)))).status_code == 404
    assert call(client_for(staff(("lead", other), ("admin", other)))).status_code == 404
    assert call(client_for(staff(("designer", standesamt)))).status_code == 403
    citizen = Client()
    citizen.force_login(User.objects.create_user(f"b{uuid.uuid4().hex[:6]}@example.org",
                                                 "Sehr-geheim-2026"))
    assert call(citizen).status_code == 403
    assert call(Client()).status_code == 302
    case.refresh_from_db()
    assert case.state == "eingegangen" and case.assignee_id is None
    assert not CaseEvent.objects.filter(case=case).exclude(kind="opened").exists()
    if route == "notice":
        return  # the test notice has no file; reading it is tested on its own
    # and the clerk of the case's Behörde does reach it
    own = call(client_for(staff(("clerk", standesamt)))).status_code
    assert own in ({200} if method == "get" and route in READ_ROUTES else
                   {302} if method == "post" and route not in READ_ROUTES else
                   {405})


def test_notice_preview_and_issued_notice(adoption, standesamt):
    case = submit(adoption).case
    clerk = client_for(staff(("clerk", standesamt)))
    preview = clerk.get(reverse("cases:notice_preview", args=[case.pk]), {"note": "Gründe"})
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    from amtsweg.cases.models import Notice

    assert not Notice.objects.filter(case=case).exists()
    admin = client_for(staff(("admin", standesamt)))
    assert admin.get(reverse("cases:notice_preview", args=[case.pk])).status_code == 403
    clerk.post(reverse("cases:transition", args=[case.pk]),
               {"transition": "pruefen", "lock_version": case.lock_version})
    case.refresh_from_db()
    clerk.post(reverse("cases:transition", args=[case.pk]),
               {"transition": "bewilligen", "lock_version": case.lock_version, "note": "Ok"})
    notice = Notice.objects.get(case=case)
    page = clerk.get(reverse("cases:detail", args=[case.pk])).content.decode()
    url = reverse("cases:notice", args=[case.pk, notice.pk])
    assert url in page
    assert clerk.get(url).content.startswith(b"%PDF")


def test_the_state_filter_follows_the_way_of_a_case(adoption, standesamt):
    """Issue 12: the states were sorted alphabetically ("Abgeschlossen" first)."""
    import re

    client = client_for(staff(("clerk", standesamt)))
    html = page(client, reverse("cases:inbox"))
    select = html[html.index('id="f-state"'):]
    select = select[:select.index("</select>")]
    keys = [k for k in re.findall(r'<option value="([^"]*)"', select) if k]
    assert keys[:4] == ["eingegangen", "in_pruefung", "nachforderung", "entschieden"]
