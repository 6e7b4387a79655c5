"""Every field rule through the real command line (SPEC section 1, "Field rules"): a bad value
exits 3 (invalid value) with one line on stderr naming the field and the rule, no traceback,
and the account file byte-for-byte as it was. Unknown site or role exit 4 (SPEC section 2:
"not found: ... site, role"); a short extension number in use exits 5 (conflict)."""

from __future__ import annotations

from pathlib import Path

import pytest

GOOD_PASSWORD = "Zebra7!Quix"
GOOD_PIN = "5820417396"
GOOD_ANSWER = "fluffy the cat"

# Extension 2201 (Boston): a four-digit number for the "contains the extension" rules.
# Grace Hopper's email local part differs from her names, so each "contains" rule is separate.
BASE = {
    "number": "2201",
    "--setup": "credentials",
    "--first-name": "Grace",
    "--last-name": "Hopper",
    "--email": "gh.admiral@example.com",
    "--security-question": "2",
}


def assign_args(tmp_path: Path, **changes: str) -> list[str]:
    """Flags for a valid credentials assignment of 2201, with some values replaced. Secrets
    (password, pin, answer) go through files, as a script passes them."""
    values = dict(BASE)
    secrets = {"password": GOOD_PASSWORD, "pin": GOOD_PIN, "answer": GOOD_ANSWER}
    extra: list[str] = []
    for key, value in changes.items():
        if key in secrets:
            secrets[key] = value
        elif key == "number":
            values["number"] = value
        else:
            extra += [f"--{key.replace('_', '-')}", value]
            values.pop(f"--{key.replace('_', '-')}", None)
    folder = tmp_path / "secrets"
    folder.mkdir(exist_ok=True)
    args = [values.pop("number")]
    for flag, value in values.items():
        args += [flag, value]
    for name, flag in (
        ("password", "--password-file"),
        ("pin", "--pin-file"),
        ("answer", "--security-answer-file"),
    ):
        path = folder / name
        path.write_text(secrets[name] + "\n", "utf-8")
        args += [flag, str(path)]
    return ["assign", *args, *extra]


def check_refused(result, account: Path, before: bytes, code: int, field: str, rule: str) -> None:
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    line = lines[0]
    assert line.startswith("extadmin: error: ")
    assert field.casefold() in line.casefold(), line
    assert rule.casefold() in line.casefold(), line
    assert account.read_bytes() == before
    assert not account.with_name("acme.outbox").exists()


def test_the_base_values_are_valid(run, account: Path, tmp_path: Path) -> None:
    """The control for every table below: only the changed value makes the difference."""
    result = run(*assign_args(tmp_path))
    assert result.code == 0, result.err


PASSWORD_CASES = [
    pytest.param("Ab1!Qz7", "must be 8 to 32 characters", id="too-short-7"),
    pytest.param("Qz7!" * 8 + "Q", "must be 8 to 32 characters", id="too-long-33"),
    pytest.param("Quixotic!Zebra", "one letter and one digit", id="no-digit"),
    pytest.param("9!0@7#5$3", "one letter and one digit", id="no-letter"),
    pytest.param("zebra7quix", "uppercase letter or one of", id="no-uppercase-or-special"),
    pytest.param("Zebraaa7Q", "three times in a row", id="aaa"),
    pytest.param("Zebra7!QQQ", "three times in a row", id="QQQ"),
    pytest.param("Zeb7!Quix111", "three times in a row", id="111"),
    pytest.param("Zabc7!Quix", "three sequential", id="abc"),
    pytest.param("Zebra123!Q", "three sequential", id="123"),
    pytest.param("Zcba7!Quix", "three sequential", id="cba"),
    pytest.param("ZXYz7!Quix", "three sequential", id="XYz-mixed-case"),
    pytest.param("Zeb7!Qu987", "three sequential", id="987"),
    pytest.param("Xq2201!Kz", "extension number", id="contains-extension"),
    pytest.param("xGRACE7!q", "user's name", id="contains-first-name-uppercased"),
    pytest.param("hopPER7!Q", "user's name", id="contains-last-name-mixed-case"),
    pytest.param("GH.Admiral7", "email", id="contains-email-local-part"),
]


@pytest.mark.parametrize(("password", "rule"), PASSWORD_CASES)
def test_password_rules(run, account: Path, tmp_path: Path, password: str, rule: str) -> None:
    before = account.read_bytes()
    result = run(*assign_args(tmp_path, password=password))
    check_refused(result, account, before, 3, "password:", rule)
    assert password not in result.err  # a refused secret is never echoed


