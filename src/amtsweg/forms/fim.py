"""Import of FIM data fields (XDatenfelder 2.0 and 3.0.0) into a form definition.

A service designer starts from the federal FIM building blocks instead of typing every field
again. A Stammdatenschema becomes a form whose top-level groups are steps; a single
Datenfeldgruppe becomes a one-step form. What our format cannot express (free-text rules,
code lists we do not ship, optional groups) is kept as a note or warning for the designer,
never silently dropped. Broken messages are rejected with a sentence that names the element
and its line, because designers fix them in other tools and need to find the spot.

The file comes from a person, so the parser resolves no entities, loads nothing from the
network, refuses a DOCTYPE and caps the size.
"""

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.translation import gettext as _
from lxml import etree

from amtsweg.core import patterns, safejson

MAX_BYTES = 5 * 1024 * 1024
REPEAT_CAP = 99  # "*" in FIM; our limits allow 1,000 answer items per form
TEXT_MAX = 200  # longer FIM texts become a textarea
MAX_KEY = 63

NS_V2 = "urn:xoev-de:fim:standard:xdatenfelder_2"
NS_V3 = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"
NAMESPACES = {NS_V2: "2.0", NS_V3: "3.0.0"}
ROOTS = {  # message element → the element it carries, which is also FimResult.kind
    "xdatenfelder.stammdatenschema.0102": "stammdatenschema",
    "xdatenfelder.datenfeldgruppe.0103": "datenfeldgruppe",
}

# freigabestatus, code list urn:xoev-de:xprozess:codeliste:status (XDatenfelder 3)
FREIGABESTATUS = {
    "1": "in Planung", "2": "in Bearbeitung", "3": "Entwurf", "4": "methodisch freigegeben",
    "5": "fachlich freigegeben (silber)", "6": "fachlich freigegeben (gold)", "7": "inaktiv",
    "8": "vorgesehen zum Löschen",
}

# Code lists we ship (forms/codelists/*.json), by the URI FIM uses for them.
CODELIST_URIS = {
    "urn:xoev-de:xinneres:codeliste:geschlecht": "geschlecht",
    "urn:de:dsmeld:schluesseltabelle:geschlecht": "geschlecht",
    "urn:de:dsmeld:schluesseltabelle:familienstand": "familienstand",
    "urn:xoev-de:xinneres:codeliste:familienstand": "familienstand",
    "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit":
        "staatsangehoerigkeit",
    "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat": "staat",
    "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:bundesland": "bundesland",
}
CODELIST_NAMES = frozenset(CODELIST_URIS.values())

# Allowed children per element: name → True if it may repeat. Children of elements not
# listed here (header, bezug, stichwort, rule parameters …) are not interpreted.
_COMMON_V2 = {n: False for n in (
    "identifikation", "name", "bezeichnungEingabe", "bezeichnungAusgabe", "beschreibung",
    "definition", "bezug", "status", "gueltigAb", "gueltigBis", "fachlicherErsteller",
    "versionshinweis", "freigabedatum", "veroeffentlichungsdatum")}
_COMMON_V3 = {n: False for n in (
    "identifikation", "name", "beschreibung", "definition", "freigabestatus",
    "statusGesetztAm", "statusGesetztDurch", "gueltigAb", "gueltigBis", "versionshinweis",
    "veroeffentlichungsdatum", "letzteAenderung")} | {
    "bezug": True, "relation": True, "stichwort": True}
_ELEMENT_V3 = _COMMON_V3 | {n: False for n in (
    "bezeichnungEingabe", "bezeichnungAusgabe", "schemaelementart", "hilfetextEingabe",
    "hilfetextAusgabe")}
_FIELD_EXTRA = {n: False for n in ("feldart", "datentyp", "praezisierung", "inhalt",
                                   "codelisteReferenz")} | {"regel": True}

