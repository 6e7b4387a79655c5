"""All output in one place: rich tables, JSON, CSV to standard output; messages to standard
error. Consoles are built with markup and highlighting off, so user text prints as written; and
no text reaches a terminal with a control character in it (`safe`): a name holding an escape
sequence (OSC 52 writes the clipboard, CSI moves the cursor) is shown escaped, never run."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extadmin.domain.cells import protect
from extadmin.domain.fields import label
from extadmin.domain.rules import is_control
from extadmin.storage.codec import json_item_parts, json_items

if TYPE_CHECKING:
    from rich.console import Console

Progress = Callable[..., None]


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header
    title: str = ""  # the table header; by default the field's one label (catalog.label)
    get: Callable[[dict[str, Any]], Any] | None = None

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", label(self.key))

    def value(self, row: dict[str, Any]) -> Any:
        return self.get(row) if self.get else row.get(self.key)


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def safe(value: str) -> str:
    r"""Text as it may reach a terminal: each control character (rules.is_control: C0 and C1
    controls with ESC, DEL, tab and newline; bidirectional and zero-width format characters but
    the joiners and the soft hyphen that names use; line separators; lone surrogates) as its
    backslash escape, `\x1b`, `\x9b`, `\n`, `\u202e`; every other character, letters of any
    script included, as it is. One C call on ordinary text (str.isprintable is true only when
    there is none)."""
    if value.isprintable():
        return value
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if is_control(ch) else ch for ch in value
    )


def safe_json(encoded: str) -> str:
    r"""JSON text with every control character escaped the JSON way (`\u009b`): the encoder
    escapes C0 controls (ESC, newline) itself but writes DEL, C1 controls (U+009B is CSI to
    some terminals), format characters and line separators as they are. The same data, so
    applied always, not only at a terminal; JSON's own newlines (between rows) are kept."""
    if encoded.isascii():  # O(1) in CPython: the usual case
        return encoded.replace("\x7f", "\\u007f") if "\x7f" in encoded else encoded
    if encoded.replace("\n", " ").isprintable():  # two C loops: any script, nothing to escape
        return encoded
    return "\n".join(
        line if line.isprintable() else "".join(map(_json_char, line))
        for line in encoded.split("\n")
    )


def _json_char(ch: str) -> str:
    if not is_control(ch):
        return ch
    code = ord(ch)
    if code > 0xFFFF:  # a surrogate pair, as JSON writes a character outside the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, markup=False, highlight=False, emoji=False, soft_wrap=False)


def as_json(data: Any) -> str:
    """An object indented; a list of rows one row per line (codec.json_items: a list of
    50,000 extensions prints in a fraction of what `indent=` would take)."""
    if _rows(data):
        return "[\n  " + json_items(data, ",\n  ") + "\n]"
    return json.dumps(data, indent=2, ensure_ascii=False)


