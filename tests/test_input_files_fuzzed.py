"""Fuzzing what extadmin reads besides its command line: account files (any TOML or JSON
document; a valid account with one field changed, as a hand edit would) and bulk-assign's CSV
files (any bytes; any rows under a valid header). Whatever the input: an ExtadminError or a
documented exit code, never another exception, and a command that fails writes nothing."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from extadmin.domain import hashing
from extadmin.domain.account import Account
from extadmin.errors import AccountFileError, ExtadminError, RowErrors
from extadmin.services import bulk
from extadmin.services.directory import build_index
from extadmin.storage import codec, schema
from extadmin.storage.store import AccountStore
from tests.helpers import DOCUMENTED_EXIT_CODES, load

pytestmark = pytest.mark.timeout(300)


def fixture_settings(max_examples: int) -> settings:
    """Bounded; each example makes its own files, so function-scoped fixtures are fine."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain"
    )


TOKEN = "the-invitation-token-of-104"
SECRETS = {"pw": "Zebra7!Quix", "pin": "5820417396", "ans": "fluffy cat", "tok": TOKEN}


def dump(path: Path, doc: Any) -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False), "utf-8")
    else:
        path.write_text(tomli_w.dumps(doc), "utf-8")


# --- one valid account, built once through the command line ---------------------------------

_VALID: dict[str, Any] = {}


def valid_document(run, folder: Path) -> dict[str, Any]:
    """Every kind of field filled in: sites with and without a code, a desk phone with a MAC,
    users set up later (with phones, job, recording and Engage Voice), with credentials and
    invited (the invitation's token known: TOKEN)."""
    if _VALID:
        return copy.deepcopy(_VALID)
    path = folder / "valid.toml"
    for name, value in SECRETS.items():
        (folder / name).write_text(value)
    person = ("--last-name", "Hopper", "--no-input")
    for args in (
        ("init", path, "--name", "Acme Corp"),
        ("site", "add", "Boston", "--code", "2"),
        ("extension", "add", "101-106"),
        ("extension", "add", "2201-2203", "--site", "Boston"),
        ("extension", "add", "107", "--device", "Polycom VVX 450", "--mac", "00:04:f2:ab:cd:ef"),
        ("assign", "106", "--setup", "later", "--first-name", "Grace", *person,
         "--email", "grace@example.com", "--job-title", "Admiral", "--department", "Navy",
         "--contact-phone", "+1 650 253 0000", "--mobile-phone", "+1 650 253 0001"),
        ("assign", "105", "--setup", "credentials", "--first-name", "Alan", *person,
         "--email", "alan@example.com", "--password-file", folder / "pw",
         "--pin-file", folder / "pin", "--security-question", "1",
         "--security-answer-file", folder / "ans"),
        ("assign", "104", "--setup", "invite", "--first-name", "Ada", *person,
         "--email", "ada@example.com"),
        ("set-recording", "106", "--direction", "both"),
        ("engage-voice", "import", "106", "--access", "agent", "--agent-group", "Sales"),
    ):  # fmt: skip
        result = run("--account", path, *args)
        assert result.code == 0, (args, result.err)
    doc = load(path)
    (invited,) = [e for e in doc["extensions"] if e["number"] == "104"]
    invited["user"]["activation"]["token_hash"] = hashing.hash_token(TOKEN)
    _VALID.update(doc)
    return copy.deepcopy(_VALID)


