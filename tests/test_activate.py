"""`activate`: an invited user activates with the token from the welcome email and sets their
credentials (single use, expiring); a user set up "later" is activated by an administrator, who
assigns credentials or sends the invite."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import tomli_w

from extadmin.domain.catalog import SECURITY_QUESTIONS
from extadmin.domain.hashing import hash_token, verify_secret
from extadmin.domain.rules import normalise_answer
from tests.helpers import ADA, audit, credential_flags, load, queued_files, stored

PASSWORD, PIN, ANSWER = "Kiwi9#Plum", "7305928164", "Marble Arch Road"


def plain_text(eml: Path) -> str:
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    text: str = part.get_content()
    return text


def token_from(eml: Path) -> str:
    """What the user does: open the email, follow the link; the token is its token= value."""
    text = plain_text(eml)
    match = re.search(r"[?&]token=([^&\s]+)", text)
    assert match, text
    return unquote(match.group(1))


@pytest.fixture
def creds(tmp_path: Path) -> list[str]:
    return credential_flags(tmp_path / "creds", PASSWORD, PIN, ANSWER, "2")


@pytest.fixture
def invited(run, account: Path, tmp_path: Path) -> Path:
    """Ada invited on 101; returns the file holding the token from her welcome email."""
    result = run("assign", "101", "--setup", "invite", *ADA)
    assert result.code == 0, result.err
    (eml,) = queued_files(account)
    token_file = tmp_path / "token"
    token_file.write_text(token_from(eml) + "\n")
    return token_file


def check_enabled_with(account: Path, number: str, *, temporary: bool) -> dict[str, Any]:
    found = stored(account, number)
    assert found["status"] == "enabled"
    user = found["user"]
    assert "activation" not in user
    kept = user["credentials"]
    for key in ("password_hash", "pin_hash", "security_answer_hash"):
        assert kept[key].startswith("scrypt$n="), key
    assert verify_secret(PASSWORD, kept["password_hash"])
    assert verify_secret(PIN, kept["pin_hash"])
    assert verify_secret(normalise_answer(ANSWER), kept["security_answer_hash"])
    assert kept["security_question"] == SECURITY_QUESTIONS[1]
    assert kept["temporary_password"] is temporary
    return user


# --- with the token ---------------------------------------------------------------------------


def test_invited_user_activates_with_the_token(
    run, account: Path, invited: Path, creds: list[str]
) -> None:
    result = run("activate", "101", "--token-file", invited, *creds, "--format", "json")

    assert result.code == 0, result.err
    assert "extension 101 activated" in result.err
    user = check_enabled_with(account, "101", temporary=False)  # the user chose it
    assert user["setup"] == "invite"
    shown = json.loads(result.out)
    assert shown["status"] == "enabled"
    assert shown["user"]["password_set"] is True and shown["user"]["pin_set"] is True
    assert shown["user"]["invite_expires_at"] is None
    last = audit(account)[-1]
    assert (last["action"], last["extension"]) == ("activate", "101")
    assert last["changes"] == {"status": "enabled", "via": "token", "credentials": "set"}


def test_token_from_standard_input(run, account: Path, invited: Path, creds: list[str]) -> None:
    result = run("activate", "101", "--token-file", "-", *creds, stdin=invited.read_text())
    assert result.code == 0, result.err
    check_enabled_with(account, "101", temporary=False)


def test_token_works_once(run, account: Path, invited: Path, creds: list[str]) -> None:
    assert run("activate", "101", "--token-file", invited, *creds).code == 0
    before = account.read_bytes()

    again = run("activate", "101", "--token-file", invited, *creds)
    assert again.code == 5, again.err
    assert again.err == "extadmin: error: extension 101 is enabled, not waiting for activation\n"
    assert account.read_bytes() == before


def test_a_new_invite_replaces_the_old_token(
    run, account: Path, invited: Path, creds: list[str], tmp_path: Path
) -> None:
    first_hash = stored(account, "101")["user"]["activation"]["token_hash"]
    renewed = run("activate", "101", "--invite")
    assert renewed.code == 0, renewed.err
    assert "invitation for extension 101: queued (`extadmin mail send`)" in renewed.err
    activation = stored(account, "101")["user"]["activation"]
    assert activation["token_hash"] != first_hash
    by_hash = {hash_token(token_from(eml)): eml for eml in queued_files(account)}
    # the email with the dead link left the queue: `mail send` delivers only the new one
    assert set(by_hash) == {activation["token_hash"]}
    new_eml = by_hash[activation["token_hash"]]
    before = account.read_bytes()

    stale = run("activate", "101", "--token-file", invited, *creds)
    assert stale.code == 3, stale.err
    assert stale.err.startswith("extadmin: error: token: does not match")
    assert account.read_bytes() == before

    (tmp_path / "new-token").write_text(token_from(new_eml))
    fresh = run("activate", "101", "--token-file", tmp_path / "new-token", *creds)
    assert fresh.code == 0, fresh.err
    check_enabled_with(account, "101", temporary=False)


def test_expired_token_is_refused(run, account: Path, invited: Path, creds: list[str]) -> None:
    doc = load(account)
    (target,) = [e for e in doc["extensions"] if e["number"] == "101"]
    past = datetime.now(UTC) - timedelta(minutes=1)
    target["user"]["activation"]["expires_at"] = past.isoformat(timespec="seconds")
    account.write_text(tomli_w.dumps(doc), "utf-8")
    before = account.read_bytes()

    result = run("activate", "101", "--token-file", invited, *creds)

    assert result.code == 3, result.err
    assert result.err.startswith("extadmin: error: token: expired on ")
    assert "extadmin activate NUMBER --invite" in result.err
    assert len(result.err.splitlines()) == 1
    assert account.read_bytes() == before
    assert stored(account, "101")["status"] == "not-activated"


def test_token_expires_after_seven_days_by_default(run, account: Path, invited: Path) -> None:
    expires = datetime.fromisoformat(stored(account, "101")["user"]["activation"]["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)


@pytest.mark.parametrize(
    "token",
    ["wrong-token", "x" * 43, "", "token with spaces"],
    ids=["wrong", "same-length", "empty-line", "spaces"],
)
def test_wrong_token_is_refused(
    run, account: Path, invited: Path, creds: list[str], tmp_path: Path, token: str
) -> None:
    (tmp_path / "bad-token").write_text(token + "\n" if token else "\n")
    before = account.read_bytes()
    result = run("activate", "101", "--token-file", tmp_path / "bad-token", *creds)
    assert result.code == 3, result.err
    assert len(result.err.splitlines()) == 1 and "Traceback" not in result.err
    assert account.read_bytes() == before
    # the real token still works afterwards
    assert run("activate", "101", "--token-file", invited, *creds).code == 0


def test_invited_user_needs_the_token(run, account: Path, invited: Path, creds: list[str]) -> None:
    before = account.read_bytes()
    result = run("activate", "101", *creds)
    assert result.code == 2
    assert result.err == "extadmin: error: missing --token-file (required without prompting)\n"
    assert account.read_bytes() == before


def test_activation_names_the_missing_credentials(run, account: Path, invited: Path) -> None:
    before = account.read_bytes()
    result = run("activate", "101", "--token-file", invited)
    assert result.code == 2
    assert result.err == (
        "extadmin: error: missing --password-file, --pin-file, --security-question, "
        "--security-answer-file (required without prompting)\n"
    )
    assert account.read_bytes() == before


def test_activation_credentials_follow_the_rules(
    run, account: Path, invited: Path, tmp_path: Path, creds: list[str]
) -> None:
    (tmp_path / "weak-pin").write_text("101101\n")  # contains extension 101, and repeats
    args = list(creds)
    args[args.index("--pin-file") + 1] = str(tmp_path / "weak-pin")
    before = account.read_bytes()
    result = run("activate", "101", "--token-file", invited, *args)
    assert result.code == 3
    assert result.err.startswith("extadmin: error: PIN: ")
    assert account.read_bytes() == before
    # nothing was spent: the token still works with good credentials
    assert run("activate", "101", "--token-file", invited, *creds).code == 0


# --- activate later ---------------------------------------------------------------------------


@pytest.fixture
def later(run, account: Path) -> None:
    result = run("assign", "104", "--setup", "later", *ADA)
    assert result.code == 0, result.err


def test_later_user_is_activated_by_an_administrator(
    run, account: Path, later: None, creds: list[str]
) -> None:
    result = run("activate", "104", *creds)

    assert result.code == 0, result.err
    user = check_enabled_with(account, "104", temporary=True)  # set by an admin: change it
    assert user["setup"] == "later"
    assert queued_files(account) == []  # still no email of any kind
    last = audit(account)[-1]
    assert last["changes"]["via"] == "administrator"


def test_later_user_gets_the_invite_on_request(
    run, account: Path, later: None, creds: list[str], tmp_path: Path
) -> None:
    result = run("activate", "104", "--invite", "--format", "json")

    assert result.code == 0, result.err
    assert "invitation for extension 104: queued (`extadmin mail send`)" in result.err
    found = stored(account, "104")
    assert found["status"] == "not-activated"
    assert found["user"]["setup"] == "invite"
    assert "credentials" not in found["user"]
    (eml,) = queued_files(account)
    token = token_from(eml)
    assert hash_token(token) == found["user"]["activation"]["token_hash"]
    assert "extension=104&token=" in plain_text(eml)
    assert json.loads(result.out)["welcome_email"]["to"] == "Ada Lovelace <ada@example.com>"

    # and from then on the user activates with the token
    (tmp_path / "token").write_text(token)
    done = run("activate", "104", "--token-file", tmp_path / "token", *creds)
    assert done.code == 0, done.err
    check_enabled_with(account, "104", temporary=False)


def test_invite_takes_no_credentials(run, account: Path, later: None, creds: list[str]) -> None:
    before = account.read_bytes()
    result = run("activate", "104", "--invite", *creds)
    assert result.code == 2
    assert "--invite takes no credentials" in result.err
    assert account.read_bytes() == before
    assert queued_files(account) == []


# --- nothing to activate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("102", 5, "extension 102 is unassigned, not waiting for activation"),
        ("4242", 4, "extension 4242 not found"),
        ("9x9", 3, "extension: '9x9' is not an extension number"),
    ],
)
def test_only_a_pending_extension_can_be_activated(
    run, account: Path, creds: list[str], number: str, code: int, message: str
) -> None:
    before = account.read_bytes()
    for args in ((number, *creds), (number, "--invite")):
        result = run("activate", *args)
        assert result.code == code, result.err
        assert message in result.err
        assert account.read_bytes() == before


def test_an_enabled_user_gets_no_invite(run, account: Path, creds: list[str]) -> None:
    assert run("assign", "101", "--setup", "credentials", *ADA, *creds).code == 0
    before = account.read_bytes()
    result = run("activate", "101", "--invite")
    assert result.code == 5
    assert "extension 101 is enabled, not waiting for activation" in result.err
    assert account.read_bytes() == before
    assert queued_files(account) == []


def test_unassigning_an_invited_user_drops_the_queued_invitation(
    run, account: Path, invited: Path
) -> None:
    assert len(queued_files(account)) == 1
    result = run("unassign", "101", "--yes")
    assert result.code == 0, result.err
    assert queued_files(account) == []  # no activation link for a user who is gone
    assert run("mail", "queue", "--format", "json").out.strip() == "[]"
