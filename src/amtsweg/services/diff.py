"""A readable comparison of two versions: which settings changed, which steps and items were
added, removed or changed, and how (label, type, required, constraints, rules).

Items are matched by their answer path (keys, dotted through groups) because that is what
identifies an answer across versions; moving an item to another step is a change of its step.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .models import ServiceVersion, text

SETTINGS = ("trust_level", "applicants", "fee", "attachments", "processing", "declaration")


@dataclass
class Change:
    name: str
    old: str
    new: str


@dataclass
class Entry:
    kind: str  # added, removed, changed
    path: str
    label: str
    item_type: str = ""
    changes: list[Change] = field(default_factory=list)


@dataclass
class Diff:
    settings: list[Change]
    steps: list[Entry]
    items: list[Entry]

    @property
    def empty(self) -> bool:
        return not (self.settings or self.steps or self.items)


def show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict) and set(value) <= {"de", "en"}:
        return " / ".join(v for v in (value.get("de"), value.get("en")) if v)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _names() -> dict[str, str]:
    return {
        "trust_level": _("trust level"), "applicants": _("who may apply"), "fee": _("fee"),
        "attachments": _("attachments"), "processing": _("processing"),
        "declaration": _("declaration"), "label": _("label"), "type": _("type"),
        "required": _("required"), "help": _("help text"), "text": _("text"),
        "visible": _("visible if"), "compute": _("computed value"),
        "validations": _("validations"), "options": _("options"), "codelist": _("code list"),
        "step": _("step"), "title": _("title"), "key": _("key"), "items": _("fields"),
    }


def _compare(old: dict, new: dict, skip: tuple[str, ...] = ()) -> list[Change]:
    names = _names()
    changes = []
    for key in sorted(set(old) | set(new), key=lambda k: (k not in names, k)):
        if key in skip or old.get(key) == new.get(key):
            continue
        changes.append(Change(names.get(key, key.replace("_", " ")), show(old.get(key)),
                              show(new.get(key))))
    return changes


def _flatten(definition: dict) -> dict[str, tuple[str, dict]]:
    """answer path → (step key, item) for every item, groups included."""
    out: dict[str, tuple[str, dict]] = {}

    def walk(items: list[dict], prefix: str, step: str) -> None:
        for item in items:
            path = f"{prefix}{item.get('key', '')}"
            out[path] = (step, item)
            if item.get("type") == "group":
                walk(item.get("items") or [], f"{path}.", step)

    for step in definition.get("steps") or []:
        walk(step.get("items") or [], "", step.get("key", ""))
    return out


def _label(item: dict) -> str:
    return text(item.get("label") or item.get("title") or item.get("text"))


def compare_versions(a: ServiceVersion, b: ServiceVersion) -> Diff:
    settings = _compare({k: getattr(a, k) for k in SETTINGS}, {k: getattr(b, k) for k in SETTINGS})
    old_steps = {s["key"]: s for s in a.form.get("steps") or []}
    new_steps = {s["key"]: s for s in b.form.get("steps") or []}
    steps = []
    for key in [*old_steps, *(k for k in new_steps if k not in old_steps)]:
        old, new = old_steps.get(key), new_steps.get(key)
        if old is None:
            steps.append(Entry("added", key, _label(new)))
        elif new is None:
            steps.append(Entry("removed", key, _label(old)))
        elif changes := _compare(old, new, skip=("items",)):
            steps.append(Entry("changed", key, _label(new), changes=changes))
    old_items, new_items = _flatten(a.form), _flatten(b.form)
    items = []
    for path in [*old_items, *(p for p in new_items if p not in old_items)]:
        old, new = old_items.get(path), new_items.get(path)
        if old is None:
            items.append(Entry("added", path, _label(new[1]), new[1].get("type", "")))
        elif new is None:
            items.append(Entry("removed", path, _label(old[1]), old[1].get("type", "")))
        else:
            changes = _compare({**old[1], "step": old[0]}, {**new[1], "step": new[0]},
                               skip=("items",))
            if changes:
                items.append(Entry("changed", path, _label(new[1]), new[1].get("type", ""),
                                   changes))
    return Diff(settings, steps, items)
