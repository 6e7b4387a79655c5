"""The welcome email: composed as a real RFC 5322 message (plain text and HTML, in the user's
language where a translation exists), queued as an .eml file in the outbox beside the account,
and delivered over SMTP, always encrypted (STARTTLS or implicit TLS; in clear only to a loopback
relay), when the account configures a mail server.
A message that cannot be delivered stays queued with its error; the assignment never depends
on the mail server."""

from __future__ import annotations

import html
import os
import re
import secrets
from binascii import b2a_qp
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from extadmin.domain import rules
from extadmin.domain.account import Account, user_name
from extadmin.domain.model import Extension, MailSettings
from extadmin.errors import AccountFileError, ExtadminError, InvalidValue
from extadmin.storage import files

if TYPE_CHECKING:
    import smtplib

    from extadmin.services.assign import Outcome
    from extadmin.storage.store import AccountStore

DEFAULT_SENDER = "extadmin <no-reply@localhost>"
DEFAULT_ACTIVATION_URL = "https://service.example.com/activate"
SMTP_PASSWORD_ENV = "EXTADMIN_SMTP_PASSWORD"
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable bodies; the activation link survives intact

# language prefix -> (subject, greeting, body, link text, expiry line)
TRANSLATIONS: dict[str, tuple[str, str, str, str, str]] = {
    "en": (
        "Welcome to {company}: activate your phone account",
        "Hello {first_name},",
        "An account has been set up for you at {company}: extension {extension}.",
        "Activate your account",
        "This link can be used once and expires on {expires}.",
    ),
    "fr": (
        "Bienvenue chez {company} : activez votre compte téléphonique",
        "Bonjour {first_name},",
        "Un compte a été créé pour vous chez {company} : poste {extension}.",
        "Activer votre compte",
        "Ce lien ne peut servir qu'une fois et expire le {expires}.",
    ),
    "de": (
        "Willkommen bei {company}: Aktivieren Sie Ihr Telefonkonto",
        "Hallo {first_name},",
        "Für Sie wurde ein Konto bei {company} eingerichtet: Durchwahl {extension}.",
        "Konto aktivieren",
        "Dieser Link ist einmal gültig und läuft am {expires} ab.",
    ),
    "es": (
        "Bienvenido a {company}: active su cuenta telefónica",
        "Hola {first_name}:",
        "Se ha creado una cuenta para usted en {company}: extensión {extension}.",
        "Activar su cuenta",
        "Este enlace solo puede usarse una vez y caduca el {expires}.",
    ),
}


TLS_MODES = ("starttls", "implicit", "none")


def configure(
    store: AccountStore,
    host: str,
    port: int | None,
    sender: str,
    username: str | None,
    tls: str | None,
) -> MailSettings:
    """The mail server. `tls`: starttls (the default, port 587), implicit (TLS from the first
    byte, the default for port 465) or none (loopback hosts only: a local relay)."""
    host = rules.text(host, "host", required=True, limit=253)
    if tls is None:
        tls = "implicit" if port == 465 else "starttls"
    if tls not in TLS_MODES:
        raise InvalidValue("tls", f"must be one of {', '.join(TLS_MODES)}")
    if port is None:
        port = 465 if tls == "implicit" else 587
    if not 1 <= port <= 65535:
        raise InvalidValue("port", "must be 1 to 65535")
    _check_plain(host, tls)
    settings: MailSettings = {
        "host": host,
        "port": port,
        "sender": sender_address(sender),
        "tls": tls,
    }
    if username:
        settings["username"] = rules.text(username, "username", limit=256)
    with store.transaction("mail configure") as account:
        account.doc["mail"] = settings
        account.record("mail configure", host=host, port=port, sender=settings["sender"], tls=tls)
    return settings


def tls_mode(settings: MailSettings) -> str:
    """The encryption in force; a file written before `tls` existed has `starttls` (true or
    false) instead."""
    if "tls" in settings:
        return settings["tls"]
    return "starttls" if settings.get("starttls", True) else "none"


def _check_plain(host: str, tls: str) -> None:
    if tls == "none" and not rules.is_loopback(host):
        raise InvalidValue(
            "tls",
            f"none (no encryption) is allowed only for a loopback host (127.0.0.1, ::1, "
            f"localhost), not {host!r}: use starttls or implicit",
        )


