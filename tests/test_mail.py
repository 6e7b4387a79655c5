"""Welcome emails over real SMTP (an aiosmtpd server on loopback, inside the test): delivered
when the server accepts; kept in the queue with the error when it refuses or is down, the
assignment saved all the same; `mail send` retries the queue."""

from __future__ import annotations

import json
import re
import stat
import tomllib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from extadmin.domain.hashing import hash_token
from tests.helpers import ADA, configure_mail, outbox, queued_files
from tests.smtp_server import free_port, smtp_server, trusted_tls

pytestmark = pytest.mark.timeout(60)

SENDER = "it@acme.example"


def ext_101(account: Path) -> dict[str, Any]:
    doc = tomllib.loads(account.read_text("utf-8"))
    (ext,) = [e for e in doc["extensions"] if e["number"] == "101"]
    return ext


def sent(account: Path) -> list[Path]:
    return sorted((outbox(account) / "sent").glob("*.eml"))


def parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def token_in(msg: EmailMessage) -> str:
    text = msg.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+", text)
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token


def shown_tls(run) -> str:
    result = run("mail", "show", "--format", "json")
    assert result.code == 0, result.err
    return str(json.loads(result.out)["tls"])


def queue_json(run) -> list[dict[str, Any]]:
    result = run("mail", "queue", "--format", "json")
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = json.loads(result.out)
    return rows


def test_invite_is_delivered_by_the_configured_server(run, account: Path) -> None:
    with smtp_server() as server:
        configure_mail(run, server.port, "--tls", "none")
        result = run("assign", "101", "--setup", "invite", *ADA, "--format", "json")

        assert result.code == 0, result.err
        assert "warning" not in result.err
        assert len(server.handler.messages) == 1
    received = server.handler.messages[0]
    assert received.mail_from == SENDER
    assert received.rcpt_tos == ["ada@example.com"]
    msg = received.message()
    assert msg["From"] == SENDER
    assert msg["To"].addresses[0].addr_spec == "ada@example.com"
    assert msg["Subject"] == "Welcome to Acme Corp: activate your phone account"
    assert hash_token(token_in(msg)) == ext_101(account)["user"]["activation"]["token_hash"]

    assert queued_files(account) == []
    (path,) = sent(account)
    assert parse(path.read_bytes())["Message-ID"] == msg["Message-ID"]
    assert json.loads(result.out)["welcome_email"] == {
        "to": "Ada Lovelace <ada@example.com>",
        "file": str(path),
        "delivered": True,
        "error": None,
    }
    assert ext_101(account)["status"] == "not-activated"
    assert queue_json(run) == []


def test_no_starttls_means_no_login_and_no_message(run, account: Path, monkeypatch) -> None:
    """The default is --tls starttls, and it is required: a server that does not offer it (but
    offers AUTH in clear, as a careless one does) sees no login and no message."""
    monkeypatch.setenv("EXTADMIN_SMTP_PASSWORD", "smtp-password-1")
    with smtp_server() as server:
        configure_mail(run, server.port, "--username", "mailer")
        assert shown_tls(run) == "starttls"
        result = run("assign", "101", "--setup", "invite", *ADA)
        assert result.code == 0, result.err
        assert "does not offer STARTTLS; nothing was sent in clear text" in result.err
        sending = run("mail", "send")
        assert server.logins == [] and server.handler.messages == []
    assert sending.code == 1
    assert "delivered 0, still queued 1" in sending.err
    assert "InsecureServer: 127.0.0.1:" in sending.out
    assert len(queued_files(account)) == 1 and sent(account) == []


