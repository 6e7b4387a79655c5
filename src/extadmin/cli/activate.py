"""activate: a user waiting for activation, with the invitation token and credentials, or by an
administrator (a user set up 'later')."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extadmin.cli import complete, declares, details, walkthrough
from extadmin.cli.app import App, get_app
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
from extadmin.cli.welcome import delivery, welcome_email
from extadmin.errors import UsageError
from extadmin.services import activate as activating
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
    files = {
        "--token-file": token_file,
        "--password-file": password_file,
        "--pin-file": pin_file,
        "--security-answer-file": security_answer_file,
    }
    if invite:
        given = [flag for flag, path in files.items() if path and flag != "--security-answer-file"]
        if given:
            raise UsageError(f"--invite takes no credentials ({', '.join(given)})")
        _invite(app, number, format.value)
        return
    secrets = read_secret_files(files)
    invited = activating.pending(app.store.read(), number)["user"].get("setup") == "invite"
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
    details.show(done.account, done.outcome.extension, format.value)
    app.say(f"extension {number} activated")


def _invite(app: App, number: str, fmt: str) -> None:
    """--invite: a new invitation (the old link dead), delivered or queued; on a linked file
    RingCentral sends it at apply."""
    done = activating.invite(app.store, number)
    for warning in done.warnings:
        app.say(warning)
    extra, said = {}, "to be sent by RingCentral at `platform apply`"
    if done.queued:
        email = extra["welcome_email"] = welcome_email(app, done.account, done.queued)
        said = delivery(email)
    details.show(done.account, done.outcome.extension, fmt, **extra)
    app.say(f"invitation for extension {number}: {said}")
