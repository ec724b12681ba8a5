"""Issue 11, finding 10: JSON from outside is parsed only by core.safejson.loads, which turns
deep nesting, oversized input and non-JSON constants into one JsonError with a sentence."""

import ast
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from amtsweg.core import safejson

SRC = Path(safejson.__file__).resolve().parents[1]
NESTED = "[" * 100000 + "]" * 100000


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_deep_nesting_is_refused_with_a_sentence():
    with pytest.raises(safejson.JsonError, match="nested too deeply"):
        safejson.loads(NESTED)
    with pytest.raises(safejson.JsonError, match="nested too deeply"):
        safejson.loads(b'{"a": ' * 65 + b"1" + b"}" * 65)
    assert safejson.loads(b'{"a": ' * 63 + b"1" + b"}" * 63)["a"]["a"]


def test_size_constants_and_syntax():
    with override_settings(JSON_MAX_BYTES=10), pytest.raises(safejson.JsonError,
                                                             match="too large"):
        safejson.loads(b'["12345678901"]')
    for text in ("NaN", "[Infinity]", '{"a": -Infinity}'):
        with pytest.raises(safejson.JsonError, match="NaN or Infinity"):
            safejson.loads(text)
    with pytest.raises(safejson.JsonError, match="line 1, column 2"):
        safejson.loads("[")
    with pytest.raises(safejson.JsonError, match="UTF-8"):
        safejson.loads(b'["\xff"]')
    assert safejson.loads('{"ä": [1, 2.5, null, true]}') == {"ä": [1, 2.5, None, True]}


def test_depth():
    assert [safejson.depth(v) for v in (1, [], {"a": [1]}, [[[]], 2])] == [0, 1, 2, 3]


# Modules that call json.load(s) on data that never comes from a request, and why.
TRUSTED_JSON = {
    "settings.py": "environment variables of the operator",
    "core/safejson.py": "the limited loader itself",
    "core/signing.py": "the key file in var/ and payloads we signed",
    "core/tenantcrypto.py": "values we sealed ourselves",
    "audit/actions.py": "a canonical copy of data the code passes in",
    "forms/codelists.py": "shipped code lists",
    "forms/engine.py": "definitions already checked and saved",
    "forms/logic.py": "its own cache key (json.dumps of a checked rule)",
    "services/demo.py": "shipped seed files",
    "services/management/commands/services.py": "a file the operator names on the command line",
    "ikz/demo.py": "shipped seed files",
    "funding/demo.py": "shipped seed files",
    "audit/heads.py": "the operator's heads file, written by audit_verify and MAC-checked",
}


def _json_load_calls(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr in ("loads", "load")
                    and isinstance(f.value, ast.Name) and f.value.id in ("json", "orjson",
                                                                          "ujson", "simplejson")):
                lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module in ("json", "orjson", "ujson"):
            if any(a.name in ("loads", "load") for a in node.names):
                lines.append(node.lineno)
    return lines


def test_request_json_is_parsed_only_by_the_limited_loader():
    """A module that parses JSON must use safejson.loads, or be listed in TRUSTED_JSON with
    the reason its input cannot come from a request."""
    found = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if "/migrations/" in rel:
            continue
        if lines := _json_load_calls(ast.parse(path.read_text(encoding="utf-8"))):
            found[rel] = lines
    unexpected = {rel: lines for rel, lines in found.items() if rel not in TRUSTED_JSON}
    assert not unexpected, f"json.loads outside core.safejson: {unexpected}"
    assert set(TRUSTED_JSON) - set(found) == set(), "stale entries in TRUSTED_JSON"


def test_every_ninja_api_is_made_by_the_factory():
    """api.views.make_api gives an API the limited body parser and problem+json errors."""
    from amtsweg.api.views import SafeJsonParser, api, routing_api

    trees = {path.relative_to(SRC).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
             for path in SRC.rglob("*.py")}
    api_classes = {"NinjaAPI"} | {
        node.name for tree in trees.values() for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "NinjaAPI" for b in node.bases)}
    makers = []
    for rel, tree in trees.items():
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for call in ast.walk(tree):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                    and call.func.id in api_classes):
                inside = [f.name for f in functions
                          if f.lineno <= call.lineno <= (f.end_lineno or f.lineno)]
                makers.append(f"{rel}:{inside[-1] if inside else '<module>'}")
    assert makers == ["api/views.py:make_api"], makers
    assert all(isinstance(a.parser, SafeJsonParser) for a in (api, routing_api))



@pytest.mark.parametrize("text", ["1" * 5000, '{"a": [-' + "9" * 4400 + "]}", "[1e999]",
                                  "1" * 400 + ".5"])
def test_a_number_too_large_is_a_sentence(text):
    """Python refuses integers over 4,300 digits with a ValueError about its conversion limit
    (reported as "NaN or Infinity" before) and turns 1e999 into infinity."""
    with translation.override("en"), pytest.raises(safejson.JsonError) as refused:
        safejson.loads(text)
    assert "number that is too large" in str(refused.value)
    with translation.override("de"):
        with pytest.raises(safejson.JsonError) as german:
            safejson.loads(text)
    assert "zu große Zahl" in str(german.value)
    assert safejson.loads("[" + "1" * 4300 + ", 1e308]")[1] == 1e308