def test_starttls_delivers_encrypted_with_a_verified_certificate(
    run, account: Path, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXTADMIN_SMTP_PASSWORD", "smtp-password-1")
    with trusted_tls(monkeypatch, tmp_path) as tls, smtp_server(tls=tls) as server:
        configure_mail(run, server.port, "--username", "mailer")
        result = run("assign", "101", "--setup", "invite", *ADA)
        assert result.code == 0, result.err
        assert server.logins == [("mailer", "smtp-password-1")]
        assert len(server.handler.messages) == 1
        assert server.handler.tls_sessions == 1
    assert queued_files(account) == [] and len(sent(account)) == 1


def test_implicit_tls_is_the_default_on_port_465_and_delivers(
    run, account: Path, monkeypatch, tmp_path: Path
) -> None:
    assert run(
        "mail", "configure", "--host", "smtp.acme.example", "--port", "465", "--sender", SENDER
    ).code == 0  # fmt: skip
    assert shown_tls(run) == "implicit"
    with trusted_tls(monkeypatch, tmp_path) as tls, smtp_server(tls=tls, implicit=True) as server:
        configure_mail(run, server.port, "--tls", "implicit")
        result = run("assign", "101", "--setup", "invite", *ADA)
        assert result.code == 0, result.err
        assert len(server.handler.messages) == 1
        assert server.handler.tls_sessions == 1
    assert queued_files(account) == []


def test_an_untrusted_certificate_is_refused(run, account: Path, monkeypatch, tmp_path) -> None:
    with trusted_tls(monkeypatch, tmp_path) as tls, smtp_server(tls=tls) as server:
        monkeypatch.delenv("SSL_CERT_FILE")  # the throwaway CA is no longer trusted
        configure_mail(run, server.port)
        assert run("assign", "101", "--setup", "invite", *ADA).code == 0
        assert server.handler.messages == []
    assert "certificate verify failed" in queue_json(run)[0]["error"]


@pytest.mark.parametrize("host", ["smtp.acme.example", "10.0.0.5"])
def test_tls_none_is_refused_for_a_remote_host(run, account: Path, host: str) -> None:
    result = run("mail", "configure", "--host", host, "--sender", SENDER, "--tls", "none")
    assert result.code == 3
    assert result.err.startswith("extadmin: error: tls: none (no encryption) is allowed only")
    assert "mail" not in tomllib.loads(account.read_text("utf-8"))


def test_an_old_file_without_starttls_to_a_remote_host_sends_nothing(run, account: Path) -> None:
    """A version-1 setting `starttls = false` is tls none: refused for a remote host at send
    time too (a hand edit cannot bring the clear-text path back)."""
    text = account.read_text("utf-8")
    account.write_text(
        text + '\n[mail]\nhost = "smtp.acme.example"\nsender = "it@acme.example"\n'
        "starttls = false\n",
        "utf-8",
    )
    assert shown_tls(run) == "none"
    assert run("assign", "101", "--setup", "invite", *ADA).code == 0
    (row,) = queue_json(run)
    assert "tls none is allowed only for a loopback host" in row["error"]


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        pytest.param({"data_reply": "550 5.7.1 Message rejected"}, "550", id="refused-at-DATA"),
        pytest.param(
            {"rcpt_reply": "550 5.1.1 No such user here"}, "No such user", id="refused-at-RCPT"
        ),
    ],
)
def test_refused_message_stays_queued_and_is_sent_later(
    run, account: Path, refusal: dict[str, str], error: str
) -> None:
    with smtp_server(**refusal) as bad:
        configure_mail(run, bad.port, "--tls", "none")
        result = run("assign", "101", "--setup", "invite", *ADA)
        assert bad.handler.messages == []

    assert result.code == 0, result.err  # the assignment never depends on the mail server
    assert ext_101(account)["status"] == "not-activated"
    assert "warning: welcome email queued, not delivered" in result.err
    assert error in result.err
    assert "extadmin mail send" in result.err
    (path,) = queued_files(account)
    assert sent(account) == []
    original = path.read_bytes()
    (row,) = queue_json(run)
    assert row["extension"] == "101"
    assert row["to"] == "Ada Lovelace <ada@example.com>"
    assert row["file"] == str(path)
    assert error in row["error"]

    with smtp_server() as good:
        configure_mail(run, good.port, "--tls", "none")
        retry = run("mail", "send", "--format", "json")
        assert retry.code == 0, retry.err
        assert len(good.handler.messages) == 1
    assert good.handler.messages[0].rcpt_tos == ["ada@example.com"]
    delivered = good.handler.messages[0].message()
    assert delivered["Message-ID"] == parse(original)["Message-ID"]
    assert hash_token(token_in(delivered)) == ext_101(account)["user"]["activation"]["token_hash"]
    (row,) = json.loads(retry.out)
    assert row["error"] is None
    assert "delivered 1, still queued 0" in retry.err
    assert queued_files(account) == []
    assert [p.name for p in sent(account)] == [path.name]
    assert list(outbox(account).glob("*.error")) == []
    assert queue_json(run) == []


