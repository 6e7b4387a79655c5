"""`bulk-unassign` on a local file (issue 26): the seed's flow in reverse for many users at
once, named by extension or email, in arguments or a CSV; all or none, with every problem of
every row; --release-number; --dry-run; a confirmation at a terminal that names the count."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import audit
from tests.pty_helpers import ENTER, Terminal

HIRED = 520  # users 1000..1519 (setup later); 1520..1529 unassigned


@pytest.fixture
def staffed(tmp_path: Path, run: Any) -> Path:
    path = tmp_path / "staff.json"
    assert run("init", path, "--name", "Staff").code == 0
    assert run("extension", "add", "1000-1529").code == 0
    hires = tmp_path / "hires.csv"
    rows = [f"{n},U{n},Leaver,u{n}@acme.example,later" for n in range(1000, 1000 + HIRED)]
    hires.write_text("extension,first_name,last_name,email,setup\n" + "\n".join(rows) + "\n")
    done = run("bulk-assign", hires)
    assert done.code == 0, done.err
    return path


def statuses(path: Path) -> dict[str, str]:
    return {e["number"]: e["status"] for e in json.loads(path.read_text())["extensions"]}


def test_500_users_by_extension_and_email_offboarded_at_once(
    tmp_path: Path, run: Any, staffed: Path
) -> None:
    leavers = tmp_path / "leavers.csv"
    rows = [f"{n}," if n % 2 else f",U{n}@ACME.example" for n in range(1000, 1500)]
    leavers.write_text("extension,email\n" + "\n".join(rows) + "\n")
    done = run("bulk-unassign", "--file", leavers, "--yes", "--format", "json")
    assert done.code == 0, done.err
    shown = json.loads(done.out)
    assert len(shown) == 500 and {r["result"] for r in shown} == {"unassigned"}
    assert shown[0] == {
        "line": 2, "extension": "1000", "name": "U1000 Leaver", "email": "u1000@acme.example",
        "result": "unassigned",
    }  # fmt: skip
    assert "offboarded 500 user(s)" in done.err
    now = statuses(staffed)
    assert [n for n, s in now.items() if s != "unassigned"] == [str(n) for n in range(1500, 1520)]
    doc = json.loads(staffed.read_text())
    assert all("user" not in e for e in doc["extensions"][:500])
    entries = [e for e in audit(staffed) if e["action"] == "unassign"]
    assert len(entries) == 500 and entries[0]["changes"]["email"] == "u1000@acme.example"
    free = run("list-unassigned", "--format", "json")
    assert len(json.loads(free.out)) == 510


def test_every_problem_of_every_row_and_nothing_written(
    tmp_path: Path, run: Any, staffed: Path
) -> None:
    before = staffed.read_bytes()
    leavers = tmp_path / "leavers.csv"
    rows = [f"{n}," for n in range(1000, 1494)] + [
        "1525,",  # unassigned
        "9999,",  # no such extension
        ",nobody@acme.example",  # no such user
        "1001,",  # twice
        "1495,u1496@acme.example",  # another user's address
        "12a,",  # not a number
    ]
    leavers.write_text("extension,email\n" + "\n".join(rows) + "\n")
    done = run("bulk-unassign", "--file", leavers, "--yes")
    assert done.code == 3, done.err  # an invalid value goes first (then conflicts, exit 5)
    assert "6 errors in 6 rows; nothing was written" in done.err
    for line, words in [
        (496, "extension 1525 is unassigned: no user to offboard"),
        (497, "extension 9999 not found"),
        (498, "no user of account 'Staff' has the email nobody@acme.example"),
        (499, "extension 1001 is also line 3"),
        (500, "u1496@acme.example is the user of extension 1496, not of 1495"),
        (501, "extension"),
    ]:
        assert f"line {line}, column" in done.err and words in done.err, (line, done.err)
    assert staffed.read_bytes() == before
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("extension\n" + "\n".join(str(n) for n in range(1000, 1500)) + "\n")
    assert run("bulk-unassign", "--file", fixed, "--yes").code == 0


def test_arguments_dry_run_and_bad_ones(run: Any, staffed: Path) -> None:
    before = staffed.read_bytes()
    dry = run("bulk-unassign", "1000", "u1001@acme.example", "--dry-run")
    assert dry.code == 0, dry.err
    assert "dry run: 2 user(s) to offboard, nothing was written" in dry.err
    assert "1001" in dry.out and "valid" in dry.out
    assert staffed.read_bytes() == before
    bad = run("bulk-unassign", "1000", "1525", "x@acme.example", "--yes")
    assert bad.code == 3  # as bulk-assign's: a conflict (5) only when every problem is one
    assert "2 errors in 2 arguments; nothing was written" in bad.err
    assert "argument 2, column extension: extension 1525 is unassigned" in bad.err
    assert "argument 3, column email: no user of account 'Staff' has the email x" in bad.err
    assert staffed.read_bytes() == before
    assert run("bulk-unassign", "--yes").code == 2  # nothing named
    no_prompt = run("bulk-unassign", "1000")
    assert no_prompt.code == 2 and "Offboard 1 user(s)" in no_prompt.err
    assert "--yes" in no_prompt.err
    assert staffed.read_bytes() == before


def test_release_number_takes_the_extensions_out_of_a_local_file(run: Any, staffed: Path) -> None:
    done = run("bulk-unassign", "1000", "1001", "--release-number", "--yes")
    assert done.code == 0, done.err
    assert "1000" not in statuses(staffed) and "1001" not in statuses(staffed)
    assert run("extension", "add", "1000").code == 0  # the number is free again
    released = [e["changes"].get("number_released") for e in audit(staffed, "unassign")]
    assert released == [True, True]


@pytest.mark.parametrize(("answer", "written"), [("y", True), ("n", False)])
def test_at_a_terminal_it_asks_naming_the_count(
    run: Any, staffed: Path, answer: str, written: bool
) -> None:
    before = staffed.read_bytes()
    term = Terminal("--account", str(staffed), "bulk-unassign", "1000", "1001", "1002")
    try:
        term.expect("Offboard 3 user(s), keeping their lines?")
        term.send(answer + ENTER)
        code = term.finish()
    finally:
        term.close()
    assert code == (0 if written else 130)
    assert (staffed.read_bytes() != before) is written
    assert (statuses(staffed)["1002"] == "unassigned") is written


# --- result files ---------------------------------------------------------------------------------


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_seven_failing_rows_fixed_in_the_result_file_and_run_again(
    tmp_path: Path, run: Any, staffed: Path
) -> None:
    """The fix-and-re-run round trip: the result file of a refused run, its seven failed rows
    fixed by a script, is the next run's input; a third run has nothing left to do."""
    before = staffed.read_bytes()
    bad = {  # row index -> (its cells, what fixes them, its code)
        10: ({"extension": "1525"}, {"extension": "1010"}, "conflict:extension"),
        20: ({"extension": "9999"}, {"extension": "1020"}, "not_found:extension"),
        30: ({"email": "nobody@acme.example"}, {"email": "u1030@acme.example"}, "not_found:email"),
        40: ({"extension": "1001"}, {"extension": "1040"}, "conflict:extension"),
        50: ({"extension": "12a"}, {"extension": "1050"}, "invalid:extension"),
        60: ({"email": "u1061@"}, {"email": "u1060@acme.example"}, "invalid:email"),
        70: ({"extension": "1071", "email": "u1070@acme.example"}, {"extension": "1070"},
             "conflict:email"),
    }  # fmt: skip
    rows = [{"extension": str(1000 + i), "email": ""} for i in range(100)]
    for i, (cells, _, _) in bad.items():
        rows[i] = {"extension": "", "email": "", **cells}
    leavers = tmp_path / "leavers.csv"
    with leavers.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["extension", "email"])
        writer.writeheader()
        writer.writerows(rows)
    first = tmp_path / "r1.csv"
    refused = run("bulk-unassign", "--file", leavers, "--yes", "--results", first)
    assert refused.code == 3, refused.err
    assert staffed.read_bytes() == before
    got = read_results(first)
    assert len(got) == 100
    assert {i for i, r in enumerate(got) if r["outcome"] != "not applied"} == set(bad)
    for i, (_, _, code) in bad.items():
        assert got[i]["outcome"] in ("failed", "conflict") and got[i]["error_code"] == code, got[i]
        assert got[i]["message"], got[i]
    for i, (_, fix, _) in bad.items():
        got[i].update(fix)
        if "extension" in fix and got[i]["email"] != "u1070@acme.example":
            got[i]["email"] = ""
    with first.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(got[0]))
        writer.writeheader()
        writer.writerows(got)
    second = tmp_path / "r2.csv"
    done = run("bulk-unassign", "--file", first, "--yes", "--results", second)
    assert done.code == 0, done.err
    assert {r["outcome"] for r in read_results(second)} == {"done"}
    assert [n for n, s in statuses(staffed).items() if s != "unassigned"] == [
        str(n) for n in range(1100, 1520)
    ]
    again = run("bulk-unassign", "--file", second, "--yes", "--results", tmp_path / "r3.csv")
    assert again.code == 0 and "nothing to do" in again.err
    assert {r["message"] for r in read_results(tmp_path / "r3.csv")} == {
        "done in an earlier run: skipped"
    }


def test_the_result_file_of_arguments_is_an_input_for_file(
    tmp_path: Path, run: Any, staffed: Path
) -> None:
    out = tmp_path / "r.csv"
    dry = run("bulk-unassign", "1000", "u1001@acme.example", "--dry-run", "--results", out)
    assert dry.code == 0, dry.err
    got = read_results(out)
    assert [(r["extension"], r["email"], r["outcome"]) for r in got] == [
        ("1000", "", "not applied"),
        ("", "u1001@acme.example", "not applied"),
    ]
    assert "dry run" in got[0]["message"]
    done = run("bulk-unassign", "--file", out, "--yes")
    assert done.code == 0, done.err
    assert statuses(staffed)["1000"] == statuses(staffed)["1001"] == "unassigned"
