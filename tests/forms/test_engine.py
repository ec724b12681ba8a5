from datetime import date

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from amtsweg.forms import logic, types
from amtsweg.forms.engine import compile_form
from amtsweg.forms.types import IBAN_LENGTHS, Invalid, clean_iban, parse_decimal

from .example import example

FULL = {
    "art": "selbst", "vorname": "Erika", "familienname": "Mustermann",
    "geburtsdatum": "12.08.1964", "geschlecht": "w", "anzahl": "2", "spende": "1.234,5",
    "iban": "de89 3704 0044 0532 0130 00", "zwecke": ["rente"], "richtig": True,
}


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared with their English msgids."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def form():
    return compile_form(example())


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(logic, "today", lambda: date(2026, 11, 30))


def test_compile_is_cached_by_content():
    assert compile_form(example()) is compile_form(example())
    changed = example()
    changed["title"]["de"] = "Anders"
    assert compile_form(changed) is not compile_form(example())


def test_steps_and_lookup(form):
    assert form.step_keys == ["antragsteller", "kinder_schritt", "zahlung"]
    assert form.item("kinder.2.vorname").key == "vorname"
    assert form.item("kinder.vorname").spec["label"]["de"] == "Vorname des Kindes"
    assert form.item("nichts") is None


def test_validate_normalises(form):
    cleaned, errors = form.validate(FULL)
    assert errors == {}
    assert cleaned["geburtsdatum"] == "1964-08-12"
    assert cleaned["anzahl"] == 2
    assert cleaned["gebuehr"] == "24.00"
    assert cleaned["spende"] == "1234.5"
    assert cleaned["iban"] == "DE89370400440532013000"
    assert "kinder" not in cleaned  # the step is hidden
    assert "zweck_sonst" not in cleaned
    assert "hinweis" not in cleaned


def test_required_and_type_errors(form):
    answers = {**FULL, "vorname": "", "anzahl": "zwei", "geburtsdatum": "31.02.2000",
               "richtig": False, "iban": "DE89370400440532013001"}
    _cleaned, errors = form.validate(answers)
    assert errors["vorname"] == ["Please fill in “Vorname”."]
    assert errors["anzahl"] == ["Enter a whole number."]
    assert errors["geburtsdatum"] == ["Enter a date such as 30.11.2026."]
    assert errors["richtig"] == ["Please confirm “Angaben sind richtig”."]
    assert errors["iban"] == ["Enter a valid IBAN. Please check it for typing errors."]
    assert list(errors) == ["vorname", "geburtsdatum", "anzahl", "iban", "richtig"]


def test_validation_rules_and_errors_per_step(form):
    answers = {**FULL, "vorname": ""}
    _cleaned, errors = form.validate(answers, step="zahlung")
    assert errors == {"richtig": ["Name missing."]}
    _cleaned, errors = form.validate(answers, step="antragsteller")
    assert list(errors) == ["vorname"]


def test_constraints(form):
    _c, errors = form.validate({**FULL, "geburtsdatum": "2027-01-01", "anzahl": "11",
                                "familienname": "x" * 51, "zwecke": ["rente", "ehe", "sonst"],
                                "kennzeichen": "FD-AB 12x", "spende": "5,123"})
    assert errors["geburtsdatum"][0].startswith("The date must not be after")
    assert errors["anzahl"][0].startswith("The value must be at most")
    assert errors["familienname"] == ["Enter at most 50 characters (you entered 51)."]
    assert errors["zwecke"] == ["Choose at most 2 options."]
    assert errors["kennzeichen"] == ["Bitte im Format ABC-XY 123."]
    assert errors["spende"] == ["Enter at most 2 decimal places."]
    _c, errors = form.validate({**FULL, "geschlecht": "q", "iban": "CH9300762011623852957"})
    assert errors["geschlecht"] == ["Choose one of the offered options."]
    assert errors["iban"] == ["Only IBANs from these countries are accepted: DE, AT."]


def test_visibility(form):
    answers = {**FULL, "art": "kind", "zwecke": ["sonst"]}
    assert [s.key for s in form.visible_steps(FULL)] == ["antragsteller", "zahlung"]
    assert [s.key for s in form.visible_steps(answers)] == form.step_keys
    assert form.is_visible("zweck_sonst", answers)
    assert not form.is_visible("zweck_sonst", FULL)
    assert not form.is_visible("kinder_schritt", FULL)
    _c, errors = form.validate(answers)
    assert errors["zweck_sonst"] == ["Please fill in “Anderer Zweck”."]
    assert errors["kinder"] == ["Add at least 1 entries to “Kind”."]