def paths_in(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a document: each table's and list's items, at every depth."""
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    )
    for key, value in items:
        yield (*prefix, key)
        yield from paths_in(value, (*prefix, key))


def replace(doc: Any, where: tuple[Any, ...], value: Any) -> None:
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value


# --- strategies -------------------------------------------------------------------------------

texts = st.text(max_size=16)  # any character a UTF-8 file can hold
keys = st.one_of(
    texts,
    st.sampled_from(["schema_version", "account", "sites", "extensions", "number", "user", "name"]),
)
toml_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),  # nan and inf are TOML too
    texts,
    st.datetimes(),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
    st.times(),
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), texts
)


def trees(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=25,
    )


toml_values = trees(toml_scalars)
json_values = trees(json_scalars)
# strings that keep the type but break the field's rule, as a careless hand edit would
odd_strings = st.one_of(
    texts,
    st.sampled_from(
        ["", " ", "abc", "0", "0123", "911", "1" * 30, "-5", "١٢٣", "2030-01-01T00:00:00",
         "2000-01-01T00:00:00+00:00", "garbage", "sha256$", "scrypt$n=1,r=1,p=1$$",
         "Main Site", "main site", "Boston", "Standard User", "xx-XX", "ada@example.com",
         "GRACE@EXAMPLE.COM", "not-an-email", "00:04:F2:AB:CD:EF", "ZZ", "é" * 65]
    ),
)  # fmt: skip


def other_value(current: Any, suffix: str) -> st.SearchStrategy[Any]:
    """A value for a field that holds `current`: mostly of its own type but breaking the
    field's rule, else anything the format can hold."""
    scalars, values = (
        (toml_scalars, toml_values) if suffix == ".toml" else (json_scalars, json_values)
    )
    if isinstance(current, str):
        same: st.SearchStrategy[Any] = odd_strings
    elif isinstance(current, bool):
        same = st.booleans()
    elif isinstance(current, int):
        same = st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, -1, 2**31, 10**18])
    elif isinstance(current, list):
        same = st.lists(scalars, max_size=3) | st.just([])
    else:
        same = st.dictionaries(keys, scalars, max_size=3) | st.just({})
    return st.sampled_from([same, same, same, values]).flatmap(lambda chosen: chosen)


# --- 1. the loader on any document ------------------------------------------------------------


def checked(path: Path) -> Any:
    """The document as the schema checker takes it, or its refusal (no store, no cache)."""
    path = path.resolve()
    try:
        return schema.check_document(path, codec.decode(path, path.read_bytes()))
    except AccountFileError as exc:
        return exc.message


def unassigned(ext: Any) -> bool:
    return ext["status"] == "unassigned"


def loads_cleanly(path: Path) -> Account | None:
    """Read through the store, first as list-unassigned does (a JSON file parsed one extension
    at a time, the others dropped): the same document less the dropped extensions, or the same
    refusal, as the checker gives on the whole file."""
    expected = checked(path)
    try:
        view = AccountStore(path).read(keep=unassigned)
    except AccountFileError as exc:
        assert exc.message == expected
    else:
        assert isinstance(expected, dict), expected
        assert view.doc == expected | {
            "extensions": list(filter(unassigned, expected["extensions"]))
        }
    try:
        return AccountStore(path).read()
    except AccountFileError as exc:
        assert exc.message.startswith(f"{path.resolve()}: "), exc.message
        assert "\n" not in exc.message
        return None


def fresh(tmp_path: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=tmp_path, prefix="ex-"))


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@fixture_settings(40)
@given(data=st.data())
def test_the_loader_on_any_document(run, tmp_path: Path, suffix: str, data: st.DataObject) -> None:
    """Any document a TOML or JSON writer can produce (TOML's dates and times, NaN and the
    infinities, big integers, any keys), written to a file and read through the store and the
    command line: read, or refused with the file's path and exit 6."""
    values = toml_values if suffix == ".toml" else json_values
    if suffix == ".toml" or data.draw(st.booleans()):
        doc = data.draw(st.dictionaries(keys, values, max_size=6))
    else:
        doc = data.draw(values)
    # half of the time a valid account with some of its tables replaced, to go deeper
    if data.draw(st.booleans()):
        known = ["schema_version", "account", "sites", "roles", "extensions", "mail"]
        changes = data.draw(st.dictionaries(st.sampled_from(known), values, max_size=2))
        doc = valid_document(run, tmp_path) | changes
    folder = fresh(tmp_path)
    path = folder / f"acme{suffix}"
    dump(path, doc)
    before = path.read_bytes()

    account = loads_cleanly(path)
    event("loaded" if account else "refused")
    result = run("--account", path, "extension", "list")
    assert "internal error" not in result.err and "Traceback" not in result.err, result.err
    assert result.code == (0 if account else 6), result.err
    result = run("--account", path, "site", "add", "Chicago")
    assert result.code in ({0, 5} if account else {6}), result.err
    if result.code:
        assert path.read_bytes() == before


