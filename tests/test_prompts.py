"""Issue 4, unit level: every prompt of `extadmin.cli.prompts`, and the walkthrough of
`extadmin assign`, driven with prompt_toolkit's pipe input (as questionary's own tests do).

Keys: "\\r" is Enter, "\\x1b[B" the Down arrow, "\\x7f" Backspace, "\\x03" Ctrl-C. The keys for
every question are sent before the prompt runs; a prompt that wants more input than was sent
would wait forever, hence the timeout on every test. Where a test must see what was shown (a
rule's message, the header of a step), the prompt runs in a thread and draws into `Screen`, and
the test types its next answer only once the message is on screen (`running` and `Screen`, from
tests/pty_helpers.py). The walkthrough's logic is tested without keys in
test_walkthrough_logic.py; here, its keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput

from extadmin.cli import walkthrough
from extadmin.cli.prompts import Prompter
from extadmin.domain import rules
from extadmin.domain.fields import FORM
from extadmin.errors import Cancelled, Conflict, InvalidValue, NotFound
from extadmin.services.assign import Request
from extadmin.storage.store import AccountStore
from tests.pty_helpers import BACKSPACE, CTRL_C, DOWN, ENTER, ESCAPE, UP, Screen, running

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe:
        yield pipe


def ahead(pipe: PipeInput, keys: str) -> Prompter:
    """Type `keys` ahead: the prompter that reads them."""
    pipe.send_text(keys)
    return Prompter(input=pipe, output=DummyOutput())


# --- text ---------------------------------------------------------------------------------------


def test_text_returns_the_answer_trimmed(keys: PipeInput) -> None:
    assert ahead(keys, "  Ada  " + ENTER).text("First name") == "Ada"


def test_text_default_is_kept_with_enter(keys: PipeInput) -> None:
    assert ahead(keys, ENTER).text("Short extension number", default="103") == "103"


def test_text_asks_again_after_an_invalid_answer_showing_the_rule() -> None:
    with running(lambda p: p.text("Email address", rules.email)) as (pipe, screen, answer):
        screen.wait_for("? Email address")
        pipe.send_text("ada@" + ENTER)
        screen.wait_for("email: 'ada@' is not a valid address")
        assert not answer.done()  # still asking
        pipe.send_text("ada@example.com" + ENTER)  # an empty field: typed alone (issue 25)
        assert answer.result(timeout=10) == "ada@example.com"


def test_text_asked_again_starts_empty_and_up_brings_back_the_rejected_answer() -> None:
    """Issue 25: the field is cleared before the question is asked again (what is typed is the
    whole answer); the Up arrow recalls the rejected answer, to correct rather than retype."""
    with running(lambda p: p.text("Email address", rules.email, default="ada@")) as (
        pipe,
        screen,
        answer,
    ):
        screen.wait_for("? Email address ada@")
        pipe.send_text(ENTER)
        screen.wait_for("email: 'ada@' is not a valid address")
        pipe.send_text(UP + "example.com" + ENTER)
        assert answer.result(timeout=10) == "ada@example.com"


def test_a_secret_asked_again_starts_empty() -> None:
    """Issue 25: after "must be 8 to 32 characters" the stars are gone, and the password typed
    next is the whole answer (before, it was added after the rejected one)."""
    with running(lambda p: p.secret("Password", rules.password)) as (pipe, screen, answer):
        screen.wait_for("? Password")
        pipe.send_text("Kx7!" + ENTER)
        screen.wait_for("password: must be 8 to 32 characters")
        pipe.send_text(UP + "Kx7!mQ2#vZ" + ENTER)  # nothing to recall either
        assert answer.result(timeout=10) == "Kx7!mQ2#vZ"
    assert screen.text.count("? Password ****\n") == 1  # the rejected one
    assert "? Password **********\n" in screen.text  # the new one, alone


def test_text_required_value_cannot_be_skipped() -> None:
    check = rules.first_name
    with running(lambda p: p.text("First name", check)) as (pipe, screen, answer):
        pipe.send_text(ENTER)
        screen.wait_for("first name: is required")
        assert not answer.done()
        pipe.send_text("Ada" + ENTER)
        assert answer.result(timeout=10) == "Ada"


def test_optional_text_is_skipped_with_enter() -> None:
    check = rules.email  # an empty answer would break the rule, but it may be skipped
    with running(lambda p: p.text("Job title", check, optional=True)) as (pipe, screen, answer):
        screen.wait_for("? Job title (Enter to skip)")
        pipe.send_text(ENTER)
        assert answer.result(timeout=10) == ""


def test_optional_text_still_checks_what_is_typed() -> None:
    def check(value: str) -> str:
        return rules.phone(value, "US", "contact phone")

    with running(lambda p: p.text("Contact phone", check, optional=True)) as (pipe, screen, answer):
        pipe.send_text("12" + ENTER)
        screen.wait_for("contact phone: '12' is not")
        pipe.send_text(BACKSPACE * 2 + "650 253 0000" + ENTER)
        assert answer.result(timeout=10) == "650 253 0000"


# --- secrets ------------------------------------------------------------------------------------


def test_secret_twice_returns_the_value_when_both_entries_match(keys: PipeInput) -> None:
    typed = "Kx7!mQ2#vZ" + ENTER + "Kx7!mQ2#vZ" + ENTER
    assert ahead(keys, typed).secret_twice("Password", rules.password) == "Kx7!mQ2#vZ"


def test_secret_twice_asks_both_again_after_a_mismatch() -> None:
    with running(lambda p: p.secret_twice("Password", rules.password)) as (pipe, screen, answer):
        screen.wait_for("? Password")
        pipe.send_text("Kx7!mQ2#vZ" + ENTER)
        screen.wait_for("? Re-enter password")
        pipe.send_text("Kx7!mQ2#vY" + ENTER)
        screen.wait_for("The two entries do not match: enter them again.")
        pipe.send_text("Zq5@wT8$nB" + ENTER + "Zq5@wT8$nB" + ENTER)
        assert answer.result(timeout=10) == "Zq5@wT8$nB"
    for secret in ("Kx7!mQ2#vZ", "Kx7!mQ2#vY", "Zq5@wT8$nB"):
        assert secret not in screen.text
    assert "**********" in screen.text


def test_secret_twice_asks_again_after_an_invalid_value() -> None:
    with running(lambda p: p.secret_twice("PIN (6 to 10 digits)", rules.pin)) as (
        pipe,
        screen,
        pin,
    ):
        pipe.send_text("1234" + ENTER)
        screen.wait_for("PIN: must be 6 to 10 digits")
        assert "Re-enter" not in screen.text  # the first entry is fixed before the second
        pipe.send_text(BACKSPACE * 4 + "583920" + ENTER)
        screen.wait_for("? Re-enter PIN (6 to 10 digits)")  # an acronym keeps its capitals
        pipe.send_text("583920" + ENTER)
        assert pin.result(timeout=10) == "583920"
    assert "583920" not in screen.text


def test_secret_twice_keys_typed_ahead(keys: PipeInput) -> None:
    typed = "1234" + ENTER + BACKSPACE * 4 + "583920" + ENTER + "583920" + ENTER
    assert ahead(keys, typed).secret_twice("PIN", rules.pin) == "583920"


def test_secret_is_hidden_and_checked() -> None:
    check = rules.security_answer
    with running(lambda p: p.secret("Security answer", check)) as (pipe, screen, answer):
        pipe.send_text("Rex" + ENTER)
        screen.wait_for("security answer: must be at least 5 characters")
        pipe.send_text("Rex the dog" + ENTER)  # an empty field: typed whole (issue 25)
        assert answer.result(timeout=10) == "Rex the dog"
    assert "Rex" not in screen.text


def test_secret_without_a_check(keys: PipeInput) -> None:
    assert ahead(keys, "tok-123" + ENTER).secret("Activation token") == "tok-123"


# --- select -------------------------------------------------------------------------------------

RECORDING = [("Off", "off"), ("Inbound calls", "inbound"), ("Outbound calls", "outbound")]


def test_select_default_is_preselected(keys: PipeInput) -> None:
    assert ahead(keys, ENTER).select("Recording", RECORDING, "inbound") == "inbound"


def test_select_moves_from_the_default(keys: PipeInput) -> None:
    typed = DOWN + ENTER
    assert ahead(keys, typed).select("Recording", RECORDING, "inbound") == "outbound"


def test_select_without_default_starts_at_the_first(keys: PipeInput) -> None:
    assert ahead(keys, ENTER).select("Recording", RECORDING) == "off"
    assert ahead(keys, DOWN + DOWN + UP + ENTER).select("Recording", RECORDING) == ("inbound")


def test_select_shows_titles_and_descriptions() -> None:
    choices = [
        ("Send invite", "invite", "sends the user a welcome email"),
        ("Activate later", "later", "no email or notifications"),
    ]
    with running(lambda p: p.select("Setup option", choices, "later")) as (pipe, screen, answer):
        screen.wait_for("no email or notifications")  # the description of the default
        assert "Send invite" in screen.text
        pipe.send_text(ENTER)
        assert answer.result(timeout=10) == "later"


def test_select_with_search_filters_as_you_type(keys: PipeInput) -> None:
    extensions = [(f"{n:<8} Main Site", n) for n in ("101", "102", "103")] + [
        (f"{n:<8} Boston", n) for n in ("2201", "2202")
    ]
    typed = "bost" + DOWN + ENTER  # only the Boston ones are left: the second of them
    picker = ahead(keys, typed)
    assert picker.select("Extension to assign", extensions, search=True) == "2202"


def test_select_with_search_typing_the_number(keys: PipeInput) -> None:
    extensions = [(f"{n:<8} Main Site", n) for n in ("101", "102", "103")]
    assert ahead(keys, "103" + ENTER).select("Extension", extensions, search=True) == ("103")


# --- confirm ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "default", "expected"),
    [("y", False, True), ("n", True, False), (ENTER, True, True), (ENTER, False, False)],
)
def test_confirm(keys: PipeInput, typed: str, default: bool, expected: bool) -> None:
    assert ahead(keys, typed).confirm("Temporary password?", default=default) is expected


def test_confirm_or_cancel_goes_on_with_yes(keys: PipeInput) -> None:
    ahead(keys, "y").confirm_or_cancel("Delete extension 101?")


@pytest.mark.parametrize("typed", ["n", ENTER])  # the default is no
def test_confirm_or_cancel_raises_cancelled(keys: PipeInput, typed: str) -> None:
    with pytest.raises(Cancelled) as caught:
        ahead(keys, typed).confirm_or_cancel("Delete extension 101?")
    assert caught.value.exit_code == 130
    assert caught.value.message == "cancelled: nothing was written"


# --- Ctrl-C -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ask",
    [
        lambda p: p.text("First name"),
        lambda p: p.secret("Security answer"),
        lambda p: p.secret_twice("Password"),
        lambda p: p.select("Recording", RECORDING),
        lambda p: p.confirm("Temporary password?"),
    ],
    ids=["text", "secret", "secret_twice", "select", "confirm"],
)
def test_ctrl_c_interrupts_every_prompt(keys: PipeInput, ask: Callable[[Any], Any]) -> None:
    with pytest.raises(KeyboardInterrupt):
        ask(ahead(keys, "abc" + CTRL_C))


# --- headers and messages -----------------------------------------------------------------------


def test_step_header() -> None:
    screen = Screen()
    Prompter(output=screen.output).step(3, 8, "Credentials")
    assert screen.text.strip() == "Step 3 of 8: Credentials"


def test_say_writes_to_the_prompters_output(keys: PipeInput) -> None:
    """The prompter holds the input and output once: saying something takes neither."""
    screen = Screen()
    Prompter(input=keys, output=screen.output).say("  → +16502530000")
    assert screen.text == "  → +16502530000\n"


# --- the walkthrough, from a pipe ---------------------------------------------------------------


@pytest.fixture
def store(account: Path) -> AccountStore:
    return AccountStore(account)


def walk(store: AccountStore, req: Request, typed: str) -> Request:
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        return walkthrough.run(Prompter(input=pipe, output=DummyOutput()), store, req, confirm=True)


# the form's questions after the email, from the field declarations: step "Contact details"
# (short extension, phones, job title, department), then step "Settings" (site, role, the
# languages, recording); Enter keeps or skips each
DETAILS = FORM[FORM.index("short_extension") : FORM.index("site")]
SETTINGS = FORM[FORM.index("site") :]
SKIP_DETAILS = ENTER * len(DETAILS)
KEEP_SETTINGS = ENTER * len(SETTINGS)
SAVE = ENTER
# the review's "Which field?" list without credentials, then "Back to the review"
WHICH = ["extension", "setup", *FORM]


def test_walkthrough_invite(store: AccountStore) -> None:
    before = store.path.read_bytes()
    form = {  # the form after the email, by field: Enter at any other (kept, or skipped)
        "contact_phone": "(650) 253-0000" + ENTER,
        "job_title": "Analyst" + ENTER,
        "language": DOWN * 4 + ENTER,  # French (France)
        "recording": DOWN + ENTER,  # inbound
    }
    typed = (
        DOWN + DOWN + ENTER  # extension 103
        + ENTER  # setup: Send invite (preselected)
        + "Ada" + ENTER + "Lovelace" + ENTER  # name
        + "Ada@Example.com" + ENTER  # email
        + "".join(form.get(name, ENTER) for name in (*DETAILS, *SETTINGS))
        + SAVE
    )  # fmt: skip
    req = walk(store, Request(), typed)
    expected = {
        "extension": "103",
        "setup": "invite",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "Ada@Example.com",
        "contact_phone": "+16502530000",
        "job_title": "Analyst",
        "site": "Main Site",
        "role": "Standard User (International)",
        "language": "fr-FR",
        "greeting_language": "fr-FR",  # both follow the user language: Enter keeps it
        "regional_format": "fr-FR",
        "recording": "inbound",
    }
    assert {key: getattr(req, key) for key in expected} == expected
    assert {n: getattr(req, n) for n in FORM if n not in expected} == {
        n: "" for n in FORM if n not in expected
    }  # the short extension kept, no mobile phone, no department
    assert req == Request(**{n: getattr(req, n) for n in FORM}, extension="103", setup="invite")
    assert store.path.read_bytes() == before  # the walkthrough only asks; `assign` saves


def test_walkthrough_credentials(store: AccountStore) -> None:
    typed = (
        "2202" + ENTER  # type to search the extension
        + DOWN + ENTER  # Activate by assigning credentials
        + "Kx7!mQ2#vZ" + ENTER + "Kx7!mQ2#vZ" + ENTER
        + "n"  # not a temporary password
        + "583920" + ENTER + "583920" + ENTER
        + DOWN * 2 + ENTER  # the third security question
        + "Wisteria Lane" + ENTER
        + "Ada" + ENTER + "Lovelace" + ENTER + "ada@example.com" + ENTER
        + SKIP_DETAILS + KEEP_SETTINGS + SAVE
    )  # fmt: skip
    req = walk(store, Request(), typed)
    assert (req.extension, req.setup, req.site) == ("2202", "credentials", "Boston")
    assert (req.password, req.pin, req.security_answer) == ("Kx7!mQ2#vZ", "583920", "Wisteria Lane")
    assert req.security_question == "What was the make of your first car?"
    assert req.temporary_password is False


def test_walkthrough_asks_only_what_is_missing(store: AccountStore) -> None:
    screen = Screen()
    given = Request(extension="103", setup="invite", first_name="Ada", job_title="Analyst")
    typed = (
        "Byron" + ENTER + "ada@example.com" + ENTER
        + ENTER * (len(DETAILS) - 1)  # the job title is given
        + KEEP_SETTINGS + SAVE
    )  # fmt: skip
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        req = walkthrough.run(
            Prompter(input=pipe, output=screen.output), store, given, confirm=True
        )
    assert (req.first_name, req.last_name, req.job_title) == ("Ada", "Byron", "Analyst")
    shown = screen.text
    assert "Step 3 of 7: Name" in shown
    for question in ("? Extension", "? Setup option", "? First name", "? Job title", "Step 1"):
        assert question not in shown


def test_walkthrough_password_with_the_name_is_asked_again(store: AccountStore) -> None:
    """The names come after the password: the password rule is checked again as soon as the
    first name is known, and the password asked again there (not after the settings)."""
    typed = (
        ENTER + DOWN + ENTER  # 101, credentials
        + "Ada!x9Kq7" + ENTER + "Ada!x9Kq7" + ENTER + ENTER
        + "583920" + ENTER + "583920" + ENTER + ENTER + "Wisteria Lane" + ENTER
        + "Ada" + ENTER
        + "Kx7!mQ2#vZ" + ENTER + "Kx7!mQ2#vZ" + ENTER  # asked again, right after the name
        + "Lovelace" + ENTER + "ada@example.com" + ENTER
        + SKIP_DETAILS + KEEP_SETTINGS
        + SAVE
    )  # fmt: skip
    screen = Screen()
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        req = walkthrough.run(
            Prompter(input=pipe, output=screen.output), store, Request(), confirm=True
        )
    assert req.password == "Kx7!mQ2#vZ"
    shown = screen.text
    message = "password: must not contain the extension number, the user's name or email"
    assert shown.index(message) < shown.index("? Last name")  # at the name's step
    assert shown.count(message) == 1


def test_walkthrough_edit_a_field_at_the_review(store: AccountStore) -> None:
    given = Request(extension="101", setup="later", first_name="Ada", last_name="Lovelace")
    typed = (
        "ada@example.com" + ENTER + SKIP_DETAILS + KEEP_SETTINGS
        + DOWN + ENTER  # Edit a field
        + DOWN * WHICH.index("last_name") + ENTER
        + BACKSPACE * 8 + "Byron" + ENTER
        + SAVE
    )  # fmt: skip
    assert walk(store, given, typed).last_name == "Byron"


@pytest.mark.parametrize(
    "back",
    [
        [DOWN * len(WHICH) + ENTER],  # the last entry, "Back to the review" (no wrap-around)
        [ESCAPE],  # Escape at the list
        [DOWN * WHICH.index("last_name") + ENTER, "? Last name", ESCAPE],  # Escape at the field
    ],
    ids=["choice", "escape", "escape-at-the-field"],
)
def test_walkthrough_which_field_has_a_way_back(store: AccountStore, back: list[str]) -> None:
    """Edit a field, then change one's mind: back to the review, nothing changed."""
    given = Request(
        extension="101", setup="later", first_name="A", last_name="B", email="b@example.com"
    )
    with running(lambda p: walkthrough.run(p, store, given, confirm=True)) as (
        pipe,
        screen,
        answer,
    ):
        screen.wait_for("? Save this user?")
        pipe.send_text(DOWN + ENTER)  # Edit a field
        screen.wait_for("Back to the review")
        for keys in back:  # keys, or (starting with "? ") a question to wait for
            screen.wait_for(keys) if keys.startswith("? ") else pipe.send_text(keys)
        screen.wait_for("Step 7 of 7: Review\n", count=2)  # shown again
        pipe.send_text(SAVE)
        assert answer.result(timeout=10) == given


