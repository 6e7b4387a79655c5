"""Load checks and escaping (issue 13, trust), two independent defences. What is loaded is checked:
every value rule of docs/account-file.md holds on load, not only the types (a hand-edited file
breaking one is refused, exit 6, one line naming the file, the field and the rule). And whatever
reaches a terminal is made safe: a control character in a name, a role, a CSV cell or an error
message is shown escaped (`\\x1b`), never written raw, even for content the check never saw."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from extadmin import render
from extadmin.domain import rules
from extadmin.storage import checked, codec
from tests.conftest import Result, invoke, prebuilt
from tests.helpers import assign, refused

pytestmark = pytest.mark.timeout(300)

OSC52 = "\x1b]52;c;aGFja2Vk\x07"  # writes "hacked" to the clipboard of many terminals
UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# the format characters of real names, which act on no terminal and reorder nothing (issue 22):
# ZWNJ, ZWJ, the soft hyphen, the word joiner, the tag characters of subdivision flags
NAME_FORMAT = frozenset("\u200c\u200d\u00ad\u2060") | {chr(c) for c in range(0xE0020, 0xE0080)}


def unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in UNSAFE and ch not in NAME_FORMAT


def raw_controls(text: str) -> list[str]:
    """The control characters in output, but the newlines that end its lines."""
    return [ch for ch in text if ch != "\n" and unsafe(ch)]


class Terminal(io.StringIO):
    """Standard output as a terminal (what `isatty` tells render)."""

    def isatty(self) -> bool:
        return True


def at_terminal(*args: str) -> Result:
    return invoke(*args, stdout=Terminal())


def read(path: Path) -> dict[str, Any]:
    return codec.decode(path, path.read_bytes())  # type: ignore[no-any-return]


def write(path: Path, doc: dict[str, Any]) -> None:
    """As a hand edit would leave it, unchecked: JSON with ASCII escapes (so that any text, a
    lone surrogate too, can be written), TOML by tomli_w."""
    if path.suffix == ".json":
        path.write_text(json.dumps(doc, indent=1), "utf-8")
    else:
        path.write_text(tomli_w.dumps(doc), "utf-8")


@pytest.fixture
def people(request: pytest.FixtureRequest, account: Path, run: Any, secret_args: list[str]) -> Path:
    """The conftest account (TOML) with a user set up later on 101, a credentials user on 2201,
    a desk phone on 106, Engage Voice on 101; account's own security questions, a mail server,
    an activation page; linked to a platform, with a pulled user on 104 the platform gave no
    name or email (its base holds none)."""

    def build() -> None:
        assign(run, "101", "Ada", "Lovelace", "ada@acme.example", "--job-title", "Engineer")
        assign(run, "2201", "Grace", "Hopper", "grace@acme.example", *secret_args)
        result = run("extension", "add", "106", "--device", "Yealink T54W", "--mac", "0004f2abcdef")
        assert result.code == 0, result.err
        doc = read(account)
        doc["account"] |= {
            "activation_url": "https://phones.acme.example/activate",
            "token_days": 7,
        }
        doc["security_questions"] = ["What was your first phone number?"]
        doc["mail"] = {"host": "smtp.acme.example", "sender": "IT <it@acme.example>"}
        doc["platform"] = {
            "server": "https://platform.example",
            "client_id": "AbC",
            "account_id": "9",
        }
        ext = extension(doc, "101")
        ext["user"]["engage_voice"] = {"access": "agent", "agent_group": "Tier 1"}
        pulled = extension(doc, "104")
        pulled_user = {"first_name": "", "last_name": "", "email": "", "role": "Manager",
                       "recording": "off"}  # fmt: skip
        pulled |= {"status": "enabled", "id": "62000000001", "user": pulled_user}
        pulled["base"] = {
            "number": "104",
            "site": "Main Site",
            "status": "enabled",
            "role": "Manager",
        }
        write(account, doc)
        assert run("extension", "list").code == 0

    return prebuilt(request, account, build)


def extension(doc: dict[str, Any], number: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in doc["extensions"] if e.get("number") == number)
    return found


def index(doc: dict[str, Any], number: str) -> int:
    return next(i for i, e in enumerate(doc["extensions"]) if e.get("number") == number)


# --- the OSC 52 hole --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_osc52_in_a_hand_edited_first_name_is_refused_on_load(
    people: Path, run: Any, suffix: str
) -> None:
    """Before: `extension show` printed the sequence raw (exit 0), and the terminal ran it."""
    path = people.with_suffix(suffix)
    doc = read(people)
    extension(doc, "101")["user"]["first_name"] = "Ada" + OSC52
    write(path, doc)
    before = path.read_bytes()
    result = run("--account", path, "extension", "show", "101")
    refused(
        result, path, before, 6,
        f"{path}: extensions[{index(doc, '101')}].user.first_name: "
        "must not contain control characters (U+001B)",
    )  # fmt: skip
    assert not raw_controls(result.out + result.err)


@pytest.fixture
def vouched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every content counts as checked already (the checked-content record vouches for it): the
    load check is skipped, so that what is printed is render's doing alone."""
    monkeypatch.setattr(checked, "known", lambda path, digest: True)


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_osc52_in_a_first_name_is_shown_escaped_even_when_unchecked(
    people: Path, vouched: None, fmt: str
) -> None:
    """Before: written raw by `extension show` (emit_fields printed values as they were)."""
    doc = read(people)
    extension(doc, "101")["user"]["first_name"] = "Ada" + OSC52 + "\x9b2J"
    write(people, doc)
    result = at_terminal("extension", "show", "101", "--format", fmt)
    assert result.code == 0, result.err
    assert not raw_controls(result.out + result.err)
    if fmt == "table":
        assert re.search(r"^First name +Ada\\x1b\]52;c;aGFja2Vk\\x07\\x9b2J$", result.out, re.M)
    else:  # the same data, JSON's escapes
        assert json.loads(result.out)["user"]["first_name"] == "Ada" + OSC52 + "\x9b2J"
        assert "Ada\\u001b]52;c;aGFja2Vk\\u0007\\u009b2J" in result.out


