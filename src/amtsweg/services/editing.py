"""Edits of a form definition for the designer's editor: address steps and items, add, move,
delete, and turn the editor's item form into an item and back.

The functions work on a deep copy of the definition and never save; the views hand the result
to `actions.save_version`, which validates it. An item is addressed by its position, written
as a dotted string: "0" is the first step, "0.2" its third item, "0.2.1" the second item of
that group.
"""

import copy
import json
import re
from typing import Any

from amtsweg.forms.fim import make_key

Addr = tuple[int, ...]
PATH_PART = re.compile(r"\.?(steps|items)\[(\d+)\]")


class EditError(ValueError):
    """An edit that cannot be applied (an address that does not exist)."""


def parse_addr(value: str | None) -> Addr | None:
    if not value or not re.fullmatch(r"\d{1,4}(\.\d{1,4}){0,5}", value):
        return None
    return tuple(int(p) for p in value.split("."))


def addr_str(addr: Addr) -> str:
    return ".".join(str(p) for p in addr)


def schema_path(addr: Addr) -> str:
    """(0, 2, 1) → "steps[0].items[2].items[1]"."""
    return f"steps[{addr[0]}]" + "".join(f".items[{i}]" for i in addr[1:])


def split_path(path: str) -> tuple[Addr, str]:
    """"form.steps[0].items[2].label.de" → ((0, 2), "label.de"): the deepest step or item a
    problem path names and the rest of the path inside it."""
    path = path.removeprefix("form.").removeprefix("form")
    addr: list[int] = []
    pos = 0
    while m := PATH_PART.match(path, pos):
        if (m.group(1) == "steps") != (not addr):
            break
        addr.append(int(m.group(2)))
        pos = m.end()
    return tuple(addr), path[pos:].lstrip(".")


def steps(defn: dict) -> list[dict]:
    return defn.setdefault("steps", [])


def container(defn: dict, addr: Addr) -> list[dict]:
    """The list of items under a step (addr of length 1) or a group (longer addr)."""
    try:
        node = steps(defn)[addr[0]]
        for i in addr[1:]:
            node = node["items"][i]
        if "items" not in node:
            raise EditError(addr_str(addr))
        return node["items"]
    except (IndexError, KeyError, TypeError):
        raise EditError(addr_str(addr)) from None


def get(defn: dict, addr: Addr) -> dict:
    if len(addr) == 1:
        try:
            return steps(defn)[addr[0]]
        except IndexError:
            raise EditError(addr_str(addr)) from None
    items = container(defn, addr[:-1])
    if not 0 <= addr[-1] < len(items):
        raise EditError(addr_str(addr))
    return items[addr[-1]]


def _siblings(defn: dict, addr: Addr) -> list[dict]:
    return steps(defn) if len(addr) == 1 else container(defn, addr[:-1])


def move(defn: dict, addr: Addr, delta: int) -> tuple[dict, Addr]:
    defn = copy.deepcopy(defn)
    siblings = _siblings(defn, addr)
    i, j = addr[-1], addr[-1] + delta
    if not (0 <= i < len(siblings) and 0 <= j < len(siblings)):
        return defn, addr
    siblings[i], siblings[j] = siblings[j], siblings[i]
    return defn, (*addr[:-1], j)


def delete(defn: dict, addr: Addr) -> dict:
    defn = copy.deepcopy(defn)
    siblings = _siblings(defn, addr)
    if not 0 <= addr[-1] < len(siblings):
        raise EditError(addr_str(addr))
    del siblings[addr[-1]]
    return defn


def unique_key(base: str, used: set[str]) -> str:
    key, n = base, 1
    while key in used:
        n += 1
        key = f"{base[:58]}_{n}"
    return key


def _all_step_keys(defn: dict) -> set[str]:
    return {s.get("key", "") for s in steps(defn)}


def add_step(defn: dict, title: dict, key: str = "") -> tuple[dict, Addr]:
    defn = copy.deepcopy(defn)
    key = key or unique_key(make_key(title.get("de") or "schritt"), _all_step_keys(defn))
    steps(defn).append({"key": key, "title": title, "items": []})
    return defn, (len(steps(defn)) - 1,)


