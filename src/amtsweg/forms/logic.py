"""A safe JSON Logic evaluator for form rules.

Rules come from form definitions that authorities edit, so they are data: only the listed
operations exist, nothing reaches Python attributes, and a rule's size and depth are capped.
A rule is compiled once into nested closures, because a large form evaluates dozens of rules
on every request; evaluating a compiled rule never raises (a failing operation yields None).
"""

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

MAX_NODES = 200
MAX_DEPTH = 32
MAX_STRING = 100_000

Compiled = Callable[[Any, Any], Any]
_MISSING = object()

# operation → (minimum, maximum) number of arguments; None = any number
ARITY: dict[str, tuple[int, int | None]] = {
    "var": (0, 2), "missing": (0, None), "missing_some": (2, 2), "if": (0, None),
    "==": (2, 2), "===": (2, 2), "!=": (2, 2), "!==": (2, 2), "!": (1, 1), "!!": (1, 1),
    "or": (1, None), "and": (1, None), "<": (2, 3), "<=": (2, 3), ">": (2, 3), ">=": (2, 3),
    "+": (0, None), "-": (1, 2), "*": (1, None), "/": (2, 2), "%": (2, 2),
    "min": (0, None), "max": (0, None), "cat": (0, None), "substr": (2, 3), "in": (2, 2),
    "merge": (0, None), "map": (2, 2), "filter": (2, 2), "all": (2, 2), "some": (2, 2),
    "none": (2, 2), "reduce": (2, 3), "today": (0, 0), "age": (1, 2),
    "date_diff_days": (2, 2), "count": (1, 1),
}
# operations whose second argument runs once per list element, with the element as data
ITERATING = frozenset({"map", "filter", "all", "some", "none", "reduce"})

_INT_RE = re.compile(r"^[+-]?\d{1,30}$")
_NUM_RE = re.compile(r"^[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE][+-]?\d{1,3})?$")


# --- value semantics -----------------------------------------------------------------------

def truthy(value: Any) -> bool:
    """JSON Logic truthiness: 0, "", [], null and false are false; "0" and {} are true."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, (str, list, tuple)):
        return len(value) > 0
    return True


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numeric_string(value: str) -> int | float | None:
    """A decimal string from an answer ("12.5", "-3") as a number, otherwise None."""
    text = value.strip()
    if _INT_RE.match(text):
        return int(text)
    if _NUM_RE.match(text):
        number = float(text)
        return number if math.isfinite(number) else None
    return None


def to_number(value: Any) -> int | float | None:
    """Arithmetic coercion as in JavaScript: null, "" and false are 0; junk is None."""
    if value is None or value is False or value == "":
        return 0
    if value is True:
        return 1
    if _is_num(value):
        return value
    if isinstance(value, str):
        return numeric_string(value)
    return None


def _result(number: Any) -> int | float | None:
    """Keep results finite and integral where possible (6 / 3 is 2, not 2.0)."""
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        if number.is_integer() and abs(number) < 2**53:
            return int(number)
    return number


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Both sides as values Python can order, or None when they cannot be compared."""
    if a is None or b is None:
        return None
    if isinstance(a, bool):
        a = int(a)
    if isinstance(b, bool):
        b = int(b)
    a_num, b_num = _is_num(a), _is_num(b)
    if a_num and b_num:
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        na, nb = numeric_string(a), numeric_string(b)
        if na is not None and nb is not None:
            return na, nb
        return a, b
    if a_num and isinstance(b, str):
        nb = numeric_string(b)
        return None if nb is None else (a, nb)
    if b_num and isinstance(a, str):
        na = numeric_string(a)
        return None if na is None else (na, b)
    return None


