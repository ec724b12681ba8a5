"""Citizen pages of the state portal: catalogue, search, responsibility finder, legal pages."""

import re
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amtsweg.catalog import search as catalog_search
from amtsweg.catalog.models import Lebenslage, Leistung, Themenfeld
from amtsweg.services.actions import offers
from amtsweg.services.models import Adoption
from amtsweg.territory import lookup
from amtsweg.territory.models import Area, Responsibility

# The services the platform offers online first (Hessen press release, July 2020).
POPULAR = ["99027002012000", "99101004012000", "99041006017000", "99036009072003",
           "99036011012000", "99108007040000", "99107023017000", "99085001012000",
           "99084012001000", "99084011001000", "99084008001000"]
TYP_LABELS = dict(Leistung.Typ.choices)
LEGAL_RE = re.compile(r"([^,\[]+)\[(https?://[^\]\s]+)\]|([^,]+)")  # group 1 is stripped
MAX_QUERY = 200
AGS_RE = re.compile(r"^[0-9]{8}$")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    popular = Leistung.objects.filter(leika_key__in=POPULAR)
    themenfelder = Themenfeld.objects.annotate(n=Count("ozg__leistungen"))
    return render(request, "portal/home.html", {
        "popular": sorted(popular, key=lambda x: POPULAR.index(x.leika_key)),
        "themenfelder": themenfelder,
        "leistungen": Leistung.objects.count(),
        "gemeinden": Area.objects.filter(kind=Area.Kind.GEMEINDE, gemeindefrei=False).count(),
        "kreise": Area.objects.filter(kind=Area.Kind.KREIS).count(),
    })


def _query(request: HttpRequest, name: str = "q") -> str:
    """What the person typed, with control characters dropped and spaces collapsed."""
    text = "".join(ch for ch in request.GET.get(name, "") if ch.isprintable())
    return " ".join(text.split())[:MAX_QUERY]


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    q = _query(request)
    hits = catalog_search.search(q, 50) if q else []
    return render(request, "portal/search.html", {"q": q, "hits": hits})


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    q = _query(request)
    if len(q) < 2:  # one letter says too little to suggest anything
        return HttpResponse("")
    hits = catalog_search.search(q, 8)
    return render(request, "portal/_suggestions.html", {"q": q, "hits": hits})


def _documents(text: str) -> list[str]:
    """The documents a person needs, one per line or separated by ";", as a list."""
    parts = [p.strip().rstrip(".").strip() for p in text.replace("\n", ";").split(";")]
    return [p for p in parts if p]


def _legal_basis(text: str) -> list[tuple[str, str]]:
    """'Gesetz (X) [http://…], § 1 Y' → [('Gesetz (X)', 'http://…'), ('§ 1 Y', '')]."""
    parts = []
    for m in LEGAL_RE.finditer(text):
        if m.group(2):
            parts.append((m.group(1).strip(), m.group(2)))
        elif (plain := (m.group(3) or "").strip()):
            parts.append((plain, ""))
    return parts


@dataclass
class FinderResult:
    query: str = ""
    error: str = ""
    choices: list[lookup.Place] = field(default_factory=list)
    area: Area | None = None
    responsibility: Responsibility | None = None
    adoptions: list[Adoption] = field(default_factory=list)


def find_responsible(request: HttpRequest, leistung: Leistung) -> FinderResult:
    """Answer 'Wo wohnen Sie?': a PLZ or place name, then a Gemeinde, then the authority."""
    result = FinderResult(query=_query(request, "ort")[:100])
    ags = request.GET.get("gemeinde", "")
    if ags:
        area = lookup.area_for_code(ags=ags) if AGS_RE.match(ags) else None
        if area is None or area.kind != Area.Kind.GEMEINDE:
            result.error = _("Please choose your Gemeinde from the list.")
            return result
        result.area = area
    elif result.query:
        places = lookup.find_places(result.query)
        if not places:
            elsewhere = lookup.land_outside_hessen(result.query)
            if elsewhere and lookup.PLZ_RE.match(result.query):
                result.error = _("The postal code %(plz)s (%(place)s) is not in Hessen but in "
                                 "%(land)s. This finder knows the authorities in Hessen only.") % {
                                     "plz": result.query, "place": elsewhere[0],
                                     "land": elsewhere[1]}
            elif elsewhere:
                result.error = _("%(place)s is not in Hessen but in %(land)s. This finder "
                                 "knows the authorities in Hessen only.") % {
                                     "place": elsewhere[0], "land": elsewhere[1]}
            elif lookup.PLZ_RE.match(result.query):
                result.error = _("We do not know the postal code %(plz)s in Hessen. Please "
                                 "check it or enter the name of your town.") % {
                                     "plz": result.query}
            else:
                result.error = _("We found no Gemeinde in Hessen called “%(q)s”. Please "
                                 "check the spelling or enter your postal code.") % {
                                     "q": result.query}
            return result
        if len(places) > 1:
            result.choices = places
            return result
        result.area = places[0].area
    else:
        return result
    result.responsibility = lookup.resolve(leistung.pk, result.area.pk)
    if result.responsibility is not None:
        result.adoptions = offers(leistung.pk, result.area.pk)
    return result


