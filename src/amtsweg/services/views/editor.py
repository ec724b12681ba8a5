"""The version editor: settings, steps and items, the whole definition as JSON, and the live
preview. Every change is one `save_version` call with the page's lock_version; without
JavaScript every button is a plain form post, with htmx the item form also refreshes the
preview as the designer types."""

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amtsweg.core import bodylimit
from amtsweg.forms.render import render_step
from amtsweg.forms.schema import validate_definition

from .. import actions, editing
from ..forms import AddItemForm, ItemForm, JsonDefinitionForm, SettingsForm, StepForm
from ..models import ServiceVersion, text
from .common import designer_view, problem_rows, version_for_design

SETTINGS_FIELDS = {"trust_level": "trust_level", "applicants": "applicants", "fee": "fee",
                   "processing": "processing_de", "declaration": "declaration_de"}


def _json_allowance(request: HttpRequest, kwargs: dict) -> int:
    """The whole definition can be posted as JSON: as much form data as Django reads."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE - settings.REQUEST_BODY_LIMIT


bodylimit.allow("services:editor", _json_allowance)


class Invalid(Exception):
    """A posted form did not parse; it is shown again with its errors."""


@dataclass
class EditorState:
    version: ServiceVersion
    step: int = 0
    addr: editing.Addr | None = None
    bound: dict[str, django_forms.Form] = field(default_factory=dict)
    problems: list = field(default_factory=list)
    open_settings: bool = False
    conflict: bool = False


def _text(d: dict, prefix: str) -> dict:
    return editing.text_pair(d[f"{prefix}_de"].strip(), d[f"{prefix}_en"].strip()) or {}


def _lock(post) -> int:
    try:
        return int(post.get("lock_version", ""))
    except ValueError:
        return -1


def _bind(state: EditorState, name: str, form: django_forms.Form) -> Any:
    state.bound[name] = form
    if not form.is_valid():
        raise Invalid
    return form.cleaned_data


def _changes(op: str, post, state: EditorState) -> dict:
    """The changes an editor post asks for; selects what the page shows afterwards."""
    defn = state.version.form
    addr = editing.parse_addr(post.get("addr"))
    if op == "settings":
        state.open_settings = True
        form = SettingsForm(post, prefix="settings")
        _bind(state, "settings", form)
        return form.changes(state.version)
    if op == "json":
        return {"form": _bind(state, "json", JsonDefinitionForm(post, prefix="json"))[
            "definition"]}
    if op == "step_add":
        d = _bind(state, "add_step", StepForm(post, prefix="newstep"))
        new, added = editing.add_step(defn, _text(d, "title"), d["key"])
        state.step = added[0]
        return {"form": new}
    if addr is None:
        raise editing.EditError("")
    state.step = addr[0]
    state.addr = addr if len(addr) > 1 else None
    if op in ("step_save", "item_save") and (len(addr) > 1) != (op == "item_save"):
        raise editing.EditError(op)
    if op == "step_save":
        d = _bind(state, "step", StepForm(post, prefix="step"))
        step = editing.get(defn, addr)
        return {"form": editing.set_step(defn, addr, _text(d, "title"),
                                         d["key"] or step["key"])}
    if op in ("up", "down"):
        new, moved = editing.move(defn, addr, -1 if op == "up" else 1)
        state.step = moved[0]
        state.addr = moved if len(moved) > 1 else None
        return {"form": new}
    if op == "delete":
        new = editing.delete(defn, addr)
        state.addr = addr[:-1] if len(addr) > 2 else None
        state.step = min(addr[0], max(len(new["steps"]) - 1, 0))
        return {"form": new}
    if op == "item_add":
        d = _bind(state, "add_item", AddItemForm(post, prefix="newitem"))
        new, state.addr = editing.add_item(defn, addr, d["type"], _text(d, "label"), d["key"])
        return {"form": new}
    if op == "item_save":
        old = editing.get(defn, addr)
        d = _bind(state, "item", ItemForm(post, kind=old.get("type", "text")))
        return {"form": editing.replace(defn, addr, editing.build_item(old, d))}
    raise editing.EditError(op)


def _attach(state: EditorState, problems) -> None:
    """Show each problem at the field it concerns, if that field is on the page."""
    for p in problems:
        addr, rest = editing.split_path(p.path)
        form, name = None, None
        if not p.path.startswith("form"):
            form = state.bound.get("settings")
            name = SETTINGS_FIELDS.get(p.path.split(".")[0])
        elif "json" in state.bound:
            form, name = state.bound["json"], "definition"
        elif "item" in state.bound and addr == state.addr:
            form, name = state.bound["item"], editing.field_for(rest)
        elif "add_item" in state.bound and addr == state.addr:
            form, name = state.bound["add_item"], editing.field_for(rest)
        elif ("step" in state.bound or "add_step" in state.bound) and len(addr) == 1:
            form = state.bound.get("step") or state.bound["add_step"]
            name = {"title": "title_de", "key": "key"}.get(
                rest.split(".")[0])
        if form is not None:
            form.add_error(name if name in form.fields else None,
                           f"{p.message} ({p.path})" if name == "definition" else p.message)


def editor_url(version: ServiceVersion, step: int = 0, addr: editing.Addr | None = None) -> str:
    url = reverse("services:editor", args=[version.service.slug, version.number])
    query = {"schritt": step}
    if addr and len(addr) > 1:
        query["element"] = editing.addr_str(addr)
    return f"{url}?{urlencode(query)}"


@designer_view
@require_http_methods(["GET", "POST"])
def editor(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = version_for_design(request, slug, number)
    state = EditorState(version)
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            changes = _changes(op, request.POST, state)
        except Invalid:
            status = 400
        except editing.EditError:
            messages.error(request, _("This part of the form no longer exists; the page shows "
                                      "the current state."))
            return redirect(editor_url(version))
        else:
            try:
                saved = actions.save_version(request.user, version, changes,
                                             _lock(request.POST))
            except actions.ServiceError as exc:
                status = 409 if _lock(request.POST) != _current_lock(version) else 400
                state.conflict = status == 409
                state.problems = problem_rows(exc.problems)
                _attach(state, exc.problems)
                version.refresh_from_db()
            else:
                messages.success(request, _("Saved."))
                return redirect(editor_url(saved, state.step, state.addr))
    else:
        addr = editing.parse_addr(request.GET.get("element"))
        state.addr = addr if addr and len(addr) > 1 else None
        try:
            state.step = addr[0] if addr else int(request.GET.get("schritt", 0))
        except ValueError:
            state.step = 0
    return render(request, "services/editor.html", _context(state), status=status)


def _current_lock(version: ServiceVersion) -> int:
    return ServiceVersion.objects.values_list("lock_version", flat=True).get(pk=version.pk)


def _tree(items: list[dict], prefix: editing.Addr, selected: editing.Addr | None) -> list[dict]:
    rows = []
    for i, item in enumerate(items):
        addr = (*prefix, i)
        rows.append({
            "addr": editing.addr_str(addr), "key": item.get("key", ""),
            "type": item.get("type", ""), "required": item.get("required", False),
            "label": text(item.get("label") or item.get("text")) or item.get("key", ""),
            "selected": addr == selected, "first": i == 0, "last": i == len(items) - 1,
            "has_rule": any(k in item for k in ("visible", "compute", "validations")),
            "children": _tree(item["items"], addr, selected) if item.get("type") == "group"
            else None})
    return rows


def step_preview(definition: dict, step: int) -> dict:
    steps = definition.get("steps") or []
    if not steps:
        return {"title": "", "fields": ""}
    s = steps[min(step, len(steps) - 1)]
    # What a citizen sees first: the portal's default language, German.
    with translation.override("de"):
        return {"title": text(s.get("title")),
                "fields": render_step(definition, s["key"], {}, {}, default_action=None)}


def _context(state: EditorState) -> dict:
    version = state.version
    defn = version.form
    steps = defn.get("steps") or []
    state.step = max(0, min(state.step, len(steps) - 1))
    item = None
    if state.addr:
        try:
            item = editing.get(defn, state.addr)
        except editing.EditError:
            state.addr = None
    step = steps[state.step] if steps else None
    step_addr = (state.step,)
    item_form = None
    if item is not None:
        item_form = state.bound.get("item") or ItemForm(initial=editing.item_initial(item),
                                                        kind=item.get("type", "text"))
    add_parent = state.addr if item is not None and item.get("type") == "group" else step_addr
    return {
        "service": version.service, "version": version, "editable": version.editable,
        "notes": defn.get("notes") or [], "problems": state.problems,
        "conflict": state.conflict, "open_settings": state.open_settings,
        "steps": [{"index": i, "addr": str(i), "key": s.get("key"),
                   "title": text(s.get("title")), "current": i == state.step,
                   "first": i == 0, "last": i == len(steps) - 1} for i, s in enumerate(steps)],
        "step": step, "step_index": state.step, "step_addr": str(state.step),
        "tree": _tree(step.get("items") or [], step_addr, state.addr) if step else [],
        "item": item, "item_addr": editing.addr_str(state.addr) if state.addr else "",
        "item_form": item_form, "shown": item_form.visible_fields_for_kind() if item_form
        else {},
        "item_path": editing.schema_path(state.addr) if state.addr else "",
        "add_parent": editing.addr_str(add_parent), "add_into_group": add_parent != step_addr,
        "settings_form": state.bound.get("settings") or SettingsForm(
            initial=SettingsForm.initial_for(version), prefix="settings"),
        "step_form": state.bound.get("step") or StepForm(prefix="step", initial={
            "title_de": (step or {}).get("title", {}).get("de", ""),
            "title_en": (step or {}).get("title", {}).get("en", ""),
            "key": (step or {}).get("key", "")}),
        "add_step_form": state.bound.get("add_step") or StepForm(prefix="newstep"),
        "add_item_form": state.bound.get("add_item") or AddItemForm(prefix="newitem"),
        "json_form": state.bound.get("json") or JsonDefinitionForm(prefix="json", initial={
            "definition": json.dumps(defn, ensure_ascii=False, indent=2)}),
        "open_json": "json" in state.bound,
        "preview": step_preview(defn, state.step),
    }


@designer_view
@require_POST
def preview(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The current step with the posted (unsaved) item, and the problems of that candidate.
    Nothing is saved."""
    version = version_for_design(request, slug, number)
    defn = version.form
    addr = editing.parse_addr(request.POST.get("addr"))
    problems: list[dict] = []
    candidate = defn
    try:
        if addr is None or len(addr) < 2:
            raise editing.EditError("")
        old = editing.get(defn, addr)
    except editing.EditError:
        return render(request, "services/_preview.html", {
            "preview": step_preview(defn, 0), "problems": [{"path": "", "message": _(
                "This part of the form no longer exists; reload the page.")}]})
    form = ItemForm(request.POST, kind=old.get("type", "text"))
    if form.is_valid():
        candidate = editing.replace(defn, addr, editing.build_item(old, form.cleaned_data))
        errors = validate_definition(candidate)
        if errors:
            problems = [{"path": e.path, "message": e.message} for e in errors]
            candidate = defn
    else:
        problems = [{"path": f"{editing.schema_path(addr)}.{name}" if name != "__all__" else "",
                     "label": form.fields[name].label if name in form.fields else "",
                     "message": m} for name, ms in form.errors.items() for m in ms]
    return render(request, "services/_preview.html", {
        "preview": step_preview(candidate, addr[0]), "problems": problems})
