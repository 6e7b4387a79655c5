"""The foundation through the real command line: init, sites, roles, extensions and
list-unassigned. Every change is checked three ways: the output, the account file reloaded from
disk, and the audit log beside it."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from extadmin.domain.catalog import PREDEFINED_ROLES
from extadmin.domain.model import SCHEMA_VERSION
from extadmin.storage.store import AccountStore
from tests.helpers import audit, audit_path, load, ok, stored

MAC = "00:04:F2:AB:CD:EF"
SECRET_WORDS = ("password", "pin", "answer", "token", "hash", "secret")


# --- helpers ----------------------------------------------------------------------------------


def stored_numbers(path: Path) -> list[str]:
    return sorted((e["number"] for e in load(path).get("extensions", [])), key=int)


def check_entries(entries: list[dict[str, Any]], command: str) -> None:
    """Every audit entry: when, who, which command, and never anything secret."""
    for entry in entries:
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None
        assert entry["user"] == getpass.getuser()
        assert entry["command"] == command
        flat = json.dumps(entry).lower()
        for word in SECRET_WORDS:
            assert word not in flat, entry


class Audit:
    """The audit entries appended since this object was made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = len(audit(path)) if audit_path(path).exists() else 0

    def new(self) -> list[dict[str, Any]]:
        return audit(self.path)[self.start :]


def table_rows(out: str) -> list[list[str]]:
    """The cells of a table, one list per row (the header row included): tab-separated, as a
    table is printed into a pipe, or a rich table as at a terminal."""
    if "\t" in out:
        return [line.split("\t") for line in out.splitlines()]
    rows = []
    for line in out.splitlines():
        line = line.strip()
        if line[:1] in ("│", "┃", "|"):
            for bar in ("┃", "|"):
                line = line.replace(bar, "│")
            rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture
def assigned(account: Path) -> Path:
    """The conftest account plus extension 106, assigned to a user with credentials (written
    through the store, as `assign` will)."""
    with AccountStore(account).transaction("test setup") as acct:
        acct.add_extension(
            {
                "number": "106",
                "site": "Main Site",
                "status": "enabled",
                "user": {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": "ada@acme.example",
                    "role": "Standard User",
                    "language": "en-US",
                    "greeting_language": "en-US",
                    "regional_format": "en-US",
                    "recording": "both",
                    "setup": "credentials",
                    "credentials": {
                        "password_hash": "scrypt$n=16384$SECRETPASSWORDHASH",
                        "pin_hash": "scrypt$n=16384$SECRETPINHASH",
                        "security_question": "What was the name of your first pet?",
                        "security_answer_hash": "scrypt$n=16384$SECRETANSWERHASH",
                        "temporary_password": True,
                    },
                },
            }
        )
        acct.record("test setup", "106")
    return account


# --- init -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_init_creates_a_private_account_file(run, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"acme{suffix}"
    old_umask = os.umask(0)  # even a permissive umask must not open the file to others
    try:
        result = ok(
            run("init", path, "--name", "Acme Corp", "--country", "gb", "--locale", "en-GB")
        )
    finally:
        os.umask(old_umask)
    assert result.out == ""
    assert "Acme Corp" in result.err and str(path) in result.err

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(audit_path(path).stat().st_mode) == 0o600
    doc = load(path)  # parses with the standard library: real TOML / real JSON
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["account"] == {
        "name": "Acme Corp",
        "country": "GB",
        "locale": "en-GB",
        "default_role": "Standard User (International)",
    }
    assert doc["roles"] == list(PREDEFINED_ROLES)
    assert doc["sites"] == [{"name": "Main Site"}]
    assert doc.get("extensions", []) == []
    entries = audit(path)
    assert [e["action"] for e in entries] == ["init"]
    check_entries(entries, "init")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_init_registers_the_account_and_makes_it_current(run, tmp_path: Path, suffix: str) -> None:
    first, second = tmp_path / f"first{suffix}", tmp_path / f"second{suffix}"
    ok(run("init", first, "--name", "First"))
    ok(run("init", second, "--name", "Second"))

    listed = json.loads(ok(run("account", "list", "--format", "json")).out)
    assert [(a["path"], a["name"], a["current"]) for a in listed] == [
        (str(first), "First", False),
        (str(second), "Second", True),
    ]
    assert ok(run("account", "show")).out.strip() == str(second)
    # a command without --account now works on the new account
    ok(run("extension", "add", "150"))
    assert stored_numbers(second) == ["150"]
    assert stored_numbers(first) == []


