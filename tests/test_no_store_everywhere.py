"""No answer with personal data may be kept by a browser or proxy (issue 11, finding 12).

Every route of the URL configuration is requested as a logged-in person and as an anonymous
visitor: with a session every answer says `Cache-Control: no-store`; without one the personal
paths still do, and the public pages stay cacheable. Then the pages named in the finding
(Postfach, profile, receipts, case pages, the inbox) are requested with real data.
"""

import pytest
from django.test import Client
from django.urls import reverse

from amtsweg.core.nostore import PERSONAL_PREFIXES
from tests.accounts.conftest import CommitClient
from tests.test_csrf_everywhere import ROUTES

pytestmark = pytest.mark.django_db

PATHS = sorted({p for p, _ in ROUTES})
PUBLIC = ["/", "/suche/", "/themen/", "/lebenslagen/", "/zustaendigkeit/", "/impressum/",
          "/leistungen/99027002012000/", "/dashboard/", "/bibliothek/", "/foerderung/"]


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.fixture
def person():
    from tests.services.staff import client_for, fulda, staff

    user = staff(("clerk", fulda()), ("designer", fulda()), ("admin", fulda()))
    user.is_superuser = True
    user.save()
    client = client_for(user)
    client.raise_request_exception = False
    return client


def test_every_route_answers_a_session_with_no_store(person):
    missing = [p for p in PATHS if not no_store(person.get(p))]
    assert missing == []


def test_personal_paths_answer_no_store_without_a_session():
    anonymous = Client(raise_request_exception=False)
    personal = [p for p in PATHS if p.startswith(PERSONAL_PREFIXES)]
    assert len(personal) > 40
    assert [p for p in personal if not no_store(anonymous.get(p))] == []
    assert "sessionid" not in anonymous.cookies


def test_public_pages_stay_cacheable():
    anonymous = Client()
    for path in PUBLIC:
        response = anonymous.get(path)
        assert response.status_code == 200 and not no_store(response), path


def test_an_api_client_with_a_token_gets_no_store():
    response = Client().get("/api/v1/catalog/search", {"q": "Pass"},
                            HTTP_AUTHORIZATION="Bearer x")
    assert no_store(response)
    assert not no_store(Client().get("/api/v1/catalog/search", {"q": "Pass"}))


def test_logout_clears_the_browsers_copies():
    from tests.accounts.test_accounts import login, registered_user

    client = CommitClient()
    registered_user(client)
    login(client)
    response = client.post("/konto/abmelden/")
    assert response["Clear-Site-Data"] == '"cache"' and no_store(response)


def test_the_pages_of_the_finding_with_real_data(tmp_path, settings):
    """Postfach with its file, profile, account, a guest's receipt (page and PDF), the
    applicant's case page, the clerk's inbox and case page."""
    from amtsweg.cases.models import Case
    from amtsweg.mailbox.models import Attachment
    from amtsweg.submissions.models import Submission
    from tests.accounts.test_accounts import login, registered_user
    from tests.mailbox.test_postfach import deliver
    from tests.services.staff import client_for, staff
    from tests.submissions.conftest import make_small_service
    from tests.submissions.test_apply import fill, start_as_guest

    citizen = CommitClient()
    registered_user(citizen)
    login(citizen)
    message = deliver(tmp_path)
    attachment = Attachment.objects.get(message=message)
    for path in ("/konto/", "/konto/profil/", "/konto/postfach/", f"/konto/postfach/{message.pk}/",
                 f"/konto/postfach/{message.pk}/anhang/{attachment.pk}/", "/konto/antraege/",
                 "/konto/daten/export/"):
        response = citizen.get(path)
        assert response.status_code == 200 and no_store(response), path

    from amtsweg.territory.models import Authority

    standesamt = Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)
    adoption = make_small_service(standesamt)
    guest = CommitClient()
    draft, location = start_as_guest(guest, adoption)
    assert no_store(guest.get(location))
    fill(guest, draft)
    guest.post(reverse("submissions:summary", args=[draft.pk]), {"declaration": "1"})
    submission = Submission.objects.get()
    from amtsweg.cases.actions import open_case

    case = Case.objects.filter(submission=submission).first() or open_case(submission.pk)
    for path in (reverse("submissions:done", args=[submission.receipt_number]),
                 reverse("submissions:receipt_pdf", args=[submission.receipt_number]),
                 reverse("case_portal:detail", args=[submission.receipt_number])):
        response = guest.get(path)
        assert response.status_code == 200 and no_store(response), path

    clerk = client_for(staff(("clerk", standesamt)))
    for path in (reverse("cases:inbox"), reverse("cases:detail", args=[case.pk])):
        response = clerk.get(path)
        assert response.status_code == 200 and no_store(response), path
