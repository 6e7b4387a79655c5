"""Issue 4, end to end: the real `extadmin assign` walkthrough in a pseudo-terminal.

Each test types what an administrator would type, waiting for every question before answering
it, then reloads the account file. The `account` fixture (conftest) gives Main Site with
101-105 (103 with a desk phone) and Boston (code 2) with 2201-2203."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extadmin.domain.fields import FORM, LABELS
from tests.pty_helpers import BACKSPACE, CTRL_C, DOWN, ENTER, Terminal, enter_through

pytestmark = pytest.mark.timeout(120)

PASSWORD = "Kx7!mQ2#vZ"
PIN = "583920"
ANSWER = "Wisteria Lane"


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """Terminals opened by a test; any still running at the end is killed."""
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


# a terminal that moves its cursor (conftest's TERM=dumb asks the plain line-by-line prompts);
# prompt_toolkit would ask it where the cursor is, and pexpect never answers
XTERM = {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
DUMB = {"TERM": "dumb"}


@pytest.fixture
def term(terminals: list[Terminal]) -> Any:
    def open_terminal(*args: str, **env: str) -> Terminal:
        t = Terminal("assign", *args, env={**XTERM, **env}, timeout=30)  # 2 busy cores
        terminals.append(t)
        return t

    return open_terminal


def extension(path: Path, number: str) -> dict[str, Any]:
    doc = tomllib.loads(path.read_text())
    return next(e for e in doc["extensions"] if e["number"] == number)


def outbox_messages(path: Path) -> list[Path]:
    outbox = path.with_name(f"{path.stem}.outbox")
    return sorted(outbox.rglob("*.eml")) if outbox.exists() else []


def reviewed(label: str, value: str) -> str:
    """A line of the review, as the walkthrough lays it out."""
    return f"  {label:<26} {value}"


def name_and_email(t: Terminal, first: str, last: str, email: str) -> None:
    t.answer("First name", first + ENTER)
    t.answer("Last name", last + ENTER)
    t.answer("Email address", email + ENTER)


def skip_details_and_keep_settings(t: Terminal) -> None:
    """Step "Contact details": Enter everywhere; step "Settings": every default (each field of
    the form after the email, from the field declarations, its label waited for)."""
    enter_through(t, "short_extension")


# --- (a) the whole walkthrough with "Activate by assigning credentials" ------------------------


# the second choice of a list: the arrow at a terminal, its number at a dumb one
SECOND = {"xterm": DOWN + ENTER, "dumb": "2" + ENTER}


@pytest.mark.parametrize("kind", ["dumb", "xterm"])
def test_credentials_walkthrough_saves_an_enabled_user_and_never_shows_a_secret(
    account: Path, term: Any, kind: str
) -> None:
    t = term(**(DUMB if kind == "dumb" else XTERM))
    assert "Step 1 of 7: Extension" in t.question("Extension to assign")
    t.send("104" + ENTER)  # type to search (or the number itself), Enter picks it
    t.answer("Setup option", SECOND[kind])  # "Send invite" is preselected
    assert "Step 3 of 8: Credentials" in t.question("Password")
    t.send(PASSWORD + ENTER)
    t.answer("Re-enter password", PASSWORD + ENTER)
    t.answer("Temporary password", ENTER)  # default: yes
    t.answer("PIN (6 to 10 digits)", PIN + ENTER)
    t.answer("Re-enter PIN", PIN + ENTER)
    t.answer("Security question", SECOND[kind])
    t.answer("Security answer", ANSWER + ENTER)
    assert "Step 4 of 8: Name" in t.question("First name")
    t.send("Ada" + ENTER)
    t.answer("Last name", "Lovelace" + ENTER)
    assert "Step 5 of 8: Email" in t.question("Email address")
    t.send("ada@example.com" + ENTER)
    skip_details_and_keep_settings(t)
    review = t.question("Save this user?")
    assert "Step 8 of 8: Review" in review
    for label, value in (
        ("Extension", "104"),
        ("Setup option", "Activate by assigning credentials"),
        ("Status after saving", "enabled"),
        ("Password", "set (temporary)"),
        ("PIN", "set"),
        ("Security question", "What is the name of the street you grew up on?"),
        ("Security answer", "set"),
        ("First name", "Ada"),
        ("Email address", "ada@example.com"),
        ("Assigned role", "Standard User (International)"),
    ):
        assert reviewed(label, value) in review
    t.send(ENTER)  # Save is preselected
    t.expect("assigned extension 104 to Ada Lovelace (enabled)")
    assert t.finish() == 0

    ext = extension(account, "104")
    assert ext["status"] == "enabled"
    user = ext["user"]
    assert (user["first_name"], user["last_name"], user["email"]) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert user["setup"] == "credentials"
    credentials = user["credentials"]
    assert credentials["temporary_password"] is True
    assert credentials["security_question"] == "What is the name of the street you grew up on?"
    for key in ("password_hash", "pin_hash", "security_answer_hash"):
        assert credentials[key].startswith(("scrypt$", "$argon2id$", "argon2id$")), credentials
    assert outbox_messages(account) == []  # no welcome email with credentials

    # the secrets were shown as *** and are nowhere: not on screen, not in the files
    stored = account.read_text() + account.with_name("acme.audit.jsonl").read_text()
    for secret in (PASSWORD, PIN, ANSWER, ANSWER.casefold()):
        assert secret not in t.raw
        assert secret not in t.screen
        assert secret not in stored
    if kind == "xterm":
        assert "*" * len(PASSWORD) in t.screen
    else:  # getpass: nothing echoed, and no escape sequence anywhere
        assert "\x1b" not in t.raw


# --- (b) the whole walkthrough with "Send invite" ----------------------------------------------


def test_invite_walkthrough_queues_one_welcome_email(account: Path, term: Any) -> None:
    t = term()
    t.answer("Extension to assign", DOWN + ENTER)  # 102
    t.expect("Step 2 of 7: Setup option")
    t.answer("Setup option", ENTER)  # Send invite
    assert "Step 3 of 7: Name" in t.question("First name")
    t.send("Grace" + ENTER)
    t.answer("Last name", "Hopper" + ENTER)
    t.answer("Email address", "Grace.Hopper@Example.com" + ENTER)
    typed = {  # the rest of the form, by field; Enter at any other (kept, or skipped)
        "contact_phone": "(650) 253-0000" + ENTER,
        "job_title": "Rear Admiral" + ENTER,
        "department": "Navy" + ENTER,
        "recording": DOWN * 3 + ENTER,  # both directions
    }
    for name in FORM[FORM.index("short_extension") :]:
        before = t.answer(LABELS[name], typed.get(name, ENTER))
        if name == "mobile_phone":
            assert "+16502530000" in before  # the normalised number is shown
    review = t.answer("Save this user?", ENTER)
    assert "Step 7 of 7: Review" in review
    assert "Credentials" not in review
    assert (  # no mail server in this account: it says so
        "After saving a welcome email to Grace.Hopper@example.com will be queued, not sent: "
        "no mail server is configured (`extadmin mail configure`)"
    ) in " ".join(review.split())
    t.expect("assigned extension 102 to Grace Hopper (not-activated)")
    assert t.finish() == 0

    ext = extension(account, "102")
    assert ext["status"] == "not-activated"
    user = ext["user"]
    assert user["setup"] == "invite"
    assert user["email"] == "Grace.Hopper@example.com"
    assert user["contact_phone"] == "+16502530000"
    assert (user["job_title"], user["department"]) == ("Rear Admiral", "Navy")
    assert user["recording"] == "both"
    assert "credentials" not in user
    assert "token_hash" in user["activation"]
    messages = outbox_messages(account)
    assert len(messages) == 1
    assert "Grace.Hopper@example.com" in messages[0].read_text()


# --- (c) an answer that breaks its rule is asked again ------------------------------------------


def test_a_wrong_pin_is_explained_and_asked_again(account: Path, term: Any) -> None:
    t = term("101", "--setup", "credentials")
    t.answer("Password", PASSWORD + ENTER)
    t.answer("Re-enter password", PASSWORD + ENTER)
    t.answer("Temporary password", "n")
    t.answer("PIN (6 to 10 digits)", "1234" + ENTER)
    # the message right below the answer, then the question again with the entry to correct
    t.expect("PIN: must be 6 to 10 digits")
    t.answer("PIN (6 to 10 digits)", BACKSPACE * 4 + "123456" + ENTER)
    t.expect("4 sequential digits")
    t.answer("PIN (6 to 10 digits)", BACKSPACE * 6 + PIN + ENTER)
    t.answer("Re-enter PIN", "583921" + ENTER)  # a typo: both entries again
    t.expect("The two entries do not match")
    t.answer("PIN (6 to 10 digits)", PIN + ENTER)
    t.answer("Re-enter PIN", PIN + ENTER)
    t.answer("Security question", ENTER)
    t.answer("Security answer", "Rex" + ENTER)
    t.expect("security answer: must be at least 5 characters")
    t.answer("Security answer", BACKSPACE * 3 + ANSWER + ENTER)
    name_and_email(t, "Ada", "Lovelace", "ada@example.com")
    skip_details_and_keep_settings(t)
    t.answer("Save this user?", ENTER)
    assert t.finish() == 0

    user = extension(account, "101")["user"]
    assert user["credentials"]["temporary_password"] is False
    from extadmin.domain import hashing

    assert hashing.verify_secret(PIN, user["credentials"]["pin_hash"])
    for secret in (PASSWORD, PIN, "123456", "583921", ANSWER):
        assert secret not in t.screen


def test_a_password_with_the_users_name_is_asked_again_right_after_the_name(
    account: Path, term: Any
) -> None:
    """The name is asked after the password: the rule is checked again as soon as the name is
    known, and the password asked again at the name's step, not after the settings."""
    t = term("101", "--setup", "credentials")
    t.answer("Password", "Ada!x9Kq7" + ENTER)
    t.answer("Re-enter password", "Ada!x9Kq7" + ENTER)
    t.answer("Temporary password", ENTER)
    t.answer("PIN (6 to 10 digits)", PIN + ENTER)
    t.answer("Re-enter PIN", PIN + ENTER)
    t.answer("Security question", ENTER)
    t.answer("Security answer", ANSWER + ENTER)
    t.answer("First name", "Ada" + ENTER)
    assert "Step 5" not in t.expect("password: must not contain")
    t.answer("Password", PASSWORD + ENTER)
    t.answer("Re-enter password", PASSWORD + ENTER)
    t.answer("Last name", "Lovelace" + ENTER)
    t.answer("Email address", "ada@example.com" + ENTER)
    skip_details_and_keep_settings(t)
    t.answer("Save this user?", ENTER)
    assert t.finish() == 0
    assert extension(account, "101")["status"] == "enabled"


