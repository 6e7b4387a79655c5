"""Issue 26, profiles: named sets of assignment defaults in the account file. Each field a profile
holds (domain.fields.PROFILE_FIELDS) comes from it, and is overridden by a flag and by a CSV
cell; a profile naming a role or site removed since fails naming it and writes nothing; a site's
default profile; `users update --profile`; the load checks; on a linked file, the plan shows
the values a profile produced, never the profile; the walkthrough's logic through the fake
prompter (the real terminal: test_profiles_walkthrough.py).

The `account` fixture (conftest) gives Main Site with 101-105 and Boston (code 2) with
2201-2203."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from extadmin.cli import walkthrough
from extadmin.domain.fields import BY_NAME, PROFILE_FIELDS
from extadmin.services import assign as assigning
from extadmin.services.assign import Request
from extadmin.storage.store import AccountStore
from tests.csv_helpers import csv_text
from tests.csv_helpers import write_csv as write_text
from tests.fake_platform import FakePlatform
from tests.fake_prompter import BACK, FakePrompter
from tests.helpers import ADA, audit, link, load, ok, plan_json, refused, stored

# For each field a profile may hold: the profile's value, and another one that overrides it.
# Every declared field must be here (test_every_profile_field_is_tested): a field declared
# `profile` later is tested as soon as it is given its two values.
VALUES: dict[str, tuple[str, str]] = {
    "setup": ("invite", "later"),
    "job_title": ("Analyst", "Clerk"),
    "department": ("Sales", "Support"),
    "site": ("Boston", "Main Site"),
    "role": ("Manager", "Standard User"),
    "language": ("fr-FR", "de-DE"),
    "greeting_language": ("fr-CA", "es-ES"),
    "regional_format": ("en-GB", "ja-JP"),
    "recording": ("both", "inbound"),
    "engage_voice": ("agent", "admin"),
}
# the fields `assign` has a flag (and bulk-assign a column) for: Engage Voice access is given
# only by a profile (`engage-voice import` gives it otherwise)
OVERRIDABLE = [f for f in PROFILE_FIELDS if f != "engage_voice"]


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def profile_add(run: Any, name: str, *args: str) -> None:
    ok(run("profile", "add", name, *args))


def stored_value(path: Path, number: str, field: str) -> str:
    """A field as the account file holds it after an assignment: the extension's site, the
    user's Engage Voice access, or the user's own field."""
    ext = stored(path, number)
    if field == "site":
        return str(ext["site"])
    if field == "engage_voice":
        return str(ext["user"].get("engage_voice", {}).get("access", ""))
    return str(ext["user"].get(field, ""))


def number_after(field: str, value: str, number: str) -> str:
    """Main Site's 104 is Boston's 2104 once assigned on Boston (code 2)."""
    return "2" + number if field == "site" and value == "Boston" else number


def write_csv(path: Path, columns: list[str], rows: list[list[str]]) -> Path:
    return write_text(path, csv_text([dict(zip(columns, r, strict=True)) for r in rows], columns))


def edit(path: Path, change: Any) -> None:
    """Edit the account file by hand (as an admin would, or as a pull replaces the roles)."""
    doc = tomllib.loads(path.read_text())
    change(doc)
    path.write_text(tomli_w.dumps(doc))


def test_every_profile_field_is_tested() -> None:
    assert set(VALUES) == set(PROFILE_FIELDS)
    assert set(OVERRIDABLE) <= {*BY_NAME, "site", "setup"}


# --- the commands ---------------------------------------------------------------------------


def test_add_list_show_update_remove(account: Path, run: Any) -> None:
    result = run(
        "profile", "add", "Sales", "--role", "manager", "--department", "Sales",
        "--language", "fr-fr", "--recording", "BOTH", "--engage-voice", "Agent",
        "--site", "boston", "--setup", "Invite",
    )  # fmt: skip
    ok(result)
    assert "added profile 'Sales'" in result.err
    # stored as assign stores each value: canonical spellings, in the fields' order
    assert load(account)["profiles"] == [
        {
            "name": "Sales", "setup": "invite", "department": "Sales", "site": "Boston",
            "role": "Manager", "language": "fr-FR", "recording": "both", "engage_voice": "agent",
        }
    ]  # fmt: skip
    assert audit(account, "profile add")[-1]["changes"]["role"] == "Manager"

    listed = json.loads(ok(run("profile", "list", "--format", "json")).out)
    assert [p["name"] for p in listed] == ["Sales"]
    shown = json.loads(ok(run("profile", "show", "SALES", "--format", "json")).out)
    assert shown["role"] == "Manager" and shown["problems"] == []

    result = ok(run("profile", "update", "sales", "--department", "", "--role", "Standard User"))
    assert "2 value(s)" in result.err
    profile = load(account)["profiles"][0]
    assert "department" not in profile and profile["role"] == "Standard User"
    assert audit(account, "profile update")[-1]["changes"]["role"] == {
        "old": "Manager",
        "new": "Standard User",
    }

    result = ok(run("profile", "remove", "Sales", "--yes"))
    assert "removed profile 'Sales'" in result.err
    assert "profiles" not in load(account)
    refused(run("profile", "show", "Sales"), account, account.read_bytes(), 4, "profile 'Sales'")


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--role", "Chief"), 4, "role 'Chief' not found"),
        (("--site", "Austin"), 4, "site 'Austin' not found"),
        (("--language", "xx-XX"), 3, "language: 'xx-XX' is not one of"),
        (("--recording", "sometimes"), 3, "recording"),
        (("--setup", "someday"), 3, "setup"),
        (("--engage-voice", "root"), 3, "engage voice"),
        (("--job-title", "x" * 65), 3, "job title: must be at most 64 characters"),
        (("--default-for-site", "Austin"), 4, "site 'Austin' not found"),
    ],
)
def test_a_value_is_checked_by_assigns_rule_when_saved(
    account: Path, run: Any, args: tuple[str, ...], code: int, fragment: str
) -> None:
    before = account.read_bytes()
    refused(run("profile", "add", "Sales", *args), account, before, code, fragment)


def test_names_are_unique_and_a_site_has_one_default(account: Path, run: Any) -> None:
    profile_add(run, "Sales", "--default-for-site", "Boston")
    before = account.read_bytes()
    refused(run("profile", "add", "sales"), account, before, 5, "already exists")
    refused(
        run("profile", "add", "Support", "--default-for-site", "boston"),
        account, before, 5, "already has a default profile, 'Sales'",
    )  # fmt: skip
    refused(run("profile", "update", "Sales"), account, before, 2, "give a value to change")


# --- each field: from the profile, overridden by a flag, by a CSV cell --------------------


def _assign_args(number: str, *extra: str) -> list[str]:
    return ["assign", number, *ADA[:4], "--email", f"u{number}@acme.example", "--no-input", *extra]


@pytest.mark.parametrize("field", PROFILE_FIELDS)
def test_each_field_comes_from_the_profile_and_a_flag_overrides_it(
    account: Path, run: Any, field: str
) -> None:
    mine, other = VALUES[field]
    profile_add(run, "P", flag(field), mine)
    setup = () if field == "setup" else ("--setup", "later")
    ok(run(*_assign_args("104", "--profile", "P", *setup)))
    assert stored_value(account, number_after(field, mine, "104"), field) == mine
    if field == "setup":
        assert stored(account, "104")["status"] == "not-activated"
    if field in OVERRIDABLE:
        ok(run(*_assign_args("105", "--profile", "p", *setup, flag(field), other)))
        assert stored_value(account, number_after(field, other, "105"), field) == other
    assert audit(account, "assign")[0]["changes"]["profile"] == "P"


@pytest.mark.parametrize("field", PROFILE_FIELDS)
def test_each_field_comes_from_a_rows_profile_and_its_cell_overrides_it(
    account: Path, run: Any, tmp_path: Path, field: str
) -> None:
    mine, other = VALUES[field]
    profile_add(run, "P", flag(field), mine)
    columns = ["extension", "first_name", "last_name", "email", "profile"]
    rows = [["104", "Ada", "Lovelace", "a104@acme.example", "P"]]
    if field in OVERRIDABLE:
        columns.append(field)
        rows = [row + [""] for row in rows]
        rows.append(["105", "Ada", "Lovelace", "a105@acme.example", "p", other])
    csv = write_csv(tmp_path / "hires.csv", columns, rows)
    ok(run("bulk-assign", csv, "--setup", "later"))  # --setup: for rows that neither give
    assert stored_value(account, number_after(field, mine, "104"), field) == mine
    if field in OVERRIDABLE:
        assert stored_value(account, number_after(field, other, "105"), field) == other


def test_a_rows_profile_wins_over_the_setup_option_of_the_command(
    account: Path, run: Any, tmp_path: Path
) -> None:
    """--setup is for the rows that give none: a row's profile gives one."""
    profile_add(run, "Invited", "--setup", "invite")
    csv = write_csv(
        tmp_path / "hires.csv",
        ["extension", "first_name", "last_name", "email", "profile"],
        [["101", "A", "B", "a@acme.example", "Invited"], ["102", "C", "D", "c@acme.example", ""]],
    )
    ok(run("bulk-assign", csv, "--setup", "later"))
    assert stored(account, "101")["user"]["setup"] == "invite"
    assert stored(account, "102")["user"]["setup"] == "later"


