"""bulk-assign reads CSV files as people make them (SPEC section 4): a byte-order mark, `;`
from a spreadsheet set to a European locale, the portal's headers ("First Name"), quoted
cells with commas and line breaks, blank lines, standard input. A file it cannot use is one
clear line and the documented exit code, never a traceback, and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.csv_helpers import (
    BASIC,
    Snapshot,
    csv_text,
    error_lines,
    extensions,
    recipients,
    write_csv,
)
from tests.helpers import outbox

ROWS = [
    {
        "extension": "101",
        "setup": "invite",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
    },
    {
        "extension": "102",
        "setup": "later",
        "first_name": "Bob",
        "last_name": "Ng",
        "email": "bob@example.com",
    },
    {
        "extension": "2201",
        "setup": "invite",
        "first_name": "Cy",
        "last_name": "Young",
        "email": "cy@example.com",
    },
]


def assert_assigned(account: Path, rows: list[dict[str, str]] = ROWS) -> None:
    """Each row's user is stored on its extension, and the invited ones have their email."""
    stored = extensions(account)
    for row in rows:
        user = stored[row["extension"]]["user"]
        assert (user["first_name"], user["last_name"], user["email"], user["setup"]) == (
            row["first_name"],
            row["last_name"],
            row["email"],
            row["setup"],
        )
    assert recipients(account) == sorted(r["email"] for r in rows if r["setup"] == "invite")


def assert_one_line_error(result: Any, code: int, *pieces: str) -> None:
    assert result.code == code, result.err
    assert result.out == ""
    assert result.err.startswith("extadmin: error: ")
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    for piece in pieces:
        assert piece in result.err


# --- files that work --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "delimiter", "bom"),
    [
        (BASIC, ",", False),
        (BASIC, ",", True),
        (["Extension", "Setup", "First Name", "Last-Name", "EMAIL"], ",", False),
        (["Extension", "Setup", "First Name", "Last Name", "Email"], ";", True),
        ([" extension ", "SETUP", "firstname", "LAST_NAME", "E-mail"], ";", False),
        (["Extension", "Setup", "First Name", "Last Name", "Email"], "\t", False),
    ],
    ids=["plain", "bom", "portal-headers", "semicolon-bom", "odd-spacing", "tab"],
)
def test_headers_delimiters_and_byte_order_mark(
    run, account: Path, tmp_path: Path, header: list[str], delimiter: str, bom: bool
) -> None:
    keys = BASIC
    text = csv_text(ROWS, keys, delimiter=delimiter)
    text = delimiter.join(header) + text[text.index("\n") :]
    path = write_csv(tmp_path / "hires.csv", ("\ufeff" if bom else "") + text, mode=0o644)

    result = run("bulk-assign", path)

    assert result.code == 0, result.err
    assert "assigned 3 extension(s); 2 welcome email(s) queued" in result.err
    assert "warning" not in result.err  # no secrets in the file: 644 is fine
    assert_assigned(account)


def test_quoted_cells_with_commas_quotes_and_line_breaks(
    run, account: Path, tmp_path: Path
) -> None:
    text = (
        "extension,setup,first_name,last_name,email,department,job_title\n"
        '101,later,Ada,"Lovelace, Countess",ada@example.com,"Research, Analytical Engine",\n'
        '102,later,Bob,Ng,bob@example.com,,"The ""Boss"""\n'
    )
    path = write_csv(tmp_path / "hires.csv", text)

    result = run("bulk-assign", path)

    assert result.code == 0, result.err
    stored = extensions(account)
    assert stored["101"]["user"]["last_name"] == "Lovelace, Countess"
    assert stored["101"]["user"]["department"] == "Research, Analytical Engine"
    assert stored["102"]["user"]["job_title"] == 'The "Boss"'


