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

What compiling may cost is bounded three times over (outside tester: 100 fields with
`[\\w ]{1,199}c<n>` cost seconds of CPU per unauthenticated check):

- one pattern: RE2 may use at most MAX_MEM for program and DFA. It is tried with a small memory
  first and a larger one only when that does not suffice (TIERS), so a refusal costs a few
  milliseconds and a simple pattern is known to need little memory. A pattern that is a row
  of single characters and classes of which one is repeated (`^[\\w .-]{1,200}$`, the usual
  name pattern, or `^[A-ZÄÖÜ][\\w .'-]{0,49}$`) is checked with `*` in place of the repetition
  plus the answer's length, which is the same and needs one copy of the class instead of 200
  (`_length_form`).
- one definition: `Budget` charges each distinct pattern the memory tier it needed (a pattern
  refused as too complex: MAX_MEM) and refuses the whole definition beyond DEFINITION_BUDGET
  without compiling further; the designer, the check API and the FIM import all go through it.
- the process: compiled patterns are kept in an LRU cache bounded by CACHE_BYTES, each weighed
  at its tier (RE2 never uses more), which holds at least CACHE_BYTES / DEFINITION_BUDGET
  forms at their budget, so a published form's patterns are compiled once, not per answer.
"""

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import re2
from django.utils.translation import gettext as _

MAX_LENGTH = 200
"""Characters of a pattern (form fields, FIM imports)."""

MAX_MEM = 1 << 20
"""Bytes RE2 may use per compiled pattern (program and DFA cache); a larger program is refused
as too complex, a full DFA cache makes RE2 fall back to its (still linear) NFA. 1 MB admit
about 67,000 instructions (a Unicode class like `[\\w .-]` repeated 50 times), compiled in
about 25 ms; refusing a bigger one costs about 5 ms (4 MB: 130 ms and 20 ms)."""

TIERS = (32 << 10, 256 << 10, MAX_MEM)
"""Memory tried in turn: 32 KB hold the usual patterns (ASCII classes repeated up to 1000
times, one Unicode class like `\\w`), 256 KB about a dozen Unicode classes. A refusal at a
tier costs time proportional to it (32 KB: 0.2 ms, 256 KB: 1.3 ms)."""

DEFINITION_BUDGET = 8 << 20
"""What the distinct patterns of one definition (or FIM file) may weigh together: 256 simple
patterns, 32 middle ones or 8 at MAX_MEM; compiling them all takes at most about 0.3 s."""

CACHE_BYTES = 64 << 20
"""Weight of the compiled patterns kept per process: eight definitions at their budget, or
2,048 simple patterns."""

REFUSAL_WEIGHT = 1 << 10
"""Weight of a refusal in the cache and in a budget (RE2 stopped while parsing)."""

log = logging.getLogger(__name__)

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
        if self.kind == "budget":
            return _("The patterns are too many or too complex to be checked together: at "
                     "most %(simple)d different simple patterns or %(complex)d complex ones. "
                     "Use fewer different or simpler patterns (a pattern used in several "
                     "fields counts once); nothing after this was checked.") % {
                "simple": DEFINITION_BUDGET // TIERS[0],
                "complex": DEFINITION_BUDGET // MAX_MEM}
        return _("The pattern is not a valid regular expression (%(detail)s).") % {
            "detail": self.detail}


class PatternError(ValueError):
    """A pattern that cannot be used; `refusal.message()` says why in a sentence."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"{refusal.kind}: {refusal.detail}")
        self.refusal = refusal


class BudgetExceeded(PatternError):
    """The patterns of one definition together cost more than DEFINITION_BUDGET."""


def _options(max_mem: int) -> re2.Options:
    options = re2.Options()
    options.max_mem = max_mem
    options.log_errors = False
    options.never_capture = True  # only "does it match" is asked; no groups are kept
    return options


_OPTIONS = tuple((max_mem, _options(max_mem)) for max_mem in TIERS)
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


