"""verify-email, set-recording, Engage Voice access, and the rest of a user's life cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from extadmin import render
from extadmin.cli import complete
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
from extadmin.render import Column

if TYPE_CHECKING:
    from extadmin.cli.app import App
    from extadmin.domain.account import Account

recording_app = typer.Typer(help="Automatic call recording.")
engage_app = typer.Typer(help="Engage Voice access (import users from the account).")
users_app = typer.Typer(help="Assigned users.")

Numbers = Annotated[
    list[str] | None,
    typer.Argument(metavar="NUMBER", help="Extension numbers.", autocompletion=complete.assigned),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every assigned extension.")]
UserNumber = Annotated[
    str,
    typer.Argument(
        metavar="NUMBER", help="Extension number of a user.", autocompletion=complete.assigned
    ),
]


def register(app: typer.Typer) -> None:
    app.command(
        "verify-email",
        epilog=examples(
            "extadmin verify-email ada@acme.example       # exit 0: unique, 5: used",
            "extadmin verify-email ada@acme.example --format json",
            "extadmin verify-email ada@acme.example --offline   # the files only",
        ),
    )(verify_email)
    app.command(
        "set-recording",
        epilog=examples(
            "extadmin set-recording 101 102 --direction both",
            "extadmin set-recording --site Boston --direction inbound",
            "extadmin set-recording --all --direction off",
        ),
    )(set_recording)
    app.add_typer(recording_app, name="recording")
    app.add_typer(engage_app, name="engage-voice")
    app.add_typer(users_app, name="users")
    app.command("unassign")(unassign)
    app.command("disable")(disable)
    app.command("enable")(enable)


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
    from extadmin.domain import rules
    from extadmin.errors import AccountFileError, Conflict, NotFound
    from extadmin.services.directory import build_index

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
    searched = (current is not None) + len(_others(path)) - len(index.warnings)
    app.say(f"{address} is unique across {searched} known account(s)")


def _platform_matches(
    app: App, account: Account, address: str, known: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The linked platform's users of the address that the file does not show (a user added
    in the Admin Portal since the pull); a warning, and none, when it cannot be asked."""
    from extadmin.cli.platform import env_secrets, say_waits
    from extadmin.errors import ExtadminError
    from extadmin.services import link

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


def _others(path: Any) -> list[Any]:
    from extadmin.services import accounts

    return accounts.others(path)


def set_recording(
    ctx: typer.Context,
    numbers: Numbers = None,
    direction: Annotated[
        str,
        typer.Option(
            "--direction",
            metavar="off|inbound|outbound|both",
            help="Record inbound, outbound, both, or no calls.",
        ),
    ] = "",
    site: SiteOpt = None,
    all_: AllOpt = False,
) -> None:
    """Automatic call recording for assigned users (NUMBER…, --site or --all)."""
    from extadmin.domain import rules
    from extadmin.errors import UsageError
    from extadmin.services import lifecycle

    if not direction:
        raise UsageError("missing --direction (off, inbound, outbound or both)")
    direction = rules.recording(direction)
    with get_app(ctx).store.transaction("set-recording") as account:
        exts = lifecycle.targets(account, numbers or [], site, all_)
        changed = lifecycle.set_recording(account, exts, direction)
    render.message(f"recording {direction} on {len(exts)} extension(s) ({len(changed)} changed)")


@recording_app.command("list")
def recording_list(
    ctx: typer.Context, site: SiteOpt = None, format: ListFormatOpt = ListFormat.table
) -> None:
    """The call-recording extension list: assigned users whose calls are recorded."""
    from extadmin.domain.catalog import RECORDING_PLATFORM
    from extadmin.services.extensions import select

    account = get_app(ctx).store.read()
    rows = [
        {
            "extension": e["number"],
            "name": f"{e['user']['first_name']} {e['user']['last_name']}",
            "site": e["site"],
            "recording": e["user"]["recording"],
            "call_direction": RECORDING_PLATFORM[e["user"]["recording"]],
        }
        for e in select(account, site=site)
        if "user" in e and e["user"]["recording"] != "off"
    ]
    render.emit(
        rows,
        format.value,
        [
            Column("extension", "Extension"),
            Column("name", "User"),
            Column("site"),
            Column("recording"),
            Column("call_direction", "Call direction"),
        ],
    )