# --- (d) Ctrl-C or "Cancel" writes nothing ------------------------------------------------------


def _files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}


@pytest.mark.parametrize("where", ["Email address", "Password", "Automatic call recording"])
def test_ctrl_c_at_any_step_exits_130_and_writes_nothing(
    account: Path, term: Any, where: str
) -> None:
    before = _files(account)
    t = term()
    t.answer("Extension to assign", ENTER)
    t.answer("Setup option", DOWN + ENTER)  # credentials, so that every step comes
    prompts = {
        "Password": PASSWORD + ENTER,
        "Re-enter password": PASSWORD + ENTER,
        "Temporary password": ENTER,
        "PIN (6 to 10 digits)": PIN + ENTER,
        "Re-enter PIN": PIN + ENTER,
        "Security question": ENTER,
        "Security answer": ANSWER + ENTER,
        "First name": "Ada" + ENTER,
        "Last name": "Lovelace" + ENTER,
        "Email address": "ada@example.com" + ENTER,
        # the rest of the form, from the field declarations: Enter keeps or skips each
        **{LABELS[name]: ENTER for name in FORM[FORM.index("short_extension") :]},
    }
    for prompt, keys in prompts.items():
        if prompt == where:
            t.answer(prompt, "ada@exa" if prompt == "Email address" else "")
            t.send(CTRL_C)
            break
        t.answer(prompt, keys)
    assert t.finish() == 130
    assert _files(account) == before  # the account file byte for byte, no audit, no outbox
    assert outbox_messages(account) == []


