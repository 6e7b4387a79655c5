"""Issue 26, result files: `bulk-assign` and `bulk-update` take `--results FILE.csv`, one row per
input row (its cells as read, then outcome, error_code, message, platform_id), written whatever
the outcome; a failed run's result file, its error rows fixed, is a valid input for the same
command (docs/bulk.md). Every test goes through the command line on real files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from extadmin.services import bulk
from tests.csv_helpers import SPEC_COLUMNS, Snapshot, csv_text, extensions, write_csv
from tests.helpers import assign, ext_id, link, ok

RESULT_COLUMNS = ["outcome", "error_code", "message", "platform_id"]
NOT_APPLIED = "not applied: another row failed; nothing was written"
HIRE_COLUMNS = (*SPEC_COLUMNS, "profile")


def read_results(path: Path, delimiter: str = ",") -> tuple[list[str], list[dict[str, str]]]:
    """A result file's header and rows, as a user's script reads it (csv module, UTF-8)."""
    text = path.read_text("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return list(reader.fieldnames or []), list(reader)


def write_back(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """The rows written back as a spreadsheet or a script would (csv module)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def person(number: str, setup: str = "later", **cells: str) -> dict[str, str]:
    row = {
        "extension": number,
        "setup": setup,
        "first_name": f"U{number}",
        "last_name": "Tester",
        "email": f"user{number}@example.com",
    }
    row.update(cells)
    return row


NUMBERS = [str(n) for n in range(220, 260)]  # 40 rows

# bulk-assign: the index of each bad row, its bad cells, the outcome and code it gets, a piece
# of its message, and the cells that fix it
ASSIGN_BAD: dict[int, tuple[dict[str, str], str, str, str, dict[str, str]]] = {
    3: ({"email": "user223@"}, "failed", "invalid:email", "email: ", {"email": "u223@example.com"}),
    8: ({"role": "Chief Wizard"}, "failed", "not_found:role", "role 'Chief Wizard' not found",
        {"role": "Manager"}),
    12: ({"site": "Paris"}, "failed", "not_found:site", "site 'Paris' not found",
         {"site": "Main Site"}),
    20: ({"extension": "101"}, "conflict", "conflict:extension", "extension 101 is not unassigned",
         {"extension": "240"}),
    25: ({"email": "USER222@example.com"}, "conflict", "conflict:email", "also on line 4",
         {"email": "user245@example.com"}),
    30: ({"contact_phone": "12"}, "failed", "invalid:contact_phone", "contact phone: '12'",
         {"contact_phone": "(415) 555-0130"}),
    35: ({"last_name": ""}, "failed", "invalid:last_name", "last name: is required",
         {"last_name": "Tester"}),
}  # fmt: skip


@pytest.fixture
def hires(account: Path, run: Any) -> Path:
    """The conftest account with 220-259 unassigned, and 101 assigned (Ada Lovelace)."""
    ok(run("extension", "add", "220-259"))
    assign(run, "101", "Ada", "Lovelace", "ada@example.com")
    return account


def hire_rows() -> list[dict[str, str]]:
    rows = [person(n, "invite" if i % 4 == 0 else "later") for i, n in enumerate(NUMBERS)]
    for index, (cells, *_) in ASSIGN_BAD.items():
        rows[index].update(cells)
    return rows