def test_password_may_contain_a_short_name(run, account: Path, tmp_path: Path) -> None:
    """Names and local parts shorter than 3 characters are not checked."""
    result = run(
        *assign_args(
            tmp_path, first_name="Al", last_name="Bo", email="xy@example.com", password="Al7!Bo9xy"
        )
    )
    assert result.code == 0, result.err


PIN_CASES = [
    pytest.param("58204", {}, "6 to 10 digits", id="5-digits"),
    pytest.param("58204173962", {}, "6 to 10 digits", id="11-digits"),
    pytest.param("58204a", {}, "6 to 10 digits", id="letters"),
    pytest.param("582 041", {}, "6 to 10 digits", id="space"),
    pytest.param("581234", {}, "4 sequential digits", id="1234-inside"),
    pytest.param("578902", {}, "4 sequential digits", id="7890"),
    pytest.param("943217", {}, "4 sequential digits", id="4321"),
    pytest.param("582229", {}, "three times in a row", id="222"),
    pytest.param("050505", {}, "repeating pattern", id="050505"),
    pytest.param("121212", {}, "repeating pattern", id="121212"),
    pytest.param("58205820", {}, "repeating pattern", id="58205820"),
    pytest.param("922017", {}, "extension number", id="contains-extension-2201"),
    pytest.param(
        "9365827",
        {"contact_phone": "+1 212 736 5827"},
        "last 6 digits of a phone",
        id="contains-contact-phone",
    ),
    pytest.param(
        "365827",
        {"mobile_phone": "(212) 736-5827"},
        "last 6 digits of a phone",
        id="contains-mobile-phone",
    ),
]


@pytest.mark.parametrize(("pin", "extra", "rule"), PIN_CASES)
def test_pin_rules(
    run, account: Path, tmp_path: Path, pin: str, extra: dict[str, str], rule: str
) -> None:
    before = account.read_bytes()
    result = run(*assign_args(tmp_path, pin=pin, **extra))
    check_refused(result, account, before, 3, "PIN:", rule)
    examples = "(050505, 121212)"  # the rule's own examples, shown in its message
    assert pin not in result.err.replace(examples, "")  # a refused secret is never echoed


def test_pin_may_contain_a_two_digit_extension_number(run, account: Path, tmp_path: Path) -> None:
    """The extension rule applies from 3 digits: extension 42 and a PIN holding 42 is fine."""
    assert run("extension", "add", "42").code == 0
    result = run(*assign_args(tmp_path, number="42", pin="5842071"))
    assert result.code == 0, result.err


