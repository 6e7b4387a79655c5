"""assign: by flags in a script, or at a terminal with the walkthrough (the seed's steps 4 to
10)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from extadmin import render
from extadmin.cli import complete, declares, walkthrough
from extadmin.cli.app import App, get_app
from extadmin.cli.details import detail_fields
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
    require,
)
from extadmin.cli.secret_input import read_secret_files
from extadmin.cli.welcome import welcome_email
from extadmin.domain.account import Account
from extadmin.domain.catalog import SETUP_OPTIONS
from extadmin.services import assign as assigning
from extadmin.services import profiles, views
from extadmin.services.assign import Request, required_fields

commands = declares()
Opt = typer.Option


@commands.command(
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
        "extadmin assign 104 --profile Sales --first-name Ada --last-name Byron "
        "--email ada.b@acme.example --no-input      # the flags override the profile",
    ),
)
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
        str | None,
        Opt(
            "--setup",
            help="invite, credentials or later (step 5).",
            metavar="OPTION",
            autocompletion=complete.choices(SETUP_OPTIONS),
        ),
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
    profile: Annotated[
        str | None,
        Opt(
            "--profile",
            metavar="NAME",
            help="Start from this profile's values (`extadmin profile list`); the flags "
            "override them. Default: the site's default profile, if it has one; '' none.",
        ),
    ] = None,
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
        profile=profile,
    )
    app = get_app(ctx)
    reviewed = False
    if app.can_prompt(no_input):
        req = walkthrough.run(app.prompter, app.store, req, confirm=not yes)
        reviewed = not yes
    else:
        if req.setup is None:  # a profile may give it (the account read only then)
            req = profiles.prefill(app.store, req)
        require({f: getattr(req, f) for f in required_fields(req.setup)})
    save(app, req, dry_run=dry_run, fmt=format.value, reviewed=reviewed)


def save(app: App, req: Request, *, dry_run: bool, fmt: str, reviewed: bool = False) -> None:
    """Validate and save under the account lock; queue (and deliver) the welcome email.
    `reviewed`: the walkthrough's review showed every value, so a table says a short result
    and the next step instead of all of them again."""
    done = assigning.run(app.store, req, dry_run)
    for warning in done.warnings:
        app.say(warning)
    account, assignment, outcome, queued = done.account, done.assignment, done.outcome, done.queued
    if outcome is None:
        render.emit_fields(
            {"dry_run": True, **assignment.summary()},
            fmt,
            walkthrough.summary_lines(assignment, account),
        )
        app.say("dry run: nothing was written")
        return
    result = views.extension_detail(account, outcome.extension)
    if queued:
        result["welcome_email"] = welcome_email(app, account, queued)
    elif account.linked and assignment.setup == "invite":
        app.say("welcome email: the platform sends it when this is applied (`platform apply`)")
    if not (reviewed and fmt == "table"):
        render.emit_fields(result, fmt, detail_fields(result))
    app.say(
        f"assigned extension {assignment.number} to {assignment.user['first_name']} "
        f"{assignment.user['last_name']} ({result['status']})"
    )
    if reviewed:
        for line in next_steps(
            account, assignment.number, assignment.setup, result.get("welcome_email")
        ):
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
