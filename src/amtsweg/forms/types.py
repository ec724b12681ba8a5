"""Parsing and checking of answer values, one function per item type.

Answers keep what the applicant typed; these functions turn raw input into the normalised
value that is submitted ("1.234,50" → "1234.50", "30.11.2026" → "2026-11-30") and say what is
wrong in sentences for the field. A designer's pattern is matched on RE2 (core/patterns.py),
in time linear in the answer, after the answer's length has been checked against the field's
cap (at most 5,000 characters).
"""

import re
import threading
from calendar import monthrange
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from amtsweg.core import patterns
from amtsweg.core.text import tokens

from . import codelists, logic

DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 5000}
ADDRESS_FIELDS = ("street", "house_number", "postal_code", "place", "country")
# The person's confirmation of a German PLZ that is in no list (PO box, large customer): it
# holds the PLZ confirmed, so a changed PLZ is checked again.
PLZ_CONFIRMED = "postal_code_confirmed"

# ISO 13616 lengths of the SEPA countries (and a few more used in Germany's neighbourhood)
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MD": 24, "ME": 22, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "RS": 22, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22, "AL": 28, "BA": 20, "MK": 19,
    "TR": 26, "UA": 29, "XK": 20,
}

_INT_RE = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d{1,18})$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_RE = re.compile(r"^\+?[0-9 /()\-]+$")
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
_UPLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_GERMAN_DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_OFFSET_RE = re.compile(r"^today(?:([+-])P(\d{1,3})([YMD]))?$")
_PLZ_RE = re.compile(r"^\d{5}$")
_TRUE = frozenset({"true", "on", "1", "yes", "ja"})


class Invalid(Exception):
    """A value that cannot be accepted; the message is shown at the field."""


