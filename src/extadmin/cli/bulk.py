"""bulk-assign and bulk-update (CSV in) and export (CSV or JSON out)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from extadmin import render
from extadmin.cli import complete, declares
from extadmin.cli.app import App, get_app
from extadmin.cli.options import (
    DryRunOpt,
    ItemFormat,
    ItemFormatOpt,
    ListFormat,
    ListFormatOpt,
    examples,
    read_input,
)
from extadmin.cli.results import ResultsOpt, recording, target
from extadmin.cli.welcome import deliver
from extadmin.domain.catalog import SETUP_OPTIONS
from extadmin.domain.fields import FORM, USER
from extadmin.errors import RowErrors
from extadmin.render import Column
from extadmin.services import bulk, extensions

commands = declares()

REPORT_COLUMNS = [
    Column("line", "Line"),
    Column("extension", "Extension"),
    Column("name", "User"),
    Column("email"),
    Column("status"),
]


TABLE_ROWS = 100


@commands.command(
    "bulk-assign",
    epilog=examples(
        "extadmin bulk-assign hires.csv --dry-run     # check every row, write nothing",
        "extadmin bulk-assign hires.csv --setup invite",
        "extadmin export --format csv > users.csv && extadmin bulk-assign users.csv",
        "extadmin bulk-assign hires.csv --results r.csv   # fix the failed rows of r.csv, then:",
        "extadmin bulk-assign r.csv --results r2.csv      # the rows done are skipped",
    ),
)
def bulk_assign(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="CSV file, or - for stdin.")],
    setup: Annotated[
        str | None,
        typer.Option(
            "--setup",
            metavar="OPTION",
            help="Setup option for rows whose setup cell is empty.",
            autocompletion=complete.choices(SETUP_OPTIONS),
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    format: ItemFormatOpt = ItemFormat.table,
    results: ResultsOpt = None,
) -> None:
    """Assign many extensions from a CSV file: every row is checked first, and nothing is
    written unless every row is valid (every broken rule of every row is reported).

    Columns (a header line names them, in any order; case, spaces, dashes and underscores do
    not matter; `,` `;` or tab separated, UTF-8): extension, {required} are required; setup
    (invite, credentials or later; else --setup), {optional} (recording: off, inbound,
    outbound or both), and for setup credentials password, pin, security_question,
    security_answer and temporary_password (yes or no); profile (a row starts from that
    profile's values, its own cells override them; else from its site's default profile, if
    any). `extadmin export` writes this format."""
    app = get_app(ctx)
    results_file = target(results, file)
    data, source = read_input(file)
    rows = bulk.parse_csv(data, source, columns=bulk.ASSIGN_COLUMNS)
    if (
        file != "-"
        and Path(file).stat().st_mode & 0o077
        and any(r.values.get(c) for r in rows for c in bulk.SECRET_COLUMNS)
    ):
        app.say(
            f"warning: {file} holds passwords, PINs or answers and other users can read "
            f"it: chmod 600 {file}, and delete it when done"
        )

    def assign_all() -> bulk.BulkDone:
        with render.progress("Checking and saving rows", len(rows) * 2) as update:
            advance = (lambda n: update(advance=n)) if update else None
            return bulk.assign_all(app.store, rows, setup, advance, dry_run)

    done = _run(app, results_file, rows, format, dry_run, assign_all)
    if done is None:
        return
    for warning in done.warnings:
        app.say(warning)
    account, outcomes, queued = done.account, done.results, done.queued
    if dry_run:
        report = [
            {
                "line": r.line,
                "extension": r.values.get("extension"),
                "name": f"{r.values.get('first_name', '')} {r.values.get('last_name', '')}",
                "email": r.values.get("email"),
                "status": "valid",
            }
            for r in rows
        ]
        _report(report, format, dry_run=True, skipped=len(rows.skipped))
        app.say(f"dry run: {len(rows)} row(s) valid, nothing was written")
        return
    failed = [q for q in deliver(app, account, queued) if q.error]
    if failed and "mail" in account.doc:
        app.say(
            f"warning: {len(failed)} welcome email(s) not delivered, still queued: "
            f"{failed[0].error} (retry with `extadmin mail send`)"
        )
    report = [
        {
            "line": r.line,
            "extension": o.extension["number"],
            "name": f"{o.extension['user']['first_name']} {o.extension['user']['last_name']}",
            "email": o.extension["user"]["email"],
            "status": o.extension["status"],
        }
        for r, o in zip(rows, outcomes, strict=True)
    ]
    _report(report, format, dry_run=False, queued=len(queued), skipped=len(rows.skipped))
    if account.linked:
        invites = sum(1 for o in outcomes if o.extension["user"].get("setup") == "invite")
        app.say(
            f"assigned {len(outcomes)} extension(s) locally: `extadmin platform apply` sends them, "
            f"and RingCentral then emails {invites} activation link(s)"
        )
    else:
        app.say(f"assigned {len(outcomes)} extension(s); {len(queued)} welcome email(s) queued")


def _run(
    app: App,
    results_file: Path | None,
    rows: bulk.Rows,
    format: ItemFormat,
    dry_run: bool,
    work: Callable[[], bulk.BulkDone],
) -> bulk.BulkDone | None:
    """A bulk command's rows through its service (`work`), the result file written however it
    ends; every row's error in JSON too. None when every row was done by an earlier run."""
    with recording(app, results_file, rows) as record:
        if not rows:
            _nothing_to_do(app, rows, format, dry_run)
            record.done({})
            return None
        try:
            done = work()
        except RowErrors as exc:
            _errors(exc, format)
            raise
        record.done(done.by_line)
    return done


