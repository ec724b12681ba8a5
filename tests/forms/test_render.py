"""HTML of form steps (amtsweg.forms.render): types, labels, values, errors, visibility,
repeats, htmx refresh, languages, error summary and answers summary."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from amtsweg.forms.render import field_id, render_error_summary, render_step, render_summary


def t(de, en=None):
    return {"de": de, "en": en or de + " (en)"}


OPTS = [{"value": "w", "label": t("weiblich", "female")},
        {"value": "m", "label": t("männlich", "male")},
        {"value": "d", "label": t("divers", "diverse")}]


class Element:
    def __init__(self, tag, attrs):
        self.tag = tag
        self.attrs = dict(attrs)
        self.text = ""

    def __getitem__(self, name):
        return self.attrs[name]

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    def __contains__(self, name):
        return name in self.attrs


class Collector(HTMLParser):
    """Start tags with their attributes and the text inside them (for labels, legends…)."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.open = []

    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs)
        self.elements.append(el)
        if tag not in self.VOID:
            self.open.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        for el in self.open:
            el.text += data


def parse(html):
    c = Collector()
    c.feed(str(html))
    return c.elements


def by_id(html, id_):
    found = [e for e in parse(html) if e.get("id") == id_]
    assert len(found) == 1, f"{len(found)} elements with id {id_}"
    return found[0]


def label_for(html, id_):
    labels = [e for e in parse(html) if e.tag == "label" and e.get("for") == id_]
    assert len(labels) == 1, f"{len(labels)} labels for {id_}"
    return " ".join(labels[0].text.split())


def form(*items, steps=None):
    return {"format": "amtsweg.form/1", "title": t("Antrag"),
            "steps": steps or [{"key": "s", "title": t("Schritt"), "items": list(items)}]}


def step(*items, answers=None, errors=None, **kw):
    kw.setdefault("default_action", None)
    return render_step(form(*items), "s", answers or {}, errors or {}, **kw)


def assert_unique_ids(html):
    ids = [e["id"] for e in parse(html) if "id" in e]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


# --- field types --------------------------------------------------------------------------

@pytest.mark.parametrize(("item", "tag", "attrs"), [
    ({"type": "text"}, "input", {"type": "text", "maxlength": "200"}),
    ({"type": "text", "max_length": 40}, "input", {"type": "text", "maxlength": "40"}),
    ({"type": "textarea"}, "textarea", {"maxlength": "5000"}),
    ({"type": "integer"}, "input", {"type": "text", "inputmode": "numeric"}),
    ({"type": "decimal"}, "input", {"type": "text", "inputmode": "decimal"}),
    ({"type": "currency"}, "input", {"type": "text", "inputmode": "decimal"}),
    ({"type": "date"}, "input", {"type": "date"}),
    ({"type": "email"}, "input", {"type": "email", "autocomplete": "email"}),
    ({"type": "phone"}, "input", {"type": "tel", "autocomplete": "tel"}),
    ({"type": "iban"}, "input", {"type": "text", "autocomplete": "off", "spellcheck": "false",
                                 "inputmode": "text"}),
    ({"type": "boolean"}, "input", {"type": "checkbox", "value": "true"}),
    ({"type": "choice", "options": OPTS, "widget": "select"}, "select", {}),
    ({"type": "file", "file": {"types": ["application/pdf"]}}, "input", {"type": "file"}),
])
def test_each_type_renders_labelled_control(item, tag, attrs):
    html = step({"key": "feld", "label": t("Mein Feld"), **item})
    assert isinstance(html, SafeString)
    control = by_id(html, "f-feld")
    assert control.tag == tag
    assert control["name"] == "feld"
    for name, value in attrs.items():
        assert control.get(name) == value, (name, control.attrs)
    assert label_for(html, "f-feld").startswith("Mein Feld")
    assert_unique_ids(html)