def test_the_profile_gives_the_setup_option_a_script_would_otherwise_miss(
    account: Path, run: Any
) -> None:
    profile_add(run, "Later", "--setup", "later")
    ok(run(*_assign_args("101", "--profile", "Later")))
    assert stored(account, "101")["user"]["setup"] == "later"
    result = run(*_assign_args("102"))
    assert result.code == 2 and "missing --setup" in result.err


def test_an_empty_flag_overrides_a_profile_value_with_none(account: Path, run: Any) -> None:
    profile_add(run, "Sales", "--department", "Sales", "--job-title", "Rep")
    ok(run(*_assign_args("101", "--profile", "Sales", "--setup", "later", "--department", "")))
    user = stored(account, "101")["user"]
    assert "department" not in user and user["job_title"] == "Rep"


def test_an_unknown_profile_is_not_found(account: Path, run: Any, tmp_path: Path) -> None:
    before = account.read_bytes()
    refused(
        run(*_assign_args("101", "--profile", "Nope", "--setup", "later")),
        account, before, 4, "profile 'Nope' not found",
    )  # fmt: skip
    csv = write_csv(
        tmp_path / "hires.csv",
        ["extension", "first_name", "last_name", "email", "profile"],
        [["101", "A", "B", "a@acme.example", "Nope"]],
    )
    result = run("bulk-assign", csv, "--setup", "later")
    assert result.code == 3 and "line 2, column profile: profile 'Nope' not found" in result.err
    assert account.read_bytes() == before


