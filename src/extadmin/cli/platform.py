"""platform connect | pull | plan | apply | status | disconnect: the link to a real RingCentral
account (docs/platform.md)."""

from __future__ import annotations

import csv
import os
import re
import shlex
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from extadmin import render
from extadmin.cli import Terminated, declares
from extadmin.cli import planned as shown
from extadmin.cli.app import App, get_app
from extadmin.cli.link import app_secrets, env_secrets, say_waits
from extadmin.cli.options import ItemFormat, ItemFormatOpt, YesOpt
from extadmin.cli.prompts import Prompter
from extadmin.cli.results import ResultsOpt, target, write
from extadmin.domain.account import first_of
from extadmin.domain.fields import label
from extadmin.errors import Cancelled, ExitCode, ExtadminError, InvalidValue, NotFound, UsageError
from extadmin.services import link, sync
from extadmin.services.results import Result

commands = declares()
platform = typer.Typer(
    help="The link to a real RingCentral account: connect, pull, plan, apply, status "
    "(docs/platform.md)."
)
commands.add_typer(platform, name="platform")


@platform.command("connect")
def connect(
    ctx: typer.Context,
    client_id: Annotated[
        str, typer.Option("--client-id", metavar="ID", help="The app's client id (required).")
    ] = "",
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            metavar="URL",
            help="Platform server (https://; http:// only for a loopback address). Default: "
            "$RINGCENTRAL_SERVER, else https://platform.ringcentral.com.",
        ),
    ] = None,
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
    credentials_api: Annotated[
        bool,
        typer.Option(
            "--credentials-api",
            help="The app has RingCentral's credentials API (granted on request; not in the "
            "published API): security questions are pulled from the platform and set by apply.",
        ),
    ] = False,
) -> None:
    """Link the account file (a new one if --account names a file that does not exist) to a
    platform account: logs in once to prove the credentials, records the server, client id and
    platform account id; secrets from files are kept in a private file of the user config
    folder, never in the account file."""

    if not client_id.strip():
        raise UsageError("missing --client-id: the app's client id is required")
    secrets, from_files = app_secrets(client_secret_file, jwt_file)
    if secrets is None:
        raise UsageError(
            "missing --client-secret-file and --jwt-file (or $RINGCENTRAL_CLIENT_SECRET and "
            "$RINGCENTRAL_JWT)"
        )
    pinned = os.environ.get(link.SERVER_ENV)
    if not from_files and pinned:  # else the server named here is the one they are given for
        secrets.server = link.pinned_server()
    server = server or link.pinned_server()
    app = get_app(ctx)
    say_waits()
    done = link.connect(
        app.account_path,
        server=server,
        client_id=client_id,
        secrets=secrets,
        keep_secrets=from_files,
        name=name,
        credentials_api=credentials_api,
    )
    what = "created and linked" if done.created else "linked"
    server = done.account.doc["platform"]["server"]
    hint = ""
    if not from_files and server != link.pinned_server():
        hint = f" (with {link.SERVER_ENV}={server}: the secrets from the environment go only there)"
    render.message(f"{what} {app.account_path} to platform account {done.account_id}{hint}")
    if done.created:
        render.message(
            f"{app.account_path} is now the current account, in every folder: `extadmin account "
            "use PATH` switches to another, `--account PATH` names one for a single command"
        )
    render.message("next: `extadmin platform pull`")


@platform.command("pull")
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

    app = get_app(ctx)
    secrets = env_secrets()
    if discard_local and (dropped := link.local_changes(app.store)):
        _say_dropped(dropped, "`platform pull --discard-local` drops these local changes")
        if app.can_prompt():  # off a terminal, the flag itself is the consent
            app.confirm(f"Drop these {len(dropped)} local change(s) and pull?", yes=False)
    say_waits()
    with render.progress("Reading the platform's extensions") as update:
        progress = (
            (lambda what, done, total: update(completed=done, total=total)) if update else None
        )
        result = link.pull(
            app.store, secrets=secrets, discard_local=discard_local, progress=progress
        )
    for why in result.skipped:
        render.message(f"warning: not pulled: extension {why}")
    for why in result.warnings:
        render.message(f"warning: {why}")
    summary = result.summary()
    fields = [(k.replace("_", " ").capitalize(), v) for k, v in summary.items()]
    shown = [(k, v) for k, v in fields if k not in ("Skipped", "Warnings")]
    render.emit_fields(summary, format.value, shown)
    render.message(
        f"pulled {result.extensions} extensions ({result.users} users), {result.sites} sites, "
        f"{result.roles} roles from platform account {result.account_id}: "
        f"{result.changed} changed"
    )


