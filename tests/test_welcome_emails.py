"""Welcome emails at the cost of their bytes (services.mail.WelcomeEmails): each language's
message is rendered once by the email package and filled in per user. Each one must still be,
byte for byte, the message the package builds for that user, and read back by the standard
parser as the values that went in: names in any script, quotes and commas, 64-character names,
internationalised addresses, every translation, an account name with braces."""

from __future__ import annotations

import csv
import html
import io
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from extadmin.domain.account import Account
from extadmin.services import mail
from tests.csv_helpers import write_csv

NAME_CHARS = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
names = st.text(NAME_CHARS, min_size=1, max_size=64).map(str.strip).filter(bool)
emails = st.sampled_from(
    [
        "ada@acme.example",
        "o'brien+desk@sub.acme.example",
        "a" * 64 + "@" + "b" * 60 + ".example",
        "josé@bücher.example",  # SMTPUTF8: raw UTF-8 in the header
        "用户@例子.广告",
    ]
)
LANGUAGES = ("en-US", "fr-FR", "de-DE", "es-ES", "ja-JP")  # ja: no translation, English


def acme(name: str = "Acme Corp", sender: str | None = None) -> Account:
    doc: dict[str, Any] = {
        "schema_version": 2,
        "account": {
            "name": name,
            "country": "US",
            "locale": "en-US",
            "default_role": "Standard",
            "activation_url": "https://phones.acme-widgets.com/activate",
        },
        "sites": [{"name": "Main Site"}],
        "roles": ["Standard"],
        "extensions": [],
    }
    if sender:
        doc["mail"] = {"host": "smtp.acme-widgets.com", "sender": sender}
    return Account(doc)  # type: ignore[arg-type]


def invited(number: str, first: str, last: str, email: str, language: str) -> dict[str, Any]:
    user = {
        "first_name": first,
        "last_name": last,
        "email": email,
        "language": language,
        "activation": {"token_hash": "x", "expires_at": "2026-12-07T10:30:00+00:00"},
    }
    return {"number": number, "site": "Main Site", "status": "not-activated", "user": user}


def read_back(data: bytes) -> EmailMessage:
    msg = Parser(policy=policy.default).parsestr(data.decode("utf-8"))
    assert isinstance(msg, EmailMessage)
    return msg


def package_built(
    writer: mail.WelcomeEmails, ext: dict[str, Any], token: str, data: bytes
) -> bytes:
    """The message the email package builds for this user, with the Message-ID the writer
    drew (random, so read from its message)."""
    user = ext["user"]
    title, plain, page = mail.welcome_text(writer.account, user["language"], ext, token)  # type: ignore[arg-type]
    msgid = re.search(rb"^Message-ID: (.*)$", data, re.M)
    assert msgid is not None
    to = mail._address(f"{user['first_name']} {user['last_name']}", user["email"])
    msg = writer.message(user["language"], title, to, msgid[1].decode(), ext["number"], plain, page)
    return msg.as_bytes()


@settings(max_examples=200, deadline=None)
@given(
    first=names,
    last=names,
    email=emails,
    language=st.sampled_from(LANGUAGES),
    company=st.sampled_from(["Acme Corp", "Société Générale {Nord}", "株式会社アクメ"]),
    token=st.text(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=43, max_size=43
    ),
)
@example(
    first="María-José Inmaculada de la Concepción Guadalupe",
    last="Fernández de Córdoba y Álvarez de las Asturias-Bohórquez",
    email="josé@bücher.example",
    language="es-ES",
    company="Société Générale {Nord}",
    token="A" * 43,
)
@example(first='Ada "The Countess"', last="Lovelace, Byron", email="ada@acme.example",
         language="en-US", company="Acme Corp", token="-" * 43)  # fmt: skip
@example(first="=?utf-8?q?x?=", last="Smith", email="ada@acme.example", language="en-US",
         company="Acme Corp", token="_" * 43)  # fmt: skip
