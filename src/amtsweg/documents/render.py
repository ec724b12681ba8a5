"""Render PDF documents (receipts, later notices) from Typst templates.

Safety: the data never becomes Typst source. It is serialised as JSON and handed to the
compiler as ``sys.inputs.data``; the template reads it with ``json(bytes(sys.inputs.at("data")))``
and places the strings as text, so markup like ``#panic("x")``, ``$x$`` or ``*bold*`` in a value
is displayed literally and never evaluated.

Reproducibility: only the fonts embedded in typst itself are used (system fonts are ignored),
and the PDF carries no creation date unless the caller passes ``created``, so the same data
gives the same bytes on every machine.

Speed: one ``typst.Compiler`` per template is kept for the life of the process, so fonts are
loaded once and typst's caches stay warm; a lock per compiler serialises its use across
threads (``sys_inputs`` are per compiler state).
"""

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import typst

from amtsweg.core.registry import Registry

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PDF_STANDARDS = ["ua-1"]  # tagged, accessible PDF (PDF/UA-1); needs title and language
_LANG = re.compile(r"^([a-z]{2,3})(?:[-_]([A-Za-z]{2}))?$")


class DocumentError(Exception):
    """A document could not be rendered."""


class TemplateNotFound(DocumentError, LookupError):
    """No template is registered under this name."""


@dataclass(eq=False)
class DocumentTemplate:
    """A Typst template, registered by name. ``path`` defaults to ``templates/<key>.typ``.

    The template's folder is the compiler's root, so a template can import files beside it
    (``layout.typ`` has the shared letterhead).
    """

    key: str
    path: Path | None = None
    _compiler: typst.Compiler | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.path is None:
            self.path = TEMPLATE_DIR / f"{self.key}.typ"

    def is_enabled(self) -> bool:
        return True

    def compile(self, sys_inputs: dict[str, str], **kwargs) -> bytes:
        with self._lock:
            if self._compiler is None:
                if not self.path.is_file():
                    raise TemplateNotFound(f"document template '{self.key}': no file {self.path}")
                self._compiler = typst.Compiler(
                    self.path, root=self.path.parent, font_paths=[], ignore_system_fonts=True)
            return self._compiler.compile(sys_inputs=sys_inputs, **kwargs)


templates: Registry[DocumentTemplate] = Registry("document templates")
templates.register(DocumentTemplate("receipt"))
templates.register(DocumentTemplate("notice"))


def get_template(name: str) -> DocumentTemplate:
    template = templates.get(name)
    if template is None:
        known = ", ".join(sorted(t.key for t in templates.enabled()))
        raise TemplateNotFound(f"unknown document template '{name}' (known: {known})")
    return template


def render_pdf(template: str, data: dict, *, lang: str = "de",
               created: datetime | None = None) -> bytes:
    """Render ``template`` with ``data`` to a tagged PDF/UA-1 document in language ``lang``.

    ``data`` must be JSON-serialisable; all static words come from ``data["labels"]``.
    ``lang`` is a language code as Django has it ("de", "en", "en-gb"). ``created`` (timezone
    aware) becomes the PDF's creation date; without it the PDF has none.
    Raises TemplateNotFound for an unknown template and DocumentError if typst fails.
    """
    m = _LANG.match(lang)
    if m is None:
        raise DocumentError(f"invalid language code {lang!r}")
    doc = get_template(template)
    try:
        payload = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise DocumentError(f"document template '{template}': data is not JSON: {e}") from e
    sys_inputs = {"data": payload, "lang": m[1], "region": (m[2] or "").upper(),
                  "dated": "1" if created else ""}
    try:
        pdf = doc.compile(sys_inputs, format="pdf", pdf_standards=PDF_STANDARDS,
                          timestamp=created.replace(microsecond=0) if created else None)
    except typst.TypstError as e:
        raise DocumentError(f"document template '{template}': {e}") from e
    assert isinstance(pdf, bytes)
    return pdf
