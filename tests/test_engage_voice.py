"""Engage Voice access (SPEC 1, "Engage Voice access"): an administrator imports assigned users
from the account, giving each Agent, Admin or both access (an agent group for agents); the
import copies name and email. Only assigned users can be imported, and unassigning a user
removes their access with everything else of theirs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import prebuilt
from tests.helpers import assign, audit, refused, stored

ENGAGE_KEYS = {"access", "first_name", "last_name", "email", "imported_at"}


def engage(path: Path, number: str) -> dict[str, Any] | None:
    return stored(path, number).get("user", {}).get("engage_voice")


def listed(run) -> list[dict[str, Any]]:
    result = run("engage-voice", "list", "--format", "json")
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = json.loads(result.out)
    return rows


@pytest.fixture
def users(request: pytest.FixtureRequest, run, account: Path) -> Path:
    """Users on 101 (Ada), 102 (Bob) and 2201 (Cy); 103-105 and 2202-2203 are unassigned."""

    def build() -> None:
        assign(run, "101", "Ada", "Lovelace", "Ada@Acme.Example")
        assign(run, "102", "Bob", "Ng", "bob@acme.example")
        assign(run, "2201", "Cy", "Young", "cy@acme.example")

    return prebuilt(request, account, build)


# --- import -----------------------------------------------------------------------------------


def test_import_records_the_access_and_copies_name_and_email(run, users: Path) -> None:
    result = run(
        "engage-voice", "import", "101", "2201", "--access", "agent", "--agent-group", "Support"
    )

    assert result.code == 0, result.err
    assert result.out == ""
    assert result.err == "Engage Voice access agent for 2 user(s)\n"
    ada = engage(users, "101")
    assert ada is not None
    assert set(ada) == ENGAGE_KEYS | {"agent_group"}
    assert {k: ada[k] for k in ("access", "agent_group", "first_name", "last_name", "email")} == {
        "access": "agent",
        "agent_group": "Support",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "Ada@acme.example",
    }
    cy = engage(users, "2201")
    assert cy is not None
    assert (cy["first_name"], cy["last_name"], cy["email"]) == ("Cy", "Young", "cy@acme.example")
    assert engage(users, "102") is None

    rows = listed(run)
    assert [(r["extension"], r["access"], r.get("agent_group")) for r in rows] == [
        ("101", "agent", "Support"),
        ("2201", "agent", "Support"),
    ]
    assert {k: rows[0][k] for k in ("first_name", "last_name", "email")} == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "Ada@acme.example",
    }

    show = json.loads(run("extension", "show", "101", "--format", "json").out)
    assert show["user"]["engage_voice"]["access"] == "agent"
    assert show["user"]["engage_voice"]["agent_group"] == "Support"

    entries = [e for e in audit(users) if e["action"] == "engage-voice import"]
    assert [(e["extension"], e["changes"]) for e in entries] == [
        ("101", {"access": "agent", "agent_group": "Support"}),
        ("2201", {"access": "agent", "agent_group": "Support"}),
    ]


@pytest.mark.parametrize(
    ("args", "access", "group"),
    [
        (("--access", "agent"), "agent", None),
        (("--access", "agent", "--agent-group", "Sales West"), "agent", "Sales West"),
        (("--access", "admin"), "admin", None),
        (("--access", "both"), "both", None),
        (("--access", "both", "--agent-group", "Tier 2"), "both", "Tier 2"),
        (("--access", "ADMIN"), "admin", None),
        (("--access", "Both", "--agent-group", "  Tier 2  "), "both", "Tier 2"),
        (("--access", "agent", "--agent-group", "   "), "agent", None),
    ],
)
def test_each_kind_of_access(
    run, users: Path, args: tuple[str, ...], access: str, group: str | None
) -> None:
    result = run("engage-voice", "import", "102", *args)

    assert result.code == 0, result.err
    record = engage(users, "102")
    assert record is not None
    assert (record["access"], record.get("agent_group")) == (access, group)
    (row,) = listed(run)
    assert (row["extension"], row["access"], row.get("agent_group")) == ("102", access, group)


def test_a_number_given_twice_is_imported_once(run, users: Path) -> None:
    result = run("engage-voice", "import", "101", "101", "--access", "admin")
    assert result.code == 0, result.err
    assert result.err == "Engage Voice access admin for 1 user(s)\n"
    assert [e["extension"] for e in audit(users) if e["action"] == "engage-voice import"] == ["101"]


def test_importing_twice_is_a_conflict_unless_update(run, users: Path) -> None:
    assert run("engage-voice", "import", "101", "--access", "agent", "--agent-group", "A").code == 0
    before = users.read_bytes()

    result = run("engage-voice", "import", "102", "101", "--access", "both")
    refused(result, users, before, 5, "101", "--update")
    assert engage(users, "102") is None  # all or nothing: 102 was not imported either

    result = run("engage-voice", "import", "101", "--access", "agent", "--agent-group", "A")
    refused(result, users, before, 5, "101")

    result = run("engage-voice", "import", "102", "101", "--access", "both", "--update")
    assert result.code == 0, result.err
    assert result.err == "Engage Voice access both for 2 user(s)\n"
    assert [(r["extension"], r["access"], r.get("agent_group")) for r in listed(run)] == [
        ("101", "both", None),
        ("102", "both", None),
    ]

    result = run("engage-voice", "import", "101", "--access", "admin", "--update")
    assert result.code == 0, result.err
    record = engage(users, "101")
    assert record is not None
    assert record["access"] == "admin" and "agent_group" not in record


def test_only_assigned_users_can_be_imported(run, users: Path) -> None:
    before = users.read_bytes()

    result = run("engage-voice", "import", "101", "103", "2202", "--access", "agent")

    refused(result, users, before, 5, "103, 2202", "unassigned")
    assert listed(run) == []
    assert "user" not in stored(users, "103")


def test_the_agent_group_is_for_agents_only(run, users: Path) -> None:
    before = users.read_bytes()
    result = run("engage-voice", "import", "101", "--access", "admin", "--agent-group", "Support")
    refused(result, users, before, 3, "agent group", "agents only")

    assert run("engage-voice", "import", "101", "--access", "agent", "--agent-group", "S").code == 0
    before = users.read_bytes()
    result = run(
        "engage-voice", "import", "101", "--access", "admin", "--agent-group", "S", "--update"
    )
    refused(result, users, before, 3, "agent group")
    record = engage(users, "101")
    assert record is not None and record["access"] == "agent"


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        (("101",), 2, ("--access",)),
        (("101", "--access", ""), 2, ("--access",)),
        (("--access", "agent"), 2, ("Missing argument",)),
        (("101", "--access", "boss"), 3, ("access", "boss")),
        (("101", "--access", "agent,admin"), 3, ("access",)),
        (("4444", "--access", "agent"), 4, ("4444",)),
        (("101", "4444", "--access", "agent"), 4, ("4444",)),
        (("abc", "--access", "agent"), 3, ("abc",)),
        (("911", "--access", "agent"), 3, ("911",)),
        (("101", "--access", "agent", "--agent-group", "x" * 65), 3, ("agent group",)),
        (("101", "--access", "agent", "--agent-group", "a\x07b"), 3, ("agent group",)),
        (("101", "--access", "agent", "--group", "S"), 2, ("No such option",)),
    ],
)
def test_a_refused_import_changes_nothing(
    run, users: Path, args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    before = users.read_bytes()
    result = run("engage-voice", "import", *args)
    refused(result, users, before, code, *fragments)
    assert listed(run) == []


# --- list -------------------------------------------------------------------------------------


def test_list_formats(run, users: Path) -> None:
    assert run("engage-voice", "list", "--format", "json").out.strip() == "[]"
    assert (
        run("engage-voice", "import", "2201", "--access", "agent", "--agent-group", "S").code == 0
    )
    assert run("engage-voice", "import", "101", "--access", "admin").code == 0

    result = run("engage-voice", "list", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert result.out.splitlines()[0] == (
        "extension,first_name,last_name,email,access,agent_group,imported_at"
    )
    assert [
        (r["extension"], r["first_name"], r["last_name"], r["email"], r["access"], r["agent_group"])
        for r in rows
    ] == [
        ("101", "Ada", "Lovelace", "Ada@acme.example", "admin", ""),
        ("2201", "Cy", "Young", "cy@acme.example", "agent", "S"),
    ]
    assert all(r["imported_at"] for r in rows)

    table = run("engage-voice", "list")
    assert table.code == 0
    assert "Lovelace" in table.out and "Young" in table.out and "Ng" not in table.out


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--format", "xml"), 2, "--format"),
        (("101",), 2, "unexpected extra argument"),
        (("--site", "Boston"), 2, "No such option"),
    ],
)
def test_bad_list_inputs(run, users: Path, args: tuple[str, ...], code: int, fragment: str) -> None:
    before = users.read_bytes()
    result = run("engage-voice", "list", *args)
    refused(result, users, before, code, fragment)


# --- remove -----------------------------------------------------------------------------------


def test_remove(run, users: Path) -> None:
    assert run("engage-voice", "import", "101", "102", "2201", "--access", "both").code == 0

    result = run("engage-voice", "remove", "101", "2201")

    assert result.code == 0, result.err
    assert result.err == "removed Engage Voice access of 2 user(s)\n"
    assert engage(users, "101") is None and engage(users, "2201") is None
    assert stored(users, "101")["user"]["first_name"] == "Ada"  # the user stays
    assert [r["extension"] for r in listed(run)] == ["102"]
    removed = [e["extension"] for e in audit(users) if e["action"] == "engage-voice remove"]
    assert removed == ["101", "2201"]


def test_remove_a_number_given_twice(run, users: Path) -> None:
    assert run("engage-voice", "import", "101", "--access", "admin").code == 0
    result = run("engage-voice", "remove", "101", "101")
    assert result.code == 0, result.err
    assert result.err == "removed Engage Voice access of 1 user(s)\n"
    assert listed(run) == []


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        (("102",), 5, ("102", "no Engage Voice access")),
        (("101", "102"), 5, ("102",)),
        (("101", "103"), 5, ("103", "unassigned")),
        (("4444",), 4, ("4444",)),
        (("abc",), 3, ("abc",)),
        ((), 2, ("Missing argument",)),
        (("101", "--all"), 2, ("No such option",)),
    ],
)
def test_a_refused_remove_changes_nothing(
    run, users: Path, args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    assert run("engage-voice", "import", "101", "--access", "admin").code == 0
    before = users.read_bytes()
    result = run("engage-voice", "remove", *args)
    refused(result, users, before, code, *fragments)
    assert [r["extension"] for r in listed(run)] == ["101"]


# --- unassign takes the access away -----------------------------------------------------------


def test_unassign_removes_the_access_with_the_user(
    run, account: Path, secret_args: list[str]
) -> None:
    assign(run, "101", "Ada", "Lovelace", "ada@acme.example", *secret_args, "--recording", "both")
    assign(run, "102", "Bob", "Ng", "bob@acme.example")
    assert run("engage-voice", "import", "101", "102", "--access", "agent").code == 0
    ada = stored(account, "101")
    assert ada["status"] == "enabled" and "password_hash" in ada["user"]["credentials"]

    result = run("unassign", "101", "--yes")

    assert result.code == 0, result.err
    assert stored(account, "101") == {"number": "101", "site": "Main Site", "status": "unassigned"}
    text = account.read_text("utf-8")
    assert "ada@acme.example" not in text and "scrypt$" not in text
    assert [r["extension"] for r in listed(run)] == ["102"]
    assert json.loads(run("recording", "list", "--format", "json").out) == []
    (entry,) = [e for e in audit(account) if e["action"] == "unassign"]
    assert entry["extension"] == "101"
    assert entry["changes"]["engage_voice_removed"] is True

    # the extension is free again, and a new user there starts without access
    assign(run, "101", "Zoe", "Park", "zoe@acme.example")
    assert engage(account, "101") is None
    assert [r["extension"] for r in listed(run)] == ["102"]
    before = account.read_bytes()
    refused(run("engage-voice", "remove", "101"), account, before, 5, "101")