@platform.command("status")
def status(ctx: typer.Context, format: ItemFormatOpt = ItemFormat.table) -> None:
    """Server, platform account id, last pull time, and the local changes not yet applied."""

    app = get_app(ctx)
    data = sync.status(app.store)
    cut = data["interrupted_apply"]
    if cut is not None:
        cut["resume"] = _resume_command(app.account_path, None, False, False)
    if format == ItemFormat.json:
        render.emit_fields(data, "json", [])
        return
    shown = {
        **data,
        "pending": first_of(data["pending"], PENDING_SHOWN, " (--format json lists all)"),
        "interrupted_apply": _cut_in_words(cut) if cut else "no",
    }
    render.emit_fields(
        data,
        format.value,
        [(k.replace("_", " ").capitalize(), v) for k, v in shown.items()],
    )


PENDING_SHOWN = 20  # pending extensions named by `platform status` at a terminal


def _cut_in_words(cut: dict[str, Any]) -> str:
    """An apply cut short, as `platform status` says it (its journal)."""

    parts = []
    for request in cut["requests"]:
        what = f"bulk task {request['task']}" if request["task"] else "a request with no answer"
        names = request["extensions"]
        parts.append(f"{what} sent {request['since']} ({len(names)} extension(s))")
    if cut["unconfirmed_invitations"]:
        parts.append(f"re-invitations unconfirmed: {', '.join(cut['unconfirmed_invitations'])}")
    return (
        f"{'; '.join(parts)}: the next apply checks them on the platform first; resume with "
        f"`{cut['resume']}`"
    )


@platform.command("discard")
def discard(
    ctx: typer.Context,
    extensions: Annotated[
        list[str],
        typer.Argument(metavar="EXT", help="Extension numbers (or platform ids) to revert."),
    ],
    yes: YesOpt = False,
) -> None:
    """Revert the named extensions' local changes to the platform's view at the last pull,
    showing what is dropped (old → new, each field), with a confirmation at a terminal
    (--yes without one). All or nothing; recorded in the audit log."""

    app = get_app(ctx)
    dropped = link.discard_plan(app.store, extensions)
    _say_dropped(dropped, "`platform discard` drops these local changes")
    app.confirm(f"Drop the local changes of {len(dropped)} extension(s)?", yes=yes)
    link.discard(app.store, extensions, dropped)
    names = ", ".join(d.extension for d in dropped)
    render.message(
        f"discarded the local changes of {len(dropped)} extension(s) ({names}): as the last "
        "pull left them"
    )


def _say_dropped(dropped: list[link.Dropped], title: str) -> None:
    """What a discard drops, on standard error: each extension, and each field as
    `field: local → platform`."""

    render.message(f"{title} (file → platform at the last pull):")
    for item in dropped:
        if item.what:
            render.message(f"  {item.extension}: {item.what}")
            continue
        render.message(f"  {item.extension}:")
        for key, old, new in item.fields:
            render.message(f"    {label(key)}: {_shown(old)} → {_shown(new)}")


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value) if value.strip() != value else value


