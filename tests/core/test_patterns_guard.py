"""Guards for the class "user input matched by backtracking regexes" (issue 11, finding 1).

1. No code outside amtsweg.core.patterns compiles a pattern that is not written in the code:
   `re.compile(variable)`, `re.fullmatch(item["pattern"], …)`, fnmatch (which builds regexes
   from its argument), RegexField/RegexValidator/Field(pattern=…) with a computed pattern,
   ORM `__regex` lookups, or RE2 itself. A pattern from a person goes through
   amtsweg.core.patterns, which runs it on RE2.
2. Every regex written in the code (`re.*` calls, compiled constants, validators, JSON Schema
   `pattern` keywords) is free of the shapes that make Python's re backtrack.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import amtsweg
from amtsweg.core import patterns

from .backtracking import backtracking_risk

SRC = Path(amtsweg.__file__).parent
CENTRAL = SRC / "core" / "patterns.py"
RE_FUNCTIONS = {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall",
                "finditer"}
FORBIDDEN_MODULES = {"re2", "regex", "fnmatch"}  # RE2 only in core/patterns.py


@dataclass(frozen=True)
class Use:
    where: str
    what: str
    pattern: str | None  # the literal, or None when it is computed


def _module_name(path: Path, root: Path) -> str:
    name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _source(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")[:len(module.split(".")) - node.level + is_package]
    return ".".join(base + ([node.module] if node.module else []))


class _Package:
    """The parsed modules of amtsweg and the string constants they define or import, so that
    `re.compile(KEY_PATTERN)` and `schema.KEY_PATTERN` count as literals."""

    def __init__(self, root: Path) -> None:
        self.paths = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
        self.trees = {m: ast.parse(p.read_text(), str(p)) for m, p in self.paths.items()}
        self._constants: dict[str, dict[str, str]] = {}
        self.modules: dict[str, dict[str, str]] = {}  # local name -> module, per module
        for module, tree in self.trees.items():
            names = self.modules[module] = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        names[alias.asname or alias.name] = alias.name
                elif isinstance(node, ast.ImportFrom):
                    source = self.source(module, node)
                    for alias in node.names:
                        if f"{source}.{alias.name}" in self.trees:
                            names[alias.asname or alias.name] = f"{source}.{alias.name}"

    def source(self, module: str, node: ast.ImportFrom) -> str:
        return _source(module, node, self.paths[module].name == "__init__.py")

    def constants(self, module: str) -> dict[str, str]:
        if module not in self._constants:
            found = self._constants[module] = {}
            for node in self.trees[module].body if module in self.trees else []:
                if isinstance(node, ast.ImportFrom):
                    source = self.source(module, node)
                    for alias in node.names:
                        value = self.constants(source).get(alias.name)
                        if value is not None:
                            found[alias.asname or alias.name] = value
                elif (isinstance(node, ast.Assign) and len(node.targets) == 1
                      and isinstance(node.targets[0], ast.Name)):
                    value = self.literal(node.value, module)
                    if value is not None:
                        found[node.targets[0].id] = value
        return self._constants[module]

    def literal(self, node: ast.AST | None, module: str) -> str | None:
        """The string an expression always has, or None when it depends on data."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            value = node.value
            return value.decode("latin-1") if isinstance(value, bytes) else value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.literal(node.left, module), self.literal(node.right, module)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.JoinedStr):
            parts = [self.literal(v.value if isinstance(v, ast.FormattedValue) else v, module)
                     for v in node.values]
            return None if None in parts else "".join(parts)
        if isinstance(node, ast.Name):
            return self._constants.get(module, {}).get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = self.modules[module].get(node.value.id)
            return self.constants(target).get(node.attr) if target else None
        return None