@engage_app.command("import")
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
    from extadmin.errors import UsageError
    from extadmin.services import lifecycle

    if not access:
        raise UsageError("missing --access (agent, admin or both)")
    with get_app(ctx).store.transaction("engage-voice import") as account:
        exts = lifecycle.assigned(account, numbers)
        lifecycle.engage_import(account, exts, access, agent_group, update)
    render.message(f"Engage Voice access {access} for {len(exts)} user(s)")


@engage_app.command("list")
def engage_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """Users with Engage Voice access."""
    from extadmin.services.extensions import select

    account = get_app(ctx).store.read()
    rows = [
        {"extension": e["number"], **e["user"]["engage_voice"]}
        for e in select(account)
        if "engage_voice" in e.get("user", {})
    ]
    render.emit(
        rows,
        format.value,
        [
            Column("extension", "Extension"),
            Column("first_name"),
            Column("last_name"),
            Column("email"),
            Column("access", "Access"),
            Column("agent_group", "Agent group"),
            Column("imported_at", "Imported"),
        ],
    )


@engage_app.command("remove")
def engage_remove(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(metavar="NUMBER", help="Extension numbers.")],
) -> None:
    """Remove users' Engage Voice access."""
    from extadmin.services import lifecycle

    with get_app(ctx).store.transaction("engage-voice remove") as account:
        exts = lifecycle.assigned(account, numbers)
        lifecycle.engage_remove(account, exts)
    render.message(f"removed Engage Voice access of {len(exts)} user(s)")


@users_app.command("list")
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
            "--status", metavar="STATUS", help="not-activated, enabled, disabled or frozen."
        ),
    ] = None,
    format: ListFormatOpt = ListFormat.table,
) -> None:
    """Assigned users with their status."""
    from extadmin.domain import rules
    from extadmin.services.extensions import select

    account = get_app(ctx).store.read()
    role = account.role(role) if role else None
    if status is not None:
        from extadmin.domain.catalog import STATUSES

        status = rules.choice(status, STATUSES[1:], "status")
    rows = [
        {
            "extension": e["number"],
            "site": e["site"],
            "status": e["status"],
            "first_name": e["user"]["first_name"],
            "last_name": e["user"]["last_name"],
            "email": e["user"]["email"],
            "role": e["user"]["role"],
            "department": e["user"].get("department", ""),
            "recording": e["user"]["recording"],
        }
        for e in select(account, site=site, status=status)
        if "user" in e and (role is None or e["user"]["role"] == role)
    ]
    render.emit(
        rows,
        format.value,
        [
            Column("extension", "Extension"),
            Column("site"),
            Column("status"),
            Column("first_name"),
            Column("last_name"),
            Column("email"),
            Column("role"),
            Column("department"),
            Column("recording"),
        ],
    )


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
    from extadmin.services import lifecycle

    app = get_app(ctx)
    ext = lifecycle.assigned(app.store.read(), [number])[0]
    name = f"{ext['user']['first_name']} {ext['user']['last_name']}"
    app.confirm(f"Unassign {name} from extension {ext['number']}?", yes=yes, no_input=no_input)
    with app.store.transaction("unassign") as account:
        lifecycle.unassign(account, lifecycle.assigned(account, [number])[0])
        app.store.queue_with_save([], void=[ext["number"]])  # its queued email goes to nobody
    render.message(f"extension {ext['number']} is unassigned ({name} removed)")