def test_line_numbers_stay_right_after_a_cell_with_line_breaks(
    run, account: Path, tmp_path: Path
) -> None:
    text = (
        "extension,setup,first_name,last_name,email,job_title\n"  # line 1
        '101,later,Ada,Lovelace,ada@example.com,"Head of\n'  # lines 2-4: one row
        "Analytical\n"
        'Engines"\n'
        "\n"  # line 5
        '102,later,"Ng, Jr.",Bob,bob@example.com,"Sales, East"\n'  # line 6: good
        "103,later,Cy,Young,not-an-email,\n"  # line 7
        '104,later,Dee,"Multi\n'  # lines 8-9
        'Line",dee@example.com,\n'
        "105,later,Eve,Adams,eve@example.com,\n"  # line 10: good
    )
    path = write_csv(tmp_path / "hires.csv", text)
    before = Snapshot.of(account)

    result = run("bulk-assign", path)

    assert result.code == 3
    assert [line.split(":")[0] for line in error_lines(result.err)] == [
        "line 2, column job_title",
        "line 7, column email",
        "line 8, column last_name",
    ]
    assert "control characters" in error_lines(result.err)[0]
    assert Snapshot.of(account) == before


def test_blank_lines_are_skipped(run, account: Path, tmp_path: Path) -> None:
    body = csv_text(ROWS, BASIC)
    header, *lines = body.splitlines()
    text = "\n\n" + header + "\n\n" + lines[0] + "\n   \n,,,,\n" + "\n".join(lines[1:]) + "\n\n\n"
    path = write_csv(tmp_path / "hires.csv", text.replace("\n", "\r\n"))

    result = run("bulk-assign", path)

    assert result.code == 0, result.err
    assert_assigned(account)


def test_line_numbers_count_blank_lines(run, account: Path, tmp_path: Path) -> None:
    text = (
        "\n"  # 1
        "extension,setup,first_name,last_name,email\n"  # 2
        "\n"  # 3
        "101,later,Ada,Lovelace,ada@example.com\n"  # 4
        "\n"  # 5
        "\n"  # 6
        "102,later,Bob,Ng,bob@@example.com\n"  # 7
    )
    path = write_csv(tmp_path / "hires.csv", text)

    result = run("bulk-assign", path)

    assert result.code == 3
    (line,) = error_lines(result.err)
    assert line.startswith("line 7, column email: ")


def test_missing_trailing_cells_are_empty(run, account: Path, tmp_path: Path) -> None:
    text = (
        "extension,first_name,last_name,email,setup,department,role\n"
        "101,Ada,Lovelace,ada@example.com,later\n"
        "102,Bob,Ng,bob@example.com,later,Ops\n"
    )
    path = write_csv(tmp_path / "hires.csv", text)

    result = run("bulk-assign", path)

    assert result.code == 0, result.err
    stored = extensions(account)
    assert "department" not in stored["101"]["user"]
    assert stored["102"]["user"]["department"] == "Ops"
    assert stored["101"]["user"]["role"] == "Standard User (International)"


def test_standard_input(account: Path, run: Any) -> None:
    text = csv_text(ROWS, BASIC)

    result = run("--account", account, "bulk-assign", "-", stdin="\ufeff" + text)

    assert result.code == 0, result.err
    assert "assigned 3 extension(s); 2 welcome email(s) queued" in result.err
    assert "Traceback" not in result.err
    assert_assigned(account)


def test_standard_input_errors_name_their_lines(account: Path, run: Any) -> None:
    text = "extension;setup;First Name;Last Name;Email\n101;later;Ada;;ada@example.com\n"
    before = Snapshot.of(account)

    result = run("--account", account, "bulk-assign", "-", stdin=text)

    assert result.code == 3, result.err
    assert "  line 2, column last_name: last name: is required" in result.err
    assert Snapshot.of(account) == before


def test_empty_standard_input(account: Path, run: Any) -> None:
    result = run("--account", account, "bulk-assign", "-", stdin="")

    assert result.code == 3
    assert result.err == (
        "extadmin: error: file: standard input is empty: expected a header line and rows\n"
    )


# --- files that cannot be used: one line, exit 3 (4 when missing), nothing written -----------