def set_step(defn: dict, addr: Addr, title: dict, key: str) -> dict:
    defn = copy.deepcopy(defn)
    step = get(defn, addr)
    step["title"] = title
    step["key"] = key
    return defn


def _root_keys(defn: dict) -> set[str]:
    return {i.get("key", "") for s in steps(defn) for i in s.get("items", [])}


def add_item(defn: dict, parent: Addr, kind: str, label: dict, key: str = "") -> tuple[dict,
                                                                                          Addr]:
    """A new item of `kind` at the end of a step or group, with the least it needs."""
    defn = copy.deepcopy(defn)
    items = container(defn, parent)
    used = _root_keys(defn) if len(parent) == 1 else {i.get("key", "") for i in items}
    key = key or unique_key(make_key(label.get("de") or kind), used)
    item: dict[str, Any] = {"type": kind, "key": key}
    if kind == "info":
        item["text"] = label
    else:
        item["label"] = label
    if kind == "group":
        item["items"] = []
    if kind in ("choice", "multichoice"):
        item["options"] = [{"value": "ja", "label": {"de": "Ja", "en": "Yes"}},
                           {"value": "nein", "label": {"de": "Nein", "en": "No"}}]
    items.append(item)
    return defn, (*parent, len(items) - 1)


def replace(defn: dict, addr: Addr, item: dict) -> dict:
    defn = copy.deepcopy(defn)
    items = container(defn, addr[:-1])
    if not 0 <= addr[-1] < len(items):
        raise EditError(addr_str(addr))
    old = items[addr[-1]]
    if old.get("type") == "group" and "items" not in item:
        item["items"] = old.get("items", [])
    items[addr[-1]] = item
    return defn


# --- the item form <-> item ----------------------------------------------------------------

def parse_options(value: str) -> list[dict]:
    """Lines `value|Label de|Label en` (the English label may be left out)."""
    options = []
    for n, line in enumerate(value.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1] or len(parts) > 3:
            raise ValueError(n)
        label = {"de": parts[1]}
        if len(parts) == 3 and parts[2]:
            label["en"] = parts[2]
        options.append({"value": parts[0], "label": label})
    return options


def format_options(options: list[dict] | None) -> str:
    lines = []
    for o in options or ():
        label = o.get("label") or {}
        line = f"{o.get('value', '')}|{label.get('de', '')}"
        if label.get("en"):
            line += f"|{label['en']}"
        lines.append(line)
    return "\n".join(lines)


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1)


MB = 1024 * 1024


def _num_text(value: Any) -> str:
    return "" if value is None else str(value)


def item_initial(item: dict) -> dict:
    """The editor form's initial values for an item."""
    label, help_, text_ = (item.get(k) or {} for k in ("label", "help", "text"))
    pattern_message = item.get("pattern_message") or {}
    spec = item.get("file") or {}
    repeat = item.get("repeat")
    return {
        "type": item.get("type", ""), "key": item.get("key", ""),
        "label_de": label.get("de", ""), "label_en": label.get("en", ""),
        "help_de": help_.get("de", ""), "help_en": help_.get("en", ""),
        "text_de": text_.get("de", ""), "text_en": text_.get("en", ""),
        "required": bool(item.get("required")),
        "min_length": item.get("min_length"), "max_length": item.get("max_length"),
        "min": _num_text(item.get("min")), "max": _num_text(item.get("max")),
        "decimals": item.get("decimals"),
        "pattern": item.get("pattern", ""),
        "pattern_message_de": pattern_message.get("de", ""),
        "pattern_message_en": pattern_message.get("en", ""),
        "options": format_options(item.get("options")), "codelist": item.get("codelist", ""),
        "widget": item.get("widget", ""),
        "min_items": item.get("min_items"), "max_items": item.get("max_items"),
        "file_types": ", ".join(spec.get("types", [])),
        "file_max_size": round(spec["max_size"] / MB, 2) if spec.get("max_size") else None,
        "file_max_count": spec.get("max_count"), "file_min_count": spec.get("min_count"),
        "repeat": repeat is not None,
        "repeat_min": (repeat or {}).get("min"), "repeat_max": (repeat or {}).get("max"),
        "prefill": item.get("prefill", ""),
        "visible": _json_text(item.get("visible")), "compute": _json_text(item.get("compute")),
        "validations": _json_text(item.get("validations")),
    }