def test_a_csv_export_keeps_the_data_and_is_escaped_only_at_a_terminal(
    people: Path, vouched: None
) -> None:
    doc = read(people)
    extension(doc, "101")["user"]["department"] = "Eng\x1b[2Jineer\tII"
    write(people, doc)
    piped = invoke("users", "list", "--format", "csv")
    shown = at_terminal("users", "list", "--format", "csv")
    assert piped.code == shown.code == 0
    assert "Eng\x1b[2Jineer\tII" in piped.out  # into a file or a pipe: the data as it is
    assert "Eng\\x1b[2Jineer\\tII" in shown.out and not raw_controls(shown.out)


def test_an_error_quoting_what_was_given_is_escaped(run: Any, tmp_path: Path) -> None:
    """Before: click's "No such command" and the missing account path were printed raw."""
    for args in (
        ["list-unassigned" + OSC52],
        ["--account", str(tmp_path / f"acme{OSC52}.toml"), "role", "list"],
        ["extension", "show", "\x1b[2J101"],
    ):
        result = run(*args)
        assert result.code in (2, 3, 4), result.err
        assert result.err.count("\n") == 1 and "Traceback" not in result.err
        assert not raw_controls(result.err), result.err
        assert "\\x1b" in result.err


# --- every value rule holds on load -----------------------------------------------------------

