"""What the OpenAPI documents promise beyond what ninja derives from the signatures.

ninja documents a 200 and the codes an operation lists; the APIs also answer 400 (bad
parameters or body), 413 (body too large), 429 (rate limit), 401/403 (missing or weak token)
and 404 (unknown id), every error as application/problem+json. `complete` adds those to every
operation from what the operation has (parameters, a body, security, path parameters), so a
new endpoint is documented the moment it exists; tests/api/test_openapi_conformance.py runs
schemathesis against both documents and fails on any answer they do not describe.

Operations whose parameters ninja cannot see (checked by hand in the view) or whose answers
are plain dicts declare them with `parameters()` and `documented()` in `openapi_extra`.
"""

from typing import Any

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is a sentence in the language asked "
                   "for (Accept-Language), German by default.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}
DESCRIPTIONS = {
    400: "Invalid parameters or body",
    401: "No valid API client token",
    403: "The token lacks the scope this needs",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "The document cannot be processed",
    429: "Rate limit used up (see Retry-After)",
}
RATE_LIMIT_HEADERS = {
    name: {"description": text, "schema": {"type": "integer", "minimum": 0}}
    for name, text in (("RateLimit-Limit", "Requests allowed per window"),
                       ("RateLimit-Remaining", "Requests left in this window"),
                       ("RateLimit-Reset", "Seconds until the window ends"))}

EXPLAINED = "x-amtsweg-explained"  # marks a description `complete` keeps (see `explained`)

# Response models that appear only in documentation (the view returns plain dicts).
_DOC_MODELS: dict[str, type[BaseModel]] = {}


def documented(model: type[BaseModel], description: str = "OK") -> dict:
    """A 200 response whose body is described by `model`, for `openapi_extra["responses"]`."""
    _DOC_MODELS[model.__name__] = model
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}


def explained(description: str) -> dict:
    """An error answer of one operation with its own description (instead of the general one
    of its status code), for `openapi_extra["responses"]`."""
    return {"description": description, EXPLAINED: True}


def query(name: str, schema: dict, description: str, *, required: bool = False,
          array: bool = False) -> dict:
    """A query parameter as OpenAPI has it (repeated `name=…` for an array)."""
    param: dict[str, Any] = {"in": "query", "name": name, "required": required,
                             "description": description, "schema": schema}
    if array:
        param.update(style="form", explode=True)
    return param


def parameters(*params: dict) -> dict:
    """`openapi_extra` for an operation that reads its parameters by hand: these replace what
    ninja derived from the signature (see `complete`)."""
    return {"parameters": list(params)}


def complete(schema: dict) -> dict:
    """Add the answers every operation can give and problem+json bodies to `schema`."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name, model in _DOC_MODELS.items():
        doc = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(doc.pop("$defs", {}))
        schemas[name] = doc
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            _complete_operation(operation)
    return schema


def _complete_operation(operation: dict) -> None:
    params = operation.get("parameters", [])
    operation["responses"] = {str(k): v for k, v in operation.get("responses", {}).items()}
    # Parameters declared by hand come last (ninja appends openapi_extra) and win.
    by_key = {(p["in"], p["name"]): p for p in params}
    if params:
        operation["parameters"] = list(by_key.values())
    codes = {429}
    if params or "requestBody" in operation:
        codes.add(400)
    if "requestBody" in operation:
        codes.add(413)
    if operation.get("security"):
        codes |= {401, 403}
    if any(p["in"] == "path" for p in params):
        codes.add(404)
    responses = operation["responses"]
    for code in codes:
        responses.setdefault(str(code), {})
    for code, response in list(responses.items()):
        if int(code) >= 400:
            own = response.get("description", "") if response.get(EXPLAINED) else ""
            responses[code] = {
                "description": own or DESCRIPTIONS.get(int(code), response.get("description", "")),
                "content": {PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}}
        responses[code].setdefault("headers", {}).update(RATE_LIMIT_HEADERS)


# --- documentation models of answers built as dicts ----------------------------------------

class TextDe(BaseModel):
    description: dict[str, str] = Field(description="German text; `en` carries it too")


class Address(BaseModel):
    street: str
    houseNumber: str
    zip: str
    city: str


class ProcessingDuration(BaseModel):
    minDuration: int | None
    maxDuration: int | None
    unit: str


class Route(BaseModel):
    destinationId: str = Field(description="UUID of the receiving Behörde")
    destinationSignature: str = Field(description="Compact JWS, PS512 (docs/routing-api.md)")
    destinationName: str
    destinationShortName: str
    contactPersons: list[dict[str, Any]]
    address: Address
    privacyPolicyUrl: str | None = None
    imprintUrl: str | None = None
    accessibilityUrl: str | None = None
    furtherInformation: TextDe
    requiredDocuments: TextDe
    legalBasis: TextDe
    processingDuration: ProcessingDuration
    origin: str


class RoutesPage(BaseModel):
    count: int
    offset: int
    totalCount: int
    routes: list[Route]


class AreaItem(BaseModel):
    id: str
    name: str
    type: str


class AreasPage(BaseModel):
    count: int
    offset: int
    totalCount: int
    areas: list[AreaItem]


class FimConversion(BaseModel):
    definition: dict[str, Any] = Field(description="An amtsweg.form/1 definition")
    notes: list[Any]
    warnings: list[str]
    version: str
    kind: str


class ServiceExport(BaseModel):
    """The export format `amtsweg.service/1` (docs/services.md)."""

    format: str
    model_config = {"extra": "allow"}
