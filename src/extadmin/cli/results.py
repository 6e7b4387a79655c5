"""`--results FILE.csv`, shared by the bulk commands: the option, the check of its path before
anything changes, and the writing of the file whatever the run's outcome (services.results,
docs/bulk.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from extadmin.cli.app import App
from extadmin.errors import ExtadminError, RowErrors
from extadmin.services import bulk, results
from extadmin.services.results import Result

ResultsOpt = Annotated[
    str | None,
    typer.Option(
        "--results",
        metavar="FILE.csv",
        help="Write a result file, whatever the outcome (dry run and refused files too): each "
        "row's cells as read (password, pin and security_answer left empty), then outcome "
        "(done, failed, conflict, not applied), error_code (invalid:email…), message and "
        "platform_id. Fixed, it is a valid input again: rows whose outcome is done are skipped "
        "(docs/bulk.md).",
    ),
]


def target(option: str | None, source: str | None = None) -> Path | None:
    """--results' path, checked before the command reads its rows or changes anything (None
    without the option); `source` is the input file (or -), which it may not be."""
    return results.target(option, source) if option is not None else None


class Recorder:
    """What a command run inside `recording` says of its rows: `done(by_line)` on success."""

    def __init__(self) -> None:
        self.by_line: Mapping[int, Result] | None = None

    def done(self, by_line: Mapping[int, Result]) -> None:
        self.by_line = by_line


@contextmanager
def recording(app: App, path: Path | None, rows: bulk.Rows) -> Iterator[Recorder]:
    """Around a bulk command's service call: says how many rows a result file given as input
    had done already (skipped), then writes the result file `path` (if any) however the block
    ends. The block calls `done(by_line)` with every row's result (by Row.line) once it knows
    them; if it raises, what it recorded is written all the same, else a bulk.Refused gives its
    own (rows failed, conflict, not applied), RowErrors its rows' (the others not applied), and
    any other error of the run makes every row not applied with that error's code and
    message. Ctrl-C writes no result file."""
    if rows.skipped:
        app.say(
            f"skipped {len(rows.skipped)} row(s) whose outcome is done (an earlier run did "
            "them; empty a row's outcome cell to run it again)"
        )
    recorder = Recorder()
    try:
        yield recorder
    except ExtadminError as exc:
        if path is not None:
            try:
                _write(app, path, rows, recorder.by_line or _failed(rows, exc))
            except ExtadminError as unwritten:  # said; the run's own error is the one to exit
                app.say(f"extadmin: error: {unwritten.message}")
        raise
    if path is not None:
        if recorder.by_line is None:
            raise RuntimeError("recording: the block gave no result (Recorder.done)")
        try:
            _write(app, path, rows, recorder.by_line)
        except ExtadminError as exc:  # the run itself is over
            raise ExtadminError(
                f"{exc.message} (the run itself went through: what it changed is saved)"
            ) from None


def _failed(rows: bulk.Rows, exc: ExtadminError) -> Mapping[int, Result]:
    """Each row's result when the run raised `exc` before saying them."""
    if isinstance(exc, bulk.Refused):
        return exc.by_line
    if isinstance(exc, RowErrors):
        failed = results.refused(exc.errors)
        left = Result("not applied", "", results.NOT_APPLIED)
        return {r.line: failed.get(r.line, left) for r in rows}
    return dict.fromkeys((r.line for r in rows), results.failure(exc))


def write(
    app: App,
    path: Path,
    header: Sequence[str],
    records: Iterable[tuple[Sequence[str], Result]],
) -> None:
    """A result file of operations, for a command without an input file (`platform apply`):
    `header` (the columns of the operation: `extension`…; the result columns follow), one
    record (its cells, its Result) per operation; then says where it went, as `recording`
    does."""
    _said(app, path, results.write(path, header, records))


def _write(app: App, path: Path, rows: bulk.Rows, by_line: Mapping[int, Result]) -> None:
    _said(app, path, bulk.write_results(path, rows, by_line))


def _said(app: App, path: Path, counts: Mapping[str, int]) -> None:
    said = ", ".join(f"{n} {outcome}" for outcome, n in counts.items()) or "no row"
    app.say(f"results: {path} ({said})")
