"""`--results FILE.csv`, shared by the bulk commands: the option, the check of its path before
anything changes, and the writing of the file whatever the run's outcome (services.results,
docs/bulk.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from extadmin.cli.app import App
from extadmin.errors import ExtadminError
from extadmin.services import bulk, results
from extadmin.services.results import Result

ResultsOpt = Annotated[
    str | None,
    typer.Option(
        "--results",
        metavar="FILE.csv",
        help="Write a result file, whatever the outcome (dry run and refused files too): each "
        "row's cells as read (password, pin and security_answer left empty), then outcome "
        "(done, failed, conflict or not applied), error_code (invalid:email…), message and "
        "platform_id. Fixed, it is a valid input again: rows whose outcome is done are skipped "
        "(docs/bulk.md).",
    ),
]


def target(option: str | None, source: str) -> Path | None:
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
    ends. The block calls `done(by_line)` with every row's result on success; a bulk.Refused
    gives its own (rows failed, conflict, not applied); any other error of the run makes every
    row not applied with that error's code and message. Ctrl-C writes no result file."""
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
            if isinstance(exc, bulk.Refused):
                by_line: Mapping[int, Result] = exc.by_line
            else:
                failed = results.failure(exc)
                by_line = dict.fromkeys((r.line for r in rows), failed)
            try:
                _write(app, path, rows, by_line)
            except ExtadminError as unwritten:  # said; the run's own error is the one to exit
                app.say(f"extadmin: error: {unwritten.message}")
        raise
    if path is not None:
        if recorder.by_line is None:
            raise RuntimeError("recording: the block gave no result (Recorder.done)")
        try:
            _write(app, path, rows, recorder.by_line)
        except ExtadminError as exc:  # the run itself is over: its changes are saved
            raise ExtadminError(
                f"{exc.message} (the run itself succeeded: its changes were saved)"
            ) from None


def _write(app: App, path: Path, rows: bulk.Rows, by_line: Mapping[int, Result]) -> None:
    counts = bulk.write_results(path, rows, by_line)
    said = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    app.say(f"results: {path} ({said})")
