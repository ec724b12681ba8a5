"""What compiling designer and FIM patterns may cost (outside tester: 100 fields with
`[\\w ]{1,199}c<n>` cost 4+ s of CPU per unauthenticated `POST /api/v1/forms/check`; a
published form with more than 128 distinct patterns recompiled them on every answer).

One pattern: RE2 memory tiers up to MAX_MEM. One definition: `patterns.Budget`. The process:
a cache bounded by bytes. The endpoints: a tighter rate limit."""

import json
import logging
from pathlib import Path

import pytest
from django.utils import translation

from amtsweg.core import patterns
from amtsweg.forms import engine
from amtsweg.forms.fim import FimError, import_xdatenfelder
from amtsweg.forms.schema import validate_definition
from tests.forms.test_fim import s, v3_field, v3_schema

ROOT = Path(__file__).resolve().parents[2]
FLOOD = r"[\w ]{1,199}c"  # the tester's, + n
HEAVY = r"[\w ]{1,199}c{1,2}"  # the same with a second repetition: no length form
BIG = r"^[\w .'-]{1,40}[0-9]{0,2}$"  # 40 copies of a Unicode class, accepted at MAX_MEM


def definition(pattern_list: list[str]) -> dict:
    items = [{"type": "text", "key": f"f{i}", "label": {"de": f"Feld {i}"}, "pattern": p}
             for i, p in enumerate(pattern_list)]
    return {"format": "amtsweg.form/1", "title": {"de": "Muster"},
            "steps": [{"key": "s", "title": {"de": "Schritt"}, "items": items}]}


@pytest.fixture
def compiles(monkeypatch):
    """Every RE2 compile (each memory tier counts), with the cache emptied first."""
    patterns._cache.clear()
    seen: list[str] = []
    real = patterns.re2.compile

    def counting(pattern, options=None):
        seen.append(pattern)
        return real(pattern, options)

    monkeypatch.setattr(patterns.re2, "compile", counting)
    yield seen
    patterns._cache.clear()


# --- one pattern ---------------------------------------------------------------------------

def test_the_testers_pattern_is_one_copy_of_the_class():
    """`[\\w ]{1,199}c0` was 199 copies of a Unicode class: 270,000 instructions, 130 ms to
    compile at the former 4 MB. As a length form it is one copy at the smallest tier."""
    found = patterns._compiled(FLOOD + "0")
    assert isinstance(found, patterns._Program) and found.weight == patterns.TIERS[0]
    assert (found.low, found.high) == (3, 201)
    matches = patterns.compile_pattern(FLOOD + "0")
    assert matches("Wort c0") and not matches("c0") and not matches("x" * 200 + "c0")


def test_a_pattern_that_needs_the_copies_is_refused_as_too_complex():
    """With a second repetition the copies are needed: refused at 1 MB (about 5 ms) with the
    "complex" sentence instead of compiled for 130 ms into 4 MB."""
    found = patterns._compiled(HEAVY + "0")
    assert isinstance(found, patterns.Refusal) and found.kind == "complex"
    with translation.override("en"):
        assert "too complex" in patterns.problem(HEAVY + "0")


