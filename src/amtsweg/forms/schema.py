"""The JSON Schema of `amtsweg.form/1` and the checks that a schema cannot express.

A definition is saved only when `validate_definition` returns no errors; every error names
the place in the definition (`steps[1].items[3].options[0].value`) so that an editor can
jump to it. The compiled validator is built once per process because saving a form must stay
well under 100 ms.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from amtsweg.core import patterns

from . import codelists, logic

FORMAT = "amtsweg.form/1"
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
DATE_LIMIT_PATTERN = r"^(\d{4}-\d{2}-\d{2}|today([+-]P\d{1,3}[YMD])?)$"
MAX_ANSWER_ITEMS = 1000
MAX_STEPS = 30
MAX_DEPTH = 5
MAX_OPTIONS = 200
MAX_RULES = 500
MAX_PATTERN = patterns.MAX_LENGTH
PREFILL_ATTRIBUTES = ("given_name", "family_name", "birth_date", "birth_place", "street",
                      "house_number", "postal_code", "place", "country", "email", "phone",
                      "salutation", "address")
ADDRESS_FIELDS = ("street", "house_number", "postal_code", "place", "country")
ANSWER_TYPES = ("text", "textarea", "integer", "decimal", "currency", "date", "boolean",
                "choice", "multichoice", "email", "phone", "iban", "address", "file")
ITEM_TYPES = (*ANSWER_TYPES, "info", "group")

_TEXT = {"type": "object", "required": ["de"], "additionalProperties": False,
         "properties": {"de": {"type": "string", "minLength": 1, "maxLength": 20000},
                        "en": {"type": "string", "maxLength": 20000}}}
_RULE: dict = {}
_NN_INT = {"type": "integer", "minimum": 0}
_COMMON = {
    "type": {"enum": list(ITEM_TYPES)},
    "key": {"type": "string", "pattern": KEY_PATTERN},
    "visible": {"$ref": "#/$defs/rule"},
    "fim_id": {"type": "string", "pattern": r"^[FG][0-9A-Za-z]{1,30}$"},
    "fim_version": {"type": "string", "maxLength": 20},
    "label": {"$ref": "#/$defs/text"},
    "help": {"$ref": "#/$defs/text"},
}
_ANSWER_COMMON = {
    **_COMMON,
    "required": {"type": "boolean"},
    "compute": {"$ref": "#/$defs/rule"},
    "prefill": {"enum": list(PREFILL_ATTRIBUTES)},
    "validations": {"type": "array", "maxItems": 50, "items": {
        "type": "object", "required": ["rule", "message"], "additionalProperties": False,
        "properties": {"rule": {"$ref": "#/$defs/rule"}, "message": {"$ref": "#/$defs/text"}}}},
}
_CHOICE = {
    "options": {"type": "array", "minItems": 1, "maxItems": MAX_OPTIONS,
                "items": {"$ref": "#/$defs/option"}},
    "codelist": {"type": "string"},
}
_EXTRA: dict[str, dict] = {
    "text": {"min_length": _NN_INT, "max_length": {"type": "integer", "minimum": 1,
                                                   "maximum": 5000},
             "pattern": {"type": "string", "maxLength": MAX_PATTERN},
             "pattern_message": {"$ref": "#/$defs/text"}},
    "textarea": {"min_length": _NN_INT, "max_length": {"type": "integer", "minimum": 1,
                                                       "maximum": 100000}},
    "integer": {"min": {"type": "integer"}, "max": {"type": "integer"}},
    "decimal": {"min": {"type": "number"}, "max": {"type": "number"},
                "decimals": {"type": "integer", "minimum": 0, "maximum": 6}},
    "currency": {"min": {"type": "number"}, "max": {"type": "number"}},
    "date": {"min": {"type": "string", "pattern": DATE_LIMIT_PATTERN},
             "max": {"type": "string", "pattern": DATE_LIMIT_PATTERN}},
    "boolean": {},
    "choice": {**_CHOICE, "widget": {"enum": ["radio", "select"]}},
    "multichoice": {**_CHOICE, "min_items": _NN_INT, "max_items": _NN_INT},
    "email": {},
    "phone": {},
    "iban": {"countries": {"type": "array", "items": {"type": "string",
                                                      "pattern": "^[A-Z]{2}$"}}},
    "address": {"country": {"type": "string", "pattern": "^[A-Z]{2}$"}},
    "file": {"file": {"type": "object", "additionalProperties": False, "properties": {
        "types": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z]+/[\w.+-]+$"}},
        "max_size": {"type": "integer", "minimum": 1}, "max_count": {"type": "integer",
                                                                     "minimum": 1},
        "min_count": _NN_INT}}},
}


def _item_schema(kind: str) -> dict:
    if kind == "info":
        props = {**_COMMON, "text": {"$ref": "#/$defs/text"}}
        required = ["type", "key", "text"]
    elif kind == "group":
        props = {**_COMMON, "items": {"$ref": "#/$defs/items"},
                 "repeat": {"type": "object", "additionalProperties": False,
                            "properties": {"min": _NN_INT, "max": {"type": "integer",
                                                                   "minimum": 1,
                                                                   "maximum": 100}}}}
        required = ["type", "key", "label", "items"]
    else:
        props = {**_ANSWER_COMMON, **_EXTRA[kind]}
        required = ["type", "key", "label"]
    return {"type": "object", "required": required, "properties": props,
            "additionalProperties": False}


DEFINITION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://amtsweg.de/schema/amtsweg.form-1.json",
    "title": "amtsweg.form/1",
    "type": "object",
    "required": ["format", "title", "steps"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": FORMAT},
        "title": {"$ref": "#/$defs/text"},
        "fim": {"type": "object", "additionalProperties": False, "properties": {
            "id": {"type": "string"}, "version": {"type": "string"},
            "name": {"type": "string"}}},
        "steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS,
                  "items": {"$ref": "#/$defs/step"}},
        "notes": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["text"],
            "properties": {"source": {"type": "string"}, "text": {"type": "string"}}}},
    },
    "$defs": {
        "text": _TEXT,
        "rule": _RULE,
        "option": {"type": "object", "required": ["value", "label"],
                   "additionalProperties": False,
                   "properties": {"value": {"type": "string", "minLength": 1, "maxLength": 100},
                                  "label": {"$ref": "#/$defs/text"}}},
        "step": {"type": "object", "required": ["key", "title", "items"],
                 "additionalProperties": False,
                 "properties": {"key": {"type": "string", "pattern": KEY_PATTERN},
                                "title": {"$ref": "#/$defs/text"},
                                "help": {"$ref": "#/$defs/text"},
                                "visible": {"$ref": "#/$defs/rule"},
                                "items": {"$ref": "#/$defs/items"}}},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
        "item": {
            "type": "object",
            "required": ["type", "key"],
            "properties": {"type": {"enum": list(ITEM_TYPES)}},
            "allOf": [{"if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
                       "then": {"$ref": f"#/$defs/item_{kind}"}} for kind in ITEM_TYPES],
        },
        **{f"item_{kind}": _item_schema(kind) for kind in ITEM_TYPES},
    },
}


@dataclass(frozen=True)
class DefinitionError:
    """One problem of a definition: where it is and what is wrong, in the user's language."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def format_path(parts: Any) -> str:
    """("steps", 1, "items", 3) → "steps[1].items[3]"."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@cache
def _validators() -> tuple[Draft202012Validator, dict[str, Draft202012Validator]]:
    """The schema split for speed: one validator for the frame (with items only checked for
    `type` and `key`) and one per item type. Dispatching on `type` here instead of 16
    `if`/`then` branches per item makes validation about ten times faster; the errors are
    the same as with DEFINITION_SCHEMA."""
    Draft202012Validator.check_schema(DEFINITION_SCHEMA)
    defs = DEFINITION_SCHEMA["$defs"]
    frame_item = {key: value for key, value in defs["item"].items() if key != "allOf"}
    frame = {**DEFINITION_SCHEMA, "$defs": {**defs, "item": frame_item}}
    per_type = {}
    for kind in ITEM_TYPES:
        item = dict(defs[f"item_{kind}"])
        per_type[kind] = Draft202012Validator({
            **item, "$defs": {**defs, "items": {"type": "array"}}})
    return Draft202012Validator(frame), per_type


def _item_errors(items: Any, path: list, validators: dict) -> Iterator[ValidationError]:
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("type") not in validators:
            continue
        where = [*path, i]
        for error in validators[item["type"]].iter_errors(item):
            error.path.extendleft(reversed(where))
            yield error
        if item["type"] == "group":
            yield from _item_errors(item.get("items"), [*where, "items"], validators)


def _all_schema_errors(defn: Any) -> Iterator[ValidationError]:
    frame, per_type = _validators()
    yield from frame.iter_errors(defn)
    steps = defn.get("steps") if isinstance(defn, dict) else None
    if isinstance(steps, list):
        for s, step in enumerate(steps):
            if isinstance(step, dict):
                yield from _item_errors(step.get("items"), ["steps", s, "items"], per_type)


def _type_name(name: Any) -> str:
    names = {"object": _("an object"), "array": _("a list"), "string": _("a text"),
             "integer": _("a whole number"), "number": _("a number"),
             "boolean": _("true or false")}
    if isinstance(name, list):
        return " / ".join(names.get(n, n) for n in name)
    return names.get(name, str(name))


def _schema_errors(error: ValidationError) -> Iterator[DefinitionError]:
    path = list(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        for name in value:
            if isinstance(instance, dict) and name not in instance:
                yield DefinitionError(format_path([*path, name]), _("This property is required."))
        return
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        for name in instance:
            if name not in allowed:
                yield DefinitionError(format_path([*path, name]), _("Unknown property."))
        return
    where = format_path(path)
    if kind == "type":
        message = _("Must be %(type)s.") % {"type": _type_name(value)}
    elif kind == "const":
        message = _("Must be “%(value)s”.") % {"value": value}
    elif kind == "enum":
        message = _("Must be one of: %(values)s.") % {"values": ", ".join(map(str, value))}
    elif kind == "pattern" and path and path[-1] == "key":
        message = _("A key starts with a lower-case letter and has at most 63 of a–z, 0–9 "
                    "and _.")
    elif kind == "pattern" and path and path[-1] in ("min", "max"):
        message = _("Must be an ISO date (2026-11-30), “today” or an offset like "
                    "“today-P18Y”.")
    elif kind == "pattern":
        message = _("Does not have the required form.")
    elif kind == "minLength":
        message = _("Must not be empty.") if value == 1 else _(
            "Must have at least %(n)d characters.") % {"n": value}
    elif kind == "maxLength":
        message = _("Must have at most %(n)d characters.") % {"n": value}
    elif kind == "minItems":
        message = _("Must have at least %(n)d entries.") % {"n": value}
    elif kind == "maxItems":
        message = _("Must have at most %(n)d entries.") % {"n": value}
    elif kind == "minimum":
        message = _("Must be at least %(n)s.") % {"n": value}
    elif kind == "maximum":
        message = _("Must be at most %(n)s.") % {"n": value}
    else:
        message = _("Is not valid here.")
    yield DefinitionError(where, message)


# --- regular expressions -------------------------------------------------------------------

def _check_pattern(pattern: str, budget: patterns.Budget) -> str | None:
    """Patterns run on RE2 (core/patterns.py), so no pattern can backtrack; what RE2 cannot
    run (backreferences, lookarounds) is refused here with a sentence naming it. What the
    definition's patterns cost together is charged to `budget` (BudgetExceeded beyond it)."""
    return budget.problem(pattern)