def _rows(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(map(dict.__instancecheck__, data))


def _write_json(data: Any) -> None:
    """An object's (or an empty list's) as_json text and a newline on standard output."""
    sys.stdout.write(safe_json(as_json(data)))
    sys.stdout.write("\n")  # not joined: a copy of what may be tens of megabytes


_ROW_SEP = ",\n  "  # between two rows of a JSON listing


def emit(data: Any, fmt: str, columns: Sequence[Column], title: str | None = None) -> None:
    """Print a list of rows (or one object) as a table, JSON or CSV: emit_listing's output of
    one part."""
    if fmt == "json" and not _rows(data):
        _write_json(data)
        return
    rows = data if isinstance(data, list) else [data]
    emit_listing([listing_part(fmt, columns)(rows)], fmt, columns, title)


def listing_part(fmt: str, columns: Sequence[Column]) -> Callable[[list[dict[str, Any]]], Any]:
    """How a part of a listing's rows is held until emit_listing prints it: as what it prints
    (the bytes standard output's text layer would write, _held), so that 100,000 rows are not
    held as rows, and a character standard output cannot write fails before anything is
    printed; rows for a table at a terminal, whose widths need every row."""
    if fmt == "json":
        return _json_part
    if fmt == "csv":
        shown = safe if sys.stdout.isatty() else str
        return lambda rows: _held(
            _csv_text([[shown(protect(text(c.value(r)))) for c in columns] for r in rows])
        )
    if not sys.stdout.isatty():  # a pipe or a file: every value whole, one row a line
        return lambda rows: _held(
            "".join("\t".join([safe(text(c.value(r))) for c in columns]) + "\n" for r in rows)
        )
    return list


def emit_listing(
    parts: list[Any], fmt: str, columns: Sequence[Column], title: str | None = None
) -> None:
    """Print the parts listing_part made, in turn, as one list: a table, JSON or CSV. A table
    is drawn at a terminal only, each column as wide as its widest value; rows too wide for the
    terminal are printed as `records` instead, so that no value is ever cut ("…") at any width.
    Into a pipe or a file a table is tab-separated lines under a header, no value ever cut (`|
    grep` finds the whole address); an empty one is "none" on standard error.
    Table cells are `safe`; so is CSV at a terminal, while CSV into a file or a pipe is the
    data as it is (bulk-assign reads an export back; the account file's check leaves no
    control character in it). JSON is `safe_json`'s, a row a line."""
    parts = [part for part in parts if part]
    if fmt == "json":
        if parts:
            _write(parts, "[\n  ", _ROW_SEP, "\n]\n")
        else:
            _write_json([])
    elif fmt == "csv":
        _write(parts, _csv_text([[c.key for c in columns]]))
    elif not parts:
        message("none")  # an empty result: nothing on standard output
    elif not sys.stdout.isatty():
        _write(parts, "\t".join(c.title for c in columns) + "\n")
    else:
        _draw([row for part in parts for row in part], columns, title)


def _json_part(rows: list[dict[str, Any]]) -> list[bytes] | str:
    """The rows' JSON, a row a line, safe_json's, _held: ASCII without DEL (nothing for
    safe_json to escape) as the encoder's own bytes, never copied into text and back."""
    parts = json_item_parts(rows, _ROW_SEP)
    if parts is not None and all(p.isascii() and b"\x7f" not in p for p in parts):
        return parts if _bytes_out() else b"".join(parts).decode("ascii")
    return _held(safe_json(b"".join(parts).decode() if parts else json_items(rows, _ROW_SEP)))


# encodings whose bytes for a text are its parts' bytes end to end (no byte-order mark, no
# state), as codecs names them
_PLAIN_ENCODINGS = frozenset({"utf-8", "ascii", "iso8859-1"})


def _bytes_out() -> bool:
    """Whether a listing goes to standard output's bytes, as its text layer would write it:
    its encoding plain (_PLAIN_ENCODINGS), its newlines written as they are."""
    encoding = getattr(sys.stdout, "encoding", None)
    return (
        os.linesep == "\n"
        and getattr(sys.stdout, "buffer", None) is not None
        and encoding is not None
        and codecs.lookup(encoding).name in _PLAIN_ENCODINGS
    )


def _held(text: str) -> list[bytes] | str:
    """A part of a listing as emit_listing writes it: its bytes (_bytes_out: a character the
    encoding cannot write fails here, before anything is printed, as the text layer would
    fail on it), or else its text."""
    if _bytes_out():
        return [text.encode(sys.stdout.encoding, sys.stdout.errors or "strict")]
    return text


def _write(parts: list[list[bytes] | str], head: str, sep: str = "", tail: str = "") -> None:
    """`head`, the parts with `sep` between two, and `tail`, on standard output: to its bytes
    when the parts are bytes (_held); else as one text, so that nothing is written before a
    character its encoding cannot write fails (the parts are not copied when they are bytes)."""
    encoded = [part for part in parts if isinstance(part, list)]
    if encoded and len(encoded) == len(parts):
        encoding = sys.stdout.encoding
        out = sys.stdout.buffer
        sys.stdout.flush()
        out.write(head.encode(encoding))
        for i, part in enumerate(encoded):
            if i and sep:
                out.write(sep.encode(encoding))
            out.writelines(part)
        out.write(tail.encode(encoding))
        return
    texts = [p if isinstance(p, str) else b"".join(p).decode(sys.stdout.encoding) for p in parts]
    sys.stdout.write(head + sep.join(texts) + tail)


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _draw(rows: list[dict[str, Any]], columns: Sequence[Column], title: str | None) -> None:
    """Rows as a rich table at a terminal (or as records, when too wide for one)."""
    cells = [[safe(text(c.value(r))) for c in columns] for r in rows]
    from rich.table import Table
    from rich.text import Text

    out = console()
    widths = column_widths([c.title for c in columns], cells, out.width)
    if widths is None:
        sys.stdout.write(records([c.title for c in columns], cells, title and safe(title)))
        return
    table = Table(title=title and safe(title), title_justify="left", header_style="bold")
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column.title, width=width, overflow="fold")  # fold: never "…"
    for line in cells:
        table.add_row(*map(Text, line))
    out.print(table)


def column_widths(
    titles: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> list[int] | None:
    """The width of each column of a table that fits a terminal `width` columns wide with every
    value on one line: each column as wide as its widest value, and its title if there is room
    (else the title wraps at its words); None when even that is too wide. Rich's own layout
    would narrow a column by wrapping (or cutting) its values."""
    from rich.cells import cell_len

    values = [max((cell_len(row[i]) for row in rows), default=0) for i in range(len(titles))]
    whole = [max(v, cell_len(t)) for v, t in zip(values, titles, strict=True)]
    least = [max([v, *map(cell_len, t.split())]) for v, t in zip(values, titles, strict=True)]
    room = width - (3 * len(titles) + 1) - sum(least)  # a rich table's edges, bars and padding
    if room < 0:
        return None
    widths = list(least)
    for i in sorted(range(len(titles)), key=lambda i: whole[i] - least[i]):  # most titles whole
        grow = min(room, whole[i] - least[i])
        widths[i] += grow
        room -= grow
    return widths


def records(keys: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> str:
    """Rows too wide for the terminal as a table: one record per block, a `key: value` line
    per column (the values aligned), a blank line between records. A value is never cut: one
    wider than the terminal is wrapped by the terminal itself, whole when copied."""
    width = max(len(key) for key in keys) + 1
    blocks = [
        "".join(
            f"{key + ':':<{width}} {value}".rstrip() + "\n"
            for key, value in zip(keys, row, strict=True)
        )
        for row in rows
    ]
    return (f"{title}\n\n" if title else "") + "\n".join(blocks)


def emit_fields(data: dict[str, Any], fmt: str, fields: Sequence[tuple[str, Any]]) -> None:
    """One object: as JSON, or as lines of label and value, the values aligned (plain text: a
    value is never wrapped or cut, and printing it costs no rich import), both `safe`."""
    if fmt == "json":
        sys.stdout.write(safe_json(as_json(data)) + "\n")
        return
    lines = [(safe(label), safe(text(value))) for label, value in fields]
    width = max((len(label) for label, _ in lines), default=0)
    sys.stdout.write("".join(f"{label:<{width}}  {value}\n" for label, value in lines))


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
    """A one-line message to standard error (plain print: no rich import on the hot path),
    `safe`: a value it quotes cannot break the line or write to the terminal."""
    print(safe(text_), file=sys.stderr)
