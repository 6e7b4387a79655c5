"""Fuzzing the command line itself: any argument list, built from the real command and option
names, plausible values and arbitrary text, ends with a documented exit code, never a traceback
or an internal error, and a command that fails leaves the account file and its audit log
byte-identical."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import extadmin.cli
from extadmin.storage.store import AccountStore
from tests.helpers import DOCUMENTED_EXIT_CODES

pytestmark = pytest.mark.timeout(300)


@dataclass
class Command:
    options: dict[str, bool]  # option name -> takes a value
    arguments: list[str]  # positional parameter names, `*` marking one that takes many


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    """Every command and subcommand of the real program (and the root), with its parameters."""
    found = Command({}, [])
    for param in command.params:
        if param.param_type_name == "option":
            for name in (*param.opts, *param.secondary_opts):
                found.options[name] = not param.is_flag and not param.count
        else:
            found.arguments.append(param.name + ("*" if param.nargs == -1 else ""))
    yield path, found
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _walk(sub, (*path, name))


TREE = dict(_walk(extadmin.cli.whole()))
COMMANDS = [path for path in TREE if path]
WORDS = sorted({word for path in COMMANDS for word in path})
OPTIONS = sorted({name for c in TREE.values() for name in c.options} | {"--help", "-h"})


def test_the_walk_finds_the_commands_of_the_spec() -> None:
    for path in [
        ("init",),
        ("site", "add"),
        ("site", "list"),
        ("role", "list"),
        ("extension", "add"),
        ("extension", "list"),
        ("extension", "show"),
        ("list-unassigned",),
        ("assign",),
        ("verify-email",),
        ("set-recording",),
        ("security-question", "list"),
        ("bulk-assign",),
        ("account", "convert"),
    ]:
        assert path in TREE, path
    assert TREE[()].options["--account"] and not TREE[()].options["--version"]
    assert TREE[("assign",)].options["--setup"] and not TREE[("assign",)].options["--dry-run"]
    assert TREE[("extension", "add")].arguments == ["numbers*"]


NUMBERS = ["101", "102", "106", "2201", "150", "1-5", "201-250", "250-201", "911", "0", "-1"]
# values a user might pass: good ones for the small account, near misses and extremes
VALUES = [
    *NUMBERS,
    *[str(10**30), str(-(10**30)), "9" * 5000, "1e309", "nan", "inf", "0x10", "1.5", "+5"],
    *["Boston", "Main Site", "Nowhere", "boston", "2", "Standard User", "Janitor"],
    *["json", "csv", "table", "xml", "invite", "credentials", "later", "bogus"],
    *["off", "inbound", "outbound", "both", "agent", "admin", "en-US", "US", "ZZ"],
    *["ada@example.com", "grace@example.com", "Ada", "a@b", "@", "Polycom VVX 450"],
    *["00:04:f2:ab:cd:ef", "acme.toml", "acme.json", "new.toml", "new.json", "rows.csv"],
    *["missing.csv", "x.yaml", "-", "--", "---", "-x", "", " ", "\t", "\n", "=", "~", "."],
]
# the likely values of each option and argument, so that many command lines get past parsing
HINTS: dict[str, list[str]] = {
    "--setup": ["invite", "credentials", "later", "Invite", ""],
    "--format": ["json", "csv", "table", "yaml"],
    "--site": ["Boston", "Main Site", "boston", "Nowhere"],
    "--code": ["3", "2", "03", "123456"],
    "--recording": ["off", "inbound", "outbound", "both", "all"],
    "--direction": ["off", "inbound", "outbound", "both", "all"],
    "--status": ["unassigned", "enabled", "not-activated", "disabled", "gone"],
    "--first-name": ["Ada", "Grace", " ", "x" * 65],
    "--last-name": ["Lovelace", "Hopper", "O'Brien-Ng"],
    "--email": ["ada@example.com", "grace@example.com", "GRACE@example.com", "ada@", "ada"],
    "--short-extension": ["1234", "101", "9"],
    "--contact-phone": ["+1 650 253 0000", "650-253-0000", "12", "+999"],
    "--mobile-phone": ["+1 650 253 0000", "+1 800 555 0100", "abc"],
    "--role": ["Standard User", "Manager", "manager", "Janitor"],
    "--language": ["en-US", "fr-FR", "xx-XX"],
    "--greeting-language": ["en-US", "de-DE", "en"],
    "--regional-format": ["en-GB", "ja-JP", "zz"],
    "--security-question": ["1", "0", "99", "In what city were you born?"],
    "--password-file": ["rows.csv", "missing", "."],
    "--pin-file": ["rows.csv", "missing"],
    "--security-answer-file": ["rows.csv", "missing"],
    "--token-file": ["rows.csv", "missing"],
    "--device": ["Polycom VVX 450", "", " "],
    "--mac": ["00:04:f2:ab:cd:ef", "01:00:5e:00:00:01", "zz"],
    "--access": ["agent", "admin", "both", "none"],
    "--agent-group": ["Sales", ""],
    "--host": ["127.0.0.1", "mail.example.com"],  # never contacted: one command per example
    "--sender": ["it@example.com", "it"],
    "--port": ["25", "0", "65536", "-1", str(10**30)],
    "--username": ["it"],
    "--name": ["Other Corp", "", "x" * 100],
    "--country": ["US", "gb", "ZZ", "USA"],
    "--locale": ["en-US", "fr-FR", "xx"],
    "--site-code": ["3", "0"],
    "--account": ["acme.toml", "acme.json", "new.toml", "x.yaml", "", "."],
    "-a": ["acme.json", "missing.toml"],
    "number": ["101", "106", "2201", "150", "abc", "911"],
    "numbers": NUMBERS,
    "path": ["new.toml", "new.json", "acme.toml", "acme.json", "x.yaml", "missing.toml", "."],
    "source": ["acme.toml", "acme.json", "missing.toml"],
    "target": ["new.json", "new.toml", "acme.json", "x.yaml"],
    "email": ["ada@example.com", "grace@example.com", "Grace@Example.com", "not-an-email"],
    "name": ["Chicago", "Boston", "", "Main Site"],
    "file": ["rows.csv", "-", "missing.csv", "acme.toml", "."],
}
HINTS["-f"] = HINTS["--format"]
# Linux hands Python argv as bytes decoded with surrogateescape: an argument in another encoding
# than UTF-8 arrives as lone surrogates U+DC80..U+DCFF. A NUL byte cannot be in argv at all, and
# no argument may name a path outside the test folder (no '/').
characters = st.characters(exclude_characters="/\x00") | st.sampled_from(
    [chr(c) for c in range(0xDC80, 0xDD00)]
)
texts = st.text(characters, max_size=12)
anything = st.one_of(st.sampled_from(VALUES), texts, st.sampled_from(OPTIONS + WORDS))


def value_for(name: str) -> st.SearchStrategy[str]:
    hints = HINTS.get(name.rstrip("*"))
    if not hints:
        return st.one_of(st.sampled_from(VALUES), texts)
    return st.one_of(st.sampled_from(hints), st.sampled_from(hints), st.sampled_from(VALUES), texts)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A command path, then its arguments and options in any order (options with a value, mostly
    a likely one); now and then an extra token of any kind, or no structure at all."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.lists(anything, max_size=8))
    path = draw(st.sampled_from(COMMANDS))
    command = TREE[path]
    parts: list[list[str]] = []
    for argument in command.arguments:
        count = (
            draw(st.integers(0, 3))
            if argument.endswith("*")
            else draw(st.integers(0, 1) | st.just(1))
        )
        parts += [[draw(value_for(argument))] for _ in range(count)]
    names = sorted(command.options)
    for name in draw(st.lists(st.sampled_from(names), max_size=5)) if names else []:
        parts.append([name, draw(value_for(name))] if command.options[name] else [name])
    parts += [[draw(anything)] for _ in range(draw(st.integers(0, 3) | st.just(0)))]
    parts = draw(st.permutations(parts)) if parts else parts
    root = draw(st.lists(st.sampled_from(["--account", "-a", "--version", "-h"]), max_size=1))
    prefix = [*root, draw(value_for(root[0]))] if root and root[0] in ("--account", "-a") else root
    return [*prefix, *path, *[token for part in parts for token in part]]


def _is_mail_send(argv: list[str]) -> bool:
    return any(argv[i : i + 2] == ["mail", "send"] for i in range(len(argv)))


# --- the account, fresh for every example ---------------------------------------------------


_TEMPLATE: dict[str, bytes] = {}


def template(run, folder: Path) -> dict[str, bytes]:
    """The small account of conftest (a TOML and a JSON copy), with 106 assigned, and a good
    CSV file: built once through the command line, copied into a fresh folder per example."""
    if _TEMPLATE:
        return _TEMPLATE
    path = folder / "acme.toml"
    for args in (
        ("init", path, "--name", "Acme Corp"),
        ("site", "add", "Boston", "--code", "2"),
        ("extension", "add", "101-106"),
        ("extension", "add", "2201-2203", "--site", "Boston"),
        ("assign", "106", "--setup", "later", "--first-name", "Grace", "--last-name", "Hopper",
         "--email", "grace@example.com", "--no-input"),
        ("account", "convert", path, path.with_suffix(".json")),
    ):  # fmt: skip
        result = run("--account", path, *args)
        assert result.code == 0, (args, result.err)
    _TEMPLATE.update(
        {name: (folder / name).read_bytes() for name in ("acme.toml", "acme.audit.jsonl")}
    )
    _TEMPLATE["acme.json"] = path.with_suffix(".json").read_bytes()
    _TEMPLATE["rows.csv"] = (
        b"extension,setup,first_name,last_name,email\n101,later,Ada,Lovelace,ada@example.com\n"
    )
    return _TEMPLATE


def fresh_folder(tmp_path: Path, template: dict[str, bytes]) -> Path:
    folder = Path(tempfile.mkdtemp(dir=tmp_path, prefix="ex-"))
    for name, data in template.items():
        (folder / name).write_bytes(data)
    return folder


def state(folder: Path) -> dict[str, bytes]:
    """The account files and their audit logs."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name.startswith("acme.")
    }


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=command_lines())
@example(argv=["site", "add", "\udcff"])  # a site name in Latin-1: stored, it cannot be encoded
@example(argv=["extension", "add", "150", "--device", "Polycom \udce9"])
@example(argv=["assign", "101", "--setup", "later", "--first-name", "Jos\udce9",
               "--last-name", "X", "--email", "jose@example.com", "--no-input"])  # fmt: skip