@platform.command("disconnect")
def disconnect(ctx: typer.Context) -> None:
    """Forget the client secret and JWT that `platform connect` kept for the account file's
    server and client id. The file stays linked: the next platform command takes the secrets
    from $RINGCENTRAL_CLIENT_SECRET and $RINGCENTRAL_JWT, or from `platform connect` again.
    Nothing kept is not an error (exit 0)."""

    done = link.disconnect(get_app(ctx).store)
    where = f"client id {done.client_id} on {done.server}"
    if done.removed is None:
        render.message(f"nothing kept for {where}: nothing removed")
        return
    render.message(
        f"removed the client secret and JWT kept for {where} ({done.removed}); the file stays "
        "linked: the next platform command needs $RINGCENTRAL_CLIENT_SECRET and "
        "$RINGCENTRAL_JWT, or `extadmin platform connect` again"
    )


RESULT_COLUMNS = [
    render.Column("extension", "Extension"),
    render.Column("operation", "Operation"),
    render.Column("result", "Result"),
    render.Column("error", "Error"),
]


@platform.command("plan")
def plan(
    ctx: typer.Context,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Compare with the pulled base only (no request)."),
    ] = False,
    requests: Annotated[
        bool,
        typer.Option("--requests", help="Also the REST requests, in order, bodies in full."),
    ] = False,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """What `platform apply` would do, in words: the account, server and platform account at
    the top; one line per user grouped by effect (assignments, with the welcome emails
    RingCentral sends; updates, old → new; conflicts with changes made in the Admin Portal
    since the pull, exit 5; changes the API cannot make); then a summary: operations, welcome
    emails, users needing secrets at apply, requests by rate-limit group and the platform time
    they take. --requests adds the REST requests (secrets shown as "<secret>"); --format json
    holds everything."""
    secrets = env_secrets()
    say_waits()
    planned = sync.plan(get_app(ctx).store, secrets=secrets, offline=offline)
    if format == ItemFormat.json:
        render.emit(_plan_data(planned), "json", [])
    else:
        shown.emit(shown.text(planned) + (["", *shown.requests(planned)] if requests else []))
    if planned.plan.of("conflict"):
        raise typer.Exit(ExitCode.CONFLICT)


def _plan_data(planned: sync.Planned) -> dict[str, object]:
    changes = [
        {
            "extension": c.extension,
            "kind": c.kind,
            "user": c.who,
            "fields": c.fields,
            "old": c.old,
            "new": c.new,
            "welcome_email": c.welcome_email,
            "needs_secrets": c.needs_secrets,
            "reason": c.reason,
        }
        for c in planned.plan.changes
        if c.kind != "done"
    ]
    return {
        "summary": planned.summary(),
        "changes": changes,
        "requests": [{**r.shown(), "group": r.group} for r in planned.requests],
        "notes": planned.plan.notes,
    }


@platform.command("apply")
def apply(
    ctx: typer.Context,
    yes: YesOpt = False,
    secrets_file: Annotated[
        Path | None,
        typer.Option(
            "--secrets-file",
            metavar="CSV",
            help="Passwords, PINs and answers of the credentials users: columns extension, "
            "password, pin, security_answer (checked against what extadmin stored).",
        ),
    ] = None,
    allow_offboard: Annotated[
        bool,
        typer.Option(
            "--allow-offboard",
            help="Also send the offboardings (users unassigned in the file): they are deleted "
            "on RingCentral, which cannot be undone. Without it they are held (exit 5).",
        ),
    ] = False,
    results: ResultsOpt = None,
    format: ItemFormatOpt = ItemFormat.table,
) -> None:
    """Send the plan, then read the platform back so that the file matches it. At a terminal
    the plan is shown first, the secrets it needs are asked (all before any request), then a
    confirmation: type yes or the account's name. Off a terminal: --yes. Offboardings are sent
    only with --allow-offboard (at a terminal, typing delete when asked does too). Per
    operation: done, unconfirmed (a re-invitation whose answer was lost: never sent twice),
    failed (with the platform's errorCode), held, refused, conflict or not applied. Exit 0
    only if all is done; a second apply sends only what is not done on the platform."""
    app = get_app(ctx)
    results_file = target(results, str(secrets_file) if secrets_file else None)
    secrets = env_secrets()
    given = _secret_rows(secrets_file) if secrets_file else {}
    say_waits()
    if app.can_prompt():
        planned = sync.plan(app.store, secrets=secrets, offline=False)
        asked, allow_offboard = _review(app, planned, given, yes, allow_offboard)
        given |= asked
    elif not yes:
        raise UsageError(
            "Send the local changes to the platform? Pass --yes to confirm without a prompt."
        )
    try:
        with render.progress("Applying") as update:
            progress = (lambda n: update(advance=n)) if update else None
            report = sync.apply(
                app.store,
                secrets=secrets,
                given=given,
                progress=progress,
                allow_offboard=allow_offboard,
            )
    except BaseException as exc:  # cut short: what was done, and the command that goes on
        if (cut := sync.interrupted(exc)) is None:
            raise
        resume = _resume_command(app.account_path, secrets_file, yes, allow_offboard)
        if results_file is not None:
            _write_results(app, results_file, cut.results)
        _report_cut(cut, exc, resume, format)
    if results_file is not None:
        _write_results(app, results_file, report.results)
    rows = [r.__dict__ for r in report.results]
    render.emit(rows, format.value, RESULT_COLUMNS)
    done = sum(1 for r in report.results if r.result == "done")
    render.message(f"{done} of {len(report.results)} operation(s) done")
    if not report.ok:
        raise typer.Exit(ExitCode.CONFLICT)


