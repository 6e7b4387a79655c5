"""Issue 25: a question asked again after a rejected answer starts with an empty field. Before,
a rejected password stayed in the hidden field as stars, the new one was typed after it, and
the re-entry "did not match". The real `extadmin assign` walkthrough in a pseudo-terminal."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from extadmin.domain import hashing
from tests.pty_helpers import ENTER, Terminal, enter_through

pytestmark = pytest.mark.timeout(120)

XTERM = {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
PASSWORD = "Kx7!mQ2#vZ"


def stored_user(path: Path, number: str) -> dict[str, object]:
    doc = tomllib.loads(path.read_text())
    user: dict[str, object] = next(e for e in doc["extensions"] if e["number"] == number)["user"]
    return user


def test_a_rejected_password_is_cleared_before_the_question_is_asked_again(account: Path) -> None:
    t = Terminal("assign", "101", "--setup", "credentials", env=XTERM, timeout=60)
    try:
        t.answer("Password", "Kx7!" + ENTER)
        t.expect("password: must be 8 to 32 characters")
        t.question("Password")
        # the field is empty: the question's line ends where the question does
        assert t.display.lines[t.display.row].rstrip() == "? Password"
        t.send(PASSWORD + ENTER)  # typed alone, as after any question
        before = t.answer("Re-enter password", PASSWORD + ENTER)
        assert "*" * len(PASSWORD) in before and "*" * (len(PASSWORD) + 4) not in before
        after = t.answer("Temporary password", "n")
        assert "do not match" not in after
        t.answer("PIN (6 to 10 digits)", "583920" + ENTER)
        t.answer("Re-enter PIN", "583920" + ENTER)
        t.answer("Security question", ENTER)
        t.answer("Security answer", "Wisteria Lane" + ENTER)
        t.answer("First name", "Ada" + ENTER)
        t.answer("Last name", "Lovelace" + ENTER)
        t.answer("Email address", "ada@example.com" + ENTER)
        enter_through(t, "short_extension")
        t.answer("Save this user?", ENTER)
        assert t.finish() == 0
    finally:
        t.close()
    assert "do not match" not in t.screen and PASSWORD not in t.screen
    credentials = stored_user(account, "101")["credentials"]
    assert isinstance(credentials, dict)
    assert hashing.verify_secret(PASSWORD, credentials["password_hash"])


def test_a_rejected_pin_is_cleared_too_and_one_typed_after_it_is_taken_whole(
    account: Path,
) -> None:
    t = Terminal("assign", "101", "--setup", "credentials", env=XTERM, timeout=60)
    try:
        t.answer("Password", PASSWORD + ENTER)
        t.answer("Re-enter password", PASSWORD + ENTER)
        t.answer("Temporary password", "n")
        t.answer("PIN (6 to 10 digits)", "1234" + ENTER)
        t.expect("PIN: must be 6 to 10 digits")
        t.answer("PIN (6 to 10 digits)", "583920" + ENTER)  # not 1234583920
        t.answer("Re-enter PIN", "583920" + ENTER)
        after = t.answer("Security question", ENTER)
        assert "do not match" not in after
        t.answer("Security answer", "Wisteria Lane" + ENTER)
        t.answer("First name", "Ada" + ENTER)
        t.answer("Last name", "Lovelace" + ENTER)
        t.answer("Email address", "ada@example" + ENTER)
        t.expect("email: 'ada@example' is not")
        # a text question starts empty too: the address typed again is the whole answer
        t.answer("Email address", "ada@example.com" + ENTER)
        enter_through(t, "short_extension")
        t.answer("Save this user?", ENTER)
        assert t.finish() == 0
    finally:
        t.close()
    user = stored_user(account, "101")
    assert user["email"] == "ada@example.com"
    credentials = user["credentials"]
    assert isinstance(credentials, dict)
    assert hashing.verify_secret("583920", credentials["pin_hash"])