def test_walkthrough_cancel_at_the_review(store: AccountStore) -> None:
    given = Request(
        extension="101", setup="later", first_name="A", last_name="B", email="b@example.com"
    )
    with pytest.raises(Cancelled):
        walk(store, given, DOWN + DOWN + ENTER)


def test_walkthrough_without_confirm_has_no_review(store: AccountStore) -> None:
    given = Request(
        extension="101", setup="later", first_name="A", last_name="B", email="b@example.com"
    )
    with create_pipe_input() as pipe:  # nothing typed: a question would wait until the timeout
        req = walkthrough.run(
            Prompter(input=pipe, output=DummyOutput()), store, given, confirm=False
        )
    assert req == given


@pytest.mark.parametrize(
    ("given", "error"),
    [
        (Request(extension="150"), NotFound),
        (Request(extension="104", setup="sometime"), InvalidValue),
    ],
)
def test_walkthrough_refuses_a_wrong_extension_or_setup_at_once(
    store: AccountStore, given: Request, error: type[Exception]
) -> None:
    with create_pipe_input() as pipe:  # nothing typed: fails before the first question
        with pytest.raises(error):
            walkthrough.run(Prompter(input=pipe, output=DummyOutput()), store, given, confirm=True)


def test_walkthrough_refuses_an_assigned_extension_at_once(store: AccountStore, run: Any) -> None:
    result = run(
        "assign", "102", "--setup", "later", "--first-name", "A", "--last-name", "B",
        "--email", "b@example.com", "--yes",
    )  # fmt: skip
    assert result.code == 0, result.err
    with create_pipe_input() as pipe, pytest.raises(Conflict, match="102 is not unassigned"):
        walkthrough.run(
            Prompter(input=pipe, output=DummyOutput()),
            store,
            Request(extension="102"),
            confirm=True,
        )


