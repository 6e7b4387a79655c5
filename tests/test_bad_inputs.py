"""Every bad input: the exit code the SPEC gives it, one line on standard error that names the
problem (never a traceback), nothing on standard output, and the account file and its audit log
byte-identical afterwards."""

from __future__ import annotations

import json
import re
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from filelock import FileLock

from extadmin.storage.store import AccountStore
from tests.conftest import exe, prebuilt
from tests.helpers import load

RESERVED = ["911", "933", "988", "112", "999", "211", "311", "411", "511", "611", "711", "811"]


def _build(run, path: Path) -> None:
    """Main Site (no code) with 101-105, 103 with a desk phone and MAC; Boston (code 2) with
    2201-2203; 106 assigned to a user (written through the store, as `assign` will)."""
    for args in (
        ("init", path, "--name", "Acme Corp"),
        ("site", "add", "Boston", "--code", "2"),
        ("extension", "add", "101", "102", "104", "105"),
        ("extension", "add", "103", "--device", "Polycom VVX 450", "--mac", "00:04:f2:ab:cd:ef"),
        ("extension", "add", "2201-2203", "--site", "Boston"),
    ):
        result = run(*args)
        assert result.code == 0, result.err
    with AccountStore(path).transaction("test setup") as account:
        account.add_extension(
            {
                "number": "106",
                "site": "Main Site",
                "status": "not-activated",
                "user": {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": "ada@acme.example",
                    "role": "Standard User",
                    "language": "en-US",
                    "greeting_language": "en-US",
                    "regional_format": "en-US",
                    "recording": "off",
                    "setup": "later",
                },
            }
        )
        account.record("test setup", "106")


