"""The walkthrough's logic, through the fake prompter (tests/fake_prompter.py): which questions
are asked and in what order, what each offers, what is said, and the Request produced. The
answers are given by field name, and every question not answered takes its default as Enter
would, so a field added to the form does not break these tests. The real terminal (keys,
drawing, Escape, a dumb terminal) is tested in a pseudo-terminal: test_walkthrough_pty.py,
test_walkthrough_contact.py and test_prompts.py.

The `account` fixture (conftest) gives Main Site with 101-105 (103 with a desk phone) and
Boston (code 2) with 2201-2203."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extadmin.cli import walkthrough
from extadmin.domain import fields
from extadmin.errors import Cancelled
from extadmin.services.assign import Request
from extadmin.storage.store import AccountStore
from tests.fake_prompter import BACK, CTRL_C, FakePrompter

PASSWORD = "Kx7!mQ2#vZ"
PIN = "583920"
ANSWER = "Wisteria Lane"
CREDENTIALS = ("password", "temporary_password", "pin", "security_question", "security_answer")
REVIEW = "Save this user?"
ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
SECRETS = {"password": PASSWORD, "pin": PIN, "security_answer": ANSWER}


@pytest.fixture
def store(account: Path) -> AccountStore:
    return AccountStore(account)


def walk(
    store: AccountStore, answers: dict[str, Any], req: Request | None = None, confirm: bool = True
) -> tuple[Request, FakePrompter]:
    fake = FakePrompter(answers)
    return walkthrough.run(fake, store, req or Request(), confirm=confirm), fake


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}


def assign(run: Any, number: str, *args: str) -> None:
    result = run("assign", number, *args, "--yes")
    assert result.code == 0, result.err


# --- the steps of each setup option --------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "credentials"), [("invite", False), ("credentials", True), ("later", False)]
)
def test_the_questions_of_each_setup_option_in_order(
    store: AccountStore, setup: str, credentials: bool
) -> None:
    before = store.path.read_bytes()
    answers = {"extension": "104", "setup": setup, **ADA, **(SECRETS if credentials else {})}
    req, fake = walk(store, answers)
    asked_credentials = list(CREDENTIALS) if credentials else []
    assert fake.asked == ["extension", "setup", *asked_credentials, *fields.FORM, REVIEW]
    steps = [s.title for s in walkthrough.STEPS if credentials or s.title != "Credentials"]
    total = len(steps) + 1
    headers = [line for line in fake.said if line.startswith("Step ")]
    # before the setup option is chosen, the count is without the credentials step
    assert headers == [
        *(f"Step {n} of {len(walkthrough.STEPS)}: {t}" for n, t in enumerate(steps[:2], 1)),
        *(f"Step {n} of {total}: {title}" for n, title in enumerate(steps, 1) if n > 2),
        f"Step {total} of {total}: Review",
    ]
    assert (req.extension, req.setup, req.first_name, req.email) == (
        "104",
        setup,
        "Ada",
        "ada@example.com",
    )
    assert (req.site, req.role, req.language, req.recording) == (
        "Main Site",
        "Standard User (International)",
        "en-US",
        "off",
    )
    if credentials:
        assert (req.password, req.pin, req.security_answer) == (PASSWORD, PIN, ANSWER)
        assert req.temporary_password is True  # the default
        assert req.security_question == store.read().security_questions[0]
    else:
        assert (req.password, req.pin, req.security_question) == (None, None, None)
    review = dict(fake.review)
    assert review["Setup option"] == walkthrough.SETUP_OPTIONS[setup].split(":")[0]
    assert "Password" in review if credentials else "Password" not in review
    assert store.path.read_bytes() == before  # the walkthrough only asks: `assign` saves


def test_a_setup_changed_back_from_credentials_drops_the_credentials(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": ["credentials", "invite"],
        "password": PASSWORD,
        "temporary_password": BACK,  # back to the password, back again to the setup option
        **ADA,
    }
    answers["password"] = [BACK]
    req, fake = walk(store, answers)
    assert fake.asked[:4] == ["extension", "setup", "password", "setup"]
    assert "pin" not in fake.asked
    assert req.setup == "invite"
    assert (req.password, req.pin, req.temporary_password) == (None, None, None)


# --- going back ----------------------------------------------------------------------------------


def test_going_back_keeps_the_answers(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": "later",
        "first_name": ["Ada", BACK],  # back from the first of a step: the previous step
        "last_name": "Lovelace",
        "email": [BACK, "ada@example.com"],  # back to the last name
    }
    req, fake = walk(store, answers)
    assert fake.asked[:8] == [
        "extension", "setup", "first_name", "last_name", "email", "last_name", "email",
        "short_extension",
    ]  # fmt: skip
    assert fake.offered["last_name"] == "Lovelace"  # given again as the default: kept
    assert (req.first_name, req.last_name, req.email) == ("Ada", "Lovelace", "ada@example.com")

    answers = {"extension": "101", "setup": "later", "first_name": BACK, **ADA}
    answers["first_name"] = ["Ada", BACK]
    answers["last_name"] = [BACK, "Lovelace"]  # back to the first name, then back a step
    req, fake = walk(store, answers)
    assert fake.asked[:7] == [
        "extension", "setup", "first_name", "last_name", "first_name", "setup", "first_name",
    ]  # fmt: skip
    assert fake.offered["setup"] == "later"  # the answer given, not the first choice
    assert fake.offered["first_name"] == "Ada"
    assert (req.setup, req.first_name, req.last_name) == ("later", "Ada", "Lovelace")


def test_back_at_the_first_question_stays_there(store: AccountStore) -> None:
    given = Request(setup="later", **ADA)
    req, fake = walk(store, {"extension": [BACK, "105"]}, given)
    assert fake.asked[:2] == ["extension", "extension"]
    assert "This is the first question." in fake.said
    assert req.extension == "105"


def test_going_back_over_a_secret_keeps_it(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": "credentials",
        "password": PASSWORD,  # once: asked again, no answer left is Enter, which keeps it
        "temporary_password": [BACK, False],
        **{k: v for k, v in SECRETS.items() if k != "password"},
        **ADA,
    }
    req, fake = walk(store, answers)
    assert fake.asked[2:6] == ["password", "temporary_password", "password", "temporary_password"]
    assert fake.labels[4] == "Password"  # "(Enter keeps the one given)" is the terminal's
    assert (req.password, req.temporary_password) == (PASSWORD, False)


# --- an answer that a later one makes wrong ------------------------------------------------------


def test_a_password_holding_a_later_name_is_asked_again_at_once(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": "credentials",
        **SECRETS,
        "password": ["Ada!x9Kq7", PASSWORD],
        **ADA,
    }
    req, fake = walk(store, answers)
    first = fake.asked.index("first_name")
    assert fake.asked[first : first + 3] == ["first_name", "password", "last_name"]
    assert fake.problems == [
        "password: must not contain the extension number, the user's name or email "
        "(now that the first name is known): enter it again."
    ]
    assert req.password == PASSWORD


def test_a_pin_holding_a_later_phones_digits_is_asked_again_at_once(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": "credentials",
        **SECRETS,
        "pin": ["538472", PIN],
        **ADA,
        "contact_phone": "(650) 253-8472",
    }
    req, fake = walk(store, answers)
    phone = fake.asked.index("contact_phone")
    assert fake.asked[phone : phone + 3] == ["contact_phone", "pin", "mobile_phone"]
    assert len(fake.problems) == 1
    assert "(now that the contact phone is known): enter it again." in fake.problems[0]
    assert "  → +16502538472" in fake.said  # the phone as stored
    assert (req.pin, req.contact_phone) == (PIN, "+16502538472")


# --- languages -----------------------------------------------------------------------------------


def test_the_greeting_language_and_format_follow_the_user_language(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": "later",
        **ADA,
        "language": ["fr-FR", "de-DE"],
        REVIEW: ["edit", "save"],
        "Which field?": "language",
    }
    req, fake = walk(store, answers)
    assert fake.offered["language"] == "fr-FR"  # asked again at the review: the answer given
    assert (req.language, req.greeting_language, req.regional_format) == ("de-DE",) * 3
    assert "The greeting language and regional format follow: German (Germany) (de-DE)." in (
        fake.said
    )
    # at the walk, the default of both was the user language
    walked, fake = walk(store, {**answers, REVIEW: "save", "language": "fr-FR"})
    assert (walked.greeting_language, walked.regional_format) == ("fr-FR", "fr-FR")
    assert fake.choices["greeting_language"] == fake.choices["language"]


def test_a_greeting_language_given_by_flag_does_not_follow(store: AccountStore) -> None:
    given = Request(extension="101", setup="later", greeting_language="en-GB")
    answers = {**ADA, "language": ["fr-FR", "de-DE"], REVIEW: ["edit", "save"]}
    answers["Which field?"] = "language"
    req, fake = walk(store, answers, given)
    assert "greeting_language" not in fake.asked
    assert (req.language, req.greeting_language, req.regional_format) == (
        "de-DE",
        "en-GB",
        "de-DE",
    )
    assert "The regional format follow: German (Germany) (de-DE)." in fake.said


def test_a_language_chosen_apart_does_not_follow(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": "later",
        **ADA,
        "language": ["fr-FR", "de-DE"],
        "regional_format": "en-GB",
        REVIEW: ["edit", "save"],
        "Which field?": "language",
    }
    req, _ = walk(store, answers)
    assert (req.language, req.greeting_language, req.regional_format) == (
        "de-DE",
        "de-DE",
        "en-GB",
    )


# --- email ---------------------------------------------------------------------------------------


def test_a_duplicate_email_may_be_waived_with_credentials(store: AccountStore, run: Any) -> None:
    assign(run, "102", "--setup", "later", "--first-name", "Ada", "--last-name", "L",
           "--email", "ada@example.com")  # fmt: skip
    answers = {
        "extension": "101",
        "setup": "credentials",
        **SECRETS,
        **ADA,
        "email": ["ADA@example.com", "ada@example.com"],
        "allow_duplicate_email": [False, True],  # keep the rule (asked again), then waive it
    }
    req, fake = walk(store, answers)
    email = fake.asked.index("email")
    assert fake.asked[email : email + 4] == [
        "email", "allow_duplicate_email", "email", "allow_duplicate_email",
    ]  # fmt: skip
    assert fake.labels[email + 1] == "Users require unique email IDs: waive it for this user?"
    assert [p for p in fake.problems if "already used" in p] == [
        "ADA@example.com is already used (extension 102 in 'Acme Corp').",
        "ada@example.com is already used (extension 102 in 'Acme Corp').",
    ]
    assert (req.email, req.allow_duplicate_email) == ("ada@example.com", True)
    assert ("Users require unique email IDs", "waived") in fake.review


@pytest.mark.parametrize("waived_by_flag", [False, True])
def test_a_duplicate_email_is_refused_without_credentials(
    store: AccountStore, run: Any, waived_by_flag: bool
) -> None:
    assign(run, "102", "--setup", "later", "--first-name", "Ada", "--last-name", "L",
           "--email", "ada@example.com")  # fmt: skip
    given = Request(extension="101", setup="invite", allow_duplicate_email=waived_by_flag)
    answers = {**ADA, "email": ["ada@example.com", "ada.byron@example.com"]}
    req, fake = walk(store, answers, given)
    assert "allow_duplicate_email" not in fake.asked  # no waiver offered
    assert fake.asked.count("email") == 2
    assert len(fake.problems) == 1 and "ada@example.com" in fake.problems[0]
    assert (req.email, req.allow_duplicate_email) == ("ada.byron@example.com", False)


# --- settings ------------------------------------------------------------------------------------


def test_an_administrative_role_needs_a_confirmation(store: AccountStore) -> None:
    answers = {
        "extension": "101",
        "setup": "later",
        **ADA,
        "role": ["Super Admin", "Super Admin"],
        "administrative": [False, True],  # no: asked again, on the default; then yes
    }
    req, fake = walk(store, answers)
    role = fake.asked.index("role")
    assert fake.asked[role : role + 4] == ["role", "administrative", "role", "administrative"]
    assert fake.labels[role + 1] == (
        "Give Ada Lovelace the Super Admin role (full administrative access)?"
    )
    assert fake.offered["role"] == "Standard User (International)"  # after the no
    assert req.role == "Super Admin"

    req, fake = walk(store, {**answers, "role": "Manager"})
    assert "administrative" not in fake.asked
    assert req.role == "Manager"


def test_a_site_move_announces_the_new_number(store: AccountStore) -> None:
    answers = {"extension": "101", "setup": "later", **ADA, "site": "Boston"}
    req, fake = walk(store, answers)
    assert "Extension 101 becomes 2101 on site Boston: the review asks to confirm it." in (
        fake.said
    )
    assert fake.choices[REVIEW][0] == "Save and renumber extension 101 to 2101"
    assert dict(fake.review)["Extension"] == (
        "2101 (renumbered from 101: moved to site Boston, code 2)"
    )
    assert req.site == "Boston"


def test_the_flags_given_are_not_asked(store: AccountStore) -> None:
    given = Request(extension="103", setup="invite", first_name="Ada", job_title="Analyst")
    req, fake = walk(store, {"last_name": "Byron", "email": "ada@example.com"}, given)
    for name in ("extension", "setup", "first_name", "job_title"):
        assert name not in fake.asked
    assert fake.asked[:2] == ["last_name", "email"]
    assert next(s for s in fake.said if s.startswith("Step ")) == "Step 3 of 7: Name"
    assert (req.first_name, req.last_name, req.job_title) == ("Ada", "Byron", "Analyst")


def test_every_value_given_goes_straight_to_the_review(store: AccountStore) -> None:
    given = Request(extension="105", setup="later", **ADA)
    req, fake = walk(store, {}, given)
    assert fake.asked == [REVIEW]
    req, fake = walk(store, {}, given, confirm=False)
    assert fake.asked == []
    assert req == given


def test_a_wrong_site_flag_is_reported_then_asked_first(store: AccountStore) -> None:
    given = Request(extension="101", setup="later", site="Bostn", **ADA)
    req, fake = walk(store, {"site": "Boston"}, given)
    assert fake.problems[0] == "--site: site 'Bostn' not found (sites: Main Site, Boston)"
    assert fake.asked[0] == "site"
    assert fake.offered["site"] == "Main Site"  # the extension's own site
    assert fake.asked.count("site") == 1  # said once, asked once
    assert req.site == "Boston"


def test_a_wrong_role_flag_is_asked_on_the_default(store: AccountStore) -> None:
    given = Request(extension="101", setup="later", role="Boss", **ADA)
    req, fake = walk(store, {}, given)
    assert fake.problems[0] == "--role: role 'Boss' not found (see `extadmin role list`)"
    assert fake.asked == ["role", REVIEW]
    assert req.role == "Standard User (International)"


# --- the review ----------------------------------------------------------------------------------


def test_setup_edited_to_credentials_at_the_review_asks_the_whole_step(
    store: AccountStore,
) -> None:
    given = Request(extension="101", setup="invite", **ADA)
    answers = {
        REVIEW: ["edit", "save"],
        "Which field?": "setup",
        "setup": "credentials",
        **SECRETS,
        "temporary_password": False,
    }
    req, fake = walk(store, answers, given)
    assert fake.asked == [REVIEW, "Which field?", "setup", *CREDENTIALS, REVIEW]
    assert "Step 7 of 7: Review" in fake.said and "Step 8 of 8: Review" in fake.said
    assert (req.setup, req.temporary_password, req.pin) == ("credentials", False, PIN)


@pytest.mark.parametrize("where", ["email", "Save this user?", "security_answer"])
def test_cancel_or_ctrl_c_writes_nothing(store: AccountStore, where: str) -> None:
    before = files(store.path)
    answers = {"extension": "101", "setup": "credentials", **SECRETS, **ADA}
    answers[where] = "cancel" if where == REVIEW else CTRL_C
    with pytest.raises(Cancelled if where == REVIEW else KeyboardInterrupt):
        walk(store, answers)
    assert files(store.path) == before


# --- users update, activate ----------------------------------------------------------------------


def test_users_update_asks_the_field_picked_until_save(store: AccountStore, run: Any) -> None:
    assign(run, "101", "--setup", "later", "--first-name", "Ada", "--last-name", "Lovelace",
           "--email", "ada@example.com", "--job-title", "Analyst")  # fmt: skip
    fake = FakePrompter(
        {
            "field": ["job_title", "role", "language", "save"],
            "job_title": "Head of Sales",
            "role": "Super Admin",
            "administrative": True,
            "language": "fr-FR",
        }
    )
    assert walkthrough.update(fake, store, "101") == {
        "job_title": "Head of Sales",
        "role": "Super Admin",
        "language": "fr-FR",
    }
    assert fake.asked == [
        "field", "job_title", "field", "role", "administrative", "field", "language", "field",
    ]  # fmt: skip
    assert fake.offered["job_title"] == "Analyst"  # the current value
    assert fake.labels[0] == "Extension 101: which field?"
    assert "Job title: Head of Sales" in fake.choices["field"]  # listed with its new value

    before = files(store.path)
    with pytest.raises(Cancelled):
        walkthrough.update(FakePrompter({"field": ["department", "cancel"]}), store, "101")
    assert files(store.path) == before


def test_activation_asks_the_token_then_the_credentials(store: AccountStore, run: Any) -> None:
    assign(run, "101", "--setup", "invite", "--first-name", "Ada", "--last-name", "Lovelace",
           "--email", "ada@example.com")  # fmt: skip
    fake = FakePrompter({"token": "tok-123", **SECRETS, "password": ["Ada!x9Kq7", PASSWORD]})
    given = Request(extension="101", setup="credentials", temporary_password=False)
    token, req = walkthrough.activation(fake, store, given, token=None, invited=True)
    assert token == "tok-123"
    assert fake.asked == [
        "token", "password", "password", "pin", "security_question", "security_answer",
    ]  # fmt: skip
    assert fake.labels[0] == "Activation token (from the welcome email)"
    assert fake.problems == [  # the user's name is known: the password may not hold it
        "password: must not contain the extension number, the user's name or email"
    ]
    assert (req.password, req.pin, req.security_answer) == (PASSWORD, PIN, ANSWER)
    assert req.temporary_password is False
    assert req.first_name is None  # only the credentials are taken from the walk

    fake = FakePrompter(SECRETS)
    token, req = walkthrough.activation(fake, store, given, token="given", invited=True)
    assert token == "given" and "token" not in fake.asked


# --- a field of a known kind is asked with no change to the walkthrough --------------------------


def test_every_field_kind_has_a_question() -> None:
    assert set(walkthrough.BY_KIND) == set(fields.KINDS)
    for name in walkthrough.ORDER:
        assert callable(walkthrough.question(name)), name
    for name in walkthrough.QUESTIONS:
        assert name not in fields.BY_NAME  # a field of the user form is asked by its kind