def test_walkthrough_edit_setup_to_credentials_asks_the_whole_credentials_step(
    store: AccountStore,
) -> None:
    screen = Screen()
    given = Request(
        extension="101", setup="invite", first_name="A", last_name="B", email="b@example.com"
    )
    typed = (
        DOWN + ENTER  # Edit a field
        + DOWN + ENTER  # Setup option
        + DOWN + ENTER  # Activate by assigning credentials
        + "Kx7!mQ2#vZ" + ENTER + "Kx7!mQ2#vZ" + ENTER
        + "n"  # the temporary password flag is asked too
        + "583920" + ENTER + "583920" + ENTER + ENTER + "Wisteria Lane" + ENTER
        + SAVE
    )  # fmt: skip
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        req = walkthrough.run(
            Prompter(input=pipe, output=screen.output), store, given, confirm=True
        )
    assert req.setup == "credentials"
    assert req.temporary_password is False
    assert req.pin == "583920"
    shown = screen.text
    assert "Step 7 of 7: Review" in shown  # invite: no credentials step
    assert "Step 8 of 8: Review" in shown  # credentials: one more step
    assert "is required with setup credentials" not in shown


def _assign_102_to_ada(run: Any) -> None:
    result = run(
        "assign", "102", "--setup", "later", "--first-name", "Ada", "--last-name", "L",
        "--email", "ada@example.com", "--yes",
    )  # fmt: skip
    assert result.code == 0, result.err