@require_GET
def leistung_detail(request: HttpRequest, leika_key: str) -> HttpResponse:
    leistung = get_object_or_404(
        Leistung.objects.select_related("ozg__themenfeld", "ozg__lebenslage"), leika_key=leika_key
    )
    finder = find_responsible(request, leistung)
    related = (Leistung.objects.filter(leika_key__startswith=leistung.object_key)
               .exclude(pk=leistung.pk).order_by("leika_key")[:30])
    r = finder.responsibility
    return render(request, "portal/leistung.html", {
        "leistung": leistung,
        "typ_label": TYP_LABELS.get(leistung.leika_typ, leistung.leika_typ or _("unknown")),
        "legal_basis": _legal_basis(leistung.legal_basis),
        "documents": _documents(r.required_documents if r and r.required_documents
                                else leistung.required_documents),
        "fee": r.fee if r and r.fee else leistung.fee,
        "finder": finder,
        "related": related,
    })


@require_GET
def finder(request: HttpRequest) -> HttpResponse:
    q = _query(request)
    hits, error = [], ""
    if "q" in request.GET:
        if not q:
            error = _("Please enter the service you are looking for.")
        else:
            hits = catalog_search.search(q, 10)
            if not hits:
                error = _("We found no service for “%(q)s”. Try another word.") % {"q": q}
    return render(request, "portal/finder.html", {"q": q, "hits": hits, "error": error})


@require_GET
def themen(request: HttpRequest) -> HttpResponse:
    items = Themenfeld.objects.annotate(n=Count("ozg__leistungen"))
    return render(request, "portal/themen.html", {"heading": _("Topics"), "items": items})


@require_GET
def lebenslagen(request: HttpRequest) -> HttpResponse:
    items = Lebenslage.objects.annotate(n=Count("ozg__leistungen"))
    return render(request, "portal/themen.html", {"heading": _("Life situations"),
                                                  "items": items})


def _group_page(request: HttpRequest, group: Themenfeld | Lebenslage, parent: str,
                parent_label: str) -> HttpResponse:
    """The Leistungen of a Themenfeld or a Lebenslage, grouped by OZG-Leistung."""
    ozg = group.ozg.prefetch_related(
        Prefetch("leistungen", queryset=Leistung.objects.order_by("leika_key"))
    ).order_by("name")
    return render(request, "portal/group.html", {
        "group": group,
        "sections": [(o, list(o.leistungen.all())) for o in ozg if o.leistungen.all()],
        "parent_url": reverse(parent), "parent_label": parent_label,
    })


@require_GET
def themenfeld(request: HttpRequest, slug: str) -> HttpResponse:
    return _group_page(request, get_object_or_404(Themenfeld, slug=slug), "portal:themen",
                       _("Topics"))


@require_GET
def lebenslage(request: HttpRequest, slug: str) -> HttpResponse:
    return _group_page(request, get_object_or_404(Lebenslage, slug=slug),
                       "portal:lebenslagen", _("Life situations"))


LEGAL_PAGES = {
    "impressum": (
        lambda: _("Imprint"),
        lambda: [
            _("Amtsweg is an open platform of the Hessian Kommunen and the Land Hessen. "
              "This installation is a demonstration."),
            _("Responsible for the content: the operator of this installation, as entered "
              "in its configuration. The authorities shown are demo data."),
        ],
    ),
    "datenschutz": (
        lambda: _("Privacy"),
        lambda: [
            _("Searching the catalogue and finding the responsible authority needs no "
              "account and stores no personal data. Your place is used only for the answer "
              "and is not saved."),
            _("The site sets a session cookie for security (CSRF protection) and a "
              "language cookie when you switch the language. No tracking, no third parties."),
        ],
    ),
    "barrierefreiheit": (
        lambda: _("Accessibility statement"),
        lambda: [
            _("This portal aims to meet WCAG 2.1 level AA and BITV 2.0. The citizen pages "
              "are checked automatically with axe-core in a real browser on every change."),
            _("All pages work without JavaScript, can be used with the keyboard alone and "
              "offer a skip link to the content."),
            _("Known limitations: descriptions from the federal service catalogue are only "
              "in German. To report a barrier, write to the operator of this installation."),
        ],
    ),
}


@require_GET
def legal(request: HttpRequest, page: str) -> HttpResponse:
    heading, paragraphs = LEGAL_PAGES[page]
    return render(request, "portal/legal.html",
                  {"heading": heading(), "paragraphs": paragraphs()})
