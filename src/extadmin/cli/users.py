"""users list | show | update: assigned users."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import typer

from extadmin import render
from extadmin.cli import complete, declares, details, walkthrough
from extadmin.cli.app import get_app
from extadmin.cli.options import (
    DryRunOpt,
    ItemFormat,
    ItemFormatOpt,
    ListFormat,
    ListFormatOpt,
    NoInputOpt,
    SiteOpt,
    YesOpt,
    examples,
    form_options,
)
from extadmin.cli.welcome import delivery, welcome_email
from extadmin.domain import rules
from extadmin.domain.catalog import STATUSES
from extadmin.domain.fields import label
from extadmin.errors import UsageError
from extadmin.render import Column
from extadmin.services import extensions, update, views

commands = declares()
users = typer.Typer(help="Assigned users.")
commands.add_typer(users, name="users")

UserNumber = Annotated[
    str,
    typer.Argument(
        metavar="NUMBER", help="Extension number of a user.", autocompletion=complete.assigned
    ),
]


@users.command("list")
def users_list(
    ctx: typer.Context,
    site: SiteOpt = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            metavar="ROLE",
            help="Only users with this role.",
            autocompletion=complete.roles,
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="not-activated, enabled, disabled or frozen.",
            autocompletion=complete.choices(STATUSES[1:]),
        ),
    ] = None,
    format: ListFormatOpt = ListFormat.table,
) -> None:
    """Assigned users with their status."""
    if status is not None:
        status = rules.choice(status, STATUSES[1:], "status")
    part = render.listing_part(format.value, USER_COLUMNS)
    rows = partial(views.user_rows, role=role)
    listed = extensions.listing(get_app(ctx).store, rows, part, site=site, status=status)
    if role:
        listed.account.role(role)  # raises NotFound: nothing printed
    render.emit_listing(listed.parts, format.value, USER_COLUMNS)


USER_COLUMNS = [
    Column("extension", "Extension"),
    Column("site"),
    Column("status"),
    Column("first_name"),
    Column("last_name"),
    Column("email"),
    Column("role"),
    Column("department"),
    Column("recording"),
]


@users.command("show")
def users_show(
    ctx: typer.Context,
    number: UserNumber,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """One assigned user in full (never a secret): `extension show` of a user's extension."""
    account = get_app(ctx).store.read()
    details.show(account, update.updatable(account, number), format.value)


@users.command(
    "update",
    epilog=examples(
        "extadmin users update 101 --job-title 'Head of Sales' --department Sales",
        "extadmin users update 101 --email ada.l@acme.example --dry-run",
        "extadmin users update 101 --site Boston     # renumbered with Boston's code",
        "extadmin users update 101 --profile Sales   # the profile's values again",
        "extadmin users update 101                   # at a terminal: from the current values",
    ),
)
@form_options("number")
def users_update(
    ctx: typer.Context,
    number: UserNumber,
    site: SiteOpt = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="Apply this profile's values again (its user fields and site; not its setup "
            "option or Engage Voice access); the other flags override them.",
        ),
    ] = None,
    no_input: NoInputOpt = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    format: ItemFormatOpt = ItemFormat.table,
    **form: str | None,  # an option per field of the form (domain.fields): form_options
) -> None:
    """Change an assigned user in place: only the fields given ("" clears an optional one), by
    the same rules as assign; at a terminal with none given, each field from its current
    value. On a linked file, a local change that `platform apply` sends (the fields changed)."""
    app = get_app(ctx)
    given: dict[str, str | None] = {**form, "site": site}
    if profile is None and all(v is None for v in given.values()):
        if not app.can_prompt(no_input):
            raise UsageError("give a field to change (--email, --job-title, …; see --help)")
        given = walkthrough.update(app.prompter, app.store, number)
    planned = update.preview(app.store, number, given, profile)
    previewed = planned.changes and not dry_run and not yes and app.can_prompt(no_input)
    if previewed:
        _show_update(planned, "table")
        app.confirm(f"Change extension {planned.extension}?", yes=False)
    done = update.run(app.store, number, given, dry_run, profile)
    for warning in done.warnings:
        app.say(warning)
    planned = done.update
    if not previewed or format == ItemFormat.json:
        _show_update(planned, format.value)
    if done.queued:
        email = welcome_email(app, done.account, done.queued)
        app.say(
            f"a new invitation for {email['to']}: {delivery(email)}; the old link no longer works"
        )
    if dry_run:
        app.say("dry run: nothing was written")
    elif not planned.changes:
        app.say(f"extension {planned.extension}: nothing to change")
    else:
        where = " (local: `extadmin platform apply` sends it)" if done.account.linked else ""
        app.say(f"updated extension {planned.number}: {len(planned.changes)} field(s){where}")


def _show_update(planned: Any, fmt: str) -> None:
    rows = [
        (label(name), f"{old or '(none)'} → {new or '(none)'}")
        for name, (old, new) in planned.changes.items()
    ]
    render.emit_fields(planned.summary(), fmt, [(label("extension"), planned.number), *rows])
