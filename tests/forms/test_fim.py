"""FIM import: every shipped XDatenfelder test file, the mapping rules, the guards and the
`amtsweg fim import` command."""

import importlib.util
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from amtsweg.cli import main as amtsweg_main
from amtsweg.forms.fim import MAX_BYTES, NS_V2, NS_V3, FimError, import_xdatenfelder, make_key
from amtsweg.forms.schema import validate_definition

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "amtsweg" / "forms" / "data" / "fim"
FILES = sorted(DATA.glob("v*/*.xml"))

_spec = importlib.util.spec_from_file_location("fim_bench", ROOT / "bench" / "fim_bench.py")
fim_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fim_bench)

# Broken files: every fragment must be in the error message (element, id, value, lines).
BROKEN = {
    "v2/duplicate-optional-value.xml": ["<beschreibung>", "<stammdatenschema>", "14", "15"],
    "v2/duplicate-required-value.xml": ["<name>", "<stammdatenschema>", "12", '"Test"', "13"],
    "v2/unknown-namespace.xml": ["urn:xoev-de:fim:standard:xdatenfelder_unknown", NS_V2, NS_V3,
                                 "xdatenfelder.stammdatenschema.0102"],
    "v3/duplicate-id-node.xml": ["<id>", "<identifikation>", '"G123"', "10", "11"],
    "v3/empty-id-node.xml": ["<id>", "10"],
    "v3/missing-id-node.xml": ["<identifikation>", "<id>", "9"],
    "v3/invalid-freigabestatus.xml": ["<freigabestatus>", '"10"', "17", "1 (in Planung)",
                                      "8 (vorgesehen zum Löschen)"],
    "v3/unexpected-node.xml": ["<unknown>", "<identifikation>", "11"],
    "v3/unknown-namespace.xml": ["urn:xoev-de:fim:standard:xdatenfelder_unknown", NS_V2, NS_V3,
                                 "xdatenfelder.datenfeldgruppe.0103"],
}
RULE_V2 = {"source": "FIM R60000037", "text": "MindestEineAngabe: function script() {}"}


def _import(name: str):
    return import_xdatenfelder((DATA / name).read_bytes())


