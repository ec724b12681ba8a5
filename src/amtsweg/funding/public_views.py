"""Public pages of the funding programme: the programmes with their rules, so that a Kommune
knows before applying what it may get, and where to apply."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from amtsweg.ikz.models import TaskArea

from . import rules
from .actions import budget_of
from .models import Programme


def programmes(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    entries = []
    for programme in (Programme.objects.select_related("authority", "service__leistung")
                      .order_by("-opens_on", "name")):
        is_open = programme.opens_on <= today and (programme.closes_on is None
                                                   or today <= programme.closes_on)
        budgeted = budget_of(programme, today.year) if is_open else None
        areas = [TaskArea(k).label for k in programme.eligible_task_areas
                 if k in TaskArea.values]
        entries.append({
            "programme": programme, "open": is_open,
            "per_member": rules.money(programme.amount_per_member),
            "task_areas": areas,
            "budget": rules.money(budgeted.budget) if budgeted and budgeted.budget else "",
            "left": rules.money(rules.budget_left(budgeted.budget, budgeted.granted))
            if budgeted and budgeted.budget is not None else "",
            "leistung": programme.service.leistung if programme.service_id else None,
        })
    return render(request, "funding/programmes.html", {
        "entries": entries, "year": today.year})