REALISTIC = [
    r"^[\w ]{1,100}$", r"^[\w .-]{1,200}$", r"^[\w .'-]{1,50}$", r"^(?:[\w ]{1,100})$",
    r"^[A-ZÄÖÜ][\w .'-]{0,40}$", r"^\d{5}$", r"^[0-9]{5}$", r"^DE\d{2}( ?\d{4}){4} ?\d{2}$",
    r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$", r"^\+?[0-9 /()-]{5,30}$", r"^0[1-9][0-9 /-]{4,20}$",
    r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$", r"^\pL[\pL .'-]{0,99}$", r"^\w{1,200}$",
]


def shipped_patterns() -> set[str]:
    found = set()
    for path in (ROOT / "src" / "amtsweg").rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        if '"pattern"' not in text:
            continue

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("pattern"), str) and node.get("type") == "text":
                    found.add(node["pattern"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(json.loads(text))
    return found


def test_realistic_and_shipped_patterns_pass():
    shipped = shipped_patterns()
    assert len(shipped) >= 10
    for pattern in [*REALISTIC, *sorted(shipped)]:
        assert patterns.problem(pattern) is None, pattern
    assert validate_definition(definition([*REALISTIC, *sorted(shipped)])) == []


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    (r"^[\w ]{1,3}$", "äb c", False),  # four characters
    (r"^[\w ]{1,3}$", "äb", True),
    (r"^[\w ]{1,3}$", "", False),
    (r"^[\w ]{1,3}$", "a-b", False),
    (r"^(?:\d{5})$", "36037", True),
    (r"^(?:\d{5})$", "3603", False),
    (r"\d{5}", "360370", False),
    (r"^[^a]{2,}$", "bcdefg", True),
    (r"^[^a]{2,}$", "bcdaefg", False),
    (r"^[^a]{2,}$", "b", False),
    (r"^.{0,3}$", "a\n", False),  # "." is not a line break, repeated or not
    (r"^.{0,3}\Z", "abc", True),
    (r"^\pL{2}$", "Öß", True),
    (r"^[]a]{1,2}$", "]a", True),
    (r"^[[:alpha:]]{1,4}$", "abcd", True),
    (r"^[a-z]{0}$", "", True),
    (r"^[a]{1,3}\$", "a$", True),  # an escaped "$" is not an anchor: no length form
    (r"^[\w]{1,3}$\Z", "ab", True),
])
def test_length_form_keeps_the_meaning(pattern, text, expected):
    """A class repeated over the whole answer is checked as class and length; the same
    answers match as with the repetition written out."""
    assert patterns.compile_pattern(pattern)(text) is expected


def test_a_name_pattern_is_a_small_program():
    """`^[\\w .-]{1,200}$` was 270,000 instructions and 4 MB; now one copy of the class."""
    found = patterns._compiled(r"^[\w .-]{1,200}$")
    assert isinstance(found, patterns._Program)
    assert (found.low, found.high, found.weight) == (1, 200, patterns.TIERS[0])
    assert found.regexp.programsize < 2000


def test_memory_tiers_weigh_what_a_pattern_needed():
    assert patterns._compiled(r"^\d{5}$").weight == patterns.TIERS[0]
    assert patterns._compiled(r"^[\w .'-]{1,5}[0-9]{0,2}$").weight == patterns.TIERS[1]
    assert patterns._compiled(BIG).weight == patterns.MAX_MEM
    # each weight is the max_mem RE2 was given, so never less than the program's memory
    big = patterns._compiled(BIG)
    assert big.regexp.programsize * 8 < big.weight


# --- one definition ----------------------------------------------------------------------

def test_the_testers_check_is_cheap(compiles):
    """The finding's definition: 100 patterns at the smallest tier, one compile each."""
    assert validate_definition(definition([f"{FLOOD}{n}" for n in range(100)])) == []
    assert len(compiles) == 100
    assert all(patterns._compiled(f"{FLOOD}{n}").weight == patterns.TIERS[0]
               for n in range(100))


def test_heavy_patterns_are_refused_by_the_budget_without_compiling_everything(compiles):
    with translation.override("en"):
        errors = validate_definition(definition([f"{HEAVY}{n}" for n in range(100)]))
        sentence = patterns.Refusal("budget").message()
    budget = [e for e in errors if e.message == sentence]
    assert len(budget) == 1
    complex_ = [e for e in errors if e not in budget]
    heavy = patterns.DEFINITION_BUDGET // patterns.MAX_MEM
    assert len(complex_) == heavy  # each refused as too complex, then the budget
    assert budget[0].path == f"steps[0].items[{heavy}].pattern"
    # at most three tiers for each pattern tried; the other 91 never reach RE2
    assert len({p for p in compiles}) <= heavy + 1
    assert len(compiles) <= 3 * (heavy + 1)


def test_budget_sentence_is_german_and_english():
    with translation.override("de"):
        german = patterns.Refusal("budget").message()
    with translation.override("en"):
        english = patterns.Refusal("budget").message()
    assert german != english and german.endswith(".") and "Muster" in german
    assert "256" in english and "8" in english