def test_currency_has_eur_suffix_linked_to_input():
    html = step({"type": "currency", "key": "betrag", "label": t("Betrag")})
    unit = by_id(html, "f-betrag--unit")
    assert unit.text == "EUR"
    assert "f-betrag--unit" in by_id(html, "f-betrag")["aria-describedby"].split()


def test_choice_with_few_options_is_a_radio_group_in_a_fieldset():
    html = step({"type": "choice", "key": "geschlecht", "label": t("Geschlecht"),
                 "options": OPTS, "required": True}, answers={"geschlecht": "m"})
    radios = [e for e in parse(html) if e.tag == "input"]
    assert [r["type"] for r in radios] == ["radio"] * 3
    assert {r["name"] for r in radios} == {"geschlecht"}
    assert [r["id"] for r in radios] == ["f-geschlecht", "f-geschlecht--1", "f-geschlecht--2"]
    assert ["checked" in r for r in radios] == [False, True, False]
    assert all("required" in r for r in radios)
    assert label_for(html, "f-geschlecht--2") == "divers"
    legend = next(e for e in parse(html) if e.tag == "legend")
    assert "Geschlecht" in legend.text
    assert next(e for e in parse(html) if e.tag == "fieldset")


def test_choice_with_many_options_is_a_select_with_the_value_selected():
    opts = [{"value": f"v{i}", "label": t(f"Wert {i}")} for i in range(7)]
    html = step({"type": "choice", "key": "staat", "label": t("Staat"), "options": opts},
                answers={"staat": "v5"})
    assert by_id(html, "f-staat").tag == "select"
    options = [e for e in parse(html) if e.tag == "option"]
    assert options[0]["value"] == ""  # "please choose"
    assert [o["value"] for o in options if "selected" in o] == ["v5"]
    # widget=radio keeps radios even with many options
    html = step({"type": "choice", "key": "staat", "label": t("Staat"), "options": opts,
                 "widget": "radio"})
    assert by_id(html, "f-staat")["type"] == "radio"


def test_options_come_from_options_for():
    seen = []

    def options_for(item):
        seen.append(item["key"])
        return [{"value": "DE", "label": t("Deutschland", "Germany")}]

    html = step({"type": "choice", "key": "staat", "label": t("Staat"), "codelist": "staat"},
                options_for=options_for)
    assert seen == ["staat"]
    assert by_id(html, "f-staat")["value"] == "DE"
    assert label_for(html, "f-staat") == "Deutschland"


def test_multichoice_is_a_checkbox_group_with_values_checked():
    html = step({"type": "multichoice", "key": "sprachen", "label": t("Sprachen"),
                 "options": OPTS}, answers={"sprachen": ["w", "d"]})
    boxes = [e for e in parse(html) if e.tag == "input"]
    assert {b["type"] for b in boxes} == {"checkbox"}
    assert {b["name"] for b in boxes} == {"sprachen"}
    assert [b["value"] for b in boxes if "checked" in b] == ["w", "d"]
    assert "Sprachen" in next(e for e in parse(html) if e.tag == "legend").text


def test_boolean_checked_from_answer():
    item = {"type": "boolean", "key": "ok", "label": t("Ich versichere"), "required": True}
    assert "checked" in by_id(step(item, answers={"ok": True}), "f-ok")
    assert "checked" not in by_id(step(item, answers={"ok": False}), "f-ok")
    assert "required" in by_id(step(item), "f-ok")


