"""The designer's editor in Chromium: the preview follows typing (htmx) without saving,
saving works with a plain post; axe-core checks the staff pages."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from tests.e2e.test_citizen_journey import assert_accessible, data  # noqa: F401
from tests.services.staff import fulda, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff_page(browser, live_server, user):
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["mfa"] = True
    session["auth_at"] = session["seen_at"] = int(time.time())
    session.create()
    context = browser.new_context(locale="de-DE")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                          "url": live_server.url}])
    return context, context.new_page()


def test_editor_preview_and_save(live_server, browser, axe_source, data):  # noqa: F811
    from amtsweg.catalog.models import Leistung
    from amtsweg.services import actions

    user = staff(("designer", fulda()), ("admin", fulda()))
    service = actions.create_service(user, leistung=Leistung.objects.get(
        leika_key="99027002012000"), title={"de": "Testdienst"}, owner_authority=fulda())
    context, page = staff_page(browser, live_server, user)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/verwaltung/dienste/")
    assert_accessible(page, axe_source, "service list")
    page.goto(f"{live_server.url}/verwaltung/dienste/neu/")
    assert_accessible(page, axe_source, "create")
    page.goto(f"{live_server.url}/verwaltung/dienste/{service.slug}/v1/?element=0.0")
    assert_accessible(page, axe_source, "editor")
    label = page.locator("#id_item-label_de")
    label.fill("Vollständiger Name", timeout=3000)
    page.locator("#preview").get_by_text("Vollständiger Name").wait_for(timeout=5000)
    version = service.versions.get()
    assert version.form["steps"][0]["items"][0]["label"]["de"] == "Name"  # not saved
    page.locator("#id_item-visible").fill('{"==": [{"var": "gibtsnicht"}, 1]}')
    page.locator("#preview").get_by_text("gibtsnicht").first.wait_for(timeout=5000)
    assert_accessible(page, axe_source, "editor with preview problems")
    page.locator("#id_item-visible").fill("")
    page.locator("#item-editor button[type=submit]").click()
    page.wait_for_url("**/v1/?*")
    version.refresh_from_db()
    assert version.form["steps"][0]["items"][0]["label"]["de"] == "Vollständiger Name"
    page.goto(f"{live_server.url}/verwaltung/dienste/{service.slug}/")
    assert_accessible(page, axe_source, "service detail")
    page.goto(f"{live_server.url}/verwaltung/nachnutzung/")
    assert_accessible(page, axe_source, "adoption list")
    page.goto(f"{live_server.url}/verwaltung/nachnutzung/dienst/geburtsurkunde/")
    assert_accessible(page, axe_source, "adopt")
    assert not problems, problems
    context.close()