def test_repeats_and_entry_scope(form):
    answers = {**FULL, "art": "kind", "kinder": [
        {"vorname": "Max", "alter": "4", "schule": "soll verschwinden"},
        {"vorname": "Ida", "alter": "9", "schule": "Grundschule", "im_haushalt": True},
        {"vorname": "", "alter": "20"},
    ]}
    assert form.is_visible("kinder.1.schule", answers)
    assert not form.is_visible("kinder.0.schule", answers)
    cleaned, errors = form.validate(answers)
    assert cleaned["kinder"][0] == {"vorname": "Max", "alter": 4, "im_haushalt": False}
    assert cleaned["kinder"][1]["schule"] == "Grundschule"
    assert errors == {"kinder.2.vorname": ["Please fill in “Vorname des Kindes”."],
                      "kinder.2.alter": ["The value must be at most 17."]}
    too_many = {**answers, "kinder": [{"vorname": "A"}] * 4}
    _c, errors = form.validate(too_many)
    assert errors["kinder"] == ["“Kind” may have at most 3 entries."]


def test_parse_step_with_querydict(form):
    existing = {"vorname": "Alt", "richtig": True, "kinder": [{"vorname": "A", "alter": "3"}]}
    post = QueryDict(mutable=True)
    post.update({"art": "kind", "vorname": "Erika", "anschrift.postal_code": "36037",
                 "anschrift.street": "Marktstraße"})
    answers = form.parse_step("antragsteller", post, existing)
    assert answers["vorname"] == "Erika"
    assert answers["anschrift"] == {"postal_code": "36037", "street": "Marktstraße"}
    assert answers["richtig"] is True  # not part of this step
    assert existing["vorname"] == "Alt"

    post = QueryDict("anzahl=1%2C5&zwecke=rente&zwecke=ehe&spende=1.234%2C50")
    answers = form.parse_step("zahlung", post, {"richtig": True})
    assert answers["zwecke"] == ["rente", "ehe"]
    assert answers["richtig"] is False  # an unchecked checkbox of this step
    assert answers["spende"] == "1.234,50"  # kept as typed
    cleaned, errors = form.validate({**FULL, **answers, "richtig": True})
    assert cleaned["spende"] == "1234.5"
    assert errors["anzahl"] == ["Enter a whole number."]


def test_parse_repeated_group_and_actions(form):
    existing = {"art": "kind", "kinder": [{"vorname": "A", "im_haushalt": True},
                                          {"vorname": "B"}]}
    post = {"kinder.0.vorname": ["Anna"], "kinder.0.alter": ["7"], "kinder.1.vorname": ["Ben"],
            "kinder.1.im_haushalt": ["on"]}
    answers = form.parse_step("kinder_schritt", post, existing)
    assert answers["kinder"] == [{"vorname": "Anna", "alter": "7", "im_haushalt": False},
                                 {"vorname": "Ben", "im_haushalt": True}]
    answers = form.parse_step("kinder_schritt", {**post, "_action": ["add:kinder"]}, existing)
    assert len(answers["kinder"]) == 3
    answers = form.parse_step("kinder_schritt", {**post, "_action": "remove:kinder.0"},
                              existing)
    assert [k["vorname"] for k in answers["kinder"]] == ["Ben"]
    full = {"kinder.0.vorname": "a", "kinder.1.vorname": "b", "kinder.2.vorname": "c",
            "_action": "add:kinder"}
    assert len(form.parse_step("kinder_schritt", full, {})["kinder"]) == 3
    assert form.parse_step("kinder_schritt", {"kinder.__count": "2"}, {})["kinder"] == [
        {"im_haushalt": False}, {"im_haushalt": False}]


def test_computed_values_ignore_posted_input(form):
    answers = form.parse_step("zahlung", {"anzahl": "3", "gebuehr": "0"}, {})
    assert "gebuehr" not in answers
    cleaned, _e = form.validate({**FULL, **answers})
    assert cleaned["gebuehr"] == "36.00"


def test_prefill(form):
    profile = {"given_name": "Erika", "family_name": "Mustermann", "street": "Marktstraße",
               "house_number": "1", "postal_code": "36037", "place": "Fulda"}
    answers = form.prefill({"familienname": "Gabler"}, profile)
    assert answers["vorname"] == "Erika"
    assert answers["familienname"] == "Gabler"
    assert answers["anschrift"]["street"] == "Marktstraße"