def test_address_fieldset_with_autocomplete_tokens():
    html = step({"type": "address", "key": "anschrift", "label": t("Anschrift"),
                 "required": True},
                answers={"anschrift": {"street": "Hauptstraße", "house_number": "1a",
                                       "postal_code": "36037", "place": "Fulda"}})
    assert by_id(html, "f-anschrift").tag == "fieldset"
    street = by_id(html, "f-anschrift-street")
    assert street["name"] == "anschrift.street"
    assert street["value"] == "Hauptstraße"
    assert street["autocomplete"].endswith("street-address")
    assert by_id(html, "f-anschrift-postal_code")["autocomplete"].endswith("postal-code")
    assert by_id(html, "f-anschrift-place")["autocomplete"].endswith("address-level2")
    assert by_id(html, "f-anschrift-house_number")["value"] == "1a"
    for part in ("street", "house_number", "postal_code", "place"):
        assert label_for(html, f"f-anschrift-{part}")
    assert "required" in by_id(html, "f-anschrift-postal_code")
    assert "f-anschrift-country" not in html  # no code list without the engine's options_for


def test_address_country_select_from_code_list():
    def options_for(item):
        assert item["codelist"] == "staat"
        return [{"value": "DE", "label": t("Deutschland")},
                {"value": "AT", "label": t("Österreich")}]

    html = step({"type": "address", "key": "anschrift", "label": t("Anschrift")},
                options_for=options_for)
    country = by_id(html, "f-anschrift-country")
    assert country.tag == "select"
    assert country["name"] == "anschrift.country"
    selected = [e for e in parse(html) if e.tag == "option" and "selected" in e]
    assert [o["value"] for o in selected] == ["DE"]


def test_file_input_with_rules_and_uploaded_files():
    item = {"type": "file", "key": "nachweise", "label": t("Nachweise"), "required": True,
            "file": {"types": ["application/pdf", "image/jpeg"], "max_size": 5 * 1024 * 1024,
                     "max_count": 3}}
    html = step(item)
    control = by_id(html, "f-nachweise")
    assert "multiple" in control
    assert "application/pdf" in control["accept"] and "image/jpeg" in control["accept"]
    assert "required" in control
    hint = by_id(html, "f-nachweise--hint")
    assert "PDF" in hint.text and "JPEG" in hint.text and "5" in hint.text and "3" in hint.text
    assert control["aria-describedby"] == "f-nachweise--hint"

    html = step(item, answers={"nachweise": ["upl_1"]},
                uploads={"upl_1": {"name": "<b>scan</b>.pdf", "size": 2048}})
    buttons = [e for e in parse(html) if e.tag == "button"]
    assert [(b["name"], b["value"]) for b in buttons] == [
        ("_action", "remove_upload:nachweise:upl_1")]
    assert "&lt;b&gt;scan&lt;/b&gt;.pdf" in html and "<b>scan" not in html
    assert buttons[0]["aria-label"].endswith(": <b>scan</b>.pdf")
    assert "required" not in by_id(html, "f-nachweise")  # a file is already there

    single = step({**item, "file": {"max_count": 1}})
    assert "multiple" not in by_id(single, "f-nachweise")


def test_info_item_is_a_text_block():
    html = step({"type": "info", "key": "hinweis",
                 "text": t("Bitte halten Sie Ihren Ausweis bereit.\n\n<Zweiter> Absatz")})
    assert "kern-alert" in html
    paragraphs = [e.text for e in parse(html) if e.tag == "p"]
    assert paragraphs == ["Bitte halten Sie Ihren Ausweis bereit.", "<Zweiter> Absatz"]
    assert "&lt;Zweiter&gt;" in html
    assert not [e for e in parse(html) if e.tag in ("input", "label")]


def test_computed_and_readonly_fields_are_read_only_without_name():
    html = step({"type": "currency", "key": "gebuehr", "label": t("Gebühr"),
                 "compute": {"*": [{"var": "anzahl"}, 12]}},
                {"type": "text", "key": "name", "label": t("Name")},
                answers={"gebuehr": "24.00", "name": "Erika"}, readonly_paths={"name"})
    for fid, value in (("f-gebuehr", "24.00 EUR"), ("f-name", "Erika")):
        control = by_id(html, fid)
        assert "readonly" in control
        assert "name" not in control
        assert control["value"] == value
        assert label_for(html, fid)