# --- checks beyond the schema --------------------------------------------------------------

class _Checker:
    def __init__(self) -> None:
        self.errors: list[DefinitionError] = []
        self.answer_items = 0
        self.rules: list[tuple[str, Any, tuple[dict, ...]]] = []
        self.patterns = patterns.Budget()
        self.patterns_refused = False

    def add(self, path: str, message: str) -> None:
        self.errors.append(DefinitionError(path, message))

    def rule(self, path: str, rule: Any, scopes: tuple[dict, ...]) -> None:
        self.rules.append((path, rule, scopes))

    def container(self, items: list, path: str, depth: int, scopes: tuple[dict, ...],
                  seen: dict[str, str]) -> None:
        for i, item in enumerate(items):
            where = f"{path}.items[{i}]"
            key = item.get("key")
            if key in seen:
                self.add(f"{where}.key", _("The key “%(key)s” is already used at %(path)s.")
                         % {"key": key, "path": seen[key]})
            else:
                seen[key] = where
            self.item(item, where, depth, scopes)

    def item(self, item: dict, where: str, depth: int, scopes: tuple[dict, ...]) -> None:
        kind = item["type"]
        if "visible" in item:
            self.rule(f"{where}.visible", item["visible"], scopes)
        if kind == "group":
            if depth >= MAX_DEPTH:
                self.add(where, _("Groups may be nested at most %(n)d levels deep.")
                         % {"n": MAX_DEPTH})
                return
            repeat = item.get("repeat")
            if repeat and repeat.get("min", 0) > repeat.get("max", 10):
                self.add(f"{where}.repeat.min", _("The minimum is larger than the maximum."))
            inner = (*scopes, _index(item["items"])) if repeat else scopes
            self.container(item["items"], where, depth + 1, inner, {})
            return
        if kind == "info":
            return
        self.answer_items += 1
        if "compute" in item:
            self.rule(f"{where}.compute", item["compute"], scopes)
        for j, check in enumerate(item.get("validations", [])):
            self.rule(f"{where}.validations[{j}].rule", check["rule"], scopes)
        for low, high in (("min", "max"), ("min_length", "max_length"),
                          ("min_items", "max_items")):
            a, b = item.get(low), item.get(high)
            if (isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > b) or (
                    kind == "date" and _iso(a) and _iso(b) and a > b):
                self.add(f"{where}.{low}", _("The minimum is larger than the maximum."))
        spec = item.get("file") or {}
        if spec.get("min_count", 0) > spec.get("max_count", spec.get("min_count", 0)):
            self.add(f"{where}.file.min_count", _("The minimum is larger than the maximum."))
        if "pattern" in item and not self.patterns_refused:
            try:
                problem = _check_pattern(item["pattern"], self.patterns)
            except patterns.BudgetExceeded as exc:
                # the whole definition is refused; no further pattern is compiled
                self.patterns_refused = True
                problem = exc.refusal.message()
            if problem:
                self.add(f"{where}.pattern", problem)
        if kind in ("choice", "multichoice"):
            self.choice(item, where)

    def choice(self, item: dict, where: str) -> None:
        if ("options" in item) == ("codelist" in item):
            self.add(where, _("A choice needs either “options” or “codelist”, not both."))
        if "codelist" in item and item["codelist"] not in codelists.names():
            self.add(f"{where}.codelist", _("There is no code list “%(name)s”.")
                     % {"name": item["codelist"]})
        values: set[str] = set()
        for j, option in enumerate(item.get("options", [])):
            if option["value"] in values:
                self.add(f"{where}.options[{j}].value",
                         _("The option value “%(value)s” is used twice.")
                         % {"value": option["value"]})
            values.add(option["value"])