def test_summary(form):
    answers = {**FULL, "art": "kind", "nachweise": ["upl_1"],
               "kinder": [{"vorname": "Max", "alter": "7", "schule": "GS"}]}
    summary = form.summary(answers, "en", uploads={"upl_1": "urkunde.pdf"})
    titles = [title for title, _rows in summary]
    assert titles == ["About you", "Children", "Payment"]
    rows = dict(summary[0][1])
    assert rows["Für wen?"] == "für mein Kind"
    assert rows["Geschlecht"] == "female"
    children = summary[1][1]
    assert children[0] == ("Kind 1", None)
    assert ("Lebt im Haushalt", "No") in children
    payment = dict(summary[2][1])
    assert payment["Nachweise"] == "urkunde.pdf"
    assert payment["Angaben sind richtig"] == "Yes"
    assert payment["Zwecke"] == "Rente"
    assert payment["Gebühr"].endswith("€")
    de = dict(form.summary(answers, "de")[2][1])
    assert de["Angaben sind richtig"] == "Ja"


@pytest.mark.parametrize(("raw", "expected"), [
    ("1.234,50", "1234.50"), ("1234.50", "1234.50"), ("1234,5", "1234.50"), ("12", "12.00"),
    ("1.234", "1234.00"), ("1,234.50", "1234.50"), ("0,99 €", "0.99"), ("-3,10", "-3.10"),
])
def test_currency_input(raw, expected):
    assert types.clean_currency({"type": "currency"}, raw) == expected


@pytest.mark.parametrize("raw", ["1,2,3", "abc", "1.23.4", "12,345"])
def test_currency_rejects(raw):
    with pytest.raises(Invalid):
        types.clean_currency({"type": "currency"}, raw)


def test_decimal_places():
    assert parse_decimal("1.234", 3) == parse_decimal("1.234", 3)
    assert types.clean_decimal({"type": "decimal", "decimals": 3}, "1.234") == "1.234"
    assert types.clean_decimal({"type": "decimal"}, "1.234") == "1234"
    assert types.clean_decimal({"type": "decimal"}, "0,5") == "0.5"


def test_date_limits():
    item = {"type": "date", "max": "today-P18Y", "min": "1900-01-01"}
    assert types.clean_date(item, "30.11.2008") == "2008-11-30"
    with pytest.raises(Invalid):
        types.clean_date(item, "2008-12-01")
    assert types.resolve_date_limit("today+P1M", date(2026, 1, 31)) == date(2026, 2, 28)
    assert types.resolve_date_limit("today-P10D", date(2026, 1, 5)) == date(2025, 12, 26)


def test_email_and_phone():
    assert types.clean_email({}, "Erika@Example.DE") == "Erika@example.de"
    with pytest.raises(Invalid):
        types.clean_email({}, "erika@")
    assert types.clean_phone({}, "+49 (661)  12-34/5") == "+49 (661) 12-34/5"
    for bad in ("1234", "0661 abc", "1" * 21):
        with pytest.raises(Invalid):
            types.clean_phone({}, bad)


def make_iban(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{country}{98 - number % 97:02d}{bban}"


ibans = st.sampled_from(sorted(IBAN_LENGTHS)).flatmap(
    lambda c: st.text("0123456789", min_size=IBAN_LENGTHS[c] - 4,
                      max_size=IBAN_LENGTHS[c] - 4).map(lambda b, c=c: make_iban(c, b)))


@settings(max_examples=300)
@given(ibans, st.data())
def test_valid_ibans_pass_and_single_digit_changes_fail(iban, data):
    spaced = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)).lower()
    assert clean_iban({}, spaced) == iban
    position = data.draw(st.integers(2, len(iban) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != iban[position]]))
    changed = iban[:position] + digit + iban[position + 1:]
    with pytest.raises(Invalid):
        clean_iban({}, changed)


def test_iban_length_per_country():
    with pytest.raises(Invalid, match="22 characters"):
        clean_iban({}, "DE8937040044053201300")


@pytest.mark.django_db
def test_address_with_german_postal_code():
    item = {"type": "address"}
    value = types.clean_address(item, {"street": "Marktstraße", "house_number": "1",
                                       "postal_code": "36037", "place": ""})
    assert value["place"] == "Fulda"
    assert value["country"] == "DE"
    assert types.clean_address(item, {"street": "A", "house_number": "1",
                                      "postal_code": "36037", "place": "fulda"})["place"] == "fulda"
    with pytest.raises(Invalid, match="does not match"):
        types.clean_address(item, {"street": "A", "house_number": "1", "postal_code": "36037",
                                   "place": "Kassel"})
    with pytest.raises(Invalid, match="We do not know the postal code 00000"):
        types.clean_address(item, {"street": "A", "house_number": "1", "postal_code": "00000",
                                   "place": "Nirgendwo"})
    foreign = types.clean_address(item, {"street": "Rue X", "postal_code": "75001",
                                         "place": "Paris", "country": "fr"})
    assert foreign["country"] == "FR"


