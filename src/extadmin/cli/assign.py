"""assign and activate: by flags in a script, or at a terminal with the walkthrough."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from extadmin import render
from extadmin.cli import complete
from extadmin.cli.app import App, get_app
from extadmin.cli.mail import deliver
from extadmin.cli.options import (
    AnswerFileOpt,
    DryRunOpt,
    ItemFormat,
    ItemFormatOpt,
    NoInputOpt,
    PasswordFileOpt,
    PinFileOpt,
    QuestionOpt,
    TemporaryPasswordOpt,
    YesOpt,
    examples,
    form_options,
)
from extadmin.domain.fields import USER
from extadmin.errors import UsageError

if TYPE_CHECKING:
    from extadmin.domain.account import Account
    from extadmin.services.assign import Outcome, Request
    from extadmin.services.mail import Queued

# the flag that supplies each field of the form (for "missing value" messages)
FLAGS = {
    "extension": "NUMBER",
    "setup": "--setup",
    **{f.name: f.flag for f in USER if f.required},
    "password": "--password-file",
    "pin": "--pin-file",
    "security_question": "--security-question",
    "security_answer": "--security-answer-file",
    "token": "--token-file",
}


def register(app: typer.Typer) -> None:
    app.command(
        "assign",
        epilog=examples(
            "extadmin assign                              # the walkthrough, step by step",
            "extadmin assign 101 --setup invite --first-name Ada --last-name Lovelace "
            "--email ada@acme.example --no-input",
            "extadmin assign 102 --setup credentials --first-name Grace --last-name Hopper "
            "--email grace@acme.example --password-file pw.txt --pin-file pin.txt "
            "--security-question 1 --security-answer-file answer.txt --no-input",
            "extadmin assign 103 --setup later --first-name Alan --last-name Turing "
            "--email alan@acme.example --site Boston --role Manager --dry-run --no-input",
        ),
    )(assign)
    app.command(
        "activate",
        epilog=examples(
            "extadmin activate 101 --invite               # a new invitation, the old link dead",
            "extadmin activate 103 --password-file pw.txt --pin-file pin.txt "
            "--security-question 1 --security-answer-file answer.txt",
        ),
    )(activate)


Opt = typer.Option


@form_options("setup", step=True)
def assign(
    ctx: typer.Context,
    number: Annotated[
        str | None,
        typer.Argument(
            metavar="NUMBER",
            help="Unassigned extension number (step 4).",
            autocompletion=complete.unassigned,
        ),
    ] = None,
    setup: Annotated[
        str | None, Opt("--setup", help="invite, credentials or later (step 5).", metavar="OPTION")
    ] = None,
    short_extension: Annotated[
        str | None,
        Opt(
            "--short-extension",
            metavar="NUMBER",
            help="Short extension number (without the site code).",
        ),
    ] = None,
    site: Annotated[
        str | None,
        Opt(
            "--site",
            metavar="NAME",
            help="Site (default: the extension's).",
            autocompletion=complete.sites,
        ),
    ] = None,
    password_file: PasswordFileOpt = None,
    pin_file: PinFileOpt = None,
    security_question: QuestionOpt = None,
    security_answer_file: AnswerFileOpt = None,
    temporary_password: TemporaryPasswordOpt = None,
    allow_duplicate_email: Annotated[
        bool,
        Opt(
            "--allow-duplicate-email",
            help="Waive 'Users require unique email IDs' (only with --setup credentials).",
        ),
    ] = False,
    no_input: NoInputOpt = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    format: ItemFormatOpt = ItemFormat.table,
    **form: str | None,  # an option per field of the form (domain.fields): form_options
) -> None:
    """Assign a user to an unassigned extension: by flags, or step by step at a terminal."""
    from extadmin.cli.secret_input import read_secret_files
    from extadmin.services.assign import Request

    secrets = read_secret_files(
        {
            "--password-file": password_file,
            "--pin-file": pin_file,
            "--security-answer-file": security_answer_file,
        }
    )
    req = Request(
        extension=number,
        setup=setup,
        short_extension=short_extension,
        site=site,
        **form,
        password=secrets["--password-file"],
        pin=secrets["--pin-file"],
        security_question=security_question,
        security_answer=secrets["--security-answer-file"],
        temporary_password=temporary_password,
        allow_duplicate_email=allow_duplicate_email,
    )
    app = get_app(ctx)
    reviewed = False
    if app.can_prompt(no_input):
        from extadmin.cli import walkthrough

        req = walkthrough.run(app.prompter, app.store, req, confirm=not yes)
        reviewed = not yes
    else:
        require(req)
    save(app, req, dry_run=dry_run, fmt=format.value, reviewed=reviewed)


def require(req: Request) -> None:
    """Without prompting, a missing required value is a usage error naming the flag."""
    from extadmin.services.assign import required_fields

    missing = [FLAGS[f] for f in required_fields(req.setup) if not getattr(req, f)]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (required without prompting)")


def save(app: App, req: Request, *, dry_run: bool, fmt: str, reviewed: bool = False) -> None:
    """Validate and save under the account lock; queue (and deliver) the welcome email.
    `reviewed`: the walkthrough's review showed every value, so a table says a short result
    and the next step instead of all of them again."""
    from extadmin.services import assign as service

    done = service.run(app.store, req, dry_run)
    for warning in done.warnings:
        app.say(warning)
    account, plan, outcome, queued = done.account, done.plan, done.outcome, done.queued
    if outcome is None:
        from extadmin.cli.walkthrough import summary_lines

        render.emit_fields({"dry_run": True, **plan.summary()}, fmt, summary_lines(plan, account))
        app.say("dry run: nothing was written")
        return
    result = _result(account, outcome)
    if queued:
        result["welcome_email"] = welcome_email(app, account, queued)
    elif account.linked and plan.setup == "invite":
        app.say("welcome email: the platform sends it when this is applied (`platform apply`)")
    if not (reviewed and fmt == "table"):
        show_result(result, fmt)
    app.say(
        f"assigned extension {plan.number} to {plan.user['first_name']} "
        f"{plan.user['last_name']} ({result['status']})"
    )
    if reviewed:
        for line in next_steps(account, plan.number, plan.setup, result.get("welcome_email")):
            app.say(line)


def next_steps(
    account: Account, number: str, setup: str, email: dict[str, Any] | None
) -> list[str]:
    """After the walkthrough: the next step that applies. (A welcome email left queued has
    said what to run already: `deliver` or `welcome_email`.)"""
    lines = []
    if email is not None and email["delivered"]:
        lines.append(f"welcome email sent to {email['to']}: the user activates with its link")
    if setup == "later":
        lines.append(
            f"next: `extadmin activate {number} --invite` sends the invitation "
            f"(or `extadmin activate {number}` assigns credentials)"
        )
    lines.append(
        f"Engage Voice access, if needed: `extadmin engage-voice import {number} "
        "--access agent|admin|both`"
    )
    return lines


def welcome_email(app: App, account: Account, queued: list[Queued]) -> dict[str, Any]:
    """Deliver the queued welcome email now if a mail server is configured; where it is."""
    item = deliver(app, account, queued)[0]
    configured = "mail" in account.doc
    if configured and item.error:
        app.say(
            f"warning: welcome email queued, not delivered: {item.error} "
            "(retry with `extadmin mail send`)"
        )
    return {
        "to": item.to,
        "file": str(item.path),
        "delivered": configured and item.error is None,
        "error": item.error,
    }


def _result(account: Account, outcome: Outcome) -> dict[str, Any]:
    from extadmin.services import views

    return views.extension_detail(account, outcome.extension)


def show_result(result: dict[str, Any], fmt: str) -> None:
    from extadmin.cli.extensions import detail_fields

    render.emit_fields(result, fmt, detail_fields(result))


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
        Opt(
            "--token-file",
            metavar="PATH",
            help="File holding the token from the welcome email (or -).",
        ),
    ] = None,
    invite: Annotated[
        bool,
        Opt(
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
    from extadmin.cli.secret_input import read_secret_files
    from extadmin.services import activate as service
    from extadmin.services.assign import Request

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
        done = service.invite(app.store, number)
        for warning in done.warnings:
            app.say(warning)
        result = _result(done.account, done.outcome)
        where = "to be sent by RingCentral at `platform apply`"
        if done.queued:
            email = result["welcome_email"] = welcome_email(app, done.account, done.queued)
            where = "delivered" if email["delivered"] else "queued (`extadmin mail send`)"
        show_result(result, format.value)
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
    ext = service.pending(app.store.read(), number)
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
        from extadmin.cli import walkthrough

        token, req = walkthrough.activation(
            app.prompter, app.store, req, token=token, invited=invited
        )
    fields = ["password", "pin", "security_question", "security_answer"]
    missing = ([FLAGS["token"]] if invited and not token else []) + [
        FLAGS[f] for f in fields if not getattr(req, f)
    ]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (required without prompting)")
    done = service.activate(app.store, number, req, token)
    show_result(_result(done.account, done.outcome), format.value)
    app.say(f"extension {number} activated")
