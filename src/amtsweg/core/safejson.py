"""The one way to parse JSON that came from outside: request bodies, uploaded files, text typed
into the designer, JSON inside an uploaded FIM file.

`json.loads` on hostile input fails in ways callers do not expect: `"[" * 100000` raises
RecursionError (not ValueError), so a `except ValueError` lets it through as a 500; nesting a
few hundred levels deep parses but then overflows the recursive code that walks the value
(schema checks, rule compilers); `NaN` and `Infinity` are not JSON but Python accepts them;
an integer of more than 4,300 digits raises a ValueError about Python's conversion limit and
`1e999` becomes infinity. Both are refused with a sentence saying the number is too large.
`loads` turns all of these into one `JsonError` with a sentence, so a caller needs to catch
only that. tests/core/test_safejson.py fails when new code calls `json.loads` on outside data.
"""

import json
import math
import sys
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_NUMBER_DIGITS = sys.get_int_max_str_digits() or sys.int_info.default_max_str_digits
"""Digits of a JSON integer: Python's limit for converting text to int (4,300)."""


class JsonError(ValueError):
    """Input that is not acceptable JSON; `str()` is a sentence for the person or client."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def loads(data: bytes | str, *, max_bytes: int | None = None, max_depth: int | None = None,
          ) -> Any:
    """Parse JSON with a size and a nesting limit (JSON_MAX_BYTES, JSON_MAX_DEPTH by default)."""
    max_bytes = settings.JSON_MAX_BYTES if max_bytes is None else max_bytes
    max_depth = settings.JSON_MAX_DEPTH if max_depth is None else max_depth
    size = len(data.encode() if isinstance(data, str) else data)
    if size > max_bytes:
        raise JsonError(_("The JSON data is too large: at most %(size)s.")
                        % {"size": filesizeformat(max_bytes)})
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonError(_("This is not valid JSON (line %(line)d, column %(col)d: %(msg)s).")
                        % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}) from None
    except UnicodeDecodeError:
        raise JsonError(_("The JSON data is not UTF-8 text.")) from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's 4,300-digit limit
            raise _too_large() from None
        # NaN, Infinity
        raise JsonError(_("The JSON data contains a value that JSON does not allow (NaN or "
                          "Infinity).")) from None
    deepest, finite = _scan(value)
    if deepest > max_depth:
        raise _too_deep(max_depth)
    if not finite:  # 1e999, or a float of hundreds of digits
        raise _too_large()
    return value


def _too_large() -> JsonError:
    return JsonError(_("The JSON data contains a number that is too large: numbers may have "
                       "at most %(n)d digits and must be smaller than 10^308.")
                     % {"n": MAX_NUMBER_DIGITS})


def _too_deep(max_depth: int) -> JsonError:
    return JsonError(_("The JSON data is nested too deeply: at most %(n)d levels.")
                     % {"n": max_depth})


def depth(value: Any) -> int:
    """Nesting depth of a parsed value (a scalar is 0, `[]` is 1); without recursion."""
    return _scan(value)[0]


def _scan(value: Any) -> tuple[int, bool]:
    """Nesting depth, and whether every float is finite; without recursion."""
    deepest, finite = 0, True
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            if isinstance(node, float) and math.isinf(node):
                finite = False
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest, finite