# --- 2. a valid account with one field changed (a hand edit) ----------------------------------

READS = [
    ("extension", "list", "--format", "json"),
    ("list-unassigned",),
    ("users", "list", "--format", "csv"),
    ("export",),
    ("recording", "list"),
    ("engage-voice", "list", "--format", "json"),
    ("extension", "show", "104", "--format", "json"),
    ("extension", "show", "106"),
    ("site", "list"),
    ("role", "list"),
    ("security-question", "list"),
    ("verify-email", "Grace@example.com", "--format", "json"),
    ("account", "show"),
    ("mail", "queue"),
]
SECRET_FILES = ("--password-file", "pw", "--pin-file", "pin", "--security-question", "2",
                "--security-answer-file", "ans")  # fmt: skip
WRITES = [
    ("extension", "add", "150", "151"),
    ("extension", "add", "2250", "--site", "boston", "--device", "T54", "--mac", "0004f2000001"),
    ("extension", "remove", "101", "--yes"),
    ("site", "add", "Chicago", "--code", "3"),
    ("assign", "101", "--setup", "later", "--first-name", "Bob", "--last-name", "Ng",
     "--email", "grace@example.com", "--no-input"),
    ("assign", "2201", "--setup", "invite", "--first-name", "Bob", "--last-name", "Ng",
     "--email", "bob@example.com", "--role", "manager", "--no-input"),
    ("assign", "102", "--setup", "later", "--first-name", "Bo", "--last-name", "Ng",
     "--email", "bo@example.com", "--short-extension", "2203", "--site", "Main Site",
     "--no-input"),
    ("set-recording", "--all", "--direction", "inbound"),
    ("unassign", "106", "--yes"),
    ("disable", "105", "106"),
    ("enable", "105"),
    ("activate", "104", "--token-file", "tok", *SECRET_FILES, "--no-input"),
    ("activate", "106", "--invite", "--no-input"),
    ("engage-voice", "import", "105", "106", "--access", "both", "--update"),
    ("engage-voice", "remove", "106"),
    ("bulk-assign", "rows.csv"),
    ("account", "convert", "{path}", "{other}"),
]  # fmt: skip


