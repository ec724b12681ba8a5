"""Static check of the literal regexes in our code for shapes that make Python's `re`
backtrack: exponentially (a repetition inside a repetition that can hand characters over to
the next round, alternatives in a repetition that can start alike) or polynomially (two
repetitions next to each other that can match the same characters).

It is a lint for the regexes we write, not a guard for patterns from users: those run on RE2
(amtsweg.core.patterns). It errs on the side of reporting; a reported regex is rewritten so
that its parts cannot match the same text (or moved to RE2).
"""

import re._constants as sre_c
import re._parser as sre_parse
from collections.abc import Iterator
from typing import Any

_UNIVERSE = "".join(map(chr, range(256))) + "äöüßÄÖÜẞ€–—„“中Ωπ\u2028\u00a0"
_ALL = frozenset(_UNIVERSE)
_CATEGORY = {
    sre_c.CATEGORY_DIGIT: str.isdigit, sre_c.CATEGORY_SPACE: str.isspace,
    sre_c.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    sre_c.CATEGORY_LINEBREAK: lambda c: c == "\n",
}
_NEGATED = {
    sre_c.CATEGORY_NOT_DIGIT: sre_c.CATEGORY_DIGIT, sre_c.CATEGORY_NOT_SPACE: sre_c.CATEGORY_SPACE,
    sre_c.CATEGORY_NOT_WORD: sre_c.CATEGORY_WORD,
    sre_c.CATEGORY_NOT_LINEBREAK: sre_c.CATEGORY_LINEBREAK,
}
_REPEATS = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT)


def _category(cat: Any) -> frozenset[str]:
    if cat in _NEGATED:
        return _ALL - _category(_NEGATED[cat])
    test = _CATEGORY.get(cat)
    return _ALL if test is None else frozenset(c for c in _UNIVERSE if test(c))


def _charset(items: list) -> frozenset[str]:
    chars: set[str] = set()
    negate = False
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            chars.add(chr(av))
        elif op is sre_c.RANGE:
            chars.update(c for c in _UNIVERSE if av[0] <= ord(c) <= av[1])
        elif op is sre_c.CATEGORY:
            chars |= _category(av)
        else:
            return _ALL
    return _ALL - chars if negate else frozenset(chars)


def _atom(op: Any, av: Any) -> frozenset[str] | None:
    """The characters a single-character element matches; None for other elements."""
    if op is sre_c.LITERAL:
        return frozenset(chr(av))
    if op is sre_c.NOT_LITERAL:
        return _ALL - {chr(av)}
    if op is sre_c.ANY:
        return _ALL - {"\n"}
    if op is sre_c.IN:
        return _charset(av)
    return None


def _children(op: Any, av: Any) -> list[list]:
    if op is sre_c.SUBPATTERN:
        return [list(av[3])]
    if op is sre_c.BRANCH:
        return [list(alt) for alt in av[1]]
    if op in _REPEATS or op is sre_c.POSSESSIVE_REPEAT:
        return [list(av[2])]
    if op is sre_c.ATOMIC_GROUP:
        return [list(av)]
    if op is sre_c.GROUPREF_EXISTS:
        return [list(av[1])] + ([list(av[2])] if av[2] else [[]])
    return []


def _nullable_item(op: Any, av: Any) -> bool:
    if _atom(op, av) is not None:
        return False
    if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT, sre_c.GROUPREF):
        return True
    if op in _REPEATS or op is sre_c.POSSESSIVE_REPEAT:
        return av[0] == 0 or _nullable(list(av[2]))
    if op is sre_c.BRANCH or op is sre_c.GROUPREF_EXISTS:
        return any(_nullable(c) for c in _children(op, av))
    return all(_nullable(c) for c in _children(op, av))


def _nullable(seq: list) -> bool:
    return all(_nullable_item(op, av) for op, av in seq)


