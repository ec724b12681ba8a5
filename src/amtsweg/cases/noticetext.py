"""The notice text (Bescheid) that designers write in the browser: a small markup, checked at
save, turned into blocks of plain text that the fixed Typst template `notice` lays out.

Why data and not Typst: designer text and placeholder values never become Typst source. The
markup is parsed here into headings, paragraphs and bullet lists whose words are plain
strings; they travel to the compiler as JSON (``sys.inputs``, see documents/render.py) and the
template places them as text. So ``#read("/etc/passwd")``, ``$x$`` or ``#while true {}`` in a
text or an answer is printed as it stands — there is no escaping that could be forgotten.

The markup (one rule per line, nothing else is special):

- a blank line separates paragraphs; a single line break stays a line break
- ``# Heading`` and ``## Sub-heading``
- ``- item`` or ``* item``: a bullet list
- ``**bold**`` inside a line
- ``{{ name }}``: a placeholder (`FIXED` or ``answers.<path of a form field>``)
- ``{{#bewilligt}}`` … ``{{/bewilligt}}``, each on its own line: only in notices with that
  outcome (the outcomes of the version's workflow)

This module needs no database; `amtsweg.cases.notices` brings the values.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amtsweg.forms import engine, types
from amtsweg.forms.engine import CompiledForm, Item

MAX_LENGTH = 20000

# No two repetitions next to each other may match the same characters: `\s*(.*?)\s*$` took
# seconds for a line of 20,000 spaces and minutes for "{{" and 5,000 spaces (issue 11). The
# white space around names and at line ends is stripped in code instead.
PLACEHOLDER = re.compile(r"\{\{([^{}\n]*)\}\}")
OUTCOME_MARK = re.compile(r"^\s*\{\{\s*([#/])([^{}\n]*)\}\}\s*$")
HEADING = re.compile(r"^(#{1,2})[ \t]+(\S.*)$")
BULLET = re.compile(r"^\s*[-*][ \t]+(\S.*)$")
BOLD = re.compile(r"\*\*(.+?)\*\*")
ANSWERS = "answers."

# Placeholders every notice has; the value comes from the notice's data (notices.py).
FIXED: dict[str, Any] = {
    "case.receipt_number": gettext_lazy("receipt number of the application"),
    "case.notice_number": gettext_lazy("number of this notice"),
    "case.submitted_at": gettext_lazy("date of the application"),
    "service.title": gettext_lazy("name of the online service"),
    "applicant.name": gettext_lazy("name of the applicant (or the organisation)"),
    "authority.name": gettext_lazy("name of the Behörde"),
    "authority.address": gettext_lazy("address of the Behörde"),
    "authority.email": gettext_lazy("e-mail address of the Behörde"),
    "authority.phone": gettext_lazy("phone number of the Behörde"),
    "decision": gettext_lazy("the decision as a sentence, e.g. “Your application is "
                             "approved.”"),
    "outcome": gettext_lazy("the outcome as one word: bewilligt, teilweise bewilligt, "
                            "abgelehnt"),
    "reasons": gettext_lazy("the reasons the clerk writes when deciding"),
    "fee": gettext_lazy("the fee of the application (empty when there is none)"),
    "date": gettext_lazy("the date of the notice"),
}

# Values for the preview of fields that carry a profile attribute; others show their label.
SAMPLE_BY_ATTRIBUTE = {
    "given_name": "Erika", "family_name": "Mustermann", "birth_date": "1990-05-17",
    "birth_place": "Fulda", "street": "Musterstraße", "house_number": "1",
    "postal_code": "36037", "place": "Fulda", "country": "DE", "salutation": "Frau",
    "email": "erika.mustermann@example.org", "phone": "0661 102-0",
}
SAMPLE_ADDRESS = {"street": "Musterstraße", "house_number": "1", "postal_code": "36037",
                  "place": "Fulda", "country": "DE"}


# --- fields of the form --------------------------------------------------------------------

def answer_fields(form: CompiledForm) -> dict[str, Item]:
    """The form fields a placeholder may name, by answer path ("kinder.vorname"): every item
    that holds a value, except file uploads (a notice names no files)."""
    return {path: item for path, item in form.by_path.items()
            if item.type not in ("group", "info", "file")}


def answer_texts(form: CompiledForm, answers: Mapping, paths: Iterable[str],
                 lang: str) -> dict[str, str]:
    """The answers at `paths` as the applicant reads them; the entries of a repeated group
    are joined with commas, a field without an answer gives an empty text."""
    out = {}
    for path in paths:
        item = form.by_path.get(path)
        if item is None:
            continue
        values = _values_at(form, answers, path)
        out[path] = ", ".join(engine.display(item.spec, v, lang) for v in values
                              if not (types.is_empty(v) and item.type != "boolean"))
    return out


def _values_at(form: CompiledForm, answers: Mapping, path: str) -> list[Any]:
    current: list[Any] = [answers]
    parts = path.split(".")
    for i, key in enumerate(parts):
        found = [c[key] for c in current if isinstance(c, Mapping) and key in c]
        item = form.by_path.get(".".join(parts[:i + 1]))
        if item is not None and item.repeat is not None and i < len(parts) - 1:
            found = [entry for v in found if isinstance(v, list) for entry in v]
        current = found
    return current


def sample_answers(form: CompiledForm, lang: str = "de") -> dict:
    """Answers for the preview, built from the form definition: one entry per repeated group,
    plausible values for typed fields, the field's label in brackets for free text."""

    def fill(items: list[Item]) -> dict:
        out: dict[str, Any] = {}
        for item in items:
            if item.type in ("info", "file"):
                continue
            if item.type == "group":
                out[item.key] = [fill(item.children)] if item.repeat is not None \
                    else fill(item.children)
            else:
                out[item.key] = sample_value(item.spec, lang)
        return out

    answers: dict[str, Any] = {}
    for step in form.steps:
        answers.update(fill(step.items))
    return answers


