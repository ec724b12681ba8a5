"""The applicant follows a case in Chromium: the state page, the Behörde's request for
documents, answering it with a file; axe-core finds no WCAG 2.1 AA violation."""

import pytest

from tests.e2e.test_citizen_journey import assert_accessible, data  # noqa: F401 - fixture
from tests.e2e.test_servicekonto import PASSWORD, german_page_for_new_account, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("data")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_applicant_answers_a_request_for_documents(live_server, browser, axe_source, tmp_path):
    from amtsweg.accounts.models import StaffRole, User
    from amtsweg.cases import actions
    from amtsweg.submissions import actions as submit_actions
    from amtsweg.territory.models import Authority
    from tests.submissions.conftest import make_small_service

    standesamt = Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)
    adoption = make_small_service(standesamt)
    context, page = german_page_for_new_account(browser, "fall@example.org")
    applicant = User.objects.get(email="fall@example.org")
    draft, _token = submit_actions.start(adoption=adoption, area=standesamt.area,
                                         user=applicant, trust_level="basis")
    draft.set_content(answers={"vorname": "Erika", "familienname": "Muster",
                               "zweck": "rente", "anzahl": "1"})
    draft.save()
    case = submit_actions.submit(draft.pk, user=applicant, accepted=True).case
    clerk = User.objects.create_user("sb@amt.example", PASSWORD, is_staff=True)
    StaffRole.objects.create(user=clerk, authority=standesamt, role="clerk")
    actions.transition(clerk, case.pk, "pruefen")
    actions.transition(clerk, case.pk, "nachfordern", note="Bitte Ausweiskopie nachreichen.")

    url = f"/antrag/vorgang/{case.receipt_number}/"
    log_in(page, live_server.url, "fall@example.org", PASSWORD, url)
    page.wait_for_url(f"**{url}")
    assert "Bitte Ausweiskopie nachreichen." in page.content()
    assert_accessible(page, axe_source, "case page with a request")
    upload = tmp_path / "ausweis.pdf"
    upload.write_bytes(PDF)
    page.locator("#answer").fill("Anbei die Kopie.")
    page.locator("#files").set_input_files(str(upload))
    page.locator("button[name=action][value=answer]").click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.state == "in_pruefung"
    assert_accessible(page, axe_source, "case page after answering")
    page.goto(live_server.url + "/konto/antraege/")
    assert case.receipt_number in page.content()
    assert_accessible(page, axe_source, "my applications")
    context.close()
