"""The form engine: a compiled definition parses posted steps, evaluates rules and validates.

The server is the source of truth for answers, so every request re-validates the whole draft;
to make that cheap a definition is compiled once (cached by content hash) into items whose
rules are closures. Answers keep what the applicant typed, `validate` returns the normalised
copy that is submitted, with hidden items dropped.
"""

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _

from . import logic, types
from .types import label_of

Answers = dict[str, Any]
_ACTION = "_action"


@dataclass(eq=False)
class Item:
    """One item of a definition with its rules compiled."""

    key: str
    type: str
    spec: dict
    path: str  # dotted, repeated entries left out: "kinder.vorname"
    step: str
    visible: Callable | None = None
    compute: Callable | None = None
    validations: list[tuple[Callable, Any]] = field(default_factory=list)
    children: list["Item"] = field(default_factory=list)

    @property
    def repeat(self) -> dict | None:
        return self.spec.get("repeat") if self.type == "group" else None

    @property
    def label(self) -> Any:
        return self.spec.get("label")


@dataclass(eq=False)
class Step:
    key: str
    title: Any
    items: list[Item]
    visible: Callable | None = None


@dataclass
class _Run:
    cleaned: Answers
    errors: dict[str, list[str]]
    visible_steps: list[str]
    hidden: set[str]
    data: Answers = field(default_factory=dict)  # the answers as evaluated (hidden dropped)


def _getlist(post: Any, name: str) -> list[str] | None:
    """The posted values of a name, or None when it was not posted at all."""
    if hasattr(post, "getlist"):
        return post.getlist(name) if name in post else None
    if name not in post:
        return None
    value = post[name]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _plain_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


