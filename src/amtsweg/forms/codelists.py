"""The FIM code lists shipped with Amtsweg (`codelists/*.json`).

Forms name a code list instead of copying hundreds of options into every definition; the
lists are read once per process because they only change with a release.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).resolve().parent / "codelists"


@cache
def names() -> frozenset[str]:
    """Names of all shipped code lists."""
    return frozenset(p.stem for p in DIRECTORY.glob("*.json"))


@cache
def load(name: str) -> dict[str, Any]:
    """The whole code list file (name, uri, version, options); KeyError if there is none."""
    if name not in names():
        raise KeyError(name)
    return json.loads((DIRECTORY / f"{name}.json").read_text(encoding="utf-8"))


def get(name: str) -> list[dict[str, Any]]:
    """The options `[{"value", "label": {"de", "en"}}]` of a code list; KeyError if unknown."""
    return load(name)["options"]


@cache
def labels(name: str) -> dict[str, dict[str, str]]:
    """value → label texts, for showing an answer."""
    return {o["value"]: o["label"] for o in get(name)}