def test_required_is_marked_visually_and_for_assistive_technology():
    html = step({"type": "text", "key": "a", "label": t("Pflicht"), "required": True},
                {"type": "text", "key": "b", "label": t("Freiwillig")})
    assert "required" in by_id(html, "f-a")
    assert "required" not in by_id(html, "f-b")
    assert label_for(html, "f-a") != "Pflicht"  # a visible marker follows the label
    assert label_for(html, "f-b") == "Freiwillig"


def test_help_text_linked_by_aria_describedby():
    html = step({"type": "text", "key": "a", "label": t("A"), "help": t("Wie im Pass")})
    assert by_id(html, "f-a")["aria-describedby"] == "f-a--hint"
    assert by_id(html, "f-a--hint").text == "Wie im Pass"


def test_autocomplete_for_personal_data_but_not_for_other_people():
    items = [{"type": "text", "key": "vorname", "label": t("Vorname")},
             {"type": "text", "key": "name", "label": t("Name"), "prefill": "family_name"},
             {"type": "date", "key": "geburtsdatum", "label": t("Geburtsdatum")},
             {"type": "group", "key": "kinder", "label": t("Kinder"), "repeat": {"min": 1},
              "items": [{"type": "text", "key": "vorname", "label": t("Vorname")}]}]
    html = step(*items)
    assert by_id(html, "f-vorname")["autocomplete"] == "given-name"
    assert by_id(html, "f-name")["autocomplete"] == "family-name"
    assert by_id(html, "f-geburtsdatum")["autocomplete"] == "bday"
    assert "autocomplete" not in by_id(html, "f-kinder-0-vorname")


# --- values and escaping ----------------------------------------------------------------

def test_values_are_shown_back_and_escaped():
    evil = '"><script>alert(1)</script>'
    html = step({"type": "text", "key": "a", "label": t("A")},
                {"type": "textarea", "key": "b", "label": t("B")},
                {"type": "integer", "key": "c", "label": t("C")},
                answers={"a": evil, "b": evil, "c": "12x"})
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert by_id(html, "f-a")["value"] == evil  # the parser decodes what the browser decodes
    assert by_id(html, "f-b").text == evil
    assert by_id(html, "f-c")["value"] == "12x"  # raw value as typed, even if invalid


def test_definition_texts_are_escaped_too():
    html = step({"type": "choice", "key": "a", "label": t("<i>A</i>"), "help": t("<b>h</b>"),
                 "options": [{"value": '"x', "label": t("<u>o</u>")}]},
                errors={"a": ["<em>falsch</em>"]})
    for raw in ("<i>", "<b>", "<u>", "<em>"):
        assert raw not in html
    assert by_id(html, "f-a")["value"] == '"x'


def test_textarea_keeps_a_leading_newline():
    html = step({"type": "textarea", "key": "b", "label": t("B")}, answers={"b": "\nZeile"})
    # browsers drop one newline right after <textarea>; the value starts with the second
    assert re.search(r"<textarea[^>]*>\n\nZeile</textarea>", str(html))


# --- errors -----------------------------------------------------------------------------

def test_errors_mark_the_field_invalid_and_are_linked():
    html = step({"type": "text", "key": "a", "label": t("A"), "help": t("Hilfe")},
                {"type": "text", "key": "b", "label": t("B")},
                errors={"a": ["Bitte geben Sie A an.", "Zweite Meldung"]})
    control = by_id(html, "f-a")
    assert control["aria-invalid"] == "true"
    assert control["aria-describedby"].split() == ["f-a--hint", "f-a--error"]
    error = by_id(html, "f-a--error")
    assert "kern-error" in error["class"]
    assert "Bitte geben Sie A an." in error.text and "Zweite Meldung" in error.text
    assert "kern-form-input__input--error" in control["class"]
    assert html.index('id="f-a--error"') < html.index('id="f-a"')  # above the input
    assert "aria-invalid" not in by_id(html, "f-b")


