"""Render one step of a form definition (`amtsweg.form/1`, see docs/forms.md) as HTML.

The markup follows the KERN UX design system and WCAG 2.1 AA: every control has a label
(`<label for>` or `<fieldset>`/`<legend>`), help texts and error messages are linked with
`aria-describedby`, invalid controls carry `aria-invalid="true"`, groups of radios and
checkboxes are fieldsets, and everything works without JavaScript (repeat entries are added and
removed with plain submit buttons named `_action`).

Fields are built in Python, not with one Django template per field: a 100-field step renders in
about a millisecond this way (see bench/render_bench.py). Every text that does not come from
this module is escaped with `esc()`; nothing the applicant typed is ever marked safe. Only the
error summary and the answers summary, rendered once per page, use templates
(`forms/error_summary.html`, `forms/summary.html`).

Ids are derived from the dotted answer paths: `kinder.0.vorname` → `f-kinder-0-vorname`. Keys
cannot contain `-`, so ids of helper elements use a double dash (`f-vorname--hint`,
`f-vorname--error`, `f-geschlecht--2` for the third radio) and never clash with a field. The
first control of every item has the id of its path, so the error summary can link to
`#f-<path>` without knowing how an item was rendered.

Visibility is evaluated on the server (`visible(path)`); hidden items are rendered with the
`hidden` attribute, `data-visible-rule` (the JSON rule) and disabled controls (so they are
neither submitted nor checked by the browser). With a `refresh_url`, every control whose value
some rule refers to posts the form with htmx on change (`_action=refresh`) and the step is
swapped with the server's new rendering; focus stays on the control with the same id.

The surrounding page provides `<form id="step-form" method="post"
enctype="multipart/form-data" novalidate>`, the CSRF token, the step heading, the navigation
buttons and `js/forms.js` (moves focus to the error summary after a failed submit).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from html import escape as _escape
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .types import country_name, is_domestic

ALPHABETICAL_LISTS = frozenset({"staat", "staatsangehoerigkeit"})
"""Code lists a person searches by name: shown in the alphabet of the page's language with
Germany first (the lists themselves are in code order, issue 12)."""


def collation_key(name: str) -> str:
    """Dictionary order as in German lists (DIN 5007-1): Ä as A, ß as ss, accents ignored —
    Afghanistan, Ägypten, Albanien."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name.casefold().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def alphabetical(options: list[dict], lang: str) -> list[dict]:
    def key(option: dict) -> tuple[bool, str]:
        label = option.get("label")
        name = text(label, lang) if label is not None else str(option.get("value", ""))
        return (not is_domestic(option.get("value")), collation_key(name))

    return sorted(options, key=key)

__all__ = [
    "REFRESH_ACTION",
    "STEP_FORM_ID",
    "field_id",
    "render_error_summary",
    "render_step",
    "render_summary",
]

STEP_FORM_ID = "step-form"
REFRESH_ACTION = "refresh"
RADIO_MAX = 6  # choice items with more options become a select unless widget="radio"

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TODAY_OFFSET = re.compile(r"^today(?:([+-])P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?)?$")

# prefill attribute (docs/forms.md) → HTML autocomplete token
_PREFILL_AUTOCOMPLETE = {
    "given_name": "given-name",
    "family_name": "family-name",
    "birth_date": "bday",
    "street": "address-line1",
    "postal_code": "postal-code",
    "place": "address-level2",
    "email": "email",
    "phone": "tel",
}
# key of a top-level item → token, for definitions without `prefill`
_KEY_AUTOCOMPLETE = {
    "vorname": "given-name",
    "vornamen": "given-name",
    "given_name": "given-name",
    "first_name": "given-name",
    "nachname": "family-name",
    "familienname": "family-name",
    "family_name": "family-name",
    "last_name": "family-name",
    "geburtsdatum": "bday",
    "birth_date": "bday",
    "email": "email",
    "e_mail": "email",
    "telefon": "tel",
    "telefonnummer": "tel",
    "phone": "tel",
}
_TYPE_AUTOCOMPLETE = {"email": "email", "phone": "tel"}


def file_kind(content_type: str) -> str:
    """A file type as people name it ("PDF", "JPEG"), not as a MIME type."""
    return _MIME_NAMES.get(content_type, (content_type.rsplit("/", 1)[-1].upper(), ""))[0]

_MIME_NAMES = {
    "application/pdf": ("PDF", ".pdf"),
    "image/jpeg": ("JPEG", ".jpg,.jpeg"),
    "image/png": ("PNG", ".png"),
    "image/tiff": ("TIFF", ".tif,.tiff"),
    "image/gif": ("GIF", ".gif"),
    "image/heic": ("HEIC", ".heic"),
    "text/plain": ("TXT", ".txt"),
    "application/xml": ("XML", ".xml"),
    "text/xml": ("XML", ".xml"),
}

_ADDRESS_PARTS = ("street", "house_number", "postal_code", "place", "country")


def esc(value: Any) -> str:
    """HTML-escape any value for text and (double-quoted) attribute positions."""
    if value is None:
        return ""
    return _escape(value if isinstance(value, str) else str(value), quote=True)


def field_id(path: str) -> str:
    """Id of the first control of the item at `path`: `kinder.0.vorname` → `f-kinder-0-vorname`."""
    return "f-" + _ID_UNSAFE.sub("-", path)


def _lang(lang: str | None) -> str:
    code = lang or translation.get_language() or "de"
    return code.split("-")[0].lower()


