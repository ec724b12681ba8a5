"""CSV for spreadsheets, the one way every export writes CSV (issue 11, finding 13).

Spreadsheet programs read a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some,
with a tab, carriage return or line feed before such a character) as a formula: a service
title ``=HYPERLINK("http://evil","x")`` typed in the designer became a live link in a
clerk's spreadsheet. Following OWASP's advice every such text cell is written with a leading
single quote, which spreadsheets show as text and do not evaluate.

Numbers are written as numbers: an ``int``, ``Decimal`` or finite ``float`` is never text
typed by a person, so ``-3`` stays ``-3``. A number that arrives as a string (``"-3"``) is
quoted like any other text; the exports hand over numbers as numbers (docs/security.md).
``tests/core/test_csvexport.py`` fails when code outside this module creates a csv writer.
"""

import csv
import io
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may see it: numbers unchanged, empty for None, text that
    could start a formula prefixed with a single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START[:4]):
        return "'" + text
    return text


class SafeWriter:
    """A csv.writer whose every cell goes through safe_cell, the header too."""

    def __init__(self, target: Any, **options: Any) -> None:
        options.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(target, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def response(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A CSV download (UTF-8, CRLF lines) with a header row."""
    answer = HttpResponse(text(header, rows), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer
