"""Designers' patterns on RE2 (core/patterns.py): linear time, the meaning Python's re gave
them, sentences for what RE2 cannot run, and stored patterns that no longer compile."""

import logging
import re
import time

import pytest
from django.utils import translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from amtsweg.core import patterns


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    (r"^\w+$", "Jürgen", True),  # \w stays Unicode-aware, as in Python's re
    (r"^[\w-]+$", "Groß-Gerau", True),
    (r"^\W+$", "ü", False),
    (r"^[^\w]+$", "–", True),
    (r"^a{,3}$", "aaa", True),  # {,n} is {0,n} in Python's re, a literal in RE2's spelling
    (r"^a{,3}$", "a{,3}", False),
    (r"^a{,}$", "aaaa", True),
    (r"^x\Z", "x", True),
    (r"^\u00e4\U000000f6$", "äö", True),
    (r"^[]a]+$", "]a", True),
    (r"^[[:alpha:]]+$", "abc", True),
    (r"^\p{L}+$", "Ölß", True),  # RE2's Unicode classes may be used
    (r"(?i)^straße$", "STRAßE", True),
    (r"^\d{5}$", "36037", True),
    (r"^\d{5}$", "٣٦٠٣٧", False),  # \d is ASCII on RE2: only digits a Fachverfahren reads
    ("^[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} [1-9][0-9]{0,3}[EH]?$", "FD-AB 123", True),
    ("abc", "xabc", False),  # the whole answer must match
])
def test_patterns_keep_their_meaning(pattern, text, expected):
    assert patterns.problem(pattern) is None
    assert patterns.compile_pattern(pattern)(text) is expected


@pytest.mark.parametrize("pattern", [
    "(a{1,30}){1,30}", "(a+)+$", "(a|aa)+$", "(.*a){20}", "^(a?){30}a{30}$",
    r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@)$", r"^(\w+\s?)+$",
])
def test_matching_time_is_linear(pattern):
    """Each of these takes seconds to ages on Python's re with a few dozen characters."""
    matches = patterns.compile_pattern(pattern)
    matches("a" * 50)  # the first run builds the automaton
    for text in ("a" * 30 + "!", "a" * 5000 + "!", "a" * 5000, "ab" * 2500 + "@"):
        started = time.perf_counter()
        matches(text)
        assert time.perf_counter() - started < 0.05, (pattern, len(text))


@pytest.mark.parametrize(("pattern", "kind"), [
    (r"(a)\1", "backreference"), ("(?P<x>a)(?P=x)", "backreference"),
    ("(?=a)a", "lookaround"), ("(?!a)b", "lookaround"), ("(?<=a)b", "lookaround"),
    ("(?<!a)b", "lookaround"), ("(?>a)", "possessive"), ("a*+", "possessive"),
    ("a{2}+", "possessive"), ("(a)?(?(1)b|c)", "conditional"), (r"\bx\b", "word_boundary"),
    (r"x\B", "word_boundary"), (r"[\W\d]", "negated_class"), ("(?x) a", "flag"),
    ("(?a)x", "flag"), ("a{1001}", "repeat"), ("(a{1,100}){1,100}", "repeat"),
    ("[\\pL]{1000}" * 18, "complex"), ("[a-", "syntax"), ("(", "syntax"), ("\\", "syntax"),
    (r"\uXYZ1", "syntax"), ("a" * 201, "length"),
])
def test_refusals_say_what_is_wrong(pattern, kind):
    found = patterns._compiled(pattern)
    assert isinstance(found, patterns.Refusal) and found.kind == kind
    with pytest.raises(patterns.PatternError):
        patterns.compile_pattern(pattern)
    with translation.override("en"):
        english = patterns.problem(pattern)
    with translation.override("de"):
        german = patterns.problem(pattern)
    assert english.endswith(".") and german.endswith(".")
    assert german != english  # every sentence has its German translation


def test_refusal_sentences_follow_the_language_of_each_request():
    """The compiled result is cached per process; the sentence is made per call."""
    with translation.override("de"):
        assert "Rückverweise" in patterns.problem(r"(a)\1")
    with translation.override("en"):
        assert "Backreferences" in patterns.problem(r"(a)\1")


def test_stored_pattern_that_cannot_run_is_skipped_and_logged_once(caplog):
    pattern = r"^(?:(\d)\1)$"
    caplog.set_level(logging.WARNING, logger="amtsweg.core.patterns")
    assert patterns.stored(pattern) is None
    assert patterns.stored(pattern) is None
    [record] = [r for r in caplog.records if repr(pattern) in r.getMessage()]
    assert "backreference" in record.getMessage()
    assert patterns.stored("^[0-9]{2}$")("42") is True


def test_big_unicode_classes_fit():
    """A word-character class repeated to a field's default length compiles (270,000
    instructions) and answers fast."""
    matches = patterns.compile_pattern(r"^[\w .-]{1,200}$")
    assert matches("Maria-Luise Müller-Lüdenscheidt")
    started = time.perf_counter()
    assert not matches("ä" * 5000)
    assert time.perf_counter() - started < 0.05


ATOMS = st.sampled_from(["a", "b", "ä", "-", r"\w", r"\W", r"\d", ".", "[ab]", "[^a]",
                         r"[\w-]", r"[^\w]", "[a-c]", r"\-", r"\u00e4", " "])
QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "{1,2}", "{,2}", "{2}", "*?"])


@st.composite
def small_patterns(draw, depth: int = 2) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if depth and draw(st.booleans()):
            inner = draw(small_patterns(depth - 1))
            alternative = draw(small_patterns(depth - 1)) if draw(st.booleans()) else None
            atom = f"({inner}|{alternative})" if alternative else f"(?:{inner})"
        else:
            atom = draw(ATOMS)
        parts.append(atom + draw(QUANTIFIERS))
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(small_patterns(), st.lists(st.text(alphabet="abä1 _-ß", max_size=6), min_size=1,
                                  max_size=5))
def test_re2_agrees_with_pythons_re(pattern, texts):
    """The translation keeps Python's meaning on the constructs both engines know."""
    assume(len(pattern) <= patterns.MAX_LENGTH)
    python = re.compile(pattern)
    matches = patterns.compile_pattern(pattern)
    for text in texts:
        assert matches(text) is (python.fullmatch(text) is not None), (pattern, text)