def text(value: Any, lang: str) -> str:
    """Pick a definition text `{"de": …, "en": …}` in `lang`, falling back to German."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("de") or next((v for v in value.values() if v), "")
    return str(value)


def _strings() -> dict[str, str]:
    """The module's own UI texts in the active language (English msgids)."""
    return {
        "required": _("required"),
        "error": _("Error:"),
        "choose": _("Please choose"),
        "street": _("Street"),
        "house_number": _("House number"),
        "postal_code": _("Postcode"),
        "place": _("Town or city"),
        "country": _("Country"),
        "uploaded": _("Uploaded files"),
        "remove_file": _("Remove"),
        "yes": _("Yes"),
        "no": _("No"),
        "continue": _("Continue"),
    }


def _entry_label(group_label: str, number: int) -> str:
    return _("%(label)s – entry %(number)d") % {"label": group_label, "number": number}


def _resolve_date(value: Any, today: dt.date) -> str | None:
    """`min`/`max` of a date item as an ISO date for the date picker, or None."""
    if not isinstance(value, str):
        return None
    if _ISO_DATE.match(value):
        return value
    m = _TODAY_OFFSET.match(value)
    if not m:
        return None
    sign = -1 if m.group(1) == "-" else 1
    years, months, days = (int(g or 0) for g in m.group(2, 3, 4))
    month_index = today.year * 12 + today.month - 1 + sign * (years * 12 + months)
    year, month = divmod(month_index, 12)
    month += 1
    if not 1 <= year <= 9999:
        return None
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    try:
        return (dt.date(year, month, min(today.day, last)) + dt.timedelta(days=sign * days)
                ).isoformat()
    except (OverflowError, ValueError):
        return None


# ---------------------------------------------------------------------------------------
# rule references: which controls must post a refresh when they change
# ---------------------------------------------------------------------------------------

def _rule_vars(rule: Any, out: set[str]) -> None:
    if isinstance(rule, dict):
        for op, args in rule.items():
            if op == "var":
                first = args[0] if isinstance(args, list) and args else args
                if isinstance(first, str | int) and not isinstance(first, bool):
                    if str(first):
                        out.add(str(first))
                else:
                    _rule_vars(first, out)
                if isinstance(args, list):
                    _rule_vars(args[1:], out)
            elif op in ("missing", "missing_some"):
                for a in args if isinstance(args, list) else [args]:
                    if isinstance(a, str):
                        out.add(a)
                    elif isinstance(a, list):
                        out.update(x for x in a if isinstance(x, str))
                    else:
                        _rule_vars(a, out)
            else:
                _rule_vars(args, out)
    elif isinstance(rule, list):
        for r in rule:
            _rule_vars(r, out)


def _schema_path(path: str) -> str:
    """`kinder.0.vorname` → `kinder.vorname` (entry numbers removed)."""
    return ".".join(p for p in path.split(".") if not p.isdecimal())


def _rule_references(definition: dict) -> tuple[frozenset[str], frozenset[str]]:
    """Schema paths referenced by any item's `visible`/`compute` rule, and their prefixes.

    Inside a group a name may be the entry's own (`vorname`) or one from the root; both are
    taken. A few needless refreshes are harmless, a missing one would hide a field.
    """
    refs: set[str] = set()

    def gather(items: Iterable[dict], prefix: str) -> None:
        for item in items:
            if not isinstance(item, dict):
                continue
            names: set[str] = set()
            if "visible" in item:
                _rule_vars(item["visible"], names)
            if "compute" in item:
                _rule_vars(item["compute"], names)
            for name in names:
                sp = _schema_path(name)
                refs.add(sp)
                if prefix:
                    refs.add(prefix + sp)
            if item.get("type") == "group":
                gather(item.get("items") or (), f"{prefix}{item.get('key')}.")

    for step in definition.get("steps") or ():
        if isinstance(step, dict):
            gather(step.get("items") or (), "")
    prefixes = set()
    for r in refs:
        parts = r.split(".")
        for i in range(1, len(parts)):
            prefixes.add(".".join(parts[:i]))
    return frozenset(refs), frozenset(prefixes)


# ---------------------------------------------------------------------------------------
# step rendering
# ---------------------------------------------------------------------------------------

_HX_PLACEHOLDER = "\x00hx\x00"
_FOCUSABLE = ' tabindex="-1"'  # fieldsets with errors, so that summary links can focus them


