"""All output in one place: rich tables, JSON, CSV to standard output; messages to standard
error. Consoles are built with markup and highlighting off, so user text prints as written."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extadmin.domain.cells import protect
from extadmin.storage.codec import json_list

if TYPE_CHECKING:
    from rich.console import Console

Progress = Callable[..., None]


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header
    title: str  # the table header
    get: Callable[[dict[str, Any]], Any] | None = None

    def value(self, row: dict[str, Any]) -> Any:
        return self.get(row) if self.get else row.get(self.key)


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, markup=False, highlight=False, emoji=False, soft_wrap=False)


def as_json(data: Any) -> str:
    """An object indented; a list of rows one row per line (the C encoder in one call: a list
    of 50,000 extensions prints in a fraction of what `indent=` would take)."""
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return "[\n  " + json_list(data, ",\n  ")[1:-1] + "\n]"
    return json.dumps(data, indent=2, ensure_ascii=False)


def emit(data: Any, fmt: str, columns: Sequence[Column], title: str | None = None) -> None:
    """Print a list of rows (or one object) as a table, JSON or CSV."""
    if fmt == "json":
        sys.stdout.write(as_json(data) + "\n")
        return
    rows = data if isinstance(data, list) else [data]
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        writer.writerows([protect(text(c.value(r))) for c in columns] for r in rows)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column.title)
    for row in rows:
        table.add_row(*(Text(text(c.value(row))) for c in columns))
    console().print(table)


def emit_fields(data: dict[str, Any], fmt: str, fields: Sequence[tuple[str, Any]]) -> None:
    """One object: as JSON, or as lines of label and value, the values aligned (plain text: a
    value is never wrapped or cut, and printing it costs no rich import)."""
    if fmt == "json":
        sys.stdout.write(as_json(data) + "\n")
        return
    width = max((len(label) for label, _ in fields), default=0)
    sys.stdout.write("".join(f"{label:<{width}}  {text(value)}\n" for label, value in fields))


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Progress | None]:
    """A progress bar on a terminal (standard error), none otherwise: yields
    `update(advance=n)` or `update(completed=n, total=m)`, or None."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda **change: bar.update(task, **change)


def message(text_: str) -> None:
    """A one-line message to standard error (plain print: no rich import on the hot path)."""
    print(text_, file=sys.stderr)