def _regex_argument(call: ast.Call, re_names: set[str], re_funcs: set[str]) -> ast.AST | None:
    """The pattern argument of a call that compiles a regex, if it is one."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")

    def argument(keyword: str, positional: bool = True) -> ast.AST | None:
        if positional and call.args:
            return call.args[0]
        return next((k.value for k in call.keywords if k.arg == keyword), None)

    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id in re_names and name in RE_FUNCTIONS) or (
            isinstance(func, ast.Name) and name in re_funcs):
        return argument("pattern")
    if name in ("RegexField", "RegexValidator"):
        return argument("regex")
    if name == "Field":  # pydantic / django-ninja
        return argument("pattern", positional=False)
    return None


def _uses(root: Path | None = None) -> list[Use]:
    package = _Package(root or SRC)
    found: list[Use] = []
    for module, tree in package.trees.items():
        path = package.paths[module]
        where = f"{module.replace('.', '/')}.py"
        central = path == CENTRAL
        package.constants(module)
        re_names: set[str] = set()  # names of the re module here
        re_funcs: set[str] = set()  # functions imported from re
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "re":
                        re_names.add(alias.asname or "re")
                    if alias.name.split(".")[0] in FORBIDDEN_MODULES and not central:
                        found.append(Use(f"{where}:{node.lineno}", f"import {alias.name}", None))
            elif isinstance(node, ast.ImportFrom):
                source = package.source(module, node)
                if source.split(".")[0] in FORBIDDEN_MODULES and not central:
                    found.append(Use(f"{where}:{node.lineno}", f"from {source} import", None))
                if source == "re":
                    re_funcs |= {a.asname or a.name for a in node.names
                                 if a.name in RE_FUNCTIONS}
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):  # JSON Schema {"pattern": "..."}
                for key, value in zip(node.keys, node.values, strict=True):
                    literal = package.literal(value, module)
                    if isinstance(key, ast.Constant) and key.value == "pattern" and literal:
                        found.append(Use(f"{where}:{node.lineno}", "JSON Schema pattern",
                                         literal))
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg and keyword.arg.endswith(("__regex", "__iregex")):
                    found.append(Use(f"{where}:{node.lineno}", f"ORM {keyword.arg}",
                                     package.literal(keyword.value, module)))
            argument = _regex_argument(node, re_names, re_funcs)
            if argument is not None and not central:
                found.append(Use(f"{where}:{node.lineno}", ast.unparse(node.func) + "()",
                                 package.literal(argument, module)))
    return found


USES = _uses()


def test_no_pattern_is_compiled_from_data_outside_core_patterns():
    computed = [f"{u.where}: {u.what}" for u in USES if u.pattern is None]
    assert computed == [], (
        "Patterns that come from data must go through amtsweg.core.patterns (RE2); "
        "write regexes of our own as literals:\n" + "\n".join(computed))


def test_the_scan_sees_the_regexes_of_the_code():
    """The scanner finds what it guards (so an empty list above means something)."""
    literals = {u.pattern for u in USES if u.pattern is not None}
    assert r"^99[0-9]{12}$" in literals  # api/views.py, re.compile
    assert r"^[a-z][a-z0-9_]{0,62}$" in literals  # forms/schema.py, via KEY_PATTERN
    assert len(literals) > 40


@pytest.mark.parametrize("source", [
    "import re\nre.compile(pattern)",
    "import re\nre.fullmatch(item['pattern'], value)",
    "import re as r\nr.search(f'{x}+', text)",
    "from re import match\nmatch(p, text)",
    "import fnmatch",
    "import re2",
    "from django import forms\nforms.RegexField(regex=user_pattern)",
    "Model.objects.filter(name__iregex=query)",
])
def test_the_scan_catches_patterns_from_data(tmp_path, source):
    package = tmp_path / "amtsweg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "probe.py").write_text(source + "\n")
    assert [u for u in _uses(package) if u.pattern is None]


def _literal_ids() -> list:
    return [pytest.param(u.pattern, id=f"{u.where} {u.what}")
            for u in USES if u.pattern is not None]


@pytest.mark.parametrize("pattern", _literal_ids())
def test_literal_regexes_do_not_backtrack(pattern):
    assert backtracking_risk(pattern) is None


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"^(\*?([^*]{2,})\*?)+$", "nested repetitions"),  # the former areaSearchexpression check
    ("(a{1,30}){1,30}", "nested repetitions"),
    ("(a|aa)+$", "repeated alternatives that can start alike"),
    (r"\{\{\s*([^{}\n]*?)\s*\}\}", "neighbouring repetitions that can match the same characters"),
    (r"^\d+\.?\d+$", "neighbouring repetitions that can match the same characters"),
    (r"^[a-z]+(-[a-z]+)*$", None), (r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$", None),
    (r"\{\{([^{}\n]*)\}\}", None),
])
def test_the_lint_knows_the_shapes(pattern, expected):
    assert backtracking_risk(pattern) == expected


def test_designer_patterns_have_a_central_module():
    """What the scan sends people to exists and runs on RE2."""
    assert patterns.compile_pattern("(a+)+$")("a" * 10)