def test_budget_does_not_depend_on_the_cache():
    """A definition is accepted or refused the same in a process that has its patterns cached
    as in a fresh one: each distinct pattern is charged by what it is."""
    flood = definition([f"{HEAVY}{n}" for n in range(20)])
    patterns._cache.clear()
    cold = validate_definition(flood)
    warm = validate_definition(flood)
    assert cold == warm and cold


def test_a_pattern_used_in_many_fields_counts_once():
    assert validate_definition(definition([BIG] * 200)) == []


def test_simple_patterns_up_to_the_budget_pass_and_beyond_it_are_refused():
    simple = patterns.DEFINITION_BUDGET // patterns.TIERS[0]
    assert validate_definition(definition([rf"^\d{{5}}-{n}$" for n in range(simple)])) == []
    over = validate_definition(definition([rf"^\d{{5}}-{n}$" for n in range(simple + 1)]))
    assert [e.path for e in over] == [f"steps[0].items[{simple}].pattern"]


def test_fim_import_is_refused_beyond_the_budget(compiles):
    fields = [s("1:1", v3_field(f"F{n}", "Kennung",
                                extra=f'<xdf:praezisierung pattern="{HEAVY}{n}"/>'))
              for n in range(100)]
    with translation.override("en"), pytest.raises(FimError) as refused:
        import_xdatenfelder(v3_schema(*fields))
    assert "too many or too complex" in str(refused.value)
    assert len(compiles) <= 3 * (patterns.DEFINITION_BUDGET // patterns.MAX_MEM + 1)


# --- the process ---------------------------------------------------------------------------

def test_cache_is_bounded_by_weight():
    cache = patterns._Cache(3 * patterns.TIERS[0])
    small = [patterns._compile(rf"^\d{{{n}}}$") for n in range(1, 5)]
    for n, found in enumerate(small):
        cache.put(str(n), found)
    assert len(cache) == 3 and cache.get("0") is None and cache.bytes == 3 * patterns.TIERS[0]
    cache.put("big", patterns._compile(BIG))
    assert len(cache) == 1 and cache.bytes == patterns.MAX_MEM  # the newest stays


def test_the_cache_holds_several_definitions_at_their_budget():
    assert patterns.CACHE_BYTES >= 8 * patterns.DEFINITION_BUDGET


def test_published_form_with_150_patterns_compiles_each_once(compiles):
    """The former cache kept 128 patterns: a form with 150 recompiled all of them on every
    validation (12.3 s). Now the second validation compiles nothing."""
    pattern_list = [rf"^[\w .-]{{1,{n}}}$" for n in range(50, 200)]
    form = engine.compile_form(definition(pattern_list))
    answers = {f"f{i}": "Maria-Luise Müller" for i in range(150)}
    cleaned, errors = form.validate(answers)
    assert not errors and len(cleaned) == 150
    first = len(compiles)
    assert first == 150  # one tier each
    form.validate(answers)
    form.validate({**answers, "f0": "Maria!"})
    assert len(compiles) == first


def test_published_form_with_150_of_the_testers_patterns_compiles_each_once(compiles):
    """The finding's form: 150 × `[\\w ]{1,199}c<n>`, 12.3 s per validation before."""
    form = engine.compile_form(definition([f"{FLOOD}{n}" for n in range(150)]))
    answers = {f"f{i}": f"Wort c{i}" for i in range(150)}
    assert form.validate(answers)[1] == {}
    assert len(compiles) == 150
    assert set(form.validate({**answers, "f3": "Wort c4"})[1]) == {"f3"}
    assert len(compiles) == 150


def test_published_form_with_150_former_patterns_checks_without_them(compiles, caplog):
    """A form published before may hold patterns that are too complex now: the fields are
    checked without them (logged once each) and the patterns are not tried again."""
    caplog.set_level(logging.WARNING, logger="amtsweg.core.patterns")
    form = engine.compile_form(definition([f"{HEAVY}{n}" for n in range(150)]))
    answers = {f"f{i}": f"Wort c{i}" for i in range(150)}
    assert form.validate(answers)[1] == {}
    first = len(compiles)
    assert first <= 3 * 150
    form.validate(answers)
    assert len(compiles) == first
    assert len([r for r in caplog.records if "cannot be used" in r.getMessage()]) == 150
