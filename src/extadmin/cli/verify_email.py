"""verify-email: is an address free across every account known here, and on the platform."""

from __future__ import annotations

from typing import Annotated

import typer

from extadmin import render
from extadmin.cli import declares
from extadmin.cli.app import App, get_app
from extadmin.cli.link import env_secrets, say_waits
from extadmin.cli.options import ItemFormat, ItemFormatOpt, examples
from extadmin.domain import rules
from extadmin.domain.account import Account
from extadmin.errors import AccountFileError, Conflict, ExtadminError, NotFound
from extadmin.render import Column
from extadmin.services import accounts, link
from extadmin.services.directory import build_index

commands = declares()


@commands.command(
    "verify-email",
    epilog=examples(
        "extadmin verify-email ada@acme.example       # exit 0: unique, 5: used",
        "extadmin verify-email ada@acme.example --format json",
        "extadmin verify-email ada@acme.example --offline   # the files only",
    ),
)
def verify_email(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The address to check.")],
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Do not ask the platform (linked accounts)."),
    ] = False,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """Is the address unique across every account known on this machine, and on the platform
    when the current account is linked to one? (exit 0: unique, 5: already used)."""
    address = rules.email(email)
    app = get_app(ctx)
    try:  # the current account counts even when it was never registered
        current, path = app.store.read(), app.store.path
    except (NotFound, AccountFileError):
        # only an account named with --account must be readable; a registered one that
        # vanished or went bad is a warning below, like any other registered account
        if app.account_option:
            raise
        current, path = None, None
    index = build_index(current, path)
    for warning in index.warnings:
        app.say(warning)
    matches = [
        {"account": m.account, "extension": m.extension, "path": m.path}
        for m in index.matches(address)
    ]
    if current is not None and current.linked and not offline:
        matches += _platform_matches(app, current, address, matches)
    data = {"email": address, "unique": not matches, "matches": matches}
    if format == ItemFormat.json:
        render.emit(data, "json", [])
    elif matches:
        render.emit(
            data["matches"],
            "table",
            [
                Column("account", "Account"),
                Column("extension", "Extension"),
                Column("path", "Account file"),
            ],
        )
    if matches:
        raise Conflict(f"{address} is already used by {len(matches)} user(s)")
    searched = (current is not None) + len(accounts.others(path)) - len(index.warnings)
    app.say(f"{address} is unique across {searched} known account(s)")


def _platform_matches(
    app: App, account: Account, address: str, known: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The linked platform's users of the address that the file does not show (a user added
    in the Admin Portal since the pull); a warning, and none, when it cannot be asked."""
    say_waits()

    try:
        numbers = link.platform_users(account, address, env_secrets())
    except ExtadminError as exc:
        app.say(f"warning: the platform was not asked ({exc.message}); pass --offline to skip it")
        return []
    server = account.doc["platform"]["server"]
    seen = {(m["account"], m["extension"]) for m in known}
    return [
        {"account": account.name, "extension": n, "path": server}
        for n in numbers
        if (account.name, n) not in seen
    ]
