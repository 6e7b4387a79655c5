"""Start-up: the command line imports only typer and the standard library up front; the heavy
libraries load inside the functions that need them (STYLE.md, "Fast start-up")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import exe

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