def test_ctrl_c_says_nothing_was_written(account: Path, term: Any) -> None:
    t = term()
    t.answer("Extension to assign", CTRL_C)
    assert t.finish() == 130
    assert "cancelled: nothing was written" in t.screen


def test_cancel_at_the_review_exits_130_and_writes_nothing(account: Path, term: Any) -> None:
    before = _files(account)
    t = term("102", "--setup", "invite")
    name_and_email(t, "Grace", "Hopper", "grace@example.com")
    skip_details_and_keep_settings(t)
    t.answer("Save this user?", DOWN + DOWN + ENTER)  # Save, Edit a field, Cancel
    t.expect("cancelled: nothing was written")
    assert t.finish() == 130
    assert _files(account) == before
    assert outbox_messages(account) == []
    assert extension(account, "102")["status"] == "unassigned"


def test_edit_a_field_at_the_review(account: Path, term: Any) -> None:
    t = term("102", "--setup", "invite")
    name_and_email(t, "Grace", "Hoper", "grace@example.com")
    skip_details_and_keep_settings(t)
    t.answer("Save this user?", DOWN + ENTER)  # Edit a field
    which = ["extension", "setup", *FORM]  # the review's list without credentials
    t.answer("Which field?", DOWN * which.index("last_name") + ENTER)
    t.answer("Last name", BACKSPACE * 5 + "Hopper" + ENTER)
    review = t.question("Save this user?")
    assert reviewed("Last name", "Hopper") in review
    t.send(ENTER)
    assert t.finish() == 0
    assert extension(account, "102")["user"]["last_name"] == "Hopper"


# --- (e) flags given at a terminal are not asked again ------------------------------------------


