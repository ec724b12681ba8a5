"""Online services in the API: which services are published and where they are offered, a
version's definition (the export format), and checking a form definition or a FIM file
without saving anything — for Kommunen and vendors who build definitions outside the
designer."""

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from amtsweg.core import bodylimit, safejson
from amtsweg.forms.fim import MAX_BYTES as FIM_MAX_BYTES
from amtsweg.forms.fim import FimError, import_xdatenfelder
from amtsweg.forms.schema import validate_definition
from amtsweg.services import actions
from amtsweg.services.models import OnlineService, ServiceVersion
from amtsweg.territory import lookup

from . import openapi
from .problems import Problem, bad_request

router = Router(tags=["Online services"])


def _json_allowance(request: HttpRequest, kwargs: dict) -> int:
    """A definition to check is at most JSON_MAX_BYTES, so that is the body limit."""
    return settings.JSON_MAX_BYTES - settings.REQUEST_BODY_LIMIT


bodylimit.allow("api-v1:check_form", _json_allowance)
bodylimit.allow("api-v1:convert_fim", FIM_MAX_BYTES)


class ServiceItem(Schema):
    slug: str
    leikaKey: str
    title: str
    owner: str
    publishedVersion: int | None
    trustLevel: str | None
    applicants: list[str]
    adoptions: int


class ServiceList(Schema):
    services: list[ServiceItem]


class ServiceParams(Schema):
    leikaKey: str | None = Field(None, pattern=r"^99[0-9]{12}$")


class Offer(Schema):
    slug: str
    title: str
    authority: str
    destinationId: str
    version: int
    applyUrl: str


class OfferParams(Schema):
    leikaKey: str = Field(..., pattern=r"^99[0-9]{12}$")
    ags: str = Field(..., pattern=r"^[0-9]{8}$")


class Problems(Schema):
    valid: bool
    problems: list[dict]


@router.get("/services", response=ServiceList, summary="Published online services")
def list_services(request: HttpRequest, params: Query[ServiceParams]):
    services = (OnlineService.objects.select_related("leistung", "owner_authority",
                                                     "owner_area", "owner_cooperation")
                .filter(versions__state=ServiceVersion.State.PUBLISHED).distinct())
    if params.leikaKey:
        services = services.filter(leistung__leika_key=params.leikaKey)
    items = []
    for s in services.order_by("slug")[:500]:
        version = actions.latest_published(s)
        items.append({"slug": s.slug, "leikaKey": s.leistung.leika_key,
                      "title": s.title_text, "owner": s.owner_name,
                      "publishedVersion": version.number if version else None,
                      "trustLevel": version.trust_level if version else None,
                      "applicants": version.applicants if version else [],
                      "adoptions": s.adoptions.filter(active=True).count()})
    return {"services": items}


@router.get("/services/offer", response={200: Offer, 404: None},
            summary="Where to apply online at a place",
            description="The online service the responsible Behörde offers for a Leistung "
                        "at a Gemeinde (AGS), or 404 when it offers none.")
def offer(request: HttpRequest, params: Query[OfferParams]):
    area = lookup.area_for_code(ags=params.ags)
    if area is None:
        raise Problem(404, _("Unknown area"), _("There is no Gemeinde with this AGS."))
    from amtsweg.catalog.models import Leistung

    leistung = Leistung.objects.filter(leika_key=params.leikaKey).first()
    found = actions.offered(leistung.pk, area.pk) if leistung else None
    if found is None:
        raise Problem(404, _("Not offered online"), _(
            "The responsible authority does not offer this service online at this place."))
    return {"slug": found.service.slug, "title": found.service.title_text,
            "authority": found.authority.name,
            "destinationId": str(found.authority.destination_id),
            "version": found.version.number,
            "applyUrl": settings.SITE_URL.rstrip("/") + reverse(
                "submissions:start", args=[found.service.slug, area.ags])}


@router.get("/services/{slug}", summary="A published version in the export format",
            description="The newest published version, or `version=N`.",
            openapi_extra={"responses": {200: openapi.documented(openapi.ServiceExport)}})
def service_definition(request: HttpRequest,
                       slug: str = Path(..., pattern=r"^[-a-zA-Z0-9_]{1,80}$"),
                       version: int | None = Query(None, ge=1, le=2**31 - 1)):
    service = get_object_or_404(OnlineService, slug=slug)
    versions = service.versions.exclude(state=ServiceVersion.State.DRAFT)
    chosen = (versions.filter(number=version).first() if version
              else versions.filter(state=ServiceVersion.State.PUBLISHED).first())
    if chosen is None:
        raise Problem(404, _("Not found"), _("This service has no such published version."))
    return actions.export_service(chosen)


@router.post("/forms/check", response=Problems, summary="Check a form definition",
             description="Validates an `amtsweg.form/1` definition (JSON body) and lists every "
                         "problem with its path. Nothing is saved.",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"description": "An amtsweg.form/1 definition (any JSON value is "
                                           "checked)"}}}}})
def check_form(request: HttpRequest):
    if not request.body:
        raise bad_request(_("The body is empty: send the form definition as JSON."))
    try:
        definition = safejson.loads(request.body)
    except safejson.JsonError as exc:
        raise bad_request(_("The body is not valid JSON.") + " " + str(exc)) from None
    problems = [e.as_dict() for e in validate_definition(definition)]
    return {"valid": not problems, "problems": problems}


@router.post("/forms/fim", summary="Convert a FIM XDatenfelder file",
             response={200: openapi.FimConversion, 422: None},
             description="Converts an XDatenfelder 2.0 or 3.0.0 message (multipart field "
                         "`file`) into a form definition. Nothing is saved.")
def convert_fim(request: HttpRequest, file: File[UploadedFile]):
    try:
        result = import_xdatenfelder(file.read())
    except FimError as exc:
        raise Problem(422, _("Invalid FIM file"), str(exc)) from exc
    return {"definition": result.definition, "notes": result.notes,
            "warnings": result.warnings, "version": result.version, "kind": result.kind}

