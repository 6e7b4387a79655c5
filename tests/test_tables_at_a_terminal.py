"""Issue 25: a table at a terminal never cuts a value. Its columns are as wide as their widest
value; when the rows are too wide for the terminal, each row is printed as a block of `key:
value` lines instead. The real program in a pseudo-terminal of 60 and 100 columns, users with
76-character email addresses and desk phones with long model names; what it shows is read
back (as a table or as records) and compared with the same command's rows into a pipe, where
every value is whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assign
from tests.pty_helpers import Terminal

pytestmark = pytest.mark.timeout(120)

XTERM = {"TERM": "xterm-256color"}

# 76 characters each
EMAILS = {
    "101": "ada.augusta.byron.king.countess.of.lovelace@analytical-engines1.acme.example",
    "102": "grace.brewster.murray.hopper.rear.admiral@compiler-division.nav.acme.example",
    "2201": "alan.mathison.turing.fellow.of.kings.college@bletchley-park.cod.acme.example",
}
DEVICES = {
    "301": ("Polycom VVX 450 Business IP Desk Phone, Obsidian Black", "0004f2abcd01"),
    "302": ("Yealink SIP-T58W Pro Smart Business Phone with Camera", "805ec0123402"),
}


@pytest.fixture
def crowded(account: Path, run: Any) -> Path:
    """The conftest account, three users with 76-character addresses (one of them an
    administrator), two unassigned extensions with long desk phone models."""
    assert all(len(email) == 76 for email in EMAILS.values())
    assign(run, "101", "Ada", "Lovelace", EMAILS["101"])
    assign(run, "102", "Grace", "Hopper", EMAILS["102"], "--role", "Super Admin")
    assign(run, "2201", "Alan", "Turing", EMAILS["2201"], "--department", "Cryptanalysis")
    for number, (model, mac) in DEVICES.items():
        done = run("extension", "add", number, "--device", model, "--mac", mac)
        assert done.code == 0, done.err
    return account


def piped(run: Any, command: list[str]) -> list[list[str]]:
    """The command's rows (header first) as printed into a pipe: tab-separated, whole."""
    done = run(*command)
    assert done.code == 0, done.err
    return [line.split("\t") for line in done.out.splitlines()]


def shown(account: Path, command: list[str], columns: int) -> list[str]:
    """The lines the command prints in a terminal `columns` wide (escape sequences removed)."""
    t = Terminal("--account", str(account), *command, env=XTERM, columns=columns, timeout=60)
    try:
        assert t.finish() == 0, t.screen
    finally:
        t.close()
    return t.screen.splitlines()


def read_table(lines: list[str]) -> list[list[str]]:
    """The body of a rich table: one row per `│` line (a value never wraps onto a second)."""
    return [[cell.strip() for cell in line.strip("│").split("│")] for line in lines if "│" in line]


def read_records(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """Blocks of `key: value` lines, a blank line between them: the keys, and the values of
    each block."""
    blocks: list[list[tuple[str, str]]] = [[]]
    for line in lines:
        if not line.strip():
            blocks.append([])
            continue
        key, _, value = line.partition(":")
        blocks[-1].append((key, value.strip()))
    blocks = [block for block in blocks if block]
    keys = [key for key, _ in blocks[0]]
    assert all([key for key, _ in block] == keys for block in blocks), blocks
    return keys, [[value for _, value in block] for block in blocks]


COMMANDS = [["list-unassigned"], ["extension", "list"], ["users", "list"]]


@pytest.mark.parametrize("columns", [60, 100])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_value_is_shown_whole_at_any_width(
    crowded: Path, run: Any, command: list[str], columns: int
) -> None:
    header, *rows = piped(run, command)
    lines = shown(crowded, command, columns)
    text = "\n".join(lines)
    assert "…" not in text and "..." not in text
    if "┃" in text:  # a table: the whole of it within the terminal, each row on one line
        assert all(len(line) <= columns for line in lines), text
        assert read_table(lines) == rows
    else:  # records: what does not fit is the value alone, never a table line
        assert read_records(lines) == (header, rows)
        for line in lines:
            if len(line) > columns:
                key, _, value = line.partition(": ")
                assert key.strip() in header and value.strip() in text, line
    for row in rows:
        for value in row:
            assert any(value in line for line in lines), value


def test_the_rows_that_fit_stay_a_table_and_the_others_turn_into_records(
    crowded: Path, run: Any
) -> None:
    """At 100 columns the extensions without a desk phone fit as a table; the users, with
    their 76-character addresses, do not: one block each, the values aligned."""
    free = shown(crowded, ["list-unassigned", "--no-device"], 100)
    assert free[0].startswith("┏") and all(len(line) <= 100 for line in free), free
    assert "┃ Extension ┃ Short extension number ┃ Site      ┃ Device ┃ MAC ┃" in free
    assert read_table(free) == piped(run, ["list-unassigned", "--no-device"])[1:]
    users = shown(crowded, ["users", "list"], 100)
    assert not any("│" in line or "┃" in line for line in users)
    ada = users[: users.index("")]
    assert ada == [
        "Extension:                101",
        "Site:                     Main Site",
        "Status:                   not-activated",
        "First name:               Ada",
        "Last name:                Lovelace",
        f"Email address:            {EMAILS['101']}",
        "Assigned role:            Standard User (International)",
        "Department:",
        "Automatic call recording: off",
    ]


def test_a_title_wraps_at_its_words_before_a_table_turns_into_records(
    crowded: Path, run: Any
) -> None:
    """A title is no value: at 60 columns "Short extension number" wraps rather than turning
    the list into records; at 50 even its longest word leaves no room for the values."""
    rows = piped(run, ["list-unassigned", "--no-device"])[1:]
    at_60 = shown(crowded, ["list-unassigned", "--no-device"], 60)
    assert at_60[0].startswith("┏") and all(len(line) <= 60 for line in at_60), at_60
    assert at_60[1].split("┃")[2].strip() == "Short extension"
    assert at_60[2].split("┃")[2].strip() == "number"
    assert read_table(at_60) == rows
    at_50 = shown(crowded, ["list-unassigned", "--no-device"], 50)
    assert read_records(at_50)[1] == rows


def test_into_a_pipe_the_rows_are_tab_separated_as_before(crowded: Path, run: Any) -> None:
    header, *rows = piped(run, ["users", "list"])
    assert header == [
        "Extension", "Site", "Status", "First name", "Last name", "Email address",
        "Assigned role", "Department", "Automatic call recording",
    ]  # fmt: skip
    assert ["101", "Main Site", "not-activated", "Ada", "Lovelace", EMAILS["101"],
            "Standard User (International)", "", "off"] in rows  # fmt: skip
