"""A user's life after assignment: unassign (back to unassigned, kept in the audit log),
disable / enable (the platform's statuses), and `users list` with its filters and formats.
And every life-cycle command's bad inputs: the SPEC 2 exit code, one line on standard error,
no traceback, the account file byte-identical."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import prebuilt
from tests.helpers import assign, audit, refused, stored

USER_KEYS = {
    "extension",
    "site",
    "status",
    "first_name",
    "last_name",
    "email",
    "role",
    "department",
    "recording",
}


def status(path: Path, number: str) -> str:
    return str(stored(path, number)["status"])


@pytest.fixture
def users(request: pytest.FixtureRequest, run, account: Path, secret_args: list[str]) -> Path:
    """101 Ada (later, Manager, Sales), 102 Bob (credentials: enabled), 2201 Cy (later,
    Manager, Boston), 2202 Dee (later, Boston, disabled). 103-105 and 2203 are unassigned."""

    def build() -> None:
        assign(run, "101", "Ada", "Lovelace", "ada@acme.example", "--role", "Manager")
        assign(run, "102", "Bob", "Ng", "bob@acme.example", *secret_args, "--department", "Support")
        assign(run, "2201", "Cy", "Young", "cy@acme.example", "--role", "manager")
        assign(run, "2202", "Dee", "Ray", "dee@acme.example", "--department", "Sales")
        assert run("disable", "2202").code == 0

    return prebuilt(request, account, build)


# --- unassign ---------------------------------------------------------------------------------


def test_unassign_returns_the_extension_to_unassigned(run, users: Path) -> None:
    assert run("set-recording", "102", "--direction", "both").code == 0
    assert run("engage-voice", "import", "102", "--access", "admin").code == 0

    result = run("unassign", "102", "--yes")

    assert result.code == 0, result.err
    assert result.out == ""
    assert result.err == "extension 102 is unassigned (Bob Ng removed)\n"
    assert stored(users, "102") == {"number": "102", "site": "Main Site", "status": "unassigned"}
    text = users.read_text("utf-8")
    for gone in ("bob@acme.example", "scrypt$", "password_hash", "pin_hash", "engage_voice"):
        assert gone not in text
    show = json.loads(run("extension", "show", "102", "--format", "json").out)
    assert (show["status"], show["user"]) == ("unassigned", None)
    free = json.loads(run("list-unassigned", "--format", "json").out)
    assert "102" in [row["extension"] for row in free]
    assert json.loads(run("recording", "list", "--format", "json").out) == []

    entry = audit(users)[-1]
    assert (entry["action"], entry["command"], entry["extension"]) == (
        "unassign",
        "unassign",
        "102",
    )
    assert entry["changes"] == {
        "previous_status": "enabled",
        "user": "Bob Ng",
        "email": "bob@acme.example",
        "engage_voice_removed": True,
    }
    log = users.with_name("acme.audit.jsonl").read_text("utf-8")
    assert "scrypt" not in log and "Zebra7" not in log and "fluffy" not in log


@pytest.mark.parametrize(
    ("number", "previous"),
    [("101", "not-activated"), ("102", "enabled"), ("2202", "disabled")],
)
def test_unassign_from_every_status(run, users: Path, number: str, previous: str) -> None:
    assert status(users, number) == previous
    result = run("unassign", number, "-y")
    assert result.code == 0, result.err
    assert status(users, number) == "unassigned"
    assert "user" not in stored(users, number)
    assert audit(users)[-1]["changes"]["previous_status"] == previous


def test_after_unassign_the_email_and_the_extension_are_free(run, users: Path) -> None:
    assert run("verify-email", "ada@acme.example").code == 5
    assert run("unassign", "101", "--yes").code == 0

    assert run("verify-email", "Ada@Acme.Example").code == 0
    assign(run, "103", "Ada", "Lovelace", "ada@acme.example")
    assign(run, "101", "Zoe", "Park", "zoe@acme.example")
    assert stored(users, "101")["user"]["first_name"] == "Zoe"
    assert stored(users, "103")["user"]["email"] == "ada@acme.example"


@pytest.mark.parametrize("flags", [(), ("--no-input",)])
def test_unassign_without_yes_and_no_terminal_changes_nothing(
    run, users: Path, flags: tuple[str, ...]
) -> None:
    before, entries = users.read_bytes(), audit(users)
    result = run("unassign", "101", *flags)
    refused(result, users, before, 2, "--yes", "Ada Lovelace", "101")
    assert audit(users) == entries


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        (("103", "--yes"), 5, ("103", "unassigned")),
        (("103",), 5, ("103",)),
        (("4444", "--yes"), 4, ("4444",)),
        (("abc", "--yes"), 3, ("abc",)),
        (("911", "--yes"), 3, ("911",)),
        (("--yes",), 2, ("Missing argument",)),
        (("101", "102", "--yes"), 2, ("unexpected extra argument",)),
        (("101", "--force"), 2, ("No such option",)),
    ],
)
def test_a_refused_unassign_changes_nothing(
    run, users: Path, args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    before, entries = users.read_bytes(), audit(users)
    refused(run("unassign", *args), users, before, code, *fragments)
    assert audit(users) == entries


# --- disable / enable -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "active"),
    [("credentials", "enabled"), ("later", "not-activated"), ("invite", "not-activated")],
)
def test_disable_then_enable_returns_to_the_same_status(
    run, account: Path, secret_args: list[str], setup: str, active: str
) -> None:
    args = secret_args if setup == "credentials" else ["--setup", setup]
    assign(run, "101", "Ada", "Lovelace", "ada@acme.example", *args, "--department", "R&D")
    user = stored(account, "101")["user"]
    assert status(account, "101") == active

    result = run("disable", "101")
    assert result.code == 0, result.err
    assert result.err == "disabled 1 extension(s)\n"
    assert status(account, "101") == "disabled"
    assert stored(account, "101")["user"] == user  # the user keeps extension and settings
    assert audit(account)[-1]["changes"] == {"status": "disabled", "previous": active}

    result = run("enable", "101")
    assert result.code == 0, result.err
    assert result.err == "enabled 1 extension(s)\n"
    assert status(account, "101") == active
    assert stored(account, "101")["user"] == user
    assert audit(account)[-1]["changes"] == {"status": active, "previous": "disabled"}
    show = json.loads(run("extension", "show", "101", "--format", "json").out)
    assert show["status"] == active


def test_disable_and_enable_several(run, users: Path) -> None:
    result = run("disable", "101", "102", "2201")
    assert result.code == 0, result.err
    assert result.err == "disabled 3 extension(s)\n"
    assert [status(users, n) for n in ("101", "102", "2201")] == ["disabled"] * 3

    result = run("enable", "2202", "102", "2202")
    assert result.code == 0, result.err
    assert result.err == "enabled 2 extension(s)\n"
    assert [status(users, n) for n in ("101", "102", "2201", "2202")] == [
        "disabled",
        "enabled",
        "disabled",
        "not-activated",
    ]


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        (("disable", "2202"), 5, ("2202", "already disabled")),
        (("disable", "101", "2202"), 5, ("2202", "already disabled")),
        (("enable", "102"), 5, ("102", "enabled", "not disabled")),
        (("enable", "101"), 5, ("101", "not-activated", "not disabled")),
        (("enable", "2202", "102"), 5, ("102",)),
        (("disable", "103"), 5, ("103", "unassigned")),
        (("enable", "103"), 5, ("103", "unassigned")),
        (("disable", "101", "103", "104"), 5, ("103, 104",)),
        (("disable", "4444"), 4, ("4444",)),
        (("enable", "4444"), 4, ("4444",)),
        (("disable", "abc"), 3, ("abc",)),
        (("enable", "0101"), 3, ("0101",)),
        (("disable",), 2, ("Missing argument",)),
        (("enable",), 2, ("Missing argument",)),
        (("disable", "101", "--yes"), 2, ("No such option",)),
    ],
)
def test_a_refused_status_change_changes_nothing(
    run, users: Path, args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    before, entries = users.read_bytes(), audit(users)
    refused(run(*args), users, before, code, *fragments)
    assert audit(users) == entries
    assert [status(users, n) for n in ("101", "102", "2202")] == [
        "not-activated",
        "enabled",
        "disabled",
    ]


# --- users list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ((), ["101", "102", "2201", "2202"]),
        (("--site", "Boston"), ["2201", "2202"]),
        (("--site", "main site"), ["101", "102"]),
        (("--role", "Manager"), ["101", "2201"]),
        (("--role", "standard user (international)"), ["102", "2202"]),
        (("--role", "Super Admin"), []),
        (("--status", "enabled"), ["102"]),
        (("--status", "not-activated"), ["101", "2201"]),
        (("--status", "DISABLED"), ["2202"]),
        (("--site", "Boston", "--role", "Manager"), ["2201"]),
        (("--site", "Main Site", "--status", "enabled"), ["102"]),
        (("--site", "Boston", "--status", "enabled"), []),
        (("--role", "Manager", "--status", "not-activated", "--site", "Boston"), ["2201"]),
    ],
)
def test_users_list_filters(
    run, users: Path, filters: tuple[str, ...], expected: list[str]
) -> None:
    result = run("users", "list", *filters, "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [r["extension"] for r in rows] == expected
    assert all(set(r) >= USER_KEYS for r in rows)

    result = run("users", "list", *filters, "--format", "csv")
    assert result.code == 0, result.err
    assert [r["extension"] for r in csv.DictReader(io.StringIO(result.out))] == expected

    result = run("users", "list", *filters)
    assert result.code == 0, result.err
    for number in ("101", "102", "2201", "2202"):
        shown = [line.split("\t")[0] for line in result.out.splitlines()[1:]]  # a pipe: TSV
        assert (number in shown) == (number in expected), result.out


@pytest.mark.parametrize(
    ("filters", "code", "said"),
    [
        (("--role", "Chief Wizard"), 4, "role 'Chief Wizard' not found"),
        (("--site", "Atlantis"), 4, "site 'Atlantis' not found"),
        (("--status", "unassigned"), 3, "status"),
    ],
)
def test_users_list_refuses_a_filter_that_names_nothing_and_prints_nothing(
    run, users: Path, filters: tuple[str, ...], code: int, said: str
) -> None:
    for fmt in ("json", "csv", "table"):
        result = run("users", "list", *filters, "--format", fmt)
        assert result.code == code and result.out == "", (fmt, result.out)
        assert said in result.err and "Traceback" not in result.err


def test_an_empty_site_or_role_filters_nothing_and_set_recording_refuses_it(
    run, users: Path
) -> None:
    """`--site ""` and `--role ""` (a script's empty variable) list as no filter does, as they
    always have; `set-recording --site ""` would change every user: refused, nothing saved."""
    every = json.loads(run("users", "list", "--format", "json").out)
    for filters in (("--site", ""), ("--role", ""), ("--site", "", "--role", "")):
        result = run("users", "list", *filters, "--format", "json")
        assert result.code == 0 and json.loads(result.out) == every, filters
    assert run("extension", "list", "--site", "").out == run("extension", "list").out
    assert run("recording", "list", "--site", "").out == run("recording", "list").out
    before = users.read_bytes()
    for site in ("", "  "):
        result = run("set-recording", "--site", site, "--direction", "both")
        assert result.code == 3 and "site: must name a site" in result.err
    assert users.read_bytes() == before


def test_users_list_rows(run, users: Path) -> None:
    rows = json.loads(run("users", "list", "--format", "json").out)
    assert rows[0] == {
        "extension": "101",
        "site": "Main Site",
        "status": "not-activated",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@acme.example",
        "role": "Manager",
        "department": "",
        "recording": "off",
    }
    assert (rows[1]["status"], rows[1]["department"]) == ("enabled", "Support")
    assert (rows[3]["site"], rows[3]["status"]) == ("Boston", "disabled")
    assert rows[3]["role"] == "Standard User (International)"

    result = run("users", "list", "--format", "csv")
    lines = result.out.splitlines()
    assert lines[0] == "extension,site,status,first_name,last_name,email,role,department,recording"
    assert (
        lines[2]
        == "102,Main Site,enabled,Bob,Ng,bob@acme.example,Standard User (International),Support,off"
    )

    table = run("users", "list").out
    for heading in ("Extension", "Site", "Status", "First name", "Last name", "Email address",
                    "Assigned role"):  # fmt: skip
        assert heading in table
    assert "Lovelace" in table and "Young" in table and "disabled" in table


def test_users_list_follows_the_life_cycle(run, users: Path) -> None:
    assert run("unassign", "2201", "--yes").code == 0
    assert run("enable", "2202").code == 0
    assert run("set-recording", "101", "--direction", "inbound").code == 0

    rows = json.loads(run("users", "list", "--format", "json").out)
    assert [(r["extension"], r["status"], r["recording"]) for r in rows] == [
        ("101", "not-activated", "inbound"),
        ("102", "enabled", "off"),
        ("2202", "not-activated", "off"),
    ]


def test_users_list_on_an_account_without_users(run, account: Path) -> None:
    assert json.loads(run("users", "list", "--format", "json").out) == []
    csv_out = run("users", "list", "--format", "csv").out
    assert csv_out.splitlines() == [
        "extension,site,status,first_name,last_name,email,role,department,recording"
    ]


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        (("--role", "Astronaut"), 4, ("Astronaut", "role")),
        (("--site", "Nowhere"), 4, ("Nowhere",)),
        (("--status", "unassigned"), 3, ("status", "unassigned")),
        (("--status", "active"), 3, ("status", "active")),
        (("--format", "xml"), 2, ("--format",)),
        (("--status",), 2, ("--status",)),
        (("101",), 2, ("unexpected extra argument",)),
        (("--department", "Sales"), 2, ("No such option",)),
    ],
)
def test_bad_users_list_inputs(
    run, users: Path, args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    before = users.read_bytes()
    refused(run("users", "list", *args), users, before, code, *fragments)


# --- every life-cycle command without a usable account file -----------------------------------

COMMANDS = [
    ("verify-email", "ada@acme.example"),
    ("set-recording", "101", "--direction", "both"),
    ("recording", "list"),
    ("engage-voice", "import", "101", "--access", "agent"),
    ("engage-voice", "list"),
    ("engage-voice", "remove", "101"),
    ("users", "list"),
    ("unassign", "101", "--yes"),
    ("disable", "101"),
    ("enable", "101"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_missing_account_file_is_not_found(run, tmp_path: Path, command: tuple[str]) -> None:
    result = run("--account", tmp_path / "missing.toml", *command)
    assert result.code == 4, (result.code, result.err)
    assert result.out == "" and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "missing.toml" in result.err
    assert not (tmp_path / "missing.toml").exists()


@pytest.mark.parametrize("command", COMMANDS[1:], ids=lambda c: " ".join(c[:2]))
def test_no_account_at_all_says_how_to_create_one(run, command: tuple[str]) -> None:
    result = run(*command)
    assert result.code == 4, (result.code, result.err)
    assert result.out == "" and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "extadmin init" in result.err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00garbage\x80", b"schema_version = 1\n[account\n", b"schema_version = 99\n"],
    ids=["garbage-bytes", "malformed", "unknown-schema"],
)
def test_an_unreadable_account_file_is_exit_6_and_left_alone(
    run, account: Path, command: tuple[str], content: bytes
) -> None:
    account.write_bytes(content)
    result = run("--account", account, *command)
    assert result.code == 6, (result.code, result.err)
    assert result.out == "" and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "acme.toml" in result.err
    assert account.read_bytes() == content
