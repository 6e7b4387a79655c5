"""init, and the registry of accounts known on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import get_app
from extadmin.cli.options import ListFormat, ListFormatOpt
from extadmin.errors import UsageError
from extadmin.render import message
from extadmin.services import accounts, mail

ActivationUrlOpt = Annotated[
    str,
    typer.Option(
        "--activation-url",
        metavar="URL",
        help="The page the activation links of welcome emails open (https://…).",
    ),
]

commands = declares()
account = typer.Typer(help="Accounts known on this machine (used by verify-email).")
commands.add_typer(account, name="account")


@commands.command("init")
def init(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="New account file: .toml or .json.")
    ] = Path("account.toml"),
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="The account's (company's) name.")
    ] = "",
    country: Annotated[
        str,
        typer.Option(
            "--country",
            metavar="CC",
            help="Two-letter country code, for phone numbers.",
            autocompletion=complete.countries,
        ),
    ] = "US",
    locale: Annotated[
        str,
        typer.Option(
            "--locale",
            metavar="CODE",
            help="Default locale, e.g. en-US.",
            autocompletion=complete.locales,
        ),
    ] = "en-US",
    site_code: Annotated[
        str,
        typer.Option(
            "--site-code", metavar="CODE", help="Site code of the main site (multi-site)."
        ),
    ] = "",
    activation_url: ActivationUrlOpt = "",
) -> None:
    """Create an account file with the predefined roles and a main site; register it and make
    it the current account."""

    if not name:
        raise UsageError("missing --name: the account's name is required")
    created = accounts.init(path, name, country, locale, site_code, activation_url)
    message(f"created account {created.name!r} in {path} (now the current account)")
    if not activation_url:
        message(
            "next: set the page your welcome emails link to, before inviting anyone: "
            "`extadmin account set --activation-url URL`"
        )


@account.command("list")
def account_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """Registered accounts, the current one marked."""

    rows = accounts.listed()
    render.emit(
        rows,
        format.value,
        [
            render.Column("name", "Name"),
            render.Column("path", "Path"),
            render.Column("current", "Current"),
            render.Column("error", "Problem"),
        ],
    )


@account.command("add")
def account_add(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Existing account file.")],
) -> None:
    """Register an existing account file (so verify-email searches it)."""

    added = accounts.add(path)
    message(f"registered {path}" if added else f"{path} was already registered")


@account.command("forget")
def account_forget(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Registered account file.")],
) -> None:
    """Stop knowing an account file (the file itself is not touched)."""

    accounts.forget(path)
    message(f"forgot {path}")


@account.command("use")
def account_use(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(metavar="PATH", help="Account file.")]
) -> None:
    """Make an account file the current one (and register it)."""

    accounts.use(path)
    message(f"current account: {path}")


@account.command("convert")
def account_convert(
    source: Annotated[Path, typer.Argument(metavar="SOURCE", help="Existing account file.")],
    target: Annotated[Path, typer.Argument(metavar="TARGET", help="New file: .json or .toml.")],
) -> None:
    """Convert an account between TOML and JSON (a new file; the old one is kept). A
    registered source is replaced by the new file in the registry."""

    replaced = accounts.convert(source, target)
    message(f"wrote {target}" + (f" (registered in place of {source})" if replaced else ""))


@account.command("set")
def account_set(
    ctx: typer.Context,
    activation_url: ActivationUrlOpt,
) -> None:
    """Change a setting of the account: the page welcome emails link to. Emails already queued
    keep their link: re-issue them with `extadmin activate NUMBER --invite`."""

    url = accounts.set_activation_url(get_app(ctx).store, activation_url)
    message(f"activation url: {url}")
    if mail.placeholder(url):
        message(mail.placeholder_warning(url))


@account.command("show")
def account_show(ctx: typer.Context) -> None:
    """The path of the account file that commands use now."""
    print(get_app(ctx).account_path)
