"""engage-voice import | list | remove: Engage Voice access of assigned users."""

from __future__ import annotations

from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import get_app
from extadmin.cli.options import ListFormat, ListFormatOpt
from extadmin.errors import UsageError
from extadmin.render import Column
from extadmin.services import extensions, lifecycle, views

commands = declares()
engage_voice = typer.Typer(help="Engage Voice access (import users from the account).")
commands.add_typer(engage_voice, name="engage-voice")


@engage_voice.command("import")
def engage_import(
    ctx: typer.Context,
    numbers: Annotated[
        list[str], typer.Argument(metavar="NUMBER", help="Assigned extension numbers.")
    ],
    access: Annotated[
        str,
        typer.Option(
            "--access",
            metavar="agent|admin|both",
            help="Engage Voice interface: Agent, Admin or both.",
            autocompletion=complete.choices(lifecycle.ENGAGE_ACCESS),
        ),
    ] = "",
    agent_group: Annotated[
        str | None, typer.Option("--agent-group", metavar="NAME", help="Agent group (agents only).")
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Change the access of users already imported.")
    ] = False,
) -> None:
    """Import users into Engage Voice (Admin, Agent or both)."""
    if not access:
        raise UsageError("missing --access (agent, admin or both)")
    count = lifecycle.engage_import(get_app(ctx).store, numbers, access, agent_group, update)
    render.message(f"Engage Voice access {access} for {count} user(s)")


@engage_voice.command("list")
def engage_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """Users with Engage Voice access."""
    part = render.listing_part(format.value, ENGAGE_COLUMNS)
    listed = extensions.listing(get_app(ctx).store, views.engage_rows, part)
    render.emit_listing(listed.parts, format.value, ENGAGE_COLUMNS)


ENGAGE_COLUMNS = [
    Column("extension", "Extension"),
    Column("first_name"),
    Column("last_name"),
    Column("email"),
    Column("access", "Access"),
    Column("agent_group", "Agent group"),
    Column("imported_at", "Imported"),
]


@engage_voice.command("remove")
def engage_remove(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(metavar="NUMBER", help="Extension numbers.")],
) -> None:
    """Remove users' Engage Voice access."""
    count = lifecycle.engage_remove(get_app(ctx).store, numbers)
    render.message(f"removed Engage Voice access of {count} user(s)")