def test_errors_on_groups_radios_and_entries():
    items = [{"type": "choice", "key": "art", "label": t("Art"), "options": OPTS},
             {"type": "group", "key": "kinder", "label": t("Kinder"), "repeat": {"min": 1},
              "items": [{"type": "text", "key": "vorname", "label": t("Vorname")}]}]
    errors = {"art": ["Bitte wählen"], "kinder": ["Mindestens ein Kind"],
              "kinder.0.vorname": ["Fehlt"]}
    html = step(*items, errors=errors)
    fieldset = next(e for e in parse(html) if e.tag == "fieldset")
    assert "f-art--error" in fieldset["aria-describedby"]
    assert by_id(html, "f-art")["aria-invalid"] == "true"
    group = by_id(html, "f-kinder")
    assert group.tag == "fieldset" and group["tabindex"] == "-1"
    assert "Mindestens ein Kind" in by_id(html, "f-kinder--error").text
    assert by_id(html, "f-kinder-0-vorname")["aria-invalid"] == "true"


def test_error_summary_links_each_error_to_its_field():
    items = [{"type": "text", "key": "vorname", "label": t("Vorname", "Given name")},
             {"type": "address", "key": "anschrift", "label": t("Anschrift")},
             {"type": "group", "key": "kinder", "label": t("Kinder"), "repeat": {"min": 1},
              "items": [{"type": "text", "key": "vorname", "label": t("Vorname")}]},
             {"type": "choice", "key": "art", "label": t("Art"), "options": OPTS}]
    errors = {"art": ["Bitte wählen"], "kinder.1.vorname": ["Fehlt"],
              "anschrift.postal_code": ["PLZ unbekannt"], "vorname": ["<Pflicht>"],
              "": ["Allgemeiner Fehler"]}
    definition = form(*items)
    answers = {"kinder": [{}, {}]}
    summary = render_error_summary(definition, errors, "s")
    root = parse(summary)[0]
    assert root["role"] == "alert" and root["tabindex"] == "-1"
    assert "kern-alert--danger" in root["class"]
    links = [(e["href"], " ".join(e.text.split())) for e in parse(summary) if e.tag == "a"]
    assert links == [("#f-vorname", "Vorname: <Pflicht>"),
                     ("#f-anschrift-postal_code", "Postleitzahl (Anschrift): PLZ unbekannt"),
                     ("#f-kinder-1-vorname", "Vorname (Kinder – Eintrag 2): Fehlt"),
                     ("#f-art", "Art: Bitte wählen")]
    assert "&lt;Pflicht&gt;" in summary
    assert "Allgemeiner Fehler" in summary
    html = render_step(definition, "s", answers, errors)
    for href, _ in links:
        by_id(html, href[1:])  # every link has its target
    with translation.override("en"):
        assert "Given name: &lt;Pflicht&gt;" in render_error_summary(definition, errors, "s")
    assert render_error_summary(definition, {}, "s") == ""


def test_error_summary_leaves_out_other_steps():
    definition = form(steps=[
        {"key": "a", "title": t("A"), "items": [{"type": "text", "key": "x", "label": t("X")}]},
        {"key": "b", "title": t("B"), "items": [{"type": "text", "key": "y", "label": t("Y")}]}])
    summary = render_error_summary(definition, {"x": ["m1"], "y": ["m2"]}, "b")
    assert "m2" in summary and "m1" not in summary
    assert render_error_summary(definition, {"x": ["m1"]}, "b") == ""


# --- visibility and htmx ------------------------------------------------------------------

RULE = {"==": [{"var": "art"}, "kind"]}