class _Renderer:
    def __init__(self, definition, answers, errors, visible, options_for, lang, uploads,
                 readonly_paths, refresh_url):
        self.answers = answers if isinstance(answers, dict) else {}
        self.errors = errors or {}
        self.visible = visible
        self.options_for = options_for or _default_options
        self.lang = lang
        self.uploads = uploads or {}
        self.readonly_paths = readonly_paths or frozenset()
        self.t = _strings()
        self.out: list[str] = []
        self.file_names: list[str] = []
        self.today = dt.date.today()
        if refresh_url:
            self.refs, self.ref_prefixes = _rule_references(definition)
            self.hx_url = esc(refresh_url)
        else:
            self.refs = self.ref_prefixes = frozenset()
            self.hx_url = ""

    # -- helpers ------------------------------------------------------------------------

    def triggers(self, schema_path: str) -> bool:
        if not self.refs:
            return False
        if schema_path in self.refs or schema_path in self.ref_prefixes:
            return True
        parts = schema_path.split(".")
        return any(".".join(parts[:i]) in self.refs for i in range(1, len(parts)))

    def hx(self, schema_path: str) -> str:
        return _HX_PLACEHOLDER if self.hx_url and self.triggers(schema_path) else ""

    def hx_attrs(self) -> str:
        attrs = (f' hx-post="{self.hx_url}" hx-trigger="change" hx-target="#{STEP_FORM_ID}"'
                 f' hx-select="#{STEP_FORM_ID}" hx-swap="outerHTML focus-scroll:false"'
                 f' hx-sync="closest form:replace"'
                 f' hx-vals="{esc(json.dumps({"_action": REFRESH_ACTION}))}"')
        if self.file_names:  # file inputs cannot be sent url-encoded; uploads need a submit
            attrs += f' hx-params="not {esc(",".join(self.file_names))}"'
        return attrs

    def required_mark(self, required: bool) -> str:
        if not required:
            return ""
        return f' <span class="kern-label__optional aw-required">– {esc(self.t["required"])}</span>'

    def hint(self, fid: str, help_text: str) -> str:
        if not help_text:
            return ""
        return f'<div class="kern-hint" id="{fid}--hint">{esc(help_text)}</div>'

    def error_block(self, fid: str, messages: list[str]) -> str:
        if not messages:
            return ""
        body = "<br>".join(esc(m) for m in messages)
        return (f'<div class="kern-error" id="{fid}--error">'
                '<span class="kern-icon kern-icon--danger" aria-hidden="true"></span>'
                f'<span class="kern-body"><span class="kern-sr-only">{esc(self.t["error"])} '
                f'</span>{body}</span></div>')

    @staticmethod
    def described(fid: str, has_hint: bool, has_error: bool, *extra: str,
                  invalid: bool = True) -> str:
        ids = []
        if has_hint:
            ids.append(fid + "--hint")
        ids.extend(extra)
        if has_error:
            ids.append(fid + "--error")
        attrs = f' aria-describedby="{" ".join(ids)}"' if ids else ""
        if has_error and invalid:
            attrs += ' aria-invalid="true"'
        return attrs

    def open_conditional(self, item: dict, path: str, hidden: bool) -> None:
        """A plain wrapper around an item with a `visible` rule.

        The `hidden` attribute goes on a class-less <div>: KERN's components set their own
        `display`, which would override the browser's `[hidden] { display: none }`.
        """
        rule = json.dumps(item["visible"], separators=(",", ":"), ensure_ascii=False)
        self.out.append(f'<div class="aw-conditional" data-path="{esc(path)}"'
                        f' data-visible-rule="{esc(rule)}"{" hidden" if hidden else ""}>')

    def autocomplete(self, item: dict, in_group: bool) -> str | None:
        prefill = item.get("prefill")
        if isinstance(prefill, str) and prefill in _PREFILL_AUTOCOMPLETE:
            return _PREFILL_AUTOCOMPLETE[prefill]
        if in_group:  # a child's or partner's name is not the applicant's
            return None
        return _KEY_AUTOCOMPLETE.get(item.get("key")) or _TYPE_AUTOCOMPLETE.get(item.get("type"))

    def options(self, item: dict) -> list[dict]:
        opts = [o for o in self.options_for(item) or [] if isinstance(o, dict)]
        if item.get("codelist") in ALPHABETICAL_LISTS:
            opts = alphabetical(opts, self.lang)
        return opts

    # -- items --------------------------------------------------------------------------

    def items(self, items: Iterable[dict], prefix: str, values: Any, *, disabled: bool,
              readonly: bool, in_group: bool, in_repeat: bool) -> None:
        container = values if isinstance(values, dict) else {}
        for item in items:
            if not isinstance(item, dict):
                continue
            key = str(item.get("key", ""))
            path = prefix + key
            hidden = "visible" in item and self.visible is not None and not self.visible(path)
            self.item(item, path, container.get(key), disabled=disabled or hidden,
                      hidden=hidden, readonly=readonly, in_group=in_group, in_repeat=in_repeat)

    def item(self, item: dict, path: str, value: Any, *, disabled: bool, hidden: bool,
             readonly: bool, in_group: bool, in_repeat: bool) -> None:
        kind = item.get("type", "text")
        if "visible" in item:
            self.open_conditional(item, path, hidden)
            self.item_body(kind, item, path, value, "", disabled=disabled, readonly=readonly,
                           in_group=in_group, in_repeat=in_repeat)
            self.out.append("</div>")
        else:
            self.item_body(kind, item, path, value, f' data-path="{esc(path)}"',
                           disabled=disabled, readonly=readonly, in_group=in_group,
                           in_repeat=in_repeat)

    def item_body(self, kind: Any, item: dict, path: str, value: Any, wrap: str, *,
                  disabled: bool, readonly: bool, in_group: bool, in_repeat: bool) -> None:
        if kind == "info":
            self.info(item, wrap)
            return
        readonly = readonly or path in self.readonly_paths or "compute" in item
        if kind == "group":
            self.group(item, path, value, wrap, disabled=disabled, readonly=readonly,
                       in_repeat=in_repeat)
            return
        if readonly:
            self.readonly(item, path, value, wrap)
            return
        renderer = getattr(self, "f_" + kind, None) if isinstance(kind, str) else None
        if renderer is None:
            renderer = self.f_text
        renderer(item, path, value, wrap, disabled, in_group or in_repeat)

    def info(self, item: dict, wrap: str) -> None:
        body = text(item.get("text"), self.lang)
        paragraphs = "".join(
            '<p class="kern-body">' + "<br>".join(esc(line) for line in para.split("\n")) + "</p>"
            for para in re.split(r"\n\s*\n", body.strip()) if para.strip())
        title = text(item.get("label"), self.lang)
        header = ""
        if title:
            header = ('<div class="kern-alert__header"><span class="kern-icon kern-icon--info"'
                      f' aria-hidden="true"></span><span class="kern-title">{esc(title)}</span>'
                      "</div>")
        self.out.append(f'<div class="kern-alert kern-alert--info aw-info"{wrap}>{header}'
                        f'<div class="kern-alert__body">{paragraphs}</div></div>')

    def readonly(self, item: dict, path: str, value: Any, wrap: str) -> None:
        fid = field_id(path)
        help_text = text(item.get("help"), self.lang)
        shown = self.display(item, value)
        self.out.append(
            f'<div class="kern-form-input aw-computed"{wrap}>'
            f'<label class="kern-label" for="{fid}">{esc(text(item.get("label"), self.lang))}'
            f"</label>{self.hint(fid, help_text)}"
            f'{self.error_block(fid, self.errors.get(path) or [])}'
            f'<input class="kern-form-input__input" type="text" id="{fid}" value="{esc(shown)}"'
            f' readonly{self.described(fid, bool(help_text), bool(self.errors.get(path)))}>'
            "</div>")

    def display(self, item: dict, value: Any) -> str:
        """An answer as text, for read-only items."""
        kind = item.get("type")
        if value is None or value == "" or value == []:
            return ""
        if kind == "boolean":
            return self.t["yes"] if value in (True, "true", "on", "1") else self.t["no"]
        if kind in ("choice", "multichoice"):
            labels = {str(o.get("value")): text(o.get("label"), self.lang)
                      for o in self.options(item)}
            values = value if isinstance(value, list) else [value]
            return ", ".join(labels.get(str(v), str(v)) for v in values)
        if kind == "address" and isinstance(value, dict):
            street = " ".join(str(value[k]) for k in ("street", "house_number") if value.get(k))
            place = " ".join(str(value[k]) for k in ("postal_code", "place") if value.get(k))
            return ", ".join(p for p in (street, place, country_name(value.get("country"),
                                                                      self.lang)) if p)
        if kind == "file" and isinstance(value, list):
            return ", ".join(str((self.uploads.get(v) or {}).get("name") or v) for v in value)
        if kind == "currency":
            return f"{value} EUR"
        return str(value)

    # -- single inputs ------------------------------------------------------------------

    def _input(self, item: dict, path: str, value: Any, wrap: str, disabled: bool,
               in_group: bool, *, input_type: str = "text", extra: str = "",
               autocomplete: str | None = None, unit: str | None = None,
               textarea: bool = False) -> None:
        fid = field_id(path)
        required = bool(item.get("required"))
        help_text = text(item.get("help"), self.lang)
        messages = self.errors.get(path) or []
        err = " kern-form-input__input--error" if messages else ""
        attrs = f' id="{fid}" name="{esc(path)}"'
        if required:
            attrs += " required"
        if disabled:
            attrs += " disabled"
        if autocomplete is None:
            autocomplete = self.autocomplete(item, in_group)
        if autocomplete:
            attrs += f' autocomplete="{autocomplete}"'
        attrs += extra
        attrs += self.described(fid, bool(help_text), bool(messages),
                                *((fid + "--unit",) if unit else ()))
        attrs += self.hx(_schema_path(path))
        raw = "" if value is None else value if isinstance(value, str) else str(value)
        if textarea:
            # the HTML parser drops one newline right after <textarea>
            content = ("\n" if raw.startswith("\n") else "") + esc(raw)
            control = (f'<textarea class="kern-form-input__input{err}" rows="5"{attrs}>'
                       f"{content}</textarea>")
        else:
            control = (f'<input class="kern-form-input__input{err}" type="{input_type}"'
                       f'{attrs} value="{esc(raw)}">')
        if unit:
            control = (f'<div class="kern-input-group">{control}'
                       f'<span class="kern-input-group-text" id="{fid}--unit">{unit}</span></div>')
        self.out.append(
            f'<div class="kern-form-input{" kern-form-input--error" if messages else ""}"{wrap}>'
            f'<label class="kern-label" for="{fid}">{esc(text(item.get("label"), self.lang))}'
            f"{self.required_mark(required)}</label>"
            f"{self.hint(fid, help_text)}{self.error_block(fid, messages)}{control}</div>")

    def f_text(self, item, path, value, wrap, disabled, in_group):
        extra = f' maxlength="{int(item.get("max_length") or 200)}"'
        auto = self.autocomplete(item, in_group)
        if auto in ("given-name", "family-name"):
            extra += ' spellcheck="false"'
        self._input(item, path, value, wrap, disabled, in_group, extra=extra,
                    autocomplete=auto)

    def f_textarea(self, item, path, value, wrap, disabled, in_group):
        extra = f' maxlength="{int(item.get("max_length") or 5000)}"'
        self._input(item, path, value, wrap, disabled, in_group, extra=extra, textarea=True)

    def f_integer(self, item, path, value, wrap, disabled, in_group):
        self._input(item, path, value, wrap, disabled, in_group, extra=' inputmode="numeric"')

    def f_decimal(self, item, path, value, wrap, disabled, in_group):
        self._input(item, path, value, wrap, disabled, in_group, extra=' inputmode="decimal"')

    def f_currency(self, item, path, value, wrap, disabled, in_group):
        self._input(item, path, value, wrap, disabled, in_group, extra=' inputmode="decimal"',
                    unit="EUR")

    def f_date(self, item, path, value, wrap, disabled, in_group):
        extra = ""
        for bound in ("min", "max"):
            iso = _resolve_date(item.get(bound), self.today)
            if iso:
                extra += f' {bound}="{iso}"'
        self._input(item, path, value, wrap, disabled, in_group, input_type="date", extra=extra)

    def f_email(self, item, path, value, wrap, disabled, in_group):
        self._input(item, path, value, wrap, disabled, in_group, input_type="email",
                    extra=' spellcheck="false" autocapitalize="off"')

    def f_phone(self, item, path, value, wrap, disabled, in_group):
        self._input(item, path, value, wrap, disabled, in_group, input_type="tel")

    def f_iban(self, item, path, value, wrap, disabled, in_group):
        self._input(item, path, value, wrap, disabled, in_group, autocomplete="off",
                    extra=' inputmode="text" spellcheck="false" autocapitalize="characters"'
                          ' maxlength="42"')

    def f_boolean(self, item, path, value, wrap, disabled, in_group):
        fid = field_id(path)
        required = bool(item.get("required"))
        help_text = text(item.get("help"), self.lang)
        messages = self.errors.get(path) or []
        checked = value is True or (isinstance(value, str) and value.lower() in
                                    ("true", "on", "1", "yes", "ja"))
        err = " kern-form-check__checkbox--error" if messages else ""
        self.out.append(
            f'<div class="aw-check"{wrap}>'
            f'<div class="kern-form-check{" kern-form-check--error" if messages else ""}">'
            f"{self.error_block(fid, messages)}"
            f'<input class="kern-form-check__checkbox{err}" type="checkbox" id="{fid}"'
            f' name="{esc(path)}" value="true"{" checked" if checked else ""}'
            f'{" required" if required else ""}{" disabled" if disabled else ""}'
            f"{self.described(fid, bool(help_text), bool(messages))}"
            f"{self.hx(_schema_path(path))}>"
            f'<label class="kern-label" for="{fid}">{esc(text(item.get("label"), self.lang))}'
            f"{self.required_mark(required)}</label>"
            f"</div>{self.hint(fid, help_text)}</div>")

    # -- choices ------------------------------------------------------------------------

    def f_choice(self, item, path, value, wrap, disabled, in_group):
        options = self.options(item)
        widget = item.get("widget")
        if widget == "select" or (widget != "radio" and len(options) > RADIO_MAX):
            self.select(item, path, value, wrap, disabled, options)
        else:
            self.check_group(item, path, [value], wrap, disabled, options, "radio")

    def f_multichoice(self, item, path, value, wrap, disabled, in_group):
        values = value if isinstance(value, list) else [] if value is None else [value]
        self.check_group(item, path, values, wrap, disabled, self.options(item), "checkbox")

    def select(self, item, path, value, wrap, disabled, options, *, label=None, fid=None,
               required=None, help_text=None, autocomplete=None, messages=None,
               wrapper_class="kern-form-input"):
        fid = fid or field_id(path)
        required = bool(item.get("required")) if required is None else required
        help_text = text(item.get("help"), self.lang) if help_text is None else help_text
        messages = (self.errors.get(path) or []) if messages is None else messages
        label = text(item.get("label"), self.lang) if label is None else label
        current = "" if value is None else str(value)
        opts = [f'<option value="">{esc(self.t["choose"])}</option>']
        for o in options:
            v = str(o.get("value", ""))
            sel = " selected" if v == current else ""
            opts.append(f'<option value="{esc(v)}"{sel}>{esc(text(o.get("label"), self.lang))}'
                        "</option>")
        err = " kern-form-input__select--error" if messages else ""
        auto_attr = f' autocomplete="{autocomplete}"' if autocomplete else ""
        self.out.append(
            f'<div class="{wrapper_class}{" kern-form-input--error" if messages else ""}"{wrap}>'
            f'<label class="kern-label" for="{fid}">{esc(label)}{self.required_mark(required)}'
            f"</label>{self.hint(fid, help_text)}{self.error_block(fid, messages)}"
            f'<div class="kern-form-input__select-wrapper">'
            f'<select class="kern-form-input__select{err}" id="{fid}" name="{esc(path)}"'
            f'{" required" if required else ""}{" disabled" if disabled else ""}'
            f"{auto_attr}"
            f"{self.described(fid, bool(help_text), bool(messages))}"
            f'{self.hx(_schema_path(path))}>{"".join(opts)}</select></div></div>')

    def check_group(self, item, path, values, wrap, disabled, options, kind):
        fid = field_id(path)
        required = bool(item.get("required")) or bool(item.get("min_items"))
        help_text = text(item.get("help"), self.lang)
        messages = self.errors.get(path) or []
        selected = {str(v) for v in values if v is not None}
        hx = self.hx(_schema_path(path))
        cls = f"kern-form-check__{kind}" + (f" kern-form-check__{kind}--error" if messages else "")
        native_required = " required" if kind == "radio" and item.get("required") else ""
        invalid = ' aria-invalid="true"' if messages else ""
        rows = []
        for i, o in enumerate(options):
            oid = fid if i == 0 else f"{fid}--{i}"
            v = str(o.get("value", ""))
            rows.append(
                f'<div class="kern-form-check"><input class="{cls}" type="{kind}" id="{oid}"'
                f' name="{esc(path)}" value="{esc(v)}"{" checked" if v in selected else ""}'
                f'{native_required}{" disabled" if disabled else ""}{invalid}{hx}>'
                f'<label class="kern-label" for="{oid}">{esc(text(o.get("label"), self.lang))}'
                "</label></div>")
        described = self.described(fid, bool(help_text), bool(messages), invalid=False)
        horizontal = " kern-fieldset__body--horizontal" if kind == "radio" and len(
            options) <= 3 and all(len(text(o.get("label"), self.lang)) <= 12
                                  for o in options) else ""
        self.out.append(
            f'<fieldset class="kern-fieldset{" kern-fieldset--error" if messages else ""}"'
            f'{wrap}{described}>'
            f'<legend class="kern-label">{esc(text(item.get("label"), self.lang))}'
            f"{self.required_mark(required)}</legend>"
            f"{self.hint(fid, help_text)}{self.error_block(fid, messages)}"
            f'<div class="kern-fieldset__body{horizontal}">{"".join(rows)}</div></fieldset>')

    # -- address ------------------------------------------------------------------------

    def f_address(self, item, path, value, wrap, disabled, in_group):
        fid = field_id(path)
        value = value if isinstance(value, dict) else {}
        required = bool(item.get("required"))
        help_text = text(item.get("help"), self.lang)
        messages = self.errors.get(path) or []
        tokens = {"street": "street-address", "postal_code": "postal-code",
                  "place": "address-level2", "country": "country"}
        use_tokens = not in_group or bool(item.get("prefill"))
        section = f"section-{_ID_UNSAFE.sub('-', path)} "
        focusable = _FOCUSABLE if messages else ""
        err_cls = " kern-fieldset--error" if messages else ""
        self.out.append(
            f'<fieldset class="kern-fieldset aw-address{err_cls}" id="{fid}"{focusable}{wrap}'
            f"{self.described(fid, bool(help_text), bool(messages), invalid=False)}>"
            f'<legend class="kern-label">{esc(text(item.get("label"), self.lang))}'
            f"{self.required_mark(required)}</legend>"
            f"{self.hint(fid, help_text)}{self.error_block(fid, messages)}"
            '<div class="kern-fieldset__body">')
        country_options = self.country_options(item)
        for part in _ADDRESS_PARTS:
            sub_path = f"{path}.{part}"
            auto = (section + tokens[part]) if use_tokens and part in tokens else None
            sub = {"key": part, "label": self.t[part],
                   "required": required and part in ("street", "postal_code", "place")}
            if part == "country":
                if not country_options:
                    continue
                current = value.get("country") or item.get("country") or "DE"
                current = _country_option(str(current), country_options)
                self.select(sub, sub_path, current, "", disabled, country_options,
                            label=self.t["country"], fid=field_id(sub_path), help_text="",
                            autocomplete=auto)
                continue
            # no KERN width modifier: --width-4 (80px) cuts off a five-digit PLZ
            extra = ' maxlength="10"' if part in ("house_number", "postal_code") else (
                ' maxlength="200"')
            self._input(sub, sub_path, value.get(part), "", disabled, True, extra=extra,
                        autocomplete=auto or "")
        self.plz_confirmation(path, value, disabled, bool(messages))
        self.out.append("</div></fieldset>")

    def plz_confirmation(self, path: str, value: dict, disabled: bool, failed: bool) -> None:
        """The box to confirm a PLZ that is in no list (PO box, large customer): shown with
        the error that asks for it, and while a confirmation is held."""
        from . import types

        plz = str(value.get("postal_code") or "").strip()
        confirmed = value.get(types.PLZ_CONFIRMED) or ""
        if not (confirmed or (failed and types.plz_unlisted(value))):
            return
        sub_path = f"{path}.{types.PLZ_CONFIRMED}"
        fid = field_id(sub_path)
        self.out.append(
            '<div class="kern-form-check aw-check">'
            f'<input class="kern-form-check__checkbox" type="checkbox" id="{fid}"'
            f' name="{esc(sub_path)}" value="{esc(plz)}"'
            f'{" checked" if confirmed and confirmed == plz else ""}'
            f'{" disabled" if disabled else ""}>'
            f'<label class="kern-label" for="{fid}">'
            f'{esc(_("The postal code %(plz)s is right.") % {"plz": plz})}</label></div>')

    def country_options(self, item: dict) -> list[dict]:
        if self.options_for is _default_options:  # code lists are resolved by the engine
            return []
        try:
            return self.options({"type": "choice", "key": "country", "codelist": "staat"})
        except (KeyError, LookupError, TypeError, ValueError):
            return []

    # -- files --------------------------------------------------------------------------

    def f_file(self, item, path, value, wrap, disabled, in_group):
        fid = field_id(path)
        spec = item.get("file") or {}
        types = [t for t in spec.get("types") or () if isinstance(t, str)]
        max_count = int(spec.get("max_count") or 1)
        max_size = spec.get("max_size")
        ids = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        required = bool(item.get("required")) or bool(spec.get("min_count"))
        help_text = text(item.get("help"), self.lang)
        rules = []
        if types:
            names = []
            for t in types:
                name = _MIME_NAMES.get(t, (t.rsplit("/", 1)[-1].upper(), ""))[0]
                if name not in names:
                    names.append(name)
            rules.append(_("Allowed file types: %(types)s.") % {"types": ", ".join(names)})
        if max_size:
            rules.append(_("Up to %(size)s per file.") % {"size": filesizeformat(max_size)})
        rules.append(ngettext("You can upload one file.", "You can upload up to %(count)d files.",
                              max_count) % {"count": max_count})
        messages = self.errors.get(path) or []
        label = text(item.get("label"), self.lang)
        accept = []
        for t in types:
            accept.append(t)
            if t in _MIME_NAMES and _MIME_NAMES[t][1]:
                accept.append(_MIME_NAMES[t][1])
        self.file_names.append(path)
        listing = ""
        if ids:
            rows = []
            for upload_id in ids:
                info = self.uploads.get(upload_id) or {}
                name = info.get("name") or upload_id
                size = info.get("size")
                size_text = f" ({esc(filesizeformat(size))})" if isinstance(size, int) else ""
                rows.append(
                    f'<li class="aw-upload"><span class="kern-body">{esc(name)}{size_text}</span>'
                    f' <button class="kern-btn kern-btn--tertiary kern-btn--x-small"'
                    f' type="submit" name="_action" formnovalidate'
                    f' value="{esc(f"remove_upload:{path}:{upload_id}")}"'
                    f' aria-label="{esc(self.t["remove_file"])}: {esc(name)}"'
                    f'{" disabled" if disabled else ""}>'
                    '<span class="kern-icon kern-icon--delete" aria-hidden="true"></span>'
                    f'<span class="kern-label">{esc(self.t["remove_file"])}</span></button></li>')
            listing = (f'<ul class="kern-list aw-uploads" aria-label="'
                       f'{esc(self.t["uploaded"])}: {esc(label)}">{"".join(rows)}</ul>')
        hint_parts = "".join(f'<span class="aw-hint-line">{esc(r)}</span> ' for r in rules)
        hint_html = (f'<div class="kern-hint" id="{fid}--hint">'
                     + (f"{esc(help_text)} " if help_text else "") + hint_parts.strip() + "</div>")
        err = " kern-form-input__input--error" if messages else ""
        accept_attr = ' accept="' + esc(",".join(accept)) + '"' if accept else ""
        self.out.append(
            f'<div class="kern-form-input{" kern-form-input--error" if messages else ""}"{wrap}>'
            f'<label class="kern-label" for="{fid}">{esc(label)}{self.required_mark(required)}'
            f"</label>{hint_html}{self.error_block(fid, messages)}{listing}"
            f'<input class="kern-form-input__input{err}" type="file" id="{fid}" name="{esc(path)}"'
            f"{accept_attr}"
            f'{" multiple" if max_count > 1 else ""}'
            f'{" required" if required and not ids else ""}{" disabled" if disabled else ""}'
            f"{self.described(fid, True, bool(messages))}></div>")

    # -- groups -------------------------------------------------------------------------

    def group(self, item, path, value, wrap, *, disabled, readonly, in_repeat):
        fid = field_id(path)
        label = text(item.get("label"), self.lang)
        help_text = text(item.get("help"), self.lang)
        messages = self.errors.get(path) or []
        children = item.get("items") or ()
        repeat = item.get("repeat")
        focusable = _FOCUSABLE if messages else ""
        described = self.described(fid, bool(help_text), bool(messages), invalid=False)
        err_cls = " kern-fieldset--error" if messages else ""
        self.out.append(
            f'<fieldset class="kern-fieldset aw-group{err_cls}" id="{fid}"{focusable}{wrap}'
            f'{described}><legend class="kern-label kern-label--large">{esc(label)}</legend>'
            f"{self.hint(fid, help_text)}{self.error_block(fid, messages)}"
            '<div class="kern-fieldset__body">')
        if not repeat:
            self.items(children, path + ".", value, disabled=disabled, readonly=readonly,
                       in_group=True, in_repeat=in_repeat)
            self.out.append("</div></fieldset>")
            return
        repeat = repeat if isinstance(repeat, dict) else {}
        low = max(int(repeat.get("min") or 0), 0)
        high = repeat.get("max")
        entries = value if isinstance(value, list) else []
        count = max(len(entries), low)  # never drop entries, even beyond max
        for i in range(count):
            entry_path = f"{path}.{i}"
            eid = field_id(entry_path)
            entry_label = _entry_label(label, i + 1)
            entry_messages = self.errors.get(entry_path) or []
            e_described = self.described(eid, False, bool(entry_messages), invalid=False)
            self.out.append(
                f'<fieldset class="kern-fieldset aw-entry'
                f'{" kern-fieldset--error" if entry_messages else ""}" id="{eid}"'
                f"{_FOCUSABLE if entry_messages else ''}"
                f' data-path="{esc(entry_path)}"{e_described}>'
                f'<legend class="kern-label">{esc(entry_label)}</legend>'
                f'{self.error_block(eid, entry_messages)}<div class="kern-fieldset__body">')
            self.items(children, entry_path + ".", entries[i] if i < len(entries) else None,
                       disabled=disabled, readonly=readonly, in_group=True, in_repeat=True)
            if count > low and not readonly:
                # Buttons name their group with aria-label, not with a .kern-sr-only span:
                # KERN turns any .kern-btn containing one into a square icon-only button.
                visible_text = esc(_("Remove entry %(number)d") % {"number": i + 1})
                self.out.append(
                    '<div class="kern-btn-wrapper aw-entry-actions">'
                    '<button class="kern-btn kern-btn--tertiary" type="submit" name="_action"'
                    f' value="{esc("remove:" + entry_path)}" formnovalidate'
                    f' aria-label="{visible_text} ({esc(label)})"'
                    f'{" disabled" if disabled else ""}>'
                    '<span class="kern-icon kern-icon--delete" aria-hidden="true"></span>'
                    f'<span class="kern-label">{visible_text}</span></button></div>')
            self.out.append("</div></fieldset>")
        if (high is None or count < int(high)) and not readonly:
            add = _("Add entry")  # outside the f-string, where makemessages finds it
            self.out.append(
                '<div class="kern-btn-wrapper aw-group-actions">'
                '<button class="kern-btn kern-btn--secondary" type="submit" name="_action"'
                f' value="{esc("add:" + path)}" formnovalidate'
                f' aria-label="{esc(add)} ({esc(label)})"'
                f'{" disabled" if disabled else ""}>'
                '<span class="kern-icon kern-icon--add" aria-hidden="true"></span>'
                f'<span class="kern-label">{esc(add)}</span></button></div>')
        self.out.append("</div></fieldset>")


