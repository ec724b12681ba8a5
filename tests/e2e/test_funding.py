"""The lead Kommune applies for IKZ funding in Chromium: a person of the Gemeinde Allendorf
(Eder) logs in, finds the Förderantrag on the Leistung page, applies with the Gemeinde's
organisation account for four participating Kommunen, and later finds the
Bewilligungsbescheid over 100,000 EUR in the Postfach. The Förderstelle's approval is done
through the actions. axe-core checks every page state against WCAG 2.1 AA."""

import datetime as dt

import pytest

from tests.e2e.test_apply_online import NEXT, continue_to, find_place, step_url, wait_for_swap
from tests.e2e.test_citizen_journey import assert_accessible, data  # noqa: F401 - fixture
from tests.e2e.test_servicekonto import PASSWORD, german_page_for_new_account, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("data")]

ALLENDORF = "06635001"
MEMBERS = [("06635001", "Allendorf (Eder)"), ("06635004", "Battenberg (Eder)"),
           ("06635006", "Burgwald"), ("06635014", "Hatzfeld (Eder)")]
LEISTUNG = "99132012027000"


def test_lead_kommune_applies_for_four_members_and_finds_the_notice(live_server, browser,
                                                                    axe_source):
    from decimal import Decimal

    from amtsweg.accounts.models import Membership, Organisation, StaffRole, User
    from amtsweg.cases import actions as cases
    from amtsweg.funding.demo import foerderstelle
    from amtsweg.funding.models import FundingApplication, Grant
    from amtsweg.ikz.models import Cooperation
    from amtsweg.territory.models import Area

    assert Cooperation.objects.filter(slug="ederbergland-digital").exists()
    email = "buergermeisterin@allendorf.example"
    context, page = german_page_for_new_account(browser, email)
    person = User.objects.get(email=email)
    organisation = Organisation.objects.create(
        name="Gemeinde Allendorf (Eder)", kind=Organisation.Kind.KOMMUNE,
        area=Area.objects.get(ags=ALLENDORF))
    Membership.objects.create(organisation=organisation, user=person,
                              role=Membership.Role.ADMIN)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))

    # the Leistung page names the Förderstelle and offers the online application
    page.goto(live_server.url + f"/leistungen/{LEISTUNG}/")
    find_place(page, "35108", ALLENDORF)
    assert "Förderstelle" in page.locator("#authority").inner_text()
    assert_accessible(page, axe_source, "Leistung with the Förderstelle")
    start = f"/beantragen/foerderantrag-ikz/{ALLENDORF}/"
    assert page.locator(f"#authority a[href$='{start}']").count() == 1

    log_in(page, live_server.url, email, PASSWORD, start)
    page.wait_for_url("**" + start)
    assert_accessible(page, axe_source, "start page of the Förderantrag")
    assert page.locator(f"#as-org-{organisation.pk}").is_checked()
    assert page.locator("#as-person").count() == 0  # only organisations apply
    page.locator("main form[method=post] button[type=submit]").last.click()

    # step 1: the project; the cooperation's key appears once "existing" is chosen
    page.wait_for_url(step_url("projekt"))
    assert_accessible(page, axe_source, "step projekt")
    page.locator("#f-projekt_titel").fill("Gemeinsames Bürgerportal Ederbergland")
    page.locator("#f-projekt_beschreibung").fill(
        "Vier Kommunen bauen und betreiben ihre Onlinedienste gemeinsam.")
    page.locator("#f-aufgabenbereich").select_option("digitalisierung")
    page.locator("#f-verbund_art").check()  # the first option: an existing cooperation
    page.locator("#f-verbund_kennung").wait_for(state="visible")
    wait_for_swap(page)
    page.locator("#f-verbund_kennung").fill("ederbergland-digital")
    begin = dt.date.today() + dt.timedelta(days=30)
    page.locator("#f-laufzeit_beginn").fill(begin.isoformat())
    page.locator("#f-laufzeit_ende").fill((begin + dt.timedelta(days=730)).isoformat())
    assert_accessible(page, axe_source, "step projekt filled")
    continue_to(page, "beteiligte")

    # step 2: four participating Kommunen with their consent
    assert_accessible(page, axe_source, "step beteiligte")
    consent = (dt.date.today() - dt.timedelta(days=14)).isoformat()
    for i, (ags, name) in enumerate(MEMBERS):
        if i >= 2:  # two entries are there from the start; add the others
            page.locator("button[name=_action][value='add:kommunen']").click()
            page.locator(f"#f-kommunen-{i}-ags").wait_for()
            wait_for_swap(page)
        page.locator(f"#f-kommunen-{i}-ags").fill(ags)
        page.locator(f"#f-kommunen-{i}-name").fill(name)
        page.locator(f"#f-kommunen-{i}-zustimmung_am").fill(consent)
    assert_accessible(page, axe_source, "step beteiligte with four Kommunen")
    continue_to(page, "kosten")

    # step 3: cost plan and eligible costs (more than the eligible costs: an error)
    assert_accessible(page, axe_source, "step kosten")
    page.locator("#f-kostenplan-0-position").fill("Software und Betrieb")
    page.locator("#f-kostenplan-0-betrag").fill("90.000,00")
    page.locator("button[name=_action][value='add:kostenplan']").click()
    page.locator("#f-kostenplan-1-position").wait_for()
    wait_for_swap(page)
    page.locator("#f-kostenplan-1-position").fill("Gemeinsame IT-Fachkraft")
    page.locator("#f-kostenplan-1-betrag").fill("60.000,00")
    page.locator("#f-foerderfaehige_kosten").fill("160.000,00")
    page.locator(NEXT).click()
    page.locator("#error-summary a[href='#f-foerderfaehige_kosten']").wait_for()
    assert_accessible(page, axe_source, "step kosten with an error")
    page.locator("#f-foerderfaehige_kosten").fill("120.000,00")
    continue_to(page, "personal")

    # step 4: the staff plan (a jointly hired IT expert)
    assert_accessible(page, axe_source, "step personal")
    page.locator("button[name=_action][value='add:personalplan']").click()
    page.locator("#f-personalplan-0-funktion").wait_for()
    wait_for_swap(page)
    page.locator("#f-personalplan-0-funktion").fill("IT-Koordination")
    page.locator("#f-personalplan-0-umfang").fill("1")
    page.locator("#f-personalplan-0-traeger").fill("Allendorf (Eder)")
    continue_to(page, "abschluss")

    assert_accessible(page, axe_source, "step abschluss")
    page.locator("#f-zustimmungen_vorhanden").check()
    page.locator("#f-nicht_begonnen").check()
    continue_to(page, "summary")
    main = page.locator("main").inner_text()
    for expected in ("Gemeinsames Bürgerportal Ederbergland", "06635014", "Hatzfeld (Eder)",
                     "IT-Koordination"):
        assert expected in main, expected
    assert_accessible(page, axe_source, "summary of the Förderantrag")
    page.locator("#declaration").check()
    page.locator("form:has(#declaration) button[type=submit]").click()
    page.wait_for_url("**/antrag/eingang/*/")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert_accessible(page, axe_source, "confirmation of the Förderantrag")

    # the Förderstelle works the case (through the actions) and approves 100,000 EUR
    application = FundingApplication.objects.get(submission__receipt_number=number)
    assert application.participants.count() == 4
    assert application.eligible_costs == Decimal("120000.00")
    case = application.submission.case
    clerk = User.objects.create_user("sb@foerderstelle.example", PASSWORD, is_staff=True)
    StaffRole.objects.create(user=clerk, authority=foerderstelle(), role="clerk")
    cases.transition(clerk, case.pk, "pruefen")
    cases.transition(clerk, case.pk, "bewilligen",
                     note="Das Projekt erfüllt die Voraussetzungen des Programms.")
    grant = Grant.objects.get(application=application)
    assert grant.amount == Decimal("100000.00") and grant.participations == 4

    # the person finds the Bewilligungsbescheid in the Postfach
    page.goto(live_server.url + "/konto/postfach/")
    assert_accessible(page, axe_source, "Postfach with the notice")
    page.locator(f"main a:has-text('{number}')").first.click()
    page.wait_for_url("**/konto/postfach/*/")
    assert_accessible(page, axe_source, "the Bewilligungsbescheid message")
    link = page.locator("main a[href*='/anhang/']").first
    assert "Bescheid-" in link.inner_text()
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"

    # and follows the case: decided, approved
    page.goto(live_server.url + f"/antrag/vorgang/{number}/")
    assert "bewilligt" in page.locator("main").inner_text().lower()
    assert_accessible(page, axe_source, "the case of the Förderantrag")
    assert not problems, problems
    context.close()
