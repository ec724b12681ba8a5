import math

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from amtsweg.forms import logic
from amtsweg.forms.logic import check_rule, compile_rule, evaluate

DATA = {"a": 1, "b": "2.5", "name": "Erika", "list": [1, 2, 3], "empty": [],
        "kinder": [{"vorname": "Max", "alter": 4}, {"vorname": "Ida", "alter": 9}],
        "anschrift": {"postal_code": "36037"}, "zero": "0", "none": None}


@pytest.mark.parametrize(("rule", "expected"), [
    ({"var": "a"}, 1),
    ({"var": ["missing_key", 7]}, 7),
    ({"var": "kinder.1.vorname"}, "Ida"),
    ({"var": "anschrift.postal_code"}, "36037"),
    ({"var": "kinder.5.vorname"}, None),
    ({"missing": ["a", "nope", "empty"]}, ["nope", "empty"]),
    ({"missing_some": [1, ["a", "nope"]]}, []),
    ({"missing_some": [2, ["a", "nope"]]}, ["nope"]),
    ({"if": [True, "yes", "no"]}, "yes"),
    ({"if": [False, "yes", {"==": [1, 1]}, "elif", "no"]}, "elif"),
    ({"if": [False, "yes"]}, None),
    ({"==": [1, "1"]}, True),
    ({"==": [{"var": "b"}, 2.5]}, True),
    ({"==": ["01", "1"]}, False),
    ({"===": [1, "1"]}, False),
    ({"===": [1, 1.0]}, True),
    ({"!=": [1, 2]}, True),
    ({"!==": [1, "1"]}, True),
    ({"!": [[]]}, True),
    ({"!": ["0"]}, False),
    ({"!!": [{"var": "zero"}]}, True),
    ({"!!": [0]}, False),
    ({"or": [0, "", "x"]}, "x"),
    ({"or": [0, ""]}, ""),
    ({"and": [1, "a", 0]}, 0),
    ({"and": [1, "a"]}, "a"),
    ({"<": [1, 2]}, True),
    ({"<": [1, 2, 3]}, True),
    ({"<": [1, 4, 3]}, False),
    ({"<=": [2, 2, 3]}, True),
    ({">": [{"var": "b"}, 2]}, True),
    ({">=": ["10", "9"]}, True),
    ({"<": ["2026-01-01", "2026-02-01"]}, True),
    ({"<": [None, 1]}, False),
    ({"+": [1, "2.5", 3]}, 6.5),
    ({"+": ["3"]}, 3),
    ({"-": [5, 7]}, -2),
    ({"-": [5]}, -5),
    ({"*": [2, "3"]}, 6),
    ({"/": [6, 3]}, 2),
    ({"/": [1, 4]}, 0.25),
    ({"/": [1, 0]}, None),
    ({"%": [7, 3]}, 1),
    ({"%": [-7, 3]}, -1),
    ({"%": [1, 0]}, None),
    ({"+": ["abc", 1]}, None),
    ({"min": [3, 1, 2]}, 1),
    ({"max": [3, "7", 2]}, 7),
    ({"max": []}, None),
    ({"cat": ["a", 1, None, True]}, "a1true"),
    ({"substr": ["Amtsweg", 4]}, "weg"),
    ({"substr": ["Amtsweg", -3]}, "weg"),
    ({"substr": ["Amtsweg", 1, 3]}, "mts"),
    ({"substr": ["Amtsweg", 0, -3]}, "Amts"),
    ({"in": ["weg", "Amtsweg"]}, True),
    ({"in": [2, {"var": "list"}]}, True),
    ({"in": [5, {"var": "list"}]}, False),
    ({"in": [1, 5]}, False),
    ({"merge": [1, [2, 3], [[4]]]}, [1, 2, 3, [4]]),
    ({"map": [{"var": "list"}, {"*": [{"var": ""}, 2]}]}, [2, 4, 6]),
    ({"filter": [{"var": "list"}, {">": [{"var": ""}, 1]}]}, [2, 3]),
    ({"all": [{"var": "list"}, {">": [{"var": ""}, 0]}]}, True),
    ({"all": [[], {">": [{"var": ""}, 0]}]}, False),
    ({"some": [{"var": "kinder"}, {">": [{"var": "alter"}, 6]}]}, True),
    ({"none": [{"var": "kinder"}, {">": [{"var": "alter"}, 10]}]}, True),
    ({"reduce": [{"var": "list"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 10]},
     16),
    ({"age": ["2000-02-29", "2018-02-28"]}, 17),
    ({"age": ["2000-02-29", "2018-03-01"]}, 18),
    ({"age": ["kein Datum"]}, None),
    ({"date_diff_days": ["2026-01-01", "2026-03-01"]}, 59),
    ({"count": [{"var": "kinder"}]}, 2),
    ({"count": [{"var": "nothing"}]}, 0),
    ("literal", "literal"),
    ([1, {"var": "a"}], [1, 1]),
])
def test_operations(rule, expected):
    assert check_rule(rule) == []
    assert evaluate(rule, DATA) == expected


def test_today_and_age_until_today(monkeypatch):
    from datetime import date

    monkeypatch.setattr(logic, "today", lambda: date(2026, 11, 30))
    assert evaluate({"today": []}, {}) == "2026-11-30"
    assert evaluate({"age": ["2008-12-01"]}, {}) == 17
    assert evaluate({"age": ["2008-11-30"]}, {}) == 18


def test_scope_first_then_root():
    fn = compile_rule({"cat": [{"var": "vorname"}, " ", {"var": "name"}]})
    assert fn(DATA, {"vorname": "Max"}) == "Max Erika"
    assert fn(DATA, None) == " Erika"
    # a key present but empty in the entry does not fall back to the root
    assert compile_rule({"var": "name"})(DATA, {"name": None}) is None


def test_var_does_not_reach_python_attributes():
    assert evaluate({"var": "__class__"}, DATA) is None
    assert evaluate({"var": "name.__len__"}, DATA) is None
    assert evaluate({"var": "list.real"}, DATA) is None


@pytest.mark.parametrize(("rule", "fragment"), [
    ({"eval": ["1"]}, "Unknown operation"),
    ({"==": [1]}, "Wrong number"),
    ({"!": [1, 2]}, "Wrong number"),
    ({"a": 1, "b": 2}, "exactly one"),
    ({"+": list(range(250))}, "more than 200"),
])
def test_check_rule_rejects(rule, fragment):
    with translation.override("en"):
        problems = check_rule(rule)
    assert any(fragment in p for p in problems), problems
    with pytest.raises(ValueError):
        compile_rule(rule)
    assert evaluate(rule, {}) is None


def test_check_rule_rejects_deep_rules():
    rule: object = 1
    for _ in range(100):
        rule = {"!": [rule]}
    with translation.override("en"):
        assert any("deep" in p for p in check_rule(rule))


def test_var_paths_skip_inner_rules():
    rule = {"and": [{"var": "a"}, {"missing": ["b", "c"]},
                    {"some": [{"var": "kinder"}, {"var": "alter"}]}]}
    assert logic.var_paths(rule) == ["a", "b", "c", "kinder"]


def test_big_products_give_none():
    rule = {"*": [10**300, 10**300, 10**300, 10**300]}
    assert evaluate(rule, {}) is None
    assert evaluate({"*": [1e300, 1e300]}, {}) is None


ints = st.integers(min_value=-10**6, max_value=10**6)


@given(ints, ints)
def test_arithmetic_matches_python(a, b):
    assert evaluate({"+": [a, b]}, {}) == a + b
    assert evaluate({"-": [a, b]}, {}) == a - b
    assert evaluate({"*": [a, b]}, {}) == a * b
    assert evaluate({"+": [str(a), {"var": "b"}]}, {"b": b}) == a + b
    assert evaluate({"<": [a, b]}, {}) == (a < b)
    assert evaluate({">=": [str(a), b]}, {}) == (a >= b)
    assert evaluate({"min": [a, b]}, {}) == min(a, b)
    if b:
        assert math.isclose(evaluate({"/": [a, b]}, {}), a / b)
        assert evaluate({"%": [a, b]}, {}) == int(math.fmod(a, b))


json_scalars = st.none() | st.booleans() | ints | st.text(max_size=5) | st.floats(
    allow_nan=False, allow_infinity=False)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                           max_leaves=10)


