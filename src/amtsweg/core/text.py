"""Text normalisation shared by catalogue search and place lookup."""

import re
import unicodedata

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case German text with umlauts spelled out (ä → ae, ß → ss), other accents dropped.

    People type "strasse" for "Straße" and "Fuehrerschein" or "Fuhrerschein" for
    "Führerschein"; folding both sides the same way makes them meet.
    """
    text = text.lower().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Split folded text into word tokens."""
    return [t for t in _NON_WORD.split(fold(text)) if t]