def check_command(run, path: Path, command: tuple[str, ...]) -> int:
    other = path.with_name(f"copy{'.json' if path.suffix == '.toml' else '.toml'}")
    args = [a.replace("{path}", str(path)).replace("{other}", str(other)) for a in command]
    before = path.read_bytes()
    result = run("--account", path, *args)
    assert "internal error" not in result.err and "Traceback" not in result.err, (args, result.err)
    assert result.code in DOCUMENTED_EXIT_CODES, (args, result.code, result.err)
    if result.code:
        assert path.read_bytes() == before, args
        assert not other.exists()
    else:
        loads_cleanly(path)  # what a command wrote is read back (or refused) cleanly
    other.unlink(missing_ok=True)
    path.write_bytes(before)
    return result.code


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@fixture_settings(40)
@given(data=st.data())
def test_a_hand_edited_field(run, tmp_path: Path, suffix: str, data: st.DataObject) -> None:
    """Any field of a valid account given another value: of its own type but breaking the
    field's rule (an extension number `abc`, a date that is no date, an unknown site), or of
    another type. Every command on the file ends with a documented exit code."""
    doc = valid_document(run, tmp_path)
    where = data.draw(st.sampled_from(sorted(paths_in(doc), key=repr)), label="where")
    current = doc
    for key in where:
        current = current[key]
    replace(doc, where, data.draw(other_value(current, suffix), label="value"))
    folder = fresh(tmp_path)
    for name, value in SECRETS.items():
        (folder / name).write_text(value)
    (folder / "rows.csv").write_text(
        "extension,setup,first_name,last_name,email\n"
        "102,later,Ada,Byron,ada.byron@example.com\n"
        "2202,invite,Alan,Kay,alan.kay@example.com\n"
    )
    path = folder / f"acme{suffix}"
    try:
        dump(path, doc)
    except (ValueError, TypeError):  # JSON has no dates, no NaN
        event("cannot be written in this format")
        return
    event("loaded" if loads_cleanly(path) else "refused")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        reads = data.draw(st.lists(st.sampled_from(READS[1:]), max_size=2, unique=True))
        for command in [READS[0], *reads]:
            check_command(run, path, command)
        for command in data.draw(st.lists(st.sampled_from(WRITES), max_size=2, unique=True)):
            event(f"{' '.join(command[:2])}: exit {check_command(run, path, command)}")
    finally:
        os.chdir(cwd)


# --- 3. bulk-assign's CSV files ---------------------------------------------------------------

UNASSIGNED = ["101", "102", "103", "107", "2201", "2202", "2203"]
# per column: values that pass (for the extension and email, see `csv_files`), then bad ones
GOOD = {
    "setup": ["later", "invite", "Invite"],
    "first_name": ["Ada", "Grace", "José"],
    "last_name": ["Lovelace", "O'Brien-Ng"],
    "short_extension": [""],
    "contact_phone": ["", "+1 650 253 0000"],
    "mobile_phone": ["", "+1 650 253 0001"],
    "role": ["", "Manager", "standard user"],
    "language": ["", "en-US", "fr-FR"],
    "greeting_language": ["", "de-DE"],
    "regional_format": ["", "en-GB"],
    "recording": ["", "off", "both"],
    "temporary_password": ["", "yes", "no"],
}
BAD = {
    "extension": ["106", "104", "150", "abc", "911", " 102 ", "", "1" * 10],
    "setup": ["credentials", "", "bogus"],
    "first_name": ["", "x" * 70, "A\x07", " "],
    "email": ["ada@", "", "grace@example.com", "GRACE@EXAMPLE.COM", "a" * 300 + "@x.com"],
    "short_extension": ["1234", "2203", "x", "101"],
    "contact_phone": ["12", "+999"],
    "mobile_phone": ["+1 800 555 0100", "abc"],
    "site": ["Boston", "boston", "Nowhere", "Main Site"],
    "role": ["Janitor"],
    "language": ["xx"],
    "greeting_language": ["en"],
    "regional_format": ["zz"],
    "recording": ["sometimes"],
    "password": ["Zebra7!Quix", "short"],
    "pin": ["5820417396", "1234"],
    "security_question": ["1", "99"],
    "security_answer": ["fluffy cat"],
    "temporary_password": ["maybe"],
}
cells = st.one_of(st.text(max_size=10), st.text(st.sampled_from(',;\t"\r\n x'), max_size=4))