UNUSABLE = [
    ("empty", b"", "is empty: expected a header line and rows"),
    ("blank lines only", b"\n \r\n\n", "is empty"),
    ("byte-order mark only", b"\xef\xbb\xbf", "is empty"),
    (
        "header only",
        b"extension,setup,first_name,last_name,email\n",
        "has a header but no rows",
    ),
    (
        "header without newline",
        b"extension,setup,first_name,last_name,email",
        "has a header but no rows",
    ),
    (
        "header and blank lines",
        b"extension,setup,first_name,last_name,email\n\n,,,,\n",
        "has a header but no rows",
    ),
    (
        "not UTF-8",
        "extension,first_name,last_name,email\n101,Zoë,X,z@example.com\n".encode("latin-1"),
        "is not UTF-8 text",
    ),
    (
        "unterminated quote",
        b'extension,setup,first_name,last_name,email\n101,later,"Ada,Lovelace,ada@example.com\n',
        "malformed CSV",
    ),
    (
        "too many cells",
        b"extension,setup,first_name,last_name,email\n"
        b"101,later,Ada,Lovelace,ada@example.com\n"
        b"102,later,Bob,Ng,bob@example.com,extra\n",
        "line 3: 6 cells for 5 columns",
    ),
    (
        "column twice",
        b"extension,setup,first_name,last_name,email,E-Mail\n101,later,A,B,a@example.com,\n",
        "column email appears twice",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"), [c[1:] for c in UNUSABLE], ids=[c[0] for c in UNUSABLE]
)
def test_unusable_files(run, account: Path, tmp_path: Path, data: bytes, message: str) -> None:
    path = write_csv(tmp_path / "hires.csv", data)
    before = Snapshot.of(account)

    result = run("bulk-assign", path)

    assert_one_line_error(result, 3, message)
    assert Snapshot.of(account) == before
    assert not outbox(account).exists()


@pytest.mark.parametrize(
    ("header", "pieces"),
    [
        (
            "extension,setup,Frist Name,last_name,email",
            ["unknown column(s) 'Frist Name' (did you mean first_name?)"],
        ),
        (
            "extension,setup,first_name,last_name,Emial,email",
            ["'Emial' (did you mean email?)"],
        ),
        (
            "extension,setup,first_name,last_name,email,Favourite Colour,Mobil Phone",
            ["'Favourite Colour'", "'Mobil Phone' (did you mean mobile_phone?)"],
        ),
    ],
    ids=["typo", "typo-beside-the-real-one", "two-unknown"],
)
def test_unknown_columns_are_named_with_the_closest_known_name(
    run, account: Path, tmp_path: Path, header: str, pieces: list[str]
) -> None:
    cells = ",".join(["101", "later", "Ada", "Lovelace", "ada@example.com", "x", "y"])
    text = header + "\n" + ",".join(cells.split(",")[: header.count(",") + 1]) + "\n"
    path = write_csv(tmp_path / "hires.csv", text)
    before = Snapshot.of(account)

    result = run("bulk-assign", path)

    assert_one_line_error(result, 3, "header: unknown column(s)", *pieces)
    assert "'Favourite Colour' (did you mean" not in result.err
    assert Snapshot.of(account) == before


@pytest.mark.parametrize("missing", ["extension", "first_name", "last_name", "email"])
def test_a_missing_required_column_is_named(
    run, account: Path, tmp_path: Path, missing: str
) -> None:
    columns = [c for c in BASIC if c != missing]
    path = write_csv(tmp_path / "hires.csv", csv_text(ROWS, columns))
    before = Snapshot.of(account)

    result = run("bulk-assign", path)

    assert_one_line_error(result, 3, f"header: missing required column(s): {missing}\n")
    assert Snapshot.of(account) == before


def test_a_missing_file_is_not_found(run, account: Path, tmp_path: Path) -> None:
    result = run("bulk-assign", tmp_path / "nowhere.csv")

    assert_one_line_error(result, 4, "CSV file not found", "nowhere.csv")