_REPEAT = re.compile(r"\{(\d{1,4})\}|\{(\d{0,4}),(\d{0,4})\}")
_ESCAPE = re.compile(r"\\(?:[wWdDsSntrfv]|[pP](?:[A-Za-z]|\{[A-Za-z_]{1,40}\})|u[0-9a-fA-F]{4}"
                     r"|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|x\{[0-9a-fA-F]{1,6}\}|[^0-9A-Za-z])")
_SPECIAL = set("\\[](){}|*+?^$")


def _class_end(pattern: str, i: int) -> int | None:
    """The index after the character class that starts at `pattern[i]` ("["), or None."""
    j = i + 2 if pattern.startswith("[^", i) else i + 1
    if pattern.startswith("]", j):  # a "]" right after "[" or "[^" is a literal
        j += 1
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
        elif c == "[" and pattern.startswith(":", j + 1) and ":]" in pattern[j + 2:]:
            j = pattern.index(":]", j + 2) + 2
        elif c == "]":
            return j + 1
        else:
            j += 1
    return None


def _atoms(body: str) -> list[tuple[str, re.Match | None]] | None:
    """The pattern as single-character atoms (a class, `.`, an escape, a plain character),
    each with its `{m,n}` if it has one; None if it is anything else (groups, alternatives,
    other quantifiers, anchors inside)."""
    out: list[tuple[str, re.Match | None]] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "[":
            end = _class_end(body, i)
        elif c == "\\":
            found = _ESCAPE.match(body, i)
            end = found.end() if found else None
        elif c == "." or c not in _SPECIAL:
            end = i + 1
        else:
            return None
        if end is None:
            return None
        atom, i = body[i:end], end
        repeat = _REPEAT.match(body, i) if body.startswith("{", i) else None
        if repeat is not None:
            i = repeat.end()
            if body.startswith(("?", "+", "*", "{"), i):
                return None  # lazy or possessive: left to RE2
        out.append((atom, repeat))
    return out


def _length_form(pattern: str) -> tuple[str, int, int | None] | None:
    r"""(RE2 pattern, minimum, maximum length) when the whole pattern is a row of
    single-character atoms of which exactly one is repeated `{m,n}`: `^[\w .-]{1,200}$`,
    `^[A-ZÄÖÜ][\w .'-]{0,49}$`, `(?:\d{5})`. Each atom takes one character, so on a whole
    answer the repetition is the same as `*` with the answer's length within the bounds
    plus the other atoms; RE2 then holds one copy of the class instead of one per
    repetition. Anything else: None."""
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    for end in ("$", "\\Z"):
        if body.endswith(end) and not body[:-len(end)].endswith("\\"):
            body = body[:-len(end)]
            break
    if body.startswith("(?:") and body.endswith(")"):
        body = body[3:-1]
    atoms = _atoms(body)
    repeated = [repeat for _atom, repeat in atoms or () if repeat is not None]
    if len(repeated) != 1:
        return None
    repeat = repeated[0]
    if repeat.group(1) is not None:
        low = high = int(repeat.group(1))
    else:
        low = int(repeat.group(2) or 0)
        high = int(repeat.group(3)) if repeat.group(3) else None
    if low > 1000 or (high is not None and not low <= high <= 1000):
        return None  # RE2 gives its own refusal
    fixed = len(atoms) - 1
    translated = "".join(_to_re2(atom) if repeat is None else f"(?:{_to_re2(atom)})*"
                         for atom, repeat in atoms)
    return translated, fixed + low, None if high is None else fixed + high


@dataclass(frozen=True)
class _Program:
    regexp: "re2._Regexp"
    low: int
    high: int | None
    weight: int  # the max_mem it was compiled with: RE2 never uses more

    def matcher(self) -> Callable[[str], bool]:
        fullmatch, low, high = self.regexp.fullmatch, self.low, self.high
        if low == 0 and high is None:
            return lambda text: fullmatch(text) is not None
        return lambda text: (low <= len(text) and (high is None or len(text) <= high)
                             and fullmatch(text) is not None)