def test_an_export_is_still_read_back_and_bulk_update_takes_no_profile(
    account: Path, run: Any, tmp_path: Path
) -> None:
    exported = ok(run("export", "--format", "csv")).out.splitlines()[0]
    assert "profile" not in exported.split(",")
    csv = write_csv(tmp_path / "u.csv", ["extension", "profile"], [["101", "Sales"]])
    result = run("bulk-update", csv)
    assert result.code == 3 and "unknown column(s) 'profile'" in result.err


# --- a role or site removed since -----------------------------------------------------------


def _remove_role(role: str) -> Any:
    return lambda doc: doc["roles"].remove(role)


def _remove_site(site: str) -> Any:
    return lambda doc: doc.update(sites=[s for s in doc["sites"] if s["name"] != site])


@pytest.mark.parametrize(
    ("args", "removal", "fragment"),
    [
        (("--role", "Manager"), _remove_role("Manager"), "role 'Manager' not found"),
        (("--site", "Austin"), _remove_site("Austin"), "site 'Austin' not found"),
    ],
    ids=["role", "site"],
)
def test_a_role_or_site_removed_since_fails_naming_the_profile_and_writes_nothing(
    account: Path, run: Any, tmp_path: Path, args: tuple[str, ...], removal: Any, fragment: str
) -> None:
    ok(run("site", "add", "Austin", "--code", "3"))
    profile_add(run, "Field team", *args, "--department", "Field")
    ok(run(*_assign_args("102", "--setup", "later")))
    edit(account, removal)  # a hand edit, or a pull that brought the platform's roles
    before = account.read_bytes()

    # the file still loads: the profile is reported when it is used, and shown with its problem
    shown = json.loads(ok(run("profile", "show", "Field team", "--format", "json")).out)
    assert any(fragment in p for p in shown["problems"])

    result = run(*_assign_args("101", "--profile", "Field team", "--setup", "later"))
    refused(result, account, before, 4, "profile 'Field team'", fragment)
    assert "extadmin profile update Field team --" in result.err
    refused(
        run("users", "update", "102", "--profile", "field team"),
        account, before, 4, "profile 'Field team'", fragment,
    )  # fmt: skip
    csv = write_csv(
        tmp_path / "hires.csv",
        ["extension", "first_name", "last_name", "email", "profile"],
        [["101", "A", "B", "a@acme.example", "Field team"]],
    )
    result = run("bulk-assign", csv, "--setup", "later")
    assert result.code == 3, result.err
    assert f"line 2, column profile: profile 'Field team': {fragment}" in result.err
    assert account.read_bytes() == before
    # the flag that overrides the broken value does without it
    ok(run(*_assign_args("101", "--profile", "Field team", "--setup", "later", *args[:1],
                         "Main Site" if args[0] == "--site" else "Standard User")))  # fmt: skip
    assert stored(account, "101")["user"]["department"] == "Field"