def test_hidden_items_carry_hidden_rule_and_disabled_controls():
    items = [{"type": "choice", "key": "art", "label": t("Art"),
              "options": [{"value": "selbst", "label": t("selbst")},
                          {"value": "kind", "label": t("Kind")}]},
             {"type": "text", "key": "kindname", "label": t("Name des Kindes"),
              "visible": RULE, "required": True},
             {"type": "group", "key": "kind", "label": t("Kind"), "visible": RULE,
              "items": [{"type": "date", "key": "geburt", "label": t("Geburt")}]}]
    calls = []

    def visible(path):
        calls.append(path)
        return False

    html = step(*items, visible=visible)
    assert calls == ["kindname", "kind"]
    wrapper = next(e for e in parse(html) if e.get("data-path") == "kindname")
    assert "hidden" in wrapper
    assert json.loads(wrapper["data-visible-rule"]) == RULE
    # a plain div: KERN's classes set `display` and would override [hidden]
    assert wrapper.tag == "div" and "kern-" not in wrapper["class"]
    assert "disabled" in by_id(html, "f-kindname")
    group = next(e for e in parse(html) if e.get("data-path") == "kind")
    assert "hidden" in group and group.tag == "div"
    assert "disabled" in by_id(html, "f-kind-geburt")
    assert "hidden" not in next(e for e in parse(html) if e.get("data-path") == "art")

    shown = step(*items, visible=lambda p: True)
    wrapper = next(e for e in parse(shown) if e.get("data-path") == "kindname")
    assert "hidden" not in wrapper and json.loads(wrapper["data-visible-rule"]) == RULE
    assert "disabled" not in by_id(shown, "f-kindname")


def test_controls_referenced_by_rules_refresh_the_step_with_htmx():
    items = [{"type": "choice", "key": "art", "label": t("Art"), "options": OPTS},
             {"type": "integer", "key": "anzahl", "label": t("Anzahl")},
             {"type": "text", "key": "name", "label": t("Name")},
             {"type": "text", "key": "kindname", "label": t("Kind"), "visible": RULE},
             {"type": "currency", "key": "summe", "label": t("Summe"),
              "compute": {"*": [{"var": "anzahl"}, 2]}},
             {"type": "file", "key": "beleg", "label": t("Beleg")}]
    html = step(*items, refresh_url="/antrag/7/refresh?x=1&y=2")
    for fid in ("f-art", "f-art--1", "f-anzahl"):
        control = by_id(html, fid)
        assert control["hx-post"] == "/antrag/7/refresh?x=1&y=2"
        assert control["hx-trigger"] == "change"
        assert control["hx-target"] == control["hx-select"] == "#step-form"
        assert control["hx-swap"].startswith("outerHTML")
        assert json.loads(control["hx-vals"]) == {"_action": "refresh"}
        assert control["hx-params"] == "not beleg"
    for fid in ("f-name", "f-kindname", "f-beleg"):
        assert "hx-post" not in by_id(html, fid)
    assert "hx-" not in step(*items)


def test_rules_inside_repeat_entries_refresh_their_siblings():
    group = {"type": "group", "key": "kinder", "label": t("Kinder"), "repeat": {"min": 2},
             "items": [{"type": "boolean", "key": "behindert", "label": t("Behinderung")},
                       {"type": "text", "key": "grad", "label": t("Grad"),
                        "visible": {"var": "behindert"}}]}
    html = step(group, refresh_url="/r")
    assert "hx-post" in by_id(html, "f-kinder-0-behindert")
    assert "hx-post" in by_id(html, "f-kinder-1-behindert")
    assert "hx-post" not in by_id(html, "f-kinder-0-grad")


# --- groups and repeats -------------------------------------------------------------------

def kinder(low=1, high=3):
    return {"type": "group", "key": "kinder", "label": t("Kinder", "Children"),
            "repeat": {"min": low, "max": high},
            "items": [{"type": "text", "key": "vorname", "label": t("Vorname")},
                      {"type": "date", "key": "geburtsdatum", "label": t("Geburtsdatum")}]}


def actions(html):
    return [e["value"] for e in parse(html) if e.tag == "button" and e.get("name") == "_action"]


