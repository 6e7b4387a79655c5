"""Issue 14, "First contact": the walkthrough must not mislead.

Most tests drive the real `extadmin assign` in a pseudo-terminal (tests/pty_helpers.py), wait
for every question before answering it, look at what the terminal shows (`Terminal.display`,
a small VT100 model: where a message landed, whether it was cut) and reload the account file.
The `account` fixture (conftest) gives Main Site with 101-105 and Boston (code 2) with
2201-2203. The last part drives the prompts from a pipe or plain streams (fast)."""

from __future__ import annotations

import io
import textwrap
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from extadmin.cli import assign as assign_cli
from extadmin.cli import prompts, walkthrough
from extadmin.cli.prompts import Plain, Prompter
from extadmin.domain import rules
from extadmin.domain.fields import FORM
from extadmin.errors import InvalidValue
from extadmin.services import assign as service
from extadmin.services.assign import Request
from extadmin.services.directory import build_index
from extadmin.storage.store import AccountStore
from tests.pty_helpers import (
    BACKSPACE,
    CTRL_C,
    DOWN,
    ENTER,
    ESCAPE,
    UP,
    Terminal,
    enter_through,
    running,
)

pytestmark = pytest.mark.timeout(120)

XTERM = {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
DUMB = {"TERM": "dumb"}
ADA = ("--first-name", "Ada", "--last-name", "Lovelace")


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


@pytest.fixture
def term(terminals: list[Terminal]) -> Any:
    """term(*assign_args, rows=40, columns=120, **env): `extadmin assign` at a terminal."""

    def open_terminal(*args: str, rows: int = 40, columns: int = 120, **env: str) -> Terminal:
        t = Terminal("assign", *args, env={**XTERM, **env}, timeout=30, rows=rows, columns=columns)
        terminals.append(t)
        return t

    return open_terminal


def extension(path: Path, number: str) -> dict[str, Any]:
    doc = tomllib.loads(path.read_text())
    return next(e for e in doc["extensions"] if e.get("number") == number)


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}


def assign_102_to_grace(run: Any) -> None:
    result = run(
        "assign", "102", "--setup", "later", "--first-name", "Grace", "--last-name", "Hopper",
        "--email", "grace@example.com",
    )  # fmt: skip
    assert result.code == 0, result.err


def wrapped(message: str, columns: int) -> list[str]:
    """A message as the prompts wrap it: at words, indented, within the width."""
    return textwrap.wrap(
        message, columns - 1, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )


def highlighted(t: Terminal) -> str:
    """The choice under the cursor of the list on screen."""
    rows = [line for line in t.display.lines if line.startswith("» ")]
    assert len(rows) == 1, t.display.text
    return rows[0][2:]


# the review's "Which field?" list without credentials
WHICH = ["extension", "setup", *FORM]


# --- the extension picker: no match selects nothing, and says why --------------------------------


def test_extension_picker_no_match_says_why_and_selects_nothing(
    account: Path, run: Any, term: Any
) -> None:
    assign_102_to_grace(run)
    t = term("--setup", "later", *ADA, "--email", "ada@example.com", "--yes", columns=60)
    t.question("Extension to assign")
    t.send("1O1")  # a typo: the letter O
    t.expect("no unassigned extension matches 1O1")
    t.send(ENTER)  # selects nothing: the same question, the same message
    t.send(BACKSPACE * 3 + "102")  # exists, but is assigned
    shown = t.expect("Grace Hopper (not-activated)")
    assert "assigned extension" not in shown and "Step 2" not in shown
    t.send(ENTER)
    # at 60 columns the message wraps at words, right below the question, whole
    lines = t.display.lines
    row = lines.index("? Extension to assign (type to filter) 102")
    message = (
        "no unassigned extension matches 102: extension 102 is assigned to Grace Hopper "
        "(not-activated)"
    )
    expected = wrapped(message, 60)
    assert lines[row + 1 : row + 1 + len(expected)] == expected
    assert "»" not in t.display.text  # no list: nothing to pick
    t.send(BACKSPACE * 3 + "103" + ENTER)
    enter_through(t, "short_extension")
    t.expect("assigned extension 103 to Ada Lovelace (not-activated)")
    assert t.finish() == 0
    assert extension(account, "103")["user"]["email"] == "ada@example.com"
    assert extension(account, "101")["status"] == "unassigned"  # the first was not taken