@st.composite
def csv_files(draw: st.DrawFn, max_rows: int = 6) -> bytes:
    """A valid header (any subset of the columns with the required ones, any order, any
    spelling bulk-assign accepts, any delimiter), then rows: good ones (an unassigned
    extension, a new email) with, depending on the file, no cell, some or many cells spoiled
    by a bad value or any text."""
    optional = [c for c in bulk.COLUMNS if c not in bulk.REQUIRED_COLUMNS]
    columns = list(bulk.REQUIRED_COLUMNS) + draw(st.lists(st.sampled_from(optional), unique=True))
    columns = draw(st.permutations(columns))
    spelled = [
        draw(st.sampled_from([c, c.upper(), c.replace("_", " ").title(), c.replace("_", "-")]))
        for c in columns
    ]
    spoil = draw(st.sampled_from([0.0, 0.0, 0.05, 0.2, 0.6]))
    numbers = draw(st.permutations(UNASSIGNED))
    rows = []
    for i in range(draw(st.integers(1, max_rows))):
        good = {"extension": numbers[i], "email": f"user{i}@example.com"}
        row = []
        for column in columns:
            if draw(st.floats(0, 1)) < spoil:
                row.append(draw(st.sampled_from(BAD.get(column, [""])) | cells))
            else:
                row.append(good.get(column) or draw(st.sampled_from(GOOD.get(column, [""]))))
        if draw(st.floats(0, 1)) < spoil / 4:  # too few or too many cells
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(cells, max_size=2))
        rows.append(row)
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=draw(st.sampled_from([",", ";", "\t"])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    )
    writer.writerow(spelled)
    writer.writerows(rows)
    text = draw(st.sampled_from(["", "\n", "\ufeff"])) + out.getvalue()
    return text.encode("utf-8")


def parse(data: bytes) -> list[bulk.Row] | None:
    try:
        return bulk.parse_csv(data, "rows.csv")
    except ExtadminError as exc:
        assert exc.exit_code in DOCUMENTED_EXIT_CODES and "\n" not in exc.message, exc.message
        return None


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
@example(data=b'extension,first_name,last_name,email\n101,"Ada\n')  # a quote never closed
@example(data=b"extension,first_name,last_name,email\n101,A,B,c@example.com,extra\n")
@example(data=b"\xef\xbb\xbf\r\n\r\n")
@example(data=b"extension;first_name,last_name,email\n1\x00,A,B,C\n")
def test_parse_csv_on_any_bytes(data: bytes) -> None:
    rows = parse(data)
    for row in rows or []:
        assert set(row.values) <= set(bulk.COLUMNS)


@fixture_settings(150)
@given(data=csv_files(), default_setup=st.sampled_from([None, "later", "invite", "bogus"]))
def test_any_rows_are_checked_row_by_row(
    run, tmp_path: Path, data: bytes, default_setup: str | None
) -> None:
    """Parsed, then checked against the account: a plan for every row, or RowErrors naming
    the failing rows (each one an ExtadminError), never another exception."""
    rows = parse(data)
    if rows is None:
        event("refused by the parser")
        return
    account = Account(valid_document(run, tmp_path))
    try:
        bulk.run(account, rows, build_index(account, None), default_setup, dry_run=True)
    except RowErrors as exc:
        event("row errors")
        assert {line for line, _, _ in exc.errors} <= {r.line for r in rows}
        assert all(isinstance(err, ExtadminError) for _, _, err in exc.errors)
        assert exc.exit_code in (3, 5)
    except ExtadminError as exc:  # the --setup default itself
        assert default_setup == "bogus" and exc.exit_code == 3, exc.message
    else:
        event("valid")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@fixture_settings(40)