def is_empty(value: Any) -> bool:
    """No answer: nothing typed, nothing chosen (an address with all parts blank too)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    if isinstance(value, dict):
        return all(is_empty(v) for k, v in value.items() if k not in ("country", PLZ_CONFIRMED))
    return False


def label_of(text: Any, lang: str = "de") -> str:
    """A text object in a language, falling back to German."""
    if isinstance(text, dict):
        return text.get(lang) or text.get("de") or ""
    return "" if text is None else str(text)


def _str(raw: Any) -> str:
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw).strip()


# --- numbers -------------------------------------------------------------------------------

def parse_decimal(raw: Any, decimals: int = 2) -> Decimal | None:
    """A number typed the German ("1.234,50") or the English way ("1234.50"), or None.

    A single dot followed by exactly three digits is a thousands separator when the field
    allows fewer than three decimal places (German "1.234" means one thousand two hundred …).
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float, Decimal)):
        text = str(raw)
    else:
        text = _str(raw).replace(" ", "").replace("\u00a0", "").replace("€", "")
    if not text or len(text) > 40:
        return None
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(".") > 1 or (text.count(".") == 1 and decimals < 3
                                 and re.fullmatch(r"[+-]?\d{1,3}\.\d{3}", text)):
        if not re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", text):
            return None
        text = text.replace(".", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _limits(item: dict, value: Any, show: Callable[[Any], str]) -> None:
    low, high = item.get("min"), item.get("max")
    if low is not None and value < low:
        raise Invalid(_("The value must be at least %(min)s.") % {"min": show(low)})
    if high is not None and value > high:
        raise Invalid(_("The value must be at most %(max)s.") % {"max": show(high)})


def _number_text(value: Any) -> str:
    return formats.number_format(value, use_l10n=True)


def clean_integer(item: dict, raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = _str(raw).replace(" ", "")
        if not _INT_RE.match(text):
            raise Invalid(_("Enter a whole number."))
        value = int(text.replace(".", ""))
    _limits(item, value, _number_text)
    return value


def clean_decimal(item: dict, raw: Any) -> str:
    decimals = item.get("decimals", 2)
    value = parse_decimal(raw, decimals)
    if value is None:
        raise Invalid(_("Enter a number."))
    if _decimal_places(value) > decimals:
        if decimals == 0:
            raise Invalid(_("Enter a whole number."))
        raise Invalid(_("Enter at most %(n)d decimal places.") % {"n": decimals})
    _limits(item, value, _number_text)
    return _plain(value)


def clean_currency(item: dict, raw: Any) -> str:
    value = parse_decimal(raw, 2)
    if value is None:
        raise Invalid(_("Enter an amount in euros, for example 1.234,50."))
    if _decimal_places(value) > 2:
        raise Invalid(_("Enter an amount with at most two decimal places (cents)."))
    value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    _limits(item, value, lambda v: formats.number_format(Decimal(str(v)), 2, use_l10n=True))
    return str(value)


# --- dates ---------------------------------------------------------------------------------

def parse_date(raw: Any) -> date | None:
    """An ISO date ("2026-11-30") or a German one ("30.11.2026"), otherwise None."""
    text = _str(raw)
    match = _GERMAN_DATE_RE.match(text)
    try:
        if match:
            day, month, year = map(int, match.groups())
            return date(year, month, day)
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        return None
    return None


def add_months(day: date, months: int) -> date:
    """The same day n months later, clamped to the month's end (31 Jan + 1 M = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    if not 1 <= year <= 9999:
        raise ValueError("year out of range")
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def resolve_date_limit(limit: str, today: date | None = None) -> date | None:
    """A date bound of a definition: an ISO date, "today" or "today-P18Y" style offsets."""
    match = _OFFSET_RE.match(limit)
    if not match:
        try:
            return date.fromisoformat(limit)
        except ValueError:
            return None
    base = today or logic.today()
    sign, amount, unit = match.groups()
    if not sign:
        return base
    n = int(amount) * (-1 if sign == "-" else 1)
    try:
        if unit == "D":
            return base + timedelta(days=n)
        return add_months(base, n * 12 if unit == "Y" else n)
    except (ValueError, OverflowError):
        return None


def _show_date(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def clean_date(item: dict, raw: Any) -> str:
    value = parse_date(raw)
    if value is None:
        raise Invalid(_("Enter a date such as 30.11.2026."))
    low = resolve_date_limit(item["min"]) if item.get("min") else None
    high = resolve_date_limit(item["max"]) if item.get("max") else None
    if low and value < low:
        raise Invalid(_("The date must not be before %(date)s.") % {"date": _show_date(low)})
    if high and value > high:
        raise Invalid(_("The date must not be after %(date)s.") % {"date": _show_date(high)})
    return value.isoformat()


# --- texts ---------------------------------------------------------------------------------

def clean_text(item: dict, raw: Any) -> str:
    value = _str(raw)
    if item["type"] == "text":
        value = " ".join(value.split())
    high = item.get("max_length", DEFAULT_MAX_LENGTH[item["type"]])
    if len(value) > high:
        raise Invalid(_("Enter at most %(n)d characters (you entered %(count)d).")
                      % {"n": high, "count": len(value)})
    low = item.get("min_length")
    if low and len(value) < low:
        raise Invalid(_("Enter at least %(n)d characters.") % {"n": low})
    matches = patterns.stored(item["pattern"]) if item.get("pattern") else None
    if matches is not None and not matches(value):
        message = item.get("pattern_message")
        raise Invalid(label_of(message, _lang()) if message else
                      _("The entry does not have the required form."))
    return value


def _lang() -> str:
    from django.utils.translation import get_language

    return (get_language() or "de")[:2]


def clean_email(item: dict, raw: Any) -> str:
    value = _str(raw)
    if len(value) > 254 or not _EMAIL_RE.match(value):
        raise Invalid(_("Enter a valid e-mail address."))
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def clean_phone(item: dict, raw: Any) -> str:
    value = " ".join(_str(raw).split())
    digits = sum(c.isdigit() for c in value)
    if not _PHONE_RE.match(value) or not 5 <= digits <= 20:
        raise Invalid(_("Enter a valid telephone number (digits, spaces, +, /, - and "
                        "parentheses)."))
    return value


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616: the number formed by the rearranged IBAN is 1 modulo 97."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def clean_iban(item: dict, raw: Any) -> str:
    value = re.sub(r"[\s-]+", "", _str(raw)).upper()
    if not _IBAN_RE.match(value):
        raise Invalid(_("Enter a valid IBAN."))
    country = value[:2]
    expected = IBAN_LENGTHS.get(country)
    if (expected and len(value) != expected) or not 15 <= len(value) <= 34:
        raise Invalid(_("An IBAN from this country has %(n)d characters.")
                      % {"n": expected} if expected else _("Enter a valid IBAN."))
    if not iban_checksum_ok(value):
        raise Invalid(_("Enter a valid IBAN. Please check it for typing errors."))
    allowed = item.get("countries")
    if allowed and country not in allowed:
        raise Invalid(_("Only IBANs from these countries are accepted: %(list)s.")
                      % {"list": ", ".join(allowed)})
    return value


# --- choices -------------------------------------------------------------------------------

def options_of(item: dict) -> list[dict]:
    """The options of a choice: inline or from the named code list."""
    if "codelist" in item:
        return codelists.get(item["codelist"])
    return item.get("options", [])


def _option_values(item: dict) -> frozenset[str]:
    if "codelist" in item:
        return frozenset(codelists.labels(item["codelist"]))
    return frozenset(o["value"] for o in item.get("options", []))


def clean_choice(item: dict, raw: Any) -> str:
    value = _str(raw)
    if value not in _option_values(item):
        raise Invalid(_("Choose one of the offered options."))
    return value


def clean_multichoice(item: dict, raw: Any) -> list[str]:
    values = raw if isinstance(raw, (list, tuple)) else [raw]
    allowed = _option_values(item)
    chosen = list(dict.fromkeys(_str(v) for v in values if not is_empty(v)))
    if any(v not in allowed for v in chosen):
        raise Invalid(_("Choose only among the offered options."))
    low, high = item.get("min_items"), item.get("max_items")
    if low and len(chosen) < low:
        raise Invalid(_("Choose at least %(n)d options.") % {"n": low})
    if high is not None and len(chosen) > high:
        raise Invalid(_("Choose at most %(n)d options.") % {"n": high})
    return chosen


def clean_boolean(item: dict, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    return _str(raw).lower() in _TRUE


# --- address and files ---------------------------------------------------------------------

_places_lock = threading.Lock()
_places_cache: dict[str, tuple[str, ...]] = {}


def places_for_plz(plz: str) -> tuple[str, ...]:
    """Place names known for a German PLZ anywhere in Germany: in Hessen its Gemeinden and
    Ortsteile first; empty if the PLZ is in no list (PO box, large customer, typo).

    Cached per process: the territory changes rarely, and `forget_places` runs on change.
    """
    names = _places_cache.get(plz)
    if names is None:
        from amtsweg.territory import lookup

        lookup.territory_changed.connect(forget_places, dispatch_uid="forms-places")

        found: list[str] = []
        for place in lookup.find_places(plz):
            for name in (*place.places, place.area.display_name):
                if name not in found:
                    found.append(name)
        for place in lookup.german_places(plz):
            if place.place not in found:
                found.append(place.place)
        names = tuple(found)
        with _places_lock:
            _places_cache[plz] = names
    return names


def forget_places(**kwargs: Any) -> None:
    """Drop the PLZ cache (connected to `territory_changed`)."""
    with _places_lock:
        _places_cache.clear()


# Codes for Germany in the lists an address's country may come from: ISO 3166 alpha-2,
# alpha-3 and numeric, the Destatis Staatsangehörigkeits-/Gebietsschlüssel ("000", the code of
# "Deutschland" in the `staat` code list the country select offers) and the car sign "D".
DOMESTIC_COUNTRIES = frozenset({"DE", "DEU", "276", "000", "D"})


def is_domestic(country: Any) -> bool:
    """Whether an address's country is Germany, whatever list its code comes from (no
    country at all means Germany too)."""
    return not _str(country).strip() or _str(country).strip().upper() in DOMESTIC_COUNTRIES


def country_name(country: Any, lang: str = "de") -> str:
    """The name of a country code of an address ("" for Germany, whose addresses show no
    country): a Destatis code of the `staat` code list or an ISO 3166 alpha-2 code.
    An unknown value is returned as it is."""
    code = _str(country).strip().upper()
    if is_domestic(code):
        return ""
    label = codelists.labels("staat").get(code)
    if label is not None:
        return label_of(label, lang)
    if re.fullmatch(r"[A-Z]{2}", code):
        from babel import Locale

        try:
            name = Locale.parse(lang or "de").territories.get(code)
        except (ValueError, TypeError, LookupError):
            name = None
        if name:
            return name
    return _str(country).strip()


def _known_country(code: str) -> bool:
    if code in codelists.labels("staat"):
        return True
    if re.fullmatch(r"[A-Z]{2}", code):
        from babel import Locale

        return code in Locale.parse("de").territories
    return False



def place_matches(place: str, known: tuple[str, ...]) -> bool:
    """Whether a typed place names one of the known places of its PLZ.

    Case, umlauts (ue/ü), punctuation and brackets do not count ("Homberg/Ohm" is
    "Homberg (Ohm)"), and a district may follow the place ("Köln-Porz", "Frankfurt am Main
    Höchst").
    """
    typed = tokens(place)
    for name in known:
        words = tokens(name)
        if words and typed[:len(words)] == words:
            return True
    return False


def plz_unlisted(value: Any) -> bool:
    """A German address whose well-formed PLZ is in no list: the person may confirm it."""
    if not isinstance(value, dict):
        return False
    plz = _str(value.get("postal_code"))
    return (is_domestic(value.get("country")) and bool(_PLZ_RE.match(plz))
            and not places_for_plz(plz))


def clean_address(item: dict, raw: Any) -> dict[str, str]:
    raw = raw if isinstance(raw, dict) else {}
    value = {k: " ".join(_str(raw.get(k)).split()) for k in ADDRESS_FIELDS}
    value["country"] = (value["country"] or item.get("country") or "DE").upper()
    if is_domestic(value["country"]):
        value["country"] = "DE"  # one code for Germany, whichever list the answer came from
    elif not _known_country(value["country"]):
        raise Invalid(_("Choose the country from the list."))
    missing = [k for k in ("street", "postal_code", "place") if not value[k]]
    german = value["country"] == "DE"
    if german and not value["house_number"]:
        missing.insert(1, "house_number")
    places = places_for_plz(value["postal_code"]) if (
        german and _PLZ_RE.match(value["postal_code"])) else ()
    if places and not value["place"]:
        missing.remove("place")
    if missing:
        raise Invalid(_("Complete the address (street, house number, postal code and place)."))
    if any(len(v) > 200 for v in value.values()):
        raise Invalid(_("An address line may have at most 200 characters."))
    if not german:
        return value
    if not _PLZ_RE.match(value["postal_code"]):
        raise Invalid(_("A German postal code has five digits."))
    if not places:
        # PO boxes and large customers (61343) have PLZ of their own that no list of places
        # holds: the person checks it and confirms, and is never stopped for good
        if _str(raw.get(PLZ_CONFIRMED)) != value["postal_code"]:
            raise Invalid(_("We do not know the postal code %(plz)s. If it is right (for "
                            "example the postal code of a PO box or of a large customer), "
                            "confirm it below.") % {"plz": value["postal_code"]})
        value[PLZ_CONFIRMED] = value["postal_code"]
        return value
    if not value["place"]:
        value["place"] = places[0]
    elif not place_matches(value["place"], places):
        raise Invalid(_("The place does not match the postal code %(plz)s (for example: "
                        "%(places)s).") % {"plz": value["postal_code"],
                                            "places": ", ".join(places[:3])})
    return value


def clean_file(item: dict, raw: Any) -> list[str]:
    values = raw if isinstance(raw, (list, tuple)) else [raw]
    ids = list(dict.fromkeys(_str(v) for v in values if not is_empty(v)))
    if any(not _UPLOAD_RE.match(v) for v in ids):
        raise Invalid(_("An uploaded file is not known."))
    spec = item.get("file") or {}
    low, high = spec.get("min_count"), spec.get("max_count")
    if low and len(ids) < low:
        raise Invalid(_("Upload at least %(n)d files.") % {"n": low})
    if high is not None and len(ids) > high:
        raise Invalid(_("Upload at most %(n)d files.") % {"n": high})
    return ids


CLEANERS: dict[str, Callable[[dict, Any], Any]] = {
    "text": clean_text, "textarea": clean_text, "integer": clean_integer,
    "decimal": clean_decimal, "currency": clean_currency, "date": clean_date,
    "boolean": clean_boolean, "choice": clean_choice, "multichoice": clean_multichoice,
    "email": clean_email, "phone": clean_phone, "iban": clean_iban, "address": clean_address,
    "file": clean_file,
}


def clean(item: dict, raw: Any) -> tuple[Any, str | None]:
    """(normalised value, None) or (raw value, error message) for a non-empty answer."""
    try:
        return CLEANERS[item["type"]](item, raw), None
    except Invalid as exc:
        return raw, str(exc)


def required_message(item: dict, lang: str = "de") -> str:
    """The message for a required field left empty, naming the field."""
    label = label_of(item.get("label"), lang)
    if item["type"] == "boolean":
        return _("Please confirm “%(label)s”.") % {"label": label}
    if item["type"] in ("choice", "multichoice"):
        return _("Please choose “%(label)s”.") % {"label": label}
    if item["type"] == "file":
        return _("Please upload “%(label)s”.") % {"label": label}
    return _("Please fill in “%(label)s”.") % {"label": label}