def test_each_email_is_the_package_message_and_reads_back_as_its_values(
    first: str, last: str, email: str, language: str, company: str, token: str
) -> None:
    writer = mail.WelcomeEmails(acme(company, sender="IT Desk <it@acme-widgets.com>"))
    ext = invited("4101", first, last, email, language)
    welcome = writer.compose(ext, token)  # type: ignore[arg-type]

    assert welcome.data == package_built(writer, ext, token, welcome.data)

    msg = read_back(welcome.data)
    assert not msg.defects and all(not part.defects for part in msg.walk())
    (to,) = msg["To"].addresses
    if "=?" not in first:  # an encoded word typed as a name is decoded by any reader
        assert to.display_name == f"{first} {last}"
    assert to.addr_spec == email
    assert welcome.to == str(msg["To"])
    assert msg["Subject"] == welcome.subject
    assert msg["From"] == "IT Desk <it@acme-widgets.com>"
    assert msg["X-Extadmin-Extension"] == welcome.extension == "4101"
    assert msg["Content-Language"] == language
    title, plain, page = mail.welcome_text(writer.account, language, ext, token)  # type: ignore[arg-type]
    assert title == welcome.subject
    bodies = {part.get_content_subtype(): part.get_content() for part in msg.iter_parts()}
    assert bodies == {"plain": plain, "html": page}
    greeting = first if "{" not in first else None
    if greeting:
        assert greeting in bodies["plain"] and html.escape(greeting) in bodies["html"]
    assert f"token={token}" in bodies["plain"]
    assert all(len(line) <= 998 for line in welcome.data.split(b"\n"))


def test_one_change_draws_a_message_id_for_each_email_and_renders_each_language_once(
    monkeypatch: Any,
) -> None:
    writer = mail.WelcomeEmails(acme())
    built: list[str] = []
    real = writer.message
    monkeypatch.setattr(
        writer, "message", lambda language, *a: built.append(language) or real(language, *a)
    )
    exts = [
        invited(str(4100 + i), "Ada", f"L{i}", f"a{i}@acme.example", LANGUAGES[i % 3])
        for i in range(30)
    ]
    welcomes = [writer.compose(e, "t" * 43) for e in exts]  # type: ignore[arg-type]

    assert sorted(built) == sorted(LANGUAGES[:3])
    ids = {read_back(w.data)["Message-ID"] for w in welcomes}
    assert len(ids) == 30
    assert [read_back(w.data)["To"].addresses[0].addr_spec for w in welcomes] == [
        f"a{i}@acme.example" for i in range(30)
    ]


def test_bulk_invitations_queue_messages_the_bytes_parser_and_smtp_accept(
    run: Any, account: Path, tmp_path: Path
) -> None:
    """Through the command: every queued file is one RFC 5322 message for its own user, read
    the same by the bytes parser (what smtplib reads it back with) as by the text parser."""
    rows = [
        ["extension", "setup", "first_name", "last_name", "email", "language"],
        ["101", "invite", "Zoë", "Ó Súilleabháin", "zoe@acme.example", "fr-FR"],
        ["102", "invite", "Jürgen", "Groß", "juergen@acme.example", "de-DE"],
        ["103", "invite", "Ada", "Lovelace, Countess", "ada@acme.example", "en-US"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    csv_file = write_csv(tmp_path / "hires.csv", text.getvalue())
    result = run("bulk-assign", csv_file)
    assert result.code == 0, result.err

    outbox = account.with_name(f"{account.stem}.outbox")
    queued = sorted(outbox.glob("*.eml"))
    assert len(queued) == 3
    seen = {}
    for path in queued:
        raw = path.read_bytes()
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert not msg.defects
        number = str(msg["X-Extadmin-Extension"])
        (to,) = msg["To"].addresses
        seen[number] = (to.display_name, to.addr_spec, str(msg["Content-Language"]))
        assert read_back(raw)["To"].addresses[0].display_name == to.display_name
    assert seen == {
        "101": ("Zoë Ó Súilleabháin", "zoe@acme.example", "fr-FR"),
        "102": ("Jürgen Groß", "juergen@acme.example", "de-DE"),
        "103": ("Ada Lovelace, Countess", "ada@acme.example", "en-US"),
    }