# --- a site's default profile -----------------------------------------------------------------


def test_a_bare_assign_on_a_sites_extension_starts_from_its_default_profile(
    account: Path, run: Any
) -> None:
    profile_add(run, "Boston staff", "--department", "Boston office", "--recording", "both",
                "--default-for-site", "boston")  # fmt: skip
    assert load(account)["profiles"][0]["default_for_site"] == "Boston"
    ok(run(*_assign_args("2201", "--setup", "later")))
    user = stored(account, "2201")["user"]
    assert (user["department"], user["recording"]) == ("Boston office", "both")
    assert audit(account, "assign")[-1]["changes"]["profile"] == "Boston staff"
    # a flag still overrides it; --profile '' starts from none
    ok(run(*_assign_args("2202", "--setup", "later", "--recording", "off")))
    assert stored(account, "2202")["user"]["recording"] == "off"
    assert stored(account, "2202")["user"]["department"] == "Boston office"
    ok(run(*_assign_args("2203", "--setup", "later", "--profile", "")))
    assert "department" not in stored(account, "2203")["user"]
    # another site's extension: not from it; moved to Boston by --site: from it
    ok(run(*_assign_args("101", "--setup", "later")))
    assert "department" not in stored(account, "101")["user"]
    ok(run(*_assign_args("102", "--setup", "later", "--site", "Boston")))
    assert stored(account, "2102")["user"]["department"] == "Boston office"
    # no longer the default: a bare assign starts from none
    ok(run("profile", "update", "Boston staff", "--default-for-site", ""))
    assert "default_for_site" not in load(account)["profiles"][0]
    ok(run("extension", "add", "2204", "--site", "Boston"))
    ok(run(*_assign_args("2204", "--setup", "later")))
    assert "department" not in stored(account, "2204")["user"]


def test_a_csv_row_on_a_site_with_a_default_profile_starts_from_it(
    account: Path, run: Any, tmp_path: Path
) -> None:
    profile_add(run, "Boston staff", "--job-title", "Agent", "--default-for-site", "Boston")
    csv = write_csv(
        tmp_path / "hires.csv",
        ["extension", "first_name", "last_name", "email", "job_title"],
        [["2201", "A", "B", "a@acme.example", ""], ["2202", "C", "D", "c@acme.example", "Lead"],
         ["101", "E", "F", "e@acme.example", ""]],
    )  # fmt: skip
    ok(run("bulk-assign", csv, "--setup", "later"))
    assert stored(account, "2201")["user"]["job_title"] == "Agent"
    assert stored(account, "2202")["user"]["job_title"] == "Lead"
    assert "job_title" not in stored(account, "101")["user"]


# --- users update --profile -------------------------------------------------------------------


def test_users_update_applies_a_profile_again_the_flags_overriding_it(
    account: Path, run: Any
) -> None:
    ok(run(*_assign_args("101", "--setup", "later")))
    profile_add(run, "Sales", "--role", "Manager", "--department", "Sales", "--setup", "invite",
                "--engage-voice", "agent", "--site", "Boston")  # fmt: skip
    ok(run("users", "update", "101", "--profile", "Sales", "--department", "Ops", "--yes"))
    ext = stored(account, "2101")  # moved to Boston: renumbered with its code
    assert (ext["site"], ext["user"]["role"], ext["user"]["department"]) == (
        "Boston", "Manager", "Ops",
    )  # fmt: skip
    # the setup option and Engage Voice access are the assignment's
    assert ext["user"]["setup"] == "later" and "engage_voice" not in ext["user"]


