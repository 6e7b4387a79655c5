"""The validators of domain/rules.py called directly: good values normalised, bad values refused
with InvalidValue naming the field; and properties that hold for any input (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from extadmin.domain import rules
from extadmin.domain.catalog import LOCALES, SECURITY_QUESTIONS
from extadmin.errors import InvalidValue

# --- password ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Zebra7!Quix",
        "zebra7.quix",  # a special instead of an uppercase letter
        "ZEBRA7QUIX",  # uppercase letters only, and a digit
        "Ab1!Qz7x",  # 8 characters
        "Qz7!Xb9@Wc5#Ve3$Ud1%Tf8^Sg6&Rh2*",  # 32 characters
        "Al7!Bo9xy",  # names shorter than 3 characters are not checked
        "Ab1357Zy",  # steps of 2 are not a sequence
    ],
)
def test_password_accepts(value: str) -> None:
    assert rules.password(value, personal=["101", "Al", "Bo", "xy"]) == value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("Ab1!Qz7", "8 to 32"),
        ("Qz7!Xb9@Wc5#Ve3$Ud1%Tf8^Sg6&Rh2*K", "8 to 32"),
        ("", "8 to 32"),
        ("Quixotic!Zebra", "one letter and one digit"),
        ("90!@75#$31", "one letter and one digit"),
        ("zebra7quix", "uppercase letter or one of"),
        ("zebra7quix-", "uppercase letter or one of"),  # '-' is not one of the specials
        ("Zebraaa7Q", "three times in a row"),
        ("ZebrA7aAa", "three times in a row"),  # case-insensitive
        ("Zeb!!!7Qx", "three times in a row"),
        ("Zabc7!Quix", "sequential"),
        ("Zebra123!Q", "sequential"),
        ("Zcba7!Quix", "sequential"),
        ("Zeb7!Qu987", "sequential"),
        ("Zebra7!xYz", "sequential"),
    ],
)
def test_password_refuses(value: str, rule: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        rules.password(value)
    assert caught.value.field == "password"
    assert rule in caught.value.rule
    assert value == "" or value not in caught.value.message  # never echoed


@pytest.mark.parametrize(
    ("value", "personal"),
    [
        ("Xq101!Kzw", ["101"]),
        ("xGRACE7!q", ["Grace"]),
        ("hopPER7!Q", ["Hopper"]),
        ("GH.Admiral7", ["gh.admiral"]),
        ("Ada9!Xyq", ["Ada"]),  # exactly 3 characters counts
    ],
)
def test_password_must_not_contain_personal_values(value: str, personal: list[str]) -> None:
    with pytest.raises(InvalidValue, match="extension number, the user's name or email"):
        rules.password(value, personal=personal)
    assert rules.password(value, personal=["Someone", "Else"]) == value


# --- PIN --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["582041", "5820417396", "135792", "2468024", "98752031", "121312", "1122334"]
)
def test_pin_accepts(value: str) -> None:
    assert rules.pin(value, extension="101", phones=["+12127365827"]) == value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("58204", "6 to 10 digits"),
        ("58204173962", "6 to 10 digits"),
        ("58204a", "6 to 10 digits"),
        ("５８２０４１", "6 to 10 digits"),  # full-width digits are not ASCII digits
        ("", "6 to 10 digits"),
        ("581234", "sequential"),
        ("578902", "sequential"),
        ("943217", "sequential"),
        ("590123", "sequential"),  # 9-0-1-2: 0 follows 9
        ("582229", "three times"),
        ("000000", "sequential|three times"),
        ("050505", "repeating pattern"),
        ("121212", "repeating pattern"),
        ("58205820", "repeating pattern"),
        ("5813958139", "repeating pattern"),
    ],
)
def test_pin_refuses(value: str, rule: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        rules.pin(value)
    assert caught.value.field == "PIN"
    assert re.search(rule, caught.value.rule)


def test_pin_must_not_contain_the_extension_of_three_or_more_digits() -> None:
    with pytest.raises(InvalidValue, match="extension number"):
        rules.pin("922017", extension="2201")
    with pytest.raises(InvalidValue, match="extension number"):
        rules.pin("581017", extension="101")
    assert rules.pin("584207", extension="42") == "584207"


def test_pin_must_not_contain_the_last_six_digits_of_a_phone() -> None:
    with pytest.raises(InvalidValue, match="last 6 digits"):
        rules.pin("9365827", phones=["+12127365827"])
    with pytest.raises(InvalidValue, match="last 6 digits"):
        rules.pin("365827", phones=["", "+1 (212) 736-5827"])
    assert rules.pin("9365820", phones=["+12127365827"]) == "9365820"


# --- security question and answer -------------------------------------------------------------


def test_security_question_by_number_or_text() -> None:
    assert rules.security_question("1") == SECURITY_QUESTIONS[0]
    assert rules.security_question(" 10 ") == SECURITY_QUESTIONS[9]
    assert rules.security_question(SECURITY_QUESTIONS[2].lower()) == SECURITY_QUESTIONS[2]
    own = [*SECURITY_QUESTIONS, "Our own question?"]  # an account's: account.security_questions
    assert rules.security_question("11", own) == "Our own question?"
    assert rules.security_question("2", ["Fruit?", "Phone?"]) == "Phone?"  # the platform's


@pytest.mark.parametrize("value", ["0", "11", "-1", "What is your favourite colour?", "", "¹", "²"])
def test_security_question_refuses(value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        rules.security_question(value)
    assert caught.value.field == "security question"


def test_security_answer() -> None:
    assert rules.security_answer("Paris") == "Paris"
    assert rules.normalise_answer("  Fluffy   THE cat ") == "fluffy the cat"
    for bad in ("cat", "  a b  ", "", "abcd"):
        with pytest.raises(InvalidValue, match="at least 5"):
            rules.security_answer(bad)


# --- names, text, email, phones ---------------------------------------------------------------


def test_names_are_trimmed_and_bounded() -> None:
    assert rules.first_name("  Ada ") == "Ada"
    assert rules.last_name("L" * 64) == "L" * 64
    assert rules.first_name("Zoë-Anne O'Brien") == "Zoë-Anne O'Brien"
    for bad, rule in (
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        ("A" * 65, "at most 64"),
        ("Ada\x07", "control"),
        ("Ada\nLovelace", "control"),
        ("Ada\u200bLovelace", "control"),  # zero-width space: a format character
    ):
        with pytest.raises(InvalidValue, match=rule) as caught:
            rules.first_name(bad)
        assert caught.value.field == "first name"


def test_optional_text() -> None:
    assert rules.text(None, "job title") == ""
    assert rules.text(" Engineer ", "job title") == "Engineer"
    with pytest.raises(InvalidValue, match="job title: must be at most 64"):
        rules.text("x" * 65, "job title")


def test_email() -> None:
    assert rules.email(" ada@EXAMPLE.com ") == "ada@example.com"
    assert rules.email_key("Ada@example.com") == rules.email_key("ada@example.com")
    for bad in ("", "ada", "ada@", "@example.com", "ada@@example.com", "ada@example", "a b@x.com"):
        with pytest.raises(InvalidValue) as caught:
            rules.email(bad)
        assert caught.value.field == "email"


def test_phone() -> None:
    assert rules.phone("(212) 736-5827", "US", "contact phone") == "+12127365827"
    assert rules.phone("+44 20 7946 0958", "US", "contact phone") == "+442079460958"
    assert rules.phone("020 7946 0958", "GB", "contact phone") == "+442079460958"
    assert rules.phone("", "US", "contact phone") == ""
    assert rules.phone("+1 800 234 5678", "US", "contact phone") == "+18002345678"
    with pytest.raises(InvalidValue, match="mobile phone: .* toll-free"):
        rules.phone("+1 800 234 5678", "US", "mobile phone", mobile=True)
    for bad in ("12345", "call me", "+1 212 000 0000"):
        with pytest.raises(InvalidValue) as caught:
            rules.phone(bad, "US", "contact phone")
        assert caught.value.field == "contact phone"


# --- choices and numbers ----------------------------------------------------------------------


def test_choices() -> None:
    assert rules.locale("fr-fr", "language") == "fr-FR"
    assert rules.recording("BOTH") == "both"
    assert rules.setup_option(" Later ") == "later"
    for call in (
        lambda: rules.locale("xx-XX", "language"),
        lambda: rules.locale("fr", "language"),
        lambda: rules.recording("sideways"),
        lambda: rules.setup_option("someday"),
    ):
        with pytest.raises(InvalidValue, match="is not one of"):
            call()


@pytest.mark.parametrize("value", ["911", "933", "988", "112", "999", "211", "411", "811"])
def test_reserved_extension_numbers(value: str) -> None:
    with pytest.raises(InvalidValue, match="reserved"):
        rules.extension_number(value)


@pytest.mark.parametrize("value", ["0", "0101", "1000000", "12a", "", "-5"])
def test_not_extension_numbers(value: str) -> None:
    with pytest.raises(InvalidValue, match="not an extension number"):
        rules.extension_number(value)


@pytest.mark.parametrize("value", ["-5", "5-", "-", "201-"])
def test_a_half_range_names_what_was_typed(value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        rules.extension_range(value)
    assert repr(value) in caught.value.message


def test_extension_ranges() -> None:
    assert rules.extension_range("205") == ["205"]
    assert rules.extension_range("909-914") == ["909", "910", "912", "913", "914"]  # not 911
    with pytest.raises(InvalidValue, match="'abc'"):
        rules.extension_range("150-abc")


def test_extension_numbers() -> None:
    assert rules.extension_number(" 101 ") == "101"
    assert rules.extension_number("999999") == "999999"
    with pytest.raises(InvalidValue) as caught:
        rules.extension_number("911", "short extension")
    assert caught.value.field == "short extension"


# --- properties -------------------------------------------------------------------------------


def _has_sequential_run(pin: str) -> bool:
    for i in range(len(pin) - 3):
        run = [int(c) for c in pin[i : i + 4]]
        steps = {(b - a) % 10 for a, b in zip(run, run[1:], strict=False)}
        if steps in ({1}, {9}):
            return True
    return False


def _has_triple(value: str) -> bool:
    return any(value[i] == value[i + 1] == value[i + 2] for i in range(len(value) - 2))


@given(st.text(alphabet="0123456789", min_size=6, max_size=10))
@example("1234567")
@example("050505")
@settings(max_examples=500)
def test_accepted_pins_have_no_sequence_triple_or_pattern(pin: str) -> None:
    try:
        rules.pin(pin)
    except InvalidValue:
        return
    assert not _has_sequential_run(pin)
    assert not _has_triple(pin)
    assert not any(pin == pin[:k] * (len(pin) // k) for k in range(1, len(pin) // 2 + 1))


@given(st.text(alphabet="0123456789", min_size=6, max_size=10))
def test_pins_with_no_forbidden_pattern_are_accepted(pin: str) -> None:
    """The converse: the rules refuse nothing else (no hidden extra rule)."""
    pattern = any(pin == pin[:k] * (len(pin) // k) for k in range(1, len(pin) // 2 + 1))
    if _has_sequential_run(pin) or _has_triple(pin) or pattern:
        return
    assert rules.pin(pin) == pin


@given(st.text(max_size=7))
def test_password_never_accepts_fewer_than_8_characters(value: str) -> None:
    with pytest.raises(InvalidValue):
        rules.password(value)


@given(st.text(min_size=33, max_size=60))
def test_password_never_accepts_more_than_32_characters(value: str) -> None:
    with pytest.raises(InvalidValue):
        rules.password(value)


@given(st.text(max_size=40), st.lists(st.text(max_size=12), max_size=4))
@settings(max_examples=300)
def test_accepted_passwords_follow_every_rule(value: str, personal: list[str]) -> None:
    try:
        rules.password(value, personal=personal)
    except InvalidValue:
        return
    assert 8 <= len(value) <= 32
    assert any(c.isalpha() for c in value) and any(c.isdigit() for c in value)
    assert any(c.isupper() or c in "!@#$%^&*." for c in value)
    assert not _has_triple(value.lower())
    for item in personal:
        if len(item) >= 3:
            assert item.casefold() not in value.casefold()


VALIDATORS = {
    "password": lambda v: rules.password(v, personal=[v[:3]]),
    "pin": lambda v: rules.pin(v, extension=v[:3], phones=[v]),
    "security question": rules.security_question,
    "security answer": rules.security_answer,
    "first name": rules.first_name,
    "last name": rules.last_name,
    "job title": lambda v: rules.text(v, "job title"),
    "email": rules.email,
    "contact phone": lambda v: rules.phone(v, "US", "contact phone"),
    "mobile phone": lambda v: rules.phone(v, "FR", "mobile phone", mobile=True),
    "language": lambda v: rules.locale(v, "language"),
    "recording": rules.recording,
    "setup": rules.setup_option,
    "extension": rules.extension_number,
    "extension range": rules.extension_range,
    "mac": rules.mac_address,
    "site code": rules.site_code,
    "boolean": lambda v: rules.boolean(v, "temporary password"),
}


@pytest.mark.parametrize("name", sorted(VALIDATORS))
@given(value=st.text(max_size=80))
@settings(max_examples=150, deadline=None)
def test_validators_raise_only_invalid_value(name: str, value: str) -> None:
    try:
        VALIDATORS[name](value)
    except InvalidValue as exc:
        assert exc.message.startswith(f"{exc.field}: ")
        assert "\n" not in exc.rule  # one line on stderr


@given(st.sampled_from(sorted(LOCALES)), st.sampled_from(["lower", "upper", "same"]))
def test_every_supported_locale_in_any_case(code: str, case: str) -> None:
    value = {"lower": code.lower(), "upper": code.upper(), "same": code}[case]
    assert rules.locale(value, "language") == code


@given(st.emails())
@settings(max_examples=100, deadline=None)
def test_valid_emails_normalise_idempotently(value: str) -> None:
    try:
        once = rules.email(value)
    except InvalidValue:
        return  # hypothesis' emails include some that email-validator rightly refuses
    assert rules.email(once) == once
    assert rules.email_key(once) == once.casefold()