_ADDRESS = re.compile(r"\s*(?:(?P<name>[^<>]*?)\s*<(?P<angle>[^<>]*)>|(?P<bare>[^<>\s]+))\s*")


def sender_address(value: str) -> str:
    """`address` or `Name <address>`, exactly: anything else is refused, never guessed."""
    match = _ADDRESS.fullmatch(value)
    if match is None:
        raise InvalidValue("sender", f"{value!r} must be an address or Name <address>")
    name = rules.text((match["name"] or "").strip('"'), "sender", limit=200)
    address = rules.email(match["angle"] or match["bare"], "sender")
    if not address.isascii():  # the envelope sender of every welcome email
        raise InvalidValue("sender", f"{address!r} must be an ASCII address")
    return formataddr((name, address))


# RFC 2606 and RFC 6761: names that can never be a real organisation's page
_PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org")
_PLACEHOLDER_TLDS = ("example", "invalid", "test", "localhost")


def activation_base(account: Account) -> str:
    return account.doc["account"].get("activation_url", DEFAULT_ACTIVATION_URL)


def placeholder(url: str) -> bool:
    """A link to a page that cannot exist: the default, or a documentation address."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    return (
        host.rpartition(".")[2] in _PLACEHOLDER_TLDS
        or host in _PLACEHOLDER_DOMAINS
        or host.endswith(tuple(f".{d}" for d in _PLACEHOLDER_DOMAINS))
    )


def placeholder_warning(url: str) -> str:
    return (
        f"warning: the activation link points to a placeholder address ({url}): set the real "
        "page with `extadmin account set --activation-url URL`, then re-issue the invitation "
        "(`extadmin activate NUMBER --invite`)"
    )


@dataclass(frozen=True)
class Welcome:
    """One welcome email, composed: its bytes, and what the queue lists of it."""

    extension: str
    to: str
    subject: str
    data: bytes


_SLOT = re.compile(rb"@@(\w+)@@")


class WelcomeEmails:
    """The welcome emails of one change, at about the cost of writing their bytes: a bulk
    import queues thousands, and the email package takes most of a millisecond to build and
    render each one. For each language the package builds and renders the message once
    (`message`), with a slot where each user's values go; each email is that text with them
    filled in:
    - To: folded by the package's own folding (compat32, as its generator does) when it is
      long or not plain ASCII, as it is otherwise (what the package writes for a short one);
    - the bodies: quoted-printable by `binascii.b2a_qp`, the C encoder of the RFC 2045
      encoding the package writes;
    - the Message-ID and the extension (ASCII).
    Everything else (the boundary and the date, the same for one change; From, the subject,
    every part's headers) is the package's own text. tests/test_welcome_emails.py checks that
    each is, byte for byte, the message the package builds for that user."""

    def __init__(self, account: Account) -> None:
        self.account = account
        # "=_" never occurs in a quoted-printable body: the boundary needs no search of it
        self.boundary = f"=_extadmin_{secrets.token_hex(12)}"
        self.date = format_datetime(datetime.now(UTC))
        self._forms: dict[str, list[bytes]] = {}

    def compose(self, ext: Extension, token: str) -> Welcome:
        from email.policy import compat32

        user = ext["user"]
        language = user.get("language", self.account.locale)
        title, plain, page = welcome_text(self.account, language, ext, token)
        to = _address(user_name(user), user["email"])
        line = f"To: {to}"
        values = {
            b"to": line[4:].encode("ascii")
            if len(line) <= 78 and to.isascii() and "=?" not in to
            else compat32.fold_binary("To", to)[4:-1],
            b"msgid": make_msgid(domain="extadmin.local").encode("ascii"),
            b"extension": ext["number"].encode("ascii"),
            b"plain": b2a_qp(plain.encode("utf-8"), istext=True),
            b"page": b2a_qp(page.encode("utf-8"), istext=True),
        }
        form = self._form(language, title)
        data = b"".join(values[part] if i % 2 else part for i, part in enumerate(form))
        return Welcome(ext["number"], _display("To", to), title, data)

    def _form(self, language: str, title: str) -> list[bytes]:
        """The language's message as the package renders it, split at its slots: text, slot
        name, text, ... (the subject is the same for every user of one account)."""
        form = self._forms.get(language)
        if form is None:
            msg = self.message(language, title, *(f"@@{n}@@" for n in SLOTS))
            form = self._forms[language] = _SLOT.split(msg.as_bytes())
            if form[1::2] != [n.encode() for n in SLOTS]:  # a slot's text in a value: never
                raise RuntimeError("welcome email template: slots out of place")
        return form

    def message(
        self, language: str, title: str, to: str, msgid: str, extension: str, plain: str, page: str
    ) -> MIMEMultipart:
        """The welcome email as the email package builds it (its legacy compat32 API: the same
        RFC 5322 message as EmailMessage, about fifteen times faster to build)."""
        msg = MIMEMultipart("alternative", boundary=self.boundary)
        # a Header, not its encoded text: the generator would fold that again, after a break
        msg["Subject"] = title if title.isascii() else Header(title, "utf-8")  # type: ignore[assignment]
        msg["From"] = self.account.doc.get("mail", {}).get("sender", DEFAULT_SENDER)
        msg["To"] = to
        msg["Date"] = self.date
        msg["Message-ID"] = msgid
        msg["Content-Language"] = language
        msg["X-Extadmin-Extension"] = extension
        msg.attach(_text_part(plain, "plain"))
        msg.attach(_text_part(page, "html"))
        return msg


SLOTS = ("to", "msgid", "extension", "plain", "page")  # in the order the message holds them


def welcome_text(
    account: Account, language: str, ext: Extension, token: str
) -> tuple[str, str, str]:
    """A welcome email's subject, plain text and HTML, in the user's language (English where
    there is no translation)."""
    user = ext["user"]
    subject, greeting, body, link_text, expiry = TRANSLATIONS.get(
        language.split("-")[0], TRANSLATIONS["en"]
    )
    expires = datetime.fromisoformat(user["activation"]["expires_at"])
    values = {
        "company": account.name,
        "first_name": user["first_name"],
        "extension": ext["number"],
        "expires": expires.strftime("%Y-%m-%d %H:%M UTC"),
    }
    base = activation_base(account)
    link = f"{base}?{urlencode({'extension': ext['number'], 'token': token})}"
    plain = (
        f"{greeting.format(**values)}\n\n{body.format(**values)}\n\n"
        f"{link_text.format(**values)}: {link}\n\n{expiry.format(**values)}\n"
    )
    esc = {k: html.escape(v) for k, v in values.items()}
    page = (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><body>'
        f"<p>{greeting.format(**esc)}</p><p>{body.format(**esc)}</p>"
        f'<p><a href="{html.escape(link)}">{link_text.format(**esc)}</a></p>'
        f"<p>{expiry.format(**esc)}</p></body></html>\n"
    )
    return subject.format(**values), plain, page


def _address(name: str, email: str) -> str:
    """The To header. An internationalised address (SMTPUTF8, which email-validator accepts)
    cannot be MIME-encoded: its UTF-8 bytes go out as they are (compat32 writes
    surrogate-escaped bytes through), after the encoded display name."""
    if email.isascii():
        return formataddr((name, email), "utf-8")
    raw = email.encode("utf-8").decode("ascii", "surrogateescape")
    return formataddr((name, "x@x"), "utf-8").removesuffix("<x@x>") + f"<{raw}>"


def _display(name: str, value: object) -> str:
    """A header as people read it: raw UTF-8 bytes restored, encoded words decoded."""
    from email import policy

    text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return str(policy.default.header_factory(name, text)) if "=?" in text else text


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(text, _UTF8_QP)
    return part


@dataclass
class Queued:
    path: Path
    to: str
    subject: str
    extension: str
    error: str | None

    @property
    def error_path(self) -> Path:
        return self.path.with_suffix(".error")


def entries(paths: list[Path], welcomes: list[Welcome]) -> list[Queued]:
    """The queue entries of messages just queued (storage.outbox) at `paths`."""
    return [
        Queued(path, w.to, w.subject, w.extension, None)
        for path, w in zip(paths, welcomes, strict=True)
    ]


def _parse(raw: bytes, *, headers_only: bool = False) -> EmailMessage:
    """Read a queued message. Decoded as UTF-8 first: an internationalised address is raw UTF-8
    in the headers (RFC 6532), which the bytes parser would leave as surrogate escapes."""
    from email import policy
    from email.parser import Parser

    parsed = Parser(policy=policy.default).parsestr(raw.decode("utf-8", "replace"), headers_only)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _entry(path: Path) -> Queued | None:
    """The queued message at `path` as listed; a message another command delivered since the
    listing is read from sent/ (and reported delivered by `_still_queued`), one discarded since
    is None."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        try:
            raw = (path.parent / "sent" / path.name).read_bytes()
        except FileNotFoundError:
            return None
    headers = _parse(raw, headers_only=True)
    try:
        error: str | None = path.with_suffix(".error").read_text("utf-8").strip()
    except FileNotFoundError:
        error = None
    return Queued(
        path,
        str(headers["To"]),
        str(headers["Subject"]),
        str(headers["X-Extadmin-Extension"]),
        error,
    )


def queued(outbox: Path) -> list[Queued]:
    """The messages in the queue, in the order they were queued. Another command may deliver
    them while they are listed (outside the delivery lock): each is read once and stays listed
    under its queue path."""
    if not outbox.is_dir():
        return []
    return [e for e in map(_entry, sorted(outbox.glob("*.eml"))) if e is not None]


class InsecureServer(Exception):
    """The server cannot give the encryption the account requires: nothing was sent to it."""


@contextmanager
def _session(settings: MailSettings) -> Iterator[smtplib.SMTP]:
    """One SMTP session, encrypted as `tls_mode` says: STARTTLS is required, never skipped
    when the server does not offer it (no AUTH and no message go out in clear text); implicit
    TLS from the first byte; none only to a loopback host. Certificates are verified. Logs in
    if a user name is configured (the password comes from $EXTADMIN_SMTP_PASSWORD)."""
    import smtplib
    import ssl

    host, mode = settings["host"], tls_mode(settings)
    port, timeout = settings.get("port", 25), settings.get("timeout", 30)
    if mode == "none" and not rules.is_loopback(host):  # a hand-edited file
        raise InsecureServer(
            f"tls none is allowed only for a loopback host, not {host}; nothing was sent "
            "(run `extadmin mail configure --tls starttls`)"
        )
    context = ssl.create_default_context()
    smtp = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        if mode == "implicit"
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    with smtp:
        smtp.ehlo()
        if mode == "starttls":
            if not smtp.has_extn("starttls"):
                raise InsecureServer(
                    f"{host}:{port} does not offer STARTTLS; nothing was sent in clear text "
                    "(`extadmin mail configure --tls implicit` for port 465)"
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.get("username"):
            smtp.login(settings["username"], os.environ.get(SMTP_PASSWORD_ENV, ""))
        yield smtp


def send(
    outbox: Path,
    settings: MailSettings | None,
    items: list[Queued],
    lock_timeout: float,
    *,
    allow_placeholder: bool = False,
) -> list[Queued]:
    """Deliver queued messages over one SMTP session, each From the configured sender (a
    message queued before `mail configure` gets it too). Delivered ones move to outbox/sent/;
    the others stay queued with their error (a refused message does not stop the others; a
    lost connection leaves the rest queued). One delivery at a time per outbox: a message
    that another command delivered meanwhile is reported delivered, never sent twice. Returns
    the entries with their new state. A message whose activation link points to a placeholder
    address (`placeholder`) is not sent unless `allow_placeholder`."""
    if settings is None:
        for item in items:
            item.error = "no mail server configured (`extadmin mail configure`)"
        return items
    busy = f"{outbox}: another extadmin command is delivering these messages; try again later"
    try:
        with files.locked(files.private_dir(outbox) / ".send.lock", lock_timeout, busy):
            _send_locked(outbox, settings, items, allow_placeholder)
    except AccountFileError as exc:
        for item in items:
            item.error = exc.message
    return items


def _send_locked(
    outbox: Path, settings: MailSettings, items: list[Queued], allow_placeholder: bool
) -> None:
    import smtplib

    pending = [item for item in items if _still_queued(outbox, item)]
    try:
        with _session(settings) as smtp:
            while pending:
                item = pending[0]
                try:
                    msg = _with_sender(item.path, settings["sender"])
                    if not allow_placeholder:
                        _refuse_placeholder(msg, item)
                    smtp.send_message(msg)
                except PlaceholderLink as exc:
                    _failed(item, exc)
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError,
                    smtplib.SMTPNotSupportedError,
                ) as exc:
                    _failed(item, exc)  # this message only; the session goes on
                else:
                    sent = files.private_dir(outbox / "sent")
                    os.replace(item.path, sent / item.path.name)
                    item.error_path.unlink(missing_ok=True)
                    item.path, item.error = sent / item.path.name, None
                pending.pop(0)
    except (OSError, smtplib.SMTPException, InsecureServer) as exc:
        for item in pending:
            _failed(item, exc)


class PlaceholderLink(Exception):
    """A welcome email whose activation link cannot reach anyone: not sent unless told."""


_LINK = re.compile(r"https?://\S+")


def _refuse_placeholder(msg: EmailMessage, item: Queued) -> None:
    body = msg.get_body(preferencelist=("plain",))
    link = _LINK.search(body.get_content() if body is not None else "")
    if link is not None and placeholder(link[0]):
        base = link[0].partition("?")[0]
        raise PlaceholderLink(
            f"its activation link points to a placeholder address ({base}): set the real page "
            f"(`extadmin account set --activation-url URL`) and re-issue it (`extadmin activate "
            f"{item.extension} --invite`), or send it anyway with `mail send --allow-placeholder`"
        )


def _still_queued(outbox: Path, item: Queued) -> bool:
    """False for a message that left the queue before this delivery took the outbox: sent by
    another command (then reported as delivered) or discarded."""
    if item.path.exists():
        return True
    done = outbox / "sent" / item.path.name
    if done.exists():
        item.path, item.error = done, None
    else:
        item.error = "no longer queued (its invitation was replaced or cancelled)"
    return False


def _with_sender(path: Path, sender: str) -> EmailMessage:
    """The queued message From the configured sender; the file is rewritten first when that
    changes it, so that what is kept in sent/ is what was sent."""
    msg = _parse(path.read_bytes())
    if msg["From"] != sender:
        msg.replace_header("From", sender)
        files.write_atomic(path, msg.as_bytes(), sync=False)
    return msg


def _failed(item: Queued, exc: Exception) -> None:
    item.error = f"{type(exc).__name__}: {exc}".strip()
    files.write_atomic(item.error_path, (item.error + "\n").encode())


@dataclass
class Queueing:
    """The welcome emails a change queues with its save: `queued` holds them once the
    transaction has ended; `warnings` are for the caller to say."""

    queued: list[Queued] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def queue_on_save(
    store: AccountStore, account: Account, outcomes: list[Outcome], void: tuple[str, ...] = ()
) -> Queueing:
    """Inside a transaction: the welcome emails of the users it invites, composed now and
    queued with its save (and the queued ones of `void` extensions dropped with it), so that
    no interrupt, not even SIGKILL, leaves an invited user without one (storage.outbox)."""
    out = Queueing()
    invited = [o for o in outcomes if o.token]
    if invited or void:
        welcome = WelcomeEmails(account)
        messages = [welcome.compose(o.extension, o.token or "") for o in invited]
        if invited and placeholder(activation_base(account)):
            out.warnings.append(placeholder_warning(activation_base(account)))
        batch = store.queue_with_save([(m.extension, m.data) for m in messages], void)
        store.after_save(lambda: out.queued.extend(entries(batch.paths, messages)))
    return out


def outbox(store: AccountStore) -> list[Queued]:
    """`mail queue`: the welcome emails waiting, once the outbox holds only what its account's
    saves queued."""
    store.settle_outbox()
    return queued(store.outbox)


def send_queued(store: AccountStore, allow_placeholder: bool = False) -> list[Queued]:
    """`mail send`: every queued welcome email of the account, through its mail server; each
    with its error if it stays queued."""
    settings = store.read().doc.get("mail")
    if settings is None:
        raise ExtadminError("no mail server configured: run `extadmin mail configure`")
    return send(
        store.outbox,
        settings,
        queued(store.outbox),
        store.lock_timeout,
        allow_placeholder=allow_placeholder,
    )