def test_files():
    item = {"type": "file", "file": {"max_count": 2, "min_count": 1}}
    assert types.clean_file(item, ["upl_a", "upl_a", "upl_b"]) == ["upl_a", "upl_b"]
    with pytest.raises(Invalid):
        types.clean_file(item, ["a", "b", "c"])
    with pytest.raises(Invalid):
        types.clean_file(item, ["../etc/passwd"])


def test_codelists():
    from amtsweg.forms import codelists

    assert {o["value"] for o in codelists.get("geschlecht")} == {"m", "w", "d", "x"}
    staaten = codelists.get("staat")
    assert len(staaten) > 190
    assert staaten[0] == {"value": "000", "label": {"de": "Deutschland", "en": "Germany"}}
    nationality = codelists.labels("staatsangehoerigkeit")
    assert nationality["000"] == {"de": "deutsch", "en": "German"}
    assert set(nationality) >= {o["value"] for o in staaten}
    assert codelists.labels("bundesland")["16"]["de"] == "Thüringen"
    assert len(codelists.get("familienstand")) == 10
    with pytest.raises(KeyError):
        codelists.get("nope")


# --- issue 12: going back, sending a step again, a new repeated entry, Germany by code -----

def test_a_step_sent_again_keeps_its_stored_upload_ids(form):
    """An empty file input arrives as an empty text value (filename=""): the stored list must
    stay. A posted id must never be taken either (it could name another draft's upload)."""
    existing = {"nachweise": ["6f1c2a4e-0000-4000-8000-000000000001"]}
    for query in ("anzahl=1&nachweise=", "anzahl=1&nachweise=someone-elses-upload",
                  "anzahl=1"):
        answers = form.parse_step("zahlung", QueryDict(query), existing)
        assert answers["nachweise"] == existing["nachweise"], query
    assert "nachweise" not in form.parse_step(
        "zahlung", QueryDict("nachweise=a&nachweise=b"), {})


def test_conditional_item_of_an_entry_not_answered_yet_is_hidden(form):
    """The first entry a page shows for `repeat.min` is not in the answers yet; its
    conditional items follow their rules with an empty entry, as in an added entry."""
    shown = form.visibility({"art": "kind"})
    assert shown.is_visible("kinder.0.vorname")
    assert not shown.is_visible("kinder.0.schule")
    assert not shown.is_visible("kinder.2.schule")
    added = form.visibility({"art": "kind", "kinder": [{}]})
    assert not added.is_visible("kinder.0.schule")
    older = form.visibility({"art": "kind", "kinder": [{"alter": "7"}]})
    assert older.is_visible("kinder.0.schule")
    assert not older.is_visible("kinder.1.schule")
    assert not form.visibility({"art": "selbst"}).is_visible("kinder.0.vorname")


@pytest.mark.django_db
def test_germany_by_any_code_is_checked_as_domestic():
    """The Staat list names Germany "000" (Destatis): the address is German all the same."""
    item = {"type": "address"}
    for code in ("000", "DE", "deu", ""):
        with pytest.raises(Invalid, match="do not know the postal code 99999"):
            types.clean_address(item, {"street": "A", "house_number": "1",
                                       "postal_code": "99999", "place": "Nirgendwo",
                                       "country": code})
        value = types.clean_address(item, {"street": "Marktstraße", "house_number": "1",
                                           "postal_code": "36037", "place": "Fulda",
                                           "country": code})
        assert value["country"] == "DE"
    with pytest.raises(Invalid, match="country from the list"):
        types.clean_address(item, {"street": "A", "postal_code": "1", "place": "B",
                                   "country": "XYZ"})
    assert types.clean_address(item, {"street": "Rue X", "postal_code": "75001",
                                      "place": "Paris", "country": "129"})["country"] == "129"


def test_an_address_never_shows_a_country_code():
    from amtsweg.forms.engine import display

    spec = {"type": "address"}
    home = {"street": "Marktstraße", "house_number": "1", "postal_code": "36037",
            "place": "Fulda"}
    assert display(spec, {**home, "country": "000"}) == "Marktstraße 1, 36037 Fulda"
    assert display(spec, {**home, "country": "DE"}) == "Marktstraße 1, 36037 Fulda"
    paris = {"street": "Rue X 1", "postal_code": "75001", "place": "Paris"}
    assert display(spec, {**paris, "country": "129"}, "de") == "Rue X 1, 75001 Paris, Frankreich"
    assert display(spec, {**paris, "country": "FR"}, "en") == "Rue X 1, 75001 Paris, France"
