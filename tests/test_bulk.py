"""bulk-assign and export (SPEC section 4, issue 6): all or nothing.

A good file assigns every row exactly as `assign` would (stored users, one audit entry per row,
one welcome email per invited user, hashed credentials); a file with any bad row writes nothing
and reports every bad row with its line, column and rule (exit 3, or 5 for conflicts); an export
is accepted by bulk-assign as it is; --dry-run writes nothing; --setup is the default setup."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from extadmin.domain.catalog import SECURITY_QUESTIONS
from extadmin.domain.hashing import verify_secret
from extadmin.domain.rules import normalise_answer
from tests.csv_helpers import (
    BASIC,
    SECRET_COLUMNS,
    SPEC_COLUMNS,
    Snapshot,
    csv_text,
    error_lines,
    extensions,
    recipients,
    write_csv,
    written_text,
)
from tests.helpers import audit, ok, outbox

DEFAULT_ROLE = "Standard User (International)"
STATUS_AFTER = {"invite": "not-activated", "credentials": "enabled", "later": "not-activated"}


def user_fields(stored_user: dict[str, Any]) -> dict[str, Any]:
    """A stored user without what the tool adds (time, activation, hashed credentials)."""
    return {
        k: v for k, v in stored_user.items() if k not in ("created_at", "activation", "credentials")
    }


# --- 1. a good file of many rows -------------------------------------------------------------

FIRST = (
    "Ada Grace Alan Edsger Barbara Donald Frances Kathleen Margaret Radia Niklaus Shafi "
    "Whitfield Sophie Tim"
).split()
LAST = ("Hopper", "Lamport", "Liskov")


@dataclass(frozen=True)
class Creds:
    password: str
    pin: str
    question: str  # as written in the CSV: a number from `security-question list`, or the text
    answer: str
    temporary: str  # the CSV cell

    @property
    def question_text(self) -> str:
        if self.question.isdigit():
            return SECURITY_QUESTIONS[int(self.question) - 1]
        return self.question

    def values(self) -> list[str]:
        return [self.password, self.pin, self.answer, normalise_answer(self.answer)]


CREDS = [
    Creds("Zebra7!Quix", "5820417396", "1", "Fluffy the Cat", ""),
    Creds("Kiwi9#Plum", "73059281", "2", "Marble Arch Road", "yes"),
    Creds("Mango4$Tree", "61930572", "3", "Copper Kettle", "no"),
    Creds("Otter5@Lake", "90274681", SECURITY_QUESTIONS[3], "Velvet Morning", ""),
    Creds("Cedar8%Moss", "48159263", "5", "Springfield", "no"),
    Creds("Falcon2^Sky", "37061548", "6", "Oakwood Elementary", "yes"),
    Creds("Pepper6*Jam", "26481037", "7", "Jimmy Two Shoes", ""),
    Creds("Quartz7!Vale", "81503629", "8", "Buttercup", "no"),
]
NUMBERS = [str(n) for n in range(220, 260)] + ["2201", "2202", "2203", "101", "102"]
ROLES = ("", "Manager", "Standard User", "User Admin", "Super Admin")
RECORDINGS = ("", "inbound", "outbound", "both")
LANGUAGES = ("", "fr-FR", "de-DE", "ja-JP", "es-419", "pt-BR")


def many_rows() -> tuple[list[dict[str, str]], dict[int, Creds]]:
    """45 rows: 23 invites, 8 with credentials, 14 set up later; phones, sites, roles,
    recording and languages spread over them; two rows change the number (a short extension
    on the main site, and a move to the Boston site)."""
    rows: list[dict[str, str]] = []
    creds: dict[int, Creds] = {}
    for i, number in enumerate(NUMBERS):
        first, last = FIRST[i % 15], LAST[i // 15]
        row = {
            "extension": number,
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "role": ROLES[i % 5],
            "recording": RECORDINGS[i % 4],
            "language": LANGUAGES[i % 6],
        }
        if i % 6 == 1:
            c = creds[i] = CREDS[len(creds)]
            row.update(
                setup="credentials",
                password=c.password,
                pin=c.pin,
                security_question=c.question,
                security_answer=c.answer,
                temporary_password=c.temporary,
            )
        else:
            row["setup"] = "invite" if i % 2 == 0 else "later"
        if i % 4 == 0:
            row["contact_phone"] = f"(415) 555-01{i:02d}"
        if i % 5 == 0:
            row["mobile_phone"] = f"212.555.02{i:02d}"
        if i % 3 == 0:
            row["job_title"] = "Engineer"
        if i % 3 == 1:
            row["department"] = "Sales, East"  # a comma: the cell is quoted
        if i % 7 == 3:
            row["greeting_language"] = "fr-CA"
        if i % 8 == 5:
            row["regional_format"] = "en-GB"
        rows.append(row)
    rows[-2].update(site="Boston", short_extension="301")  # 101 -> 2301 in Boston
    rows[-1].update(short_extension="150")  # 102 -> 150
    return rows, creds


def expected_user(row: dict[str, str]) -> dict[str, Any]:
    """What `assign` stores for a row: its values, normalised, and the defaults."""
    i = NUMBERS.index(row["extension"])
    user: dict[str, Any] = {
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "role": row["role"] or DEFAULT_ROLE,
        "language": row["language"] or "en-US",
        # the user's language is the default of these two (issue 14)
        "greeting_language": row.get("greeting_language") or row.get("language") or "en-US",
        "regional_format": row.get("regional_format") or row.get("language") or "en-US",
        "recording": row["recording"] or "off",
        "setup": row["setup"],
    }
    if "contact_phone" in row:
        user["contact_phone"] = f"+141555501{i:02d}"
    if "mobile_phone" in row:
        user["mobile_phone"] = f"+121255502{i:02d}"
    for key in ("job_title", "department"):
        if key in row:
            user[key] = row[key]
    return user


def expected_number(row: dict[str, str]) -> str:
    return {"101": "2301", "102": "150"}.get(row["extension"], row["extension"])


def expected_site(row: dict[str, str]) -> str:
    in_boston = row["extension"] in ("2201", "2202", "2203") or row.get("site") == "Boston"
    return "Boston" if in_boston else "Main Site"


def test_a_good_file_assigns_every_row(run, account: Path, tmp_path: Path) -> None:
    ok(run("extension", "add", "220-259"))
    rows, creds = many_rows()
    assert len(rows) == 45 and len(creds) == 8
    invited = sorted(r["email"] for r in rows if r["setup"] == "invite")
    assert len(invited) == 23
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))

    result = ok(run("bulk-assign", path, "--format", "json"))

    assert "warning" not in result.err  # the file is chmod 600
    assert "assigned 45 extension(s); 23 welcome email(s) queued" in result.err
    report = json.loads(result.out)
    assert report["ok"] is True and report["dry_run"] is False
    assert report["welcome_emails_queued"] == 23
    assert [(r["line"], r["extension"]) for r in report["rows"]] == [
        (line, expected_number(row)) for line, row in enumerate(rows, start=2)
    ]

    # Every user stored, field by field.
    stored = extensions(account)
    assert "101" not in stored and "102" not in stored  # renumbered
    for row in rows:
        ext = stored[expected_number(row)]
        assert user_fields(ext["user"]) == expected_user(row), row["extension"]
        assert ext["site"] == expected_site(row)
        assert ext["status"] == STATUS_AFTER[row["setup"]]
        assert ("activation" in ext["user"]) == (row["setup"] == "invite")
        assert ("credentials" in ext["user"]) == (row["setup"] == "credentials")
    assert [stored[n]["status"] for n in ("103", "104", "105")] == ["unassigned"] * 3

    # Exactly one audit entry per row.
    entries = audit(account, "bulk-assign")
    assert [e["action"] for e in entries] == ["assign"] * 45
    assert sorted(e["extension"] for e in entries) == sorted(expected_number(r) for r in rows)
    with_credentials = sorted(e["extension"] for e in entries if "credentials" in e["changes"])
    assert with_credentials == sorted(expected_number(rows[i]) for i in creds)
    assert {e["changes"]["credentials"] for e in entries if "credentials" in e["changes"]} == {
        "set"
    }

    # Exactly one welcome email per invited user, and none for the others.
    assert recipients(account) == invited

    # Credentials: salted scrypt hashes that verify against the CSV's secrets.
    for i, c in creds.items():
        stored_creds = stored[expected_number(rows[i])]["user"]["credentials"]
        for key in ("password_hash", "pin_hash", "security_answer_hash"):
            assert stored_creds[key].startswith("scrypt$")
        assert verify_secret(c.password, stored_creds["password_hash"])
        assert verify_secret(c.pin, stored_creds["pin_hash"])
        assert verify_secret(normalise_answer(c.answer), stored_creds["security_answer_hash"])
        assert stored_creds["security_question"] == c.question_text
        assert stored_creds["temporary_password"] is (c.temporary != "no")
    first = stored[expected_number(rows[min(creds)])]["user"]["credentials"]
    assert not verify_secret(CREDS[1].password, first["password_hash"])  # hashes are not alike

    # No secret in plain text in the account file, the audit log, the outbox or the output.
    kept = written_text(account) + result.out + result.err
    for c in creds.values():
        for secret in c.values():
            assert secret not in kept


# --- 2. invalid values: exit 3, every bad row, nothing written --------------------------------

GOOD_CREDS = {
    "setup": "credentials",
    "password": "Zebra7!Quix",
    "pin": "5820417396",
    "security_question": "1",
    "security_answer": "Fluffy the Cat",
}

# (id, the bad row's cells, the column reported, a piece of the rule)
BAD_VALUES = [
    ("bad email", {"email": "ada.example.com"}, "email", "is not a valid address"),
    ("no first name", {"first_name": ""}, "first_name", "is required"),
    ("no last name", {"last_name": "  "}, "last_name", "is required"),
    ("long last name", {"last_name": "L" * 65}, "last_name", "at most 64 characters"),
    ("no email", {"email": ""}, "email", "is required"),
    ("no extension", {"extension": ""}, "extension", "is required"),
    ("bad extension", {"extension": "12a"}, "extension", "is not an extension number"),
    ("unknown extension", {"extension": "4321"}, "extension", "not found"),
    ("unknown setup", {"setup": "maybe"}, "setup", "'maybe' is not one of"),
    ("sequential PIN", {**GOOD_CREDS, "pin": "90123456"}, "pin", "4 sequential digits"),
    ("short PIN", {**GOOD_CREDS, "pin": "58204"}, "pin", "6 to 10 digits"),
    ("weak password", {**GOOD_CREDS, "password": "zebra7quix"}, "password", "uppercase"),
    ("no PIN", {**GOOD_CREDS, "pin": ""}, "pin", "is required with setup credentials"),
    ("short answer", {**GOOD_CREDS, "security_answer": "Tom"}, "security_answer", "5"),
    ("unknown question", {**GOOD_CREDS, "security_question": "42"}, "security_question", "42"),
    ("secret with invite", {"setup": "invite", "pin": "5820417396"}, "pin", "only with setup"),
    ("temporary flag", {"temporary_password": "perhaps"}, "temporary_password", "yes or no"),
    ("unknown role", {"role": "Janitor"}, "role", "'Janitor' not found"),
    ("unknown site", {"site": "Paris"}, "site", "'Paris' not found"),
    ("reserved short extension", {"short_extension": "911"}, "short_extension", "reserved"),
    ("short extension letters", {"short_extension": "9x"}, "short_extension", "must be digits"),
    ("bad phone", {"contact_phone": "12"}, "contact_phone", "not a valid phone number"),
    ("toll-free mobile", {"mobile_phone": "800-555-0199"}, "mobile_phone", "toll-free"),
    ("bad recording", {"recording": "sometimes"}, "recording", "'sometimes' is not one of"),
    ("bad language", {"language": "xx-XX"}, "language", "'xx-XX' is not one of"),
    ("bad regional format", {"regional_format": "en"}, "regional_format", "is not one of"),
    ("long job title", {"job_title": "J" * 65}, "job_title", "at most 64 characters"),
    ("control character", {"department": "Sales\x07"}, "department", "control characters"),
]


def person(number: str, first: str, setup: str = "later", **cells: str) -> dict[str, str]:
    row = {
        "extension": number,
        "setup": setup,
        "first_name": first,
        "last_name": "Tester",
        "email": f"{first.lower()}@example.com",
    }
    row.update(cells)
    return row


@pytest.mark.parametrize(
    ("cells", "column", "rule"),
    [case[1:] for case in BAD_VALUES],
    ids=[case[0] for case in BAD_VALUES],
)
def test_one_bad_value_writes_nothing(
    run, account: Path, tmp_path: Path, cells: dict[str, str], column: str, rule: str
) -> None:
    rows = [
        person("101", "Ada", "invite"),
        person("102", "Bob", **cells),
        person("2201", "Cy", "invite"),
    ]
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))
    before = Snapshot.of(account)

    result = run("bulk-assign", path)

    assert result.code == 3, result.err
    assert result.err.startswith("extadmin: error: 1 error in 1 row; nothing was written\n")
    (line,) = error_lines(result.err)
    assert line.startswith(f"line 3, column {column}: ")
    assert rule in line
    assert "Traceback" not in result.err
    assert Snapshot.of(account) == before
    assert not outbox(account).exists()


def bad_file_rows() -> tuple[list[dict[str, str]], list[tuple[int, str, str]]]:
    """20 rows, five of them bad at different places; the expected (line, column, rule)."""
    rows = [person(str(n), f"User{n}", "invite") for n in range(220, 240)]
    bad = {
        1: ({"email": "user221@"}, "email", "is not a valid address"),
        5: ({"first_name": ""}, "first_name", "is required"),
        10: ({**GOOD_CREDS, "pin": "22233344"}, "pin", "three times in a row"),
        14: ({"role": "Chief Wizard"}, "role", "not found"),
        19: ({"short_extension": "411"}, "short_extension", "reserved"),
    }
    expected = []
    for index, (cells, column, rule) in bad.items():
        rows[index].update(cells)
        expected.append((index + 2, column, rule))
    return rows, expected


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_every_bad_row_is_reported(run, account: Path, tmp_path: Path, dry_run: bool) -> None:
    ok(run("extension", "add", "220-239"))
    rows, expected = bad_file_rows()
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))
    before = Snapshot.of(account)

    result = run("bulk-assign", path, *(["--dry-run"] if dry_run else []))

    assert result.code == 3, result.err
    assert result.err.startswith("extadmin: error: 5 errors in 5 rows; nothing was written\n")
    lines = error_lines(result.err)
    assert len(lines) == 5
    for reported, (line, column, rule) in zip(lines, expected, strict=True):
        assert reported.startswith(f"line {line}, column {column}: ")
        assert rule in reported
    assert Snapshot.of(account) == before
    assert not outbox(account).exists()


def test_bad_rows_as_json(run, account: Path, tmp_path: Path) -> None:
    ok(run("extension", "add", "220-239"))
    rows, expected = bad_file_rows()
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))
    before = Snapshot.of(account)

    result = run("bulk-assign", path, "--format", "json")

    assert result.code == 3
    report = json.loads(result.out)
    assert report["ok"] is False
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (line, column) for line, column, _ in expected
    ]
    for error, (_, _, rule) in zip(report["errors"], expected, strict=True):
        assert rule in error["message"]
    # each row's own exit code, as `assign` would exit: an unknown role is "not found"
    assert [e["exit_code"] for e in report["errors"]] == [3, 3, 3, 4, 3]
    assert Snapshot.of(account) == before


# --- 3. conflicts: exit 5 ---------------------------------------------------------------------

ADA_ASSIGNED = (
    "assign", "101", "--setup", "later", "--first-name", "Ada", "--last-name", "Lovelace",
    "--email", "ada@example.com", "--no-input",
)  # fmt: skip
OTHER_ACCOUNT = (
    ("init", "other.toml", "--name", "Globex"),
    ("--account", "other.toml", "extension", "add", "300"),
    ("--account", "other.toml", *ADA_ASSIGNED[:1], "300", *ADA_ASSIGNED[2:]),
)

# (id, commands run before, rows, expected (line, column, rule) for each conflict)
CONFLICTS = [
    (
        "email twice in the file",
        (),
        [person("101", "Ada"), person("102", "Bob"), person("103", "Cy", email="ADA@example.com")],
        [(4, "email", "also on line 2")],
    ),
    (
        "extension twice in the file",
        (),
        [person("101", "Ada"), person("102", "Bob"), person("101", "Cy")],
        [(4, "extension", "extension 101 is also on line 2")],
    ),
    (
        "email of an assigned user",
        (ADA_ASSIGNED,),
        [person("102", "Bob"), person("103", "Ada", email="Ada@Example.com")],
        [(3, "email", "already used (extension 101 in account 'Acme Corp')")],
    ),
    (
        "email of a user in another account on this machine",
        OTHER_ACCOUNT,
        [person("102", "Ada", email="ada@example.com")],
        [(2, "email", "already used (extension 300 in account 'Globex')")],
    ),
    (
        "extension already assigned",
        (ADA_ASSIGNED,),
        [person("102", "Bob"), person("101", "Cy")],
        [
            (
                3,
                "extension",
                "extension 101 is not unassigned: it is assigned to Ada Lovelace (not-activated)",
            )
        ],
    ),
    (
        "short extension taken by another row",
        (),
        [
            person("101", "Ada", short_extension="150"),
            person("102", "Bob", short_extension="150"),
        ],
        [(3, "short_extension", "number 150 is also taken on line 2")],
    ),
    (
        "short extension already in the account",
        (),
        [person("101", "Ada", short_extension="104")],
        [(2, "short_extension", "number 104 is already in use")],
    ),
    (
        "several conflicts",
        (ADA_ASSIGNED,),
        [
            person("102", "Bob"),
            person("101", "Cy"),
            person("103", "Dee", email="bob@example.com"),
            person("104", "Ada"),
        ],
        [
            (3, "extension", "not unassigned"),
            (4, "email", "also on line 2"),
            (5, "email", "already used"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("before_commands", "rows", "expected"),
    [case[1:] for case in CONFLICTS],
    ids=[case[0] for case in CONFLICTS],
)
def test_conflicts_exit_5(
    run,
    account: Path,
    tmp_path: Path,
    before_commands: tuple[tuple[str, ...], ...],
    rows: list[dict[str, str]],
    expected: list[tuple[int, str, str]],
) -> None:
    for command in before_commands:
        ok(run(*command))
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))
    before = Snapshot.of(account)

    result = run("--account", account, "bulk-assign", path)

    assert result.code == 5, result.err
    lines = error_lines(result.err)
    assert len(lines) == len(expected), result.err
    for reported, (line, column, rule) in zip(lines, expected, strict=True):
        assert reported.startswith(f"line {line}, column {column}: ")
        assert rule in reported
    assert Snapshot.of(account) == before
    assert not outbox(account).exists()


def test_invalid_values_and_conflicts_exit_3(run, account: Path, tmp_path: Path) -> None:
    rows = [
        person("101", "Ada"),
        person("101", "Bob"),  # conflict
        person("102", "Cy", recording="loud"),  # invalid
    ]
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))
    before = Snapshot.of(account)

    result = run("bulk-assign", path, "--format", "json")

    assert result.code == 3
    errors = json.loads(result.out)["errors"]
    assert [(e["line"], e["column"], e["exit_code"]) for e in errors] == [
        (3, "extension", 5),
        (4, "recording", 3),
    ]
    assert Snapshot.of(account) == before


def test_a_duplicate_email_is_reported_even_when_its_first_row_is_bad(
    run, account: Path, tmp_path: Path
) -> None:
    """Every failing row is reported at once: fixing line 2 must not reveal a new error."""
    rows = [
        person("101", "Ada", pin="90123456"),  # a PIN without setup credentials
        person("102", "Bob", email="ada@example.com"),
    ]
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS))

    result = run("bulk-assign", path)

    assert result.code == 3
    lines = error_lines(result.err)
    assert len(lines) == 2, result.err
    assert lines[0].startswith("line 2, column pin: ")
    assert lines[1].startswith("line 3, column email: ")
    assert "also on line 2" in lines[1]


# --- 4. export, and bulk-assign of an export ------------------------------------------------

EXPORT_ROWS = [
    person("101", "Ada", "invite", contact_phone="(415) 555-0101", department="R&D, Lab 2"),
    person("102", "Bob", "later", role="Manager", recording="both", language="fr-FR"),
    person("103", "Cyd", **GOOD_CREDS),
    person("104", "Dee", "later", mobile_phone="+1 212 555 0104", job_title='The "Boss"'),
    person("2201", "Eve", "invite", greeting_language="de-DE", regional_format="en-GB"),
    person("2202", "Fay", "later", role="User Admin", recording="inbound", department="Ops"),
]


def make_account(run, path: Path, name: str) -> None:
    for args in (
        ("init", path, "--name", name),
        ("--account", path, "site", "add", "Boston", "--code", "2"),
        ("--account", path, "extension", "add", "101-105"),
        ("--account", path, "extension", "add", "2201-2203", "--site", "Boston"),
    ):
        ok(run(*args))


def test_an_export_re_creates_the_users_on_another_account(
    run, account: Path, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "hires.csv", csv_text(EXPORT_ROWS, SPEC_COLUMNS))
    ok(run("--account", account, "bulk-assign", source))
    exported = ok(run("--account", account, "export", "--format", "csv")).out
    assert exported.splitlines()[0] == ",".join(SPEC_COLUMNS)
    assert len(exported.splitlines()) == 1 + len(EXPORT_ROWS)
    export_file = write_csv(tmp_path / "export.csv", exported)
    west = tmp_path / "west.toml"
    make_account(run, west, "Acme West")

    # While the first account is known on this machine, its users' emails are taken.
    taken = run("--account", west, "bulk-assign", export_file)
    assert taken.code == 5
    assert len(error_lines(taken.err)) == len(EXPORT_ROWS)
    assert all("in account 'Acme Corp'" in line for line in error_lines(taken.err))

    # Once the old account is forgotten, the export is accepted as it is.
    ok(run("account", "forget", account))
    result = ok(run("--account", west, "bulk-assign", export_file))
    assert "assigned 6 extension(s); 2 welcome email(s) queued" in result.err

    old, new = extensions(account), extensions(west)
    for row in EXPORT_ROWS:
        number = row["extension"]
        before, after = user_fields(old[number]["user"]), user_fields(new[number]["user"])
        if row["setup"] == "credentials":  # secrets are never exported: set up "later"
            assert after.pop("setup") == "later" and before.pop("setup") == "credentials"
        assert after == before
        assert new[number]["site"] == old[number]["site"]
    assert new["101"]["user"]["department"] == "R&D, Lab 2"
    assert new["104"]["user"]["job_title"] == 'The "Boss"'
    assert new["104"]["user"]["mobile_phone"] == "+12125550104"
    assert recipients(west) == ["ada@example.com", "eve@example.com"]
    assert ok(run("--account", west, "export", "--format", "csv")).out == exported


def test_export_json_has_the_columns_and_no_secret(run, account: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "hires.csv", csv_text(EXPORT_ROWS, SPEC_COLUMNS))
    ok(run("bulk-assign", source))

    result = ok(run("export", "--format", "json"))

    users = json.loads(result.out)
    assert isinstance(users, list) and len(users) == len(EXPORT_ROWS)
    for user in users:
        assert list(user) == list(SPEC_COLUMNS)
        assert all(user[c] == "" for c in SECRET_COLUMNS)
    by_number = {u["extension"]: u for u in users}
    assert by_number["101"]["contact_phone"] == "+14155550101"
    assert by_number["102"]["role"] == "Manager" and by_number["102"]["recording"] == "both"
    assert by_number["103"]["setup"] == "later"
    assert by_number["2201"]["site"] == "Boston"
    for secret in (GOOD_CREDS["password"], GOOD_CREDS["pin"], GOOD_CREDS["security_answer"]):
        assert secret not in result.out
    assert "scrypt$" not in result.out


# --- 6. --dry-run, --setup, and the permissions of a file with secrets -----------------------

DRY_ROWS = [
    person("101", "Ada", "invite"),
    person("102", "Bob", "later", role="Manager"),
    person("103", "Cyd", **GOOD_CREDS),
    person("2201", "Dee", "invite", site="Boston"),
]


def test_dry_run_shows_the_plan_and_writes_nothing(run, account: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "hires.csv", csv_text(DRY_ROWS, SPEC_COLUMNS))
    before = Snapshot.of(account)

    table = ok(run("bulk-assign", path, "--dry-run"))
    as_json = ok(run("bulk-assign", path, "--dry-run", "--format", "json"))

    assert "dry run: 4 row(s) valid, nothing was written" in table.err
    for row in DRY_ROWS:
        assert row["email"] in table.out
        assert f"{row['first_name']} Tester" in table.out
    assert table.out.count("valid") == 4
    plan = json.loads(as_json.out)
    assert plan["ok"] is True and plan["dry_run"] is True
    assert [(r["line"], r["extension"], r["email"]) for r in plan["rows"]] == [
        (2, "101", "ada@example.com"),
        (3, "102", "bob@example.com"),
        (4, "103", "cyd@example.com"),
        (5, "2201", "dee@example.com"),
    ]
    assert Snapshot.of(account) == before
    assert not outbox(account).exists()
    assert all(e["status"] == "unassigned" for e in extensions(account).values())

    ok(run("bulk-assign", path))  # the same file, for real
    assert recipients(account) == ["ada@example.com", "dee@example.com"]
    assert [e["action"] for e in audit(account, "bulk-assign")] == ["assign"] * 4


SETUP_ROWS = [
    {**person("101", "Ada"), "setup": ""},
    {**person("102", "Bob"), "setup": "later"},
    {**person("103", "Cyd"), "setup": " "},
    {**person("104", "Dee"), "setup": "invite"},
]


@pytest.mark.parametrize(
    ("default", "setups", "invited"),
    [
        ("invite", ["invite", "later", "invite", "invite"], ["ada", "cyd", "dee"]),
        ("later", ["later", "later", "later", "invite"], ["dee"]),
        ("Invite", ["invite", "later", "invite", "invite"], ["ada", "cyd", "dee"]),
    ],
)
def test_setup_option_is_the_default_for_empty_cells(
    run, account: Path, tmp_path: Path, default: str, setups: list[str], invited: list[str]
) -> None:
    path = write_csv(tmp_path / "hires.csv", csv_text(SETUP_ROWS, BASIC))

    ok(run("bulk-assign", path, "--setup", default))

    stored = extensions(account)
    assert [stored[r["extension"]]["user"]["setup"] for r in SETUP_ROWS] == setups
    assert recipients(account) == [f"{name}@example.com" for name in invited]


def test_without_setup_option_an_empty_setup_cell_is_an_error(
    run, account: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "hires.csv", csv_text(SETUP_ROWS, BASIC))
    before = Snapshot.of(account)

    result = run("bulk-assign", path)

    assert result.code == 3
    lines = error_lines(result.err)
    assert [line.split(":")[0] for line in lines] == [
        "line 2, column setup",
        "line 4, column setup",
    ]
    assert all("is required (invite, credentials or later)" in line for line in lines)
    assert Snapshot.of(account) == before


def test_an_unknown_setup_option_is_refused(run, account: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "hires.csv", csv_text(SETUP_ROWS, BASIC))
    before = Snapshot.of(account)

    result = run("bulk-assign", path, "--setup", "sometime")

    assert result.code == 3
    assert "'sometime' is not one of: invite, credentials, later" in result.err
    assert Snapshot.of(account) == before


@pytest.mark.parametrize(
    ("mode", "with_secrets", "warned"),
    [
        (0o644, True, True),
        (0o604, True, True),
        (0o640, True, True),
        (0o600, True, False),
        (0o400, True, False),
        (0o644, False, False),
    ],
    ids=["644", "604", "640", "600", "400", "644-no-secrets"],
)
def test_warning_when_others_can_read_a_file_with_secrets(
    run, account: Path, tmp_path: Path, mode: int, with_secrets: bool, warned: bool
) -> None:
    rows = [person("101", "Ada", "invite"), person("102", "Bob", "later")]
    if with_secrets:
        rows.append(person("103", "Cyd", **GOOD_CREDS))
    path = write_csv(tmp_path / "hires.csv", csv_text(rows, SPEC_COLUMNS), mode=mode)

    result = ok(run("bulk-assign", path))

    warning = f"warning: {path} holds passwords, PINs or answers and other users can read it"
    assert (warning in result.err) is warned
    assert ("chmod 600" in result.err) is warned
    assert len(audit(account, "bulk-assign")) == len(rows)