def test_plain_group_is_a_fieldset_with_dotted_names():
    html = step({"type": "group", "key": "partner", "label": t("Partner"),
                 "items": [{"type": "text", "key": "vorname", "label": t("Vorname")}]},
                answers={"partner": {"vorname": "Eva"}})
    assert by_id(html, "f-partner").tag == "fieldset"
    control = by_id(html, "f-partner-vorname")
    assert control["name"] == "partner.vorname" and control["value"] == "Eva"
    assert "Partner" in next(e for e in parse(html) if e.tag == "legend").text


def test_repeat_renders_entries_with_numbered_legends():
    html = step(kinder(), answers={"kinder": [{"vorname": "Max"}, {"vorname": "Mia"}]})
    assert by_id(html, "f-kinder-0-vorname")["value"] == "Max"
    assert by_id(html, "f-kinder-1-vorname")["name"] == "kinder.1.vorname"
    assert label_for(html, "f-kinder-1-geburtsdatum") == "Geburtsdatum"
    legends = [" ".join(e.text.split()) for e in parse(html) if e.tag == "legend"]
    assert legends[0] == "Kinder"
    assert legends[1].startswith("Kinder") and "1" in legends[1]
    assert legends[2].startswith("Kinder") and "2" in legends[2]
    assert_unique_ids(html)


def test_repeat_buttons_respect_min_and_max():
    # at min: no remove button; below max: add button
    html = step(kinder(1, 3), answers={"kinder": [{"vorname": "Max"}]})
    assert actions(html) == ["add:kinder"]
    # fewer entries than min: empty entries up to min
    html = step(kinder(2, 3), answers={})
    assert "f-kinder-1-vorname" in html and actions(html) == ["add:kinder"]
    # between: both
    html = step(kinder(1, 3), answers={"kinder": [{}, {}]})
    assert actions(html) == ["remove:kinder.0", "remove:kinder.1", "add:kinder"]
    # at max: no add button
    html = step(kinder(1, 2), answers={"kinder": [{}, {}]})
    assert actions(html) == ["remove:kinder.0", "remove:kinder.1"]
    # more entries than max (an older definition): all are kept, no add button
    html = step(kinder(0, 1), answers={"kinder": [{"vorname": "A"}, {"vorname": "B"}]})
    assert by_id(html, "f-kinder-1-vorname")["value"] == "B"
    assert actions(html) == ["remove:kinder.0", "remove:kinder.1"]
    # min 0 and nothing yet: only the add button
    html = step(kinder(0, 2))
    assert actions(html) == ["add:kinder"] and "f-kinder-0-vorname" not in html


def test_action_buttons_are_plain_submit_buttons_with_distinct_names():
    html = step(kinder(0, 3), answers={"kinder": [{}, {}]})
    buttons = [e for e in parse(html) if e.tag == "button"]
    assert all(b["type"] == "submit" and "formnovalidate" in b for b in buttons)
    names = [b["aria-label"] for b in buttons]
    assert len(set(names)) == len(names)  # "Remove entry 1 (Kinder)", … "Add entry (Kinder)"
    assert all("Kinder" in n for n in names)
    for b, name in zip(buttons, names, strict=True):  # the visible text is part of the name
        assert " ".join(b.text.split()) in name
    assert "kern-sr-only" not in str(html)  # in a .kern-btn, KERN shrinks it to an icon button


def test_enter_submits_the_default_action_first():
    html = render_step(form(kinder(0, 3)), "s", {"kinder": [{}]}, {})
    first = next(e for e in parse(html) if e.tag == "button")
    assert (first["name"], first["value"], first["tabindex"]) == ("_action", "next", "-1")
    assert first["aria-hidden"] == "true"


# --- languages -------------------------------------------------------------------------------

def test_labels_follow_the_active_language():
    item = {"type": "choice", "key": "g", "label": t("Geschlecht", "Sex"), "options": OPTS,
            "help": t("Laut Register", "As registered")}
    with translation.override("de"):
        html = step(item)
    assert "Geschlecht" in html and "weiblich" in html and "Laut Register" in html
    with translation.override("en"):
        html = step(item)
    assert "Sex" in html and "female" in html and "As registered" in html
    assert "Geschlecht" not in html
    html = step(item, lang="en")
    assert "female" in html


