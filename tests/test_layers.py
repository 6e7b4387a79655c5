"""The floors of src/extadmin and what each may import (issue 24): cli/ talks to services/ (and
domain/, render), never to storage/ or platform/ directly; services/ never prints or prompts
(no rich, typer or questionary); domain/ imports nothing of extadmin's but errors; no floor
imports a floor above it. Read from the source (ast), so that an import inside a function
counts as much as one at the top; an import under `if TYPE_CHECKING:` is a type, not a use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "extadmin"
UI = ("rich", "typer", "questionary", "prompt_toolkit", "click")
# floor -> what it must not import (extadmin's floors as "extadmin.<floor>", or a library)
FORBIDDEN = {
    "cli": ("extadmin.storage", "extadmin.platform"),
    "services": (*UI, "extadmin.cli", "extadmin.render"),
    "platform": (*UI, "extadmin.cli", "extadmin.render", "extadmin.services", "extadmin.storage"),
    "storage": (*UI, "extadmin.cli", "extadmin.render", "extadmin.services", "extadmin.platform"),
    "domain": (
        *UI, "extadmin.cli", "extadmin.render", "extadmin.services", "extadmin.storage",
        "extadmin.platform",
    ),
}  # fmt: skip


def imports(path: Path) -> list[tuple[int, str]]:
    """The modules a file imports at run time (line, dotted name), type-checking blocks left
    out."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def breaches(floor: str) -> list[str]:
    out = []
    for path in sorted((SRC / floor).rglob("*.py")):
        for line, name in imports(path):
            for banned in FORBIDDEN[floor]:
                if name == banned or name.startswith(banned + "."):
                    out.append(f"{path.relative_to(SRC)}:{line} imports {name}")
                    break
    return sorted(set(out))


@pytest.mark.parametrize("floor", list(FORBIDDEN))
def test_each_floor_imports_only_what_it_may(floor: str) -> None:
    assert breaches(floor) == []


def test_the_check_sees_a_breach(tmp_path: Path) -> None:
    """The check itself works: an import inside a function counts, a type-checking one not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from extadmin.storage.store import AccountStore\n"
        "def f():\n    from extadmin.storage import registry\n    import rich.table\n"
    )
    assert imports(sample) == [
        (1, "typing"), (1, "typing.TYPE_CHECKING"), (5, "extadmin.storage"),
        (5, "extadmin.storage.registry"), (6, "rich.table"),
    ]  # fmt: skip


def test_no_import_circle() -> None:
    """No module reaches itself through the modules it imports (a submodule and its package
    aside: `from extadmin.cli import declares` in cli/users.py is the package's own)."""
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[module] = {name for _, name in imports(path) if name.startswith("extadmin")}
    edges = {
        m: {d for d in deps if d in graph and d != m and not m.startswith(d + ".")}
        for m, deps in graph.items()
    }
    circles = []
    for start in edges:
        stack, seen = [(start, (start,))], set()
        while stack:
            node, trail = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    circles.append(" -> ".join((*trail, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*trail, nxt)))
    assert circles == []


TESTS = Path(__file__).resolve().parent


def imported_test_modules(path: Path) -> list[str]:
    """The test modules (test_*.py of tests/) a file imports, anywhere in it (line, module).
    What tests share belongs in tests/helpers.py and the other helper modules, so that no test
    file depends on another."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):  # `from tests import test_x`, `from . import ...`
            package = node.module or ""
            modules = [package, *(f"{package}.{alias.name}".lstrip(".") for alias in node.names)]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            name = parts[1] if parts[0] == "tests" and len(parts) > 1 else parts[0]
            if name.startswith("test_"):
                found.add(f"{path.name}:{node.lineno} imports {name}")
    return sorted(found)


def test_no_test_file_imports_another() -> None:
    """What tests share lives in a helper module (tests/helpers.py and the like), never in a test
    file that another imports."""
    found = [line for path in sorted(TESTS.glob("*.py")) for line in imported_test_modules(path)]
    assert found == []


def test_the_check_sees_a_test_file_imported(tmp_path: Path) -> None:
    """The check itself works: inside a function too, relative or absolute; a helper module is
    no test module."""
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "from tests.helpers import ROOT\nimport tests.test_docs\nfrom tests import test_bulk\n"
        "def f():\n    from tests.test_docs import PATHS\n"
        "    from . import test_mail, csv_helpers\n"
    )
    assert imported_test_modules(sample) == [
        "test_sample.py:2 imports test_docs",
        "test_sample.py:3 imports test_bulk",
        "test_sample.py:5 imports test_docs",
        "test_sample.py:6 imports test_mail",
    ]