def _country_option(current: str, options: list[dict]) -> str:
    """The option to select for an address's country: Germany is stored as "DE" but the
    list may name it by another code (the Destatis `staat` list: "000")."""
    if is_domestic(current):
        for option in options:
            if is_domestic(option.get("value")):
                return str(option.get("value"))
    return current


def _default_options(item: dict) -> list[dict]:
    return item.get("options") or []


def _find_step(definition: dict, step_key: str) -> dict:
    for step in definition.get("steps") or ():
        if isinstance(step, dict) and step.get("key") == step_key:
            return step
    raise KeyError(f"no step {step_key!r} in the form definition")


def render_step(definition: dict, step_key: str, answers: dict,
                errors: Mapping[str, list[str]] | None, *,
                visible: Callable[[str], bool] | None = None,
                options_for: Callable[[dict], list[dict]] | None = None,
                lang: str | None = None,
                uploads: Mapping[str, dict] | None = None,
                readonly_paths: set[str] | frozenset[str] = frozenset(),
                refresh_url: str | None = None,
                default_action: str | None = "next") -> SafeString:
    """The fields of one step as HTML, to be put inside `<form id="step-form">`.

    `default_action`: value of `_action` submitted when the applicant presses Enter in a
    field (a hidden first submit button, so that Enter never removes a repeat entry);
    None for no such button.
    """
    code = _lang(lang)
    step = _find_step(definition, step_key)
    with translation.override(code) if lang else _nullcontext():
        r = _Renderer(definition, answers, errors, visible, options_for, code, uploads,
                      readonly_paths, refresh_url)
        if default_action:
            r.out.append('<button class="kern-sr-only aw-default-submit" type="submit"'
                         f' name="_action" value="{esc(default_action)}" tabindex="-1"'
                         f' aria-hidden="true">{esc(r.t["continue"])}</button>')
        r.items(step.get("items") or (), "", r.answers, disabled=False, readonly=False,
                in_group=False, in_repeat=False)
        html = "".join(r.out)
        if r.hx_url:
            html = html.replace(_HX_PLACEHOLDER, r.hx_attrs())
    # Everything above is built from escaped values and this module's own markup.
    return SafeString(html)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------------------------------