class CompiledForm:
    """A definition ready for use; build it with `compile_form`."""

    def __init__(self, definition: dict) -> None:
        self.definition = definition
        self.title = definition.get("title")
        self.by_path: dict[str, Item] = {}
        self.steps = [
            Step(s["key"], s.get("title"), self._items(s["items"], "", s["key"]),
                 logic.compile_rule(s["visible"]) if "visible" in s else None)
            for s in definition["steps"]
        ]
        self.step_keys = [s.key for s in self.steps]
        self._step_by_key = {s.key: s for s in self.steps}

    def _items(self, specs: list[dict], prefix: str, step: str) -> list[Item]:
        items = []
        for spec in specs:
            item = Item(
                key=spec["key"], type=spec["type"], spec=spec, path=prefix + spec["key"],
                step=step,
                visible=logic.compile_rule(spec["visible"]) if "visible" in spec else None,
                compute=logic.compile_rule(spec["compute"]) if "compute" in spec else None,
                validations=[(logic.compile_rule(v["rule"]), v["message"])
                             for v in spec.get("validations", [])],
            )
            if item.type == "group":
                item.children = self._items(spec["items"], item.path + ".", step)
            self.by_path[item.path] = item
            items.append(item)
        return items

    # --- lookup ----------------------------------------------------------------------------

    def item(self, path: str) -> Item | None:
        """The item for an answer path; entry numbers are ignored ("kinder.0.vorname")."""
        return self.by_path.get(".".join(p for p in path.split(".") if not p.isdecimal()))

    def step(self, key: str) -> Step:
        return self._step_by_key[key]

    # --- evaluation ------------------------------------------------------------------------

    def _run(self, answers: Mapping, only_step: str | None = None) -> _Run:
        data = _plain_copy(dict(answers))
        run = _Run({}, {}, [], set(), data)
        lang = (translation.get_language() or "de")[:2]
        for step in self.steps:
            if step.visible is not None and not logic.truthy(step.visible(data, None)):
                for item in step.items:
                    data.pop(item.key, None)
                    run.hidden.add(item.path)
                continue
            run.visible_steps.append(step.key)
            report = only_step is None or only_step == step.key
            self._container(step.items, data, data, None, "", run.cleaned, run, report, lang)
        return run

    def _container(self, items: list[Item], root: Answers, values: dict, scope: dict | None,
                   prefix: str, cleaned: dict, run: _Run, report: bool, lang: str) -> None:
        errors = run.errors
        for item in items:
            key = item.key
            path = prefix + key
            if item.visible is not None and not logic.truthy(item.visible(root, scope)):
                values.pop(key, None)
                run.hidden.add(path)
                continue
            kind = item.type
            if kind == "info":
                continue
            if kind == "group":
                self._group(item, root, values, scope, path, cleaned, run, report, lang)
                continue
            if item.compute is not None:
                value = item.compute(root, scope)
                if value is not None and kind != "boolean":
                    normalised, problem = types.clean(item.spec, value)
                    value = value if problem else normalised
                values[key] = cleaned[key] = value
                continue
            raw = values.get(key)
            problem = None
            if kind == "boolean":
                value = types.clean_boolean(item.spec, raw)
                if item.spec.get("required") and not value:
                    problem = types.required_message(item.spec, lang)
            elif types.is_empty(raw):
                value = [] if kind in ("multichoice", "file") else None
                if item.spec.get("required"):
                    problem = types.required_message(item.spec, lang)
            else:
                value, problem = types.clean(item.spec, raw)
            values[key] = cleaned[key] = value
            if problem is None and item.validations and not types.is_empty(value):
                for rule, message in item.validations:
                    if not logic.truthy(rule(root, scope)):
                        problem = label_of(message, lang)
                        break
            if problem is not None and report:
                errors.setdefault(path, []).append(problem)

    def _group(self, item: Item, root: Answers, values: dict, scope: dict | None, path: str,
               cleaned: dict, run: _Run, report: bool, lang: str) -> None:
        raw = values.get(item.key)
        repeat = item.repeat
        if repeat is None:
            sub = raw if isinstance(raw, dict) else {}
            values[item.key] = sub
            out: dict = {}
            self._container(item.children, root, sub, scope, path + ".", out, run, report, lang)
            cleaned[item.key] = out
            return
        entries = [e if isinstance(e, dict) else {} for e in raw] if isinstance(raw, list) else []
        values[item.key] = entries
        low, high = repeat.get("min", 0), repeat.get("max", 10)
        if item.spec.get("required") and low < 1:
            low = 1
        if report and len(entries) < low:
            run.errors.setdefault(path, []).append(
                _("Add at least %(n)d entries to “%(label)s”.")
                % {"n": low, "label": label_of(item.label, lang)})
        if report and len(entries) > high:
            run.errors.setdefault(path, []).append(
                _("“%(label)s” may have at most %(n)d entries.")
                % {"n": high, "label": label_of(item.label, lang)})
        out_list = []
        for i, entry in enumerate(entries[:high]):
            out = {}
            self._container(item.children, root, entry, entry, f"{path}.{i}.", out, run,
                            report, lang)
            out_list.append(out)
        cleaned[item.key] = out_list

    def validate(self, answers: Mapping, step: str | None = None
                 ) -> tuple[Answers, dict[str, list[str]]]:
        """(cleaned answers, errors by path) — errors of one step or of the whole form.

        Only visible items are validated and kept; computed values are evaluated and set.
        The whole draft is always evaluated because visibility can depend on any step.
        """
        run = self._run(answers, step)
        return run.cleaned, run.errors

    def visible_steps(self, answers: Mapping) -> list[Step]:
        """The steps the applicant goes through with these answers."""
        return self.visibility(answers).steps

    def is_visible(self, path: str, answers: Mapping) -> bool:
        """Whether the item at an answer path (or a step key) is shown for these answers."""
        return self.visibility(answers).is_visible(path)

    def visibility(self, answers: Mapping) -> "Visibility":
        """What is shown for these answers, from one evaluation of the whole form: for a page
        that asks about the steps and several paths (each `is_visible` evaluates it anew)."""
        return Visibility(self, self._run(answers))

    # --- posted data -----------------------------------------------------------------------

    def parse_step(self, step_key: str, post: Any, existing_answers: Mapping) -> Answers:
        """The draft with one step's posted values merged in (values kept as typed).

        Unchecked checkboxes are absent from a POST, so a boolean of this step that is not
        posted is false and a multichoice is empty. File items keep their stored upload ids
        whatever is posted under their names. Entries of a repeated group are the
        indices posted (`kinder.0.vorname`) or `kinder.__count`; `_action=add:kinder` and
        `_action=remove:kinder.1` add or remove an entry.
        """
        answers = _plain_copy(dict(existing_answers))
        self._parse_items(self.step(step_key).items, post, answers, "")
        action = (_getlist(post, _ACTION) or [""])[-1]
        if action.startswith("add:"):
            self._add_entry(answers, action[4:])
        elif action.startswith("remove:"):
            self._remove_entry(answers, action[7:])
        return answers

    def _parse_items(self, items: list[Item], post: Any, values: dict, prefix: str) -> None:
        for item in items:
            name = prefix + item.key
            kind = item.type
            if kind == "info" or item.compute is not None:
                continue
            if kind == "group" and item.repeat is None:
                sub = values.get(item.key)
                sub = sub if isinstance(sub, dict) else {}
                self._parse_items(item.children, post, sub, name + ".")
                values[item.key] = sub
            elif kind == "group":
                old = values.get(item.key)
                old = old if isinstance(old, list) else []
                count = self._posted_entries(post, name)
                entries = []
                for i in range(count):
                    entry = old[i] if i < len(old) and isinstance(old[i], dict) else {}
                    self._parse_items(item.children, post, entry, f"{name}.{i}.")
                    entries.append(entry)
                values[item.key] = entries
            elif kind == "boolean":
                posted = _getlist(post, name) or []
                values[item.key] = any(v.strip().lower() in types._TRUE for v in posted)
            elif kind == "multichoice":
                values[item.key] = [v for v in (_getlist(post, name) or []) if v]
            elif kind == "address":
                old = values.get(item.key)
                address = dict(old) if isinstance(old, dict) else {}
                for sub in types.ADDRESS_FIELDS:
                    posted = _getlist(post, f"{name}.{sub}")
                    if posted is not None:
                        address[sub] = posted[-1] if posted else ""
                if _getlist(post, f"{name}.postal_code") is not None:
                    # a checkbox: not posted means not (or no longer) confirmed
                    confirmed = _getlist(post, f"{name}.{types.PLZ_CONFIRMED}")
                    if confirmed and confirmed[-1]:
                        address[types.PLZ_CONFIRMED] = confirmed[-1]
                    else:
                        address.pop(types.PLZ_CONFIRMED, None)
                values[item.key] = address
            elif kind == "file":
                # The stored list of upload ids changes only when a file is stored or removed
                # (submissions.actions.save_step / remove_upload), never through posted
                # values: an empty file input arrives as an empty text value, and a posted
                # id could name another draft's upload.
                continue
            else:
                posted = _getlist(post, name)
                if posted is not None:
                    values[item.key] = posted[-1] if posted else ""

    @staticmethod
    def _posted_entries(post: Any, name: str) -> int:
        count = 0
        declared = _getlist(post, f"{name}.__count")
        if declared and declared[-1].isdecimal():
            count = int(declared[-1])
        start = name + "."
        for key in post:
            if key.startswith(start):
                head = key[len(start):].split(".", 1)[0]
                if head.isdecimal() and len(head) < 4:
                    count = max(count, int(head) + 1)
        return min(count, 100)

    def _entries_at(self, answers: dict, path: str) -> tuple[list, Item] | None:
        item = self.item(path)
        if item is None or item.repeat is None:
            return None
        container: Any = answers
        parts = path.split(".")
        for part in parts[:-1]:
            if isinstance(container, list) and part.isdecimal() and int(part) < len(container):
                container = container[int(part)]
            elif isinstance(container, dict):
                container = container.setdefault(part, {})
            else:
                return None
        if not isinstance(container, dict):
            return None
        entries = container.get(parts[-1])
        if not isinstance(entries, list):
            entries = container[parts[-1]] = []
        return entries, item

    def _add_entry(self, answers: dict, path: str) -> None:
        found = self._entries_at(answers, path)
        if found is not None:
            entries, item = found
            if len(entries) < item.repeat.get("max", 10):
                entries.append({})

    def _remove_entry(self, answers: dict, path: str) -> None:
        head, _sep, index = path.rpartition(".")
        if not index.isdecimal():
            return
        found = self._entries_at(answers, head)
        if found is not None and int(index) < len(found[0]):
            del found[0][int(index)]

    # --- prefill and summary ---------------------------------------------------------------

    def prefill(self, answers: Mapping, profile: Mapping[str, Any]) -> Answers:
        """Empty fields with a `prefill` attribute filled from the applicant's profile.

        Call it only with the applicant's consent; entries of repeated groups are left alone
        because a profile describes one person.
        """
        result = _plain_copy(dict(answers))
        for step in self.steps:
            self._prefill(step.items, result, profile)
        return result

    def _prefill(self, items: list[Item], values: dict, profile: Mapping) -> None:
        for item in items:
            if item.type == "group" and item.repeat is None:
                sub = values.get(item.key)
                sub = sub if isinstance(sub, dict) else {}
                self._prefill(item.children, sub, profile)
                if sub:
                    values[item.key] = sub
                continue
            attr = item.spec.get("prefill")
            if not attr or not types.is_empty(values.get(item.key)):
                continue
            if item.type == "address":
                source = profile.get(attr) if isinstance(profile.get(attr), dict) else profile
                address = {k: source.get(k) for k in types.ADDRESS_FIELDS if source.get(k)}
                if address:
                    values[item.key] = address
            elif profile.get(attr) not in (None, ""):
                values[item.key] = profile[attr]

    def summary(self, answers: Mapping, lang: str = "de",
                uploads: Mapping[str, str] | None = None
                ) -> list[tuple[str, list[tuple[str, str | None]]]]:
        """Steps with (label, display value) rows for the summary page and the receipt.

        Groups and repeated entries become heading rows whose value is None.
        """
        with translation.override(lang):
            cleaned, _errors = self.validate(answers)
            out = []
            for step in self.visible_steps(answers):
                rows = list(self._rows(step.items, cleaned, lang, uploads or {}))
                out.append((label_of(step.title, lang), rows))
            return out

    def _rows(self, items: list[Item], values: dict, lang: str,
              uploads: Mapping[str, str]) -> Iterator[tuple[str, str | None]]:
        for item in items:
            if item.type == "info" or item.key not in values:
                continue
            label = label_of(item.label, lang)
            value = values[item.key]
            if item.type == "group" and item.repeat is not None:
                for i, entry in enumerate(value):
                    yield f"{label} {i + 1}", None
                    yield from self._rows(item.children, entry, lang, uploads)
            elif item.type == "group":
                yield label, None
                yield from self._rows(item.children, value, lang, uploads)
            else:
                yield label, display(item.spec, value, lang, uploads)


