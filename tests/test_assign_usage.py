"""Without a terminal (or with --no-input) `assign` never waits for input: a missing required
value is a usage error (exit 2) that names the flag to pass. Secrets are never command-line
values: there is no --password, --pin or --security-answer option."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import exe
from tests.helpers import ADA


def check_usage(result, account: Path, before: bytes, expected: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.out == ""
    assert result.err == expected
    assert account.read_bytes() == before


def test_credentials_without_values_names_every_missing_flag(run, account: Path) -> None:
    before = account.read_bytes()
    result = run("assign", "101", "--setup", "credentials", "--first-name", "A", "--last-name", "B")
    check_usage(
        result,
        account,
        before,
        "extadmin: error: missing --email, --password-file, --pin-file, --security-question, "
        "--security-answer-file (required without prompting)\n",
    )


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        pytest.param(("--setup", "invite", *ADA), "NUMBER", id="no-extension"),
        pytest.param(("101", *ADA), "--setup", id="no-setup"),
        pytest.param(("101", "--setup", "invite", *ADA[2:]), "--first-name", id="no-first-name"),
        pytest.param(
            ("101", "--setup", "later", "--email", "ada@example.com"),
            "--first-name, --last-name",
            id="no-names",
        ),
        pytest.param(("101", "--setup", "later", *ADA[:4]), "--email", id="no-email"),
        pytest.param(("101", "--setup", "invite", *ADA[:4], "--email", ""), "--email", id="empty"),
        pytest.param((), "NUMBER, --setup, --first-name, --last-name, --email", id="nothing"),
    ],
)
def test_missing_values_name_their_flags(
    run, account: Path, args: tuple[str, ...], flags: str
) -> None:
    before = account.read_bytes()
    result = run("assign", *args, "--no-input")
    check_usage(
        result, account, before, f"extadmin: error: missing {flags} (required without prompting)\n"
    )


def test_only_the_missing_secrets_are_named(run, account: Path, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("Zebra7!Quix\n")
    before = account.read_bytes()
    result = run(
        "assign",
        "101",
        "--setup",
        "credentials",
        *ADA,
        "--password-file",
        tmp_path / "pw",
        "--security-question",
        "3",
    )
    check_usage(
        result,
        account,
        before,
        "extadmin: error: missing --pin-file, --security-answer-file "
        "(required without prompting)\n",
    )


def test_the_real_program_does_not_wait_for_input(account: Path) -> None:
    """Run as a separate process with standard input a pipe (not a terminal), no --no-input."""
    before = account.read_bytes()
    proc = exe("assign", "101", "--setup", "credentials", *ADA, stdin="", timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "--password-file" in proc.stderr and "Traceback" not in proc.stderr
    assert account.read_bytes() == before


@pytest.mark.parametrize(
    "option",
    [
        ("--password", "Zebra7!Quix"),
        ("--password=Zebra7!Quix",),
        ("--pin", "5820417396"),
        ("--security-answer", "fluffy the cat"),
    ],
    ids=["password", "password=", "pin", "security-answer"],
)
def test_secrets_are_never_command_line_values(run, account: Path, option: tuple[str, ...]) -> None:
    before = account.read_bytes()
    result = run("assign", "101", "--setup", "credentials", *ADA, *option)
    assert result.code == 2, (result.code, result.err)
    assert "No such option" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert result.out == ""
    assert account.read_bytes() == before


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("assign", "--password"),
        ("assign", "--pin"),
        ("assign", "--security-answer"),
        ("activate", "--password"),
        ("activate", "--pin"),
        ("activate", "--security-answer"),
        ("activate", "--token"),
    ],
)
def test_help_offers_only_secret_files(run, command: str, option: str) -> None:
    result = run(command, "--help")
    assert result.code == 0
    assert f"{option}-file PATH" in result.out
    assert f"{option} " not in result.out and f"{option}=" not in result.out


def test_a_blank_first_name_given_on_purpose_is_an_invalid_value(run, account: Path) -> None:
    """`--first-name ""` counts as not given (exit 2, name the flag); a value of spaces was
    given and breaks the rule "required, trimmed" (exit 3, name the field)."""
    before = account.read_bytes()
    result = run("assign", "101", "--setup", "later", "--first-name", "  ", *ADA[2:])
    assert result.code == 3
    assert result.err == "extadmin: error: first name: is required\n"
    assert account.read_bytes() == before
