"""The public service library (`/bibliothek/`): list with search and filters, and a page per
service with the Kommunen that use it. Administrators of a Behörde also see "Adopt", which
leads to the adoption form with local parameters (`services.views.adoption`)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from amtsweg.core.text import fold
from amtsweg.services import actions as services
from amtsweg.services.models import ServiceVersion, text

from . import library
from .views import page_number


def _may_adopt(request: HttpRequest) -> bool:
    user = request.user
    return (user.is_authenticated and user.is_staff
            and services.adopting_authorities(user).exists())


@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    filters = library.Filters.from_query(request.GET)
    ids = library.candidates(filters)
    page = Paginator(ids, library.PAGE_SIZE).get_page(page_number(request))
    query = {k: v for k, v in (("q", filters.q), ("themenfeld", filters.themenfeld),
                               ("leistung", filters.leistung), ("eigentuemer", filters.owner),
                               ("reifegrad", filters.maturity or "")) if v}
    return render(request, "ikz/library_list.html", {
        "filters": filters, "page": page, "entries": library.entries(list(page.object_list)),
        "query": urlencode(query), "themenfelder": library.themenfeld_choices(),
        "leistungen": library.leistung_choices(), "owners": library.owner_choices(),
        "levels": list(library.LEVEL_TEXT.items()), "may_adopt": _may_adopt(request)})


@require_GET
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(library.published_services(), slug=slug)
    found = library.entries([service.pk], with_areas=True)
    if not found:
        raise Http404
    entry = found[0]
    rows = sorted(((area, use) for use in entry.uses for area in use.areas),
                  key=lambda row: (fold(row[0].name), row[1].authority.name))
    return render(request, "ikz/library_detail.html", {
        "entry": entry, "service": entry.service, "rows": rows,
        "summary": text(entry.service.summary),
        "versions": entry.service.versions.filter(state=ServiceVersion.State.PUBLISHED)
        .defer("form").order_by("-number"),
        "level_text": library.LEVEL_TEXT, "may_adopt": _may_adopt(request)})