class Visibility:
    """The steps and items shown for one set of answers (see `CompiledForm.visibility`)."""

    def __init__(self, form: CompiledForm, run: _Run) -> None:
        self._form = form
        self._visible_steps = set(run.visible_steps)
        self._hidden = run.hidden
        self._data = run.data
        self.steps = [s for s in form.steps if s.key in self._visible_steps]

    def is_visible(self, path: str) -> bool:
        """Whether the item at an answer path (or a step key) is shown.

        An entry of a repeated group that the answers do not have yet (the first entry a
        page shows for `repeat.min`) is shown as an empty entry: its items' rules are
        evaluated with an empty entry as their scope.
        """
        if path in self._form._step_by_key:
            return path in self._visible_steps
        item = self._form.item(path)
        if item is None or item.step not in self._visible_steps:
            return False
        parts = path.split(".")
        if any(".".join(parts[:i]) in self._hidden for i in range(1, len(parts) + 1)):
            return False
        return self._visible_in_new_entry(self._form.step(item.step).items, parts)

    def _visible_in_new_entry(self, items: list[Item], parts: list[str]) -> bool:
        """False if the path runs through an entry the answers lack and a rule on the way
        hides an item of that (empty) entry; True otherwise (the hidden set decides)."""
        root = self._data
        node: Any = root
        scope: dict | None = None
        new_entry = False
        for part in parts:
            if part.isdecimal():
                index = int(part)
                if not new_entry and isinstance(node, list) and index < len(node) and (
                        isinstance(node[index], dict)):
                    node = scope = node[index]
                else:
                    new_entry = True
                    node = scope = {}
                continue
            found = next((i for i in items if i.key == part), None)
            if found is None:
                return True
            if new_entry and found.visible is not None and not logic.truthy(
                    found.visible(root, scope)):
                return False
            node = node.get(part) if isinstance(node, dict) else None
            items = found.children
        return True


