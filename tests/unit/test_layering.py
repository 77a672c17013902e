"""Dependencies point one way: notes_core's packages import only the packages below them, notes_core
imports nothing outside itself of this repository, and a function imports only what a thin handler
needs. Every import statement counts, wherever it stands (inside functions too), read with `ast`."""

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local import template as tpl

CORE = tpl.ROOT / "layers" / "core" / "notes_core"
FUNCTIONS = tpl.ROOT / "functions"

# What each package of notes_core may import, besides itself: the one statement of the rule
# (notes_core/__init__.py draws it). edge -> usecases -> engine -> data -> domain -> runtime, with
# contract (the wire: bodies, problems, cursors) beside engine and data, below the edge and the use
# cases and above the domain only.
MAY_IMPORT: dict[str, set[str]] = {
    "edge": {"contract", "domain", "runtime"},
    "usecases": {"engine", "data", "contract", "domain", "runtime"},
    "contract": {"domain"},
    "engine": {"data", "domain", "runtime"},
    "data": {"domain", "runtime"},
    "domain": {"runtime"},
    "runtime": set(),
}
# The repository's other top-level packages: notes_core runs in Lambda without any of them.
OUTSIDE_THE_LAYER = {"functions", "local", "tests", "bench", "tools"}
# What a handler imports of notes_core: its plumbing, its use case, its request body.
FUNCTION_MAY_IMPORT = ("notes_core.edge", "notes_core.usecases", "notes_core.contract.bodies")
# And besides the standard library: the Lambda context's type.
FUNCTION_MAY_IMPORT_OUTSIDE = ("aws_lambda_powertools.utilities.typing",)


@dataclass(frozen=True)
class Import:
    module: str  # what the statement names: `from a.b import c` names a.b.c (c may be a module)
    line: int


def _imports(path: Path) -> Iterator[Import]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import (write it absolute)"
            assert node.module is not None
            yield from (Import(f"{node.module}.{alias.name}", node.lineno) for alias in node.names)


def _package_of(module: str) -> str:
    """notes_core.<package>.… -> <package>."""
    return module.split(".")[1]


CORE_MODULES = sorted(CORE.rglob("*.py"))


def _name(path: Path) -> str:
    return ".".join(path.relative_to(CORE.parent).with_suffix("").parts)


def test_every_module_of_notes_core_is_in_one_of_the_packages() -> None:
    loose = [_name(path) for path in CORE_MODULES if path.parent == CORE and path.name != "__init__.py"]
    assert loose == []
    assert {path.name for path in CORE.iterdir() if path.is_dir() and path.name != "__pycache__"} == set(MAY_IMPORT)


@pytest.mark.parametrize("path", CORE_MODULES, ids=_name)
def test_a_module_imports_only_its_own_package_and_those_below_it(path: Path) -> None:
    # Given the module's package and every import statement of its file
    own = _package_of(_name(path)) if path.parent != CORE else None
    allowed = set() if own is None else MAY_IMPORT[own] | {own}

    # When the imports of this repository's code are sorted out
    imported = list(_imports(path))
    upward = [(i.line, i.module) for i in imported if i.module.startswith("notes_core.")]
    upward = [(line, module) for line, module in upward if _package_of(module) not in allowed]
    outside = [(i.line, i.module) for i in imported if i.module.split(".")[0] in OUTSIDE_THE_LAYER]

    # Then none imports a package above its own, nor anything outside the layer
    assert upward == [], f"{_name(path)} ({own}) may import {sorted(allowed)}"
    assert outside == []


def test_the_rule_points_one_way() -> None:
    """The packages have an order (no two may import each other, even through others)."""
    remaining = {package: set(below) for package, below in MAY_IMPORT.items()}
    while remaining:
        bottom = [package for package, below in remaining.items() if not below & remaining.keys()]
        assert bottom, f"a cycle among {sorted(remaining)}"
        for package in bottom:
            del remaining[package]


@pytest.mark.parametrize("path", sorted(CORE.rglob("__init__.py")), ids=_name)
def test_a_package_init_is_its_docstring_only(path: Path) -> None:
    """Importing notes_core.data.table imports notes_core and notes_core.data first: at every cold
    start, so they cost nothing."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    assert len(body) == 1
    assert isinstance(body[0], ast.Expr)
    assert isinstance(body[0].value, ast.Constant)
    assert isinstance(body[0].value.value, str)


@pytest.mark.parametrize("path", sorted(FUNCTIONS.glob("*/app.py")), ids=lambda path: path.parent.name)
def test_a_function_imports_its_plumbing_its_use_case_and_its_request_body_only(path: Path) -> None:
    # Given every import statement of the handler
    imported = list(_imports(path))

    # When those of something else than the standard library are kept
    def allowed(module: str) -> bool:
        if module.split(".", maxsplit=1)[0] in sys.stdlib_module_names:
            return True
        return any(module == prefix or module.startswith(prefix + ".") for prefix in FUNCTION_MAY_IMPORT) or any(
            module.startswith(prefix + ".") for prefix in FUNCTION_MAY_IMPORT_OUTSIDE
        )

    # Then none is left: no data access, engine or domain module, no other function, no local code
    assert [(i.line, i.module) for i in imported if not allowed(i.module)] == []


LOCAL = tpl.ROOT / "local"


@pytest.mark.parametrize("path", sorted(LOCAL.rglob("*.py")), ids=lambda path: path.stem)
def test_the_local_stack_imports_no_test_support_nor_a_benchmark(path: Path) -> None:
    """local/ emulates AWS and nothing else: the test tiers' support (the call recorder among it)
    lives under tests/, and reaches the local stack from there (tests/support/recording_stack.py)."""
    outside = [(i.line, i.module) for i in _imports(path) if i.module.split(".")[0] in {"tests", "bench", "tools"}]

    assert outside == []
