"""site add | list: the account's sites (the portal's Company Info)."""

from __future__ import annotations

from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import declares
from extadmin.cli.app import get_app
from extadmin.cli.options import ListFormat, ListFormatOpt
from extadmin.render import Column
from extadmin.services import extensions

commands = declares()
site = typer.Typer(help="Account sites (the portal's Company Info).")
commands.add_typer(site, name="site")


@site.command("add")
def site_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Site name.")],
    code: Annotated[
        str, typer.Option("--code", metavar="CODE", help="Numeric site code (multi-site).")
    ] = "",
) -> None:
    """Add a site to the account."""
    added = extensions.add_site(get_app(ctx).store, name, code)
    render.message(f"added site {added['name']!r}" + (f" (code {code})" if code else ""))


@site.command("list")
def site_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """The account's sites; the first is the main site."""
    account = get_app(ctx).store.read()
    rows = [
        {
            "name": s["name"],
            "code": s.get("code"),
            "main": i == 0,
            "extensions": sum(1 for e in account.extensions if e["site"] == s["name"]),
        }
        for i, s in enumerate(account.sites)
    ]
    render.emit(
        rows,
        format.value,
        [
            Column("name", "Site"),
            Column("code", "Code"),
            Column("main", "Main"),
            Column("extensions", "Extensions"),
        ],
    )
