"""Password rules beyond Django's (issue 11, finding 11). Every place that sets a password
passes the (possibly unsaved) user, so the similarity rule sees the e-mail and the names;
tests/accounts/test_password_rules.py finds calls that leave the user out."""

import gzip
import string
import unicodedata
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MaximumLengthValidator:
    """Long passphrases are welcome, but not megabytes for the hasher to chew on."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("The password may have at most %(max)d characters.") % {"max": self.max_length},
                code="password_too_long")

    def get_help_text(self) -> str:
        return _("At most %(max)d characters.") % {"max": self.max_length}


# Keyboard rows (German QWERTZ, QWERTY, AZERTY), the alphabet and the digits (cyclic, so that
# 9 → 0 → 1 continues a sequence): neighbours in either direction are predictable.
SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "1234567890ß", "qwertzuiopü",
             "asdfghjklöä", "yxcvbnm", "qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop",
             "qsdfghjklm", "wxcvbn")
_NEIGHBOURS = {(s[i], s[i + 1]) for s in SEQUENCES for i in range(len(s) - 1)}
_NEIGHBOURS |= {(b, a) for a, b in _NEIGHBOURS}
MIN_SURPRISES = 8


def surprises(password: str) -> int:
    """How many characters of the password cannot be guessed from the one before: a
    character that repeats its predecessor or is its neighbour in a sequence or keyboard row
    counts only when it stands alone (runs of three or more are predictable as a whole)."""
    text = password.lower()
    steps = [(a == b or (a, b) in _NEIGHBOURS) for a, b in pairwise(text)]
    in_run = [step and ((i > 0 and steps[i - 1]) or (i + 1 < len(steps) and steps[i + 1]))
              for i, step in enumerate(steps)]
    return (1 if text else 0) + sum(not r for r in in_run)


def _periodic(text: str) -> bool:
    """Made of one shorter piece repeated: abcabcabcabc, passwortpasswort."""
    n = len(text)
    return any(n % k == 0 and text == text[:k] * (n // k) for k in range(1, n // 2 + 1))


class PredictablePasswordValidator:
    """Refuses repetitions (aaaaaaaaaaaa), sequences (123456789012, abcdefghijkl) and keyboard
    rows (qwertzuiopü): long enough for the length rule, guessed at once by any cracker."""

    def validate(self, password: str, user=None) -> None:
        if _periodic(password.lower()) or surprises(password) < MIN_SURPRISES:
            raise ValidationError(
                _("This password consists largely of repetitions or sequences (such as aaaa, "
                  "1234 or qwertz). Choose one that is harder to guess."),
                code="password_predictable")

    def get_help_text(self) -> str:
        return _("No repetitions or sequences such as aaaa, 1234 or qwertz.")


BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"


@lru_cache(maxsize=1)
def breached_passwords() -> frozenset[str]:
    """The shipped list of leaked passwords (docs/data-sources.md) and Django's list of
    common passwords, lower-cased; about 65,000 entries, loaded once per process."""
    with gzip.open(BREACHED_LIST, "rt", encoding="utf-8") as fh:
        entries = {line.strip() for line in fh if line.strip()}
    return frozenset(entries | {p.lower() for p in CommonPasswordValidator().passwords})


def _bases(password: str) -> set[str]:
    """The password and the word inside it when only a predictable or short affix (a year and
    a !, 1234) surrounds it: `Sommerzeit2024!` is tried as `sommerzeit` too."""
    text = unicodedata.normalize("NFKC", password).strip().lower()
    found = {text}
    core = text.strip(string.digits + string.punctuation + string.whitespace)
    if len(core) >= 4 and core != text:
        start = text.index(core)
        affixes = (text[:start], text[start + len(core):])
        if all(len(a) <= 6 or surprises(a) <= 2 for a in affixes):
            found.add(core)
    return found


class BreachedPasswordValidator:
    """Refuses passwords that appear in lists of leaked passwords (offline, no lookup)."""

    def validate(self, password: str, user=None) -> None:
        if _bases(password) & breached_passwords():
            raise ValidationError(
                _("This password appears in lists of leaked passwords, so it is among the "
                  "first that attackers try. Please choose another one."),
                code="password_breached")

    def get_help_text(self) -> str:
        return _("No password that appears in lists of leaked passwords.")


# Words of the platform and its setting that a person is tempted to build a password from
# (outside tester, N7: `Amtsweg-Demo-2026`).
PLATFORM_WORDS = frozenset({
    "amtsweg", "servicekonto", "serviceportal", "service", "konto", "portal", "hessen",
    "hesse", "demo", "passwort", "password", "kennwort", "login", "anmeldung", "admin",
    "buergerbuero", "bürgerbüro", "verwaltung", "behoerde", "behörde", "gemeinde", "stadt",
    "test", "geheim", "secret", "user", "nutzer", "benutzer",
})
FILLER = set(string.digits + string.punctuation + string.whitespace + "§°€´`²³")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "s"})
MIN_OWN_LETTERS = 4


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Words of at least five letters from the names of Hessen's Gemeinden and Kreise
    (`Wiesbaden2026!!`, `Kassel-Hessen-2026`: the second outside round)."""
    import csv

    data = Path(__file__).resolve().parent.parent / "territory" / "data"
    words: set[str] = set()
    for name in ("gemeinden_hessen.csv", "kreise_hessen.csv"):
        with (data / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                folded = _fold(row["name"]).split(",")[0]  # "Darmstadt, Wissenschaftsstadt"
                pieces = "".join(c if c.isalpha() else " " for c in folded).split()
                for piece in [*pieces, "".join(pieces)]:  # "frankfurtammain" too
                    if len(piece) >= 5:
                        words |= {piece, piece.translate(_UMLAUTS), piece.translate(_PLAIN)}
    return frozenset(words)


# Digits and signs people put in place of letters ("B3ck3r", "P@sswort").
_LEET = (str.maketrans({"3": "e", "0": "o", "1": "i", "4": "a", "5": "s", "7": "t",
                        "@": "a", "$": "s", "!": "i", "|": "l"}),
         str.maketrans({"3": "e", "0": "o", "1": "l", "4": "a", "5": "s", "7": "t",
                        "@": "a", "$": "s", "!": "l", "|": "i"}))


def variants(password: str) -> list[str]:
    """The password, read backwards, and with digits read as the letters they stand for."""
    text = _fold(password)
    found = [text, text[::-1], "".join(c for c in text if c not in FILLER)]
    found += [text.translate(table) for table in _LEET]
    return found


def personal_words(user) -> set[str]:
    """The name parts and the e-mail local part (and its pieces) of the account, with the
    usual spellings of umlauts, and the platform's words."""
    parts: list[str] = []
    for attr in ("first_name", "last_name"):
        parts.append(getattr(user, attr, "") or "")
    email = getattr(user, "email", "") or ""
    local, _at, domain = email.partition("@")
    parts.append(local)
    parts.append(domain.split(".")[0] if domain.count(".") >= 1 else "")
    words = set(PLATFORM_WORDS)
    for part in parts:
        part = _fold(part)
        pieces = [p for p in "".join(c if c.isalnum() else " " for c in part).split() if p]
        for piece in [*pieces, "".join(pieces)]:
            words |= {piece, piece.translate(_UMLAUTS), piece.translate(_PLAIN)}
    return {w for w in words if len(w) >= 2}


def own_part(password: str, words: set[str]) -> str:
    """What is left of the password once the given words and filler (digits, years,
    punctuation, spaces) are taken out."""
    text = _fold(password)
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, " ")
    return "".join(c for c in text if c not in FILLER)


class PersonalWordsPasswordValidator:
    """Refuses passwords made of the person's name, the e-mail local part or the platform's
    words plus only digits, years and punctuation (`LenaBecker2026`, `Becker-Lena-1990`,
    `Amtsweg-Demo-2026`): whoever knows the person, or the site, guesses them first."""

    def validate(self, password: str, user=None) -> None:
        words = personal_words(user) if user is not None else set(PLATFORM_WORDS)
        words |= place_words()
        if any(len(own_part(v, words)) < MIN_OWN_LETTERS for v in variants(password)):
            raise ValidationError(
                _("This password is made of your name, your e-mail address, the name of "
                  "this service or of a place in Hessen, with only digits or punctuation "
                  "added. Choose one that people who know you cannot guess."),
                code="password_personal")

    def get_help_text(self) -> str:
        return _("Not just your name, your e-mail address, the name of this service or of a "
                 "place with digits added.")