def test_init_default_country_and_locale(run, tmp_path: Path) -> None:
    ok(run("init", tmp_path / "a.toml", "--name", "Acme"))
    account = load(tmp_path / "a.toml")["account"]
    assert (account["country"], account["locale"]) == ("US", "en-US")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_init_refuses_to_overwrite(run, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"acme{suffix}"
    ok(run("init", path, "--name", "Acme Corp"))
    ok(run("extension", "add", "101"))
    before = path.read_bytes()

    result = run("init", path, "--name", "Other")
    assert result.code == 5
    assert str(path) in result.err and "exists" in result.err
    assert path.read_bytes() == before
    assert load(path)["account"]["name"] == "Acme Corp"


def test_init_refuses_to_overwrite_any_file(run, tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("not an account, but mine\n")
    result = run("init", path, "--name", "Acme")
    assert result.code == 5
    assert path.read_text() == "not an account, but mine\n"


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--country", "XX", "country"),
        ("--country", "USA", "country"),
        ("--country", "", "country"),
        ("--locale", "xx-YY", "locale"),
        ("--locale", "english", "locale"),
    ],
)
def test_init_bad_country_or_locale(run, tmp_path: Path, option: str, value: str, field: str):
    path = tmp_path / "acme.toml"
    result = run("init", path, "--name", "Acme", option, value)
    assert result.code == 3
    assert result.err.startswith("extadmin: error: ") and field in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not path.exists()
    assert json.loads(ok(run("account", "list", "--format", "json")).out) == []


def test_init_needs_a_name(run, tmp_path: Path) -> None:
    result = run("init", tmp_path / "acme.toml")
    assert result.code == 2
    assert "--name" in result.err
    assert not (tmp_path / "acme.toml").exists()


# --- sites and roles --------------------------------------------------------------------------


def test_site_add_is_stored_and_audited(run, account: Path) -> None:
    log = Audit(account)
    result = ok(run("site", "add", "New York", "--code", "3"))
    assert result.out == ""
    assert "New York" in result.err
    assert load(account)["sites"] == [
        {"name": "Main Site"},
        {"name": "Boston", "code": "2"},
        {"name": "New York", "code": "3"},
    ]
    ok(run("site", "add", "Remote"))
    assert load(account)["sites"][-1] == {"name": "Remote"}
    entries = log.new()
    assert [e["action"] for e in entries] == ["site add", "site add"]
    assert entries[0]["changes"] == {"name": "New York", "code": "3"}
    check_entries(entries, "site add")


def test_site_list_json(run, account: Path) -> None:
    out = ok(run("site", "list", "--format", "json")).out
    assert json.loads(out) == [
        {"name": "Main Site", "code": None, "main": True, "extensions": 5},
        {"name": "Boston", "code": "2", "main": False, "extensions": 3},
    ]


def test_site_list_csv(run, account: Path) -> None:
    out = ok(run("site", "list", "--format", "csv")).out
    assert out == "name,code,main,extensions\nMain Site,,yes,5\nBoston,2,no,3\n"


def test_site_list_table(run, account: Path) -> None:
    rows = table_rows(ok(run("site", "list")).out)
    assert rows == [
        ["Site", "Code", "Main", "Extensions"],
        ["Main Site", "", "yes", "5"],
        ["Boston", "2", "no", "3"],
    ]


def test_role_list_marks_the_default(run, account: Path) -> None:
    data = json.loads(ok(run("role", "list", "--format", "json")).out)
    assert [r["role"] for r in data] == list(PREDEFINED_ROLES)
    assert [r["role"] for r in data if r["default"]] == ["Standard User (International)"]

    rows = table_rows(ok(run("role", "list")).out)
    assert rows[0] == ["Role", "Default"]
    assert dict(rows[1:]) == {
        role: "yes" if role == "Standard User (International)" else "no"
        for role in PREDEFINED_ROLES
    }
    out = ok(run("role", "list", "--format", "csv")).out
    assert csv_rows(out)[-1] == {"role": "Standard User (International)", "default": "yes"}


# --- extension add ----------------------------------------------------------------------------


def test_extension_add_one(run, account: Path) -> None:
    log = Audit(account)
    result = ok(run("extension", "add", "150"))
    assert result.out == ""
    assert "added 1 extension" in result.err
    assert stored(account, "150") == {"number": "150", "site": "Main Site", "status": "unassigned"}
    entries = log.new()
    assert [(e["action"], e["extension"]) for e in entries] == [("extension add", "150")]
    check_entries(entries, "extension add")