@given(json_values, json_values)
def test_boolean_laws(a, b):
    t = logic.truthy
    data = {"a": a, "b": b}
    va, vb = {"var": "a"}, {"var": "b"}
    assert evaluate({"!": [{"!": [va]}]}, data) == t(a)
    assert evaluate({"!!": [va]}, data) == t(a)
    assert t(evaluate({"and": [va, vb]}, data)) == (t(a) and t(b))
    assert t(evaluate({"or": [va, vb]}, data)) == (t(a) or t(b))
    assert evaluate({"!": [{"and": [va, vb]}]}, data) == evaluate(
        {"or": [{"!": [va]}, {"!": [vb]}]}, data)
    assert evaluate({"==": [va, va]}, data) == (a is None or a == a)


ops = st.sampled_from([*sorted(logic.ARITY), "bogus"])
rules = st.recursive(
    json_scalars | st.builds(lambda p: {"var": p}, st.sampled_from(["a", "b", "list", "x.0",
                                                                     "kinder.0.alter", ""])),
    lambda inner: st.builds(lambda op, args: {op: args}, ops, st.lists(inner, max_size=4))
    | st.lists(inner, max_size=3),
    max_leaves=25)


@settings(max_examples=400)
@given(rules, json_values)
def test_evaluation_never_raises(rule, data):
    evaluate(rule, DATA)
    evaluate(rule, data)
    evaluate(rule, data, scope={"a": data})