# --- the load checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profiles", "fragment"),
    [
        ([{"name": "A", "colour": "red"}], "profiles[0]: unknown field 'colour'"),
        ([{"role": "Manager"}], "profiles[0]: missing required field 'name'"),
        ([{"name": "A", "language": "en-us"}], "profiles[0].language"),
        ([{"name": "A", "recording": "loud"}], "profiles[0].recording: 'loud' is not one of"),
        ([{"name": "A", "engage_voice": "x"}], "profiles[0].engage_voice"),
        ([{"name": "A", "job_title": "\x1b[2J"}], "profiles[0].job_title"),
        ([{"name": "A"}, {"name": "a"}], "profiles[1].name: profile 'a' is also profiles[0]"),
        (
            [
                {"name": "A", "default_for_site": "Boston"},
                {"name": "B", "default_for_site": "boston"},
            ],
            "profiles[1].default_for_site: site 'boston' already has a default profile",
        ),
    ],
)
def test_a_profile_is_checked_on_load(
    account: Path, run: Any, profiles: list[dict[str, str]], fragment: str
) -> None:
    edit(account, lambda doc: doc.update(profiles=profiles))
    before = account.read_bytes()
    refused(run("profile", "list"), account, before, 6, fragment)


def test_a_json_account_keeps_its_profiles(tmp_path: Path, run: Any) -> None:
    path = tmp_path / "acme.json"
    ok(run("init", path, "--name", "Acme"))
    ok(run("extension", "add", "101"))
    profile_add(run, "Sales", "--department", "Sales")
    doc = json.loads(path.read_text())
    assert list(doc).index("profiles") < list(doc).index("extensions")
    ok(run(*_assign_args("101", "--profile", "Sales", "--setup", "later")))
    assert stored(path, "101")["user"]["department"] == "Sales"


# --- a linked file: profiles are local ---------------------------------------------------------


