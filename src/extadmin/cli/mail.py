"""The mail server and the outbox of welcome emails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import get_app
from extadmin.cli.options import ItemFormat, ItemFormatOpt, ListFormat, ListFormatOpt
from extadmin.render import Column
from extadmin.services import mail

if TYPE_CHECKING:
    from extadmin.services.mail import Queued

commands = declares()
mail_group = typer.Typer(help="Welcome emails: the mail server and the outbox.")
commands.add_typer(mail_group, name="mail")

QUEUE_COLUMNS = [
    Column("extension", "Extension"),
    Column("to", "To"),
    Column("subject", "Subject"),
    Column("file", "File"),
    Column("error", "Last error"),
]


def _emit(items: list[Queued], format: ListFormat) -> None:
    rows = [
        {
            "extension": q.extension,
            "to": q.to,
            "subject": q.subject,
            "file": str(q.path),
            "error": q.error,
        }
        for q in items
    ]
    render.emit(rows, format.value, QUEUE_COLUMNS)


@mail_group.command("configure")
def configure(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="SMTP server host name.")],
    sender: Annotated[
        str, typer.Option("--sender", metavar="ADDRESS", help="From address of welcome emails.")
    ],
    port: Annotated[
        int | None,
        typer.Option("--port", metavar="PORT", help="SMTP port [default: 587; 465 for implicit]."),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option(
            "--username",
            metavar="NAME",
            help="SMTP user name; the password comes from $EXTADMIN_SMTP_PASSWORD.",
        ),
    ] = None,
    tls: Annotated[
        str | None,
        typer.Option(
            "--tls",
            metavar="starttls|implicit|none",
            autocompletion=complete.choices(mail.TLS_MODES),
            help="Encryption: starttls (required, never skipped), implicit (port 465), or "
            "none (loopback hosts only). [default: implicit on port 465, else starttls]",
        ),
    ] = None,
    no_starttls: Annotated[
        bool, typer.Option("--no-starttls", hidden=True, help="Old spelling of --tls none.")
    ] = False,
) -> None:
    """Configure the SMTP server that delivers welcome emails."""
    settings = mail.configure(
        get_app(ctx).store, host, port, sender, username, "none" if no_starttls else tls
    )
    render.message(f"mail server: {settings['host']}:{settings['port']} (tls {settings['tls']})")


@mail_group.command("show")
def show(ctx: typer.Context, format: ItemFormatOpt = ItemFormat.table) -> None:
    """The configured mail server (none: messages stay in the outbox)."""
    account = get_app(ctx).store.read()
    settings: dict[str, object] = dict(account.doc.get("mail", {}))
    if not settings and format == ItemFormat.table:
        print("none")  # messages stay queued in the outbox
        return
    if settings:
        settings.pop("starttls", None)
        settings["tls"] = mail.tls_mode(account.doc["mail"])
    render.emit_fields(settings, format.value, list(settings.items()))


@mail_group.command("queue")
def queue(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """Welcome emails waiting in the outbox, with their last delivery error."""
    _emit(mail.outbox(get_app(ctx).store), format)


@mail_group.command("send")
def send(
    ctx: typer.Context,
    format: ListFormatOpt = ListFormat.table,
    allow_placeholder: Annotated[
        bool,
        typer.Option(
            "--allow-placeholder",
            help="Also send messages whose activation link points to a placeholder address "
            "(example.com): for a test mailbox only.",
        ),
    ] = False,
) -> None:
    """Deliver the queued welcome emails (exit 1 if any stays queued)."""
    results = mail.send_queued(get_app(ctx).store, allow_placeholder)
    _emit(results, format)
    failed = sum(1 for q in results if q.error)
    render.message(f"delivered {len(results) - failed}, still queued {failed}")
    if failed:
        raise typer.Exit(1)