def test_bulk_assign_seven_failing_rows_fixed_in_the_result_file_and_run_again(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "hires.csv", csv_text(hire_rows(), HIRE_COLUMNS))
    before = Snapshot.of(hires)

    failed = run("bulk-assign", path, "--results", "r.csv")

    # exit 3: invalid values take precedence over the conflicts; nothing was written
    assert failed.code == 3, failed.err
    assert "7 errors in 7 rows; nothing was written" in failed.err
    assert "results: r.csv (5 failed, 33 not applied, 2 conflict)" in failed.err
    assert Snapshot.of(hires) == before
    header, rows = read_results(tmp_path / "r.csv")
    assert header == [*HIRE_COLUMNS, *RESULT_COLUMNS]  # the input's own columns, then the results
    assert len(rows) == 40
    for index, row in enumerate(rows):
        if index in ASSIGN_BAD:
            _, outcome, code, piece, _ = ASSIGN_BAD[index]
            assert (row["outcome"], row["error_code"]) == (outcome, code), index
            assert piece in row["message"], row["message"]
        else:
            assert (row["outcome"], row["error_code"], row["message"]) == (
                "not applied", "", NOT_APPLIED,
            )  # fmt: skip
        assert row["platform_id"] == ""  # not a linked file
    assert [r["extension"] for r in rows] == [r["extension"] for r in hire_rows()]  # as read

    # the user fixes exactly the seven rows, in the result file itself
    for index, (*_, fix) in ASSIGN_BAD.items():
        rows[index].update(fix)
    write_back(tmp_path / "r.csv", header, rows)

    done = run("bulk-assign", "r.csv", "--results", "r2.csv")

    assert done.code == 0, done.err
    assert "skipped" not in done.err  # no row of r.csv was done
    assert "results: r2.csv (40 done)" in done.err
    stored = extensions(hires)
    for number in NUMBERS:
        assert stored[number]["status"] == "not-activated", number
    assert stored["101"]["user"]["first_name"] == "Ada"  # the conflicting row went to 240
    assert stored["225"]["user"]["role"] == "Standard User (International)"
    assert stored["228"]["user"]["role"] == "Manager"
    assert stored["250"]["user"]["contact_phone"] == "+14155550130"
    header2, rows2 = read_results(tmp_path / "r2.csv")
    assert header2 == header  # the result columns are not repeated
    assert [r["outcome"] for r in rows2] == ["done"] * 40
    assert all(r["error_code"] == "" for r in rows2)
    assert rows2[0]["message"] == "assigned (not-activated); welcome email queued"
    assert rows2[1]["message"] == "assigned (not-activated)"

    # run again: every row is done, so nothing is (an idempotent re-run)
    settled = Snapshot.of(hires)
    again = run("bulk-assign", "r2.csv", "--results", "r3.csv", "--format", "json")
    assert again.code == 0, again.err
    assert "skipped 40 row(s) whose outcome is done" in again.err
    assert "nothing to do" in again.err
    assert json.loads(again.out) == {"ok": True, "dry_run": False, "rows": [], "skipped": 40}
    assert Snapshot.of(hires) == settled
    _, rows3 = read_results(tmp_path / "r3.csv")
    assert {(r["outcome"], r["message"]) for r in rows3} == {
        ("done", "done in an earlier run: skipped")
    }


