"""Start-up: the command line imports only typer and the standard library up front; the heavy
libraries load inside the functions that need them (STYLE.md, "Fast start-up")."""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import exe

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "extadmin"

HEAVY = [
    "questionary", "prompt_toolkit", "rich", "tomli_w", "phonenumbers", "email_validator", "httpx",
]  # fmt: skip

LOADED = f"sorted(m for m in {HEAVY!r} if m in sys.modules)"
REPORT = f"import json, sys; print(json.dumps({LOADED}))"


def loaded_in_fresh_interpreter(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_report_sees_a_heavy_import() -> None:
    """The check itself works: a module that is imported is reported."""
    assert loaded_in_fresh_interpreter(f"import rich.table; {REPORT}") == ["rich"]


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert loaded_in_fresh_interpreter(f"import extadmin.cli; {REPORT}") == []


def test_importing_the_main_module_loads_no_heavy_library() -> None:
    assert loaded_in_fresh_interpreter(f"import extadmin.__main__; {REPORT}") == []


def test_json_output_loads_no_heavy_library(run, tmp_path: Path) -> None:
    """A script reading JSON from a JSON account pays for no table, prompt or TOML writer."""
    path = tmp_path / "acme.json"
    assert run("init", path, "--name", "Acme").code == 0
    assert run("extension", "add", "101-103").code == 0
    code = (
        "import atexit, json, sys\n"
        f"atexit.register(lambda: print(json.dumps({LOADED}), file=sys.stderr))\n"
        "from extadmin.cli import main\n"
        f"main(['--account', {str(path)!r}, 'list-unassigned', '--format', 'json'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert [e["extension"] for e in json.loads(result.stdout)] == ["101", "102", "103"]
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []


def test_version_through_python_m() -> None:
    result = exe("--version", timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("extadmin ")


# Imports inside a function that are not a banned library, each with its reason
EXCEPTIONS = {
    ("__main__.py", "extadmin.cli"): "Ctrl-C and SIGTERM are answered before the CLI loads",
    ("cli/__init__.py", "extadmin.services.accounts"): "the root and --help load no service",
    ("cli/__init__.py", "extadmin.render"): "the root and --help load no service",
    ("cli/__init__.py", "logging"): "only with EXTADMIN_DEBUG",
    ("cli/__init__.py", "extadmin.cli.complete"): "only when a TAB asks (shell completion)",
    ("cli/app.py", "extadmin.services"): "the root makes the App: --help loads no service",
    ("cli/app.py", "extadmin.services.accounts"): "the root makes the App: --help loads no service",
    ("cli/app.py", "extadmin.cli.prompts"): "the root makes the App: --help loads no prompt",
    ("cli/prompts.py", "getpass"): "the plain terminal's hidden input only",
}


@functools.cache
def banned() -> tuple[str, ...]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        config = tomllib.load(handle)
    names = config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-module-level-imports"]
    return tuple(names)


def imports_inside_functions() -> list[tuple[str, str]]:
    """(file below src/extadmin, module) for every import inside a function."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        for fn in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(fn):
                    if isinstance(node, ast.Import):
                        found += [(where, alias.name) for alias in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.module:
                        # `from email import policy` imports email.policy; `from x import f`, x
                        subs = [f"{node.module}.{a.name}" for a in node.names]
                        found += [(where, next((s for s in subs if heavy(s)), node.module))]
    return found


def heavy(module: str) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned())


def test_every_import_inside_a_function_is_deferred_for_a_reason() -> None:
    """A heavy library start-up defers (pyproject.toml, with the reason), or a named exception;
    anything else goes at the top of its module, where a reader sees what a module uses."""
    loose = [
        f"{where}: {module}"
        for where, module in imports_inside_functions()
        if (where, module) not in EXCEPTIONS and not heavy(module)
    ]
    assert loose == []