OTHER_CASES = [
    # (changes, exit code, field, rule)
    pytest.param({"answer": "cat"}, 3, "security answer:", "at least 5", id="answer-3-chars"),
    pytest.param({"answer": "  a   b  "}, 3, "security answer:", "at least 5", id="answer-spaces"),
    pytest.param(
        {"security_question": "What is your favourite colour?"},
        3,
        "security question:",
        "is not one of",
        id="question-text",
    ),
    pytest.param(
        {"security_question": "11"}, 3, "security question:", "is not one of", id="question-11"
    ),
    pytest.param(
        {"security_question": "0"}, 3, "security question:", "is not one of", id="question-0"
    ),
    pytest.param(
        {"security_question": "¹"},
        3,
        "security question:",
        "is not one of",
        id="question-superscript-one",
    ),
    pytest.param({"first_name": "   "}, 3, "first name:", "is required", id="first-name-blank"),
    pytest.param(
        {"first_name": "G" * 65}, 3, "first name:", "at most 64", id="first-name-65-chars"
    ),
    pytest.param(
        {"first_name": "Grace\x1b[31m"},
        3,
        "first name:",
        "control characters",
        id="first-name-escape",
    ),
    pytest.param({"last_name": "\t"}, 3, "last name:", "is required", id="last-name-blank"),
    pytest.param({"last_name": "H" * 65}, 3, "last name:", "at most 64", id="last-name-65-chars"),
    pytest.param(
        {"last_name": "Hop\rper"},
        3,
        "last name:",
        "control characters",
        id="last-name-carriage-return",
    ),
    pytest.param({"email": "not-an-email"}, 3, "email:", "not a valid address", id="email-no-at"),
    pytest.param(
        {"email": "gh@@example.com"}, 3, "email:", "not a valid address", id="email-double-at"
    ),
    pytest.param(
        {"email": "gh admiral@example.com"}, 3, "email:", "not a valid address", id="email-space"
    ),
    pytest.param(
        {"email": "gh@example"}, 3, "email:", "not a valid address", id="email-no-domain-dot"
    ),
    pytest.param(
        {"contact_phone": "12345"}, 3, "contact phone:", "not a valid phone", id="phone-short"
    ),
    pytest.param(
        {"contact_phone": "call me"}, 3, "contact phone:", "not a phone", id="phone-words"
    ),
    pytest.param(
        {"mobile_phone": "+1 800 234 5678"},
        3,
        "mobile phone:",
        "toll-free",
        id="mobile-toll-free-800",
    ),
    pytest.param(
        {"mobile_phone": "(888) 234-5678"},
        3,
        "mobile phone:",
        "toll-free",
        id="mobile-toll-free-888",
    ),
    pytest.param({"job_title": "J" * 65}, 3, "job title:", "at most 64", id="job-title-65"),
    pytest.param({"department": "D" * 65}, 3, "department:", "at most 64", id="department-65"),
    # SPEC section 2 lists "site, role" under exit 4 (not found), not under 3 (invalid value).
    pytest.param({"site": "Nowhere"}, 4, "site 'Nowhere'", "not found", id="site-unknown"),
    pytest.param({"role": "Janitor"}, 4, "role 'Janitor'", "not found", id="role-unknown"),
    pytest.param({"language": "xx-XX"}, 3, "language:", "is not one of", id="language"),
    pytest.param(
        {"greeting_language": "xx-XX"},
        3,
        "greeting language:",
        "is not one of",
        id="greeting-language",
    ),
    pytest.param(
        {"regional_format": "xx-XX"}, 3, "regional format:", "is not one of", id="regional-format"
    ),
    pytest.param({"recording": "sideways"}, 3, "recording:", "is not one of", id="recording"),
    pytest.param({"setup": "someday"}, 3, "setup:", "is not one of", id="setup"),
    pytest.param(
        {"short_extension": "2x1"}, 3, "short extension:", "must be digits", id="short-letters"
    ),
    pytest.param(
        {"number": "101", "short_extension": "911"},
        3,
        "short extension:",
        "reserved emergency",
        id="short-911-main-site",
    ),
    pytest.param(
        {"number": "101", "short_extension": "411"},
        3,
        "short extension:",
        "reserved emergency",
        id="short-411-main-site",
    ),
    pytest.param(
        {"number": "101", "short_extension": "0101"},
        3,
        "short extension:",
        "not an extension number",
        id="short-leading-zero",
    ),
    pytest.param(
        {"short_extension": "202"}, 5, "short extension", "already in use", id="short-in-use"
    ),
    pytest.param(
        {"number": "101", "short_extension": "105"},
        5,
        "short extension",
        "already in use",
        id="short-in-use-main-site",
    ),
]


@pytest.mark.parametrize(("changes", "code", "field", "rule"), OTHER_CASES)
def test_field_rules(
    run,
    account: Path,
    tmp_path: Path,
    changes: dict[str, str],
    code: int,
    field: str,
    rule: str,
) -> None:
    before = account.read_bytes()
    result = run(*assign_args(tmp_path, **changes))
    check_refused(result, account, before, code, field, rule)


@pytest.mark.parametrize("setup", ["invite", "later"])
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "nope"}, "email:"),
        ({"recording": "sideways"}, "recording:"),
        ({"mobile_phone": "+1 800 234 5678"}, "mobile phone:"),
    ],
)
def test_rules_apply_to_every_setup_option(
    run, account: Path, changes: dict[str, str], field: str, setup: str
) -> None:
    before = account.read_bytes()
    args = ["assign", "101", "--setup", setup, "--first-name", "Ada", "--last-name", "Lovelace"]
    values = {"email": "ada@example.com", **changes}
    for key, value in values.items():
        args += [f"--{key.replace('_', '-')}", value]
    result = run(*args)
    check_refused(result, account, before, 3, field, "")


def test_extension_not_found_is_exit_4(run, account: Path, tmp_path: Path) -> None:
    before = account.read_bytes()
    result = run(*assign_args(tmp_path, number="999999"))
    check_refused(result, account, before, 4, "extension 999999", "not found")


def test_extension_argument_must_be_a_number(run, account: Path, tmp_path: Path) -> None:
    before = account.read_bytes()
    result = run(*assign_args(tmp_path, number="1o1"))
    check_refused(result, account, before, 3, "extension:", "not an extension number")


def test_empty_secret_file_is_refused(run, account: Path, tmp_path: Path) -> None:
    before = account.read_bytes()
    args = assign_args(tmp_path)
    (tmp_path / "secrets" / "pin").write_text("\n")
    result = run(*args)
    check_refused(result, account, before, 3, "--pin-file", "empty")


def test_missing_secret_file_is_not_found(run, account: Path, tmp_path: Path) -> None:
    before = account.read_bytes()
    args = assign_args(tmp_path)
    (tmp_path / "secrets" / "answer").unlink()
    result = run(*args)
    check_refused(result, account, before, 4, "--security-answer-file", "not found")
