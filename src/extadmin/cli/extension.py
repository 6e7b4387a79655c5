"""extension add | list | show | remove, and list-unassigned."""

from __future__ import annotations

from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares, details
from extadmin.cli.app import get_app
from extadmin.cli.details import device_model, mac_address, number_or_id
from extadmin.cli.options import (
    ItemFormat,
    ItemFormatOpt,
    ListFormat,
    ListFormatOpt,
    NoInputOpt,
    SiteOpt,
    YesOpt,
    examples,
)
from extadmin.domain import rules
from extadmin.domain.catalog import STATUSES
from extadmin.render import Column
from extadmin.services import extensions, views

commands = declares()
extension = typer.Typer(help="Extensions: add, list, show, remove.")
commands.add_typer(extension, name="extension")

EXTENSION_COLUMNS = [
    Column("extension", "Extension", number_or_id),
    Column("site"),
    Column("status"),
    Column("name", "User"),
    Column("email"),
    Column("recording"),
    Column("device_model", "Device", device_model),
    Column("device_mac", "MAC", mac_address),
]
UNASSIGNED_COLUMNS = [
    Column("extension", "Extension", number_or_id),
    Column("short_extension"),
    Column("site"),
    Column("device_model", "Device", device_model),
    Column("device_mac", "MAC", mac_address),
]


@extension.command("add")
def extension_add(
    ctx: typer.Context,
    numbers: Annotated[
        list[str],
        typer.Argument(metavar="NUMBER", help="Extension numbers, or ranges such as 201-250."),
    ],
    site: SiteOpt = None,
    device: Annotated[
        str | None,
        typer.Option(
            "--device", metavar="MODEL", help="Desk phone model assigned to the extension."
        ),
    ] = None,
    mac: Annotated[
        str | None, typer.Option("--mac", metavar="MAC", help="The desk phone's MAC address.")
    ] = None,
) -> None:
    """Create unassigned extensions, with or without a desk phone."""
    added = extensions.add_extensions(get_app(ctx).store, numbers, site, device, mac)
    render.message(f"added {len(added)} extension(s)")


@extension.command("list")
def extension_list(
    ctx: typer.Context,
    site: SiteOpt = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="unassigned, not-activated, enabled, disabled or frozen.",
            autocompletion=complete.choices(STATUSES),
        ),
    ] = None,
    format: ListFormatOpt = ListFormat.table,
) -> None:
    """All extensions with their status."""
    if status is not None:
        status = rules.choice(status, STATUSES, "status")
    part = render.listing_part(format.value, EXTENSION_COLUMNS)
    store = get_app(ctx).store
    listed = extensions.listing(store, views.extension_rows, part, status=status, site=site)
    render.emit_listing(listed.parts, format.value, EXTENSION_COLUMNS)


@extension.command("show")
def extension_show(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(metavar="NUMBER", help="Extension number.")],
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """One extension in full (never a secret)."""
    number = rules.extension_ref(number)
    account = get_app(ctx).store.read(
        keep=lambda e: number in (e.get("number"), e.get("id")), hint=f'"{number}"'
    )
    details.show(account, account.extension(number), format.value)


@extension.command("remove")
def extension_remove(
    ctx: typer.Context,
    numbers: Annotated[
        list[str], typer.Argument(metavar="NUMBER", help="Unassigned extension numbers.")
    ],
    yes: YesOpt = False,
    no_input: NoInputOpt = False,
) -> None:
    """Remove unassigned extensions (asks for confirmation)."""
    app = get_app(ctx)
    # checked before asking: a confirmation for something that cannot be done is noise
    numbers = extensions.removable(app.store.read(), numbers)
    app.confirm(f"Remove extension(s) {', '.join(numbers)}?", yes=yes, no_input=no_input)
    extensions.remove_extensions(app.store, numbers)
    render.message(f"removed {len(numbers)} extension(s)")


@commands.command(
    "list-unassigned",
    epilog=examples(
        "extadmin list-unassigned",
        "extadmin list-unassigned --site Boston --format json",
        "extadmin list-unassigned --format csv > free.csv",
    ),
)
def list_unassigned(
    ctx: typer.Context,
    site: SiteOpt = None,
    device: Annotated[
        bool | None,
        typer.Option("--device/--no-device", help="Only extensions with / without a desk phone."),
    ] = None,
    format: ListFormatOpt = ListFormat.table,
) -> None:
    """The unassigned extensions: the ones a user can be assigned to."""
    part = render.listing_part(format.value, UNASSIGNED_COLUMNS)
    listed = extensions.listing(
        get_app(ctx).store, views.unassigned_rows, part, site=site, device=device, free=True
    )
    if listed.pending:
        render.message(
            f"{listed.pending} unassigned extension(s) not listed: their users' offboarding is "
            "not applied yet (`extadmin platform apply --allow-offboard`)"
        )
    render.emit_listing(listed.parts, format.value, UNASSIGNED_COLUMNS)
