"""Sites, roles, security questions, extensions and list-unassigned."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from extadmin import render
from extadmin.cli.app import get_app
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
from extadmin.render import Column

site_app = typer.Typer(help="Account sites (the portal's Company Info).")
role_app = typer.Typer(help="Account roles.")
extension_app = typer.Typer(help="Extensions: add, list, show, remove.")
question_app = typer.Typer(help="Security questions.")


def register(app: typer.Typer) -> None:
    app.add_typer(site_app, name="site")
    app.add_typer(role_app, name="role")
    app.add_typer(extension_app, name="extension")
    app.add_typer(question_app, name="security-question")
    app.command(
        "list-unassigned",
        epilog=examples(
            "extadmin list-unassigned",
            "extadmin list-unassigned --site Boston --format json",
            "extadmin list-unassigned --format csv > free.csv",
        ),
    )(list_unassigned)


def _device(row: dict[str, object]) -> object:
    device = row.get("device")
    return device["model"] if isinstance(device, dict) else None


def _mac(row: dict[str, object]) -> object:
    device = row.get("device")
    return device["mac"] if isinstance(device, dict) else None


def _number(row: dict[str, Any]) -> object:
    """An extension pulled without a number is shown by its platform id."""
    return row["extension"] or f"id {row['id']}"


EXTENSION_COLUMNS = [
    Column("extension", "Extension", _number),
    Column("site"),
    Column("status"),
    Column("name", "User"),
    Column("email"),
    Column("recording"),
    Column("device_model", "Device", _device),
    Column("device_mac", "MAC", _mac),
]
UNASSIGNED_COLUMNS = [
    Column("extension", "Extension", _number),
    Column("short_extension"),
    Column("site"),
    Column("device_model", "Device", _device),
    Column("device_mac", "MAC", _mac),
]


@site_app.command("add")
def site_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Site name.")],
    code: Annotated[
        str, typer.Option("--code", metavar="CODE", help="Numeric site code (multi-site).")
    ] = "",
) -> None:
    """Add a site to the account."""
    from extadmin.services import extensions

    with get_app(ctx).store.transaction("site add") as account:
        site = extensions.add_site(account, name, code)
    render.message(f"added site {site['name']!r}" + (f" (code {code})" if code else ""))


@site_app.command("list")
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


@role_app.command("list")
def role_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """The account's roles, the default marked."""
    account = get_app(ctx).store.read()
    rows = [{"role": r, "default": r == account.default_role} for r in account.roles]
    render.emit(rows, format.value, [Column("role", "Role"), Column("default", "Default")])


@question_app.command("list")
def question_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """The security questions, numbered (pass the number to --security-question)."""
    from extadmin.domain.catalog import SECURITY_QUESTIONS
    from extadmin.errors import NotFound

    app = get_app(ctx)
    try:
        questions = app.store.read().security_questions
    except NotFound:  # the shipped list needs no account, unless one was named
        if app.account_option:
            raise
        questions = list(SECURITY_QUESTIONS)
    rows = [{"number": i, "question": q} for i, q in enumerate(questions, 1)]
    render.emit(rows, format.value, [Column("number", "#"), Column("question", "Question")])


@extension_app.command("add")
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
    from extadmin.services import extensions

    with get_app(ctx).store.transaction("extension add") as account:
        added = extensions.add_extensions(account, numbers, site, device, mac)
    render.message(f"added {len(added)} extension(s)")


@extension_app.command("list")
def extension_list(
    ctx: typer.Context,
    site: SiteOpt = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="unassigned, not-activated, enabled, disabled or frozen.",
        ),
    ] = None,
    format: ListFormatOpt = ListFormat.table,
) -> None:
    """All extensions with their status."""
    from extadmin.domain import rules
    from extadmin.domain.catalog import STATUSES
    from extadmin.services import extensions, views

    account = get_app(ctx).store.read()
    if status is not None:
        status = rules.choice(status, STATUSES, "status")
    rows = views.extension_rows(account, extensions.select(account, status=status, site=site))
    render.emit(rows, format.value, EXTENSION_COLUMNS)


@extension_app.command("show")
def extension_show(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(metavar="NUMBER", help="Extension number.")],
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """One extension in full (never a secret)."""
    from extadmin.domain import rules
    from extadmin.services import views

    number = rules.extension_ref(number)
    account = get_app(ctx).store.read(
        keep=lambda e: number in (e.get("number"), e.get("id")), hint=f'"{number}"'
    )
    detail = views.extension_detail(account, account.extension(number))
    render.emit_fields(detail, format.value, detail_fields(detail))


def detail_fields(detail: dict[str, Any]) -> list[tuple[str, object]]:
    """The rows of an extension shown in full (extension show, assign, activate), each field
    under its one label (catalog.label)."""
    from extadmin.domain.fields import label

    fields: list[tuple[str, object]] = [
        (label("extension"), detail["extension"]),
        (label("short_extension"), detail["short_extension"]),
        (label("site"), detail["site"]),
        (label("status"), detail["status"]),
        ("Device", _device(detail)),
        ("MAC", _mac(detail)),
    ]
    if "id" in detail:
        fields.append(("Platform id", detail["id"]))
    user = detail["user"]
    if user:
        fields += [(label(k), v) for k, v in user.items() if k != "engage_voice"]
        fields.append(("Engage Voice", _engage(user["engage_voice"])))
    email = detail.get("welcome_email")
    if email:
        state = "delivered" if email["delivered"] else f"queued ({email['error'] or 'no server'})"
        fields.append(("Welcome email", f"{email['to']}: {state}"))
    return fields


def _engage(engage: dict[str, str] | None) -> str:
    if not engage:
        return "no access"
    group = engage.get("agent_group")
    return engage["access"] + (f" (agent group {group})" if group else "")


@extension_app.command("remove")
def extension_remove(
    ctx: typer.Context,
    numbers: Annotated[
        list[str], typer.Argument(metavar="NUMBER", help="Unassigned extension numbers.")
    ],
    yes: YesOpt = False,
    no_input: NoInputOpt = False,
) -> None:
    """Remove unassigned extensions (asks for confirmation)."""
    from extadmin.services import extensions

    app = get_app(ctx)
    numbers = list(dict.fromkeys(n.strip() for n in numbers))  # a number given twice goes once
    # check before asking: a confirmation for something that cannot be done is noise
    account = app.store.read()
    for number in numbers:
        extensions.remove_extension(account, number)
    app.confirm(f"Remove extension(s) {', '.join(numbers)}?", yes=yes, no_input=no_input)
    with app.store.transaction("extension remove") as account:
        for number in numbers:
            extensions.remove_extension(account, number)
    render.message(f"removed {len(numbers)} extension(s)")


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
    from extadmin.services import extensions, views

    account = get_app(ctx).store.read(where=("status", "unassigned"))
    free = extensions.select(account, site=site, device=device)  # the view holds no other
    render.emit(views.extension_rows(account, free, users=False), format.value, UNASSIGNED_COLUMNS)