CHILDREN: dict[str, dict[str, dict[str, bool]]] = {
    "2.0": {
        "message": {"header": False, "stammdatenschema": False, "datenfeldgruppe": False},
        "stammdatenschema": _COMMON_V2 | {
            "hilfetext": False, "ableitungsmodifikationenStruktur": False,
            "ableitungsmodifikationenRepraesentation": False, "regel": True, "struktur": True},
        "datenfeldgruppe": _COMMON_V2 | {
            "schemaelementart": False, "hilfetextEingabe": False, "hilfetextAusgabe": False,
            "regel": True, "struktur": True},
        "datenfeld": _COMMON_V2 | {
            "schemaelementart": False, "hilfetextEingabe": False, "hilfetextAusgabe": False,
        } | _FIELD_EXTRA,
        "regel": _COMMON_V2 | {"script": False},
        "struktur": {"anzahl": False, "bezug": False, "enthaelt": False},
        "identifikation": {"id": False, "version": False},
        "codelisteReferenz": {"identifikation": False, "genericodeIdentification": False},
        "genericodeIdentification": {"canonicalIdentification": False, "version": False,
                                     "canonicalVersionUri": False},
    },
    "3.0.0": {
        "message": {"header": False, "stammdatenschema": False, "datenfeldgruppe": False},
        "stammdatenschema": _COMMON_V3 | {
            "bezeichnung": False, "hilfetext": False, "ableitungsmodifikationenStruktur": False,
            "ableitungsmodifikationenRepraesentation": False, "dokumentsteckbrief": False,
            "regel": True, "struktur": True},
        "datenfeldgruppe": _ELEMENT_V3 | {"art": False, "regel": True, "struktur": True},
        "datenfeld": _ELEMENT_V3 | _FIELD_EXTRA | {n: False for n in (
            "vorbefuellung", "werte", "codeKey", "nameKey", "helpKey", "maxSize")} | {
            "mediaType": True},
        "regel": {n: False for n in (
            "identifikation", "name", "beschreibung", "freitextRegel", "fachlicherErsteller",
            "letzteAenderung", "typ", "skript")} | {
            "bezug": True, "stichwort": True, "param": True, "ziel": True, "fehler": True},
        "struktur": {"anzahl": False, "bezug": True, "enthaelt": False},
        "identifikation": {"id": False, "version": False},
        "codelisteReferenz": {"canonicalIdentification": False, "version": False,
                              "canonicalVersionUri": False},
        "werte": {"wert": True},
        "wert": {"code": False, "name": False, "hilfe": False},
    },
}
CODE_CHILDREN = {"code": False, "name": False}  # XÖV code type, children without namespace
CODE_ELEMENTS = frozenset((
    "status", "freigabestatus", "schemaelementart", "feldart", "datentyp", "vorbefuellung",
    "typ", "ableitungsmodifikationenStruktur", "ableitungsmodifikationenRepraesentation", "art"))


class FimError(ValueError):
    """A FIM message that cannot be imported; the message is a sentence for the designer."""


@dataclass
class FimResult:
    definition: dict[str, Any]
    notes: list[str]
    version: Literal["2.0", "3.0.0"]
    kind: Literal["stammdatenschema", "datenfeldgruppe"]
    warnings: list[str] = field(default_factory=list)


def import_xdatenfelder(data: bytes) -> FimResult:
    """Turn an XDatenfelder 2.0 or 3.0.0 message into an `amtsweg.form/1` definition."""
    root = _parse(data)
    return _Importer(root).run()


def _parse(data: bytes) -> etree._Element:
    if len(data) > MAX_BYTES:
        raise FimError(_("The file is %(size)d bytes large; FIM files may have at most "
                         "%(limit)d bytes.") % {"size": len(data), "limit": MAX_BYTES})
    if b"<!DOCTYPE" in data:
        raise FimError(_("The file contains a DOCTYPE declaration; FIM messages have none and "
                         "it is refused for security reasons."))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FimError(_("The file is not well-formed XML: %(error)s (line %(line)s).")
                       % {"error": exc.msg, "line": exc.lineno}) from None
    if root is None:
        raise FimError(_("The file is empty."))
    if root.getroottree().docinfo.doctype:
        raise FimError(_("The file contains a DOCTYPE declaration; FIM messages have none and "
                         "it is refused for security reasons."))
    return root


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _text(el: etree._Element | None) -> str:
    """Element text with whitespace collapsed; FIM files are indented inside texts."""
    if el is None or el.text is None:
        return ""
    return " ".join(el.text.split())


