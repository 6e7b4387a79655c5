"""Conflicts (exit 5): the extension is not unassigned, the email is taken (in this account or
in another account known on this machine), the short extension number is in use. And the one
way around "Users require unique email IDs": --allow-duplicate-email, with credentials only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import stored

ADA = ("--first-name", "Ada", "--last-name", "Lovelace")


def check_conflict(result, account: Path, before: bytes, *fragments: str) -> None:
    assert result.code == 5, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.out == ""
    assert len(result.err.splitlines()) == 1, result.err
    for fragment in fragments:
        assert fragment in result.err, result.err
    assert account.read_bytes() == before


@pytest.mark.parametrize("first_setup", ["invite", "credentials", "later"])
def test_assigning_an_assigned_extension_is_a_conflict(
    run, account: Path, secret_args: list[str], first_setup: str
) -> None:
    setup = secret_args if first_setup == "credentials" else ["--setup", first_setup]
    first = run("assign", "101", *setup, *ADA, "--email", "ada@example.com")
    assert first.code == 0, first.err
    before = account.read_bytes()

    again = run(
        "assign",
        "101",
        "--setup",
        "later",
        "--first-name",
        "Bob",
        "--last-name",
        "Ng",
        "--email",
        "bob@example.com",
    )
    check_conflict(again, account, before, "extension 101 is not unassigned", "Ada Lovelace")
    assert stored(account, "101").get("user", {})["email"] == "ada@example.com"


def test_email_taken_in_this_account_whatever_the_case(run, account: Path) -> None:
    assert run("assign", "101", "--setup", "later", *ADA, "--email", "ada@example.com").code == 0
    before = account.read_bytes()

    result = run(
        "assign",
        "102",
        "--setup",
        "invite",
        "--first-name",
        "Ada",
        "--last-name",
        "B",
        "--email",
        "Ada@Example.COM",
    )
    check_conflict(result, account, before, "email:", "extension 101", "'Acme Corp'")
    assert stored(account, "102").get("user", {}) == {}
    assert not account.with_name("acme.outbox").exists()


def test_email_taken_is_checked_on_the_normalised_address(run, account: Path) -> None:
    assert run("assign", "101", "--setup", "later", *ADA, "--email", "ada@example.com").code == 0
    before = account.read_bytes()
    result = run("assign", "102", "--setup", "later", *ADA, "--email", "  ADA@EXAMPLE.com ")
    check_conflict(result, account, before, "email:")


def test_email_taken_in_another_registered_account(run, account: Path, tmp_path: Path) -> None:
    other = tmp_path / "globex.json"
    assert run("init", other, "--name", "Globex").code == 0  # registers it and makes it current
    assert run("extension", "add", "301").code == 0
    assert run("assign", "301", "--setup", "later", *ADA, "--email", "ada@example.com").code == 0
    assert run("account", "use", account).code == 0
    before = account.read_bytes()

    result = run("assign", "101", "--setup", "later", *ADA, "--email", "ADA@example.com")
    check_conflict(result, account, before, "email:", "extension 301", "'Globex'")

    # the other account is searched whichever way the current account is chosen
    result = run(
        "--account",
        account,
        "assign",
        "101",
        "--setup",
        "invite",
        *ADA,
        "--email",
        "ada@example.com",
    )
    check_conflict(result, account, before, "'Globex'")
    verify = run("verify-email", "Ada@example.com", "--format", "json")
    matches = json.loads(verify.out)["matches"]
    assert [(m["account"], m["extension"]) for m in matches] == [("Globex", "301")]


def test_an_unregistered_account_is_not_searched(run, account: Path, tmp_path: Path) -> None:
    """Only the accounts known on this machine count (SPEC "Verify email uniqueness")."""
    other = tmp_path / "globex.toml"
    assert run("init", other, "--name", "Globex").code == 0
    assert run("extension", "add", "301").code == 0
    assert run("assign", "301", "--setup", "later", *ADA, "--email", "ada@example.com").code == 0
    assert run("account", "forget", other).code == 0

    result = run(
        "--account",
        account,
        "assign",
        "101",
        "--setup",
        "later",
        *ADA,
        "--email",
        "ada@example.com",
    )
    assert result.code == 0, result.err


def test_allow_duplicate_email_with_credentials(run, account: Path, secret_args: list[str]) -> None:
    assert run("assign", "101", "--setup", "later", *ADA, "--email", "ada@example.com").code == 0

    result = run(
        "assign",
        "102",
        "--first-name",
        "Shared",
        "--last-name",
        "Desk",
        "--email",
        "ADA@example.com",
        *secret_args,
        "--allow-duplicate-email",
    )
    assert result.code == 0, result.err
    user = stored(account, "102").get("user", {})
    assert user["email"] == "ADA@example.com"
    assert user["unique_email"] is False
    assert stored(account, "101").get("user", {}).get("unique_email", True) is True
    shown = json.loads(run("extension", "show", "102", "--format", "json").out)
    assert shown["user"]["unique_email"] is False


@pytest.mark.parametrize("setup", ["invite", "later"])
def test_allow_duplicate_email_is_refused_without_credentials(
    run, account: Path, setup: str
) -> None:
    before = account.read_bytes()
    result = run(
        "assign",
        "101",
        "--setup",
        setup,
        *ADA,
        "--email",
        "ada@example.com",
        "--allow-duplicate-email",
    )
    assert result.code == 3, result.err
    assert result.err.startswith("extadmin: error: allow duplicate email:")
    assert "only with setup credentials" in result.err
    assert len(result.err.splitlines()) == 1
    assert account.read_bytes() == before


def test_short_extension_in_use_is_a_conflict(run, account: Path) -> None:
    before = account.read_bytes()
    result = run(
        "assign",
        "2201",
        "--setup",
        "later",
        *ADA,
        "--email",
        "ada@example.com",
        "--short-extension",
        "203",
    )
    check_conflict(result, account, before, "short extension 203", "2203", "already in use")


def test_short_extension_of_a_renumbered_user_is_in_use_afterwards(run, account: Path) -> None:
    first = run(
        "assign",
        "2201",
        "--setup",
        "later",
        *ADA,
        "--email",
        "ada@example.com",
        "--short-extension",
        "250",
    )
    assert first.code == 0, first.err
    before = account.read_bytes()
    result = run(
        "assign",
        "2202",
        "--setup",
        "later",
        "--first-name",
        "Bob",
        "--last-name",
        "Ng",
        "--email",
        "bob@example.com",
        "--short-extension",
        "250",
    )
    check_conflict(result, account, before, "2250", "already in use")


def test_keeping_its_own_short_extension_is_no_conflict(run, account: Path) -> None:
    result = run(
        "assign",
        "2201",
        "--setup",
        "later",
        *ADA,
        "--email",
        "ada@example.com",
        "--short-extension",
        "201",
    )
    assert result.code == 0, result.err
    assert stored(account, "2201").get("user", {})["email"] == "ada@example.com"