def _iso(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4] == "-"


def _index(items: list) -> dict:
    """key → item of one container, for resolving `var` paths."""
    return {item["key"]: item for item in items if item.get("type") != "info"}


def path_exists(path: str, container: dict) -> bool:
    """Whether a dotted answer path names an item (or part of an answer) in a container."""
    parts = path.split(".")
    current: dict | None = container
    item: dict | None = None
    i = 0
    while i < len(parts):
        part = parts[i]
        if item is not None:
            kind = item["type"]
            if kind == "group" and item.get("repeat") and part.isdecimal():
                i += 1
                if i == len(parts):
                    return True
                part = parts[i]
            elif kind in ("multichoice", "file") and part.isdecimal():
                return i == len(parts) - 1
            elif kind == "address":
                return part in ADDRESS_FIELDS and i == len(parts) - 1
            elif kind != "group":
                return False
            current = _index(item["items"])
        if current is None or part not in current:
            return False
        item = current[part]
        current = None
        i += 1
    return True


def validate_definition(defn: Any) -> list[DefinitionError]:
    """All problems of a form definition; an empty list means it can be saved."""
    errors = sorted({e for err in _all_schema_errors(defn) for e in _schema_errors(err)},
                    key=lambda e: e.path)
    if errors:
        return errors
    checker = _Checker()
    seen: dict[str, str] = {}
    step_keys: set[str] = set()
    root = {}
    for step in defn["steps"]:
        root.update(_index(step["items"]))
    for s, step in enumerate(defn["steps"]):
        where = f"steps[{s}]"
        if step["key"] in step_keys:
            checker.add(f"{where}.key", _("The step key “%(key)s” is already used.")
                        % {"key": step["key"]})
        step_keys.add(step["key"])
        if "visible" in step:
            checker.rule(f"{where}.visible", step["visible"], ())
        checker.container(step["items"], where, 0, (), seen)
    if checker.answer_items > MAX_ANSWER_ITEMS:
        checker.add("steps", _("A form may have at most %(n)d fields.")
                    % {"n": MAX_ANSWER_ITEMS})
    if len(checker.rules) > MAX_RULES:
        checker.add("steps", _("A form may have at most %(n)d rules.") % {"n": MAX_RULES})
    for where, rule, scopes in checker.rules:
        problems = logic.check_rule(rule)
        for problem in problems:
            checker.add(where, problem)
        if problems:
            continue
        for path in logic.var_paths(rule):
            if not any(path_exists(path, c) for c in ((scopes[-1], root) if scopes else (root,))):
                checker.add(where, _("The rule refers to “%(path)s”, which is not a field of "
                                     "this form.") % {"path": path})
    return checker.errors