# (where, value, rule): "#101" is the extension numbered 101
CASES: list[tuple[tuple[Any, ...], Any, str]] = [
    (("#101", "user", "first_name"), "Ada\x9b31m", "must not contain control characters (U+009B)"),
    (("#101", "user", "last_name"), "", "is required"),
    (("#101", "user", "first_name"), "A" * 65, "must be at most 64 characters (got 65)"),
    (("#101", "user", "email"), "ada.acme.example", "is not a valid address"),
    (("#101", "user", "email"), "ada@localhost", "is not a valid address"),
    (("#101", "user", "role"), "Astronaut", "'Astronaut' is not one of the account's roles"),
    (("#101", "user", "language"), "tlh-KX", "'tlh-KX' is not one of: en-US"),
    (("#101", "user", "regional_format"), "en-us", "'en-us' must be written 'en-US'"),
    (("#101", "user", "contact_phone"), "617 555 0123", "is not a phone number in E.164 form"),
    (("#101", "user", "mobile_phone"), "+0123", "is not a phone number in E.164 form"),
    (("#101", "user", "job_title"), "J" * 65, "must be at most 64 characters"),
    (("#101", "user", "department"), "Sales\u202e", "control characters (U+202E)"),
    (("#101", "user", "created_at"), "yesterday", "is not a date and time with a UTC offset"),
    (("#101", "user", "unique_email"), False, "false only with setup 'credentials'"),
    (("#101", "user", "engage_voice", "agent_group"), "Tier\x071", "control characters (U+0007)"),
    (("#101", "user", "engage_voice", "imported_at"), "2024-13-01", "not a date and time"),
    (("#2201", "user", "credentials", "security_question"), "Colour?", "not one of the 11"),
    (("#2201", "user", "credentials", "security_question"), "1", "must be written 'What was"),
    (("#102", "number"), "911", "911 is a reserved emergency or service number"),
    (("#106", "device", "mac"), "00-04-f2-ab-cd-ef", "must be written '00:04:F2:AB:CD:EF'"),
    (("#106", "device", "mac"), "01:00:5E:00:00:01", "is a multicast address"),
    (("#106", "device", "model"), " ", "is required"),
    (("#103", "base"), {"site": "Main\x1bSite"}, "base.site: must not contain control"),
    (("account", "name"), "", "is required"),
    (("account", "country"), "XX", "'XX' is not a two-letter country code"),
    (("account", "country"), "us", "'us' must be written 'US'"),
    (("account", "locale"), "klingon", "'klingon' is not one of"),
    (("account", "token_days"), 0, "0 is not 1 to 365 days"),
    (("account", "token_days"), 10**9, "1000000000 is not 1 to 365 days"),
    (("account", "activation_url"), "javascript:alert(1)", "is not an https:// address"),
    (("account", "activation_url"), "http://phones.example/a", "http:// only to this machine"),
    (("account", "activation_url"), "https://x.example/a?b=1", "without a query"),
    (("sites", 1, "code"), "02", "must be 1 to 5 digits, not starting with 0"),
    (("sites", 1, "name"), "Bos\u2028ton", "sites[1].name: must not contain control"),
    (("roles", 0), "Super\x1b[2J Admin", "roles[0]: must not contain control characters"),
    (("security_questions", 0), "First car?\n", "security_questions[0]: must not contain"),
    (("mail", "host"), "smtp\r\n.acme.example", "mail.host: must not contain control"),
    (("mail", "host"), "", "mail.host: is required"),
    (("platform", "server"), "https://\x1bplatform", "platform.server: must not contain"),
]


def place(doc: dict[str, Any], where: tuple[Any, ...]) -> tuple[Any, Any, str]:
    """(parent, key, the error's field path) of a CASES place."""
    parent: Any = doc
    names = []
    for key in where[:-1]:
        if isinstance(key, str) and key.startswith("#"):
            i = index(doc, key[1:])
            parent, names = parent["extensions"][i], [*names, f"extensions[{i}]"]
        else:
            parent = parent[key]
            names.append(f"[{key}]" if isinstance(key, int) else key)
    key = where[-1]
    names.append(f"[{key}]" if isinstance(key, int) else key)
    return parent, key, ".".join(names).replace(".[", "[")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize(("where", "value", "rule"), CASES, ids=[str(c[0]) for c in CASES])
