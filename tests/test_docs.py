"""The documentation keeps up with the code (sqlite-utils' test_docs): every command has help
text, the generated reference is current, and the README documents every exit code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from extadmin.errors import ExitCode
from tests.helpers import ROOT, load_gen_reference

GEN_REFERENCE = ROOT / "scripts" / "gen-reference"
gen_reference = load_gen_reference()
COMMANDS: list[tuple[str, Any, Any]] = list(gen_reference.walk())
PATHS = [path for path, _, _ in COMMANDS]


def test_the_tree_has_the_commands_of_the_spec() -> None:
    for path in ("extadmin init", "extadmin list-unassigned", "extadmin extension show"):
        assert path in PATHS


@pytest.mark.parametrize(("path", "cmd", "ctx"), COMMANDS, ids=PATHS)
def test_every_command_has_help(path: str, cmd: Any, ctx: Any) -> None:
    assert gen_reference.summary(cmd), f"`{path}` has no help text"


@pytest.mark.parametrize(("path", "cmd", "ctx"), COMMANDS, ids=PATHS)
def test_every_option_and_argument_has_help(path: str, cmd: Any, ctx: Any) -> None:
    missing = [
        param.name
        for param in cmd.get_params(ctx)
        if not getattr(param, "hidden", False) and not getattr(param, "help", None)
    ]
    assert not missing, f"`{path}`: no help text for {', '.join(map(str, missing))}"


def test_generated_reference_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(GEN_REFERENCE), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + "\n(run scripts/gen-reference and commit)"


def test_every_command_is_in_docs_commands_md() -> None:
    text = (ROOT / "docs" / "commands.md").read_text("utf-8")
    headings = set(re.findall(r"^## (.+)$", text, flags=re.MULTILINE))
    missing = [path for path in PATHS if path not in headings]
    assert not missing, f"missing from docs/commands.md: {missing}"


def test_every_leaf_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("<!-- commands:start -->")[1].split("<!-- commands:end -->")[0]
    for path, cmd, _ in COMMANDS:
        if path != "extadmin" and not hasattr(cmd, "list_commands"):
            assert f"[`{path}`]" in section, f"`{path}` is missing from the README"


def test_readme_documents_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}


def test_gen_reference_check_reports_a_stale_file(tmp_path: Path) -> None:
    """--check exits 1 and names the stale file (run on a copy of the checkout's docs)."""
    module = load_gen_reference()
    module.README = tmp_path / "README.md"
    module.COMMANDS = tmp_path / "docs" / "commands.md"
    module.ROOT = tmp_path
    module.README.write_text(
        "# x\n\n<!-- commands:start -->\n<!-- commands:end -->\n", encoding="utf-8"
    )
    assert module.main(["--check"]) == 1
    assert not module.COMMANDS.exists()  # --check writes nothing
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0
    assert "[`extadmin init`](docs/commands.md#extadmin-init)" in module.README.read_text("utf-8")
