"""A real SMTP server on loopback for the mail tests (aiosmtpd), and a port nothing listens on.

with smtp_server() as server:          # accepts every message
    ... server.port, server.handler.messages
with smtp_server(data_reply="550 5.7.1 no thanks") as server:   # refuses the message
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.content)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class CollectingHandler:
    """Collects every accepted message; answers RCPT or DATA with a refusal when told to."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    refuse: frozenset[str] = frozenset()  # these recipients only are refused at RCPT
    messages: list[Received] = field(default_factory=list)
    sessions: int = 0
    tls_sessions: int = 0  # messages that arrived over TLS

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.tls_sessions += server.transport.get_extra_info("ssl_object") is not None
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


@dataclass
class Server:
    port: int
    handler: CollectingHandler
    logins: list[tuple[str, str]] = field(default_factory=list)  # every AUTH the server saw


def free_port() -> int:
    """A loopback port with nothing listening on it (just released by the OS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def smtp_server(
    *,
    rcpt_reply: str | None = None,
    data_reply: str | None = None,
    smtputf8: bool = False,
    refuse: frozenset[str] = frozenset(),
    tls: ssl.SSLContext | None = None,
    implicit: bool = False,
) -> Iterator[Server]:
    """A server on 127.0.0.1 and a free port; SMTPUTF8 (internationalised addresses) only
    when asked, as many real servers do not offer it. With `tls` (a server context, see
    `trusted_tls`): STARTTLS offered, or TLS from the first byte if `implicit`. AUTH is
    offered even without TLS (as a careless server does) and every login is recorded."""
    handler = CollectingHandler(rcpt_reply=rcpt_reply, data_reply=data_reply, refuse=refuse)
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)

    options: dict[str, Any] = {"authenticator": authenticator, "auth_require_tls": False}
    if tls is not None:
        options["ssl_context" if implicit else "tls_context"] = tls
    controller = Controller(
        handler,
        hostname=HOST,
        port=free_port(),
        ready_timeout=10,
        enable_SMTPUTF8=smtputf8,
        server_hostname="localhost",
        **options,
    )
    controller.start()
    try:
        yield Server(controller.port, handler, logins)
    finally:
        controller.stop()


@contextmanager
def trusted_tls(monkeypatch: Any, tmp_path: Path) -> Iterator[ssl.SSLContext]:
    """A throwaway CA that this process (and the programs it starts) trusts through
    $SSL_CERT_FILE, and a server context with its certificate for 127.0.0.1."""
    import trustme

    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    yield context