def display(spec: dict, value: Any, lang: str = "de",
            uploads: Mapping[str, str] | None = None) -> str:
    """An answer as the applicant reads it (labels of options, Ja/Nein, local formats)."""
    kind = spec["type"]
    if kind == "boolean":
        return _("Yes") if value else _("No")
    if types.is_empty(value):
        return "—"
    if kind in ("choice", "multichoice"):
        labels = {o["value"]: o["label"] for o in types.options_of(spec)}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(label_of(labels.get(v, v), lang) for v in chosen)
    if kind == "date":
        parsed = types.parse_date(value)
        return formats.date_format(parsed, "SHORT_DATE_FORMAT") if parsed else str(value)
    if kind == "currency":
        amount = types.parse_decimal(value)
        return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)} €" if (
            amount is not None) else str(value)
    if kind in ("decimal", "integer"):
        number = types.parse_decimal(value, spec.get("decimals", 2))
        return formats.number_format(number, use_l10n=True) if number is not None else str(value)
    if kind == "address" and isinstance(value, dict):
        line = " ".join(v for v in (value.get("street"), value.get("house_number")) if v)
        place = " ".join(v for v in (value.get("postal_code"), value.get("place")) if v)
        # Germany is not named; another country by its name, never by its code
        parts = [line, place, types.country_name(value.get("country"), lang)]
        return ", ".join(p for p in parts if p)
    if kind == "file":
        names = uploads or {}
        return ", ".join(names.get(v, v) for v in value)
    return str(value)