def _rel(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


def _answer_items(items):
    for item in items:
        yield item
        if item["type"] == "group":
            yield from _answer_items(item["items"])


# -- the shipped files -------------------------------------------------------------------


def check_v2_simple(r):
    assert (r.version, r.kind) == ("2.0", "stammdatenschema")
    d = r.definition
    assert d["format"] == "amtsweg.form/1"
    assert d["title"] == {"de": "Test"}
    assert d["fim"] == {"id": "T1234", "version": "1.0", "name": "Test"}
    assert [s["key"] for s in d["steps"]] == ["natuerliche_person"]
    step = d["steps"][0]
    assert step["title"] == {"de": "Natürliche Person"}
    assert step["items"] == [{
        "type": "text", "key": "familienname", "label": {"de": "Familienname"},
        "help": {"de": "Hilfe Eingabe"}, "min_length": 1, "max_length": 120, "required": True,
        "fim_id": "F60000227", "fim_version": "1.1"}]
    assert d["notes"] == [RULE_V2]
    assert r.notes == ["FIM R60000037: MindestEineAngabe: function script() {}"]
    assert r.warnings == []


def check_v2_minimal(r):
    assert r.definition["fim"] == {"id": "T1234", "version": "1.0", "name": "Test"}
    # no data fields: one empty step for the designer to fill (a form needs a step)
    assert r.definition["steps"] == [{"key": "test", "title": {"de": "Test"}, "items": []}]
    assert "notes" not in r.definition and r.notes == []
    assert any("T1234" in w for w in r.warnings)


def check_v2_rule(r):
    assert r.definition["steps"] == [{"key": "test", "title": {"de": "Test"}, "items": []}]
    assert r.definition["notes"] == [RULE_V2]


def check_v2_data_field_rule(r):
    # a loose field at the top level gets a step of its own, titled like the form
    [step] = r.definition["steps"]
    assert step["title"] == {"de": "Test"}
    assert step["items"] == [{"type": "text", "key": "hinweis", "label": {"de": "Hinweis"},
                              "required": True, "fim_id": "F123", "fim_version": "1.0"}]
    assert r.definition["notes"] == [RULE_V2]


def check_v2_data_group_rule(r):
    # the top-level group G00000082 has no fields: an empty step, a warning, its rule kept
    assert r.definition["steps"] == [{"key": "natuerliche_person",
                                      "title": {"de": "Natürliche Person"}, "items": []}]
    assert r.definition["notes"] == [RULE_V2]
    assert any("G00000082" in w for w in r.warnings)


def check_v2_label(r):
    [step] = r.definition["steps"]
    assert step["items"] == [{"type": "info", "key": "hinweis", "text": {"de": "Hinweis Inhalt"},
                              "fim_id": "F123", "fim_version": "1.0"}]


def check_v2_select(r):
    # code list urn:de:example is not one of ours: a text field and a note with the URI
    [item] = r.definition["steps"][0]["items"]
    assert (item["type"], item["key"], item["required"]) == ("text", "hinweis", True)
    [note] = r.definition["notes"]
    assert note["source"] == "FIM F123"
    assert "urn:de:example" in note["text"]


def check_v3_simple(r):
    assert (r.version, r.kind) == ("3.0.0", "datenfeldgruppe")
    d = r.definition
    assert d["fim"] == {"id": "G60000000088", "version": "1.2.0", "name": "Anschrift Inland"}
    assert d["title"] == {"de": "Anschrift in Deutschland"}
    [step] = d["steps"]
    assert step["key"] == "anschrift_in_deutschland"
    [group] = step["items"]
    assert group["type"] == "group" and "repeat" not in group
    assert (group["key"], group["fim_id"], group["fim_version"]) == (
        "anschrift_inland_strassenanschrift", "G60000000086", "1.2.0")
    assert step["help"] == {"de": "Eingabehilfe"}
    assert group["label"] == {"de": "Straßenanschrift"}
    assert group["help"]["de"].startswith("Geben Sie die Anschrift mit Straße")
    assert group["items"] == [{
        "type": "text", "key": "strasse", "label": {"de": "Straße"},
        "help": {"de": "Geben Sie an, wie die Straße heißt."}, "min_length": 1,
        "max_length": 55, "required": True, "fim_id": "F60000000243", "fim_version": "1.1.0"}]
    # the same rule sits on the group and on the field: one note
    [note] = d["notes"]
    assert note["source"] == "FIM R60000000019"
    assert note["text"].startswith("Anschrift Inland Straßenanschrift / Anschrift Inland "
                                   "Postfachanschrift: Es muss entweder Feldgruppe G60000086")
    assert any("G60000000086" in w for w in r.warnings)  # 0:1 group


def check_v3_input(r):
    [step] = r.definition["steps"]
    # select without values or code list: text; praezisierung attributes; anzahl 0:1
    assert step["items"] == [{
        "type": "text", "key": "strasse", "label": {"de": "Straße"}, "max_length": 1,
        "pattern": "^(?:abc)$", "fim_id": "F60000000243", "fim_version": "1.1.0"}]
    [note] = r.definition["notes"]
    assert note["source"] == "FIM F60000000243"
    assert any("<inhalt>" in w and "57" in w and "64" in w for w in r.warnings)


GOOD = {
    "v2/simple.xml": check_v2_simple,
    "v2/minimal.xml": check_v2_minimal,
    "v2/rule.xml": check_v2_rule,
    "v2/data-field-rule.xml": check_v2_data_field_rule,
    "v2/data-group-rule.xml": check_v2_data_group_rule,
    "v2/label.xml": check_v2_label,
    "v2/select.xml": check_v2_select,
    "v3/simple.xml": check_v3_simple,
    "v3/input.xml": check_v3_input,
}


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_shipped_file(path):
    name = _rel(path)
    assert name in GOOD or name in BROKEN, f"{name} has no expectation in this test"
    if name in BROKEN:
        with pytest.raises(FimError) as exc:
            _import(name)
        for fragment in BROKEN[name]:
            assert fragment in str(exc.value), (fragment, str(exc.value))
    else:
        GOOD[name](_import(name))


@pytest.mark.parametrize("name", [*sorted(GOOD), "synthetic"])
def test_good_imports_are_valid_definitions(name):
    data = fim_bench.synthetic_message() if name == "synthetic" else (DATA / name).read_bytes()
    assert validate_definition(import_xdatenfelder(data).definition) == []


# -- mapping rules on small messages -----------------------------------------------------


def v3_field(fim_id, name, datentyp="text", feldart="input", extra=""):
    return (f"<xdf:datenfeld><xdf:identifikation><xdf:id>{fim_id}</xdf:id>"
            f"<xdf:version>1.0</xdf:version></xdf:identifikation><xdf:name>{name}</xdf:name>"
            f"<xdf:freigabestatus><code>6</code></xdf:freigabestatus>"
            f"<xdf:bezeichnungEingabe>{name}</xdf:bezeichnungEingabe>"
            f"<xdf:feldart><code>{feldart}</code></xdf:feldart>"
            f"<xdf:datentyp><code>{datentyp}</code></xdf:datentyp>{extra}</xdf:datenfeld>")


def v3_group(fim_id, name, *children):
    return (f"<xdf:datenfeldgruppe><xdf:identifikation><xdf:id>{fim_id}</xdf:id>"
            f"</xdf:identifikation><xdf:name>{name}</xdf:name>"
            f"<xdf:bezeichnungEingabe>{name}</xdf:bezeichnungEingabe>{''.join(children)}"
            f"</xdf:datenfeldgruppe>")


def s(anzahl, content):
    return f"<xdf:struktur><xdf:anzahl>{anzahl}</xdf:anzahl><xdf:enthaelt>{content}" \
           f"</xdf:enthaelt></xdf:struktur>"


def v3_schema(*strukturen):
    return (f'<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS_V3}">'
            f"<xdf:stammdatenschema><xdf:identifikation><xdf:id>S1</xdf:id>"
            f"<xdf:version>2.0</xdf:version></xdf:identifikation><xdf:name>Antrag</xdf:name>"
            f"<xdf:bezeichnung>Mein Antrag</xdf:bezeichnung>{''.join(strukturen)}"
            f"</xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>").encode()


def test_structure_types_and_cardinalities():
    r = import_xdatenfelder(v3_schema(
        s("1:1", v3_field("F1", "Vorname", extra='<xdf:praezisierung maxLength="80"/>')),
        s("1:1", v3_group(
            "G1", "Antragsteller",
            s("1:1", v3_field("F2", "Geburtsdatum", "date")),
            s("0:1", v3_field("F3", "Anzahl Kinder", "num_int",
                              extra='<xdf:praezisierung minValue="0" maxValue="12"/>')),
            s("1:1", v3_field("F4", "Einkommen", "num_currency")),
            s("0:1", v3_field("F5", "Größe", "num")),
            s("1:1", v3_field("F6", "Begründung", extra='<xdf:praezisierung maxLength="4000"/>')),
            s("0:*", v3_group("G2", "Kind", s("1:1", v3_field("F7", "Vorname")))),
            s("1:3", v3_group("G3", "Wohnsitz", s("1:1", v3_field("F8", "Ort")))),
            s("0:*", v3_field("F9", "Nachweis", "file",
                              extra="<xdf:mediaType>application/pdf</xdf:mediaType>")),
            s("1:1", v3_field("F10", "Geschlecht", feldart="select", extra=(
                "<xdf:codelisteReferenz><xdf:canonicalIdentification>"
                "urn:xoev-de:xinneres:codeliste:geschlecht</xdf:canonicalIdentification>"
                "</xdf:codelisteReferenz>"))),
            s("0:*", v3_field("F11", "Sprachen", feldart="select", extra=(
                "<xdf:werte><xdf:wert><xdf:code>de</xdf:code><xdf:name>Deutsch</xdf:name>"
                "</xdf:wert><xdf:wert><xdf:code>en</xdf:code><xdf:name>Englisch</xdf:name>"
                "</xdf:wert></xdf:werte>"))),
            s("0:2", v3_field("F12", "Telefon")),
            s("1:1", v3_field("F13", "Richtigkeit", "bool")),
        )),
        s("0:1", v3_field("F14", "Vorname", extra='<xdf:praezisierung maxLength="80"/>')),
    ))
    d = r.definition
    assert d["title"] == {"de": "Mein Antrag"}
    assert d["fim"] == {"id": "S1", "version": "2.0", "name": "Antrag"}
    loose, person = d["steps"]
    # loose top-level fields share one step; keys are unique across all steps
    assert loose["title"] == {"de": "Mein Antrag"}
    assert [i["key"] for i in loose["items"]] == ["vorname", "vorname_2"]
    assert loose["items"][0]["required"] is True and "required" not in loose["items"][1]
    items = {i["fim_id"]: i for i in person["items"]}
    assert items["F2"]["type"] == "date" and items["F2"]["required"] is True
    assert (items["F3"]["type"], items["F3"]["min"], items["F3"]["max"]) == ("integer", 0, 12)
    assert "required" not in items["F3"]
    assert items["F4"]["type"] == "currency"
    assert items["F5"]["type"] == "decimal" and items["F5"]["key"] == "groesse"
    assert (items["F6"]["type"], items["F6"]["max_length"]) == ("textarea", 4000)
    assert items["G2"]["repeat"] == {"min": 0, "max": 99}
    assert items["G2"]["items"][0]["key"] == "vorname"  # own container
    assert items["G3"]["repeat"] == {"min": 1, "max": 3}
    assert items["F9"]["type"] == "file"
    assert items["F9"]["file"] == {"types": ["application/pdf"], "max_count": 99}
    assert (items["F10"]["type"], items["F10"]["codelist"]) == ("choice", "geschlecht")
    assert items["F11"]["type"] == "multichoice"
    assert items["F11"]["options"] == [{"value": "de", "label": {"de": "Deutsch"}},
                                       {"value": "en", "label": {"de": "Englisch"}}]
    assert items["F12"]["type"] == "group" and items["F12"]["repeat"] == {"min": 0, "max": 2}
    assert items["F12"]["items"][0]["type"] == "text"
    # a required FIM bool is "answer yes or no", ours would be "must be ticked"
    assert items["F13"]["type"] == "boolean" and "required" not in items["F13"]
    assert any("F13" in w for w in r.warnings)
    assert any("F12" in w for w in r.warnings)
    assert validate_definition(d) == []


def test_v2_praezisierung_and_codelist():
    field = (
        "<xdf:datenfeld><xdf:identifikation><xdf:id>F1</xdf:id></xdf:identifikation>"
        "<xdf:name>Alter</xdf:name><xdf:feldart><code>input</code></xdf:feldart>"
        "<xdf:datentyp><code>num_int</code></xdf:datentyp>"
        '<xdf:praezisierung>{"minValue":"18","maxValue":"120"}</xdf:praezisierung>'
        "</xdf:datenfeld>")
    select = (
        "<xdf:datenfeld><xdf:identifikation><xdf:id>F2</xdf:id></xdf:identifikation>"
        "<xdf:name>Bundesland</xdf:name><xdf:feldart><code>select</code></xdf:feldart>"
        "<xdf:datentyp><code>text</code></xdf:datentyp><xdf:praezisierung>kaputt"
        "</xdf:praezisierung><xdf:codelisteReferenz><xdf:identifikation><xdf:id>C1</xdf:id>"
        "</xdf:identifikation><xdf:genericodeIdentification><xdf:canonicalIdentification>"
        "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:bundesland"
        "</xdf:canonicalIdentification></xdf:genericodeIdentification>"
        "</xdf:codelisteReferenz></xdf:datenfeld>")
    xml = (f'<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS_V2}"><xdf:stammdatenschema>'
           f"<xdf:identifikation><xdf:id>S2</xdf:id></xdf:identifikation><xdf:name>X</xdf:name>"
           f"{s('1:1', field)}{s('0:1', select)}</xdf:stammdatenschema>"
           f"</xdf:xdatenfelder.stammdatenschema.0102>")
    r = import_xdatenfelder(xml.encode())
    alter, land = r.definition["steps"][0]["items"]
    assert (alter["type"], alter["min"], alter["max"]) == ("integer", 18, 120)
    assert (land["type"], land["codelist"]) == ("choice", "bundesland")
    assert r.definition["fim"] == {"id": "S2", "name": "X"}
    assert validate_definition(r.definition) == []


def test_fim_patterns_that_need_backtracking_are_dropped_with_a_warning():
    """FIM patterns run on RE2 like the designer's (issue 11): a lookahead or backreference
    cannot, so the field is imported without it and the designer is told why."""
    def field(fim_id, pattern):
        return v3_field(fim_id, "Kennung", extra=f'<xdf:praezisierung pattern="{pattern}"/>')

    with translation.override("en"):
        r = import_xdatenfelder(v3_schema(
            s("1:1", field("F1", "(?=[A-Z])[A-Z0-9]{5}")),
            s("1:1", field("F2", "([A-Z])\\1[0-9]{3}")),
            s("1:1", field("F3", "(a{1,30}){1,30}")),
            s("1:1", field("F4", "[A-Z]{2}[0-9]{5}")),
        ))
    f1, f2, f3, f4 = r.definition["steps"][0]["items"]
    assert "pattern" not in f1 and "pattern" not in f2
    assert f3["pattern"] == "^(?:(a{1,30}){1,30})$"
    assert f4["pattern"] == "^(?:[A-Z]{2}[0-9]{5})$"
    [w1] = [w for w in r.warnings if "F1" in w]
    [w2] = [w for w in r.warnings if "F2" in w]
    assert "(?=[A-Z])[A-Z0-9]{5}" in w1 and "Lookarounds are not supported" in w1
    assert "Backreferences are not supported" in w2
    assert not [w for w in r.warnings if "F3" in w or "F4" in w]
    assert validate_definition(r.definition) == []


def test_make_key():
    assert make_key("Straße") == "strasse"
    assert make_key("Größe (in cm)") == "groesse_in_cm"
    assert make_key("1. Wohnsitz") == "f_1_wohnsitz"
    assert make_key("—") == "feld"
    key = make_key("Sehr " * 40)
    assert len(key) <= 63 and re.fullmatch(r"[a-z][a-z0-9_]*", key)


@pytest.mark.parametrize("data, fragments", [
    (b"<a><b></a>", ["XML", "1"]),
    (b"", ["XML"]),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><lolz>&lol;</lolz>',
     ["DOCTYPE"]),
    (b"<root/>", ["(none)"]),
    (b"x" * (MAX_BYTES + 1), [str(MAX_BYTES)]),
    (v3_schema(s("eins", v3_field("F1", "A"))), ["<anzahl>", '"eins"']),
    (v3_schema(s("3:1", v3_field("F1", "A"))), ["<anzahl>", '"3:1"']),
    (v3_schema(s("1:1", "")), ["<struktur>"]),
])
def test_broken_input(data, fragments):
    with translation.override("en"), pytest.raises(FimError) as exc:
        import_xdatenfelder(data)
    for fragment in fragments:
        assert fragment in str(exc.value), (fragment, str(exc.value))


