"""role list: the account's roles."""

from __future__ import annotations

import typer

from extadmin import render
from extadmin.cli import declares
from extadmin.cli.app import get_app
from extadmin.cli.options import ListFormat, ListFormatOpt
from extadmin.render import Column

commands = declares()
role = typer.Typer(help="Account roles.")
commands.add_typer(role, name="role")


@role.command("list")
def role_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """The account's roles, the default marked."""
    account = get_app(ctx).store.read()
    rows = [{"role": r, "default": r == account.default_role} for r in account.roles]
    render.emit(rows, format.value, [Column("role", "Role"), Column("default", "Default")])
