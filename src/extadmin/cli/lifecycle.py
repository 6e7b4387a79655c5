"""unassign, bulk-unassign, disable and enable: a user's life after assignment."""

from __future__ import annotations

from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import App, get_app
from extadmin.cli.options import (
    DryRunOpt,
    ItemFormat,
    ItemFormatOpt,
    NoInputOpt,
    YesOpt,
    examples,
    read_input,
)
from extadmin.cli.results import ResultsOpt, recording, target
from extadmin.domain.account import user_name
from extadmin.errors import UsageError
from extadmin.render import Column
from extadmin.services import bulk, lifecycle
from extadmin.services.results import DRY_RUN, Result

commands = declares()


ReleaseOpt = Annotated[
    bool,
    typer.Option(
        "--release-number/--keep-number",
        help="Give the line and its phone number back to RingCentral (the extension leaves "
        "the account), or keep them as an unassigned extension of the account (the default).",
    ),
]


@commands.command("unassign")
def unassign(
    ctx: typer.Context,
    number: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER", help="Assigned extension number.", autocompletion=complete.assigned
        ),
    ],
    release: ReleaseOpt = False,
    yes: YesOpt = False,
    no_input: NoInputOpt = False,
) -> None:
    """Remove the user from an extension: it returns to unassigned, and the user's data,
    credentials, recording and Engage Voice access are removed."""
    app = get_app(ctx)
    ext = lifecycle.assigned(app.store.read(), [number])[0]
    name = user_name(ext["user"])
    app.confirm(f"Unassign {name} from extension {ext['number']}?", yes=yes, no_input=no_input)
    done = lifecycle.unassign(app.store, [(1, number, "")], release=release)
    render.message(f"extension {ext['number']} is unassigned ({name} removed)")
    _said_after(app, done)


@commands.command(
    "bulk-unassign",
    epilog=examples(
        "extadmin bulk-unassign 101 102 ada@acme.example --dry-run",
        "extadmin bulk-unassign --file leavers.csv --yes",
        "extadmin bulk-unassign --file leavers.csv --release-number --yes",
    ),
)
def bulk_unassign(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[EXTENSION|EMAIL]...",
            help="Extension numbers or users' email addresses.",
            autocompletion=complete.assigned,
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            metavar="FILE|-",
            help="A CSV file (or - for stdin) that names each user by a column extension or "
            "email (both: the same user); bulk-assign's files, exports and result files do.",
        ),
    ] = None,
    release: ReleaseOpt = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    no_input: NoInputOpt = False,
    results: ResultsOpt = None,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """Offboard many users at once, all or none: each extension returns to unassigned with its
    line and number (or, with --release-number, leaves the account with them), and each user's
    data, credentials, recording and Engage Voice access are removed. Every problem of every
    row is reported, and nothing is written unless all are fine. At a terminal it asks first,
    naming the count (--yes without one). On a linked file the users stay on RingCentral until
    `extadmin platform apply --allow-offboard` deletes them there."""
    app = get_app(ctx)
    if bool(targets) == (file is not None):
        raise UsageError("give extension numbers or emails, or --file CSV (one of them)")
    results_file = target(results, file)
    rows = _targets(file, targets or [])
    given = [(r.line, r.values.get("extension", ""), r.values.get("email", "")) for r in rows]
    from_file = file is not None
    with recording(app, results_file, rows) as record:
        if not rows:
            app.say("nothing to do: every row is done")
            record.done({})
            return
        found = lifecycle.unassign(app.store, given, dry_run=True, from_file=from_file)
        count = len(found.extensions)
        if not dry_run:
            fate = "releasing their lines and numbers" if release else "keeping their lines"
            app.confirm(f"Offboard {count} user(s), {fate}?", yes=yes, no_input=no_input)
            found = lifecycle.unassign(app.store, given, release=release, from_file=from_file)
        result = "valid" if dry_run else "released" if release else "unassigned"
        record.done(_results(found, result))
    render.emit(_rows(found, result), format.value, OFFBOARD_COLUMNS)
    if dry_run:
        app.say(f"dry run: {count} user(s) to offboard, nothing was written")
        return
    app.say(f"offboarded {count} user(s)")
    _said_after(app, found)


def _targets(file: str | None, targets: list[str]) -> bulk.Rows:
    """The users named, as rows: a CSV's (any of bulk-assign's columns; extension and email
    are read), or the arguments' (by place, an address by its @) as if they were one."""
    if file is not None:
        data, source = read_input(file)
        return bulk.parse_csv(data, source, required=(), columns=bulk.ASSIGN_COLUMNS)
    named = [
        bulk.Row(n, {"email": t}, ["", t]) if "@" in t else bulk.Row(n, {"extension": t}, [t, ""])
        for n, t in enumerate(targets, 1)
    ]
    columns = ["extension", "email"]
    return bulk.Rows(named, [], columns, columns)


def _results(done: lifecycle.Offboarded, result: str) -> dict[int, Result]:
    """Each row's result for --results: done (or, in a dry run, not applied), by line."""
    message = DRY_RUN if result == "valid" else result
    if done.linked and result != "valid":
        message += " here; on RingCentral at `platform apply --allow-offboard`"
    outcome = "not applied" if result == "valid" else "done"
    return {line: Result(outcome, "", message, ext.get("id", "")) for line, ext in done.extensions}


OFFBOARD_COLUMNS = [
    Column("line", "Line"),
    Column("extension", "Extension"),
    Column("name", "User"),
    Column("email"),
    Column("result"),
]


def _rows(done: lifecycle.Offboarded, result: str) -> list[dict[str, object]]:
    return [
        {
            "line": line,
            "extension": ext["number"],
            "name": user_name(ext["user"]),
            "email": ext["user"]["email"],
            "result": result,
        }
        for line, ext in done.extensions
    ]


def _said_after(app: App, done: lifecycle.Offboarded) -> None:
    if done.linked:
        app.say(
            f"the platform still has {'them' if len(done.extensions) > 1 else 'it'}: "
            "`extadmin platform plan` shows the offboarding, and `extadmin platform apply "
            "--allow-offboard` deletes the user(s) on RingCentral (it cannot be undone)"
        )


@commands.command("disable")
def disable(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(metavar="NUMBER", help="Extension numbers.")],
) -> None:
    """Disable users (they keep their extension and settings)."""
    count = lifecycle.set_disabled(get_app(ctx).store, numbers, True)
    render.message(f"disabled {count} extension(s)")


@commands.command("enable")
def enable(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(metavar="NUMBER", help="Extension numbers.")],
) -> None:
    """Enable disabled users again."""
    count = lifecycle.set_disabled(get_app(ctx).store, numbers, False)
    render.message(f"enabled {count} extension(s)")
