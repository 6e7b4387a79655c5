"""Issue 25: completion inserts a value with spaces as one word (`--role Sup<TAB>` gave `--role
Super Admin`, then "unexpected extra argument"), and every option with fixed choices completes
them (`--setup <TAB>` offered file names). Typer's protocol as the shells' scripts speak it, and
the real shells in a pseudo-terminal: bash always; zsh and fish where installed (their protocol
answers are checked in any case)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from extadmin.cli import whole
from extadmin.domain.catalog import LOCALES, RECORDING, STATUSES
from tests.helpers import assign
from tests.pty_helpers import plain

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def staffed(account: Path, run: Any) -> Path:
    assign(run, "102", "Grace", "Hopper", "grace@acme.example", "--role", "Super Admin")
    return account


def answer(account: Path, shell: str, line: str) -> str:
    """The program's raw answer to a TAB at the end of `line`, as `shell`'s script asks."""
    env = dict(os.environ, _EXTADMIN_COMPLETE=f"complete_{shell}", EXTADMIN_ACCOUNT=str(account))
    if shell == "bash":  # the script joins COMP_WORDS with newlines (its IFS)
        words = re.split(r"(?<!\\) ", line)  # bash's words: an escaped space is no break
        env |= {"COMP_WORDS": "\n".join(words), "COMP_CWORD": str(len(words) - 1)}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    done = subprocess.run(
        [sys.executable, "-m", "extadmin"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


# --- the protocol: what each shell is answered ---------------------------------------------------


def test_bash_is_answered_with_the_value_quoted(staffed: Path) -> None:
    assert answer(staffed, "bash", "extadmin users list --role Sup") == "Super\\ Admin\n"
    assert answer(
        staffed, "bash", "extadmin users list --role Standard\\ User\\ "
    ).splitlines() == ["Standard\\ User\\ \\(International\\)"]
    # after an opening quote bash inserts inside the quotes, and closes them itself
    assert answer(staffed, "bash", 'extadmin users list --role "Sup') == "Super Admin\n"
    question = answer(
        staffed, "bash", "extadmin assign 101 --security-question What\\ is\\ your\\ m"
    )
    assert question == "What\\ is\\ your\\ mother\\'s\\ maiden\\ name\\?\n"


def test_zsh_is_answered_with_one_quoted_item_per_value(staffed: Path) -> None:
    """Typer's zsh script evaluates the answer; each item is a double-quoted word in the single
    quotes of the list (an apostrophe closes and reopens them)."""
    assert (
        answer(staffed, "zsh", "extadmin users list --role Sup")
        == "_arguments '*: :((\"Super Admin\"))'\n"
    )
    line = "extadmin assign 101 --security-question What\\ is\\ your\\ m"
    assert answer(staffed, "zsh", line) == (
        "_arguments '*: :((\"What is your mother'\\''s maiden name?\"))'\n"
    )
    setup = answer(staffed, "zsh", "extadmin assign --setup ")
    assert setup.count("\n") == 3  # one line each, a description never wrapped onto another
    assert '"invite":"Send invite\\\\: sends the user a welcome email' in setup


def test_fish_is_answered_one_value_a_line(staffed: Path) -> None:
    assert answer(staffed, "fish", "extadmin users list --role Sup") == "Super Admin\n"
    lines = answer(staffed, "fish", "extadmin assign --setup ").splitlines()
    assert [line.split("\t")[0] for line in lines] == ["invite", "credentials", "later"]
    # a word still open (an escaped space) is completed, not taken as finished
    assert answer(staffed, "fish", "extadmin users list --role Standard\\ User\\ ") == (
        "Standard User (International)\n"
    )


SECURITY_NUMBERS = [str(n) for n in range(1, 11)]

# every option with fixed choices, and what it offers for an empty word
CHOICES = {
    ("assign", "--setup"): ["invite", "credentials", "later"],
    ("bulk-assign", "--setup"): ["invite", "credentials", "later"],
    ("assign", "--recording"): list(RECORDING),
    ("users update", "--recording"): list(RECORDING),
    ("set-recording", "--direction"): list(RECORDING),
    ("extension list", "--status"): list(STATUSES),
    ("users list", "--status"): list(STATUSES[1:]),
    ("engage-voice import", "--access"): ["agent", "admin", "both"],
    ("mail configure", "--tls"): ["starttls", "implicit", "none"],
    ("init", "--locale"): list(LOCALES),
    ("assign", "--language"): list(LOCALES),
    ("assign", "--greeting-language"): list(LOCALES),
    ("users update", "--regional-format"): list(LOCALES),
    ("assign", "--security-question"): SECURITY_NUMBERS,
    ("activate", "--security-question"): SECURITY_NUMBERS,
    ("profile add", "--setup"): ["invite", "credentials", "later"],
    ("profile update", "--setup"): ["invite", "credentials", "later"],
    ("profile add", "--recording"): list(RECORDING),
    ("profile update", "--recording"): list(RECORDING),
    ("profile add", "--engage-voice"): ["agent", "admin", "both"],
    ("profile update", "--engage-voice"): ["agent", "admin", "both"],
    ("list-unassigned", "--format"): ["table", "json", "csv"],
    ("extension show", "--format"): ["table", "json"],
}


def offered(path: str, flag: str) -> list[str]:
    """What the program offers after `extadmin PATH FLAG ` (bash's protocol)."""
    words = ["extadmin", *path.split(), *(["101"] if path == "users update" else []), flag, ""]
    return complete_words(words)


def complete_words(words: list[str]) -> list[str]:
    env = dict(os.environ, _EXTADMIN_COMPLETE="complete_bash")
    env |= {"COMP_WORDS": "\n".join(words), "COMP_CWORD": str(len(words) - 1)}
    done = subprocess.run(
        [sys.executable, "-m", "extadmin"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout.split()


@pytest.mark.parametrize(("path", "flag"), list(CHOICES), ids=" ".join)
def test_an_option_with_fixed_choices_completes_them(
    staffed: Path, path: str, flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXTADMIN_ACCOUNT", str(staffed))
    assert offered(path, flag) == CHOICES[(path, flag)]


def test_every_option_that_names_its_choices_is_in_the_table() -> None:
    """An option whose metavar lists its choices (`off|inbound|outbound|both`), whose help
    lists them ("invite, credentials or later") or whose type is a choice: each one is
    checked above (the platform group's are its own: its --format is a choice type)."""
    listed = re.compile(r"\b[a-z-]+, [a-z-]+(?:, [a-z-]+)*,? or [a-z-]+\b")
    found = set()
    root = whole()
    for name, command in root.commands.items():
        for path, cmd in [(name, command), *_subcommands(name, command)]:
            for param in cmd.params:
                flag = max(param.opts, key=len)
                metavar = getattr(param, "metavar", None) or ""
                help_ = getattr(param, "help", None) or ""
                choice = type(getattr(param, "type", None)).__name__ == "Choice"
                named = ("|" in metavar and metavar != "FILE|-") or listed.search(help_)
                if flag.startswith("--") and (choice or named) and not path.startswith("platform"):
                    found.add((path, flag))
    choice_formats = {key for key in found if key[1] == "--format"}
    assert found - choice_formats <= set(CHOICES), sorted(found - set(CHOICES))


def _subcommands(name: str, command: Any) -> list[tuple[str, Any]]:
    return [(f"{name} {sub}", cmd) for sub, cmd in getattr(command, "commands", {}).items()]


def test_country_codes_complete(staffed: Path) -> None:
    codes = complete_words(["extadmin", "init", "x.toml", "--country", "F"])
    assert {"FR", "FI"} <= set(codes) and all(code.startswith("F") for code in codes)


# --- the real shells ------------------------------------------------------------------------------


@pytest.fixture
def on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH finds `extadmin` (this checkout's, run by this Python)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "extadmin"
    program.write_text(f'#!/bin/sh\nexec {sys.executable} -m extadmin "$@"\n')
    program.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "EDITOR": "", "VISUAL": ""}


def script(shell: str, env: dict[str, str], tmp_path: Path) -> Path:
    """The completion script `extadmin --show-completion SHELL` prints, in a file."""
    done = subprocess.run(
        ["extadmin", "--show-completion", shell],
        env={**os.environ, **env, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = tmp_path / f"extadmin.{shell}"
    path.write_text(done.stdout)
    return path


class Shell:
    """An interactive shell in a pseudo-terminal, its completion script loaded."""

    def __init__(self, argv: list[str], env: dict[str, str], setup: str) -> None:
        self.child = pexpect.spawn(
            argv[0], argv[1:], env={**os.environ, **env, "TERM": "dumb"},
            encoding="utf-8", timeout=60, dimensions=(40, 200),
        )  # fmt: skip
        self.child.sendline(f"{setup}; echo READY")
        self.child.expect("READY\r?\n")  # the echo's output, not the typed line

    def typed(self, keys: str, shown: str) -> str:
        """Type `keys`; wait until `shown` is on screen; what was shown since."""
        self.child.send(keys)
        self.child.expect_exact(shown)
        return plain(self.child.before or "")

    def arguments(self, line: str, completed: str) -> list[str]:
        """Type `line` and a TAB; once the line shows `completed`, run it with `printf '<%s>\\n'`
        put before it (Ctrl-A, the line's start): the arguments the shell passes, one per
        line."""
        self.typed(line + "\t", completed)
        self.child.send("\x01printf '<%s>\\n' \r")
        self.child.expect_exact("<extadmin>")
        self.child.expect(r"\$ ")
        lines = plain(self.child.before or "").splitlines()
        return [line[1:-1] for line in lines if line.startswith("<") and line.endswith(">")]

    def close(self) -> None:
        self.child.terminate(force=True)


def test_bash_inserts_super_admin_as_one_argument(
    staffed: Path, on_path: dict[str, str], tmp_path: Path
) -> None:
    env = {**on_path, "EXTADMIN_ACCOUNT": str(staffed)}
    path = script("bash", env, tmp_path)
    bash = Shell(["bash", "--norc", "--noprofile"], env, f"PS1='$ '; source {path}")
    try:
        args = bash.arguments("extadmin users list --role Sup", "Super\\ Admin ")
        assert args[-1] == "Super Admin" and args[-2] == "--role"
        args = bash.arguments('extadmin users list --role "Sup', '"Super Admin" ')
        assert args[-1] == "Super Admin"
        # --setup TAB TAB: the three choices, no file name
        listed = bash.typed("extadmin assign --setup \t\t", "later")
        bash.child.expect(r"\$ ")
        assert listed.split()[-2:] == ["credentials", "invite"]
        bash.child.send("\x15")  # Ctrl-U: the line is dropped
        # and the command itself, run with the completed value
        bash.typed("extadmin users list --role Sup\t", "Super\\ Admin ")
        bash.child.send("--format csv\r")
        bash.child.expect(r"\$ ")
        out = plain(bash.child.before or "")
        assert "102,Main Site,not-activated,Grace,Hopper,grace@acme.example,Super Admin" in out
        assert "unexpected extra argument" not in out
    finally:
        bash.close()


def test_zsh_inserts_super_admin_as_one_argument(
    staffed: Path, on_path: dict[str, str], tmp_path: Path
) -> None:
    """Real zsh where it is installed; its answer is tested above in any case."""
    if shutil.which("zsh") is None:
        assert "Super Admin" in answer(staffed, "zsh", "extadmin users list --role Sup")
        return
    env = {**on_path, "EXTADMIN_ACCOUNT": str(staffed)}
    path = script("zsh", env, tmp_path)
    setup = f"PS1='$ '; autoload -U compinit; compinit -u; source {path}"
    zsh = Shell(["zsh", "-f"], {**env, "HOME": str(tmp_path)}, setup)
    try:
        args = zsh.arguments("extadmin users list --role Sup", "Super\\ Admin ")
        assert args[-1] == "Super Admin" and args[-2] == "--role"
        args = zsh.arguments(
            "extadmin assign 101 --security-question What\\ is\\ your\\ m",
            "mother\\'s\\ maiden\\ name\\? ",
        )
        assert args[-1] == "What is your mother's maiden name?"
    finally:
        zsh.close()


def test_fish_inserts_super_admin_as_one_argument(
    staffed: Path, on_path: dict[str, str], tmp_path: Path
) -> None:
    """Real fish where it is installed; its answer is tested above in any case."""
    if shutil.which("fish") is None:
        assert answer(staffed, "fish", "extadmin users list --role Sup") == "Super Admin\n"
        return
    env = {**on_path, "EXTADMIN_ACCOUNT": str(staffed), "HOME": str(tmp_path)}
    path = script("fish", env, tmp_path)
    setup = f"function fish_prompt; echo '$ '; end; source {path}"
    fish = Shell(["fish", "--no-config"], env, setup)
    try:
        args = fish.arguments("extadmin users list --role Sup", "Super\\ Admin ")
        assert args[-1] == "Super Admin" and args[-2] == "--role"
    finally:
        fish.close()