def test_a_value_breaking_its_rule_is_refused_on_load(
    people: Path, run: Any, suffix: str, where: tuple[Any, ...], value: Any, rule: str
) -> None:
    """Before: each of these loaded (only types were checked) and every command used it."""
    path = people.with_suffix(suffix)
    doc = read(people)
    parent, key, field = place(doc, where)
    parent[key] = value
    write(path, doc)
    before = path.read_bytes()
    command = ["extension", "show", "101"] if suffix == ".json" else ["extension", "list"]
    result = run("--account", path, *command)  # JSON: read one extension at a time, all checked
    refused(result, path, before, 6, f"{path}: ", rule)
    assert f": {field}" in result.err or f": {field}:" in result.err, (field, result.err)
    assert not raw_controls(result.err)


def test_a_site_code_used_twice_is_refused_on_load(people: Path, run: Any) -> None:
    doc = read(people)
    doc["sites"].append({"name": "Austin", "code": "2"})
    write(people, doc)
    before = people.read_bytes()
    refused(run("site", "list"), people, before, 6, "sites[2].code: site code 2 is also the")


def test_what_the_platform_gave_is_the_platforms_to_judge(people: Path, run: Any) -> None:
    """A pulled user without a name or an email, or with an address this tool would not take, a
    reserved number the platform holds, load while the field holds the pulled value (its base);
    a local edit of it must hold the rule, and no control character is let through either way."""
    doc = read(people)
    pulled = extension(doc, "104")
    pulled["user"]["email"] = pulled["base"]["email"] = "ops@corp.local"
    write(people, doc)
    assert run("extension", "show", "104").code == 0
    pulled["user"]["email"] = "ops@corp.lan@"
    write(people, doc)
    before = people.read_bytes()
    refused(run("extension", "show", "104"), people, before, 6, "user.email: 'ops@corp.lan@'")
    pulled["user"]["email"] = pulled["base"]["email"] = "ops@corp.local\x1b"
    write(people, doc)
    before = people.read_bytes()
    refused(run("extension", "show", "104"), people, before, 6, "base.email: must not contain")
    pulled["user"]["email"] = pulled["base"]["email"] = ""
    pulled["number"] = pulled["base"]["number"] = "411"  # reserved, but on the platform
    write(people, doc)
    assert run("extension", "show", "62000000001").code == 0  # 411 itself is refused as input
    pulled["number"] = "911"  # a local edit
    write(people, doc)
    before = people.read_bytes()
    refused(run("extension", "list"), people, before, 6, "number: 911 is a reserved emergency")


def test_the_bundled_example_passes_the_load_check(run: Any) -> None:
    """The example account (every field in use) is valid as shipped."""
    example_file = Path(__file__).parent.parent / "examples" / "acme.json"
    for path in (example_file, example_file.with_suffix(".toml")):
        result = run("--account", path, "extension", "list", "--format", "json")
        assert result.code == 0, result.err


# --- the rules' own fast paths agree with them ------------------------------------------------