def test_a_partly_scripted_run_asks_only_for_the_missing_values(account: Path, term: Any) -> None:
    t = term("103", "--setup", "invite", "--first-name", "Ada")
    before = t.answer("Last name", "Byron" + ENTER)
    assert "Step 3 of 7: Name" in before  # steps 1 and 2 were given: not shown
    t.answer("Email address", "ada.byron@example.com" + ENTER)
    skip_details_and_keep_settings(t)
    t.answer("Save this user?", ENTER)
    assert t.finish() == 0
    shown = t.screen
    for question in ("? Extension to assign", "? Setup option", "? First name", "Step 1 of"):
        assert question not in shown
    assert "? Password" not in shown
    user = extension(account, "103")["user"]
    assert (user["first_name"], user["last_name"], user["setup"]) == ("Ada", "Byron", "invite")


def test_every_required_value_given_goes_straight_to_the_review(account: Path, term: Any) -> None:
    t = term(
        "105", "--setup", "later", "--first-name", "Alan", "--last-name", "Turing",
        "--email", "alan@example.com",
    )  # fmt: skip
    assert "? " not in t.expect("Step 7 of 7: Review")  # no question before the review
    review = t.answer("Save this user?", ENTER)
    assert reviewed("Status after saving", "not-activated") in review
    assert t.finish() == 0
    assert extension(account, "105")["status"] == "not-activated"
    assert outbox_messages(account) == []  # later: no email


def test_yes_skips_the_review(account: Path, term: Any) -> None:
    t = term(
        "105", "--setup", "later", "--first-name", "Alan", "--last-name", "Turing",
        "--email", "alan@example.com", "--yes",
    )  # fmt: skip
    t.expect("assigned extension 105 to Alan Turing (not-activated)")
    assert t.finish() == 0
    assert "Save this user?" not in t.screen


def test_an_invalid_flag_value_is_asked_again_at_the_terminal(account: Path, term: Any) -> None:
    t = term("101", "--setup", "later", "--first-name", "Ada", "--last-name", "L")
    t.answer("Email address", "not-an-email" + ENTER)
    t.expect("is not a valid address")
    t.answer("Email address", BACKSPACE * 12 + "ada@example.com" + ENTER)
    skip_details_and_keep_settings(t)
    t.answer("Save this user?", ENTER)
    assert t.finish() == 0
    assert extension(account, "101")["user"]["email"] == "ada@example.com"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("102",), 5, "extension 102 is not unassigned"),
        (("150",), 4, "extension 150 not found"),
        (("101", "--setup", "sometime"), 3, "setup: 'sometime' is not one of"),
    ],
)
def test_a_wrong_number_or_setup_fails_before_any_question(
    account: Path, run: Any, term: Any, args: tuple[str, ...], code: int, message: str
) -> None:
    assert run("assign", "102", "--setup", "later", "--first-name", "A", "--last-name", "B",
               "--email", "b@example.com", "--yes").code == 0  # fmt: skip
    t = term(*args)
    t.expect(message)
    assert t.finish() == code
    assert "? " not in t.screen


def test_setup_given_in_capitals_still_asks_the_credentials(account: Path, term: Any) -> None:
    t = term("101", "--setup", "Credentials")
    assert "Step 3 of 8: Credentials" in t.question("Password")


# --- (f) no prompt without a terminal, or with --no-input ----------------------------------------

MISSING = "missing NUMBER, --setup, --first-name, --last-name, --email (required without prompting)"


def test_without_a_terminal_assign_names_the_missing_flags(account: Path, run: Any) -> None:
    result = run("assign")
    assert result.code == 2
    assert result.out == ""
    assert MISSING in result.err


def test_the_real_program_without_a_terminal_never_waits(account: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "extadmin", "assign", "103", "--setup", "credentials"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "missing --first-name, --last-name, --email, --password-file, --pin-file, " in (
        proc.stderr
    )
    assert "--security-question, --security-answer-file" in proc.stderr


def test_no_input_at_a_terminal_does_not_prompt(account: Path, term: Any) -> None:
    t = term("--no-input")
    t.expect("missing NUMBER")
    assert t.finish() == 2
    assert MISSING in t.screen.replace("\n", "")
    assert "?" not in t.screen


def test_output_to_a_pipe_does_not_prompt(account: Path) -> None:
    """stdin is the terminal but stdout is not (`extadmin assign | cat`): no prompt either."""
    import pexpect

    child = pexpect.spawn(
        "/bin/bash",
        ["-c", f"set -o pipefail; '{sys.executable}' -m extadmin assign | cat"],
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=15,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "missing NUMBER" in (child.before or "")
    assert "Extension to assign" not in (child.before or "")