def make_key(name: str) -> str:
    """A form key `[a-z][a-z0-9_]*` (at most 63 characters) from a German FIM name."""
    s = name.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    if not s:
        s = "feld"
    elif not s[0].isalpha():
        s = "f_" + s
    return s[:MAX_KEY].rstrip("_")


class _Keys:
    """Keys already used in one container of answers."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, name: str) -> str:
        base = make_key(name)
        key, n = base, 1
        while key in self.used:
            n += 1
            suffix = f"_{n}"
            key = base[:MAX_KEY - len(suffix)].rstrip("_") + suffix
        self.used.add(key)
        return key


def _parse_anzahl(el: etree._Element | None) -> tuple[int, int | None]:
    """`anzahl` "min:max" → (min, max); max None for "*". Missing means exactly one."""
    if el is None:
        return 1, 1
    value = _text(el)
    m = re.fullmatch(r"(\d+):(\d+|\*)", value)
    if not m or (m[2] != "*" and int(m[2]) < int(m[1])):
        raise FimError(_('The element <anzahl> at line %(line)d has the value "%(value)s"; '
                         'expected "min:max" such as "0:1", "1:1" or "0:*".')
                       % {"line": el.sourceline, "value": value})
    return int(m[1]), None if m[2] == "*" else int(m[2])


def _number(value: Any) -> int | float | None:
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


class _Importer:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        ns = etree.QName(root).namespace
        if ns not in NAMESPACES:
            raise FimError(
                _("The element <%(element)s> at line %(line)d uses the namespace "
                  "%(found)s; supported are %(v2)s (XDatenfelder 2.0) and %(v3)s "
                  "(XDatenfelder 3.0.0).")
                % {"element": _local(root), "line": root.sourceline,
                   "found": ns or _("(none)"), "v2": NS_V2, "v3": NS_V3})
        self.ns = ns
        self.patterns = patterns.Budget()  # what the file's patterns may cost together
        self.version: Literal["2.0", "3.0.0"] = NAMESPACES[ns]  # type: ignore[assignment]
        self.children = CHILDREN[self.version]
        self.notes: list[dict[str, str]] = []
        self.seen_rules: set[tuple[str, str]] = set()
        self.warnings: list[str] = []

    # -- reading the tree, with the checks every element gets ------------------------------

    def _check(self, el: etree._Element, kind: str) -> dict[str, etree._Element]:
        """Children of `el` by local name (repeatable ones are read with findall).

        Rejects unknown children and a second occurrence of a single-valued child. One
        exception keeps the reference test set importable: an empty repetition next to a
        filled one loses nothing, so it is dropped with a warning."""
        allowed = CODE_CHILDREN if kind in CODE_ELEMENTS else self.children[kind]
        found: dict[str, etree._Element] = {}
        for child in el:
            name = _local(child)
            ns = etree.QName(child).namespace
            expected_ns = None if kind in CODE_ELEMENTS else self.ns
            if name not in allowed or ns != expected_ns:
                raise FimError(_("Unexpected element <%(element)s> in <%(parent)s> at line "
                                 "%(line)d.") % {"element": child.tag if ns != expected_ns
                                                 and ns else name, "parent": _local(el),
                                                 "line": child.sourceline})
            if name in found and not allowed[name]:
                first = found[name]
                if bool(_text(first)) != bool(_text(child)) and not len(first) \
                        and not len(child):
                    self.warnings.append(
                        _("<%(element)s> occurs twice in <%(parent)s> (lines %(first)d and "
                          "%(second)d); the empty one is ignored.")
                        % {"element": name, "parent": _local(el), "first": first.sourceline,
                           "second": child.sourceline})
                    if _text(first):
                        continue
                else:
                    raise FimError(
                        _('The element <%(element)s> occurs more than once in <%(parent)s> '
                          '(line %(first)d: "%(a)s", line %(second)d: "%(b)s"); it may occur '
                          'only once.')
                        % {"element": name, "parent": _local(el), "first": first.sourceline,
                           "second": child.sourceline, "a": _text(first), "b": _text(child)})
            if name not in found or _text(child):
                found[name] = child
        return found

    def _code(self, el: etree._Element | None) -> str:
        if el is None:
            return ""
        return _text(self._check(el, _local(el)).get("code"))

    def _identity(self, el: etree._Element, parts: dict[str, etree._Element]) -> tuple[str, str]:
        ident = parts.get("identifikation")
        if ident is None:
            raise FimError(_("The element <%(element)s> at line %(line)d has no "
                             "<identifikation>.") % {"element": _local(el),
                                                     "line": el.sourceline})
        found = self._check(ident, "identifikation")
        id_el = found.get("id")
        if id_el is None:
            raise FimError(_("The element <identifikation> at line %(line)d has no <id>; every "
                             "FIM element needs an identifier.") % {"line": ident.sourceline})
        fim_id = _text(id_el)
        if not fim_id:
            raise FimError(_("The element <id> at line %(line)d is empty; every FIM element "
                             "needs an identifier.") % {"line": id_el.sourceline})
        if "name" not in parts:
            raise FimError(_("The element <%(element)s> %(id)s at line %(line)d has no <name>.")
                           % {"element": _local(el), "id": fim_id, "line": el.sourceline})
        status = parts.get("freigabestatus")
        if status is not None:
            code = self._code(status)
            if code not in FREIGABESTATUS:
                raise FimError(
                    _('The element <freigabestatus> at line %(line)d has the value "%(value)s"; '
                      'allowed are %(allowed)s.')
                    % {"line": status.sourceline, "value": code, "allowed": ", ".join(
                        f"{k} ({v})" for k, v in FREIGABESTATUS.items())})
        return fim_id, _text(found.get("version"))

    # -- the message -------------------------------------------------------------------

    def run(self) -> FimResult:
        root_name = _local(self.root)
        if root_name not in ROOTS:
            raise FimError(_("The root element <%(element)s> is not a supported FIM message; "
                             "supported are %(allowed)s.")
                           % {"element": root_name, "allowed": ", ".join(ROOTS)})
        kind = ROOTS[root_name]
        top = self._check(self.root, "message").get(kind)
        if top is None:
            raise FimError(_("The message <%(element)s> contains no <%(child)s>.")
                           % {"element": root_name, "child": kind})
        el_parts = self._check(top, kind)
        fim_id, version = self._identity(top, el_parts)
        name = _text(el_parts["name"])
        label_el = "bezeichnung" if kind == "stammdatenschema" and self.version == "3.0.0" \
            else "bezeichnungEingabe"
        title = _text(el_parts.get(label_el)) or name
        self._rules(top)

        root_keys, step_keys = _Keys(), _Keys()
        steps: list[dict[str, Any]] = []
        if kind == "datenfeldgruppe":
            steps.append(self._step(step_keys, title, self._items(top, _Keys()),
                                    _text(el_parts.get("hilfetextEingabe"))))
        else:
            loose: list[dict[str, Any]] | None = None
            for struktur in top.findall(f"{{{self.ns}}}struktur"):
                child, (lo, hi) = self._struktur(struktur)
                c_parts = self._check(child, _local(child))
                if _local(child) == "datenfeldgruppe" and hi == 1:
                    c_id, _version = self._identity(child, c_parts)
                    self._rules(child)
                    if lo == 0:
                        self._warn_optional(c_id, _text(c_parts["name"]))
                    label = _text(c_parts.get("bezeichnungEingabe")) or _text(c_parts["name"])
                    items = self._items(child, root_keys)
                    if not items:
                        self._warn_empty(c_id, _text(c_parts["name"]))
                    steps.append(self._step(step_keys, label, items,
                                            _text(c_parts.get("hilfetextEingabe"))))
                    continue
                item = self._element(child, c_parts, lo, hi, root_keys)
                if item is None:
                    continue
                if item["type"] == "group":
                    steps.append(self._step(step_keys, item["label"]["de"], [item]))
                else:
                    if loose is None:
                        loose = []
                        steps.append(self._step(step_keys, title, loose))
                    loose.append(item)
            if not steps:  # a form needs a step; the designer fills it
                self.warnings.append(_("The Stammdatenschema %(id)s contains no data fields.")
                                     % {"id": fim_id})
                steps.append(self._step(step_keys, title, [],
                                        _text(el_parts.get("hilfetext"))))

        definition: dict[str, Any] = {
            "format": "amtsweg.form/1",
            "title": {"de": title},
            "fim": {"id": fim_id, **({"version": version} if version else {}), "name": name},
            "steps": steps,
        }
        if self.notes:
            definition["notes"] = self.notes
        return FimResult(
            definition=definition, version=self.version, kind=kind,  # type: ignore[arg-type]
            notes=[f"{n['source']}: {n['text']}" for n in self.notes], warnings=self.warnings)

    def _step(self, keys: _Keys, title: str, items: list[dict[str, Any]],
              help_text: str = "") -> dict[str, Any]:
        step: dict[str, Any] = {"key": keys.take(title), "title": {"de": title}}
        if help_text:
            step["help"] = {"de": help_text}
        step["items"] = items
        return step

    def _warn_empty(self, fim_id: str, name: str) -> None:
        self.warnings.append(_("The group %(id)s (%(name)s) contains no fields.")
                             % {"id": fim_id, "name": name})

    def _struktur(self, struktur: etree._Element) -> tuple[etree._Element, tuple[int, int | None]]:
        parts = self._check(struktur, "struktur")
        enthaelt = parts.get("enthaelt")
        content = [c for c in enthaelt] if enthaelt is not None else []
        if len(content) != 1 or _local(content[0]) not in ("datenfeld", "datenfeldgruppe") \
                or etree.QName(content[0]).namespace != self.ns:
            raise FimError(_("The element <struktur> at line %(line)d must contain exactly one "
                             "<datenfeld> or <datenfeldgruppe> in <enthaelt>.")
                           % {"line": struktur.sourceline})
        return content[0], _parse_anzahl(parts.get("anzahl"))

    def _items(self, group: etree._Element, keys: _Keys) -> list[dict[str, Any]]:
        items = []
        for struktur in group.findall(f"{{{self.ns}}}struktur"):
            child, (lo, hi) = self._struktur(struktur)
            parts = self._check(child, _local(child))
            item = self._element(child, parts, lo, hi, keys)
            if item is not None:
                items.append(item)
        return items

    def _rules(self, el: etree._Element) -> None:
        """Free-text FIM rules cannot run here; the designer rebuilds them from the note."""
        for regel in el.findall(f"{{{self.ns}}}regel"):
            parts = self._check(regel, "regel")
            rule_id, rule_version = self._identity(regel, parts)
            if (rule_id, rule_version) in self.seen_rules:
                continue
            self.seen_rules.add((rule_id, rule_version))
            body = next((t for t in (_text(parts.get(n)) for n in (
                "freitextRegel", "skript", "script", "definition", "beschreibung")) if t), "")
            text = f"{_text(parts['name'])}: {body}" if body else _text(parts["name"])
            self.notes.append({"source": f"FIM {rule_id}", "text": text})

    def _warn_optional(self, fim_id: str, name: str) -> None:
        self.warnings.append(_("The group %(id)s (%(name)s) is optional in FIM; its required "
                               "fields are required here unless you add a visibility rule.")
                             % {"id": fim_id, "name": name})

    # -- groups and fields -------------------------------------------------------------

    def _element(self, el: etree._Element, parts: dict[str, etree._Element], lo: int,
                 hi: int | None, keys: _Keys) -> dict[str, Any] | None:
        """The item of a group or field; None for a group without fields."""
        fim_id, version = self._identity(el, parts)
        self._rules(el)
        name = _text(parts["name"])
        label = _text(parts.get("bezeichnungEingabe")) or name
        help_text = _text(parts.get("hilfetextEingabe"))
        if _local(el) == "datenfeldgruppe":
            children = self._items(el, _Keys())
            if not children:  # an empty group is of no use to an applicant
                self._warn_empty(fim_id, name)
                return None
            item: dict[str, Any] = {"type": "group", "key": keys.take(name),
                                    "label": {"de": label}}
            if help_text:
                item["help"] = {"de": help_text}
            item["items"] = children
            if hi is None or hi > 1:
                item["repeat"] = {"min": lo, "max": REPEAT_CAP if hi is None
                                  else min(hi, REPEAT_CAP)}
            elif lo == 0:
                self._warn_optional(fim_id, name)
        else:
            item = self._field(el, parts, fim_id, name, label, help_text, lo, hi, keys)
        item["fim_id"] = fim_id
        if version:
            item["fim_version"] = version
        return item

    def _field(self, el: etree._Element, parts: dict[str, etree._Element], fim_id: str,
               name: str, label: str, help_text: str, lo: int, hi: int | None,
               keys: _Keys) -> dict[str, Any]:
        feldart = self._code(parts.get("feldart")) or "input"
        datentyp = self._code(parts.get("datentyp")) or "text"
        if feldart == "label":
            text = _text(parts.get("inhalt")) or label
            return {"type": "info", "key": keys.take(name), "text": {"de": text}}
        if feldart == "hidden":
            self.warnings.append(_("The field %(id)s (%(name)s) is hidden in FIM; it is shown "
                                   "as a normal field here.") % {"id": fim_id, "name": name})
        elif feldart == "locked":
            self.warnings.append(_("The field %(id)s (%(name)s) is read-only in FIM; it is an "
                                   "input field here.") % {"id": fim_id, "name": name})
        item: dict[str, Any] = {"type": "text", "key": keys.take(name), "label": {"de": label}}
        if help_text:
            item["help"] = {"de": help_text}
        constraints = self._constraints(parts.get("praezisierung"), fim_id)
        many = hi is None or hi > 1
        if feldart == "select":
            self._choice(item, parts, fim_id, name)
            if many and item["type"] == "choice":
                item["type"] = "multichoice"
                if lo > 1:
                    item["min_items"] = lo
                if hi is not None:
                    item["max_items"] = hi
                many = False
        if item["type"] == "text":
            self._typed(item, datentyp, constraints, fim_id, name)
        if item["type"] == "file":
            item["file"] = self._file_spec(el, parts, lo, hi)
            many = False
        if lo >= 1 and item["type"] == "boolean":
            self.warnings.append(
                _("The yes/no field %(id)s (%(name)s) must be answered in FIM; here a required "
                  "yes/no field must be ticked, so it is left optional.")
                % {"id": fim_id, "name": name})
        elif lo >= 1:
            item["required"] = True
        if many:
            self.warnings.append(_("The field %(id)s (%(name)s) may occur several times in FIM; "
                                   "it is wrapped in a repeated group.")
                                 % {"id": fim_id, "name": name})
            inner = dict(item, key=item["key"])
            return {"type": "group", "key": item["key"], "label": {"de": label},
                    "items": [inner], "repeat": {"min": lo, "max": REPEAT_CAP if hi is None
                                                 else min(hi, REPEAT_CAP)}}
        return item

    def _choice(self, item: dict[str, Any], parts: dict[str, etree._Element], fim_id: str,
                name: str) -> None:
        werte = parts.get("werte")
        if werte is not None:
            options, lines = [], {}
            for wert in werte.findall(f"{{{self.ns}}}wert"):
                w = self._check(wert, "wert")
                code = _text(w.get("code"))
                if not code:
                    raise FimError(_("The element <wert> at line %(line)d has no <code>.")
                                   % {"line": wert.sourceline})
                if code in lines:
                    raise FimError(_('The code list value "%(code)s" occurs twice in <werte> '
                                     '(lines %(first)d and %(second)d).')
                                   % {"code": code, "first": lines[code],
                                      "second": wert.sourceline})
                lines[code] = wert.sourceline
                options.append({"value": code, "label": {"de": _text(w.get("name")) or code}})
            if options:
                item["type"] = "choice"
                item["options"] = options
                return
        uri, list_version = self._codelist(parts.get("codelisteReferenz"))
        known = CODELIST_URIS.get(uri) or (uri.rsplit(":", 1)[-1] if uri else "")
        if known in CODELIST_NAMES:
            item["type"] = "choice"
            item["codelist"] = known
            return
        if uri:
            text = _("Code list %(uri)s (version %(version)s) is not shipped with Amtsweg; the "
                     "field %(name)s is a text field.") % {
                "uri": uri, "version": list_version or "?", "name": name}
        else:
            text = _("The selection field %(name)s names neither values nor a code list; it "
                     "is a text field.") % {"name": name}
        self.notes.append({"source": f"FIM {fim_id}", "text": text})

    def _codelist(self, ref: etree._Element | None) -> tuple[str, str]:
        if ref is None:
            return "", ""
        parts = self._check(ref, "codelisteReferenz")
        if self.version == "2.0":
            generic = parts.get("genericodeIdentification")
            if generic is None:
                return "", ""
            parts = self._check(generic, "genericodeIdentification")
        return _text(parts.get("canonicalIdentification")), _text(parts.get("version"))

    def _constraints(self, el: etree._Element | None, fim_id: str) -> dict[str, Any]:
        """`praezisierung`: JSON-like text in 2.0, attributes in 3.0.0."""
        if el is None:
            return {}
        if self.version == "3.0.0":
            return {k: v for k, v in el.attrib.items()
                    if k in ("minLength", "maxLength", "minValue", "maxValue", "pattern")}
        raw = (el.text or "").strip()
        if not raw:
            return {}
        try:
            value = safejson.loads(raw)
        except safejson.JsonError:
            value = None
        if not isinstance(value, dict):
            self.warnings.append(_('The constraints of %(id)s ("%(raw)s", line %(line)d) could '
                                   'not be read and are ignored.')
                                 % {"id": fim_id, "raw": raw[:100], "line": el.sourceline})
            return {}
        return {k: v for k, v in value.items() if isinstance(v, str | int | float)}

    def _file_spec(self, el: etree._Element, parts: dict[str, etree._Element], lo: int,
                   hi: int | None) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        types = [t for t in (_text(m) for m in el.findall(f"{{{self.ns}}}mediaType")) if t]
        if types:
            spec["types"] = types
        max_size = _number(_text(parts.get("maxSize")))
        if isinstance(max_size, int) and max_size > 0:
            spec["max_size"] = max_size  # XDatenfelder 3 gives bytes
        if lo > 1:
            spec["min_count"] = lo
        spec["max_count"] = REPEAT_CAP if hi is None else min(hi, REPEAT_CAP)
        return spec

    def _typed(self, item: dict[str, Any], datentyp: str, c: dict[str, Any], fim_id: str,
               name: str) -> None:
        """Type and limits of a non-choice field from the FIM data type and constraints."""
        lo_len, hi_len = _number(c.get("minLength", "")), _number(c.get("maxLength", ""))
        lo_val, hi_val = c.get("minValue"), c.get("maxValue")
        if datentyp in ("text", "text_latin", "time", "datetime"):
            if datentyp in ("time", "datetime"):
                self.warnings.append(_("The field %(id)s (%(name)s) holds a time; it is a text "
                                       "field here.") % {"id": fim_id, "name": name})
            if isinstance(hi_len, int) and hi_len > TEXT_MAX:
                item["type"] = "textarea"
            if isinstance(lo_len, int) and lo_len > 0:
                item["min_length"] = lo_len
            if isinstance(hi_len, int) and hi_len > 0:
                item["max_length"] = hi_len
            pattern = str(c.get("pattern", ""))
            if pattern:
                anchored = f"^(?:{pattern})$"  # XML Schema patterns match the whole value
                try:
                    reason = self.patterns.problem(anchored)
                except patterns.BudgetExceeded as exc:
                    raise FimError(_("The file cannot be imported (at field %(id)s): "
                                     "%(reason)s")
                                   % {"id": fim_id, "reason": exc.refusal.message()}) from None
                if reason is None:
                    item["pattern"] = anchored
                else:
                    self.warnings.append(_('The pattern "%(pattern)s" of %(id)s cannot be used '
                                           'and is ignored: %(reason)s')
                                         % {"pattern": pattern, "id": fim_id,
                                            "reason": reason})
        elif datentyp in ("num", "num_int", "num_currency"):
            item["type"] = {"num": "decimal", "num_int": "integer",
                            "num_currency": "currency"}[datentyp]
            for key, raw in (("min", lo_val), ("max", hi_val)):
                number = _number(raw) if raw not in (None, "") else None
                if number is not None:
                    item[key] = int(number) if datentyp == "num_int" else number
        elif datentyp == "date":
            item["type"] = "date"
            for key, raw in (("min", lo_val), ("max", hi_val)):
                if raw and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(raw)):
                    item[key] = str(raw)
        elif datentyp == "bool":
            item["type"] = "boolean"
        elif datentyp in ("file", "obj"):
            item["type"] = "file"
        else:
            self.warnings.append(_('The field %(id)s has the unknown data type "%(type)s"; it '
                                   'is a text field here.') % {"id": fim_id, "type": datentyp})