# error summary and answers summary
# ---------------------------------------------------------------------------------------

def _locate(items: Iterable[dict], parts: list[str], lang: str, t: dict[str, str]
            ) -> tuple[tuple, str, list[str]] | None:
    """Order key, label and context labels (enclosing groups) of the item at `parts`."""
    order: list[int] = []
    context: list[str] = []
    current = list(items)
    item: dict | None = None
    label = ""
    need_index = False
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if need_index:  # the entry number after a repeated group
            if not part.isdecimal():
                return None
            order.append(int(part))
            entry = _entry_label(label, int(part) + 1)
            if last:
                return tuple(order), entry, context
            context.append(entry)
            need_index = False
            continue
        if item is not None:
            if item.get("type") == "address":
                if part not in _ADDRESS_PARTS or not last:
                    return None
                order.append(_ADDRESS_PARTS.index(part))
                return tuple(order), t[part], [*context, label]
            if item.get("type") != "group":
                return None
            if not item.get("repeat"):
                context.append(label)
        found = next((n for n, c in enumerate(current)
                      if isinstance(c, dict) and str(c.get("key")) == part), None)
        if found is None:
            return None
        candidate = current[found]
        item = candidate
        order.append(found)
        label = text(candidate.get("label"), lang)
        current = list(candidate.get("items") or ())
        need_index = candidate.get("type") == "group" and bool(candidate.get("repeat"))
    return tuple(order), label, context


