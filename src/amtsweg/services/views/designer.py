"""The designer's pages around the editor: list, create (from scratch, FIM, copy, file),
a service's versions, publish, retire, new draft, export and compare."""

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amtsweg.catalog.search import search
from amtsweg.core import bodylimit
from amtsweg.forms.fim import FimError, import_xdatenfelder

from .. import actions
from ..diff import compare_versions
from ..forms import MAX_UPLOAD, CopyForm, CreateForm, FimForm, ImportForm
from ..models import ServiceVersion
from .common import (
    designable_services,
    designer_view,
    problem_rows,
    service_for_design,
    version_for_design,
    visible_services,
)


@designer_view
@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    services = designable_services(request.user).prefetch_related("versions")
    return render(request, "services/list.html", {"services": services})


@designer_view
@require_GET
def leistung_search(request: HttpRequest) -> HttpResponse:
    """Options for the Leistung field's datalist (htmx)."""
    q = request.GET.get("q") or next(
        (v for k, v in request.GET.items() if k.endswith("leistung")), "")
    q = q.strip()[:100]
    hits = search(q, 15) if len(q) >= 2 else []
    return render(request, "services/_leistung_options.html", {"hits": hits})


bodylimit.allow("services:create", MAX_UPLOAD)
CREATE_FORMS = {"scratch": CreateForm, "fim": FimForm, "import": ImportForm, "copy": CopyForm}


@designer_view
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    authorities = actions.designable_authorities(request.user)
    cooperations = actions.designable_cooperations(request.user)
    sources = visible_services(request.user).order_by("slug")
    how = request.POST.get("how") if request.method == "POST" else None
    problems: list = []
    bound = {}
    if how in CREATE_FORMS:
        kwargs = {"authorities": authorities, "cooperations": cooperations}
        if how == "copy":
            kwargs["sources"] = sources
        form = CREATE_FORMS[how](request.POST, request.FILES, prefix=how, **kwargs)
        bound[how] = form
        if form.is_valid():
            try:
                service = _create(request, how, form)
            except actions.ServiceError as exc:
                problems = problem_rows(exc.problems)
            except FimError as exc:
                form.add_error("file", str(exc))
            except PermissionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The service was created as a draft."))
                version = service.versions.order_by("-number").first()
                return redirect("services:editor", slug=service.slug, number=version.number)
    forms = {}
    for key, cls in CREATE_FORMS.items():
        kwargs = {"authorities": authorities, "cooperations": cooperations, "prefix": key}
        if key == "copy":
            kwargs["sources"] = sources
        forms[key] = bound.get(key) or cls(**kwargs)
    return render(request, "services/create.html", {
        "forms": forms, "how": how, "problems": problems}, status=400 if how else 200)


def _title(d: dict) -> dict:
    title = {"de": d["title_de"].strip()}
    if d.get("title_en", "").strip():
        title["en"] = d["title_en"].strip()
    return title


def _create(request: HttpRequest, how: str, form):
    d = form.cleaned_data
    user, owner = request.user, form.owner_kwargs()
    if how == "scratch":
        return actions.create_service(user, leistung=d["leistung"], title=_title(d), **owner)
    if how == "fim":
        result = import_xdatenfelder(d["file"])
        definition = dict(result.definition)
        definition["title"] = _title(d)
        notes = list(definition.get("notes") or [])
        notes += [{"source": "FIM", "text": w} for w in result.warnings]
        if notes:
            definition["notes"] = notes
        return actions.create_service(user, leistung=d["leistung"], title=_title(d),
                                      version={"form": definition}, **owner)
    if how == "import":
        return actions.import_service(user, d["file"], **owner)
    return actions.copy_service(user, d["source"], **owner)


@designer_view
@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = service_for_design(request, slug)
    versions = list(service.versions.order_by("-number"))
    return render(request, "services/detail.html", {
        "service": service, "versions": versions,
        "has_draft": any(v.state == ServiceVersion.State.DRAFT for v in versions),
        "adoptions": service.adoptions.filter(active=True).select_related("authority",
                                                                          "version")})


@designer_view
@require_POST
def new_draft(request: HttpRequest, slug: str) -> HttpResponse:
    service = service_for_design(request, slug)
    version = actions.new_draft(request.user, service)
    messages.success(request, _("Version %(n)d is the draft you can edit.") % {"n": version.number})
    return redirect("services:editor", slug=slug, number=version.number)


@designer_view
@require_POST
def publish(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = version_for_design(request, slug, number)
    try:
        actions.publish(request.user, version)
    except actions.ServiceError as exc:
        for p in exc.problems:
            messages.error(request, f"{p.path}: {p.message}" if p.path else p.message)
        return redirect("services:editor", slug=slug, number=number)
    messages.success(request, _("Version %(n)d is published.") % {"n": number})
    return redirect("services:detail", slug=slug)


@designer_view
@require_POST
def retire(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = version_for_design(request, slug, number)
    try:
        actions.retire(request.user, version)
    except actions.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Version %(n)d is retired: no new applications.")
                         % {"n": number})
    return redirect("services:detail", slug=slug)


@designer_view
@require_GET
def export(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = version_for_design(request, slug, number)
    data = json.dumps(actions.export_service(version), ensure_ascii=False, indent=2)
    response = HttpResponse(data + "\n", content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-v{number}.json"'
    return response


@designer_view
@require_GET
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    service = service_for_design(request, slug)
    versions = list(service.versions.order_by("number"))
    by_number = {v.number: v for v in versions}

    def pick(name: str, default: int) -> ServiceVersion | None:
        try:
            return by_number.get(int(request.GET.get(name, default)))
        except ValueError:
            return None

    a = pick("a", versions[-2].number if len(versions) > 1 else versions[0].number)
    b = pick("b", versions[-1].number)
    diff = compare_versions(a, b) if a and b else None
    return render(request, "services/compare.html", {
        "service": service, "versions": versions, "a": a, "b": b, "diff": diff},
        status=200 if a and b else 404)
