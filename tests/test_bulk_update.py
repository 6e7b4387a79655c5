"""Issue 23: `bulk-update`, so that `export`, an edit in a spreadsheet and `bulk-update` are a
round trip: the extension is the key, an empty cell leaves its field as it is, all or nothing,
every error of every row."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def users(account: Path, run: Any, tmp_path: Path) -> Path:
    """The conftest account with four users (101-103 on the main site, 2201 in Boston)."""
    for number, first in (("101", "Ada"), ("102", "Bob"), ("103", "Cy"), ("2201", "Di")):
        assigned = run(
            "assign", number, "--setup", "later", "--first-name", first, "--last-name", "Tester",
            "--email", f"{first.lower()}@acme.example", "--job-title", "Clerk",
            "--department", "Ops", "--no-input",
        )  # fmt: skip
        assert assigned.code == 0, assigned.err
    return account


def export(run: Any) -> str:
    result = run("export", "--format", "csv")
    assert result.code == 0, result.err
    return str(result.out)


def edited(text: str, edits: dict[tuple[str, str], str]) -> str:
    """The CSV with cells changed, by (extension, column), written as a spreadsheet would."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for (number, column), value in edits.items():
        next(r for r in rows if r["extension"] == number)[column] = value
    out = io.StringIO(newline="")
    ending = "\r\n" if "\r\n" in text else "\n"  # as export wrote it
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator=ending)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_export_edit_three_cells_bulk_update_export_is_the_edited_file(
    users: Path, run: Any, tmp_path: Path
) -> None:
    before = export(run)
    wanted = edited(
        before,
        {("101", "job_title"): "Head of Sales", ("102", "department"): "Sales",
         ("2201", "recording"): "both"},
    )  # fmt: skip
    assert wanted != before
    path = tmp_path / "users.csv"
    path.write_text(wanted, newline="")
    done = run("bulk-update", path, "--format", "json")
    assert done.code == 0, done.err
    report = json.loads(done.out)
    assert [r["changed"] for r in report["rows"]] == [
        "job_title", "department", "nothing", "recording",
    ]  # fmt: skip
    assert export(run) == wanted


def test_several_bad_rows_change_nothing_and_every_error_is_listed(
    users: Path, run: Any, tmp_path: Path
) -> None:
    before = users.read_bytes()
    text = edited(
        export(run),
        {("101", "email"): "not-an-address", ("102", "role"): "Nope",
         ("103", "contact_phone"): "12", ("2201", "job_title"): "Fine"},
    )  # fmt: skip
    path = tmp_path / "bad.csv"
    path.write_text(text, newline="")
    result = run("bulk-update", path)
    assert result.code == 3
    assert "3 errors in 3 rows; nothing was written" in result.err
    assert "line 2, column email: email: 'not-an-address' is not a valid address" in result.err
    assert "line 3, column role: role 'Nope' not found" in result.err
    assert "line 4, column contact_phone: contact phone: '12'" in result.err
    assert users.read_bytes() == before  # the good row 2201 was not written either


def test_an_email_taken_by_another_row_or_user_is_a_conflict(
    users: Path, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(
        "extension,email\n101,new@acme.example\n102,new@acme.example\n103,bob@acme.example\n"
    )
    result = run("bulk-update", path, "--format", "json")
    assert result.code == 5
    errors = json.loads(result.out)["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(3, "email"), (4, "email")]
    assert "also on line 2" in errors[0]["message"]
    assert "already used" in errors[1]["message"]


def test_empty_cells_leave_fields_and_credentials_are_refused(
    users: Path, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "partial.csv"
    path.write_text("Extension,Job Title,Department\n101,,Finance\n")
    assert run("bulk-update", path).code == 0
    stored = json.loads(run("users", "show", "101", "--format", "json").out)["user"]
    assert (stored["job_title"], stored["department"]) == ("Clerk", "Finance")
    secret = tmp_path / "secret.csv"
    secret.write_text("extension,password\n101,Secret123!\n")
    refused = run("bulk-update", secret)
    assert refused.code == 3 and "changes no credentials" in refused.err
    assert "Secret123" not in refused.err + refused.out


def test_dry_run_writes_nothing_and_an_unassigned_row_is_a_conflict(
    users: Path, run: Any, tmp_path: Path
) -> None:
    before = users.read_bytes()
    path = tmp_path / "dry.csv"
    path.write_text("extension,department\n101,Legal\n")
    dry = run("bulk-update", path, "--dry-run")
    assert dry.code == 0 and "would change 1 of 1 user(s): nothing was written" in dry.err
    assert users.read_bytes() == before
    path.write_text("extension,department\n104,Legal\n")
    free = run("bulk-update", path)
    assert free.code == 5 and "104 is unassigned" in free.err