def test_duplicate_code_values_name_both_lines():
    data = v3_schema(s("1:1", v3_field("F1", "A", feldart="select", extra=(
        "<xdf:werte>\n<xdf:wert><xdf:code>a</xdf:code></xdf:wert>\n"
        "<xdf:wert><xdf:code>a</xdf:code></xdf:wert></xdf:werte>"))))
    with pytest.raises(FimError) as exc:
        import_xdatenfelder(data)
    assert '"a"' in str(exc.value) and "<werte>" in str(exc.value)
    assert re.search(r"\b2\b.*\b3\b", str(exc.value))  # both lines


def test_synthetic_large_message():
    data = fim_bench.synthetic_message()
    assert 140_000 < len(data) < 160_000
    r = import_xdatenfelder(data)
    steps = r.definition["steps"]
    assert len(steps) == 8
    items = [i for step in steps for i in _answer_items(step["items"])]
    types = {i["type"] for i in items}
    assert types == {"text", "textarea", "integer", "decimal", "currency", "date", "boolean",
                     "choice", "file", "info", "group"}
    assert len(items) == 8 * (16 + 1 + 3)
    keys = [i["key"] for step in steps for i in step["items"]]
    assert len(keys) == len(set(keys))
    assert all(step["items"][-1]["repeat"] == {"min": 0, "max": 99} for step in steps)
    assert [n["source"] for n in r.definition["notes"]] == [
        f"FIM R{600000001 + g}" for g in range(8)]