def test_extension_add_several_and_ranges(run, account: Path) -> None:
    log = Audit(account)
    ok(run("extension", "add", "150", "160", "201-250", "7000"))
    added = ["150", "160", *(str(n) for n in range(201, 251) if n != 211), "7000"]
    # 211 is a reserved service number: a range skips it
    assert "211" not in stored_numbers(account)
    assert stored_numbers(account) == sorted(
        ["101", "102", "103", "104", "105", "2201", "2202", "2203", *added], key=int
    )
    for number in added:
        assert stored(account, number) == {
            "number": number,
            "site": "Main Site",
            "status": "unassigned",
        }
    entries = log.new()
    assert sorted(e["extension"] for e in entries) == sorted(added)
    assert {e["action"] for e in entries} == {"extension add"}
    check_entries(entries, "extension add")


@pytest.mark.parametrize(
    "mac", ["00:04:f2:ab:cd:ef", "00-04-F2-AB-CD-EF", "0004.f2ab.cdef", "0004F2abcdef"]
)
def test_extension_add_with_device_normalises_the_mac(run, account: Path, mac: str) -> None:
    log = Audit(account)
    ok(run("extension", "add", "150", "--device", "Polycom VVX 450", "--mac", mac))
    assert stored(account, "150") == {
        "number": "150",
        "site": "Main Site",
        "status": "unassigned",
        "device": {"model": "Polycom VVX 450", "mac": MAC},
    }
    (entry,) = log.new()
    assert entry["extension"] == "150"
    assert entry["changes"]["device"] == {"model": "Polycom VVX 450", "mac": MAC}


def test_extension_add_device_without_mac_on_several(run, account: Path) -> None:
    ok(run("extension", "add", "150-152", "--device", "Yealink T54W"))
    for number in ("150", "151", "152"):
        assert stored(account, number)["device"] == {"model": "Yealink T54W"}


def test_extension_add_on_a_site_with_a_code(run, account: Path) -> None:
    log = Audit(account)
    ok(run("extension", "add", "2301", "2400-2402", "--site", "boston"))  # case-insensitive
    for number in ("2301", "2400", "2401", "2402"):
        assert stored(account, number)["site"] == "Boston"
    assert len(log.new()) == 4

    before = account.read_bytes()
    result = run("extension", "add", "301", "--site", "Boston")
    assert result.code == 3
    assert "301" in result.err and "site code 2" in result.err
    assert account.read_bytes() == before

    result = run("extension", "add", "2", "--site", "Boston")  # the code alone is no extension
    assert result.code == 3
    assert account.read_bytes() == before


# --- extension list / show --------------------------------------------------------------------


def test_extension_list_json_in_number_order(run, account: Path, assigned: Path) -> None:
    ok(run("extension", "add", "1000", "20", "300"))
    data = json.loads(ok(run("extension", "list", "--format", "json")).out)
    assert [e["extension"] for e in data] == [
        "20", "101", "102", "103", "104", "105", "106", "300", "1000", "2201", "2202", "2203"
    ]  # fmt: skip
    by_number = {e["extension"]: e for e in data}
    assert by_number["2202"]["site"] == "Boston"
    assert by_number["2202"]["status"] == "unassigned"
    assert by_number["106"]["status"] == "enabled"
    assert by_number["106"]["name"] == "Ada Lovelace"
    assert by_number["106"]["email"] == "ada@acme.example"
    assert "SECRET" not in json.dumps(data)


def test_extension_list_filters_and_formats(run, assigned: Path) -> None:
    out = ok(run("extension", "list", "--site", "Boston", "--format", "csv")).out
    assert [r["extension"] for r in csv_rows(out)] == ["2201", "2202", "2203"]
    out = ok(run("extension", "list", "--status", "enabled", "--format", "csv")).out
    rows = csv_rows(out)
    assert [(r["extension"], r["status"], r["name"]) for r in rows] == [
        ("106", "enabled", "Ada Lovelace")
    ]
    table = table_rows(ok(run("extension", "list")).out)
    assert table[0][:3] == ["Extension", "Site", "Status"]
    assert [r[0] for r in table[1:]] == [
        "101", "102", "103", "104", "105", "106", "2201", "2202", "2203"
    ]  # fmt: skip
    assert "SECRET" not in ok(run("extension", "list")).out


