"""Regular expressions written by designers, compiled and matched on a linear-time engine.

Python's `re` backtracks: `(a+)+$` or `(a{1,30}){1,30}` on a few dozen characters keeps a
worker busy for seconds to years, and no static check finds every such pattern. Every pattern
that a designer types or a FIM file brings is therefore compiled and matched here, on RE2
(PyPI `google-re2`), whose matching time grows linearly with the text whatever the pattern.
RE2 cannot do what needs backtracking (backreferences, lookarounds); such patterns are refused
with a sentence saying so. Regexes written in our code stay on `re`; tests/core/
test_patterns_guard.py fails when code outside this module compiles a pattern that is not a
literal, or a literal with nested or overlapping repetitions.

Patterns keep the meaning they had with `re` where RE2 differs in spelling: `\\w`/`\\W` stay
Unicode-aware (German letters are word characters), `\\Z` is RE2's `\\z`, `\\uXXXX` is
`\\x{XXXX}`, `{,n}` is `{0,n}`. `\\d` and `\\s` are ASCII in RE2 (digits 0-9; answers reach
the pattern with their white space already folded to single spaces). Word boundaries
(`\\b`, `\\B`) are refused: RE2's are ASCII-only and would split words at umlauts.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import re2
from django.utils.translation import gettext as _

MAX_LENGTH = 200
"""Characters of a pattern (form fields, FIM imports)."""

MAX_MEM = 4 << 20
"""Bytes RE2 may use per compiled pattern (program and DFA cache); a larger program is refused
as too complex, a full DFA cache makes RE2 fall back to its (still linear) NFA. 4 MB admit
`^[\\w ]{1,200}$` (a Unicode class repeated 200 times, 270,000 instructions)."""

_CACHE_SIZE = 128
"""Compiled patterns kept per process (google-re2 keeps the same number): at most
128 × MAX_MEM, in practice a few hundred kilobytes."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Why a pattern cannot be used: a kind and a detail, turned into a sentence on demand
    (in the language of the request that asks)."""

    kind: str
    detail: str = ""

    def message(self) -> str:
        if self.kind == "length":
            return _("A pattern may have at most %(n)d characters.") % {"n": MAX_LENGTH}
        if self.kind == "backreference":
            return _("The pattern refers back to a group (%(detail)s). Backreferences are not "
                     "supported: patterns are matched by an engine that never backtracks.") % {
                "detail": self.detail}
        if self.kind == "lookaround":
            return _("The pattern looks ahead or behind (%(detail)s). Lookarounds are not "
                     "supported: patterns are matched by an engine that never backtracks.") % {
                "detail": self.detail}
        if self.kind == "possessive":
            return _("The pattern uses a possessive repetition or an atomic group "
                     "(%(detail)s). These are not supported and not needed: matching never "
                     "backtracks here.") % {"detail": self.detail}
        if self.kind == "conditional":
            return _("The pattern uses a conditional group (%(detail)s), which is not "
                     "supported.") % {"detail": self.detail}
        if self.kind == "word_boundary":
            return _("The pattern uses a word boundary (%(detail)s), which is not supported: "
                     "the pattern always applies to the whole answer.") % {
                "detail": self.detail}
        if self.kind == "negated_class":
            return _("The pattern has %(detail)s inside square brackets, which is not "
                     "supported; write [^\\w] instead.") % {"detail": self.detail}
        if self.kind == "flag":
            return _("The pattern uses the option %(detail)s, which is not supported (possible "
                     "are (?i), (?s) and (?m)).") % {"detail": self.detail}
        if self.kind == "repeat":
            return _("The pattern repeats too often (%(detail)s): a repetition may count at "
                     "most 1000, also when repetitions are nested (for example {1,30} inside "
                     "{1,30} counts 900).") % {"detail": self.detail}
        if self.kind == "complex":
            return _("The pattern is too complex to be checked quickly. Simplify it, for "
                     "example by limiting the length with the minimum and maximum length "
                     "instead of a repetition.")
        return _("The pattern is not a valid regular expression (%(detail)s).") % {
            "detail": self.detail}


class PatternError(ValueError):
    """A pattern that cannot be used; `refusal.message()` says why in a sentence."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"{refusal.kind}: {refusal.detail}")
        self.refusal = refusal


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False
    options.never_capture = True  # only "does it match" is asked; no groups are kept
    return options


_OPTIONS = _options()
_WORD = r"\pL\pN_"


