"""The public page of the funding programmes: rules, budget left this year, where to apply."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amtsweg.funding import demo, history
from amtsweg.funding.models import Budget, Grant, Programme
from amtsweg.ikz.models import Cooperation

pytestmark = pytest.mark.django_db


def page() -> str:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("funding:programmes"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_open_programme_with_its_rules_and_budget():
    programme = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    year = timezone.localdate().year
    budget = Budget.objects.get(programme=programme, year=year)
    html = page()
    assert programme.name in html
    assert "25,000.00 EUR per participating Kommune, never more than the eligible costs" in html
    assert f"at least {programme.min_members} Kommunen, the lead Kommune included" in html
    assert "(open)" in html
    assert f"Budget {year}" in html
    left = budget.amount - sum(g.amount for g in Grant.objects.filter(programme=programme,
                                                                       year=year))
    assert f"{left:,.2f} EUR not yet granted" in html
    assert reverse("portal:leistung", args=[programme.service.leistung.leika_key]) in html


def test_grants_reduce_the_budget_left_and_closed_programmes_have_no_apply_link():
    programme = Programme.objects.get(slug=demo.PROGRAMME_SLUG)
    year = timezone.localdate().year
    budget = Budget.objects.get(programme=programme, year=year)
    granted_before = sum(g.amount for g in Grant.objects.filter(programme=programme, year=year))
    cooperation = Cooperation.objects.filter(is_demo=True).first()
    Grant.objects.create(programme=programme, cooperation=cooperation, year=year,
                         decided_on=timezone.localdate(), task_area="digitalisierung",
                         participations=4, amount=Decimal("100000"))
    left = budget.amount - granted_before - Decimal("100000")
    assert f"{left:,.2f} EUR not yet granted" in page()
    historical = Programme.objects.get(slug=history.PROGRAMME_SLUG)
    html = page()
    section = html[html.index(f'id="programme-{historical.pk}"'):]
    section = section[:section.index("</section>")]
    assert "(closed)" in section and "Apply for funding online" not in section
