"""Shell completion (issue 14): commands, options, and values from the account, asked the way
bash asks (COMP_WORDS / COMP_CWORD and the program's _EXTADMIN_COMPLETE variable), from the
real program."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assign

pytestmark = pytest.mark.timeout(120)


def complete(account: Path, line: str, shell: str = "bash") -> list[str]:
    """What the program offers for the last word of `line` (a trailing space: a new word)."""
    words = line.split(" ")
    env = dict(os.environ, _EXTADMIN_COMPLETE=f"complete_{shell}", EXTADMIN_ACCOUNT=str(account))
    if shell == "bash":
        env |= {"COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    done = subprocess.run(
        [sys.executable, "-m", "extadmin"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return [word for word in done.stdout.splitlines() if word]


@pytest.fixture
def staffed(account: Path, run: object) -> Path:
    assign(run, "102", "Grace", "Hopper", "grace@acme.example")
    assign(run, "2201", "Alan", "Turing", "alan@acme.example")
    return account


def test_assign_completes_the_unassigned_extensions(staffed: Path) -> None:
    assert complete(staffed, "extadmin assign ") == ["101", "103", "104", "105", "2202", "2203"]
    assert complete(staffed, "extadmin assign 10") == ["101", "103", "104", "105"]


def test_set_recording_and_unassign_complete_the_assigned_ones(staffed: Path) -> None:
    assert complete(staffed, "extadmin set-recording ") == ["102", "2201"]
    assert complete(staffed, "extadmin unassign 2") == ["2201"]


def test_sites_and_roles_complete_from_the_account(staffed: Path) -> None:
    # quoted for bash (issue 25): one word on the command line
    assert complete(staffed, "extadmin list-unassigned --site ") == ["Main\\ Site", "Boston"]
    assert complete(staffed, "extadmin users list --role Super") == ["Super\\ Admin"]


def test_commands_and_options_complete(staffed: Path) -> None:
    assert complete(staffed, "extadmin set-rec") == ["set-recording"]
    assert "--direction" in complete(staffed, "extadmin set-recording --")


def test_zsh_and_fish_are_answered_too(staffed: Path) -> None:
    assert "104" in "".join(complete(staffed, "extadmin assign ", shell="zsh"))
    assert "104" in complete(staffed, "extadmin assign ", shell="fish")  # fish: one a line


def test_an_unreadable_account_completes_nothing_quietly(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("this is [ not toml\n")
    assert complete(broken, "extadmin assign ") == []


def _extadmin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "extadmin", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize(
    ("shell", "mark"), [("bash", "COMPREPLY"), ("zsh", "compdef"), ("fish", "complete --command")]
)
def test_show_completion_prints_the_script_of_each_shell(shell: str, mark: str) -> None:
    """The shell is named here (Typer's own switch to name it instead of detecting it from
    the parent process, which is pytest's)."""
    done = _extadmin(
        "--show-completion", shell, env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    )
    assert "_EXTADMIN_COMPLETE" in done.stdout and mark in done.stdout


def test_install_completion_from_bash(tmp_path: Path) -> None:
    """Detected from the real parent shell, and installed in the user's bash start-up."""
    done = subprocess.run(
        # (a command after it: bash stays the parent, rather than exec the program, whatever
        # the processes above it are)
        ["bash", "-c", f"{sys.executable} -m extadmin --install-completion; exit $?"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ, HOME=str(tmp_path)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    script = tmp_path / ".bash_completions" / "extadmin.sh"
    assert "_EXTADMIN_COMPLETE" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()
