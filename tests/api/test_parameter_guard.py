"""API parameters mean what the OpenAPI document's (ECMA) patterns say (second outside round
of issue 11): Python's `re.match` with `$` also accepts a final newline, and `\\d` any Unicode
digit. This fails when API code checks a parameter that way again."""

import ast
import pathlib

API = pathlib.Path(__file__).resolve().parents[2] / "src" / "amtsweg" / "api"


def test_api_patterns_use_ascii_digits_and_fullmatch():
    offenders = []
    for path in sorted(API.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.startswith("^") and "\\d" in node.value:
                offenders.append(f"{path.name}:{node.lineno}: \\d in {node.value!r}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"match", "search"}
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id.endswith("_RE")):
                offenders.append(f"{path.name}:{node.lineno}: {node.func.value.id}."
                                 f"{node.func.attr}() (use fullmatch)")
    assert not offenders, offenders