# --- the role picker: starts on the default, no wrap-around, an admin role confirmed -------------


def test_role_picker_starts_on_the_default_does_not_wrap_and_confirms_an_admin_role(
    account: Path, term: Any
) -> None:
    t = term("101", "--setup", "later", *ADA)
    t.answer("Email address", "ada@example.com" + ENTER)
    enter_through(t, "short_extension", "role")
    t.question("Assigned role")
    t.expect("(default)")
    assert highlighted(t) == "Standard User (International)  (default)"
    t.send(DOWN)  # the last of the list: the cursor stays (it used to wrap to Super Admin)
    t.send(ENTER)
    t.expect("? Assigned role Standard User (International)")
    enter_through(t, FORM[FORM.index("role") + 1])
    t.answer("Save this user?", DOWN + ENTER)  # Edit a field
    t.answer("Which field?", DOWN * WHICH.index("role") + ENTER)  # Assigned role
    t.question("Assigned role")
    t.send(UP * 6)  # the top: Super Admin
    t.send(UP + ENTER)  # one more does not wrap either
    t.question("Give Ada Lovelace the Super Admin role (full administrative access)?")
    t.send(ENTER)  # the default is no: the role is asked again, on the default
    t.question("Assigned role")
    t.expect("(default)")
    assert highlighted(t) == "Standard User (International)  (default)"
    t.send(UP * 6 + ENTER)
    t.answer("Give Ada Lovelace the Super Admin role", "y")
    review = t.question("Save this user?")
    assert "  Assigned role              Super Admin" in review
    t.send(ENTER)
    assert t.finish() == 0
    assert extension(account, "101")["user"]["role"] == "Super Admin"


def test_an_unknown_role_flag_is_reported_at_once_and_asked_on_the_default(
    account: Path, term: Any
) -> None:
    t = term("101", "--setup", "later", *ADA, "--email", "ada@example.com", "--role", "Boss")
    before = t.question("Assigned role")
    assert "--role: role 'Boss' not found (see `extadmin role list`)" in before
    t.expect("(default)")
    assert highlighted(t) == "Standard User (International)  (default)"
    t.send(ENTER)
    t.answer("Save this user?", ENTER)
    assert t.finish() == 0
    assert extension(account, "101")["user"]["role"] == "Standard User (International)"


# --- an unknown --site: reported at once, the site asked, no loop --------------------------------


def test_an_unknown_site_is_reported_at_once_and_the_site_asked(account: Path, term: Any) -> None:
    t = term("101", "--setup", "later", *ADA, "--site", "Bostn")
    before = t.question("Site")
    assert "--site: site 'Bostn' not found (sites: Main Site, Boston)" in before
    assert "Step 1" not in before  # before any other question
    t.expect("(default)")
    assert highlighted(t) == "Main Site  (default)"  # the extension's own site
    t.send(DOWN + ENTER)  # Boston
    t.expect("Extension 101 becomes 2101 on site Boston")
    t.answer("Email address", "ada@example.com" + ENTER)
    enter_through(t, "short_extension", "site")  # the site was asked: not again
    enter_through(t, FORM[FORM.index("site") + 1])
    review = t.question("Save this user?")
    assert (
        "  Extension                  2101 (renumbered from 101: moved to site Boston, code 2)"
        in (review)
    )
    assert "  Short extension number     101" in review
    t.expect("Save and renumber extension 101 to 2101")  # saving asks to confirm it
    t.send(ENTER)
    assert t.finish() == 0
    assert t.screen.count("not found") == 1  # said once, not in a loop
    assert "short extension:" not in t.screen  # no rule broken at the short extension
    moved = extension(account, "2101")
    assert (moved["site"], moved["status"]) == ("Boston", "not-activated")


# --- messages next to the prompt, wrapped, never cut ---------------------------------------------