def _nothing_to_do(app: App, rows: bulk.Rows, format: ItemFormat, dry_run: bool) -> None:
    """Every row of the file was done by an earlier run (a result file): nothing to check."""
    if format == ItemFormat.json:
        render.emit(
            {"ok": True, "dry_run": dry_run, "rows": [], "skipped": len(rows.skipped)}, "json", []
        )
    app.say(f"nothing to do: all {len(rows.skipped)} row(s) were done by an earlier run")


def _errors(exc: RowErrors, format: ItemFormat) -> None:
    """Every error of every row, for scripts (--format json; a table says them on stderr)."""
    if format == ItemFormat.json:
        errors = [
            {"line": line, "column": col, "message": err.message, "exit_code": int(err.exit_code)}
            for line, col, err in exc.errors
        ]
        render.emit({"ok": False, "errors": errors}, "json", [])


@commands.command(
    "bulk-update",
    epilog=examples(
        "extadmin export > users.csv    # edit cells, then:",
        "extadmin bulk-update users.csv --dry-run",
        "extadmin bulk-update users.csv --results r.csv",
    ),
)
def bulk_update(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="CSV file, or - for stdin.")],
    dry_run: DryRunOpt = False,
    format: ItemFormatOpt = ItemFormat.table,
    results: ResultsOpt = None,
) -> None:
    """Change assigned users from a CSV file in `export`'s columns: the extension is the key,
    an empty cell leaves its field as it is (`users update NUMBER --job-title ''` clears one).
    Every row is checked by `users update`'s rules first, and nothing is written unless every
    row is valid (every broken rule of every row is reported). The assignment's own columns
    (setup, short_extension) are not changed; a credentials cell is refused."""
    app = get_app(ctx)
    results_file = target(results, file)
    data, source = read_input(file)
    rows = bulk.parse_csv(data, source, required=("extension",))
    done = _run(
        app, results_file, rows, format, dry_run, lambda: bulk.update_all(app.store, rows, dry_run)
    )
    if done is None:
        return
    for warning in done.warnings:
        app.say(warning)
    changes = done.results
    report = [
        {
            "line": row.line,
            "extension": change.number,
            "changed": ", ".join(change.changes) or "nothing",
        }
        for row, change in zip(rows, changes, strict=True)
    ]
    changed = sum(1 for c in changes if c.changes)
    if format == ItemFormat.json:
        render.emit(
            {"ok": True, "dry_run": dry_run, "rows": report, "skipped": len(rows.skipped)},
            "json",
            [],
        )
    else:
        render.emit(report, "table", UPDATE_COLUMNS)
    verb = "would change" if dry_run else "changed"
    app.say(
        f"{verb} {changed} of {len(rows)} user(s)" + (": nothing was written" if dry_run else "")
    )


UPDATE_COLUMNS = [
    Column("line", "Line"),
    Column("extension", "Extension"),
    Column("changed", "Fields"),
]


def _report(
    rows: list[dict[str, Any]],
    format: ItemFormat,
    *,
    dry_run: bool,
    queued: int = 0,
    skipped: int = 0,
) -> None:
    if format == ItemFormat.json:
        render.emit(
            {
                "ok": True,
                "dry_run": dry_run,
                "rows": rows,
                "welcome_emails_queued": queued,
                "skipped": skipped,
            },
            "json",
            [],
        )
    elif len(rows) <= TABLE_ROWS:
        render.emit(rows, "table", REPORT_COLUMNS)
    else:  # thousands of rows make an unreadable (and slow) table: count them instead
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        render.emit(
            [{"status": k, "rows": v} for k, v in counts.items()],
            "table",
            [Column("status"), Column("rows", "Rows")],
        )
        render.message(f"{len(rows)} rows: --format json lists every row")


def _columns_said() -> None:
    """bulk-assign's help names the form's columns from their declarations (domain.fields)."""

    required = [f.column for f in USER if f.required]
    assert bulk_assign.__doc__ is not None
    bulk_assign.__doc__ = bulk_assign.__doc__.format(
        required=", ".join(required[:-1]) + " and " + required[-1],
        optional=", ".join(c for c in FORM if c not in required),
    )


_columns_said()


@commands.command(
    "export",
    epilog=examples(
        "extadmin export --format csv > users.csv",
        "extadmin export --format json | jq '.[].email'",
    ),
)
def export(ctx: typer.Context, format: ListFormatOpt = ListFormat.csv) -> None:
    """The assigned users in bulk-assign's columns (never a secret): an export is accepted by
    `bulk-assign` as it is."""

    columns = [Column(c, c) for c in bulk.COLUMNS]
    part = render.listing_part(format.value, columns)
    listed = extensions.listing(get_app(ctx).store, bulk.export_rows, part)
    render.emit_listing(listed.parts, format.value, columns)