def _to_re2(pattern: str) -> str:
    """The pattern in RE2's spelling, with the meaning Python's `re` gave it.

    A small scanner that knows escapes and character classes; everything it does not rewrite
    is passed on for RE2 to accept or refuse.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_open = False  # just after "[" or "[^", where "]" is a literal
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            if e in "pPx" and pattern.startswith("{", i + 2) and "}" in pattern[i + 2:]:
                end = pattern.index("}", i + 2) + 1  # \p{Greek}, \x{20AC}: copied whole
                out.append(pattern[i:end])
                i = end
            elif e == "w":
                out.append(_WORD if in_class else f"[{_WORD}]")
                i += 2
            elif e == "W" and not in_class:
                out.append(f"[^{_WORD}]")
                i += 2
            elif e == "W":
                raise PatternError(Refusal("negated_class", "\\W"))
            elif e in "bB" and not in_class:
                raise PatternError(Refusal("word_boundary", "\\" + e))
            elif e == "Z" and not in_class:
                out.append(r"\z")
                i += 2
            elif e in "uU":
                width = 4 if e == "u" else 8
                digits = pattern[i + 2:i + 2 + width]
                if len(digits) != width or not all(d in "0123456789abcdefABCDEF"
                                                   for d in digits):
                    raise PatternError(Refusal("syntax", pattern[i:i + 2 + width]))
                out.append(f"\\x{{{digits}}}")
                i += 2 + width
            elif e in "123456789" and not in_class:
                raise PatternError(Refusal("backreference", "\\" + e))
            else:
                out.append(c + e)
                i += 2
            class_open = False
            continue
        if in_class:
            if c == "]" and not class_open:
                in_class = False
            elif c == "[" and pattern.startswith(":", i + 1) and ":]" in pattern[i + 2:]:
                end = pattern.index(":]", i + 2) + 2  # [:alpha:] copied whole
                out.append(pattern[i:end])
                i = end
                class_open = False
                continue
            class_open = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class, class_open = True, True
            start = i + 2 if pattern.startswith("^", i + 1) else i + 1
            out.append(pattern[i:start])
            i = start
            continue
        if c == "{" and pattern.startswith(",", i + 1):
            j = i + 2
            while j < n and pattern[j].isdigit() and pattern[j].isascii():
                j += 1
            if j < n and pattern[j] == "}":  # {,5} is {0,5} and {,} is * in Python's re
                out.append("{0," + pattern[i + 2:j] + "}")
                i = j + 1
                continue
        if c == "(" and pattern.startswith("?", i + 1):
            _check_group(pattern[i:i + 4])
        out.append(c)
        i += 1
    return "".join(out)


def _check_group(head: str) -> None:
    """Refuse the group kinds RE2 lacks with a sentence of their own."""
    for opener, kind in (("(?=", "lookaround"), ("(?!", "lookaround"), ("(?<=", "lookaround"),
                         ("(?<!", "lookaround"), ("(?P=", "backreference"),
                         ("(?>", "possessive"), ("(?(", "conditional")):
        if head.startswith(opener):
            raise PatternError(Refusal(kind, opener + "…)"))
    flag = head[2:3]
    if flag.isalpha() and flag not in "imsUP":
        raise PatternError(Refusal("flag", f"(?{flag})"))


def _classify(message: str) -> Refusal:
    """RE2's error as one of our kinds, for what the scanner lets through."""
    if message.startswith("bad repetition operator") and message.endswith("+"):
        return Refusal("possessive", message.rsplit(": ", 1)[-1])
    if message.startswith("invalid repetition size"):
        return Refusal("repeat", message.rsplit(": ", 1)[-1])
    if "pattern too large" in message:
        return Refusal("complex")
    return Refusal("syntax", message)


@lru_cache(maxsize=_CACHE_SIZE)
def _compiled(pattern: str) -> "re2._Regexp | Refusal":
    if len(pattern) > MAX_LENGTH:
        return Refusal("length")
    try:
        return re2.compile(_to_re2(pattern), _OPTIONS)
    except PatternError as exc:
        return exc.refusal
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        return _classify(raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A function telling whether a whole text matches the pattern; PatternError if the
    pattern cannot be used."""
    found = _compiled(pattern)
    if isinstance(found, Refusal):
        raise PatternError(found)
    fullmatch = found.fullmatch
    return lambda text: fullmatch(text) is not None


def problem(pattern: str) -> str | None:
    """Why a designer's pattern cannot be saved, as a sentence; None if it can."""
    found = _compiled(pattern)
    return found.message() if isinstance(found, Refusal) else None


def stored(pattern: str) -> Callable[[str], bool] | None:
    """The matcher of a pattern from a definition that was saved earlier, or None.

    A published version may hold a pattern that was accepted before patterns moved to RE2 and
    that RE2 cannot run (a backreference, a lookahead). Such a field is checked without its
    pattern (length and type rules still apply) rather than made impossible to answer; the
    operator finds the pattern in the log, once per process, and the designer's next save
    refuses it (docs/forms.md).
    """
    try:
        return compile_pattern(pattern)
    except PatternError as exc:
        _log_unusable(pattern, exc.refusal)
        return None


@lru_cache(maxsize=_CACHE_SIZE)
def _log_unusable(pattern: str, refusal: Refusal) -> None:
    log.warning("Stored form pattern %r cannot be used and is not checked: %s%s", pattern,
                refusal.kind, f" ({refusal.detail})" if refusal.detail else "")