@pytest.mark.parametrize("columns", [60, 100])
def test_a_rule_message_is_next_to_the_prompt_and_whole(
    account: Path, term: Any, columns: int
) -> None:
    with pytest.raises(InvalidValue) as broken:
        rules.email("ada@")
    message = broken.value.message
    assert len(message) > 60  # long enough to be cut at 60 columns
    t = term("101", "--setup", "later", *ADA, rows=30, columns=columns)
    t.answer("Email address", "ada@" + ENTER)
    t.expect(message.split()[-1])
    t.question("Email address")  # asked again
    lines = t.display.lines
    row = lines.index("? Email address ada@")
    expected = wrapped(message, columns)
    assert len(expected) == (2 if columns == 60 else 1)
    assert lines[row + 1 : row + 1 + len(expected)] == expected  # right below, whole
    assert lines[row + 1 + len(expected)] == "? Email address"  # then asked again, empty
    assert all(len(line) <= columns for line in lines)
    assert row + len(expected) < 29  # not on the last row, where a toolbar would be
    t.send(CTRL_C)
    assert t.finish() == 130


def test_password_and_pin_rules_are_shown_before_typing(account: Path, term: Any) -> None:
    t = term("101", "--setup", "credentials", rows=30, columns=60)
    before = " ".join(t.question("Password").split())
    assert f"Password: {' '.join(walkthrough.PASSWORD_RULES.split())}" in before
    t.send("Kx7!mQ2#vZ" + ENTER)
    t.answer("Re-enter password", "Kx7!mQ2#vZ" + ENTER)
    t.answer("Temporary password", ENTER)
    before = " ".join(t.question("PIN (6 to 10 digits)").split())
    assert f"PIN: {' '.join(walkthrough.PIN_RULES.split())}" in before
    assert all(len(line) <= 60 for line in t.display.lines)
    t.send(CTRL_C)
    assert t.finish() == 130


# --- back navigation -----------------------------------------------------------------------------


def test_escape_goes_back_a_question_then_a_step_with_the_answers_kept(
    account: Path, term: Any
) -> None:
    t = term("101")
    t.answer("Setup option", ENTER)  # Send invite
    t.answer("First name", "Ada" + ENTER)
    t.answer("Last name", "Lovelace" + ENTER)
    t.answer("Email address", "ada@exa")  # half typed
    t.send(ESCAPE)
    t.question("Last name")
    t.expect("Lovelace")  # kept, ready to edit
    t.send(ESCAPE)
    t.question("First name")
    t.expect("Ada")
    t.send(ESCAPE)
    assert "Step 2 of 7: Setup option" in t.question("Setup option")  # the previous step
    t.expect("Send invite")
    assert highlighted(t) == "Send invite"  # the answer given, not the first
    t.send(DOWN * 2 + ENTER)  # Activate later now
    assert "Step 3 of 7: Name" in t.question("First name")
    t.send(ENTER)  # Ada, kept
    t.answer("Last name", ENTER)  # Lovelace, kept
    t.answer("Email address", "ada@example.com" + ENTER)
    enter_through(t, "short_extension")
    review = t.question("Save this user?")
    for label, value in (
        ("Setup option", "Activate later"),
        ("First name", "Ada"),
        ("Last name", "Lovelace"),
        ("After saving", "no welcome email will be sent, and no notifications"),
    ):
        assert f"  {label:<26} {value}" in review
    t.send(ENTER)
    # after saving: a short result and the next step that applies
    t.expect("assigned extension 101 to Ada Lovelace (not-activated)")
    t.expect("next: `extadmin activate 101 --invite` sends the invitation")
    t.expect("Engage Voice access, if needed: `extadmin engage-voice import 101")
    assert t.finish() == 0
    assert "no access" not in t.screen  # the review showed it all: no table again
    user = extension(account, "101")["user"]
    assert (user["setup"], user["first_name"], user["last_name"]) == ("later", "Ada", "Lovelace")


def test_ctrl_c_after_going_back_still_cancels_at_once(account: Path, term: Any) -> None:
    before = files(account)
    t = term("101", "--setup", "invite")
    t.answer("First name", "Ada" + ENTER)
    t.question("Last name")
    t.send(ESCAPE)
    t.answer("First name", CTRL_C)
    assert t.finish() == 130
    assert "cancelled: nothing was written" in t.screen
    assert files(account) == before