local_parts = st.from_regex(r"[A-Za-z0-9_+.\-]{1,70}", fullmatch=True)
domains = st.sampled_from(
    ["acme.example", "ACME.Example", "localhost", "corp.local", "x.test", "a.invalid", "b.onion",
     "1.2.3.4", "example", "ex-.com", "-ex.com", "ex..com", "xn--bcher-kva.example",
     "b\u00fccher.example", "a" * 64 + ".com", ("a" * 60 + ".") * 4 + "com", "co.uk", "[1.2.3.4]"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(local=local_parts | st.text(max_size=12), domain=domains | st.text(max_size=12))
@example(local="x" * 64, domain="acme.example")
@example(local="x" * 65, domain="acme.example")
@example(local="a" * 200, domain="acme.example")
@example(local="PostMaster", domain="ACME.example")
@example(local="Info.Desk", domain="Acme.Example")
def test_email_fast_paths_agree_with_the_library(local: str, domain: str) -> None:
    """email() (its plain-address path) normalises what email-validator normalises, the
    same way, and refuses what it refuses; email_syntax() gives the same verdict."""
    from email_validator import EmailNotValidError, validate_email

    address = f"{local}@{domain}"
    try:
        expected: str | None = validate_email(
            address.strip(), check_deliverability=False
        ).normalized
    except EmailNotValidError:
        expected = None
    try:
        got: str | None = rules.email(address)
    except rules.InvalidValue:
        got = None
    assert got == expected, address
    try:
        rules.email_syntax(address)
        valid = True
    except rules.InvalidValue:
        valid = False
    assert valid == (expected is not None), address


@settings(max_examples=300, deadline=None)
@given(value=st.text())
def test_control_char_is_the_category_rule(value: str) -> None:
    found = [ch for ch in value if unsafe(ch)]
    assert rules.control_char(value) == (found[0] if found else None)


# --- render: the terminal's side --------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(codec=None)))
def test_safe_leaves_no_control_character_and_keeps_the_rest(value: str) -> None:
    shown = render.safe(value)
    assert not [ch for ch in shown if unsafe(ch)]
    if not rules.control_char(value):
        assert shown == value  # letters of any script, spaces, symbols: as they are


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.dictionaries(st.text(max_size=5), st.text(st.characters(codec=None)))))
def test_json_output_has_no_raw_control_character_and_the_same_data(
    rows: list[dict[str, str]],
) -> None:
    encoded = render.safe_json(render.as_json(rows))
    assert not raw_controls(encoded)
    assert json.loads(encoded) == rows


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.dictionaries(
            st.text(max_size=5),
            st.text(st.characters(max_codepoint=0x7F)) | st.text(st.characters(codec=None)),
        ),
        max_size=5,
    ),
    encoding=st.sampled_from(
        [
            ("utf-8", "strict"),
            ("ascii", "backslashreplace"),
            ("latin-1", "backslashreplace"),
            ("utf-8-sig", "strict"),
            ("utf-16", "strict"),
        ]
    ),  # fmt: skip
)
def test_json_rows_written_as_bytes_are_the_text_the_text_path_writes(
    rows: list[dict[str, str]], encoding: tuple[str, str]
) -> None:
    """Into a pipe or a file (standard output with bytes under it), a JSON listing is written
    to the bytes as standard output's text layer would write it (its encoding, its errors):
    what the text path writes, to the byte (StringIO, as the in-process tests capture, has
    only the text path)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding=encoding[0], errors=encoding[1], newline="")
    with contextlib.redirect_stdout(out):
        render.emit(rows, "json", [])
    out.flush()
    expected = render.safe_json(render.as_json(rows)) + "\n"
    assert out.buffer.getvalue() == expected.encode(*encoding)


# --- the property: refused on load, or shown escaped ------------------------------------------

PRINTING: list[tuple[str, ...]] = [
    ("extension", "show", "{n}"), ("extension", "show", "{n}", "--format", "json"),
    ("extension", "list"), ("extension", "list", "--format", "json"),
    ("extension", "list", "--format", "csv"), ("list-unassigned",),
    ("list-unassigned", "--format", "csv"), ("users", "list"), ("users", "list", "--format", "csv"),
    ("users", "list", "--format", "json"), ("export",), ("export", "--format", "csv"),
    ("recording", "list"), ("engage-voice", "list"), ("role", "list"),
    ("role", "list", "--format", "csv"), ("site", "list"), ("site", "list", "--format", "json"),
    ("security-question", "list"), ("mail", "show"), ("platform", "status"),
]  # fmt: skip

ESCAPES = st.sampled_from(
    [OSC52, "\x1b[2J", "\x1b[31m", "\x9b31m", "\x9d52;c;eA==\x9c", "\r", "\n", "\t", "\x00",
     "\x07", "\x08", "\x7f", "\u202e", "\u2028", "\u200b", "\ufeff"]
)  # fmt: skip
CONTROLS = st.text(
    st.characters(categories=["Cc", "Cf", "Zl", "Zp"], exclude_characters=NAME_FORMAT),
    min_size=1,
    max_size=4,
)


def string_fields(obj: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The place of every string value of a document."""
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    )
    for key, value in items:
        if isinstance(value, str):
            yield (*where, key)
        else:
            yield from string_fields(value, (*where, key))