def _first(seq: list) -> frozenset[str]:
    """Characters a match of the sequence can start with."""
    out: set[str] = set()
    for op, av in seq:
        atom = _atom(op, av)
        if atom is not None:
            return frozenset(out | atom)
        if op is sre_c.GROUPREF:
            return _ALL
        for child in _children(op, av):
            out |= _first(child)
        if not _nullable_item(op, av):
            break
    return frozenset(out)


def _chars(seq: list) -> frozenset[str]:
    """Every character a match of the sequence can contain."""
    out: set[str] = set()
    for op, av in seq:
        atom = _atom(op, av)
        if atom is not None:
            out |= atom
        elif op is sre_c.GROUPREF:
            return _ALL
        else:
            for child in _children(op, av):
                out |= _chars(child)
    return frozenset(out)


def _variable(op: Any, av: Any) -> bool:
    """A repetition whose count is not fixed (`+`, `*`, `{1,30}`)."""
    return op in _REPEATS and av[0] != av[1]


def _nested(seq: list, first: frozenset[str], tail_nullable: bool) -> bool:
    """Whether a variable repetition inside an outer repetition's body can hand characters
    over to the next round of the outer repetition: then a failing match tries every way to
    split the text between the rounds (`(a+)+`, `(a{1,30}){1,30}`)."""
    for i, (op, av) in enumerate(seq):
        tail = tail_nullable and _nullable(seq[i + 1:])
        if _variable(op, av) and tail and _chars(list(av[2])) & first:
            return True
        for child in _children(op, av):
            if op is not sre_c.POSSESSIVE_REPEAT and op is not sre_c.ATOMIC_GROUP and (
                    _nested(child, first, tail)):
                return True
    return False


def _ambiguous_branch(seq: list) -> bool:
    """A branch whose alternatives can start alike (or one is empty) inside a repetition."""
    for op, av in seq:
        if op is sre_c.BRANCH:
            alts = [list(a) for a in av[1]]
            if any(_nullable(a) for a in alts):
                return True
            seen: set[str] = set()
            for alt in alts:
                first = _first(alt)
                if first & seen:
                    return True
                seen |= first
        if op in _REPEATS:
            continue  # inner repetitions are checked on their own
        if any(_ambiguous_branch(c) for c in _children(op, av)):
            return True
    return False


def _flat(seq: list) -> list:
    """The sequence with plain groups opened, so that neighbours across a group show."""
    out: list = []
    for op, av in seq:
        if op is sre_c.SUBPATTERN:
            out.extend(_flat(list(av[3])))
        else:
            out.append((op, av))
    return out


def _adjacent(seq: list) -> bool:
    """Two unbounded repetitions with only optional parts between them, the second able to
    start with a character the first can match (`\\s*(.*?)\\s*$`, `\\d+\\.?\\d+`): a failing
    match tries every split between them."""
    flat = _flat(seq)
    for i, (op, av) in enumerate(flat):
        if not (op in _REPEATS and av[1] == sre_c.MAXREPEAT):
            continue
        mine = _chars(list(av[2]))
        for op2, av2 in flat[i + 1:]:
            if op2 in _REPEATS and av2[1] == sre_c.MAXREPEAT and _first(list(av2[2])) & mine:
                return True
            if not _nullable_item(op2, av2):
                break
    return any(_adjacent(child) for op, av in seq for child in _children(op, av))


def _repeats(seq: list) -> Iterator[tuple]:
    for op, av in seq:
        if op in _REPEATS:
            yield op, av
        for child in _children(op, av):
            yield from _repeats(child)


def backtracking_risk(pattern: str) -> str | None:
    """What makes the regex backtrack, or None when none of the known shapes is found."""
    parsed = list(sre_parse.parse(pattern).data)
    for _op, (_low, high, body) in _repeats(parsed):
        if high <= 1:
            continue
        body = list(body)
        if _nested(body, _first(body) if not _nullable(body) else _ALL, True):
            return "nested repetitions"
        if _ambiguous_branch(body):
            return "repeated alternatives that can start alike"
    if _adjacent(parsed):
        return "neighbouring repetitions that can match the same characters"
    return None