def test_a_partly_done_file_runs_only_the_rows_not_done(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    """A result file whose outcome says done for some rows (another command's, a script's):
    those rows are skipped and said, the others run; an outcome is matched in any case."""
    text = (
        "Extension,First Name,Last Name,Email,Outcome,Error Code,Message,Platform ID\n"
        "220,A,Tester,a@example.com,Done,,,\n"
        "221,B,Tester,b@example.com,failed,invalid:email,email: bad,\n"
        "222,C,Tester,c@example.com,not applied,,,\n"
    )
    write_csv(tmp_path / "part.csv", text)
    result = ok(run("bulk-assign", "part.csv", "--setup", "later", "--results", "out.csv"))
    assert "skipped 1 row(s) whose outcome is done" in result.err
    assert "assigned 2 extension(s)" in result.err
    stored = extensions(hires)
    assert stored["220"]["status"] == "unassigned"  # skipped: it said done
    assert stored["221"]["status"] == stored["222"]["status"] == "not-activated"
    header, rows = read_results(tmp_path / "out.csv")
    assert header == ["Extension", "First Name", "Last Name", "Email", *RESULT_COLUMNS]
    assert [(r["outcome"], r["message"]) for r in rows] == [
        ("done", "done in an earlier run: skipped"),
        ("done", "assigned (not-activated)"),
        ("done", "assigned (not-activated)"),
    ]


# --- bulk-update ------------------------------------------------------------------------------

# the index of each bad row, its bad cells, outcome, code, a piece of the message, its fix
UPDATE_BAD: dict[int, tuple[dict[str, str], str, str, str, dict[str, str]]] = {
    3: ({"email": "nope@"}, "failed", "invalid:email", "email: ", {"email": "new223@example.com"}),
    8: ({"role": "Chief Wizard"}, "failed", "not_found:role", "'Chief Wizard' not found",
        {"role": "Manager"}),
    12: ({"site": "Paris"}, "failed", "not_found:site", "site 'Paris' not found",
         {"site": "Main Site"}),
    20: ({"email": "ada@example.com"}, "conflict", "conflict:email", "already used",
         {"email": "new240@example.com"}),
    25: ({"mobile_phone": "800-555-0199"}, "failed", "invalid:mobile_phone", "toll-free",
         {"mobile_phone": "212-555-0145"}),
    30: ({"job_title": "J" * 65}, "failed", "invalid:job_title", "at most 64 characters",
         {"job_title": "Lead"}),
    35: ({"extension": "104"}, "conflict", "conflict:extension", "104 is unassigned",
         {"extension": "255"}),
}  # fmt: skip


def test_bulk_update_seven_failing_rows_fixed_in_the_result_file_and_run_again(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    write_csv(tmp_path / "hires.csv", csv_text([person(n) for n in NUMBERS]))
    ok(run("bulk-assign", "hires.csv"))
    exported = ok(run("export", "--format", "csv")).out
    header, rows = read_results_text(exported)
    rows = [r for r in rows if r["extension"] in NUMBERS]  # not Ada at 101
    for row in rows:
        row["department"] = "Sales"  # the change every row makes
    for index, (cells, *_) in UPDATE_BAD.items():
        rows[index].update(cells)
    write_back(tmp_path / "users.csv", header, rows)
    before = Snapshot.of(hires)

    failed = run("bulk-update", "users.csv", "--results", "r.csv")

    assert failed.code == 3, failed.err
    assert "7 errors in 7 rows; nothing was written" in failed.err
    assert Snapshot.of(hires) == before
    r_header, r_rows = read_results(tmp_path / "r.csv")
    assert r_header == [*header, *RESULT_COLUMNS]
    for index, row in enumerate(r_rows):
        if index in UPDATE_BAD:
            _, outcome, code, piece, _ = UPDATE_BAD[index]
            assert (row["outcome"], row["error_code"]) == (outcome, code), index
            assert piece in row["message"], row["message"]
        else:
            assert (row["outcome"], row["message"]) == ("not applied", NOT_APPLIED)
    assert sum(r["outcome"] == "not applied" for r in r_rows) == 33

    for index, (*_, fix) in UPDATE_BAD.items():
        r_rows[index].update(fix)
    write_back(tmp_path / "r.csv", r_header, r_rows)

    done = run("bulk-update", "r.csv", "--results", "r2.csv")

    assert done.code == 0, done.err
    assert "changed 40 of 40 user(s)" in done.err
    _, rows2 = read_results(tmp_path / "r2.csv")
    assert [r["outcome"] for r in rows2] == ["done"] * 40
    assert rows2[0]["message"] == "changed department"
    assert rows2[3]["message"] == "changed email, department"
    stored = extensions(hires)
    assert all(stored[n]["user"]["department"] == "Sales" for n in NUMBERS)
    assert stored["228"]["user"]["role"] == "Manager"
    assert stored["240"]["user"]["email"] == "new240@example.com"
    assert stored["250"]["user"]["job_title"] == "Lead"


def read_results_text(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


# --- dry run, JSON, delimiters, secrets, formulas ---------------------------------------------


def test_dry_run_writes_the_result_file_and_nothing_else(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    rows = [person("220"), person("221"), person("222")]
    write_csv(tmp_path / "hires.csv", csv_text(rows))
    before = Snapshot.of(hires)
    result = ok(run("bulk-assign", "hires.csv", "--dry-run", "--results", "r.csv"))
    assert "results: r.csv (3 not applied)" in result.err
    assert Snapshot.of(hires) == before
    _, out = read_results(tmp_path / "r.csv")
    assert {(r["outcome"], r["error_code"], r["message"]) for r in out} == {
        ("not applied", "", "not applied: dry run, the row is valid; nothing was written")
    }
    # bulk-update's dry run says what each row would change
    ok(run("bulk-assign", "hires.csv"))
    write_csv(tmp_path / "dept.csv", "extension,department\n220,Legal\n221,\n")
    before = Snapshot.of(hires)
    ok(run("bulk-update", "dept.csv", "--dry-run", "--results", "u.csv"))
    assert Snapshot.of(hires) == before
    _, out = read_results(tmp_path / "u.csv")
    assert [r["message"] for r in out] == [
        "not applied: dry run, would change department; nothing was written",
        "not applied: dry run, no change; nothing was written",
    ]
    # a dry run with a bad row: the same file a failed run writes
    write_csv(tmp_path / "bad.csv", "extension,department\n220,Legal\n223,Legal\n")
    refused = run("bulk-update", "bad.csv", "--dry-run", "--results", "u.csv")
    assert refused.code == 5, refused.err
    _, out = read_results(tmp_path / "u.csv")
    assert [(r["outcome"], r["error_code"]) for r in out] == [
        ("not applied", ""), ("conflict", "conflict:extension"),
    ]  # fmt: skip


def test_json_output_is_unchanged_and_the_result_file_is_written(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    write_csv(tmp_path / "hires.csv", csv_text([person("220"), person("221", email="x@")]))
    refused = run("bulk-assign", "hires.csv", "--format", "json", "--results", "r.csv")
    assert refused.code == 3
    report = json.loads(refused.out)  # standard output holds the JSON alone
    assert report["ok"] is False and [e["line"] for e in report["errors"]] == [3]
    _, rows = read_results(tmp_path / "r.csv")
    assert [r["outcome"] for r in rows] == ["not applied", "failed"]
    write_csv(tmp_path / "hires.csv", csv_text([person("220"), person("221")]))
    done = ok(run("bulk-assign", "hires.csv", "--format", "json", "--results", "r.csv"))
    report = json.loads(done.out)
    assert report["ok"] is True and report["skipped"] == 0 and len(report["rows"]) == 2
    _, rows = read_results(tmp_path / "r.csv")  # replaced whole
    assert [r["outcome"] for r in rows] == ["done", "done"]


def test_a_semicolon_file_with_a_byte_order_mark_gets_one_back(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    """A spreadsheet set to a European locale: `;`, a byte-order mark, the portal's headers;
    the result file keeps all three, and is read again as it is."""
    text = (
        "\ufeffExtension;Setup;First Name;Last Name;E-mail;Department\n"
        "220;later;Zoë;Ñúñez;zoe@example.com;Ventes, Est\n"
        "221;later;Bob;Ng;bob@;\n"
    )
    write_csv(tmp_path / "hires.csv", text)
    refused = run("bulk-assign", "hires.csv", "--results", "r.csv")
    assert refused.code == 3
    data = (tmp_path / "r.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Extension;Setup;First Name;Last Name;E-mail;Department;outcome;error_code;message;"
        "platform_id"
    )
    assert lines[1].startswith("220;later;Zoë;Ñúñez;zoe@example.com;Ventes, Est;not applied;;")
    header, rows = read_results(tmp_path / "r.csv", delimiter=";")
    rows[1]["E-mail"] = "bob@example.com"
    with (tmp_path / "r.csv").open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    ok(run("bulk-assign", "r.csv", "--results", "r2.csv"))
    assert extensions(hires)["220"]["user"]["last_name"] == "Ñúñez"
    assert (tmp_path / "r2.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    _, rows2 = read_results(tmp_path / "r2.csv", delimiter=";")
    assert [r["outcome"] for r in rows2] == ["done", "done"]


SECRETS = {
    "password": "Zebra7!Quix",
    "pin": "5820417396",
    "security_question": "1",
    "security_answer": "Fluffy the Cat",
}


def test_no_secret_reaches_a_result_file(hires: Path, run: Any, tmp_path: Path) -> None:
    rows = [
        person("220", "credentials", **SECRETS),
        person("221", "credentials", **{**SECRETS, "password": "Kiwi9#Plum", "pin": "73059281"}),
        person("222", "later", email="bad@"),
    ]
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))
    refused = run("bulk-assign", path, "--results", "r.csv")
    assert refused.code == 3
    data = (tmp_path / "r.csv").read_text("utf-8")
    for secret in ("Zebra7!Quix", "Kiwi9#Plum", "5820417396", "73059281", "Fluffy"):
        assert secret not in data
    header, out = read_results(tmp_path / "r.csv")
    assert header == [*SPEC_COLUMNS, *RESULT_COLUMNS]  # the secrets' headers are kept
    for row in out[:2]:
        assert (row["password"], row["pin"], row["security_answer"]) == ("", "", "")
        assert row["security_question"] == "1"  # not a secret
        assert row["message"] == (
            f"{NOT_APPLIED} (password, pin, security_answer: left empty, a result file holds no "
            "secret; fill in again before a re-run)"
        )
    assert out[2]["message"].startswith("email: 'bad@' is not a valid address")

    # run again without filling them in: the rules say what is missing
    out[2]["email"] = "cy@example.com"
    write_back(tmp_path / "r.csv", header, out)
    missing = run("bulk-assign", "r.csv", "--results", "r2.csv")
    assert missing.code == 3
    assert "line 2, column password: password: is required with setup credentials" in missing.err
    # filled in again, it runs; and a done row's result holds no secret either
    out[0].update(SECRETS)
    out[1].update({**SECRETS, "password": "Kiwi9#Plum", "pin": "73059281"})
    write_back(tmp_path / "r.csv", header, out)
    ok(run("bulk-assign", "r.csv", "--results", "r2.csv"))
    assert extensions(hires)["220"]["status"] == "enabled"
    data = (tmp_path / "r2.csv").read_text("utf-8")
    for secret in ("Zebra7!Quix", "Kiwi9#Plum", "5820417396", "73059281", "Fluffy"):
        assert secret not in data
    _, done = read_results(tmp_path / "r2.csv")
    assert [r["message"] for r in done] == ["assigned (enabled)"] * 2 + ["assigned (not-activated)"]


def test_cells_a_spreadsheet_would_run_are_written_as_text(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    rows = [
        person("220", department='=HYPERLINK("http://evil.example")'),
        person("221", job_title="@SUM(A1)", department="'+1"),
        person("222", email="-2+3@"),
    ]
    write_csv(tmp_path / "hires.csv", csv_text(rows, (*rows[0], "job_title")))
    assert run("bulk-assign", "hires.csv", "--results", "r.csv").code == 3
    text = (tmp_path / "r.csv").read_text("utf-8")
    for line in csv.reader(io.StringIO(text, newline="")):
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in line), line
    _, out = read_results(tmp_path / "r.csv")
    assert out[0]["department"] == '\'=HYPERLINK("http://evil.example")'
    assert out[2]["message"].startswith("email: '-2+3@'")
    # read back, each value is as the input gave it
    out[2]["email"] = "user222@example.com"
    write_back(tmp_path / "r.csv", list(out[0]), out)
    ok(run("bulk-assign", "r.csv"))
    stored = extensions(hires)
    assert stored["220"]["user"]["department"] == '=HYPERLINK("http://evil.example")'
    assert stored["221"]["user"]["job_title"] == "@SUM(A1)"
    assert stored["221"]["user"]["department"] == "+1"


# --- where the result file goes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "code", "piece"),
    [
        ("hires.csv", 2, "--results: hires.csv is the input file"),
        ("./hires.csv", 2, "is the input file"),
        ("acme.toml", 2, "--results: 'acme.toml' is not a .csv file name"),
        ("missing/r.csv", 3, "--results: cannot write missing/r.csv: No such file"),
        ("hires.csv/r.csv", 3, "--results: cannot write hires.csv/r.csv: Not a directory"),
        ("folder.csv", 3, "--results: cannot write folder.csv: it is a folder"),
        ("link.csv", 3, "--results: cannot write link.csv: it is a symbolic link"),
    ],
    ids=["input", "input-again", "account", "no-folder", "file-as-folder", "folder", "link"],
)
def test_a_results_path_that_cannot_be_written_stops_before_any_change(
    hires: Path, run: Any, tmp_path: Path, results: str, code: int, piece: str
) -> None:
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    write_csv(tmp_path / "hires.csv", csv_text([person("220")]))
    before, source = Snapshot.of(hires), (tmp_path / "hires.csv").read_bytes()
    for command in ("bulk-assign", "bulk-update"):
        result = run(command, "hires.csv", "--results", results)
        assert result.code == code, result.err
        assert result.err.startswith("extadmin: error: ")
        assert result.err.count("\n") == 1 and piece in result.err, result.err
        assert Snapshot.of(hires) == before  # a good file: nothing assigned
        assert (tmp_path / "hires.csv").read_bytes() == source
    assert not (tmp_path / "elsewhere.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_an_existing_result_file_is_replaced_whole(hires: Path, run: Any, tmp_path: Path) -> None:
    old = tmp_path / "r.csv"
    old.write_text("old,content\n" * 1000)
    write_csv(tmp_path / "hires.csv", csv_text([person("220")]))
    ok(run("bulk-assign", "hires.csv", "--results", old))
    assert old.read_text("utf-8").splitlines() == [
        "extension,setup,first_name,last_name,email,outcome,error_code,message,platform_id",
        "220,later,U220,Tester,user220@example.com,done,,assigned (not-activated),",
    ]
    assert oct(old.stat().st_mode & 0o777) == "0o600"  # it names people
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.csv")] == []


def test_an_error_of_the_run_not_of_a_row_leaves_every_row_not_applied(
    hires: Path, run: Any, tmp_path: Path
) -> None:
    write_csv(tmp_path / "hires.csv", csv_text([person("220"), person("221")]))
    result = run("--account", "gone.toml", "bulk-assign", "hires.csv", "--results", "r.csv")
    assert result.code == 4, result.err
    _, rows = read_results(tmp_path / "r.csv")
    assert {(r["outcome"], r["error_code"]) for r in rows} == {("not applied", "not_found")}
    assert rows[0]["message"].startswith("not applied: account file not found")


def test_a_linked_file_gives_each_row_its_platform_id(
    tmp_path: Path, run: Any, fake: Any, secret_files: list[str]
) -> None:
    for number in ("101", "102", "103"):
        fake.add_extension(number, status="Unassigned")
    linked = link(run, tmp_path / "linked.json", secret_files)
    ids = {n: str(ext_id(fake, n)) for n in ("101", "102", "103")}
    rows = [person("101"), person("102", email="bad@"), person("103"), person("998")]
    write_csv(tmp_path / "hires.csv", csv_text(rows))
    refused = run("bulk-assign", "hires.csv", "--results", "r.csv")
    assert refused.code == 3, refused.err
    _, out = read_results(tmp_path / "r.csv")
    assert [(r["outcome"], r["error_code"], r["platform_id"]) for r in out] == [
        ("not applied", "", ids["101"]),
        ("failed", "invalid:email", ids["102"]),
        ("not applied", "", ids["103"]),
        ("failed", "not_found:extension", ""),  # no such extension: no id
    ]
    out[1]["email"] = "u102@example.com"
    del out[3]
    write_back(tmp_path / "r.csv", list(out[0]), out)
    done = ok(run("bulk-assign", "r.csv", "--results", "r2.csv"))
    assert "`extadmin platform apply` sends them" in done.err
    _, out = read_results(tmp_path / "r2.csv")
    assert [(r["outcome"], r["platform_id"]) for r in out] == [
        ("done", ids[n]) for n in ("101", "102", "103")
    ]
    assert out[0]["message"] == (
        "assigned (not-activated) locally: `extadmin platform apply` sends it"
    )
    assert extensions(linked)["102"]["user"]["email"] == "u102@example.com"


def test_parse_csv_reads_a_result_file_for_any_command() -> None:
    """bulk-unassign's columns (extension, email): the result columns are accepted and left
    out of the values; a done row is skipped; the header, delimiter and cells are kept."""
    data = (
        b"extension;email;outcome;error_code;message;platform_id\n"
        b"101;a@example.com;done;;unassigned;\n"
        b"102;b@example.com;failed;conflict:extension;extension 102 is unassigned;\n"
    )
    rows = bulk.parse_csv(data, "r.csv", required=(), columns=("extension", "email"))
    assert [r.line for r in rows] == [3]
    assert rows[0].values == {"extension": "102", "email": "b@example.com"}
    assert [r.line for r in rows.skipped] == [2] and len(rows.every) == 2
    assert rows.header[:2] == ["extension", "email"] and rows.delimiter == ";"


def test_a_result_file_that_fails_at_the_end_is_said_with_what_the_run_did(
    hires: Path, run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The place was checked before the run; a disk that fills up during it: the run's own
    outcome stands and is said (exit 1 after a saved change, the rows' exit code otherwise)."""
    import errno
    import os

    from extadmin.storage import files

    real = files.write_atomic

    def full(path: Path, *parts: Any, **kwargs: Any) -> None:
        if path.name == "r.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, *parts, **kwargs)

    monkeypatch.setattr(files, "write_atomic", full)
    write_csv(tmp_path / "hires.csv", csv_text([person("220"), person("221", email="x@")]))
    refused = run("bulk-assign", "hires.csv", "--results", "r.csv")
    assert refused.code == 3
    assert "extadmin: error: --results: cannot write r.csv: No space left on device" in refused.err
    assert "1 error in 1 row; nothing was written" in refused.err
    write_csv(tmp_path / "hires.csv", csv_text([person("220"), person("221")]))
    done = run("bulk-assign", "hires.csv", "--results", "r.csv")
    assert done.code == 1
    assert done.err.strip().splitlines()[-1] == (
        "extadmin: error: --results: cannot write r.csv: No space left on device (the run "
        "itself went through: what it changed is saved)"
    )
    assert extensions(hires)["221"]["status"] == "not-activated"
    assert not (tmp_path / "r.csv").exists()


def test_write_for_a_command_without_an_input_file(tmp_path: Path) -> None:
    """services.results.write, as `platform apply` calls it: one row per operation."""
    from extadmin.errors import Conflict, PlatformError
    from extadmin.services import results

    path = results.target(str(tmp_path / "apply.csv"))
    counts = results.write(
        path,
        ["extension", "operation", "pin"],
        [
            (["101", "assign", "5820417396"], results.Result("done", platform_id="8001")),
            (
                ["102", "update", "73059281"],
                results.Result(
                    "failed",
                    results.code(PlatformError("refused", code="CMN-102")),
                    "=refused",
                    "8002",
                ),
            ),
            (
                ["103", "update", ""],
                results.Result("conflict", results.code(Conflict("changed", "email"), "email")),
            ),
            (["104", "assign", ""], results.Result("held", "", "waiting for the platform")),
        ],
    )
    assert counts == {"done": 1, "failed": 1, "held": 1, "conflict": 1}
    assert path.read_text("utf-8").splitlines() == [
        "extension,operation,pin,outcome,error_code,message,platform_id",
        "101,assign,,done,,,8001",
        "102,update,,failed,platform:CMN-102,\"'=refused (pin: left empty, a result file holds "
        'no secret; fill in again before a re-run)",8002',
        "103,update,,conflict,conflict:email,,",
        "104,assign,,held,,waiting for the platform,",
    ]
    with pytest.raises(ValueError, match="'unconfirmed' is not one of"):
        results.Result("unconfirmed")