# apply's results in the result files' words: an unconfirmed re-invitation is done as far as
# can be known (never sent again), secrets refused failed; of an apply cut short, what is
# unknown is held for the next apply's read-back, and what was not sent not applied
OUTCOME = {"unconfirmed": "done", "refused": "failed", "unknown": "held", "not sent": "not applied"}


def _write_results(app: App, path: Path, done: list[sync.ApplyResult]) -> None:
    """--results: a row per operation (extension, operation, then the result columns)."""
    write(
        app,
        path,
        ["extension", "operation"],
        (
            (
                [r.extension, r.operation],
                Result(
                    OUTCOME.get(r.result, r.result),
                    _code(r) if r.error else "",
                    r.error or r.result,
                    r.platform_id,
                ),
            )
            for r in done
        ),
    )


def _code(result: sync.ApplyResult) -> str:
    """A failed operation's code: the platform's errorCode (`platform:CMN-102`), else what it
    was (`conflict`, `held`, ...)."""
    code = result.error.split(":", 1)[0]
    if re.fullmatch(r"[A-Z]{2,5}-\d{3}", code):
        return f"platform:{code}"
    return OUTCOME.get(result.result, result.result).replace(" ", "_")


def _resume_command(
    account: Path, secrets_file: Path | None, yes: bool, allow_offboard: bool
) -> str:
    """The one command that takes an apply cut short to its end."""

    words = ["extadmin", "--account", str(account.absolute()), "platform", "apply"]
    if secrets_file is not None:
        words += ["--secrets-file", str(secrets_file)]
    if allow_offboard:
        words.append("--allow-offboard")
    if yes:
        words.append("--yes")
    return shlex.join(words)


CUT_SHOWN = 12  # extensions named per line of the summary of an apply cut short