@example(argv=["mail", "configure", "--host", "h\udcff", "--sender", "it@example.com"])
@example(argv=["-a", "", "extension", "list"])
@example(argv=["extension", "add", "--", "-5"])
@example(argv=["extension", "add", "9" * 5000])
@example(argv=["bulk-assign", "-"])
@example(argv=["bulk-assign", "rows.csv", "--setup", ""])
def test_any_command_line(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    build = tmp_path / "build"
    build.mkdir(exist_ok=True)
    folder = fresh_folder(tmp_path, template(run, build))
    monkeypatch.chdir(folder)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "xdg-data"))
    monkeypatch.setenv("EXTADMIN_ACCOUNT", str(folder / "acme.toml"))
    monkeypatch.setenv("EXTADMIN_LOCK_TIMEOUT", "2")
    before = state(folder)

    result = run(*argv, stdin="")
    event(f"exit {result.code}")

    assert "Traceback" not in result.err, (argv, result.err)
    assert "internal error" not in result.err, (argv, result.err)
    documented = result.code in DOCUMENTED_EXIT_CODES or (
        # README: `mail send` exits 1 while a message stays queued (or no server is configured)
        result.code == 1 and _is_mail_send(argv) and "extadmin: error:" in result.err
    )
    assert documented, (argv, result.code, result.err)
    if result.code != 0:
        assert state(folder) == before, (argv, result.code, result.err)
    assert not list(folder.rglob("*.tmp")), argv
    for name in ("acme.toml", "acme.json"):  # whatever the command did, still a good account
        AccountStore(folder / name).read()
