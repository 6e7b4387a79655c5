"""set-recording and recording list: automatic call recording."""

from __future__ import annotations

from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import get_app
from extadmin.cli.options import ListFormat, ListFormatOpt, SiteOpt, examples
from extadmin.domain import rules
from extadmin.domain.catalog import RECORDING_TITLES
from extadmin.errors import UsageError
from extadmin.render import Column
from extadmin.services import extensions, lifecycle, views

commands = declares()
recording = typer.Typer(help="Automatic call recording.")
commands.add_typer(recording, name="recording")

Numbers = Annotated[
    list[str] | None,
    typer.Argument(metavar="NUMBER", help="Extension numbers.", autocompletion=complete.assigned),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every assigned extension.")]


@commands.command(
    "set-recording",
    epilog=examples(
        "extadmin set-recording 101 102 --direction both",
        "extadmin set-recording --site Boston --direction inbound",
        "extadmin set-recording --all --direction off",
    ),
)
def set_recording(
    ctx: typer.Context,
    numbers: Numbers = None,
    direction: Annotated[
        str,
        typer.Option(
            "--direction",
            metavar="off|inbound|outbound|both",
            help="Record inbound, outbound, both, or no calls.",
            autocompletion=complete.choices(RECORDING_TITLES),
        ),
    ] = "",
    site: SiteOpt = None,
    all_: AllOpt = False,
) -> None:
    """Automatic call recording for assigned users (NUMBER…, --site or --all)."""
    if not direction:
        raise UsageError("missing --direction (off, inbound, outbound or both)")
    direction = rules.recording(direction)
    count, changed = lifecycle.set_recording(
        get_app(ctx).store, numbers or [], site, all_, direction
    )
    render.message(f"recording {direction} on {count} extension(s) ({changed} changed)")


@recording.command("list")
def recording_list(
    ctx: typer.Context, site: SiteOpt = None, format: ListFormatOpt = ListFormat.table
) -> None:
    """The call-recording extension list: assigned users whose calls are recorded."""
    part = render.listing_part(format.value, RECORDING_COLUMNS)
    listed = extensions.listing(get_app(ctx).store, views.recording_rows, part, site=site)
    render.emit_listing(listed.parts, format.value, RECORDING_COLUMNS)


RECORDING_COLUMNS = [
    Column("extension", "Extension"),
    Column("name", "User"),
    Column("site"),
    Column("recording"),
    Column("call_direction", "Call direction"),
]