def _report_cut(
    cut: sync.Interrupted, exc: BaseException, resume: str, fmt: ItemFormat
) -> NoReturn:
    """An apply cut short: each operation (done, unknown, not sent, ...), a summary by kind,
    the journal the next apply reads first and the command that resumes; then the exit code
    of what cut it short (1 or the platform error's own, 130 for Ctrl-C, 143 for SIGTERM)."""

    if isinstance(exc, KeyboardInterrupt):
        why, code = "cut short by Ctrl-C", ExitCode.CANCELLED
    elif isinstance(exc, Terminated):
        why, code = "cut short by SIGTERM", ExitCode.TERMINATED
    elif isinstance(exc, ExtadminError):
        why, code = "cut short: the platform failed (the error is below)", exc.exit_code
    else:
        raise exc
    render.emit([r.__dict__ for r in cut.results], fmt.value, RESULT_COLUMNS)
    render.message(f"extadmin: platform apply {why}; on the platform:")
    kinds = (
        ("done", "sent and confirmed"),
        ("unknown", "unknown: sent, no answer (the next apply reads the platform back first)"),
        ("not sent", "not sent"),
    )
    for kind, words in kinds:
        names = list(dict.fromkeys(r.extension for r in cut.of(kind)))
        render.message(f"  {words}: {_some(names)}")
    others = [r for r in cut.results if r.result not in ("done", "unknown", "not sent")]
    if others:
        names = list(dict.fromkeys(f"{r.extension} ({r.result})" for r in others))
        render.message(f"  not sent, as planned before any request: {_some(names)}")
    if cut.journal is not None:
        render.message(f"  the apply journal {cut.journal} holds what the next apply asks first")
    render.message("  nothing is sent twice: the next apply starts from the platform's state")
    render.message(f"resume with: {resume}")
    if isinstance(exc, ExtadminError):
        raise exc
    if code == ExitCode.CANCELLED:  # (a bare exit 130 would say "nothing was written")
        raise Cancelled("cancelled: the account file is unchanged; resume with the command above")
    raise typer.Exit(code)


def _some(names: list[str]) -> str:
    return f"{len(names)}: {first_of(names, CUT_SHOWN)}" if names else "none"


def _secret_rows(path: Path) -> dict[str, tuple[str, str, str]]:
    """The --secrets-file CSV (a warning when others may read it)."""

    try:
        if path.stat().st_mode & 0o077:
            render.message(f"warning: others can read the secrets in {path}: chmod 600 {path}")
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"--secrets-file: file not found: {path}") from None
    except (OSError, UnicodeDecodeError):
        raise InvalidValue("--secrets-file", f"cannot read {path} as UTF-8 text") from None
    rows: dict[str, tuple[str, str, str]] = {}
    reader = csv.DictReader(text.splitlines())
    wanted = ("extension", "password", "pin", "security_answer")
    if not reader.fieldnames or any(c not in reader.fieldnames for c in wanted):
        raise InvalidValue("--secrets-file", f"needs the columns {', '.join(wanted)}")
    for row in reader:
        secret = tuple(row[c] or "" for c in wanted[1:])
        rows[(row["extension"] or "").strip()] = secret  # type: ignore[assignment]
    return rows


def _review(
    app: App, planned: sync.Planned, given: sync.SecretRows, yes: bool, allow_offboard: bool
) -> tuple[sync.SecretRows, bool]:
    """At a terminal, before any request: the plan in words, every secret it needs (Enter holds
    that user), whether to send the offboardings (unless --allow-offboard: typing delete), then
    a confirmation that takes yes or the account's name and Enter (never a single key). The
    secrets asked, and whether offboardings go."""
    shown.emit(shown.text(planned))
    asked: sync.SecretRows = {}
    for change in planned.todo:
        if change.needs_secrets and change.extension not in given:
            secret = _ask_secrets(app.prompter, change.extension)
            if secret is not None:
                asked[change.extension] = secret
    leaving = len(planned.offboards)
    if leaving and not allow_offboard:
        typed = app.prompter.text(
            f"Delete the {leaving} user(s) to offboard on RingCentral? It cannot be undone: "
            "type delete to send them too (anything else holds them)"
        )
        allow_offboard = typed.strip().casefold() == "delete"
    if yes or not (planned.todo or (leaving and allow_offboard)):
        return asked, allow_offboard
    words = ("yes", planned.account.casefold())
    question = (
        f"Send this to {planned.server}? Type yes or {planned.account!r} (anything else cancels)"
    )
    typed = app.prompter.text(question)
    if typed.strip().casefold() not in words:
        raise Cancelled(f"nothing was sent ({typed.strip() or 'no answer'} is not yes)")
    return asked, allow_offboard


def _ask_secrets(prompter: Prompter, extension: str) -> tuple[str, str, str] | None:
    """The credentials of one user, hidden (empty: hold this user)."""
    password = prompter.secret(f"Password of extension {extension} (Enter to hold)")
    if not password:
        return None
    return password, prompter.secret("PIN"), prompter.secret("Security answer")
