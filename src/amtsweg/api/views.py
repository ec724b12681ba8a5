"""REST API: catalogue search (/api/v1) and routing in the FIT-Connect shape (/api/routing/v1)."""

import re

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from pydantic import Field

from amtsweg.catalog import search as catalog_search
from amtsweg.core import safejson, signing

from . import openapi, routing
from .problems import Problem, bad_request, problem_response
from .services import router as services_router

LEIKA_RE = re.compile(r"^99[0-9]{12}$")
ARS_RE = re.compile(r"^([0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{9}|[0-9]{12})$")
AGS_RE = re.compile(r"^([0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{8})$")
AREA_ID_RE = re.compile(r"^[1-9][0-9]{0,17}$")
INT_RE = re.compile(r"^[0-9]{1,10}$")
"""Parameters are checked with fullmatch and ASCII digits, as the OpenAPI patterns mean them
(ECMA regexes): Python's `$` also matches before a final newline and its `\\d` and `int()`
accept any Unicode digit, `+1` and ` 1` (second outside round)."""


def _install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(Problem)
    def on_problem(request: HttpRequest, exc: Problem) -> JsonResponse:
        return problem_response(request, exc)

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> JsonResponse:
        parts = []
        for err in exc.errors:
            where = ".".join(str(p) for p in err.get("loc", ())[1:] or err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg', '')}")
        return problem_response(request, bad_request("; ".join(parts)))

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
        if isinstance(exc.__cause__, safejson.JsonError):  # a body that ninja could not parse
            return problem_response(request, bad_request(str(exc.__cause__)))
        return problem_response(request, Problem(exc.status_code, str(exc), str(exc)))


class SafeJsonParser(Parser):
    """Request bodies of every operation go through the size- and depth-limited loader."""

    def parse_body(self, request: HttpRequest) -> dict:
        return safejson.loads(request.body)


class AmtswegAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict | None = None) -> dict:
        return openapi.complete(super().get_openapi_schema(path_prefix=path_prefix,
                                                           path_params=path_params))


def make_api(**kwargs) -> NinjaAPI:
    """Every NinjaAPI of the platform: safe JSON bodies, problem+json errors and an OpenAPI
    document that lists every answer (tests/core/test_safejson.py finds a NinjaAPI made
    elsewhere)."""
    api = AmtswegAPI(parser=SafeJsonParser(), **kwargs)
    _install_problem_handlers(api)
    return api


api = make_api(title="Amtsweg API", version="1", urls_namespace="api-v1",
               description="Catalogue search and online services of the Amtsweg state portal.")
api.add_router("", services_router)
api.add_router("/fachverfahren", "amtsweg.api.fachverfahren.router")


class SearchResult(Schema):
    leikaKey: str
    name: str
    ozgId: int | None
    score: float


class SearchResponse(Schema):
    results: list[SearchResult]


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=200, description="What the person typed")
    limit: int = Field(10, ge=1, le=50)


@api.get("/catalog/search", response=SearchResponse, summary="Search the service catalogue")
def catalog_search_view(request: HttpRequest, params: Query[SearchParams]):
    hits = catalog_search.search(params.q, params.limit)
    return {"results": [{"leikaKey": h.leika_key, "name": h.name, "ozgId": h.ozg_id,
                         "score": h.score} for h in hits]}


routing_api = make_api(
    title="Amtsweg Routing API", version="1", urls_namespace="routing",
    description="Responsibility finder in the shape of the FIT-Connect Routing API.",
)


def _once(request: HttpRequest, *names: str) -> None:
    """A parameter the document gives one value may be sent once: with `offset=0&offset=1`
    the answer would depend on which one a server takes."""
    for name in names:
        if len(request.GET.getlist(name)) > 1:
            raise bad_request(_("The parameter %(name)s may be given only once.")
                              % {"name": name})


def _page(offset: str | None, limit: str | None) -> tuple[int, int]:
    """The page asked for; a parameter left out is its default. An empty value (`offset=`)
    is no whole number and refused, as the document's `integer` says (FIT-Connect's own
    document has the same types and no rule that empty means default)."""
    if any(v is not None and not INT_RE.fullmatch(v) for v in (offset, limit)):
        raise bad_request(_("offset and limit must be whole numbers."))
    off = int(offset) if offset is not None else 0
    lim = int(limit) if limit is not None else 100
    if off < 0 or off > 2**31 - 1:
        raise bad_request(_("offset must be between 0 and 2147483647."))
    if not 1 <= lim <= 500:
        raise bad_request(_("limit must be between 1 and 500."))
    return off, lim


