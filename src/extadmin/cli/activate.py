"""activate: a user waiting for activation, with the invitation token and credentials, or by an
administrator (a user set up 'later')."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares, walkthrough
from extadmin.cli.app import get_app
from extadmin.cli.details import detail_fields
from extadmin.cli.options import (
    AnswerFileOpt,
    ItemFormat,
    ItemFormatOpt,
    NoInputOpt,
    PasswordFileOpt,
    PinFileOpt,
    QuestionOpt,
    TemporaryPasswordOpt,
    examples,
    require,
)
from extadmin.cli.secret_input import read_secret_files
from extadmin.cli.welcome import welcome_email
from extadmin.errors import UsageError
from extadmin.services import activate as activating
from extadmin.services import views
from extadmin.services.assign import Request

commands = declares()


@commands.command(
    "activate",
    epilog=examples(
        "extadmin activate 101 --invite               # a new invitation, the old link dead",
        "extadmin activate 103 --password-file pw.txt --pin-file pin.txt "
        "--security-question 1 --security-answer-file answer.txt",
    ),
)
def activate(
    ctx: typer.Context,
    number: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER",
            help="Extension waiting for activation.",
            autocompletion=complete.assigned,
        ),
    ],
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            metavar="PATH",
            help="File holding the token from the welcome email (or -).",
        ),
    ] = None,
    invite: Annotated[
        bool,
        typer.Option(
            "--invite",
            help="Send the invite now (a user set up 'later'), "
            "or a new one replacing the old token.",
        ),
    ] = False,
    password_file: PasswordFileOpt = None,
    pin_file: PinFileOpt = None,
    security_question: QuestionOpt = None,
    security_answer_file: AnswerFileOpt = None,
    temporary_password: TemporaryPasswordOpt = None,
    no_input: NoInputOpt = False,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """Activate a user: with the invitation token and credentials, or (set up 'later') by an
    administrator assigning credentials or sending the invite."""
    app = get_app(ctx)
    if invite:
        given = [
            f
            for f, v in (
                ("--token-file", token_file),
                ("--password-file", password_file),
                ("--pin-file", pin_file),
            )
            if v
        ]
        if given:
            raise UsageError(f"--invite takes no credentials ({', '.join(given)})")
        done = activating.invite(app.store, number)
        for warning in done.warnings:
            app.say(warning)
        result = views.extension_detail(done.account, done.outcome.extension)
        where = "to be sent by RingCentral at `platform apply`"
        if done.queued:
            email = result["welcome_email"] = welcome_email(app, done.account, done.queued)
            where = "delivered" if email["delivered"] else "queued (`extadmin mail send`)"
        render.emit_fields(result, format.value, detail_fields(result))
        app.say(f"invitation for extension {number}: {where}")
        return
    secrets = read_secret_files(
        {
            "--token-file": token_file,
            "--password-file": password_file,
            "--pin-file": pin_file,
            "--security-answer-file": security_answer_file,
        }
    )
    ext = activating.pending(app.store.read(), number)
    invited = ext["user"].get("setup") == "invite"
    req = Request(
        extension=number,
        setup="credentials",
        password=secrets["--password-file"],
        pin=secrets["--pin-file"],
        security_question=security_question,
        security_answer=secrets["--security-answer-file"],
        temporary_password=temporary_password if temporary_password is not None else not invited,
    )
    token = secrets["--token-file"]
    if app.can_prompt(no_input):
        token, req = walkthrough.activation(
            app.prompter, app.store, req, token=token, invited=invited
        )
    fields = ("password", "pin", "security_question", "security_answer")
    require({**({"token": token} if invited else {}), **{f: getattr(req, f) for f in fields}})
    done = activating.activate(app.store, number, req, token)
    result = views.extension_detail(done.account, done.outcome.extension)
    render.emit_fields(result, format.value, detail_fields(result))
    app.say(f"extension {number} activated")