def sample_value(spec: dict, lang: str = "de") -> Any:
    kind = spec["type"]
    attribute = spec.get("prefill")
    if kind == "address":
        return dict(SAMPLE_ADDRESS)
    if attribute in SAMPLE_BY_ATTRIBUTE and kind in ("text", "date", "email", "phone",
                                                     "choice"):
        if kind != "choice" or attribute == "country":
            return SAMPLE_BY_ATTRIBUTE[attribute]
    if kind == "integer":
        value = max(spec.get("min", 1), 1)
        return min(value, spec["max"]) if "max" in spec else value
    if kind in ("decimal", "currency"):
        return f"{max(float(spec.get('min', 0)), 12.5):.2f}"
    if kind == "date":
        return date.today().isoformat()
    if kind == "boolean":
        return True
    if kind in ("choice", "multichoice"):
        options = types.options_of(spec)
        first = options[0]["value"] if options else ""
        return [first] if kind == "multichoice" else first
    if kind == "email":
        return SAMPLE_BY_ATTRIBUTE["email"]
    if kind == "phone":
        return SAMPLE_BY_ATTRIBUTE["phone"]
    if kind == "iban":
        return "DE02120300000000202051"
    return f"[{types.label_of(spec.get('label'), lang) or spec['key']}]"


# --- checking ------------------------------------------------------------------------------

def placeholders(body: str) -> list[str]:
    """The placeholder names in a text, in order, without the outcome markers."""
    return [m.group(1).strip() for line in body.splitlines() if not OUTCOME_MARK.match(line)
            for m in PLACEHOLDER.finditer(line)]


def check(body: str, *, fields: Iterable[str], outcomes: Iterable[str]) -> list[str]:
    """What is wrong with a text, as sentences (empty: it can be saved)."""
    if len(body) > MAX_LENGTH:
        return [_("The text is longer than %(n)d characters.") % {"n": MAX_LENGTH}]
    problems = []
    known = set(FIXED) | {ANSWERS + f for f in fields}
    outcomes = list(outcomes)
    unknown, inline_marks = [], []
    for name in placeholders(body):
        if name[:1] in ("#", "/"):
            inline_marks.append(name)
        elif name not in known and name not in unknown:
            unknown.append(name)
    if unknown:
        problems.append(_("Unknown placeholders: %(names)s. Use the placeholders listed on "
                          "this page.") % {"names": ", ".join(f"{{{{ {n} }}}}"
                                                              for n in unknown)})
    if inline_marks:
        problems.append(_("An outcome block marker must stand on a line of its own: "
                          "%(marks)s.") % {"marks": ", ".join(f"{{{{{m}}}}}"
                                                              for m in inline_marks)})
    problems += _check_outcome_blocks(body, outcomes)
    return problems