def test_extension_show_json(run, account: Path) -> None:
    ok(run("extension", "add", "150", "--device", "Polycom VVX 450", "--mac", "0004f2abcdef"))
    data = json.loads(ok(run("extension", "show", "150", "--format", "json")).out)
    assert data["extension"] == "150"
    assert data["status"] == "unassigned"
    assert data["site"] == "Main Site"
    assert data["device"] == {"model": "Polycom VVX 450", "mac": MAC}
    assert data.get("user") is None

    data = json.loads(ok(run("extension", "show", "2202", "--format", "json")).out)
    assert (data["extension"], data["site"], data["device"]) == ("2202", "Boston", None)
    assert data["short_extension"] == "202"


def test_extension_show_assigned_never_shows_a_secret(run, assigned: Path) -> None:
    out = ok(run("extension", "show", "106", "--format", "json")).out
    data = json.loads(out)
    assert data["status"] == "enabled"
    user = data["user"]
    assert (user["first_name"], user["last_name"], user["email"]) == (
        "Ada",
        "Lovelace",
        "ada@acme.example",
    )
    assert (user["role"], user["recording"]) == ("Standard User", "both")
    assert "SECRET" not in out
    table = ok(run("extension", "show", "106")).out
    assert "Lovelace" in table and "SECRET" not in table


def test_extension_show_table(run, account: Path) -> None:
    ok(run("extension", "add", "150", "--device", "Polycom VVX 450", "--mac", MAC))
    out = ok(run("extension", "show", "150")).out
    fields = {}
    for line in out.splitlines():
        label, _, value = line.strip().partition("  ")
        fields[label.strip()] = value.strip()
    assert fields["Extension"] == "150"
    assert fields["Site"] == "Main Site"
    assert fields["Status"] == "unassigned"
    assert fields["Device"] == "Polycom VVX 450"
    assert fields["MAC"] == MAC


# --- extension remove -------------------------------------------------------------------------


def test_extension_remove_needs_yes_without_a_terminal(run, account: Path) -> None:
    before = account.read_bytes()
    log = Audit(account)
    result = run("extension", "remove", "101")
    assert result.code == 2
    assert "--yes" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert account.read_bytes() == before
    assert log.new() == []


def test_extension_remove_with_yes(run, account: Path) -> None:
    log = Audit(account)
    result = ok(run("extension", "remove", "101", "2202", "--yes"))
    assert "removed 2 extension" in result.err
    assert stored_numbers(account) == ["102", "103", "104", "105", "2201", "2203"]
    entries = log.new()
    assert sorted((e["action"], e["extension"]) for e in entries) == [
        ("extension remove", "101"),
        ("extension remove", "2202"),
    ]
    check_entries(entries, "extension remove")


def test_extension_remove_a_number_given_twice_or_with_spaces(run, account: Path) -> None:
    log = Audit(account)
    result = ok(run("extension", "remove", "101", " 101", "102 ", "--yes"))
    assert "removed 2 extension" in result.err
    assert stored_numbers(account) == ["103", "104", "105", "2201", "2202", "2203"]
    assert sorted(e["extension"] for e in log.new()) == ["101", "102"]


def test_extension_remove_refuses_an_assigned_extension(run, assigned: Path) -> None:
    before = assigned.read_bytes()
    log = Audit(assigned)
    for args in (("106",), ("101", "106")):
        result = run("extension", "remove", *args, "--yes")
        assert result.code == 5
        assert "106" in result.err and "enabled" in result.err
        assert assigned.read_bytes() == before  # 101 was not removed either
    assert log.new() == []


# --- list-unassigned --------------------------------------------------------------------------


@pytest.fixture
def devices(run, assigned: Path) -> Path:
    """Desk phones on 103 (with a MAC) and 2203 (without)."""
    ok(run("extension", "remove", "103", "--yes"))
    ok(run("extension", "add", "103", "--device", "Polycom VVX 450", "--mac", MAC))
    ok(run("extension", "remove", "2203", "--yes"))
    ok(run("extension", "add", "2203", "--site", "Boston", "--device", "Yealink T54W"))
    return assigned