def test_the_plan_shows_the_values_a_profile_produced_never_the_profile(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    for number in ("101", "102"):
        fake.add_extension(number, status="Unassigned")
    path = link(run, tmp_path / "linked.json", secret_files)
    profile_add(run, "Quartermasters", "--department", "Logistics", "--job-title", "Clerk",
                "--recording", "both", "--engage-voice", "agent")  # fmt: skip
    ok(run(*_assign_args("101", "--profile", "Quartermasters", "--setup", "later")))
    # the same values by flags: the same plan, field for field
    ok(run(*_assign_args("102", "--setup", "later", "--department", "Logistics",
                         "--job-title", "Clerk", "--recording", "both")))  # fmt: skip
    plan = plan_json(run)
    text = json.dumps(plan)
    assert "Quartermasters" not in text and "profile" not in text.casefold()
    assert "Logistics" in text and "Clerk" in text
    by_ext = {c.get("extension"): c for c in plan["changes"]}
    one, two = by_ext["101"], by_ext["102"]
    strip = lambda c: json.dumps(c).replace("101", "N").replace("102", "N").replace("u1", "u")  # noqa: E731
    assert strip(one) == strip(two)
    requests = [r for r in plan["requests"] if "Logistics" in json.dumps(r)]
    assert len(requests) == 2
    assert json.loads(path.read_text())["profiles"][0]["name"] == "Quartermasters"


# --- the walkthrough's logic (the fake prompter) -----------------------------------------------


@pytest.fixture
def store(account: Path) -> AccountStore:
    return AccountStore(account)


def walk(
    store: AccountStore, answers: dict[str, Any], req: Request | None = None
) -> tuple[Request, FakePrompter]:
    fake = FakePrompter(answers)
    return walkthrough.run(fake, store, req or Request(), confirm=True), fake


NAMES = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def test_the_walkthrough_offers_the_profiles_first_and_prefills_from_the_chosen_one(
    store: AccountStore, run: Any
) -> None:
    profile_add(run, "Sales", "--role", "Manager", "--department", "Sales", "--setup", "later",
                "--language", "fr-FR", "--engage-voice", "agent")  # fmt: skip
    profile_add(run, "Support", "--department", "Support")
    req, fake = walk(
        store,
        {"profile": "Sales", "extension": "104", **NAMES, "department": "Field sales",
         "administrative": True},
    )  # fmt: skip
    assert fake.asked[:3] == ["profile", "extension", "setup"]
    assert fake.choices["profile"] == ["Sales", "Support", "None"]
    assert fake.offered["profile"] == ""  # None: a profile is chosen, not assumed
    assert next(line for line in fake.said if line.startswith("Step ")) == "Step 1 of 8: Profile"
    # every value from the profile is the default of its question, and still asked
    assert (fake.offered["setup"], fake.offered["department"], fake.offered["role"]) == (
        "later", "Sales", "Manager",
    )  # fmt: skip
    assert fake.offered["language"] == "fr-FR"
    assert fake.offered["greeting_language"] == "fr-FR"  # follows the user language
    assert (req.profile, req.setup, req.department, req.role, req.engage_voice) == (
        "Sales", "later", "Field sales", "Manager", "agent",
    )  # fmt: skip
    review = dict(fake.review)
    assert review["Profile"] == "Sales" and review["Department"] == "Field sales"
    assert review["Engage Voice access"] == "agent"
    # saved as reviewed: the admin's change stays, the profile adds nothing more
    done = assigning.run(store, req, dry_run=False)
    user = done.outcome.extension["user"] if done.outcome else {}
    assert (user["department"], user["role"], user["engage_voice"]["access"]) == (
        "Field sales", "Manager", "agent",
    )  # fmt: skip


def test_an_answer_cleared_in_the_walkthrough_stays_cleared(store: AccountStore, run: Any) -> None:
    profile_add(run, "Sales", "--department", "Sales", "--setup", "later")
    req, _ = walk(store, {"profile": "Sales", "extension": "104", **NAMES, "department": ""})
    done = assigning.run(store, req, dry_run=False)
    assert done.outcome is not None and "department" not in done.outcome.extension["user"]


def test_no_profile_chosen_prefills_nothing(store: AccountStore, run: Any) -> None:
    profile_add(run, "Sales", "--department", "Sales", "--default-for-site", "Main Site")
    req, fake = walk(store, {"profile": "", "extension": "104", "setup": "later", **NAMES})
    assert fake.offered["department"] == ""
    assert req.profile == "" and req.department == ""


def test_flags_are_not_asked_and_win_over_the_profile(store: AccountStore, run: Any) -> None:
    profile_add(run, "Sales", "--role", "Manager", "--department", "Sales", "--setup", "later")
    given = Request(extension="101", role="Standard User", profile="sales")
    req, fake = walk(store, {**NAMES}, given)
    assert "profile" not in fake.asked and "role" not in fake.asked
    assert fake.offered["department"] == "Sales"
    assert (req.role, req.department, req.profile) == ("Standard User", "Sales", "Sales")
    assert any("From profile Sales" in line for line in fake.said)


def test_another_profile_chosen_on_going_back_replaces_the_first_ones_values(
    store: AccountStore, run: Any
) -> None:
    profile_add(run, "Sales", "--department", "Sales", "--job-title", "Rep", "--setup", "later")
    profile_add(run, "Support", "--department", "Support")
    req, fake = walk(
        store, {"profile": ["Sales", "Support"], "extension": [BACK, "104"], "setup": "later",
                **NAMES},
    )  # fmt: skip
    assert fake.asked[:4] == ["profile", "extension", "profile", "extension"]
    assert (req.profile, req.department, req.job_title) == ("Support", "Support", "")


def test_a_sites_default_profile_is_the_default_choice(store: AccountStore, run: Any) -> None:
    profile_add(run, "Boston staff", "--department", "Boston office", "--setup", "later",
                "--default-for-site", "Boston")  # fmt: skip
    profile_add(run, "Sales", "--department", "Sales")
    # NUMBER given: its site's default is the choice the cursor starts on
    req, fake = walk(store, {**NAMES}, Request(extension="2201"))
    assert fake.offered["profile"] == "Boston staff"
    assert (req.profile, req.department) == ("Boston staff", "Boston office")
    # no NUMBER: "the default profile of the extension's site", resolved once it is chosen
    req, fake = walk(store, {"extension": "2202", **NAMES})
    assert fake.choices["profile"][0] == "The default profile of the extension's site"
    assert fake.offered["profile"] == walkthrough.SITE_DEFAULT
    assert fake.offered["department"] == "Boston office"
    assert (req.profile, req.department) == ("Boston staff", "Boston office")
    req, fake = walk(store, {"extension": "101", "setup": "later", **NAMES})
    assert (req.profile, req.department) == ("", "")


def test_a_broken_profile_is_said_and_asked_again(store: AccountStore, run: Any) -> None:
    profile_add(run, "Field", "--role", "Manager")
    profile_add(run, "Sales", "--department", "Sales", "--setup", "later")
    edit(store.path, _remove_role("Manager"))
    req, fake = walk(store, {"profile": ["Field", "Sales"], "extension": "104", **NAMES})
    assert any("profile 'Field': role 'Manager' not found" in p for p in fake.problems)
    assert (req.profile, req.department) == ("Sales", "Sales")


def test_without_profiles_nothing_changes(store: AccountStore) -> None:
    _, fake = walk(store, {"extension": "104", "setup": "later", **NAMES})
    assert "profile" not in fake.asked
    assert next(line for line in fake.said if line.startswith("Step ")) == "Step 1 of 7: Extension"
