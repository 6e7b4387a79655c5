"""platform connect | pull | status: the link to a real RingCentral account (docs/platform.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from extadmin import render
from extadmin.cli.app import get_app
from extadmin.cli.options import ItemFormat, ItemFormatOpt

if TYPE_CHECKING:
    from extadmin.services.link import Secrets

platform_app = typer.Typer(
    help="The link to a real RingCentral account: connect, pull, status (docs/platform.md)."
)


def register(app: typer.Typer) -> None:
    app.add_typer(platform_app, name="platform")


def _secrets(secret_file: Path | None, jwt_file: Path | None) -> tuple[Secrets | None, bool]:
    """The client secret and JWT: from the files given, else from $RINGCENTRAL_CLIENT_SECRET
    and $RINGCENTRAL_JWT; never a flag's value. Kept for later runs only when both came from
    files (a value from the environment is never written anywhere)."""
    from extadmin.cli.secret_input import read_secret_files
    from extadmin.errors import UsageError
    from extadmin.services.link import SECRET_ENV, Secrets

    given = read_secret_files({"--client-secret-file": secret_file, "--jwt-file": jwt_file})
    env = [os.environ.get(name) or None for name in SECRET_ENV]
    secret = given["--client-secret-file"] or env[0]
    jwt = given["--jwt-file"] or env[1]
    if secret_file is None and jwt_file is None and secret is None and jwt is None:
        return None, False
    if not secret or not jwt:
        missing = "--client-secret-file" if not secret else "--jwt-file"
        raise UsageError(
            f"missing {missing} (or ${SECRET_ENV[0 if not secret else 1]}): "
            "the client secret and the JWT go together"
        )
    return Secrets(secret, jwt), secret_file is not None and jwt_file is not None


@platform_app.command("connect")
def connect(
    ctx: typer.Context,
    client_id: Annotated[
        str, typer.Option("--client-id", metavar="ID", help="The app's client id (required).")
    ] = "",
    server: Annotated[
        str,
        typer.Option(
            "--server",
            metavar="URL",
            help="Platform server (https://; http:// only for a loopback address).",
        ),
    ] = "https://platform.ringcentral.com",
    client_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--client-secret-file",
            metavar="PATH",
            help="File holding the app's client secret (or -). Default: "
            "$RINGCENTRAL_CLIENT_SECRET.",
        ),
    ] = None,
    jwt_file: Annotated[
        Path | None,
        typer.Option(
            "--jwt-file",
            metavar="PATH",
            help="File holding the JWT credential (or -). Default: $RINGCENTRAL_JWT.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="Name of a new account file."),
    ] = None,
) -> None:
    """Link the account file (a new one if --account names a file that does not exist) to a
    platform account: logs in once to prove the credentials, records the server, client id and
    platform account id; secrets from files are kept in a private file of the user config
    folder, never in the account file."""
    from extadmin.errors import UsageError
    from extadmin.services import link

    if not client_id.strip():
        raise UsageError("missing --client-id: the app's client id is required")
    secrets, from_files = _secrets(client_secret_file, jwt_file)
    if secrets is None:
        raise UsageError(
            "missing --client-secret-file and --jwt-file (or $RINGCENTRAL_CLIENT_SECRET and "
            "$RINGCENTRAL_JWT)"
        )
    app = get_app(ctx)
    done = link.connect(
        app.account_path,
        server=server,
        client_id=client_id,
        secrets=secrets,
        keep_secrets=from_files,
        name=name,
    )
    what = "created and linked" if done.created else "linked"
    render.message(
        f"{what} {app.account_path} to platform account {done.account_id}"
        + (" (now the current account)" if done.created else "")
        + ": next, `extadmin platform pull`"
    )


@platform_app.command("pull")
def pull(
    ctx: typer.Context,
    discard_local: Annotated[
        bool,
        typer.Option(
            "--discard-local", help="Replace local changes not yet applied to the platform."
        ),
    ] = False,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """Replace the local view with the platform's: sites, roles, languages, User extensions
    (every status), their users and the call-recording list, each with its platform id. The
    pulled state is kept as the base that `platform plan` compares with."""
    from extadmin.services import link

    app = get_app(ctx)
    secrets, _ = _secrets(None, None)
    with render.progress("Reading the platform's extensions") as update:
        progress = (
            (lambda what, done, total: update(completed=done, total=total)) if update else None
        )
        result = link.pull(
            app.store, secrets=secrets, discard_local=discard_local, progress=progress
        )
    for why in result.skipped:
        render.message(f"warning: not pulled: extension {why}")
    summary = result.summary()
    fields = [(k.replace("_", " ").capitalize(), v) for k, v in summary.items()]
    render.emit_fields(summary, format.value, [(k, v) for k, v in fields if k != "Skipped"])
    render.message(
        f"pulled {result.extensions} extensions ({result.users} users), {result.sites} sites, "
        f"{result.roles} roles from platform account {result.account_id}: "
        f"{result.changed} changed"
    )


@platform_app.command("status")
def status(ctx: typer.Context, format: ItemFormatOpt = ItemFormat.table) -> None:
    """Server, platform account id, last pull time, and the local changes not yet applied."""
    from extadmin.services import link

    data = link.status(get_app(ctx).store)
    shown = {**data, "pending": ", ".join(data["pending"][:10])}
    render.emit_fields(
        data,
        format.value,
        [(k.replace("_", " ").capitalize(), v) for k, v in shown.items()],
    )