def loose_equal(a: Any, b: Any) -> bool:
    """`==`: numbers and numeric strings meet as numbers; other strings compare as text."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) and isinstance(b, bool):
        return a is b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return a == b
    pair = _comparable(a, b)
    return pair is not None and pair[0] == pair[1]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if _is_num(value):
        return "number"
    return type(value).__name__


def strict_equal(a: Any, b: Any) -> bool:
    """`===`: same kind of value and equal."""
    return _kind(a) == _kind(b) and a == b


def to_text(value: Any) -> str:
    """String conversion for `cat` and `in`, spelled as JavaScript would."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        value = _result(value)
    if isinstance(value, (list, tuple)):
        return ",".join(to_text(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def parse_date(value: Any) -> date | None:
    """An ISO date (or the date part of an ISO date-time), otherwise None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def today() -> date:
    """Today in the site's time zone (the applicant's day, not the server's UTC day)."""
    from django.utils import timezone

    if timezone.is_naive(now := timezone.now()):
        return now.date()
    return timezone.localdate(now)


def years_between(start: date, end: date) -> int:
    """Completed years from start to end (a birthday on 29 February counts on 1 March)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


# --- data access ---------------------------------------------------------------------------

def _split_path(path: Any) -> tuple[tuple[str, int | None], ...] | None:
    if path is None or path == "":
        return None
    if isinstance(path, bool):
        return ((to_text(path), None),)
    if isinstance(path, (int, float)):
        path = to_text(path)
    parts = []
    for part in str(path).split("."):
        index = int(part) if part.isdecimal() and len(part) < 10 else None
        parts.append((part, index))
    return tuple(parts)


def _walk(obj: Any, parts: tuple[tuple[str, int | None], ...]) -> Any:
    for key, index in parts:
        if isinstance(obj, dict):
            obj = obj.get(key, _MISSING)
            if obj is _MISSING:
                return _MISSING
        elif isinstance(obj, list) and index is not None:
            if index >= len(obj):
                return _MISSING
            obj = obj[index]
        else:
            return _MISSING
    return obj


def _lookup(data: Any, scope: Any, parts: tuple | None) -> Any:
    """The value at a path: the repeated group entry (scope) first, then the root."""
    if parts is None:
        return data if scope is None else scope
    if scope is not None:
        value = _walk(scope, parts)
        if value is not _MISSING:
            return value
    return _walk(data, parts)


def lookup(data: Any, path: str, scope: Any = None) -> Any:
    """The value at a dotted path (None if absent), as `var` would see it."""
    value = _lookup(data, scope, _split_path(path))
    return None if value is _MISSING else value


# --- compiler ------------------------------------------------------------------------------

def _const(value: Any) -> Compiled:
    return lambda data, scope: value


def _args_of(rule: dict) -> tuple[str, list]:
    op, args = next(iter(rule.items()))
    if not isinstance(args, list):
        args = [args]
    return op, args


def _compile(node: Any) -> Compiled:
    if isinstance(node, dict):
        op, args = _args_of(node)
        return _COMPILERS[op](args)
    if isinstance(node, list):
        items = [_compile(n) for n in node]
        if all(not isinstance(n, (dict, list)) for n in node):
            frozen = list(node)
            return lambda data, scope: list(frozen)
        return lambda data, scope: [f(data, scope) for f in items]
    return _const(node)


def _c_var(args: list) -> Compiled:
    default = _compile(args[1]) if len(args) > 1 else _const(None)
    path = args[0] if args else None
    if isinstance(path, (dict, list)):
        path_fn = _compile(path)

        def dynamic(data, scope):
            value = _lookup(data, scope, _split_path(path_fn(data, scope)))
            return default(data, scope) if value is _MISSING or value is None else value
        return dynamic
    parts = _split_path(path)
    if len(parts or ()) == 1 and len(args) == 1:
        key = parts[0][0]

        def simple(data, scope):
            if isinstance(scope, dict):
                value = scope.get(key, _MISSING)
                if value is not _MISSING:
                    return value
            if isinstance(data, dict):
                return data.get(key)
            value = _walk(data, parts)
            return None if value is _MISSING else value
        return simple

    def var(data, scope):
        value = _lookup(data, scope, parts)
        return default(data, scope) if value is _MISSING or value is None else value
    return var


def _missing_keys(keys: Any, data: Any, scope: Any) -> list:
    if not isinstance(keys, list):
        keys = [keys]
    out = []
    for key in keys:
        value = _lookup(data, scope, _split_path(key))
        if value is _MISSING or value is None or value == "" or value == []:
            out.append(key)
    return out


def _c_missing(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def missing(data, scope):
        values = [f(data, scope) for f in fns]
        if values and isinstance(values[0], list):
            values = values[0]
        return _missing_keys(values, data, scope)
    return missing


def _c_missing_some(args: list) -> Compiled:
    need, keys = _compile(args[0]), _compile(args[1])

    def missing_some(data, scope):
        wanted = keys(data, scope)
        wanted = wanted if isinstance(wanted, list) else [wanted]
        absent = _missing_keys(wanted, data, scope)
        n = to_number(need(data, scope)) or 0
        return [] if len(wanted) - len(absent) >= n else absent
    return missing_some


def _c_if(args: list) -> Compiled:
    fns = [_compile(a) for a in args]
    if not fns:
        return _const(None)
    pairs = [(fns[i], fns[i + 1]) for i in range(0, len(fns) - 1, 2)]
    otherwise = fns[-1] if len(fns) % 2 else _const(None)

    def if_(data, scope):
        for cond, then in pairs:
            if truthy(cond(data, scope)):
                return then(data, scope)
        return otherwise(data, scope)
    return if_


def _binary(test: Callable[[Any, Any], bool]) -> Callable[[list], Compiled]:
    def compiler(args: list) -> Compiled:
        a, b = _compile(args[0]), _compile(args[1])
        return lambda data, scope: test(a(data, scope), b(data, scope))
    return compiler


def _ordering(test: Callable[[Any, Any], bool]) -> Callable[[list], Compiled]:
    def ordered(x: Any, y: Any) -> bool:
        pair = _comparable(x, y)
        if pair is None:
            return False
        try:
            return test(pair[0], pair[1])
        except TypeError:
            return False

    def compiler(args: list) -> Compiled:
        fns = [_compile(a) for a in args]
        if len(fns) == 2:
            a, b = fns
            return lambda data, scope: ordered(a(data, scope), b(data, scope))

        def between(data, scope):
            values = [f(data, scope) for f in fns]
            return ordered(values[0], values[1]) and ordered(values[1], values[2])
        return between
    return compiler


def _c_not(args: list) -> Compiled:
    a = _compile(args[0])
    return lambda data, scope: not truthy(a(data, scope))


def _c_notnot(args: list) -> Compiled:
    a = _compile(args[0])
    return lambda data, scope: truthy(a(data, scope))


def _c_or(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def or_(data, scope):
        value = None
        for f in fns:
            value = f(data, scope)
            if truthy(value):
                return value
        return value
    return or_


def _c_and(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def and_(data, scope):
        value = None
        for f in fns:
            value = f(data, scope)
            if not truthy(value):
                return value
        return value
    return and_


def _numbers(fns: list[Compiled], data: Any, scope: Any) -> list | None:
    out = []
    for f in fns:
        n = to_number(f(data, scope))
        if n is None:
            return None
        out.append(n)
    return out


def _c_plus(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def plus(data, scope):
        nums = _numbers(fns, data, scope)
        return None if nums is None else _result(sum(nums))
    return plus


def _c_minus(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def minus(data, scope):
        nums = _numbers(fns, data, scope)
        if nums is None:
            return None
        return _result(-nums[0] if len(nums) == 1 else nums[0] - nums[1])
    return minus


def _c_times(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def times(data, scope):
        nums = _numbers(fns, data, scope)
        if nums is None:
            return None
        product = 1
        for n in nums:
            product *= n
            if isinstance(product, int) and product.bit_length() > 1024:
                return None
        return _result(product)
    return times


def _c_div(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def div(data, scope):
        nums = _numbers(fns, data, scope)
        if nums is None or nums[1] == 0:
            return None
        a, b = nums
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return a // b
        return _result(a / b)
    return div


def _c_mod(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def mod(data, scope):
        nums = _numbers(fns, data, scope)
        if nums is None or nums[1] == 0:
            return None
        a, b = nums
        if isinstance(a, int) and isinstance(b, int):
            rest = abs(a) % abs(b)  # JavaScript: the sign follows the dividend
            return -rest if a < 0 else rest
        return _result(math.fmod(a, b))
    return mod


def _extreme(pick: Callable) -> Callable[[list], Compiled]:
    def compiler(args: list) -> Compiled:
        fns = [_compile(a) for a in args]

        def extreme(data, scope):
            values = [f(data, scope) for f in fns]
            if len(values) == 1 and isinstance(values[0], list):
                values = values[0]
            nums = []
            for v in values:
                n = to_number(v) if not isinstance(v, (list, dict)) else None
                if n is None:
                    return None
                nums.append(n)
            return pick(nums) if nums else None
        return extreme
    return compiler


def _c_cat(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def cat(data, scope):
        text = "".join(to_text(f(data, scope)) for f in fns)
        return text if len(text) <= MAX_STRING else None
    return cat


def _c_substr(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def substr(data, scope):
        values = [f(data, scope) for f in fns]
        text = to_text(values[0])
        start = to_number(values[1])
        if not isinstance(start, int):
            return None
        if len(values) < 3:
            return text[start:]
        length = to_number(values[2])
        if not isinstance(length, int):
            return None
        begin = start if start >= 0 else max(len(text) + start, 0)
        end = begin + length if length >= 0 else len(text) + length
        return text[begin:end]
    return substr


def _c_in(args: list) -> Compiled:
    needle, haystack = _compile(args[0]), _compile(args[1])

    def in_(data, scope):
        a, b = needle(data, scope), haystack(data, scope)
        if isinstance(b, str):
            return to_text(a) in b
        if isinstance(b, list):
            return any(strict_equal(a, x) or loose_equal(a, x) for x in b)
        return False
    return in_


def _c_merge(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def merge(data, scope):
        out: list = []
        for f in fns:
            value = f(data, scope)
            if isinstance(value, list):
                out.extend(value)
            else:
                out.append(value)
        return out
    return merge


def _iterating(kind: str) -> Callable[[list], Compiled]:
    def compiler(args: list) -> Compiled:
        source, inner = _compile(args[0]), _compile(args[1])
        initial = _compile(args[2]) if len(args) > 2 else _const(None)

        def run(data, scope):
            items = source(data, scope)
            if not isinstance(items, list):
                items = []
            if kind == "map":
                return [inner(x, None) for x in items]
            if kind == "filter":
                return [x for x in items if truthy(inner(x, None))]
            if kind == "all":
                return bool(items) and all(truthy(inner(x, None)) for x in items)
            if kind == "some":
                return any(truthy(inner(x, None)) for x in items)
            if kind == "none":
                return not any(truthy(inner(x, None)) for x in items)
            acc = initial(data, scope)
            for x in items:
                acc = inner({"current": x, "accumulator": acc}, None)
            return acc
        return run
    return compiler


def _c_today(args: list) -> Compiled:
    return lambda data, scope: today().isoformat()


def _c_age(args: list) -> Compiled:
    fns = [_compile(a) for a in args]

    def age(data, scope):
        start = parse_date(fns[0](data, scope))
        end = parse_date(fns[1](data, scope)) if len(fns) > 1 else today()
        if start is None or end is None:
            return None
        return years_between(start, end)
    return age


def _c_date_diff_days(args: list) -> Compiled:
    a, b = _compile(args[0]), _compile(args[1])

    def diff(data, scope):
        start, end = parse_date(a(data, scope)), parse_date(b(data, scope))
        if start is None or end is None:
            return None
        return (end - start).days
    return diff


def _c_count(args: list) -> Compiled:
    a = _compile(args[0])

    def count(data, scope):
        value = a(data, scope)
        if value is None:
            return 0
        if isinstance(value, (list, dict, str)):
            return len(value)
        return None
    return count


_COMPILERS: dict[str, Callable[[list], Compiled]] = {
    "var": _c_var, "missing": _c_missing, "missing_some": _c_missing_some, "if": _c_if,
    "==": _binary(loose_equal), "!=": _binary(lambda a, b: not loose_equal(a, b)),
    "===": _binary(strict_equal), "!==": _binary(lambda a, b: not strict_equal(a, b)),
    "!": _c_not, "!!": _c_notnot, "or": _c_or, "and": _c_and,
    "<": _ordering(lambda a, b: a < b), "<=": _ordering(lambda a, b: a <= b),
    ">": _ordering(lambda a, b: a > b), ">=": _ordering(lambda a, b: a >= b),
    "+": _c_plus, "-": _c_minus, "*": _c_times, "/": _c_div, "%": _c_mod,
    "min": _extreme(min), "max": _extreme(max), "cat": _c_cat, "substr": _c_substr,
    "in": _c_in, "merge": _c_merge, "today": _c_today, "age": _c_age,
    "date_diff_days": _c_date_diff_days, "count": _c_count,
    **{name: _iterating(name) for name in ITERATING},
}


# --- public API ----------------------------------------------------------------------------

def check_rule(rule: Any) -> list[str]:
    """Problems that make a rule unusable: unknown operations, wrong arity, too big or deep."""
    problems: list[str] = []
    nodes = 0

    def visit(node: Any, depth: int) -> None:
        nonlocal nodes
        nodes += 1
        if depth > MAX_DEPTH:
            problems.append(_("The rule is nested more than %(max)d levels deep.")
                            % {"max": MAX_DEPTH})
            return
        if nodes > MAX_NODES * 4:
            return
        if isinstance(node, list):
            for item in node:
                visit(item, depth + 1)
        elif isinstance(node, dict):
            if len(node) != 1:
                problems.append(_("A rule object must have exactly one operation."))
                return
            op, args = _args_of(node)
            if op not in ARITY:
                problems.append(_("Unknown operation “%(op)s”.") % {"op": op})
                return
            low, high = ARITY[op]
            if len(args) < low or (high is not None and len(args) > high):
                problems.append(_("Wrong number of arguments for “%(op)s”.") % {"op": op})
            for arg in args:
                visit(arg, depth + 1)
        elif not (node is None or isinstance(node, (str, int, float, bool))):
            problems.append(_("A rule may contain only JSON values."))
        elif isinstance(node, float) and not math.isfinite(node):
            problems.append(_("A rule may contain only finite numbers."))

    visit(rule, 0)
    if nodes > MAX_NODES:
        problems.insert(0, _("The rule has more than %(max)d parts.") % {"max": MAX_NODES})
    return list(dict.fromkeys(problems))


def var_paths(rule: Any) -> list[str]:
    """The answer paths a rule reads with a literal `var` or `missing`, outside of the inner
    rules of `map`, `filter` etc. (which read list elements, not answers)."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict) and len(node) == 1:
            op, args = _args_of(node)
            if op == "var" and args and isinstance(args[0], str) and args[0]:
                found.append(args[0])
            elif op == "missing":
                found.extend(a for a in args if isinstance(a, str) and a)
            elif op == "missing_some" and len(args) == 2 and isinstance(args[1], list):
                found.extend(a for a in args[1] if isinstance(a, str) and a)
            if op in ITERATING:
                args = args[:1] + args[2:]
            for arg in args:
                visit(arg)

    visit(rule)
    return found


def compile_rule(rule: Any) -> Compiled:
    """A function `(data, scope) → value` for a rule; ValueError if check_rule finds problems.

    The returned function never raises: an operation that fails (a type mismatch, a number
    too large) makes the whole rule evaluate to None, which is falsy.
    """
    problems = check_rule(rule)
    if problems:
        raise ValueError("; ".join(problems))
    inner = _compile(rule)

    def run(data: Any, scope: Any = None) -> Any:
        try:
            return inner(data, scope)
        except (ArithmeticError, TypeError, ValueError, RecursionError, MemoryError):
            return None
    return run


@lru_cache(maxsize=2048)
def _cached(key: str) -> Compiled | None:
    try:
        return compile_rule(json.loads(key))
    except ValueError:
        return None


def evaluate(rule: Any, data: Any, scope: Mapping | None = None) -> Any:
    """Evaluate a rule once (compiled rules are cached); None for a rule that is invalid."""
    try:
        key = json.dumps(rule, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    fn = _cached(key)
    return None if fn is None else fn(data, scope)