# --- TERM=dumb: plain lines, no escape sequence --------------------------------------------------


def test_a_dumb_terminal_gets_plain_lines_and_no_escape_sequence(
    account: Path, run: Any, term: Any
) -> None:
    assign_102_to_grace(run)
    t = term(**DUMB)
    t.answer("Extension to assign", "1O1" + ENTER)
    t.expect("no unassigned extension matches 1O1")
    t.answer("Extension to assign", "102" + ENTER)
    t.expect("extension 102 is assigned to Grace Hopper")
    t.answer("Extension to assign", "104" + ENTER)
    assert "   1) Send invite: sends the user a welcome email" in t.question("Setup option (1-3)")
    t.send("4" + ENTER)
    t.expect("Choose a number from 1 to 3.")
    t.answer("Setup option", "1" + ENTER)
    t.answer("First name", "Ada" + ENTER)
    t.answer("Last name", "<" + ENTER)  # back
    t.answer("First name [Ada]", ENTER)  # kept
    t.answer("Last name", "Lovelace" + ENTER)
    t.answer("Email address", "ada@" + ENTER)
    t.expect("There must be something after the @-sign.")
    t.answer("Email address", "ada@example.com" + ENTER)
    enter_through(t, "short_extension", "language")
    t.answer("User language", "french" + ENTER)
    shown = t.question("User language")  # two match: listed, asked again
    assert "French (France) (fr-FR)" in shown and "French (Canada) (fr-CA)" in shown
    t.send("fr-CA" + ENTER)
    t.answer("Greeting language (type to filter) [fr-CA]", ENTER)
    t.answer("Regional format (type to filter) [fr-CA]", ENTER)
    enter_through(t, FORM[FORM.index("regional_format") + 1])
    t.answer("Save this user?", ENTER)
    t.expect("assigned extension 104 to Ada Lovelace (not-activated)")
    assert t.finish() == 0
    assert "\x1b" not in t.raw  # no cursor movement, no colour, no attribute
    user = extension(account, "104")["user"]
    assert (user["language"], user["greeting_language"], user["regional_format"]) == (
        "fr-CA",
        "fr-CA",
        "fr-CA",
    )


def test_a_dumb_terminal_hides_secrets_and_ctrl_c_cancels(account: Path, term: Any) -> None:
    before = files(account)
    t = term("101", "--setup", "credentials", **DUMB)
    t.answer("Password", "Kx7!mQ2#vZ" + ENTER)
    t.answer("Re-enter password", "Kx7!mQ2#vZ" + ENTER)
    t.answer("Temporary password (changed at first login)? (Y/n)", CTRL_C)
    assert t.finish() == 130
    assert "Kx7!mQ2#vZ" not in t.raw
    assert "\x1b" not in t.raw
    assert files(account) == before


# --- languages: follow-through, filtering, the welcome email's language --------------------------


def test_the_user_language_is_the_default_of_the_greeting_and_the_format(
    account: Path, term: Any
) -> None:
    t = term("101", "--setup", "invite", "--first-name", "Kenji", "--last-name", "Sato")
    t.answer("Email address", "kenji@example.com" + ENTER)
    enter_through(t, "short_extension", "language")
    t.question("User language")
    t.send("klingon")
    t.expect("no language matches klingon")
    t.send(BACKSPACE * 7 + "japan")
    t.expect("» Japanese (Japan) (ja-JP)")
    t.send(ENTER)
    for prompt in ("Greeting language", "Regional format"):
        t.question(prompt)
        t.expect("(default)")
        assert highlighted(t) == "Japanese (Japan) (ja-JP)  (default)"
        t.send(ENTER)
    enter_through(t, FORM[FORM.index("regional_format") + 1])
    review = t.question("Save this user?")
    for label in ("User language", "Greeting language", "Regional format"):
        assert f"  {label:<26} Japanese (Japan) (ja-JP)" in review
    assert "  Welcome email language     English: there is no template in Japanese (Japan)" in (
        review
    )
    t.send(ENTER)
    t.expect("no mail server is configured")  # what to run: configure mail, then send
    t.expect("assigned extension 101 to Kenji Sato (not-activated)")
    t.expect("Engage Voice access, if needed")
    assert t.finish() == 0
    user = extension(account, "101")["user"]
    assert {user[k] for k in ("language", "greeting_language", "regional_format")} == {"ja-JP"}