@pytest.fixture
def spoil(people: Path) -> Callable[[Any, str], tuple[Path, str]]:
    """spoil(data, suffix) -> (file, extension to show): the people account with control
    characters put into one string field (hypothesis draws which, where and what)."""
    pristine = read(people)
    fields = sorted(string_fields(pristine), key=repr)
    count = iter(range(10**6))

    def make(data: Any, suffix: str) -> tuple[Path, str]:
        doc = copy.deepcopy(pristine)
        where = data.draw(st.sampled_from(fields), label="field")
        parent: Any = doc
        for key in where[:-1]:
            parent = parent[key]
        value = parent[where[-1]]
        bad = data.draw(ESCAPES | CONTROLS, label="control characters")
        at = data.draw(st.integers(0, len(value)), label="at")
        parent[where[-1]] = value[:at] + bad + value[at:]
        shown = "101"
        if where[0] == "extensions":
            shown = pristine["extensions"][where[1]].get("number", "101")
        path = people.with_name(f"spoiled-{next(count)}{suffix}")
        write(path, doc)
        return path, shown

    return make


def printed_by_every_command(data: Any, path: Path, shown: str) -> Iterator[tuple[Any, Result]]:
    for command in data.draw(st.lists(st.sampled_from(PRINTING), min_size=3, max_size=3)):
        args = [a.replace("{n}", shown) for a in command]
        yield args, at_terminal("--account", str(path), *args)


SPOIL = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SPOIL
@given(data=st.data(), suffix=st.sampled_from([".toml", ".json"]))
def test_control_characters_in_any_field_are_refused_on_load(
    spoil: Callable[[Any, str], tuple[Path, str]], data: Any, suffix: str
) -> None:
    path, shown = spoil(data, suffix)
    before = path.read_bytes()
    for args, result in printed_by_every_command(data, path, shown):
        refused(result, path, before, 6, f"{path}: ")
        assert not raw_controls(result.err), (args, result.err)


@SPOIL
@given(data=st.data(), suffix=st.sampled_from([".toml", ".json"]))
def test_control_characters_in_any_field_are_shown_escaped_by_every_command(
    spoil: Callable[[Any, str], tuple[Path, str]], vouched: None, data: Any, suffix: str
) -> None:
    """The second defence alone: content the check never saw (the record vouches for it), and
    still no command writes a control character to the terminal, on either output."""
    path, shown = spoil(data, suffix)
    for args, result in printed_by_every_command(data, path, shown):
        assert "Traceback" not in result.err, (args, result.err)
        assert not raw_controls(result.out), (args, result.out)
        assert not raw_controls(result.err), (args, result.err)
        if result.code:
            assert result.err.count("\n") == 1, (args, result.err)


def test_the_python_running_this_escapes_c0_in_json() -> None:
    """What safe_json builds on: the encoder escapes C0 controls with ensure_ascii off, and
    leaves C1 controls raw (so safe_json has them to do)."""
    assert json.dumps("\x1b\n", ensure_ascii=False) == '"\\u001b\\n"'
    assert json.dumps("\x9b", ensure_ascii=False) == '"\x9b"'
    assert sys.version_info >= (3, 11)
