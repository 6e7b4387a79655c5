"""Invitations that reach someone (issue 14): the activation link's page is the account's own
(`init --activation-url`, `account set --activation-url`); a placeholder page makes every
invite warn and `mail send` keep the message unless told; an invite with no mail server says
where the email is and what to run; `mail show` with no server prints "none"."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ACTIVATION_URL
from tests.helpers import configure_mail
from tests.smtp_server import smtp_server

pytestmark = pytest.mark.timeout(60)

ADA = ("--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@acme.example")


@pytest.fixture
def bare(tmp_path: Path, run: object) -> Path:
    """An account made as the README shows, without an activation page."""
    path = tmp_path / "bare.toml"
    result = run("init", path, "--name", "Acme Corp")  # type: ignore[operator]
    assert result.code == 0, result.err
    assert result.err.endswith(
        "next: set the page your welcome emails link to, before inviting anyone: "
        "`extadmin account set --activation-url URL`\n"
    )
    assert run("extension", "add", "101-103").code == 0  # type: ignore[operator]
    return path


def test_a_placeholder_page_warns_at_invite_and_is_not_sent_unless_told(
    bare: Path, run: object
) -> None:
    with smtp_server() as server:
        configure_mail(run, server.port, "--tls", "none")
        invited = run("assign", "101", "--setup", "invite", *ADA, "--no-input")  # type: ignore[operator]
        assert invited.code == 0, invited.err
        assert (
            "warning: the activation link points to a placeholder address "
            "(https://service.example.com/activate)" in invited.err
        )
        assert "welcome email queued, not delivered: PlaceholderLink:" in invited.err
        refused = run("mail", "send", "--format", "json")  # type: ignore[operator]
        assert refused.code == 1
        (row,) = json.loads(refused.out)
        assert "placeholder address (https://service.example.com/activate)" in row["error"]
        assert "`extadmin activate 101 --invite`" in row["error"]
        assert server.handler.messages == []

        told = run("mail", "send", "--allow-placeholder")  # type: ignore[operator]
        assert told.code == 0, told.err
        assert len(server.handler.messages) == 1


def test_account_set_activation_url_is_used_by_the_next_invitations(
    bare: Path, run: object
) -> None:
    result = run("account", "set", "--activation-url", ACTIVATION_URL)  # type: ignore[operator]
    assert (result.code, result.err) == (0, f"activation url: {ACTIVATION_URL}\n")
    assert tomllib.loads(bare.read_text("utf-8"))["account"]["activation_url"] == ACTIVATION_URL
    with smtp_server() as server:
        configure_mail(run, server.port, "--tls", "none")
        invited = run("assign", "101", "--setup", "invite", *ADA, "--no-input")  # type: ignore[operator]
        assert invited.code == 0 and "warning" not in invited.err, invited.err
        (received,) = server.handler.messages
    body = received.message().get_body(preferencelist=("plain",))
    assert body is not None and f"{ACTIVATION_URL}?extension=101&token=" in body.get_content()


@pytest.mark.parametrize(
    "url",
    ["ftp://phones.acme-widgets.com/a", "https://phones.acme-widgets.com/a?x=1", "not a url"],
)
def test_a_bad_activation_url_is_refused(bare: Path, run: object, url: str) -> None:
    before = bare.read_bytes()
    result = run("account", "set", "--activation-url", url)  # type: ignore[operator]
    assert result.code == 3
    assert result.err.startswith("extadmin: error: activation url:") and result.err.count("\n") == 1
    assert bare.read_bytes() == before


def test_init_takes_the_activation_url(tmp_path: Path, run: object) -> None:
    path = tmp_path / "acme.json"
    result = run("init", path, "--name", "Acme", "--activation-url", ACTIVATION_URL)  # type: ignore[operator]
    assert result.code == 0 and "next:" not in result.err
    assert json.loads(path.read_text("utf-8"))["account"]["activation_url"] == ACTIVATION_URL


def test_setting_a_placeholder_page_warns(bare: Path, run: object) -> None:
    result = run("account", "set", "--activation-url", "https://intranet.example.org/go")  # type: ignore[operator]
    assert result.code == 0
    assert "warning: the activation link points to a placeholder address" in result.err


def test_an_invite_without_a_mail_server_says_where_it_is_and_what_to_run(
    account: Path, run: object
) -> None:
    result = run("assign", "101", "--setup", "invite", *ADA, "--no-input")  # type: ignore[operator]
    assert result.code == 0
    outbox = account.with_name("acme.outbox")
    assert (
        f"welcome email(s) queued in {outbox}: no mail server is configured; run "
        "`extadmin mail configure`, then `extadmin mail send`\n"
    ) in result.err
    assert "warning" not in result.err


def test_mail_show_without_a_server_prints_none(account: Path, run: object) -> None:
    result = run("mail", "show")  # type: ignore[operator]
    assert (result.code, result.out) == (0, "none\n")
    as_json = run("mail", "show", "--format", "json")  # type: ignore[operator]
    assert json.loads(as_json.out) == {}
