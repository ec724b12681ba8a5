"""Issue 12, item 9: the staff navigation offers only what the role may open, and every error
page is a KERN page in German (or English) with a way on, never Django's bare "403 Forbidden"
or its English CSRF page."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.services.staff import fulda, staff

pytestmark = pytest.mark.django_db


def _logged_in(user, language="de") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    session = client.session
    session["mfa"] = True
    session.save()
    return client


def test_a_clerk_is_offered_only_what_a_clerk_may_open():
    client = _logged_in(staff(("clerk", fulda())), "en")
    page = client.get(reverse("cases:inbox")).content.decode()
    nav = page[page.index('class="aw-staff-nav"'):page.index("</nav>", page.index("aw-staff-nav"))]
    assert reverse("cases:inbox") in nav
    for hidden in ("services:list", "services:adoption_list", "ikz_staff:list", "audit:list",
                   "staff:list", "jobs:overview"):
        assert f'href="{reverse(hidden)}"' not in nav, hidden
    # and each link a role is shown opens for it
    admin = _logged_in(staff(("admin", fulda())), "en")
    page = admin.get(reverse("services:home")).content.decode()
    nav = page[page.index('class="aw-staff-nav"'):page.index("</nav>", page.index("aw-staff-nav"))]
    for shown in ("cases:inbox", "services:adoption_list", "ikz_staff:list", "audit:list",
                  "staff:list"):
        assert f'href="{reverse(shown)}"' in nav, shown
        assert admin.get(reverse(shown)).status_code == 200, shown


def test_a_forbidden_page_is_a_german_page_with_a_way_on():
    client = _logged_in(staff(("clerk", fulda())))
    response = client.get(reverse("services:list"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Kein Zugriff" in page and "403 Forbidden" not in page
    assert 'class="kern-' in page and f'href="{reverse("services:home")}"' in page


def test_an_expired_form_is_a_german_page_that_says_nothing_saved_is_lost():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post(reverse("accounts:login"), {"email": "a@b.example",
                                                       "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Das Formular ist abgelaufen" in page and "bleibt gespeichert" in page
    assert "CSRF verification failed" not in page
    english = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("accounts:login"), {"email": "a@b.example", "password": "x"})
    assert "The form has expired" in english.content.decode()
