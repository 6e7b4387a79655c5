"""The command table (cli.COMMANDS): running a command imports its own module and no other
command module, the root's --help lists every command without importing one, and every command
behaves as in the whole program (cli.whole())."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from extadmin.cli import COMMANDS, app, whole

WHOLE = whole()
MODULES = sorted({module for module, _ in COMMANDS.values()})


def _paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if path:
        yield path
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _paths(sub, (*path, name))


PATHS = list(_paths(WHOLE))


def helped(command: Any, args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        command.main(args=[*args, "--help"], prog_name="extadmin", standalone_mode=False)
    except typer.Exit:
        pass
    return capsys.readouterr().out


def fresh() -> Any:
    """The root as a run builds it: no command built yet."""
    return typer.main.get_command(app)


def test_every_module_declares_exactly_its_names_in_the_table() -> None:
    """A name in the table is declared by the module it names, and a module declares nothing
    the table lacks (the root's --help would not list it)."""
    for module in MODULES:
        root = fresh()
        name = next(n for n, (m, _) in COMMANDS.items() if m == module)
        root.commands[name]
        declared = set(root.commands.built)
        assert declared == {n for n, (m, _) in COMMANDS.items() if m == module}, module


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) for p in PATHS])
def test_each_command_built_alone_is_the_one_of_the_whole_program(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--account", "acme.toml", *path]
    alone = fresh()
    whole_help = helped(WHOLE, args, capsys)
    assert whole_help.startswith("Usage: extadmin") and " ".join(path) in whole_help
    assert helped(alone, args, capsys) == whole_help
    module = COMMANDS[path[0]][0]
    assert {COMMANDS[n][0] for n in alone.commands.built} == {module}


@pytest.mark.parametrize("width", ["60", "80", "200"])
def test_the_roots_help_lists_the_commands_without_building_one(
    width: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table's lines give the same list, cut the same way, as the commands' own help."""
    monkeypatch.setenv("COLUMNS", width)
    root = fresh()
    lazy = helped(root, [], capsys)
    assert root.commands.built == {}
    assert lazy == helped(WHOLE, [], capsys)
    assert all(f"  {name} " in lazy for name in COMMANDS)


def test_a_command_imports_no_other_command_module() -> None:
    """In a fresh interpreter, `extadmin list-unassigned --help` loads extension.py and no other
    module of the table; `extadmin --help` loads none."""
    modules = [f"extadmin.cli.{m}" for m in MODULES]
    code = (
        "import json, sys\n"
        "from extadmin.cli import main\n"
        "try:\n    main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))\n"
    )
    for args, expected in (
        (["list-unassigned", "--help"], ["extadmin.cli.extension"]),
        (["--help"], []),
        (["platform", "--help"], ["extadmin.cli.platform"]),
    ):
        result = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.strip().splitlines()[-1]) == expected, args


def test_shell_completion_offers_every_command() -> None:
    env = dict(
        os.environ, _EXTADMIN_COMPLETE="complete_bash", COMP_WORDS="extadmin ", COMP_CWORD="1"
    )
    done = subprocess.run(
        [sys.executable, "-m", "extadmin"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == list(COMMANDS)


def test_a_name_that_is_no_command_is_reported_with_the_others(run: Any) -> None:
    result = run("list-unasigned")
    assert result.code == 2
    assert "No such command 'list-unasigned'" in result.err
    assert "list-unassigned" in result.err  # the suggestion comes from the whole table