def test_english_falls_back_to_german():
    with translation.override("en"):
        html = step({"type": "text", "key": "a", "label": {"de": "Nur Deutsch"}})
    assert label_for(html, "f-a") == "Nur Deutsch"


def test_own_ui_texts_are_translated():
    item = {"type": "address", "key": "anschrift", "label": t("Anschrift"), "required": True}
    with translation.override("en"):
        html = step(item)
    assert label_for(html, "f-anschrift-street").startswith("Street")


# --- answers summary -----------------------------------------------------------------------

def test_summary_lists_answers_per_step_with_change_links():
    sections = [{"step": "person", "title": "Angaben zu Ihrer Person",
                 "rows": [("Vorname", "<Erika>"), ("Kinder", ["Max", "Mia"]), ("Telefon", "")]},
                {"step": "kinder", "title": "Kinder", "rows": [("Anzahl", "2")]}]
    html = render_summary(sections, lambda key: f"/antrag/1/schritt/{key}")
    assert html.count("<dl") == 2
    assert [e.text for e in parse(html) if e.tag == "dt"] == [
        "Vorname", "Kinder", "Telefon", "Anzahl"]
    assert "&lt;Erika&gt;" in html
    links = [e for e in parse(html) if e.tag == "a"]
    assert [a["href"] for a in links] == ["/antrag/1/schritt/person", "/antrag/1/schritt/kinder"]
    names = [" ".join(a.text.split()) for a in links]
    assert len(set(names)) == 2 and "Angaben zu Ihrer Person" in names[0]
    hidden_titles = [e.text for e in parse(html) if e.tag == "span"
                     and "kern-sr-only" in e.get("class", "")]
    assert len(hidden_titles) == 2 and "Kinder" in hidden_titles[1]
    with translation.override("en"):
        html = render_summary(sections, lambda key: "#")
    assert "Change" in html and "not specified" in html


# --- ids --------------------------------------------------------------------------------

def test_ids_are_derived_safely_from_paths():
    assert field_id("kinder.0.vorname") == "f-kinder-0-vorname"
    assert field_id('a"><x.b') == "f-a---x-b"


def test_address_country_select_names_germany_by_the_lists_code():
    """Germany is stored as "DE"; the Destatis list names it "000", which is selected."""
    def options_for(item):
        return [{"value": "000", "label": t("Deutschland")},
                {"value": "129", "label": t("Frankreich")}]

    for stored in (None, "DE", "000"):
        answers = {"anschrift": {"street": "A", "country": stored}} if stored else {}
        html = step({"type": "address", "key": "anschrift", "label": t("Anschrift")},
                    answers=answers, options_for=options_for)
        selected = [e for e in parse(html) if e.tag == "option" and "selected" in e]
        assert [o["value"] for o in selected] == ["000"], stored


def test_country_lists_are_alphabetical_with_germany_first():
    """Issue 12: the Staat and Staatsangehörigkeit lists were in code order (Deutschland,
    Albanien, Bosnien und Herzegowina, Andorra, …)."""
    with translation.override("de"):
        from amtsweg.forms.types import options_of

        html = step({"type": "choice", "key": "staat", "label": t("Staat"),
                     "codelist": "staat", "widget": "select"}, options_for=options_of)
    names = [" ".join(m.split()) for m in re.findall(r"<option[^>]*>([^<]+)</option>", html)]
    names = [n for n in names if n and not n.startswith("Bitte")]
    assert names[0] == "Deutschland"
    rest = names[1:]
    assert rest[:2] == ["Afghanistan", "Ägypten"]
    from amtsweg.forms.render import collation_key
    assert rest == sorted(rest, key=collation_key)