def text_pair(de: str, en: str) -> dict | None:
    if not de:
        return None
    return {"de": de, "en": en} if en else {"de": de}


def build_item(old: dict, d: dict) -> dict:
    """The item from the editor form's cleaned data `d`; properties the form does not show
    (fim_id, fim_version, nested items) are kept from `old`."""
    kind = old.get("type", "text")
    item: dict[str, Any] = {"type": kind, "key": d["key"]}
    for keep in ("fim_id", "fim_version"):
        if keep in old:
            item[keep] = old[keep]
    if kind == "info":
        item["text"] = text_pair(d["text_de"], d["text_en"]) or {"de": d["label_de"] or "—"}
    else:
        item["label"] = text_pair(d["label_de"], d["label_en"]) or {"de": ""}
    if help_ := text_pair(d["help_de"], d["help_en"]):
        item["help"] = help_
    if d.get("visible") is not None:
        item["visible"] = d["visible"]
    if kind in ("info", "group"):
        if kind == "group":
            item["items"] = old.get("items", [])
            if d.get("repeat"):
                item["repeat"] = {k: v for k, v in (("min", d.get("repeat_min")),
                                                    ("max", d.get("repeat_max")))
                                  if v is not None}
        return item
    if d.get("required"):
        item["required"] = True
    for name in ("compute", "validations"):
        if d.get(name) is not None:
            item[name] = d[name]
    if d.get("prefill"):
        item["prefill"] = d["prefill"]
    if kind in ("text", "textarea"):
        for name in ("min_length", "max_length"):
            if d.get(name) is not None:
                item[name] = d[name]
    if kind == "text" and d.get("pattern"):
        item["pattern"] = d["pattern"]
        if message := text_pair(d["pattern_message_de"], d["pattern_message_en"]):
            item["pattern_message"] = message
    if kind in ("integer", "decimal", "currency", "date"):
        for name in ("min", "max"):
            if d.get(name) is not None:
                item[name] = d[name]
    if kind == "decimal" and d.get("decimals") is not None:
        item["decimals"] = d["decimals"]
    if kind in ("choice", "multichoice"):
        if d.get("codelist"):
            item["codelist"] = d["codelist"]
        else:
            item["options"] = d.get("options") or []
        if kind == "choice" and d.get("widget"):
            item["widget"] = d["widget"]
        if kind == "multichoice":
            for name in ("min_items", "max_items"):
                if d.get(name) is not None:
                    item[name] = d[name]
    if kind == "file":
        spec = {}
        if d.get("file_types"):
            spec["types"] = d["file_types"]
        if d.get("file_max_size"):
            spec["max_size"] = int(d["file_max_size"] * MB)
        if d.get("file_max_count") is not None:
            spec["max_count"] = d["file_max_count"]
        if d.get("file_min_count") is not None:
            spec["min_count"] = d["file_min_count"]
        if spec:
            item["file"] = spec
    for keep in ("countries", "country"):
        if keep in old:
            item[keep] = old[keep]
    return item


# Where a problem inside an item is shown in the item form.
FIELD_OF = {"label": "label_de", "help": "help_de", "text": "text_de", "key": "key",
            "options": "options", "codelist": "codelist", "pattern": "pattern",
            "pattern_message": "pattern_message_de", "file": "file_types",
            "repeat": "repeat_max", "items": None}


def field_for(rest: str) -> str | None:
    """The item form field a problem path inside an item belongs to ("label.en" → label_en)."""
    if not rest:
        return None
    head, _, tail = rest.partition(".")
    head = head.split("[")[0]
    if head in ("label", "help", "text", "pattern_message") and tail in ("de", "en"):
        return f"{head}_{tail}"
    if head == "file" and tail:
        return {"types": "file_types", "max_size": "file_max_size",
                "max_count": "file_max_count", "min_count": "file_min_count"}.get(
                    tail.split("[")[0], "file_types")
    if head == "repeat" and tail in ("min", "max"):
        return f"repeat_{tail}"
    if head in FIELD_OF:
        return FIELD_OF[head]
    return head
