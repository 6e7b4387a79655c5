"""set-recording: automatic call recording for assigned users, several at once, by site, or all
(SPEC 1 "Automatic call recording": off / inbound / outbound / both, the platform's
callDirection Inbound / Outbound / All). Read back through `extension show`, `extension list`
and `recording list`; a refusal changes nothing."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import prebuilt
from tests.helpers import assign, audit, refused

PLATFORM = {"inbound": "Inbound", "outbound": "Outbound", "both": "All"}


def stored_recording(path: Path) -> dict[str, str | None]:
    """Extension number -> the user's stored recording (None: no user)."""
    doc = tomllib.loads(path.read_text("utf-8"))
    return {e["number"]: e.get("user", {}).get("recording") for e in doc["extensions"]}


def json_out(run, *args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def shown(run, number: str) -> str | None:
    user = json_out(run, "extension", "show", number)["user"]
    return None if user is None else user["recording"]


def listed(run) -> dict[str, str | None]:
    return {row["extension"]: row["recording"] for row in json_out(run, "extension", "list")}


def recording_list(run, *args: str) -> list[tuple[str, str, str]]:
    return [
        (row["extension"], row["recording"], row["call_direction"])
        for row in json_out(run, "recording", "list", *args)
    ]


@pytest.fixture
def users(request: pytest.FixtureRequest, run, account: Path) -> Path:
    """Acme with users on 101, 102 (Main Site) and 2201, 2202 (Boston); 103-105 and 2203 are
    unassigned."""

    def build() -> None:
        assign(run, "101", "Ada", "Lovelace", "ada@acme.example")
        assign(run, "102", "Bob", "Ng", "bob@acme.example")
        assign(run, "2201", "Cy", "Young", "cy@acme.example")
        assign(run, "2202", "Dee", "Ray", "dee@acme.example")

    return prebuilt(request, account, build)


NOBODY = {"103": None, "104": None, "105": None, "2203": None}


def test_several_extensions_at_once(run, users: Path) -> None:
    result = run("set-recording", "101", "102", "--direction", "both")

    assert result.code == 0, result.err
    assert result.out == ""
    assert result.err == "recording both on 2 extension(s) (2 changed)\n"
    assert stored_recording(users) == {
        "101": "both",
        "102": "both",
        "2201": "off",
        "2202": "off",
        **NOBODY,
    }
    assert shown(run, "101") == shown(run, "102") == "both"
    assert shown(run, "2201") == "off"
    assert shown(run, "103") is None
    assert listed(run) == stored_recording(users)
    assert json_out(run, "recording", "list") == [
        {
            "extension": "101",
            "name": "Ada Lovelace",
            "site": "Main Site",
            "recording": "both",
            "call_direction": "All",
        },
        {
            "extension": "102",
            "name": "Bob Ng",
            "site": "Main Site",
            "recording": "both",
            "call_direction": "All",
        },
    ]


@pytest.mark.parametrize("direction", ["inbound", "outbound", "both"])
def test_each_direction_is_the_platform_call_direction(run, users: Path, direction: str) -> None:
    assert run("set-recording", "102", "2201", "--direction", direction).code == 0

    assert shown(run, "102") == shown(run, "2201") == direction
    assert recording_list(run) == [
        ("102", direction, PLATFORM[direction]),
        ("2201", direction, PLATFORM[direction]),
    ]
    assert recording_list(run, "--site", "Boston") == [("2201", direction, PLATFORM[direction])]
    csv_lines = run("recording", "list", "--format", "csv").out.splitlines()
    assert csv_lines[0] == "extension,name,site,recording,call_direction"
    assert csv_lines[1] == f"102,Bob Ng,Main Site,{direction},{PLATFORM[direction]}"


def test_off_takes_a_user_off_the_recording_list(run, users: Path) -> None:
    assert run("set-recording", "101", "102", "--direction", "inbound").code == 0
    result = run("set-recording", "101", "--direction", "off")

    assert result.code == 0, result.err
    assert stored_recording(users)["101"] == "off"
    assert shown(run, "101") == "off"
    assert recording_list(run) == [("102", "inbound", "Inbound")]


@pytest.mark.parametrize("spelling", ["BOTH", "Both", " both "])
def test_the_direction_is_matched_case_insensitively(run, users: Path, spelling: str) -> None:
    result = run("set-recording", "101", "--direction", spelling)
    assert result.code == 0, result.err
    assert result.err == "recording both on 1 extension(s) (1 changed)\n"
    assert stored_recording(users)["101"] == "both"


@pytest.mark.parametrize(
    ("site", "changed"),
    [("Boston", ["2201", "2202"]), ("boston", ["2201", "2202"]), ("Main Site", ["101", "102"])],
)
def test_by_site(run, users: Path, site: str, changed: list[str]) -> None:
    result = run("set-recording", "--site", site, "--direction", "outbound")

    assert result.code == 0, result.err
    assert result.err == "recording outbound on 2 extension(s) (2 changed)\n"
    expected = {n: ("outbound" if n in changed else "off") for n in ("101", "102", "2201", "2202")}
    assert stored_recording(users) == {**expected, **NOBODY}
    assert listed(run) == {**expected, **NOBODY}
    assert [row[0] for row in recording_list(run)] == changed


def test_all_assigned_extensions_and_only_those(run, users: Path) -> None:
    result = run("set-recording", "--all", "--direction", "inbound")

    assert result.code == 0, result.err
    assert result.err == "recording inbound on 4 extension(s) (4 changed)\n"
    assigned = dict.fromkeys(("101", "102", "2201", "2202"), "inbound")
    assert stored_recording(users) == {**assigned, **NOBODY}  # unassigned ones get no user
    assert recording_list(run) == [(n, "inbound", "Inbound") for n in assigned]


def test_a_site_without_users_changes_nothing(run, account: Path) -> None:
    assign(run, "101", "Ada", "Lovelace", "ada@acme.example")
    before = account.read_bytes()
    result = run("set-recording", "--site", "Boston", "--direction", "both")
    assert result.code == 0, result.err
    assert result.err == "recording both on 0 extension(s) (0 changed)\n"
    assert account.read_bytes() == before


def test_setting_the_same_direction_again_writes_nothing(run, users: Path) -> None:
    assert run("set-recording", "101", "102", "--direction", "both").code == 0
    before, entries = users.read_bytes(), audit(users)

    result = run("set-recording", "101", "102", "--direction", "both")

    assert result.code == 0, result.err
    assert result.err == "recording both on 2 extension(s) (0 changed)\n"
    assert users.read_bytes() == before
    assert audit(users) == entries


def test_each_change_is_in_the_audit_log(run, users: Path) -> None:
    assert run("set-recording", "101", "--direction", "inbound").code == 0
    assert run("set-recording", "101", "102", "--direction", "both").code == 0

    entries = [e for e in audit(users) if e["action"] == "set-recording"]
    assert [(e["extension"], e["changes"]) for e in entries] == [
        ("101", {"recording": "inbound", "previous": "off"}),
        ("101", {"recording": "both", "previous": "inbound"}),
        ("102", {"recording": "both", "previous": "off"}),
    ]
    assert all(e["command"] == "set-recording" for e in entries)


def test_a_recording_chosen_at_assignment_shows_everywhere(run, account: Path) -> None:
    result = run(
        "assign",
        "2203",
        "--setup",
        "later",
        "--first-name",
        "Eve",
        "--last-name",
        "Stone",
        "--email",
        "eve@acme.example",
        "--recording",
        "outbound",
        "--no-input",
    )
    assert result.code == 0, result.err
    assert shown(run, "2203") == "outbound"
    assert recording_list(run) == [("2203", "outbound", "Outbound")]


# --- refusals: exit code, one line, nothing written -------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        (("101", "103", "--direction", "both"), 5, ("103", "unassigned")),
        (("103", "101", "104", "--direction", "off"), 5, ("103, 104", "unassigned")),
        (("2203", "--direction", "inbound"), 5, ("2203",)),
        (("101", "--direction", "sideways"), 3, ("recording", "sideways")),
        (("101", "--direction", "all"), 3, ("recording", "'all'")),
        (("101",), 2, ("--direction",)),
        (("101", "--direction", ""), 2, ("--direction",)),
        (("--direction", "both"), 2, ("--all",)),
        (("101", "--all", "--direction", "both"), 2, ("--all",)),
        (("--site", "Boston", "--all", "--direction", "both"), 2, ("--site",)),
        (("101", "--site", "Boston", "--direction", "both"), 2, ("--site",)),
        (("--site", "Nowhere", "--direction", "both"), 4, ("Nowhere",)),
        (("4444", "--direction", "both"), 4, ("4444",)),
        (("101", "4444", "--direction", "both"), 4, ("4444",)),
        (("abc", "--direction", "both"), 3, ("abc",)),
        (("911", "--direction", "both"), 3, ("911",)),
        (("0101", "--direction", "both"), 3, ("0101",)),
        (("101", "--direction", "both", "--colour"), 2, ("No such option",)),
        (("101", "--direction"), 2, ("--direction",)),
    ],
)
def test_a_refused_set_recording_changes_nothing(
    run, users: Path, args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    assert run("set-recording", "102", "--direction", "inbound").code == 0
    before, entries = users.read_bytes(), audit(users)

    result = run("set-recording", *args)

    refused(result, users, before, code, *fragments)
    assert audit(users) == entries
    assert stored_recording(users)["101"] == "off"


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("recording", "list", "--site", "Nowhere"), 4, "Nowhere"),
        (("recording", "list", "--format", "xml"), 2, "--format"),
        (("recording", "list", "extra"), 2, "extra"),
        (("extension", "show", "4444", "--format", "json"), 4, "4444"),
        (("extension", "show", "abc", "--format", "json"), 3, "abc"),
    ],
)
def test_bad_inputs_to_the_readers(
    run, users: Path, args: tuple[str, ...], code: int, fragment: str
) -> None:
    before = users.read_bytes()
    result = run(*args)
    assert result.code == code, (result.code, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert fragment in result.err
    assert users.read_bytes() == before


def test_an_empty_recording_list(run, users: Path) -> None:
    assert json_out(run, "recording", "list") == []
    assert run("recording", "list", "--format", "csv").out.splitlines() == [
        "extension,name,site,recording,call_direction"
    ]