@pytest.fixture(params=[".toml", ".json"])
def acct(
    request: pytest.FixtureRequest, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The account of `_build`, chosen by EXTADMIN_ACCOUNT. Built through the command line once
    per format and worker, then copied (hundreds of cases need a fresh one)."""
    path = tmp_path / f"acme{request.param}"
    prebuilt(request, path, lambda: _build(run, path))
    monkeypatch.setenv("EXTADMIN_ACCOUNT", str(path))
    return path


def snapshot(path: Path) -> tuple[bytes, bytes]:
    return path.read_bytes(), path.with_name(f"{path.stem}.audit.jsonl").read_bytes()


def assert_one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("extadmin: error: "), err
    return lines[0]


# --- bad command lines ------------------------------------------------------------------------

CASES: list[tuple[str, list[str], int, str]] = [
    # id, arguments, exit code, what the message must name
    *[
        (f"number {n!r}", ["extension", "add", "--", n], 3, repr(n))
        for n in ["abc", "0", "0123", "1000000", "-5", "12a", "1.5", "", "٣٤٥", "+5"]
    ],
    ("blank number", ["extension", "add", " "], 3, "not an extension number"),
    *[(f"reserved {n}", ["extension", "add", n], 3, "reserved") for n in RESERVED],
    ("reserved among good ones", ["extension", "add", "150", "911", "151"], 3, "911"),
    ("range backwards", ["extension", "add", "250-201"], 3, "250-201"),
    ("range with a bad end", ["extension", "add", "150-abc"], 3, "'abc'"),
    ("range too long", ["extension", "add", "1-20000"], 3, "1-20000"),
    ("range of three parts", ["extension", "add", "1-2-3"], 3, "extension"),
    ("good then bad number", ["extension", "add", "150", "abc"], 3, "'abc'"),
    ("number in use", ["extension", "add", "101"], 5, "101"),
    ("number in use, assigned", ["extension", "add", "106"], 5, "106"),
    ("range over a number in use", ["extension", "add", "98-102"], 5, "101"),
    ("same number twice", ["extension", "add", "150", "150"], 5, "150"),
    ("number twice via a range", ["extension", "add", "155", "150-160"], 5, "155"),
    ("unknown site", ["extension", "add", "150", "--site", "Nowhere"], 4, "Nowhere"),
    ("number without the site code", ["extension", "add", "301", "--site", "Boston"], 3, "301"),
    ("bad MAC", ["extension", "add", "150", "--device", "X", "--mac", "zz"], 3, "mac"),
    (
        "short MAC",
        ["extension", "add", "150", "--device", "X", "--mac", "00:04:f2:ab:cd"],
        3,
        "mac",
    ),
    (
        "multicast MAC",
        ["extension", "add", "150", "--device", "X", "--mac", "01:00:5e:00:00:01"],
        3,
        "mac",
    ),
    (
        "one MAC on several extensions",
        ["extension", "add", "150", "151", "--device", "X", "--mac", "00:04:f2:00:00:01"],
        3,
        "mac",
    ),
    (
        "MAC already on another extension",
        ["extension", "add", "150", "--device", "X", "--mac", "00-04-F2-AB-CD-EF"],
        5,
        "103",
    ),
    (
        "MAC without --device",
        ["extension", "add", "150", "--mac", "00:04:f2:00:00:01"],
        2,
        "--device",
    ),
    ("empty device model", ["extension", "add", "150", "--device", " "], 3, "device"),
    ("no number", ["extension", "add"], 2, "NUMBER"),
    ("unknown option", ["extension", "add", "150", "--bogus"], 2, "--bogus"),
    ("unknown option on list-unassigned", ["list-unassigned", "--colour"], 2, "--colour"),
    ("unknown global option", ["--bogus", "extension", "list"], 2, "--bogus"),
    ("unknown command", ["extension", "frobnicate"], 2, "frobnicate"),
    ("unknown format", ["extension", "list", "--format", "xml"], 2, "xml"),
    ("unknown format, list-unassigned", ["list-unassigned", "--format", "yaml"], 2, "yaml"),
    ("csv for one extension", ["extension", "show", "101", "--format", "csv"], 2, "csv"),
    ("unknown format, site list", ["site", "list", "-f", "html"], 2, "html"),
    ("unknown site, list-unassigned", ["list-unassigned", "--site", "Nowhere"], 4, "Nowhere"),
    ("unknown site, extension list", ["extension", "list", "--site", "Nowhere"], 4, "Nowhere"),
    ("unknown status", ["extension", "list", "--status", "bogus"], 3, "bogus"),
    ("show a missing number", ["extension", "show", "150"], 4, "150"),
    ("show a bad number", ["extension", "show", "abc"], 3, "'abc'"),
    ("show without a number", ["extension", "show"], 2, "number"),
    ("remove a missing number", ["extension", "remove", "150", "--yes"], 4, "150"),
    ("remove one missing of two", ["extension", "remove", "101", "150", "--yes"], 4, "150"),
    ("remove a bad number", ["extension", "remove", "abc", "--yes"], 3, "'abc'"),
    ("remove an assigned extension", ["extension", "remove", "106", "--yes"], 5, "106"),
    ("remove without --yes", ["extension", "remove", "101"], 2, "--yes"),
    ("site twice", ["site", "add", "boston"], 5, "boston"),
    ("site code in use", ["site", "add", "Chicago", "--code", "2"], 5, "2"),
    ("bad site code", ["site", "add", "Chicago", "--code", "0x"], 3, "0x"),
    ("site code with leading zero", ["site", "add", "Chicago", "--code", "02"], 3, "02"),
    ("empty site name", ["site", "add", " "], 3, "site name"),
    ("site name with a control character", ["site", "add", "Bad\x07Site"], 3, "control"),
    ("init over the account", ["init", "{path}", "--name", "Other"], 5, "exists"),
]


@pytest.mark.parametrize(
    ("args", "code", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_command_line(run, acct: Path, args: list[str], code: int, names: str) -> None:
    before = snapshot(acct)
    result = run(*(a.replace("{path}", str(acct)) for a in args))
    assert result.code == code, result.err
    line = assert_one_line_error(result.err)
    assert names.casefold() in line.casefold()
    assert result.out == ""
    assert snapshot(acct) == before


def test_error_messages_name_the_rule(run, acct: Path) -> None:
    """Spot checks that the message says what is wrong, not only which value."""
    messages = {
        "0123": "not an extension number",
        "1000000": "not an extension number",
        "911": "reserved emergency or service number",
        "250-201": "ends before it starts",
    }
    for number, rule in messages.items():
        result = run("extension", "add", number)
        assert rule in result.err, (number, result.err)
    result = run("extension", "add", "150", "150")
    assert "150" in result.err and "twice" in result.err


# --- account files that cannot be used --------------------------------------------------------


def dump(path: Path, doc: Any) -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(doc, indent=2))
    else:
        path.write_text(tomli_w.dumps(doc))


def edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], str]:
    def apply(path: Path) -> str:
        doc = load(path)
        change(doc)
        dump(path, doc)
        return ""

    return apply


def _set(obj: dict[str, Any], key: str, value: Any) -> None:
    obj[key] = value


def _malformed(path: Path) -> str:
    """Break the syntax on line 3 and return the place the parser reports."""
    lines = path.read_text().splitlines()
    lines[2] = lines[2] + (' "broken' if path.suffix == ".toml" else " }{")
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    try:
        (json.loads if path.suffix == ".json" else tomllib.loads)(text)
    except ValueError as exc:
        found = re.search(r"line (\d+),? column (\d+)", str(exc))
        assert found, exc
        return f"line {found[1]}, column {found[2]}"
    raise AssertionError("the file was not broken")


def _duplicate(doc: dict[str, Any]) -> None:
    doc["extensions"][2]["number"] = doc["extensions"][0]["number"]


FILE_CASES: list[tuple[str, Callable[[Path], str], list[str]]] = [
    # id, how to spoil the file (returns an extra text the message must have), what it names
    ("malformed", _malformed, ["malformed", "line 3"]),
    (
        "number as an integer",
        edit(lambda d: _set(d["extensions"][0], "number", 101)),
        ["extensions[0].number", "101"],
    ),
    (
        "unknown status",
        edit(lambda d: _set(d["extensions"][1], "status", "bogus")),
        ["extensions[1].status", "bogus"],
    ),
    (
        "site as a list",
        edit(lambda d: _set(d["extensions"][1], "site", ["Main Site"])),
        ["extensions[1].site"],
    ),
    (
        "extension of an unknown site",
        edit(lambda d: _set(d["extensions"][1], "site", "Atlantis")),
        ["extensions[1].site", "Atlantis"],
    ),
    (
        "assigned status without a user",
        edit(lambda d: _set(d["extensions"][1], "status", "enabled")),
        ["extensions[1]", "enabled"],
    ),
    ("duplicate extension numbers", edit(_duplicate), ["extensions[2]", "duplicate", "101"]),
    (
        "future schema_version",
        edit(lambda d: _set(d, "schema_version", 99)),
        ["schema_version", "99"],
    ),
    (
        "schema_version as a string",
        edit(lambda d: _set(d, "schema_version", "1")),
        ["schema_version"],
    ),
    ("schema_version zero", edit(lambda d: _set(d, "schema_version", 0)), ["schema_version"]),
    ("missing schema_version", edit(lambda d: d.pop("schema_version")), ["schema_version"]),
    ("missing account table", edit(lambda d: d.pop("account")), ["account"]),
    ("no sites", edit(lambda d: _set(d, "sites", [])), ["sites"]),
    ("unknown top-level field", edit(lambda d: _set(d, "colour", "red")), ["colour"]),
    (
        "unknown default role",
        edit(lambda d: _set(d["account"], "default_role", "Janitor")),
        ["account.default_role"],
    ),
]

COMMANDS = [
    ("extension", "list"),
    ("extension", "add", "150"),
    ("extension", "remove", "101", "--yes"),
    ("list-unassigned", "--format", "json"),
    ("site", "add", "Chicago"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("spoil", "names"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_unusable_account_file(
    run, acct: Path, spoil: Callable[[Path], str], names: list[str], command: tuple[str, ...]
) -> None:
    place = spoil(acct)
    before = snapshot(acct)
    result = run(*command)
    assert result.code == 6, result.err
    line = assert_one_line_error(result.err)
    assert str(acct) in line
    for text in [*names, place]:
        assert text in line, (text, line)
    assert result.out == ""
    assert snapshot(acct) == before


@pytest.mark.parametrize(
    ("suffix", "content", "names"),
    [
        (".toml", b'schema_version = 1\n[account\nname = "x"\n', "line 2, column"),
        (".json", b'{"schema_version": 1,\n  "account": {,}}\n', "line 2, column 15"),
        (".json", b"[1, 2, 3]\n", "top level"),
        (".json", b"", "line 1, column 1"),
        (".toml", b"\xff\xfe not text", "UTF-8"),
        (".json", b'{"schema_version": ' + b"1" * 5000 + b"}", "malformed"),
        (".toml", b"schema_version = " + b"1" * 5000 + b"\n", "malformed"),
        (".json", b"[" * 100_000, "malformed"),
    ],
    ids=[
        "toml syntax",
        "json syntax",
        "json array",
        "empty json",
        "not utf-8",
        "json huge integer",
        "toml huge integer",
        "json nested too deeply",
    ],
)
def test_unreadable_account_file(
    run, tmp_path: Path, suffix: str, content: bytes, names: str
) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(content)
    for command in COMMANDS:
        result = run("--account", path, *command)
        assert result.code == 6, (command, result.err)
        line = assert_one_line_error(result.err)
        assert str(path) in line and names in line, line
        assert path.read_bytes() == content
    assert not path.with_name("broken.audit.jsonl").exists()


def test_account_file_is_a_folder(run, tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    result = run("--account", tmp_path / "folder.toml", "extension", "list")
    assert result.code == 6
    assert str(tmp_path / "folder.toml") in assert_one_line_error(result.err)


def test_unknown_account_file_format(run, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text("schema_version: 1\n")
    result = run("--account", path, "extension", "list")
    assert result.code == 6
    line = assert_one_line_error(result.err)
    assert str(path) in line and ".yaml" in line


@pytest.mark.parametrize("how", ["option", "environment", "current"])
def test_missing_account_file(run, acct: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    missing = acct.with_name(f"gone{acct.suffix}")
    if how == "option":
        args: tuple[str, ...] = ("--account", str(missing))
    elif how == "environment":
        monkeypatch.setenv("EXTADMIN_ACCOUNT", str(missing))
        args = ()
    else:
        assert run("account", "use", acct).code == 0
        monkeypatch.delenv("EXTADMIN_ACCOUNT")
        acct.rename(missing)  # the current account's file was moved away
        missing, args = acct, ()
    for command in COMMANDS:
        result = run(*args, *command)
        assert result.code == 4, result.err
        line = assert_one_line_error(result.err)
        assert str(missing) in line and "extadmin init" in line
    assert not missing.exists()


@pytest.mark.slow
def test_locked_account_file(acct: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTADMIN_LOCK_TIMEOUT", "0.5")
    before = snapshot(acct)
    lock = FileLock(acct.with_name(f".{acct.name}.lock"))
    with lock.acquire(timeout=5):
        started = time.monotonic()
        result = exe("extension", "add", "150", timeout=30)
        waited = time.monotonic() - started
        assert result.returncode == 6, result.stderr
        line = assert_one_line_error(result.stderr)
        assert str(acct) in line and "locked" in line and "EXTADMIN_LOCK_TIMEOUT" in line
        assert result.stdout == ""
        assert waited >= 0.5
        assert snapshot(acct) == before
        # reading needs no lock: saves are atomic renames
        listing = exe("extension", "list", "--format", "json", timeout=30)
        assert listing.returncode == 0, listing.stderr
        assert "150" not in [e["extension"] for e in json.loads(listing.stdout)]
    # once the lock is released, the same command works
    result = exe("extension", "add", "150", timeout=30)
    assert result.returncode == 0, result.stderr


def test_a_bad_number_through_the_real_program(acct: Path) -> None:
    """The real program prints exactly one line for a bad input: no traceback, no usage text."""
    result = exe("extension", "add", "abc", timeout=30)
    assert result.returncode == 3
    assert result.stderr == (
        "extadmin: error: extension: 'abc' is not an extension number (digits, 1 to 999999)\n"
    )
    assert result.stdout == ""