def _toggle(ctx: typer.Context, numbers: list[str], disabled: bool) -> None:
    from extadmin.services import lifecycle

    with get_app(ctx).store.transaction("disable" if disabled else "enable") as account:
        exts = lifecycle.assigned(account, numbers)
        for ext in exts:
            lifecycle.set_disabled(account, ext, disabled)
    render.message(f"{'disabled' if disabled else 'enabled'} {len(exts)} extension(s)")


def disable(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(metavar="NUMBER", help="Extension numbers.")],
) -> None:
    """Disable users (they keep their extension and settings)."""
    _toggle(ctx, numbers, True)


def enable(
    ctx: typer.Context,
    numbers: Annotated[list[str], typer.Argument(metavar="NUMBER", help="Extension numbers.")],
) -> None:
    """Enable disabled users again."""
    _toggle(ctx, numbers, False)


@users_app.command("show")
def users_show(
    ctx: typer.Context,
    number: UserNumber,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """One assigned user in full (never a secret): `extension show` of a user's extension."""
    from extadmin.cli.extensions import detail_fields
    from extadmin.services import update, views

    account = get_app(ctx).store.read()
    detail = views.extension_detail(account, update.updatable(account, number))
    render.emit_fields(detail, format.value, detail_fields(detail))


@users_app.command(
    "update",
    epilog=examples(
        "extadmin users update 101 --job-title 'Head of Sales' --department Sales",
        "extadmin users update 101 --email ada.l@acme.example --dry-run",
        "extadmin users update 101 --site Boston     # renumbered with Boston's code",
        "extadmin users update 101                   # at a terminal: from the current values",
    ),
)
@form_options("number")
def users_update(
    ctx: typer.Context,
    number: UserNumber,
    site: SiteOpt = None,
    no_input: NoInputOpt = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    format: ItemFormatOpt = ItemFormat.table,
    **form: str | None,  # an option per field of the form (domain.fields): form_options
) -> None:
    """Change an assigned user in place: only the fields given ("" clears an optional one), by
    the same rules as assign; at a terminal with none given, each field from its current
    value. On a linked file, a local change that `platform apply` sends (the fields changed)."""
    from extadmin.cli.assign import welcome_email
    from extadmin.errors import UsageError
    from extadmin.services import update

    app = get_app(ctx)
    given: dict[str, str | None] = {**form, "site": site}
    if all(v is None for v in given.values()):
        if not app.can_prompt(no_input):
            raise UsageError("give a field to change (--email, --job-title, …; see --help)")
        from extadmin.cli import walkthrough

        given = walkthrough.update(app.prompter, app.store, number)
    planned = update.preview(app.store, number, given)
    previewed = planned.changes and not dry_run and not yes and app.can_prompt(no_input)
    if previewed:
        _show_update(planned, "table")
        app.confirm(f"Change extension {planned.extension}?", yes=False)
    done = update.run(app.store, number, given, dry_run)
    for warning in done.warnings:
        app.say(warning)
    planned = done.update
    if not previewed or format == ItemFormat.json:
        _show_update(planned, format.value)
    if done.queued:
        email = welcome_email(app, done.account, done.queued)
        where = "delivered" if email["delivered"] else "queued (`extadmin mail send`)"
        app.say(f"a new invitation for {email['to']}: {where}; the old link no longer works")
    if dry_run:
        app.say("dry run: nothing was written")
    elif not planned.changes:
        app.say(f"extension {planned.extension}: nothing to change")
    else:
        where = " (local: `extadmin platform apply` sends it)" if done.account.linked else ""
        app.say(f"updated extension {planned.number}: {len(planned.changes)} field(s){where}")


def _show_update(planned: Any, fmt: str) -> None:
    from extadmin.domain.fields import label

    rows = [
        (label(name), f"{old or '(none)'} → {new or '(none)'}")
        for name, (old, new) in planned.changes.items()
    ]
    render.emit_fields(planned.summary(), fmt, [(label("extension"), planned.number), *rows])