@lru_cache(maxsize=64)
def _compile_cached(digest: str, text: str) -> CompiledForm:
    return CompiledForm(json.loads(text))


def definition_hash(defn: Mapping) -> str:
    """The content hash a compiled form is cached by."""
    return hashlib.sha256(_canonical(defn).encode()).hexdigest()


def _canonical(defn: Mapping) -> str:
    return json.dumps(defn, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compile_form(defn: Mapping) -> CompiledForm:
    """The compiled form of a definition that passed `schema.validate_definition`.

    Cached by content hash, so a definition compiled once per process is reused by every
    request; the compiled form owns a private copy of the definition.
    """
    text = _canonical(defn)
    return _compile_cached(hashlib.sha256(text.encode()).hexdigest(), text)



def _walk(items: list[Item]) -> Iterator[Item]:
    for item in items:
        yield item
        yield from _walk(item.children)


def _all_items(form: CompiledForm) -> Iterator[Item]:
    for step in form.steps:
        yield from _walk(step.items)


def has_prefill(form: CompiledForm) -> bool:
    return any(item.spec.get("prefill") for item in _all_items(form))


def computed_paths(form: CompiledForm) -> frozenset[str]:
    return frozenset(item.path for item in _all_items(form) if item.compute is not None)


def step_of(form: CompiledForm, path: str) -> str | None:
    item = form.item(path)
    return item.step if item is not None else None


def upload_ids(form: CompiledForm, answers: Mapping) -> list[str]:
    """Every upload id referenced by the file fields of cleaned answers."""
    found: list[str] = []

    def visit(items: list[Item], values: Any) -> None:
        if not isinstance(values, dict):
            return
        for item in items:
            value = values.get(item.key)
            if item.type == "file" and isinstance(value, list):
                found.extend(str(v) for v in value)
            elif item.type == "group" and item.repeat is not None and isinstance(value, list):
                for entry in value:
                    visit(item.children, entry)
            elif item.type == "group":
                visit(item.children, value)

    for step in form.steps:
        visit(step.items, answers)
    return found


def prefilled_values(form: CompiledForm, answers: Mapping) -> dict[str, Any]:
    """Answers of the items that carry a profile attribute (`prefill`), by attribute; entries
    of repeated groups are left out (they describe other people)."""
    found: dict[str, Any] = {}

    def visit(items: list[Item], values: Any) -> None:
        if not isinstance(values, dict):
            return
        for item in items:
            if item.type == "group" and item.repeat is None:
                visit(item.children, values.get(item.key))
            elif (attr := item.spec.get("prefill")) and not types.is_empty(values.get(item.key)):
                found.setdefault(attr, values[item.key])

    for step in form.steps:
        visit(step.items, answers)
    return found


def summary_sections(form: CompiledForm, answers: Mapping, lang: str | None = None,
                     uploads: Mapping[str, str] | None = None) -> list[dict]:
    """The summary as `[{"step", "title", "rows": [(label, value)]}]`; labels inside groups
    carry the group's label ("Kind 1 – Vorname") so every row stands on its own."""
    lang = (lang or translation.get_language() or "de")[:2]
    with translation.override(lang):
        cleaned, _errors = form.validate(answers)
        sections = []
        for step in form.visible_steps(answers):
            rows: list[tuple[str, str]] = []
            _summary_rows(step.items, cleaned, lang, uploads or {}, "", rows)
            sections.append({"step": step.key, "title": label_of(step.title, lang),
                             "rows": rows})
        return sections


def _summary_rows(items: list[Item], values: Any, lang: str, uploads: Mapping[str, str],
                  prefix: str, rows: list) -> None:
    if not isinstance(values, dict):
        return
    for item in items:
        if item.type == "info" or item.key not in values:
            continue
        label = label_of(item.label, lang)
        value = values[item.key]
        if item.type == "group" and item.repeat is not None:
            for i, entry in enumerate(value or []):
                _summary_rows(item.children, entry, lang, uploads, f"{prefix}{label} {i + 1} – ",
                              rows)
        elif item.type == "group":
            _summary_rows(item.children, value, lang, uploads, f"{prefix}{label} – ", rows)
        else:
            rows.append((prefix + label, display(item.spec, value, lang, uploads)))
