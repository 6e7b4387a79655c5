"""profile add | list | show | update | remove: named sets of assignment defaults (issue 26)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import get_app
from extadmin.cli.options import (
    ItemFormat,
    ItemFormatOpt,
    ListFormat,
    ListFormatOpt,
    SiteOpt,
    YesOpt,
    examples,
    form_options,
)
from extadmin.domain.catalog import SETUP_OPTIONS
from extadmin.domain.fields import BY_NAME, PROFILE_FIELDS, label
from extadmin.domain.model import Profile
from extadmin.errors import UsageError
from extadmin.render import Column
from extadmin.services import profiles
from extadmin.services.lifecycle import ENGAGE_ACCESS

commands = declares()
profile = typer.Typer(
    help="Profiles: named sets of assignment defaults (`assign --profile NAME`, a site's "
    "default profile)."
)
commands.add_typer(profile, name="profile")

# the form's fields a profile holds (domain.fields: declared `profile`), each its usual flag
USER_FIELDS = tuple(n for n in PROFILE_FIELDS if n in BY_NAME)
ProfileName = Annotated[str, typer.Argument(metavar="NAME", help="The profile's name.")]
SetupOpt = Annotated[
    str | None,
    typer.Option(
        "--setup",
        metavar="OPTION",
        help="Setup option: invite, credentials or later.",
        autocompletion=complete.choices(SETUP_OPTIONS),
    ),
]
EngageOpt = Annotated[
    str | None,
    typer.Option(
        "--engage-voice",
        metavar="ACCESS",
        help="Engage Voice access given at the assignment: agent, admin or both.",
        autocompletion=complete.choices(ENGAGE_ACCESS),
    ),
]
DefaultForSiteOpt = Annotated[
    str | None,
    typer.Option(
        "--default-for-site",
        metavar="SITE",
        help="Make it the default profile of this site: a bare `assign` on the site's "
        "extensions starts from it.",
    ),
]
COLUMNS = [
    Column("name", "Profile"),
    Column("default_for_site"),
    *(Column(n) for n in PROFILE_FIELDS),
]


def _given(
    setup: str | None, site: str | None, engage: str | None, form: dict[str, Any]
) -> dict[str, str | None]:
    return {"setup": setup, "site": site, **form, "engage_voice": engage}


def _show(account: Any, found: Profile, fmt: str) -> None:
    problems = profiles.problems(account, found)
    data: dict[str, Any] = {**found, "problems": problems}
    lines = [
        (label(k), found[k]) for k in ("name", *PROFILE_FIELDS, "default_for_site") if k in found
    ]
    lines += [("Problem", p) for p in problems]
    render.emit_fields(data, fmt, lines)


@profile.command(
    "add",
    epilog=examples(
        "extadmin profile add Sales --role Manager --department Sales --recording both",
        "extadmin profile add 'HQ staff' --site HQ --setup invite --language en-GB "
        "--default-for-site HQ",
        "extadmin assign 101 --profile Sales --first-name Ada --last-name Lovelace "
        "--email ada@acme.example",
    ),
)
@form_options("name", only=USER_FIELDS)
def profile_add(
    ctx: typer.Context,
    name: ProfileName,
    setup: SetupOpt = None,
    site: SiteOpt = None,
    engage_voice: EngageOpt = None,
    default_for_site: DefaultForSiteOpt = None,
    format: ItemFormatOpt = ItemFormat.table,
    **form: str | None,  # an option per field of the form a profile holds: form_options
) -> None:
    """Save a profile: assignment defaults under a name, each value checked by the same rules
    as assign (the users assigned from it keep the values it gave them)."""
    app = get_app(ctx)
    saved = profiles.add(app.store, name, _given(setup, site, engage_voice, form), default_for_site)
    _show(app.store.read(), saved.profile, format.value)
    app.say(f"added profile {saved.profile['name']!r}")


@profile.command("list")
def profile_list(ctx: typer.Context, format: ListFormatOpt = ListFormat.table) -> None:
    """The account's profiles and their values; a site's default marked."""
    account = get_app(ctx).store.read()
    render.emit(list(account.doc.get("profiles", [])), format.value, COLUMNS)


@profile.command("show")
def profile_show(
    ctx: typer.Context, name: ProfileName, format: ItemFormatOpt = ItemFormat.table
) -> None:
    """One profile, and what in it no longer holds (a role or site removed since)."""
    account = get_app(ctx).store.read()
    _show(account, profiles.find(account, name), format.value)


@profile.command(
    "update",
    epilog=examples(
        "extadmin profile update Sales --role 'Standard User' --job-title ''   # '' removes one",
        "extadmin profile update Sales --default-for-site ''",
    ),
)
@form_options("name", only=USER_FIELDS)
def profile_update(
    ctx: typer.Context,
    name: ProfileName,
    setup: SetupOpt = None,
    site: SiteOpt = None,
    engage_voice: EngageOpt = None,
    default_for_site: DefaultForSiteOpt = None,
    format: ItemFormatOpt = ItemFormat.table,
    **form: str | None,  # an option per field of the form a profile holds: form_options
) -> None:
    """Change a profile's values ("" removes one), each checked by the same rules as assign;
    the users assigned from it keep theirs (`users update NUMBER --profile NAME` applies it
    again)."""
    app = get_app(ctx)
    given = _given(setup, site, engage_voice, form)
    if default_for_site is None and all(v is None for v in given.values()):
        raise UsageError("give a value to change (--role, --site, …; see --help)")
    saved = profiles.update(app.store, name, given, default_for_site)
    _show(app.store.read(), saved.profile, format.value)
    what = f"{len(saved.changes)} value(s)" if saved.changes else "nothing to change"
    app.say(f"profile {saved.profile['name']!r}: {what}")


@profile.command("remove")
def profile_remove(ctx: typer.Context, name: ProfileName, yes: YesOpt = False) -> None:
    """Remove a profile; the users assigned from it keep their values."""
    app = get_app(ctx)
    found = profiles.find(app.store.read(), name)
    app.confirm(f"Remove profile {found['name']!r}?", yes=yes)
    removed = profiles.remove(app.store, name)
    app.say(f"removed profile {removed['name']!r}")
