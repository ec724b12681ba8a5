import time

import pytest

from amtsweg.core import patterns
from amtsweg.forms.schema import (
    DEFINITION_SCHEMA,
    DefinitionError,
    validate_definition,
)

from .example import example


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared with their English msgids."""
    from django.utils import translation

    with translation.override("en"):
        yield


def errors_of(defn):
    return {(e.path, e.message) for e in validate_definition(defn)}


def test_example_is_valid():
    assert validate_definition(example()) == []
    assert DEFINITION_SCHEMA["$schema"].endswith("2020-12/schema")


def broken(change):
    defn = example()
    change(defn)
    return errors_of(defn)


def item(defn, step, index):
    return defn["steps"][step]["items"][index]


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda d: d.update(format="amtsweg.form/2"), "format", "Must be “amtsweg.form/1”."),
    (lambda d: d.pop("title"), "title", "This property is required."),
    (lambda d: d["title"].pop("de"), "title.de", "This property is required."),
    (lambda d: item(d, 0, 1).update(key="Vorname"), "steps[0].items[1].key",
     "A key starts with a lower-case letter and has at most 63 of a–z, 0–9 and _."),
    (lambda d: item(d, 0, 1).update(colour="red"), "steps[0].items[1].colour",
     "Unknown property."),
    (lambda d: item(d, 0, 1).pop("label"), "steps[0].items[1].label",
     "This property is required."),
    (lambda d: item(d, 0, 0)["options"][1].update(value=2), "steps[0].items[0].options[1].value",
     "Must be a text."),
    (lambda d: item(d, 0, 0)["options"].append({"value": "kind", "label": {"de": "x"}}),
     "steps[0].items[0].options[2].value", "The option value “kind” is used twice."),
    (lambda d: item(d, 2, 0).update(type="slider"), "steps[2].items[0].type",
     "Must be one of: text, textarea, integer, decimal, currency, date, boolean, choice, "
     "multichoice, email, phone, iban, address, file, info, group."),
    (lambda d: item(d, 2, 0).update(min=20), "steps[2].items[0].min",
     "The minimum is larger than the maximum."),
    (lambda d: item(d, 0, 3).update(max="morgen"), "steps[0].items[3].max",
     "Must be an ISO date (2026-11-30), “today” or an offset like “today-P18Y”."),
    (lambda d: item(d, 0, 4).update(codelist="farben"), "steps[0].items[4].codelist",
     "There is no code list “farben”."),
    (lambda d: item(d, 0, 4).update(options=[{"value": "a", "label": {"de": "A"}}]),
     "steps[0].items[4]", "A choice needs either “options” or “codelist”, not both."),
    (lambda d: item(d, 2, 1).update(key="vorname"), "steps[2].items[1].key",
     "The key “vorname” is already used at steps[0].items[1]."),
    (lambda d: d["steps"][1].update(key="zahlung"), "steps[2].key",
     "The step key “zahlung” is already used."),
    (lambda d: item(d, 2, 5).update(visible={"in": ["sonst", {"var": "zweck"}]}),
     "steps[2].items[5].visible",
     "The rule refers to “zweck”, which is not a field of this form."),
    (lambda d: item(d, 2, 1).update(compute={"pow": [2, 3]}), "steps[2].items[1].compute",
     "Unknown operation “pow”."),
    (lambda d: item(d, 2, 8)["validations"][0].update(rule={"==": [1]}),
     "steps[2].items[8].validations[0].rule", "Wrong number of arguments for “==”."),
    (lambda d: item(d, 0, 6).update(pattern=r"^(a)\1$"), "steps[0].items[6].pattern",
     "The pattern refers back to a group (\\1). Backreferences are not supported: patterns "
     "are matched by an engine that never backtracks."),
    (lambda d: item(d, 0, 6).update(pattern="[a-"), "steps[0].items[6].pattern",
     "The pattern is not a valid regular expression (missing ]: [a-)."),
    (lambda d: item(d, 0, 6).update(pattern="a" * 201), "steps[0].items[6].pattern",
     "Must have at most 200 characters."),
    (lambda d: item(d, 1, 0)["repeat"].update(min=5), "steps[1].items[0].repeat.min",
     "The minimum is larger than the maximum."),
    (lambda d: item(d, 0, 0).update(options=[{"value": str(i), "label": {"de": "x"}}
                                             for i in range(201)]),
     "steps[0].items[0].options", "Must have at most 200 entries."),
    (lambda d: d.update(steps=d["steps"] * 11), "steps", "Must have at most 30 entries."),
])
def test_broken_definitions(change, path, message):
    found = broken(change)
    assert (path, message) in found, found


def test_rules_inside_repeats_see_the_entry():
    defn = example()
    item(defn, 1, 0)["items"][3]["visible"] = {">=": [{"var": "alter"}, {"count": [
        {"var": "kinder"}]}]}
    assert validate_definition(defn) == []
    item(defn, 2, 2)["visible"] = {"var": "kinder.0.alter"}
    assert validate_definition(defn) == []
    item(defn, 2, 2)["visible"] = {"var": "anschrift.postal_code"}
    assert validate_definition(defn) == []
    item(defn, 2, 2)["visible"] = {"var": "anschrift.plz"}
    assert validate_definition(defn)[0].path == "steps[2].items[2].visible"


def nested_groups(depth):
    inner = [{"type": "text", "key": "x", "label": {"de": "X"}}]
    for i in range(depth):
        inner = [{"type": "group", "key": f"g{i}", "label": {"de": "G"}, "items": inner}]
    return {"format": "amtsweg.form/1", "title": {"de": "T"},
            "steps": [{"key": "s", "title": {"de": "S"}, "items": inner}]}


def test_depth_limit():
    assert validate_definition(nested_groups(5)) == []
    errors = validate_definition(nested_groups(6))
    assert [e.message for e in errors] == ["Groups may be nested at most 5 levels deep."]


def test_limits_on_fields_and_rules():
    items = [{"type": "text", "key": f"f{i}", "label": {"de": "F"},
              "visible": {"var": "f0"}} for i in range(1001)]
    defn = {"format": "amtsweg.form/1", "title": {"de": "T"},
            "steps": [{"key": "s", "title": {"de": "S"}, "items": items}]}
    messages = {e.message for e in validate_definition(defn)}
    assert "A form may have at most 1000 fields." in messages
    assert "A form may have at most 500 rules." in messages


def test_error_is_small_dataclass():
    error = validate_definition({"format": "amtsweg.form/1"})[0]
    assert isinstance(error, DefinitionError)
    assert error.as_dict() == {"path": "steps", "message": "This property is required."}


def test_german_messages():
    from django.utils import translation

    with translation.override("de"):
        errors = validate_definition({"format": "amtsweg.form/1", "title": {"de": "T"}})
    assert errors[0].path == "steps"


# Patterns that backtrack catastrophically on Python's re: the former heuristic refused the
# first ten and let (a{1,30}){1,30} through (issue 11). On RE2 all of them are harmless.
BACKTRACKING = [
    "(a+)+$", "(a|a)*", "(.*)*", r"(\w+\s?)+$", "(a|ab)*", "(a*)*", r"^(\d+)*$",
    "((ab)*)+", r"(x+x+)+y", r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@)$",
    "(a{1,30}){1,30}", "(a|aa)+$", "^(a?){30}a{30}$",
]


@pytest.mark.parametrize("pattern", BACKTRACKING)
def test_backtracking_patterns_are_accepted_and_cost_no_time(pattern):
    assert patterns.problem(pattern) is None
    matches = patterns.compile_pattern(pattern)
    matches("a" * 40)  # the engine's first run builds its automaton
    for text in ("a" * 199 + "!", "a" * 5000 + "!", "ab" * 2500 + "!", "x" * 199):
        started = time.perf_counter()
        matches(text)
        assert time.perf_counter() - started < 0.05, (pattern, text[:10])


@pytest.mark.parametrize("pattern", [
    "^[0-9]{5}$", "^[A-Z]{1,3}-[A-Z]{1,2} [0-9]{1,4}$", "^[a-z]+(-[a-z]+)*$",
    r"^(\d{1,3}\.)+\d+$", "^[^@]+@[^@]+$", r"^DE\d{20}$", "^(ab|cd)+$", r"^\+?[0-9 ]{5,20}$",
    "^[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} [1-9][0-9]{0,3}[EH]?$", r"^[\w .-]+$",
])
def test_ordinary_patterns_remain_allowed(pattern):
    assert patterns.problem(pattern) is None


def test_invalid_pattern():
    assert patterns.problem("(") is not None


@pytest.mark.parametrize(("pattern", "names"), [
    (r"^(\d)\1$", "(\\1)"), ("(?P<x>a)(?P=x)", "((?P=…))"), ("^(?=a)a$", "((?=…))"),
    ("^(?!a)b$", "((?!…))"), ("(?<=a)b", "((?<=…))"), ("(?<!a)b", "((?<!…))"),
    ("(?>a+)b", "((?>…))"), ("a++b", "(++)"), ("(a)?(?(1)b|c)", "((?(…))"),
    (r"\bWort\b", "(\\b)"), ("(?x) a", "(?x)"), ("a{1001}", "({1001})"),
])
def test_patterns_that_need_backtracking_are_refused_with_a_sentence(pattern, names):
    defn = example()
    item(defn, 0, 6)["pattern"] = pattern
    errors = validate_definition(defn)
    assert [e.path for e in errors] == ["steps[0].items[6].pattern"]
    assert names in errors[0].message and errors[0].message.endswith(".")


def test_validation_is_fast():
    defn = example()
    defn["steps"][0]["items"] += [
        {"type": "text", "key": f"feld_{i}", "label": {"de": f"Feld {i}"},
         "visible": {"==": [{"var": "art"}, "selbst"]}} for i in range(90)]
    validate_definition(defn)
    start = time.perf_counter()
    for _ in range(5):
        assert validate_definition(defn) == []
    assert (time.perf_counter() - start) / 5 < 0.1


def test_full_schema_agrees_with_the_split_validators():
    from jsonschema import Draft202012Validator

    full = Draft202012Validator(DEFINITION_SCHEMA)
    assert full.is_valid(example())
    defn = example()
    defn["steps"][1]["items"][0]["items"][1]["min"] = "null"
    assert not full.is_valid(defn)
    assert [e.path for e in validate_definition(defn)] == ["steps[1].items[0].items[1].min"]