@given(data=csv_files(max_rows=3), setup=st.sampled_from([[], ["--setup", "later"]]))
def test_bulk_assign_on_any_rows(
    run, tmp_path: Path, suffix: str, data: bytes, setup: list[str]
) -> None:
    """The command on such a file: all rows assigned, or a documented error and nothing
    written (account file, audit log, outbox)."""
    folder = fresh(tmp_path)
    path = folder / f"acme{suffix}"
    dump(path, valid_document(run, tmp_path))
    csv_path = folder / "rows.csv"
    csv_path.write_bytes(data)
    csv_path.chmod(0o600)
    audit = path.with_name("acme.audit.jsonl")
    outbox = path.with_name("acme.outbox")
    result = run("--account", path, "bulk-assign", csv_path, *setup, "--format", "json")
    assert "internal error" not in result.err and "Traceback" not in result.err, result.err
    assert result.code in DOCUMENTED_EXIT_CODES, (result.code, result.err)
    event(f"exit {result.code}")
    if result.code:
        assert load(path) == valid_document(run, tmp_path)
        assert not audit.exists() and not outbox.exists()
        return
    report = json.loads(result.out)
    assigned = {row["extension"] for row in report["rows"]}
    stored = {e["number"]: e for e in load(path)["extensions"]}
    assert assigned <= set(stored) and all("user" in stored[n] for n in assigned)
    assert len(audit.read_text().splitlines()) >= len(report["rows"])
    invited = [n for n in assigned if stored[n]["user"]["setup"] == "invite"]
    assert len(list(outbox.glob("*.eml"))) == len(invited) == report["welcome_emails_queued"]


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"timeout": math.nan}, "mail.timeout"),
        ({"timeout": math.inf}, "mail.timeout"),
        ({"timeout": 0}, "mail.timeout"),
        ({"timeout": -1}, "mail.timeout"),
        ({"timeout": 1e12}, "mail.timeout"),
        ({"port": 0}, "mail.port"),
        ({"port": 70000}, "mail.port"),
        ({"timeout": 0.5, "port": 9}, ""),  # good values: read, and delivery fails cleanly
    ],
    ids=["nan", "inf", "zero", "negative", "huge", "port 0", "port 70000", "good"],
)
def test_hand_edited_mail_settings(run, tmp_path: Path, change: dict[str, Any], names: str) -> None:
    """TOML has nan and inf, JSON any number: a timeout or port no socket accepts is refused
    when the file is read (it used to crash every delivery after the change was saved)."""
    doc = valid_document(run, tmp_path)
    doc["mail"] = {"host": "127.0.0.1", "sender": "it@example.com", "starttls": False} | change
    path = tmp_path / "mail.toml"
    dump(path, doc)
    before = path.read_bytes()
    commands = [
        ("mail", "show"),
        ("assign", "101", "--setup", "invite", "--first-name", "Bob", "--last-name", "Ng",
         "--email", "bob@example.com", "--no-input"),
        ("mail", "send"),
    ]  # fmt: skip
    for command in commands:
        result = run("--account", path, *command)
        assert "internal error" not in result.err and "Traceback" not in result.err, result.err
        if names:
            assert result.code == 6, result.err
            assert f"{path}: {names}: " in result.err
            assert path.read_bytes() == before
        else:  # read; the message is queued, not delivered (nothing listens on port 9)
            assert result.code == (1 if command == ("mail", "send") else 0), result.err


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expires_at", "garbage"),
        ("expires_at", ""),
        ("expires_at", "2030-01-01T00:00:00"),
        ("expires_at", "2030-01-01"),
        ("token_hash", "sha256$é"),
    ],
)
def test_a_hand_edited_activation_is_no_crash(run, tmp_path: Path, field: str, value: str) -> None:
    """An invitation whose expiry is no date with an offset, or whose hash is not ASCII (both
    strings, so the loader takes them): activating with the token is refused cleanly."""
    doc = valid_document(run, tmp_path)
    (invited,) = [e for e in doc["extensions"] if e["number"] == "104"]
    invited["user"]["activation"][field] = value
    for name, secret in SECRETS.items():
        (tmp_path / name).write_text(secret)
    path = tmp_path / "acme.toml"
    dump(path, doc)
    before = path.read_bytes()
    command = ("activate", "104", "--token-file", tmp_path / "tok", "--password-file",
               tmp_path / "pw", "--pin-file", tmp_path / "pin", "--security-question", "2",
               "--security-answer-file", tmp_path / "ans", "--no-input")  # fmt: skip
    result = run("--account", path, *command)
    assert "internal error" not in result.err, result.err
    assert result.code in DOCUMENTED_EXIT_CODES - {0}, result.err
    assert path.read_bytes() == before