@lru_cache(maxsize=16)
def _template(name: str):
    return get_template(name)


def render_error_summary(definition: dict, errors: Mapping[str, list[str]] | None,
                         step_key: str, lang: str | None = None) -> SafeString:
    """A KERN alert listing the step's errors as links to the fields; "" without errors.

    Errors of items in other steps are left out; errors under paths that name no item (such
    as `""` for the whole form) are listed without a link.
    """
    if not errors:
        return SafeString("")
    code = _lang(lang)
    step = _find_step(definition, step_key)
    other_steps = [s for s in definition.get("steps") or () if s is not step]
    with translation.override(code) if lang else _nullcontext():
        t = _strings()
        linked, loose = [], []
        for path, messages in errors.items():
            if not messages:
                continue
            parts = str(path).split(".") if path else []
            found = _locate(step.get("items") or (), parts, code, t) if parts else None
            if found is None:
                if parts and any(_locate(s.get("items") or (), parts, code, t)
                                 for s in other_steps):
                    continue
                loose.extend({"text": m, "href": None} for m in messages)
                continue
            order, label, context = found
            name = f"{label} ({', '.join(c for c in context if c)})" if any(context) else label
            for n, m in enumerate(messages):
                linked.append(((order, n), {"text": f"{name}: {m}",
                                            "href": "#" + field_id(str(path))}))
        entries = [e for _key, e in sorted(linked, key=lambda x: x[0])] + loose
        if not entries:
            return SafeString("")
        return SafeString(_template("forms/error_summary.html").render({"errors": entries}))


def render_summary(sections: Iterable[Mapping[str, Any]],
                   change_url_for: Callable[[str], str]) -> SafeString:
    """Answers per step as description lists, each with a "Change" link to its step.

    sections: `[{"step": key, "title": str, "rows": [(label, value), ...]}]`; a value may
    be a string, a list of strings (one line each) or empty.
    """
    prepared = []
    for section in sections:
        key = str(section["step"])
        rows = []
        for label, value in section.get("rows") or ():
            if isinstance(value, list | tuple):
                lines = [str(v) for v in value if v not in (None, "")]
            else:
                lines = [] if value in (None, "") else [str(value)]
            rows.append({"label": label, "lines": lines})
        prepared.append({"step": key, "id": "summary-" + _ID_UNSAFE.sub("-", key),
                         "title": section.get("title") or "", "rows": rows,
                         "change_url": change_url_for(key)})
    return SafeString(_template("forms/summary.html").render({"sections": prepared}))
