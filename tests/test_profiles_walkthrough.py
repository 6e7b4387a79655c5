"""Issue 26, end to end: the real `extadmin assign` walkthrough in a pseudo-terminal, choosing a
profile and changing one of the answers it pre-filled. (The walkthrough's logic with profiles,
through the fake prompter, is in test_profiles.py.)

The `account` fixture (conftest) gives Main Site with 101-105 and Boston (code 2) with
2201-2203."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ok
from tests.pty_helpers import BACKSPACE, ENTER, UP, Terminal, enter_through

pytestmark = pytest.mark.timeout(120)

XTERM = {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
DUMB = {"TERM": "dumb"}
# the first choice of the profiles (the cursor starts on "None", the last): the arrow up at a
# terminal, its number at a dumb one
FIRST = {"xterm": UP + ENTER, "dumb": "1" + ENTER}
# the pre-filled department replaced: erased and typed at a terminal; a dumb terminal's line
# offers it in brackets, and what is typed replaces it
REPLACE = {"xterm": BACKSPACE * len("Sales") + "Field sales" + ENTER, "dumb": "Field sales" + ENTER}


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


def reviewed(label: str, value: str) -> str:
    return f"  {label:<26} {value}"


@pytest.mark.parametrize("kind", ["xterm", "dumb"])
def test_choosing_a_profile_prefills_the_answers_and_one_is_changed(
    account: Path, run: Any, terminals: list[Terminal], kind: str
) -> None:
    ok(run("profile", "add", "Sales", "--setup", "later", "--department", "Sales",
           "--role", "Manager", "--recording", "both", "--language", "fr-FR"))  # fmt: skip
    t = Terminal("assign", env=XTERM if kind == "xterm" else DUMB, timeout=30)
    terminals.append(t)

    assert "Step 1 of 8: Profile" in t.question("Profile")
    t.send(FIRST[kind])
    assert "From profile Sales" in t.question("Extension to assign")
    t.send("104" + ENTER)
    t.answer("Setup option", ENTER)  # the profile's: Activate later
    t.answer("First name", "Ada" + ENTER)
    t.answer("Last name", "Lovelace" + ENTER)
    t.answer("Email address", "ada@example.com" + ENTER)
    enter_through(t, "short_extension", "department")
    t.answer("Department", REPLACE[kind])  # the one pre-filled answer changed
    enter_through(t, "site")  # every other answer as the profile gave it
    review = t.question("Save this user?")
    for label, value in (
        ("Profile", "Sales"),
        ("Setup option", "Activate later"),
        ("Department", "Field sales"),
        ("Assigned role", "Manager"),
        ("User language", "French (France) (fr-FR)"),
        ("Automatic call recording", "Inbound and outbound calls"),
    ):
        assert reviewed(label, value) in review, review
    t.send(ENTER)  # Save
    t.expect("assigned extension 104 to Ada Lovelace (not-activated)")
    assert t.finish() == 0

    doc = tomllib.loads(account.read_text())
    user = next(e for e in doc["extensions"] if e["number"] == "104")["user"]
    assert (user["setup"], user["department"], user["role"]) == ("later", "Field sales", "Manager")
    assert (user["recording"], user["language"], user["greeting_language"]) == (
        "both", "fr-FR", "fr-FR",
    )  # fmt: skip
    assert doc["profiles"][0]["department"] == "Sales"  # the profile itself is unchanged
