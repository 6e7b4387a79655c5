"""unassign, disable and enable: a user's life after assignment."""

from __future__ import annotations

from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import get_app
from extadmin.cli.options import NoInputOpt, YesOpt
from extadmin.services import lifecycle

commands = declares()


@commands.command("unassign")
def unassign(
    ctx: typer.Context,
    number: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER", help="Assigned extension number.", autocompletion=complete.assigned
        ),
    ],
    yes: YesOpt = False,
    no_input: NoInputOpt = False,
) -> None:
    """Remove the user from an extension: it returns to unassigned, and the user's data,
    credentials, recording and Engage Voice access are removed."""
    app = get_app(ctx)
    ext = lifecycle.assigned(app.store.read(), [number])[0]
    name = f"{ext['user']['first_name']} {ext['user']['last_name']}"
    app.confirm(f"Unassign {name} from extension {ext['number']}?", yes=yes, no_input=no_input)
    lifecycle.unassign(app.store, number)
    render.message(f"extension {ext['number']} is unassigned ({name} removed)")


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