# --- the prompts and the walkthrough from a pipe (fast) ------------------------------------------

RECORDING = [("Off", "off"), ("Inbound calls", "inbound"), ("Outbound calls", "outbound")]


def ask(question: str, typed: str, *args: Any, **kwargs: Any) -> Any:
    """The prompter's `question` (its method's name), the keys typed ahead."""
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        prompter = Prompter(input=pipe, output=DummyOutput())
        return getattr(prompter, question)(*args, **kwargs)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(UP * 5 + ENTER, "off"), (DOWN * 5 + ENTER, "outbound"), (DOWN * 5 + UP + ENTER, "inbound")],
)
def test_select_stops_at_both_ends(typed: str, expected: str) -> None:
    assert ask("select", typed, "Recording", RECORDING, "inbound") == expected


def test_select_escape_goes_back_only_when_allowed() -> None:
    with pytest.raises(prompts.Back):
        ask("select", ESCAPE, "Recording", RECORDING, back=True)
    with pytest.raises(prompts.Back):
        ask("text", "Ad" + ESCAPE, "First name", back=True)
    with pytest.raises(prompts.Back):
        ask("confirm", ESCAPE, "Temporary password?", back=True)
    assert ask("select", ESCAPE + ENTER, "Recording", RECORDING) == "off"  # not here


def test_search_orders_values_that_start_with_the_text_first() -> None:
    items = [prompts.Item(t, v) for t, v in [("2101 Boston", "2101"), ("101 Main", "101")]]
    keys = [f"{i.value}\t{i.title}".casefold() for i in items]
    assert prompts.filtered(items, keys, "101") == [1, 0]
    assert prompts.filtered(items, keys, "boston") == [0]
    assert prompts.filtered(items, keys, "1o1") == []


def test_a_list_of_50000_extensions_stays_responsive() -> None:
    choices = [(f"{n:<8} Main Site", str(n)) for n in range(10000, 60000)]
    started = time.monotonic()
    typed = "5999" + "9" + ENTER  # five keystrokes, each filtering the whole list
    assert ask("select", typed, "Extension", choices, search=True) == "59999"
    assert time.monotonic() - started < 10


def test_plain_prompts_write_no_escape_sequence() -> None:
    out = io.StringIO()
    lines = "\n".join(["", "9", "2", "<", "x", "y", "zz", "103", "Ada", ""]) + "\n"
    p = Prompter(plain=Plain(io.StringIO(lines), out))
    assert p.select("Recording", RECORDING, "inbound", marked="off") == "inbound"
    assert p.select("Recording", RECORDING) == "inbound"  # "9" refused, then 2
    with pytest.raises(prompts.Back):
        p.confirm("Temporary password?", back=True)
    assert p.confirm("Temporary password?") is True  # "x" refused, then y
    extensions = [(f"{n}  Main Site", n) for n in ("101", "103")]
    assert p.select("Extension", extensions, search=True) == "103"  # zz: none
    assert p.text("First name") == "Ada"
    assert p.text("Job title", default="Analyst") == "Analyst"  # Enter keeps it
    shown = out.getvalue()
    assert "\x1b" not in shown
    assert "   1) Off (default)\n   2) Inbound calls\n" in shown
    assert "? Recording (1-3) [2]: " in shown
    assert "  Choose a number from 1 to 3.\n" in shown
    assert "  Answer y or n.\n" in shown
    assert "  nothing matches 'zz'\n" in shown
    assert "? Job title [Analyst]: " in shown


@pytest.fixture
def store(account: Path) -> AccountStore:
    return AccountStore(account)