# -- the command -------------------------------------------------------------------------


def test_command_prints_definition_and_notes():
    out, err = io.StringIO(), io.StringIO()
    call_command("fim", "import", str(DATA / "v2/simple.xml"), stdout=out, stderr=err)
    assert json.loads(out.getvalue()) == _import("v2/simple.xml").definition
    assert "R60000037" in err.getvalue()


def test_command_writes_output(tmp_path):
    target = tmp_path / "form.json"
    err = io.StringIO()
    call_command("fim", "import", str(DATA / "v3/simple.xml"), "--output", str(target),
                 stdout=io.StringIO(), stderr=err)
    assert json.loads(target.read_text(encoding="utf-8"))["fim"]["id"] == "G60000000088"
    assert "G60000000086" in err.getvalue()  # the warning about the optional group


def test_command_error():
    with pytest.raises(CommandError) as exc:
        call_command("fim", "import", str(DATA / "v3/invalid-freigabestatus.xml"))
    assert "freigabestatus" in str(exc.value)
    with pytest.raises(CommandError):
        call_command("fim", "import", str(DATA / "does-not-exist.xml"))


def test_command_line_exits_1_without_traceback(capsys):
    with pytest.raises(SystemExit) as exc:
        amtsweg_main(["fim", "import", str(DATA / "v3/duplicate-id-node.xml")])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "G123" in err and "Traceback" not in err


@pytest.mark.django_db
def test_command_creates_a_draft_service():
    from io import StringIO

    from amtsweg.services.models import OnlineService
    from amtsweg.territory.models import Authority

    owner = Authority.objects.filter(area__ags="06635001").order_by("pk").first()
    err = StringIO()
    call_command("fim", "import", str(DATA / "v3" / "simple.xml"), "--service",
                 "99027002012000", "--owner-authority", str(owner.pk), stdout=StringIO(),
                 stderr=err)
    service = OnlineService.objects.get(owner_authority=owner)
    assert service.versions.get().state == "draft"
    assert service.slug in err.getvalue()
    with translation.override("en"), pytest.raises(CommandError, match="owning"):
        call_command("fim", "import", str(DATA / "v3" / "simple.xml"), "--service",
                     "99027002012000", stdout=StringIO(), stderr=StringIO())
