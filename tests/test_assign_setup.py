"""`assign` by flags: the three setup options and what each one stores, queues and shows.

SPEC section 1, "Setup options": invite -> not-activated + one welcome email, no credentials;
credentials -> enabled + hashed password/PIN/answer, no email; later -> not-activated, nothing
sent, no credentials."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from extadmin.domain.catalog import SECURITY_QUESTIONS
from extadmin.domain.hashing import hash_token, verify_secret
from extadmin.domain.rules import normalise_answer
from tests.helpers import ADA, credential_flags, load, outbox, queued_files, stored

PASSWORD = "Zebra7!Quix"
PIN = "5820417396"
ANSWER = "Fluffy the Cat"


@pytest.fixture
def creds(tmp_path: Path) -> list[str]:
    """The credentials flags, secrets in files (never on the command line)."""
    return credential_flags(tmp_path / "secrets", PASSWORD, PIN, ANSWER, "2")


def all_messages(account: Path) -> list[Path]:
    return sorted(outbox(account).rglob("*.eml"))


def parse(path: Path) -> EmailMessage:
    """The stdlib parser on the decoded text: headers may hold raw UTF-8 (RFC 6532, an
    internationalised address), which the bytes parser leaves as surrogate escapes."""
    msg = Parser(policy=policy.default).parsestr(path.read_bytes().decode("utf-8"))
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_type() == f"text/{subtype}"
    content = part.get_content()
    assert isinstance(content, str)
    return content


# --- invite -----------------------------------------------------------------------------------


def test_invite_stores_not_activated_without_credentials(run, account: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    result = run("assign", "101", "--setup", "invite", *ADA)

    assert result.code == 0, result.err
    assert "assigned extension 101 to Ada Lovelace (not-activated)" in result.err
    ext = stored(account, "101")
    assert ext["status"] == "not-activated"
    user = ext["user"]
    assert (user["first_name"], user["last_name"], user["email"]) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert user["setup"] == "invite"
    assert user["role"] == "Standard User (International)"
    assert (user["language"], user["greeting_language"], user["regional_format"]) == (
        "en-US",
        "en-US",
        "en-US",
    )
    assert user["recording"] == "off"
    assert "credentials" not in user
    activation = user["activation"]
    assert activation["token_hash"].startswith("sha256$")
    expires = datetime.fromisoformat(activation["expires_at"])
    assert before + timedelta(days=7) <= expires <= datetime.now(UTC) + timedelta(days=7)


def test_invite_queues_exactly_one_welcome_email(run, account: Path) -> None:
    result = run("assign", "101", "--setup", "invite", *ADA)
    assert result.code == 0, result.err

    messages = all_messages(account)
    assert messages == queued_files(account)  # queued, not sent: no mail server
    assert len(messages) == 1
    msg = parse(messages[0])
    assert msg.is_multipart()
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    (to,) = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Ada Lovelace", "ada@example.com")
    assert msg["Subject"] == "Welcome to Acme Corp: activate your phone account"
    assert msg["Date"] and msg["Message-ID"] and msg["From"]

    plain = text_of(msg, "plain")
    assert plain.startswith("Hello Ada,\n")
    assert "An account has been set up for you at Acme Corp: extension 101." in plain
    (link,) = re.findall(r"https?://\S+", plain)
    query = parse_qs(urlsplit(link).query)
    assert query["extension"] == ["101"]
    (token,) = query["token"]
    activation = stored(account, "101")["user"]["activation"]
    assert hash_token(token) == activation["token_hash"]  # the link carries the live token
    expires = datetime.fromisoformat(activation["expires_at"]).strftime("%Y-%m-%d %H:%M UTC")
    assert f"This link can be used once and expires on {expires}." in plain

    html = text_of(msg, "html")
    assert [unescape(h) for h in re.findall(r'href="([^"]+)"', html)] == [link]
    assert f"expires on {expires}" in html
    assert "Hello Ada," in html


def test_invite_in_french_for_a_french_user(run, account: Path) -> None:
    result = run("assign", "101", "--setup", "invite", *ADA, "--language", "fr-FR")
    assert result.code == 0, result.err

    assert stored(account, "101")["user"]["language"] == "fr-FR"
    (path,) = all_messages(account)
    msg = parse(path)
    assert msg["Subject"] == "Bienvenue chez Acme Corp : activez votre compte téléphonique"
    assert msg["Content-Language"] == "fr-FR"
    plain = text_of(msg, "plain")
    assert plain.startswith("Bonjour Ada,\n")
    assert "Un compte a été créé pour vous chez Acme Corp : poste 101." in plain
    assert "Ce lien ne peut servir qu'une fois et expire le " in plain
    assert "token=" in plain and "extension=101" in plain
    assert "Hello" not in plain
    html = text_of(msg, "html")
    assert 'lang="fr-FR"' in html and "Activer votre compte" in html


def test_invite_to_a_language_without_translation_falls_back_to_english(run, account: Path) -> None:
    result = run("assign", "101", "--setup", "invite", *ADA, "--language", "ja-JP")
    assert result.code == 0, result.err
    (path,) = all_messages(account)
    assert parse(path)["Subject"] == "Welcome to Acme Corp: activate your phone account"


@pytest.mark.parametrize(
    ("first", "last", "email"),
    [
        pytest.param("Jean", 'O"Neil', "jean@example.com", id="quote-in-name"),
        pytest.param("Zoë", "Åberg", "zoe@example.com", id="non-ascii-name"),
        pytest.param("Zoë", "Åberg", "zoë@example.com", id="non-ascii-address"),
    ],
)
def test_welcome_email_is_addressed_to_the_user_as_written(
    run, account: Path, first: str, last: str, email: str
) -> None:
    result = run(
        "assign",
        "101",
        "--setup",
        "invite",
        "--first-name",
        first,
        "--last-name",
        last,
        "--email",
        email,
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    assert "internal error" not in result.err
    (path,) = all_messages(account)
    (to,) = parse(path)["To"].addresses
    assert (to.display_name, to.addr_spec) == (f"{first} {last}", email)
    assert text_of(parse(path), "plain").startswith(f"Hello {first},\n")
    shown = json.loads(result.out)["welcome_email"]["to"]  # readable, not MIME-encoded
    assert f"{first} " in shown and email in shown and "=?" not in shown


# --- credentials ------------------------------------------------------------------------------


def test_credentials_enable_the_user_with_hashed_secrets_and_no_email(
    run, account: Path, creds: list[str]
) -> None:
    result = run("assign", "101", "--setup", "credentials", *ADA, *creds)

    assert result.code == 0, result.err
    assert "assigned extension 101 to Ada Lovelace (enabled)" in result.err
    ext = stored(account, "101")
    assert ext["status"] == "enabled"
    user = ext["user"]
    assert user["setup"] == "credentials"
    assert "activation" not in user
    creds = user["credentials"]
    for key in ("password_hash", "pin_hash", "security_answer_hash"):
        assert creds[key].startswith("scrypt$n="), key
    assert verify_secret(PASSWORD, creds["password_hash"])
    assert verify_secret(PIN, creds["pin_hash"])
    assert verify_secret(normalise_answer(ANSWER), creds["security_answer_hash"])
    assert verify_secret("fluffy the cat", creds["security_answer_hash"])  # case-insensitive
    assert not verify_secret("Zebra7!Quiz", creds["password_hash"])
    assert not verify_secret(PASSWORD, creds["pin_hash"])
    assert creds["security_question"] == SECURITY_QUESTIONS[1]
    assert creds["temporary_password"] is True  # the default: change at first login
    assert all_messages(account) == []


def test_credentials_without_temporary_password(run, account: Path, creds: list[str]) -> None:
    result = run(
        "assign",
        "101",
        "--setup",
        "credentials",
        *ADA,
        *creds,
        "--no-temporary-password",
    )
    assert result.code == 0, result.err
    assert stored(account, "101")["user"]["credentials"]["temporary_password"] is False


def test_security_question_by_its_text(run, account: Path, creds: list[str]) -> None:
    args = list(creds)
    args[args.index("--security-question") + 1] = SECURITY_QUESTIONS[4].upper()
    result = run("assign", "101", "--setup", "credentials", *ADA, *args)
    assert result.code == 0, result.err
    assert (
        stored(account, "101")["user"]["credentials"]["security_question"]
        == (SECURITY_QUESTIONS[4])
    )


def test_a_secret_read_from_standard_input(run, account: Path, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(PASSWORD)
    (tmp_path / "pin").write_text(PIN)
    result = run(
        "assign",
        "101",
        "--setup",
        "credentials",
        *ADA,
        "--password-file",
        tmp_path / "pw",
        "--pin-file",
        tmp_path / "pin",
        "--security-question",
        "1",
        "--security-answer-file",
        "-",
        stdin="Rex the dog\n",
    )
    assert result.code == 0, result.err
    creds = stored(account, "101")["user"]["credentials"]
    assert verify_secret("rex the dog", creds["security_answer_hash"])
    assert verify_secret(PASSWORD, creds["password_hash"])


def test_only_one_secret_may_come_from_standard_input(run, account: Path) -> None:
    before = account.read_bytes()
    result = run(
        "assign",
        "101",
        "--setup",
        "credentials",
        *ADA,
        "--password-file",
        "-",
        "--pin-file",
        "-",
        "--security-question",
        "1",
        "--security-answer-file",
        "-",
        stdin=PASSWORD + "\n",
    )
    assert result.code == 2
    assert "may read standard input" in result.err
    assert account.read_bytes() == before


# --- later ------------------------------------------------------------------------------------


def test_later_stores_not_activated_and_sends_nothing(run, account: Path) -> None:
    result = run("assign", "101", "--setup", "later", *ADA)

    assert result.code == 0, result.err
    assert "assigned extension 101 to Ada Lovelace (not-activated)" in result.err
    ext = stored(account, "101")
    assert ext["status"] == "not-activated"
    assert ext["user"]["setup"] == "later"
    assert "credentials" not in ext["user"]
    assert "activation" not in ext["user"]
    assert not outbox(account).exists() or all_messages(account) == []


@pytest.mark.parametrize("setup", ["invite", "later"])
def test_secrets_are_refused_without_setup_credentials(
    run, account: Path, creds: list[str], setup: str
) -> None:
    before = account.read_bytes()
    result = run("assign", "101", "--setup", setup, *ADA, *creds)
    assert result.code == 3
    assert result.err == (
        f"extadmin: error: password: is set only with setup credentials, not {setup}\n"
    )
    assert account.read_bytes() == before


# --- the other settings -----------------------------------------------------------------------


def test_every_setting_is_stored_normalised(run, account: Path) -> None:
    result = run(
        "assign",
        "2201",
        "--setup",
        "later",
        "--first-name",
        "  Grace ",
        "--last-name",
        "Hopper",
        "--email",
        "Grace.Hopper@EXAMPLE.com",
        "--short-extension",
        "204",
        "--contact-phone",
        "(212) 736-5827",
        "--mobile-phone",
        "+1 415 823 9647",
        "--job-title",
        "Rear Admiral",
        "--department",
        "Navy",
        "--role",
        "manager",
        "--language",
        "de-DE",
        "--greeting-language",
        "fr-CA",
        "--regional-format",
        "en-GB",
        "--recording",
        "both",
    )
    assert result.code == 0, result.err
    doc = load(account)
    assert "2201" not in [e["number"] for e in doc["extensions"]]
    ext = stored(account, "2204")  # site code 2 + short extension 204
    assert ext["site"] == "Boston"
    assert ext["status"] == "not-activated"
    assert ext["user"] == {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "Grace.Hopper@example.com",
        "contact_phone": "+12127365827",
        "mobile_phone": "+14158239647",
        "job_title": "Rear Admiral",
        "department": "Navy",
        "role": "Manager",
        "language": "de-DE",
        "greeting_language": "fr-CA",
        "regional_format": "en-GB",
        "recording": "both",
        "setup": "later",
        "created_at": ext["user"]["created_at"],
    }


def test_site_change_renumbers_on_the_new_site(run, account: Path) -> None:
    result = run("assign", "2202", "--setup", "later", *ADA, "--site", "main site")
    assert result.code == 0, result.err
    ext = stored(account, "202")  # Main Site has no code: the short number alone
    assert ext["site"] == "Main Site"
    assert ext["user"]["email"] == "ada@example.com"


# --- output -----------------------------------------------------------------------------------


def test_json_result_is_the_saved_extension_without_secrets(
    run, account: Path, creds: list[str]
) -> None:
    result = run("assign", "101", "--setup", "credentials", *ADA, *creds, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["extension"] == "101"
    assert data["status"] == "enabled"
    assert data["site"] == "Main Site"
    user = data["user"]
    assert {k: user[k] for k in ("first_name", "last_name", "email", "role", "recording")} == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "role": "Standard User (International)",
        "recording": "off",
    }
    assert user["password_set"] is True and user["pin_set"] is True
    for secret in (PASSWORD, PIN, ANSWER, ANSWER.casefold()):
        assert secret not in result.out
    assert "hash" not in result.out
    assert "scrypt" not in result.out


def test_json_result_of_an_invite_names_the_queued_email(run, account: Path) -> None:
    result = run("assign", "101", "--setup", "invite", *ADA, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["status"] == "not-activated"
    (path,) = all_messages(account)
    assert data["welcome_email"] == {
        "to": "Ada Lovelace <ada@example.com>",
        "file": str(path),
        "delivered": False,
        "error": None,
    }
    assert "token" not in result.out


def test_table_result_shows_the_saved_fields(run, account: Path) -> None:
    result = run("assign", "101", "--setup", "later", *ADA, "--job-title", "Analyst")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert any(re.fullmatch(r"Status\s+not-activated\s*", line) for line in lines)
    assert any(re.fullmatch(r"Email address\s+ada@example\.com\s*", line) for line in lines)
    assert any(re.fullmatch(r"Job title\s+Analyst\s*", line) for line in lines)


def test_extension_show_after_assign_has_flags_but_no_hashes(
    run, account: Path, creds: list[str]
) -> None:
    assert run("assign", "101", "--setup", "credentials", *ADA, *creds).code == 0
    result = run("extension", "show", "101", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["extension"] == "101" and data["status"] == "enabled"
    user = data["user"]
    assert user["first_name"] == "Ada" and user["email"] == "ada@example.com"
    assert user["password_set"] is True
    assert user["pin_set"] is True
    assert user["temporary_password"] is True
    assert user["security_question"] == SECURITY_QUESTIONS[1]
    assert "credentials" not in user
    assert "hash" not in result.out and "scrypt" not in result.out
    for secret in (PASSWORD, PIN, ANSWER):
        assert secret not in result.out


def test_extension_show_after_later_has_nothing_set(run, account: Path) -> None:
    assert run("assign", "101", "--setup", "later", *ADA).code == 0
    user = json.loads(run("extension", "show", "101", "--format", "json").out)["user"]
    assert (user["password_set"], user["pin_set"], user["temporary_password"]) == (
        False,
        False,
        False,
    )
    assert user["security_question"] is None


# --- dry run ----------------------------------------------------------------------------------


def test_dry_run_invite_writes_nothing_and_shows_the_plan(run, account: Path) -> None:
    audit = account.with_name("acme.audit.jsonl")
    before, audit_before = account.read_bytes(), audit.read_bytes()
    result = run("assign", "101", "--setup", "invite", *ADA, "--dry-run")

    assert result.code == 0, result.err
    assert "dry run: nothing was written" in result.err
    assert "Ada" in result.out and "Lovelace" in result.out
    assert "not-activated" in result.out and "invite" in result.out
    assert account.read_bytes() == before
    assert audit.read_bytes() == audit_before
    assert not outbox(account).exists()


def test_dry_run_json_with_credentials_writes_nothing(run, account: Path, creds: list[str]) -> None:
    before = account.read_bytes()
    result = run(
        "assign",
        "101",
        "--setup",
        "credentials",
        *ADA,
        *creds,
        "--dry-run",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["dry_run"] is True
    assert (data["extension"], data["status"], data["site"]) == ("101", "enabled", "Main Site")
    assert data["user"]["email"] == "ada@example.com"
    assert data["user"]["security_question"] == SECURITY_QUESTIONS[1]
    for secret in (PASSWORD, PIN, ANSWER):
        assert secret not in result.out + result.err
    assert account.read_bytes() == before
    assert stored(account, "101")["status"] == "unassigned"


def test_dry_run_still_validates(run, account: Path) -> None:
    before = account.read_bytes()
    result = run("assign", "101", "--setup", "later", *ADA[:4], "--email", "nope", "--dry-run")
    assert result.code == 3
    assert result.err.startswith("extadmin: error: email:")
    assert result.out == ""
    assert account.read_bytes() == before
