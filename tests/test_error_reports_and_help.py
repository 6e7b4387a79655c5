"""Error reports and help of everyday commands (issue 14): every broken rule reported at once, by
`assign --no-input` and per row by `bulk-assign`; `bulk-assign --help` lists its columns."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from extadmin.services.bulk import COLUMNS
from tests.csv_helpers import csv_text, write_csv


def test_assign_no_input_reports_every_invalid_flag_at_once(account: Path, run: object) -> None:
    before = account.read_bytes()
    result = run(  # type: ignore[operator]
        "assign", "101", "--setup", "invite", "--first-name", "Ada", "--last-name", "Lovelace",
        "--email", "ada@", "--role", "Chief Wizard", "--language", "xx-XX",
        "--short-extension", "911", "--no-input",
    )  # fmt: skip
    assert result.code == 3
    lines = result.err.splitlines()
    assert lines[0].startswith("extadmin: error: email: 'ada@' is not a valid address")
    assert [line.split(":")[0].split("'")[0] for line in lines[1:]] == [
        "  role ",
        "  language",
        "  short extension",
    ]
    assert account.read_bytes() == before


def test_one_error_is_still_one_line(account: Path, run: object) -> None:
    result = run("assign", "101", "--setup", "invite", "--first-name", "Ada",  # type: ignore[operator]
                 "--last-name", "Lovelace", "--email", "ada@", "--no-input")  # fmt: skip
    assert result.code == 3 and result.err.count("\n") == 1


def test_a_conflict_and_an_invalid_value_exit_with_invalid(account: Path, run: object) -> None:
    """As for bulk files: a value to fix first (3) over a conflict (5)."""
    from tests.helpers import assign

    assign(run, "102", "Grace", "Hopper", "grace@acme.example")
    result = run("assign", "101", "--setup", "invite", "--first-name", "Ada",  # type: ignore[operator]
                 "--last-name", "Lovelace", "--email", "grace@acme.example",
                 "--recording", "sometimes", "--no-input")  # fmt: skip
    assert result.code == 3
    assert "grace@acme.example is already used" in result.err
    assert "recording" in result.err


def test_bulk_assign_reports_every_broken_rule_of_a_row(
    account: Path, run: object, tmp_path: Path
) -> None:
    rows = [
        {"extension": "101", "setup": "invite", "first_name": "", "last_name": "L",
         "email": "bad@", "role": "Nope"},
        {"extension": "102", "setup": "invite", "first_name": "Ada", "last_name": "L",
         "email": "ada@acme.example", "role": ""},
    ]  # fmt: skip
    columns = ("extension", "setup", "first_name", "last_name", "email", "role")
    result = run("bulk-assign", write_csv(tmp_path / "r.csv", csv_text(rows, columns)))  # type: ignore[operator]
    assert result.code == 3
    lines = result.err.splitlines()
    assert lines[0] == "extadmin: error: 3 errors in 1 row; nothing was written"
    assert [re.sub(r": .*", "", line) for line in lines[1:]] == [
        "  line 2, column first_name",
        "  line 2, column email",
        "  line 2, column role",
    ]


def test_bulk_assign_help_lists_every_column(run: object) -> None:
    result = run("bulk-assign", "--help")  # type: ignore[operator]
    text = " ".join(result.out.split())
    for column in COLUMNS:
        assert re.search(rf"\b{column}\b", text), column


MAIN_COMMANDS = (
    "list-unassigned", "assign", "activate", "bulk-assign", "export", "verify-email",
    "set-recording",
)  # fmt: skip


def test_the_main_commands_have_examples_that_parse() -> None:
    """Every example in an Examples section is a real command with real options and the right
    number of values: parsed by the command itself (click's own parser), as the shell would
    pass it."""
    import shlex

    from extadmin.cli import whole

    group = whole()
    for name in MAIN_COMMANDS:
        command = group.commands[name]  # type: ignore[attr-defined]
        assert command.epilog and "Examples:" in command.epilog, name
        lines = command.epilog.split("Examples:\n", 1)[1].splitlines()
        for line in lines:
            words = shlex.split(line, comments=True)
            for cut in ("|", ">", "&&"):
                words = words[: words.index(cut)] if cut in words else words
            assert words[0] == "extadmin", line
            sub = group.commands[words[1]]  # type: ignore[attr-defined]
            sub.make_context(words[1], words[2:])  # raises on an unknown option or value


def test_no_help_page_shows_a_python_type(run: object) -> None:
    from tests.helpers import command_paths

    for path in command_paths():
        result = run(*path.split()[1:], "--help")  # type: ignore[operator]
        assert result.code == 0, path
        found = re.findall(r"<(?:str|int|float|bool|path|list\[[a-z]+\])>", result.out)
        assert not found, (path, found)


def test_a_table_into_a_pipe_holds_every_full_value(
    account: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`extension list | grep` finds the whole address, however narrow the terminal."""
    from tests.helpers import assign

    long = "ada.augusta.byron.king.countess.of.lovelace@analytical-engines.acme.example"
    assign(run, "101", "Ada", "Lovelace", long)
    monkeypatch.setenv("COLUMNS", "40")
    done = run("--account", account, "extension", "list")
    assert done.code == 0, done.err
    header, *rows = [line.split("\t") for line in done.out.splitlines()]
    assert header[:5] == ["Extension", "Site", "Status", "User", "Email address"]
    assert ["101", "Main Site", "not-activated", "Ada Lovelace", long] == rows[0][:5]
    assert len(rows) == 8 and "…" not in done.out


def test_an_empty_result_is_none_on_stderr(tmp_path: Path, run: object) -> None:
    assert run("init", tmp_path / "e.toml", "--name", "Empty").code == 0  # type: ignore[operator]
    result = run("list-unassigned")  # type: ignore[operator]
    assert (result.code, result.out, result.err) == (0, "", "none\n")
    as_json = run("list-unassigned", "--format", "json")  # type: ignore[operator]
    assert as_json.out == "[]\n"


def test_extadmin_alone_prints_the_short_usage_and_where_to_start(run: object) -> None:
    result = run()  # type: ignore[operator]
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("Usage: extadmin [OPTIONS] COMMAND [ARGS]...\n")
    assert '`extadmin init acme.toml --name "Acme Corp"`' in result.out
    assert len(result.out.splitlines()) <= 6


def test_no_unassigned_extension_is_exit_4_with_its_hint(tmp_path: Path, run: object) -> None:
    """At a terminal, the walkthrough's first question has nothing to offer: not found."""
    from tests.pty_helpers import Terminal

    path = tmp_path / "empty.toml"
    assert run("init", path, "--name", "Empty").code == 0  # type: ignore[operator]
    terminal = Terminal("--account", str(path), "assign", env={"TERM": "xterm"}, timeout=60)
    try:
        terminal.expect("no unassigned extensions: add some with `extadmin extension add`")
        assert terminal.finish() == 4
    finally:
        terminal.close()