def test_server_down_keeps_the_message_queued(run, account: Path) -> None:
    port = free_port()  # nothing listens there
    configure_mail(run, port, "--tls", "none")
    result = run("assign", "101", "--setup", "invite", *ADA, "--format", "json")

    assert result.code == 0, result.err
    assert ext_101(account)["status"] == "not-activated"
    assert "warning: welcome email queued, not delivered" in result.err
    assert "Connection" in result.err
    email = json.loads(result.out)["welcome_email"]
    assert email["delivered"] is False and "Connection" in email["error"]
    (path,) = queued_files(account)
    assert email["file"] == str(path)
    (row,) = queue_json(run)
    assert "Connection" in row["error"]

    still_down = run("mail", "send")
    assert still_down.code == 1
    assert "delivered 0, still queued 1" in still_down.err
    assert queued_files(account) == [path]

    with smtp_server() as server:
        configure_mail(run, server.port, "--tls", "none")
        retry = run("mail", "send")
        assert retry.code == 0, retry.err
        assert len(server.handler.messages) == 1
    assert queued_files(account) == [] and [p.name for p in sent(account)] == [path.name]


def test_queue_shows_only_undelivered_messages(run, account: Path) -> None:
    """One user invited while the server is down, one while it is up."""
    configure_mail(run, free_port(), "--tls", "none")
    assert run("assign", "101", "--setup", "invite", *ADA).code == 0
    with smtp_server() as server:
        configure_mail(run, server.port, "--tls", "none")
        bob = ("--first-name", "Bob", "--last-name", "Ng", "--email", "bob@example.com")
        assert run("assign", "102", "--setup", "invite", *bob).code == 0
        assert [m.rcpt_tos for m in server.handler.messages] == [["bob@example.com"]]
    assert [row["extension"] for row in queue_json(run)] == ["101"]


@pytest.mark.parametrize("setup", ["later", "credentials"])
def test_no_email_of_any_kind_without_invite(
    run, account: Path, tmp_path: Path, setup: str
) -> None:
    secrets = []
    if setup == "credentials":
        for name, value in (("pw", "Zebra7!Quix"), ("pin", "5820417396"), ("ans", "fluffy cat")):
            (tmp_path / name).write_text(value)
        secrets = ["--password-file", "pw", "--pin-file", "pin", "--security-question", "1"]
        secrets += ["--security-answer-file", "ans"]
    with smtp_server() as server:
        configure_mail(run, server.port, "--tls", "none")
        result = run("assign", "101", "--setup", setup, *ADA, *secrets)
        assert result.code == 0, result.err
        sent_now = run("mail", "send")
        assert server.handler.messages == []
    assert sent_now.code == 0 and "delivered 0, still queued 0" in sent_now.err
    assert list(outbox(account).rglob("*.eml")) == []


