"""The program builds only the command it runs (cli._built): every command behaves as in the
whole program, and anything that needs every command (no command, --help, a name that is not a
command, shell completion) gets the whole program."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer

import extadmin.cli
from extadmin.cli import _built

WHOLE = typer.main.get_command(extadmin.cli.app)


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


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) for p in PATHS])
def test_each_command_built_alone_is_the_one_of_the_whole_program(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--account", "acme.toml", *path]
    alone = _built(args)
    assert sorted(alone.commands) == [path[0]]  # type: ignore[attr-defined]
    whole = helped(WHOLE, args, capsys)
    assert whole.startswith("Usage: extadmin") and " ".join(path) in whole
    assert helped(alone, args, capsys) == whole


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["-a", "acme.toml"], ["--version"], ["list-unasigned"], ["-h", "assign"]],
)
def test_the_whole_program_when_no_one_command_is_named(args: list[str]) -> None:
    assert sorted(_built(args).commands) == sorted(WHOLE.commands)  # type: ignore[attr-defined]


def test_the_whole_program_for_shell_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_EXTADMIN_COMPLETE", "bash_complete")
    assert sorted(_built(["assign"]).commands) == sorted(WHOLE.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("account", [["--account=x.toml"], ["-ax.toml"], ["-a", "x.toml"]])
def test_the_account_option_in_each_spelling(account: list[str]) -> None:
    assert list(_built([*account, "extension", "list"]).commands) == ["extension"]  # type: ignore[attr-defined]


def test_a_name_that_is_no_command_is_reported_with_the_others(run: Any) -> None:
    result = run("list-unasigned")
    assert result.code == 2
    assert "No such command 'list-unasigned'" in result.err
    assert "list-unassigned" in result.err  # the suggestion comes from the whole program