def _check_outcome_blocks(body: str, outcomes: list[str]) -> list[str]:
    problems, open_block = [], None
    for number, line in enumerate(body.splitlines(), 1):
        m = OUTCOME_MARK.match(line)
        if m is None:
            continue
        kind, name = m.group(1), m.group(2).strip()
        where = {"line": number, "name": name}
        if name not in outcomes:
            problems.append(_("Line %(line)d: there is no outcome “%(name)s”; the outcomes are "
                              "%(outcomes)s.") % {**where, "outcomes": ", ".join(outcomes)})
        elif kind == "#" and open_block is not None:
            problems.append(_("Line %(line)d: the block “%(open)s” is still open; close it "
                              "with {{/%(open)s}} first.") % {**where, "open": open_block})
        elif kind == "#":
            open_block = name
        elif open_block != name:
            problems.append(_("Line %(line)d: {{/%(name)s}} closes a block that was not "
                              "opened.") % where)
        else:
            open_block = None
    if open_block is not None:
        problems.append(_("The block “%(name)s” is not closed; end it with {{/%(name)s}}.")
                        % {"name": open_block})
    return problems


# --- conversion ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Piece:
    text: str
    bold: bool
    placeholder: bool = False


def select(body: str, outcome: str | None) -> list[str]:
    """The lines of a text for a notice with `outcome` (blocks of other outcomes left out)."""
    lines, inside = [], None
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = OUTCOME_MARK.match(line)
        if m is not None:
            inside = m.group(2).strip() if m.group(1) == "#" else None
            continue
        if inside is None or inside == outcome:
            lines.append(line)
    return lines


def _pieces(line: str) -> list[_Piece]:
    pieces = []
    pos = 0
    for m in BOLD.finditer(line):
        pieces += _plain_pieces(line[pos:m.start()], False)
        pieces += _plain_pieces(m.group(1), True)
        pos = m.end()
    return pieces + _plain_pieces(line[pos:], False)


def _plain_pieces(text: str, bold: bool) -> list[_Piece]:
    pieces, pos = [], 0
    for m in PLACEHOLDER.finditer(text):
        if m.start() > pos:
            pieces.append(_Piece(text[pos:m.start()], bold))
        pieces.append(_Piece(m.group(1).strip(), bold, placeholder=True))
        pos = m.end()
    if pos < len(text):
        pieces.append(_Piece(text[pos:], bold))
    return pieces


def _runs(lines: list[str], values: Mapping[str, str]) -> list[dict]:
    """Runs of plain text ({"text", "bold"}) and line breaks ({"br": true}); placeholder
    values are inserted as text after the markup is parsed, so a value is never markup."""
    runs: list[dict] = []

    def add(text: str, bold: bool) -> None:
        for i, part in enumerate(text.split("\n")):
            if i:
                runs.append({"br": True})
            if not part:
                continue
            if runs and "text" in runs[-1] and runs[-1]["bold"] == bold:
                runs[-1]["text"] += part
            else:
                runs.append({"text": part, "bold": bold})

    for i, line in enumerate(lines):
        if i:
            runs.append({"br": True})
        for piece in _pieces(line):
            add(str(values.get(piece.text, "")) if piece.placeholder else piece.text,
                piece.bold)
    while runs and "br" in runs[-1]:
        runs.pop()
    while runs and "br" in runs[0]:
        runs.pop(0)
    return runs


def to_blocks(body: str, values: Mapping[str, str], outcome: str | None) -> list[dict]:
    """The text for a notice with `outcome` as blocks for the template: headings
    ({"kind": "heading", "level": 1|2, "runs"}), paragraphs ({"kind": "par", "runs"}) and
    bullet lists ({"kind": "list", "items": [runs, …]}). Empty blocks are left out."""
    blocks: list[dict] = []
    paragraph: list[str] = []
    items: list[list[dict]] = []

    def flush() -> None:
        if paragraph and (runs := _runs(paragraph, values)):
            blocks.append({"kind": "par", "runs": runs})
        paragraph.clear()
        if items:
            blocks.append({"kind": "list", "items": list(items)})
        items.clear()

    for line in select(body, outcome):
        if not line.strip():
            flush()
        elif m := HEADING.match(line):
            flush()
            if runs := _runs([m.group(2).rstrip()], values):
                blocks.append({"kind": "heading", "level": len(m.group(1)), "runs": runs})
        elif m := BULLET.match(line):
            if paragraph:
                flush()
            if runs := _runs([m.group(1).rstrip()], values):
                items.append(runs)
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return blocks

