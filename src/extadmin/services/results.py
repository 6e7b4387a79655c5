"""Result files: what `--results FILE.csv` of a bulk command writes (docs/bulk.md).

One row per input row (or, for a command without an input file, per operation): the input
row's own cells as they were read, so that the file is a valid input for the same command
again, then four result columns:

- `outcome`: done, failed, held, not applied or conflict (OUTCOMES, exactly these words);
- `error_code`: empty, or one code per broken rule, space separated: the name of the exit code
  of the error's class in lower case (errors.ExitCode: invalid, not_found, conflict, usage,
  account_file, failure), then `:` and the column at fault when there is one
  (`invalid:email`, `not_found:role`, `conflict:extension`); a refusal of the platform that
  carries its errorCode is `platform:<errorCode>`;
- `message`: one line saying what happened to the row, or every broken rule of it (`; `
  between them);
- `platform_id`: the extension's id on the platform, on a linked account file; else empty.

Secrets (the password, pin and security_answer columns) are never written: their cells are
left empty under their headers, and the message of a row that had one and is not done says
to fill them in again. Every cell is protected against formula injection (domain.cells), the
file is UTF-8 with the input's delimiter (and byte-order mark, if it had one), written
atomically with mode 0600 (storage.files.write_atomic: an existing file is replaced whole or
not at all).

`target()` checks the path before the command changes anything. Nothing here prints."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from extadmin.domain.cells import protect, unprotect
from extadmin.errors import (
    Conflict,
    ExitCode,
    ExtadminError,
    InvalidValue,
    PlatformError,
    Problems,
    UsageError,
)
from extadmin.storage import files

OUTCOMES = ("done", "failed", "held", "not applied", "conflict")
COLUMNS = ("outcome", "error_code", "message", "platform_id")
SECRETS = ("password", "pin", "security_answer")
SUFFIXES = (".csv", ".tsv", ".txt")

NOT_APPLIED = "not applied: another row failed; nothing was written"
DRY_RUN = "not applied: dry run, the row is valid; nothing was written"
SKIPPED = "done in an earlier run: skipped"
SECRETS_LEFT_EMPTY = "left empty, a result file holds no secret; fill in again before a re-run"


@dataclass(frozen=True)
class Result:
    """What happened to one row (or operation)."""

    outcome: str
    error_code: str = ""
    message: str = ""
    platform_id: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome {self.outcome!r} is not one of {', '.join(OUTCOMES)}")


def code(error: ExtadminError, column: str = "") -> str:
    """An error's code: its exit code's name in lower case, `:column` when there is one
    (`invalid:email`); a platform refusal with an errorCode: `platform:<errorCode>`."""
    if isinstance(error, PlatformError) and error.code:
        return f"platform:{error.code}"
    name = ExitCode(error.exit_code).name.lower()
    column = column.strip().replace(" ", "_")
    return f"{name}:{column}" if column else name


def refused(errors: Iterable[tuple[int, str, ExtadminError]]) -> dict[int, Result]:
    """The result of each row that broke a rule, by line, from RowErrors' (line, column, error):
    `conflict` when every broken rule of the row is a conflict (errors.Conflict), else
    `failed`; its codes and messages in the order they were found."""
    by_line: dict[int, list[tuple[str, ExtadminError]]] = {}
    for line, column, error in errors:
        by_line.setdefault(line, []).append((column, error))
    out = {}
    for line, problems in by_line.items():
        conflict = all(isinstance(e, Conflict) for _, e in problems)
        out[line] = Result(
            "conflict" if conflict else "failed",
            " ".join(dict.fromkeys(code(e, c) for c, e in problems)),
            "; ".join(_one_line(e.message) for _, e in problems),
        )
    return out


def failure(error: ExtadminError) -> Result:
    """The result of every row of a run stopped by an error that is not a row's (the account
    locked too long, not found, unreadable): not applied, with that error's code and message."""
    problems = error.problems if isinstance(error, Problems) else [error]
    return Result(
        "not applied",
        " ".join(dict.fromkeys(code(p, p.field) for p in problems)),
        "not applied: " + _one_line(error.message),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split("\n"))


def target(option: str, source: str | None = None) -> Path:
    """The path of `--results`, checked before the command changes anything: a name ending in
    .csv (or .tsv, .txt), not the input file `source` (a path, or - for standard input), not a
    folder, link or device, in a folder where a file can be made (a temporary file is made and
    removed there). UsageError for a wrong name, InvalidValue for a place it cannot be written."""
    path = Path(option)
    if path.suffix.casefold() not in SUFFIXES:
        raise UsageError(f"--results: {option!r} is not a .csv file name (FILE.csv)")
    if source not in (None, "-") and _same(path, Path(source)):
        raise UsageError(
            f"--results: {option} is the input file; name another file (the input is kept)"
        )
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise InvalidValue("--results", f"cannot write {option}: {exc.strerror}") from None
    else:
        if not stat.S_ISREG(mode):
            kind = (
                "a folder"
                if stat.S_ISDIR(mode)
                else "a symbolic link"
                if stat.S_ISLNK(mode)
                else "not a regular file"
            )
            raise InvalidValue("--results", f"cannot write {option}: it is {kind}")
    probe = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise InvalidValue("--results", f"cannot write {option}: {exc.strerror}") from None
    return path


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def write(
    path: Path,
    header: Sequence[str],
    records: Iterable[tuple[Sequence[str], Result]],
    *,
    names: Sequence[str] | None = None,
    delimiter: str = ",",
    bom: bool = False,
) -> dict[str, int]:
    """Write a result file: `header` (the input's columns as read; result columns in it are
    left out, and written anew at the end), then each record's cells and result. `names`:
    each header cell's own column name (parse_csv's; default: the header itself), which says
    which cells are secrets (written empty) and which are result columns. Returns the count
    of each outcome. InvalidValue naming --results if the file cannot be written."""
    names = list(header if names is None else names)
    keep = [i for i, n in enumerate(names) if n not in COLUMNS]
    secret = {i: n for i, n in enumerate(names) if n in SECRETS}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([protect(header[i]) for i in keep] + list(COLUMNS))
    counts = dict.fromkeys(OUTCOMES, 0)
    for cells, result in records:
        counts[result.outcome] += 1
        blanked = [n for i, n in secret.items() if i < len(cells) and cells[i].strip()]
        message = result.message
        if blanked and result.outcome != "done":
            message += f" ({', '.join(blanked)}: {SECRETS_LEFT_EMPTY})"
        row = ["" if i in secret or i >= len(cells) else unprotect(cells[i]) for i in keep]
        row += [result.outcome, result.error_code, message, result.platform_id]
        writer.writerow([protect(cell) for cell in row])
    data = ("\ufeff" if bom else "") + out.getvalue()
    try:
        files.write_atomic(path, data.encode("utf-8"))
    except OSError as exc:
        raise InvalidValue("--results", f"cannot write {path}: {exc.strerror}") from None
    return {k: v for k, v in counts.items() if v}