def test_the_outbox_is_private(run, account: Path) -> None:
    assert run("assign", "101", "--setup", "invite", *ADA).code == 0
    (path,) = queued_files(account)
    assert stat.S_IMODE(outbox(account).stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_mail_send_without_a_server_is_an_error(run, account: Path) -> None:
    assert run("assign", "101", "--setup", "invite", *ADA).code == 0
    result = run("mail", "send")
    assert result.code == 1
    assert (
        result.err == "extadmin: error: no mail server configured: run `extadmin mail configure`\n"
    )
    assert len(queued_files(account)) == 1


def test_mail_configure_is_stored_and_shown(run, account: Path) -> None:
    configure_mail(run, 2525, "--tls", "none")
    stored = tomllib.loads(account.read_text("utf-8"))["mail"]
    assert stored == {"host": "127.0.0.1", "port": 2525, "sender": SENDER, "tls": "none"}
    shown = run("mail", "show", "--format", "json")
    assert json.loads(shown.out) == stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "0", "--sender", SENDER), "port: must be 1 to 65535"),
        (("--port", "70000", "--sender", SENDER), "port: must be 1 to 65535"),
        (("--sender", "not an address"), "sender:"),
        (("--sender", "zoë@acme.example"), "sender: 'zoë@acme.example' must be an ASCII address"),
    ],
)
def test_mail_configure_refuses_bad_values(
    run, account: Path, args: tuple[str, ...], message: str
) -> None:
    before = account.read_bytes()
    result = run("mail", "configure", "--host", "127.0.0.1", *args)
    assert result.code == 3, result.err
    assert message in result.err
    assert account.read_bytes() == before


ZOE = ("--first-name", "Zoë", "--last-name", "Åberg", "--email", "zoë@example.com")


def test_internationalised_address_is_delivered_with_smtputf8(run, account: Path) -> None:
    with smtp_server(smtputf8=True) as server:
        configure_mail(run, server.port, "--tls", "none")
        result = run("assign", "101", "--setup", "invite", *ZOE)
        assert result.code == 0, result.err
        assert "warning" not in result.err
        assert len(server.handler.messages) == 1
    received = server.handler.messages[0]
    assert received.rcpt_tos == ["zoë@example.com"]
    assert "To: =?utf-8?b?Wm/DqyDDhWJlcmc=?= <zoë@example.com>".encode() in received.content
    assert queued_files(account) == []


def test_internationalised_address_waits_for_a_server_with_smtputf8(run, account: Path) -> None:
    with smtp_server() as server:
        configure_mail(run, server.port, "--tls", "none")
        result = run("assign", "101", "--setup", "invite", *ZOE)
        assert server.handler.messages == []
    assert result.code == 0, result.err
    assert ext_101(account)["user"]["email"] == "zoë@example.com"
    assert "warning: welcome email queued, not delivered" in result.err
    assert "SMTPUTF8" in result.err
    (row,) = queue_json(run)
    assert row["to"] == "Zoë Åberg <zoë@example.com>"
    assert "SMTPUTF8" in row["error"]


def test_bulk_invitations_go_in_one_session_and_a_refused_one_stays_queued(
    run, account: Path, tmp_path: Path
) -> None:
    rows = ["extension,first_name,last_name,email,setup"] + [
        f"{n},User,N{n},user{n}@example.com,invite" for n in (101, 102, 103, 104)
    ]
    (tmp_path / "hires.csv").write_text("\n".join(rows) + "\n")
    with smtp_server(refuse=frozenset({"user103@example.com"})) as server:
        configure_mail(run, server.port, "--tls", "none")
        result = run("bulk-assign", tmp_path / "hires.csv")
        assert result.code == 0, result.err  # the assignment never depends on the mail
        assert server.handler.sessions == 1
        delivered = sorted(m.rcpt_tos[0] for m in server.handler.messages)
    assert delivered == ["user101@example.com", "user102@example.com", "user104@example.com"]
    assert len(sent(account)) == 3
    (left,) = queue_json(run)
    assert left["to"].endswith("<user103@example.com>")
    assert "550" in left["error"]
    assert "1 welcome email(s) not delivered" in result.err