def test_going_back_over_secrets_keeps_them_with_enter(store: AccountStore) -> None:
    given = Request(extension="101", setup="credentials")
    with running(lambda p: walkthrough.run(p, store, given, confirm=True)) as (
        pipe,
        screen,
        answer,
    ):
        screen.wait_for("? Password")
        pipe.send_text("Kx7!mQ2#vZ" + ENTER)
        screen.wait_for("? Re-enter password")
        pipe.send_text("Kx7!mQ2#vZ" + ENTER)
        screen.wait_for("? Temporary password")
        pipe.send_text(ESCAPE)  # back to the password
        screen.wait_for("? Password (Enter keeps the one given)")
        pipe.send_text(ENTER)  # kept: no second entry either
        screen.wait_for("? Temporary password", count=2)
        pipe.send_text(
            "n" + "583920" + ENTER + "583920" + ENTER + ENTER + "Wisteria Lane" + ENTER
            + "Ada" + ENTER + "Lovelace" + ENTER + "ada@example.com" + ENTER
            + ENTER * len(FORM[FORM.index("short_extension") :])  # the rest of the form
            + ENTER
        )  # fmt: skip
        req = answer.result(timeout=20)
    assert req.password == "Kx7!mQ2#vZ"
    assert req.temporary_password is False


def test_escape_at_the_first_question_stays_there(store: AccountStore) -> None:
    given = Request(setup="later", first_name="A", last_name="B", email="b@example.com")
    with running(lambda p: walkthrough.run(p, store, given, confirm=False)) as (
        pipe,
        screen,
        answer,
    ):
        screen.wait_for("? Extension to assign")
        pipe.send_text(ESCAPE)
        screen.wait_for("This is the first question.")
        screen.wait_for("? Extension to assign", count=2)
        rest = FORM[FORM.index("short_extension") :]  # then the details, the settings
        pipe.send_text("105" + ENTER + ENTER * len(rest))
        assert answer.result(timeout=10).extension == "105"


@pytest.mark.parametrize(
    ("role", "asked"),
    [("Super Admin", True), ("Phone System Admin", True), ("Billing Admin", True),
     ("User Admin", True), ("Manager", False), ("Standard User", False),
     ("Standard User (International)", False)],
)  # fmt: skip
def test_administrative_roles(role: str, asked: bool) -> None:
    assert walkthrough.administrative(role) is asked


def _plan(store: AccountStore, **changes: Any) -> tuple[Any, Any]:
    account = store.read()
    for key, value in changes.items():
        account.doc[key] = value
    req = Request(
        extension="101", setup="invite", first_name="Ada", last_name="L", email="ada@example.com"
    )
    return service.check(account, req, build_index(account, store.path)), account


def test_the_review_says_what_happens_to_the_welcome_email(store: AccountStore) -> None:
    plan, account = _plan(store)
    lines = dict(walkthrough.summary_lines(plan, account))
    assert lines["After saving"].startswith("a welcome email to ada@example.com will be queued")
    mail = {"host": "smtp.example.com", "port": 587, "sender": "a@example.com", "tls": "starttls"}
    plan, account = _plan(store, mail=mail)
    lines = dict(walkthrough.summary_lines(plan, account))
    assert lines["After saving"] == (
        "a welcome email will be sent to ada@example.com, with an activation link (7 days)"
    )
    assert "Welcome email language" not in lines  # en-US has a template


def test_next_steps_after_saving(store: AccountStore) -> None:
    account = store.read()
    later = assign_cli.next_steps(account, "101", "later", None)
    assert later[0] == (
        "next: `extadmin activate 101 --invite` sends the invitation "
        "(or `extadmin activate 101` assigns credentials)"
    )
    sent = {"to": "a@example.com", "delivered": True, "error": None, "file": "x"}
    assert assign_cli.next_steps(account, "101", "invite", sent) == [
        "welcome email sent to a@example.com: the user activates with its link",
        "Engage Voice access, if needed: `extadmin engage-voice import 101 --access "
        "agent|admin|both`",
    ]
    queued = {**sent, "delivered": False}  # said by the delivery itself: not twice
    assert len(assign_cli.next_steps(account, "101", "invite", queued)) == 1