PAGE_PARAMS = (
    openapi.query("offset", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1,
                             "default": 0},
                  "Number of results to skip; left out: 0. An empty value (`offset=`) is "
                  "not a whole number and answers 400."),
    openapi.query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                  "Number of results to return; left out: 100. An empty value (`limit=`) is "
                  "not a whole number and answers 400."),
)
ONE_AREA = ("Exactly one of ars, ags and areaId must be given: none, or more than one "
            "(an empty value counts as given), answers 400.")
ROUTES_DOC = {
    **openapi.parameters(
        openapi.query("leikaKey", {"type": "string", "pattern": LEIKA_RE.pattern},
                      "LeiKa key of the Leistung", required=True),
        openapi.query("ars", {"type": "string", "pattern": ARS_RE.pattern},
                      f"Regionalschlüssel (2, 3, 5, 9 or 12 digits). {ONE_AREA}"),
        openapi.query("ags", {"type": "string", "pattern": AGS_RE.pattern},
                      f"Amtlicher Gemeindeschlüssel (2, 3, 5 or 8 digits). {ONE_AREA}"),
        openapi.query("areaId", {"type": "string", "pattern": AREA_ID_RE.pattern},
                      f"An area id from /areas. {ONE_AREA}"),
        *PAGE_PARAMS),
    "description": "The destination responsible for a Leistung in one area, named by exactly "
                   "one of the parameters ars, ags and areaId (as in FIT-Connect). OpenAPI "
                   "cannot say that one of several optional parameters is required, so it is "
                   "said here and in the 400 answer.",
    "responses": {200: openapi.documented(openapi.RoutesPage),
                  400: openapi.explained(
                      "Invalid parameters: leikaKey missing or not a LeiKa key; none or "
                      "several of ars, ags and areaId; a malformed ars, ags or areaId; an "
                      "offset or limit that is empty, not a whole number or out of range")}}
AREAS_DOC = {**openapi.parameters(
    openapi.query("areaSearchexpression", {
        "type": "array", "minItems": 1, "maxItems": 10, "items": {
            "type": "string", "minLength": 2, "maxLength": 100,
            # pieces of two or more characters, one '*' at the start or end, at most two
            # between pieces (the check in the view, written without nested repetition)
            "pattern": r"^\*?[^*]{2,}(\*{1,2}[^*]{2,})*\*?$"}},
        "Name, word of a name or PLZ, '*' as wildcard ('Fulda*', '*burg', '353*'); "
        "several are ANDed", required=True, array=True),
    *PAGE_PARAMS), "responses": {200: openapi.documented(openapi.AreasPage)}}


@routing_api.get("/routes", summary="Destinations responsible for a Leistung in an area",
                 openapi_extra=ROUTES_DOC)
def routes_view(request: HttpRequest, leikaKey: str | None = None,
                ars: str | None = None, ags: str | None = None,
                areaId: str | None = None,
                offset: str | None = None, limit: str | None = None):
    _once(request, "leikaKey", "ars", "ags", "areaId", "offset", "limit")
    if not leikaKey or not LEIKA_RE.fullmatch(leikaKey):
        raise bad_request(_("leikaKey must be a LeiKa key: '99' followed by 12 digits."))
    given = [name for name, value in (("ars", ars), ("ags", ags), ("areaId", areaId))
             if value is not None]
    if len(given) != 1:
        raise bad_request(_("Give exactly one of the parameters ars, ags and areaId."))
    if ars is not None and not ARS_RE.fullmatch(ars):
        raise bad_request(_("ars must have 2, 3, 5, 9 or 12 digits."))
    if ags is not None and not AGS_RE.fullmatch(ags):
        raise bad_request(_("ags must have 2, 3, 5 or 8 digits."))
    if areaId is not None and not AREA_ID_RE.fullmatch(areaId):
        raise bad_request(_("areaId must be a positive whole number."))
    off, lim = _page(offset, limit)
    area = routing.area_by_param(ars=ars, ags=ags, area_id=areaId)
    return routing.routes(leikaKey, area, off, lim)


@routing_api.get("/areas", summary="Find areas by name or PLZ ('*' as wildcard)",
                 openapi_extra=AREAS_DOC)
def areas_view(request: HttpRequest, offset: str | None = None, limit: str | None = None):
    expressions = request.GET.getlist("areaSearchexpression")
    if not 1 <= len(expressions) <= 10:
        raise bad_request(_("Give between 1 and 10 areaSearchexpression parameters."))
    _once(request, "offset", "limit")
    for expr in expressions:
        if problem := routing.expression_problem(expr):
            raise bad_request(problem)
    off, lim = _page(offset, limit)
    return routing.search_areas(expressions, off, lim)


def jwks_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(signing.public_jwks())
    response["Cache-Control"] = "public, max-age=3600"
    return response
