"""Addresses anywhere in Germany (issue 12, blocker 2): a landlord in Bochum, a former address
in Köln or Dresden is accepted; a PLZ in no list (PO box, large customer such as 61343) gets a
warning the person can confirm, never a dead end."""

import pytest
from django.http import QueryDict
from django.utils import translation

from amtsweg.forms import types
from amtsweg.forms.engine import compile_form
from amtsweg.forms.render import render_step
from amtsweg.forms.types import PLZ_CONFIRMED, Invalid, clean_address

pytestmark = pytest.mark.django_db

ITEM = {"type": "address"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def address(plz, place, **extra):
    return {"street": "Hauptstraße", "house_number": "1", "postal_code": plz, "place": place,
            **extra}


@pytest.mark.parametrize(("plz", "place"), [
    ("44803", "Bochum"), ("51147", "Köln"), ("51147", "koeln"), ("51147", "Köln-Porz"),
    ("01067", "Dresden"), ("24103", "Kiel"), ("80331", "München"), ("35315", "Homberg/Ohm"),
    ("35315", "homberg ohm"), ("36037", "Fulda"),
])
def test_german_postal_codes_outside_and_inside_hessen_are_accepted(plz, place):
    value = clean_address(ITEM, address(plz, place))
    assert value["postal_code"] == plz and value["place"] == place
    assert PLZ_CONFIRMED not in value


def test_place_is_filled_in_and_checked_outside_hessen():
    assert clean_address(ITEM, address("44803", ""))["place"] == "Bochum"
    with pytest.raises(Invalid, match=r"does not match the postal code 44803.*Bochum"):
        clean_address(ITEM, address("44803", "Kassel"))


def test_unlisted_postal_code_is_a_warning_that_can_be_confirmed():
    with pytest.raises(Invalid, match=r"We do not know the postal code 61343.*confirm"):
        clean_address(ITEM, address("61343", "Bad Homburg v. d. Höhe"))
    value = clean_address(ITEM, address("61343", "Bad Homburg v. d. Höhe",
                                        **{PLZ_CONFIRMED: "61343"}))
    assert value["postal_code"] == "61343" and value[PLZ_CONFIRMED] == "61343"
    # a confirmation holds for the PLZ confirmed only
    with pytest.raises(Invalid, match="61344"):
        clean_address(ITEM, address("61344", "Bad Homburg", **{PLZ_CONFIRMED: "61343"}))
    # the place cannot be looked up, so it must be typed
    with pytest.raises(Invalid, match="Complete the address"):
        clean_address(ITEM, address("61343", "", **{PLZ_CONFIRMED: "61343"}))
    assert types.plz_unlisted(address("61343", "x"))
    assert not types.plz_unlisted(address("44803", "Bochum"))
    assert not types.plz_unlisted(address("75001", "Paris", country="FR"))


SPEC = {
    "format": "amtsweg.form/1", "title": {"de": "Vermieter"},
    "steps": [{"key": "s", "title": {"de": "Schritt"}, "items": [
        {"type": "address", "key": "vermieter", "label": {"de": "Anschrift"}, "required": True},
    ]}],
}


def test_confirmation_through_the_step_form():
    form = compile_form(SPEC)
    post = QueryDict(mutable=True)
    post.update({"vermieter.street": "Am Markt", "vermieter.house_number": "1",
                 "vermieter.postal_code": "61343", "vermieter.place": "Bad Homburg"})
    answers = form.parse_step("s", post, {})
    _cleaned, errors = form.validate(answers)
    assert "61343" in errors["vermieter"][0]
    html = str(render_step(SPEC, "s", answers, errors, default_action=None))
    box = f'name="vermieter.{PLZ_CONFIRMED}" value="61343"'
    assert box in html and "The postal code 61343 is right." in html

    post[f"vermieter.{PLZ_CONFIRMED}"] = "61343"
    answers = form.parse_step("s", post, answers)
    cleaned, errors = form.validate(answers)
    assert errors == {}
    assert cleaned["vermieter"]["postal_code"] == "61343"
    # coming back to the step shows the box ticked, so sending it again keeps the answer
    html = str(render_step(SPEC, "s", cleaned, {}, default_action=None))
    assert f'{box} checked' in html

    # unticking it brings the warning back; a listed PLZ needs no box
    del post[f"vermieter.{PLZ_CONFIRMED}"]
    _cleaned, errors = form.validate(form.parse_step("s", post, cleaned))
    assert "vermieter" in errors
    post.update({"vermieter.postal_code": "44803", "vermieter.place": "Bochum"})
    cleaned, errors = form.validate(form.parse_step("s", post, cleaned))
    assert errors == {} and PLZ_CONFIRMED not in cleaned["vermieter"]
    assert PLZ_CONFIRMED not in str(render_step(SPEC, "s", cleaned, {}, default_action=None))