def _compile(pattern: str) -> "_Program | Refusal":
    """One pattern compiled on the smallest tier that holds it (no cache)."""
    if len(pattern) > MAX_LENGTH:
        return Refusal("length")
    try:
        translated = _to_re2(pattern)
        low, high = 0, None
        shape = _length_form(pattern)
        if shape is not None:
            translated, low, high = shape
    except PatternError as exc:
        return exc.refusal
    for max_mem, options in _OPTIONS:
        try:
            return _Program(re2.compile(translated, options), low, high, max_mem)
        except re2.error as exc:
            raw = exc.args[0] if exc.args else ""
            refusal = _classify(raw.decode(errors="replace") if isinstance(raw, bytes)
                                else str(raw))
            if refusal.kind != "complex":
                return refusal
    return refusal


def _weight(found: "_Program | Refusal") -> int:
    return found.weight if isinstance(found, _Program) else REFUSAL_WEIGHT


def _cost(found: "_Program | Refusal") -> int:
    """What a pattern costs a definition's budget: its memory, or for one refused as too
    complex the largest tier (that is what trying it took)."""
    if isinstance(found, Refusal) and found.kind == "complex":
        return MAX_MEM
    return _weight(found)


class _Cache:
    """Least recently used first out, bounded by the sum of the entries' weights."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.bytes = 0
        self._entries: OrderedDict[str, _Program | Refusal] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, pattern: str) -> "_Program | Refusal | None":
        with self._lock:
            found = self._entries.get(pattern)
            if found is not None:
                self._entries.move_to_end(pattern)
            return found

    def put(self, pattern: str, found: "_Program | Refusal") -> None:
        with self._lock:
            if pattern in self._entries:
                return
            self._entries[pattern] = found
            self.bytes += _weight(found)
            while self.bytes > self.capacity and len(self._entries) > 1:
                _old, dropped = self._entries.popitem(last=False)
                self.bytes -= _weight(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


_cache = _Cache(CACHE_BYTES)


def _compiled(pattern: str) -> "_Program | Refusal":
    found = _cache.get(pattern)
    if found is None:
        found = _compile(pattern)
        _cache.put(pattern, found)
    return found


class Budget:
    """What checking the patterns of one definition may cost (DEFINITION_BUDGET).

    Each distinct pattern is charged once, by what it is (`_cost`), not by whether this process
    had it cached, so the same definition is accepted or refused everywhere. When the sum
    passes the budget, `problem` raises BudgetExceeded, for this and every later pattern."""

    def __init__(self, limit: int = DEFINITION_BUDGET) -> None:
        self.limit = limit
        self.used = 0
        self._seen: dict[str, _Program | Refusal] = {}

    def problem(self, pattern: str) -> str | None:
        """Like `problem`, charged to this budget."""
        if self.used > self.limit:
            raise BudgetExceeded(Refusal("budget"))
        found = self._seen.get(pattern)
        if found is None:
            found = _compiled(pattern)
            self._seen[pattern] = found
            self.used += _cost(found)
            if self.used > self.limit:
                raise BudgetExceeded(Refusal("budget"))
        return found.message() if isinstance(found, Refusal) else None


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A function telling whether a whole text matches the pattern; PatternError if the
    pattern cannot be used."""
    found = _compiled(pattern)
    if isinstance(found, Refusal):
        raise PatternError(found)
    return found.matcher()


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


_logged: set[tuple[str, Refusal]] = set()


def _log_unusable(pattern: str, refusal: Refusal) -> None:
    if (pattern, refusal) in _logged or len(_logged) > 10000:
        return
    _logged.add((pattern, refusal))
    log.warning("Stored form pattern %r cannot be used and is not checked: %s%s", pattern,
                refusal.kind, f" ({refusal.detail})" if refusal.detail else "")