def test_walkthrough_credentials_may_waive_unique_email(store: AccountStore, run: Any) -> None:
    _assign_102_to_ada(run)
    given = Request(
        extension="101",
        setup="credentials",
        first_name="Ada",
        last_name="Byron",
        password="Kx7!mQ2#vZ",
        pin="583920",
        security_question="1",
        security_answer="Wisteria Lane",
        temporary_password=True,
    )
    typed = (
        "ADA@example.com" + ENTER
        + "n"  # keep the rule: the address is asked again
        + BACKSPACE * 15 + "ada@example.com" + ENTER
        + "y"  # waive it
        + SKIP_DETAILS + KEEP_SETTINGS + SAVE
    )  # fmt: skip
    screen = Screen()
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        req = walkthrough.run(
            Prompter(input=pipe, output=screen.output), store, given, confirm=True
        )
    assert (req.email, req.allow_duplicate_email) == ("ada@example.com", True)
    shown = screen.text
    assert shown.count("is already used (extension 102 in 'Acme Corp')") == 2
    assert "Users require unique email IDs: waive it for this user?" in shown
    assert "Users require unique email IDs waived" in shown  # in the review
    assert "? Temporary password" not in shown  # given: not asked


def test_walkthrough_invite_cannot_keep_a_waived_unique_email(
    store: AccountStore, run: Any
) -> None:
    """--allow-duplicate-email with --setup invite at a terminal: the rule is explained and a
    unique address asked for (it used to ask for the address again and again)."""
    _assign_102_to_ada(run)
    given = Request(
        extension="101",
        setup="invite",
        first_name="Ada",
        last_name="Byron",
        email="ada@example.com",
        allow_duplicate_email=True,
    )
    typed = (
        ENTER  # the same address: refused, it is taken
        + BACKSPACE * 15 + "ada.byron@example.com" + ENTER + SAVE
    )  # fmt: skip
    screen = Screen()
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        req = walkthrough.run(
            Prompter(input=pipe, output=screen.output), store, given, confirm=True
        )
    assert (req.email, req.allow_duplicate_email) == ("ada.byron@example.com", False)
    assert "unique email may be waived only with setup credentials" in screen.text