def test_list_unassigned_json_shape(run, devices: Path) -> None:
    data = json.loads(ok(run("list-unassigned", "--format", "json")).out)
    assert isinstance(data, list)
    for item in data:
        assert isinstance(item["extension"], str)
    assert [(i["extension"], i["site"], i["device"]) for i in data] == [
        ("101", "Main Site", None),
        ("102", "Main Site", None),
        ("103", "Main Site", {"model": "Polycom VVX 450", "mac": MAC}),
        ("104", "Main Site", None),
        ("105", "Main Site", None),
        ("2201", "Boston", None),
        ("2202", "Boston", None),
        ("2203", "Boston", {"model": "Yealink T54W", "mac": None}),
    ]  # 106 is assigned: not listed


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--site", "Boston"], ["2201", "2202", "2203"]),
        (["--site", "main site"], ["101", "102", "103", "104", "105"]),
        (["--device"], ["103", "2203"]),
        (["--no-device"], ["101", "102", "104", "105", "2201", "2202"]),
        (["--site", "Boston", "--device"], ["2203"]),
        (["--site", "Boston", "--no-device"], ["2201", "2202"]),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_list_unassigned_filters(
    run, devices: Path, options: list[str], expected: list[str], fmt: str
) -> None:
    out = ok(run("list-unassigned", *options, "--format", fmt)).out
    if fmt == "json":
        numbers = [item["extension"] for item in json.loads(out)]
    elif fmt == "csv":
        numbers = [row["extension"] for row in csv_rows(out)]
    else:
        numbers = [row[0] for row in table_rows(out)[1:]]
    assert numbers == expected


def test_list_unassigned_csv_and_table_columns(run, devices: Path) -> None:
    out = ok(run("list-unassigned", "--site", "Boston", "--format", "csv")).out
    assert out == (
        "extension,short_extension,site,device_model,device_mac\n"
        "2201,201,Boston,,\n"
        "2202,202,Boston,,\n"
        "2203,203,Boston,Yealink T54W,\n"
    )
    rows = table_rows(ok(run("list-unassigned", "--device")).out)
    assert rows == [
        ["Extension", "Short extension number", "Site", "Device", "MAC"],
        ["103", "103", "Main Site", "Polycom VVX 450", MAC],
        ["2203", "203", "Boston", "Yealink T54W", ""],
    ]


def test_list_unassigned_empty(run, tmp_path: Path) -> None:
    ok(run("init", tmp_path / "empty.json", "--name", "Empty"))
    assert json.loads(ok(run("list-unassigned", "--format", "json")).out) == []
    assert ok(run("list-unassigned", "--format", "csv")).out == (
        "extension,short_extension,site,device_model,device_mac\n"
    )


# --- which account ----------------------------------------------------------------------------


@pytest.fixture
def three(run, tmp_path: Path) -> tuple[Path, Path, Path]:
    """Three accounts, each with one extension that tells it apart; the last one is current."""
    paths = (tmp_path / "opt.toml", tmp_path / "env.json", tmp_path / "cur.toml")
    for number, path in zip(("111", "222", "333"), paths, strict=True):
        ok(run("init", path, "--name", path.stem))
        ok(run("--account", path, "extension", "add", "1" + number))
    return paths


def numbers_seen(run, *options: str) -> list[str]:
    out = ok(run(*options, "extension", "list", "--format", "json")).out
    return [e["extension"] for e in json.loads(out)]


def test_account_option_wins(run, three, monkeypatch: pytest.MonkeyPatch) -> None:
    opt, env, cur = three
    monkeypatch.setenv("EXTADMIN_ACCOUNT", str(env))
    assert numbers_seen(run, "--account", str(opt)) == ["1111"]
    assert numbers_seen(run, "-a", str(opt)) == ["1111"]
    ok(run("--account", opt, "extension", "add", "150"))
    assert stored_numbers(opt) == ["150", "1111"]
    assert stored_numbers(env) == ["1222"]
    assert stored_numbers(cur) == ["1333"]


def test_environment_before_current(run, three, monkeypatch: pytest.MonkeyPatch) -> None:
    opt, env, cur = three
    monkeypatch.setenv("EXTADMIN_ACCOUNT", str(env))
    assert numbers_seen(run) == ["1222"]
    ok(run("extension", "add", "150"))
    assert stored_numbers(env) == ["150", "1222"]
    assert stored_numbers(cur) == ["1333"]


def test_current_account_last(run, three) -> None:
    opt, env, cur = three
    assert numbers_seen(run) == ["1333"]
    ok(run("account", "use", opt))
    assert numbers_seen(run) == ["1111"]


@pytest.mark.parametrize(
    "command",
    [
        ("extension", "list"),
        ("extension", "add", "150"),
        ("list-unassigned",),
        ("site", "list"),
        ("role", "list"),
    ],
)
def test_no_account_says_how_to_create_one(run, tmp_path: Path, command: tuple[str, ...]):
    result = run(*command)
    assert result.code == 4
    assert "extadmin init" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert result.out == ""
    assert not list(tmp_path.glob("*.toml")) and not list(tmp_path.glob("*.json"))
