"""TOML and JSON, chosen by the file's suffix. Both formats hold the same document. JSON is
written with msgspec (C), byte for byte as the standard library's json wrote it, and read by
storage/decoder.py (msgspec, checked as it is decoded); `parse` is the standard library's, for
the file that decoder doubts (its errors name the line and column)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from itertools import chain
from json import encoder
from pathlib import Path
from typing import Any

from extadmin.domain.lazy import Extensions
from extadmin.errors import AccountFileError
from extadmin.storage import files

FORMATS = (".toml", ".json")


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise AccountFileError(
            f"{path}: unknown account file format {suffix or '(no suffix)'!r}: use .toml or .json"
        )
    return suffix[1:]


def decode(path: Path, data: bytes) -> Any:
    """Parse bytes; a syntax error names the path, line and column."""
    return parse(path, to_text(path, data))


def to_text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AccountFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def parse(path: Path, text: str) -> Any:
    """Parse text (the store drops the file's bytes first: a large account is parsed with one
    copy of its text in memory, not two)."""
    if file_format(path) == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise AccountFileError(
                f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise AccountFileError(f"{path}: malformed JSON: nested too deeply") from None
        except ValueError as exc:  # an integer longer than Python's 4300-digit limit
            raise AccountFileError(f"{path}: malformed JSON: {exc}") from None
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        what = re.sub(r"\s*\(at .*\)$", "", msg)
        place = f" at line {where[1]}, column {where[2]}" if where else ""
        raise AccountFileError(f"{path}: malformed TOML{place}: {what}") from None
    except RecursionError:
        raise AccountFileError(f"{path}: malformed TOML: nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python's 4300-digit limit
        raise AccountFileError(f"{path}: malformed TOML: {exc}") from None


def encode(path: Path, doc: Any) -> bytes:
    return b"".join(iter_parts(path, doc))


def iter_parts(path: Path, doc: Any) -> Iterator[files.Chunk]:
    """The file's bytes in parts, as they are made, for the store to write and hash as they
    come: the text of a large account's extensions is never copied whole once encoded (each
    copy of 36 MB costs as much as a tenth of the save), and a JSON list's runs are made (or
    read back: a change's spooled text) one at a time."""
    if file_format(path) == "json":
        return _json_parts(doc)
    import tomli_w

    return iter([tomli_w.dumps(doc).encode("utf-8")])


def json_items(items: list[Any], sep: str, *, ensure_ascii: bool = False) -> str:
    """The items of a JSON list with `sep` between them (one a line), without the brackets,
    laid out as json.dumps lays them out (`, ` and `: ` between values). By msgspec's encoder
    (50,000 rows of a listing in a tenth of the standard library's time): strings, integers,
    booleans and None exactly as json.dumps writes them; a float as the same number, in its
    shortest form (`1e16`, where json.dumps writes `1e+16`; NaN and the infinities, which JSON
    cannot hold and json.dumps writes as `NaN`, as null). With `ensure_ascii` (the audit log,
    which must not change), by msgspec only what it writes byte for byte as json.dumps does:
    no float and only ASCII text without DEL (which json.dumps escapes). Anything else (a lone
    surrogate, a key that is not a string), and the rest of the audit log, by one C encoder of
    the standard library, built once."""
    try:
        if not ensure_ascii:
            parts = json_item_parts(items, sep)
            if parts is not None:
                return b"".join(parts).decode("utf-8")
        elif _as_stdlib_writes(items):
            text = b"".join(_items(items, sep.encode("utf-8")))
            if text.isascii() and b"\x7f" not in text:  # json.dumps writes DEL as \u007f
                return text.decode("ascii")
    except (UnicodeEncodeError, TypeError, ValueError):
        pass
    return sep.join(map(_item_encoder(ensure_ascii), items))


def json_item_parts(items: list[Any], sep: str) -> list[bytes] | None:
    """json_items' text (ensure_ascii off) as UTF-8 parts, not joined; None where json_items
    would take the standard library's encoder instead."""
    try:
        return _items(items, sep.encode("utf-8"))
    except (UnicodeEncodeError, TypeError, ValueError):
        return None


def json_list(items: list[Any], sep: str, *, ensure_ascii: bool = False) -> str:
    return f"[{json_items(items, sep, ensure_ascii=ensure_ascii)}]"


_ITEM_SEP = ",\n    "  # between two items of a list in the store's layout (_json_parts)
_CHUNK = 4096  # items encoded at once
_PLAIN_TYPES = frozenset({str, int, bool, type(None), dict, list})


def _as_stdlib_writes(values: list[Any]) -> bool:
    """Whether msgspec writes these values (and all they hold) byte for byte as json.dumps
    does: strings, integers, booleans, None, dicts and lists of them (no float, no subclass).
    Each level of nesting in a few C loops."""
    while values:
        types = set(map(type, values))
        if not types <= _PLAIN_TYPES:
            return False
        inner: list[Any] = []
        if dict in types:
            inner += chain.from_iterable(map(dict.values, filter(_is_dict, values)))
        if list in types:
            inner += chain.from_iterable(filter(_is_list, values))
        values = inner
    return True


_is_dict = dict.__instancecheck__
_is_list = list.__instancecheck__


def _items(items: list[Any], sep: bytes) -> list[bytes]:
    """The items' JSON with `sep` between them: msgspec's encoder, its output laid out as
    json.dumps lays it out (msgspec.json.format), a few thousand items at a time; a list of
    tables split between items where `}, {` is, if it is found only there (exactly once
    between each two: it may be in a string too, and then each item is encoded alone)."""
    encode, layout = _msgspec()
    parts: list[bytes] = []
    between = b"}" + sep + b"{"
    for i in range(0, len(items), _CHUNK):
        chunk = items[i : i + _CHUNK]
        if parts:
            parts.append(sep)
        body = layout(encode(chunk))[1:-1]
        if set(map(type, chunk)) == {dict}:
            split = body.replace(b"}, {", between)
            if len(split) - len(body) == (len(between) - 4) * (len(chunk) - 1):
                parts.append(split)
                continue
        parts.append(sep.join(layout(encode(item)) for item in chunk))
    return parts


@cache
def _msgspec() -> tuple[Callable[[Any], bytes], Callable[[bytes], bytes]]:
    """msgspec's JSON encoder, and its layout of a text as json.dumps lays it out (`, ` and
    `: ` between values)."""
    import msgspec

    def layout(text: bytes) -> bytes:
        return msgspec.json.format(text, indent=0)

    return msgspec.json.Encoder().encode, layout


def _item_encoder(ensure_ascii: bool) -> Callable[[Any], str]:
    c_make_encoder = getattr(encoder, "c_make_encoder", None)  # typeshed does not know it
    if c_make_encoder is None:  # a Python without the C accelerator
        return json.JSONEncoder(ensure_ascii=ensure_ascii, check_circular=False).encode
    strings = encoder.encode_basestring_ascii if ensure_ascii else encoder.encode_basestring
    # the arguments JSONEncoder.iterencode gives it, markers None: no check for circles
    make = c_make_encoder(
        None, json.JSONEncoder().default, strings, None, ": ", ", ", False, False, True
    )
    return lambda item: "".join(make(item, 0))


def _json_parts(doc: dict[str, Any]) -> Iterator[files.Chunk]:
    """Readable and diff-friendly: one list item per line. A list's items by msgspec (_items:
    the extensions of a valid account hold strings, booleans and tables of them, which it
    writes as json.dumps does), any other value by the standard library (a float: the mail
    timeout). A Streamed list is encoded as its runs come."""
    text = "{"
    for key, value in doc.items():
        text += f"\n  {json.dumps(key)}: "
        if isinstance(value, list | Extensions | Streamed):
            items = iter(_list_items(key, value))
            first = next(items, None)
            if first is None:
                text += "[]"
            else:
                yield (text + "[\n    ").encode("utf-8")
                yield first
                yield from items
                text = "\n  ]"
        else:
            text += json.dumps(value, ensure_ascii=False)
        text += ","
    yield (text.removesuffix(",") + "\n}\n").encode("utf-8")


class Streamed:
    """A list given a run of items at a time and never held whole (a pull's extensions: the
    store's `replacing`); each run's text, as the store's layout writes it, is handed to
    `written` as it is encoded."""

    def __init__(self, runs: Iterable[list[Any]], written: Callable[[bytes], None]) -> None:
        self.runs, self.written = runs, written

    def parts(self, sep: bytes) -> Iterator[bytes]:
        first = True
        for run in self.runs:
            if not run:
                continue
            text = b"".join(_items(run, sep))
            self.written(text)
            if not first:
                yield sep
            yield text
            first = False


def items_text(items: list[Any]) -> bytes:
    """A list's items in the store's layout, `_ITEM_SEP` between two, without the brackets."""
    return b"".join(_items(items, _ITEM_SEP.encode("utf-8")))


def _list_items(key: str, value: list[Any] | Extensions | Streamed) -> Iterable[files.Chunk]:
    """A list's items in the store's layout, `_ITEM_SEP` between two; the extensions read in
    runs (Extensions) as the file held those no command touched."""
    sep = _ITEM_SEP.encode("utf-8")
    if isinstance(value, Streamed):
        return value.parts(sep)
    if isinstance(value, Extensions):
        return value.parts(lambda tables: _items(tables, sep), sep)
    if not value:
        return []
    if key == "extensions" or _as_stdlib_writes(value):
        return list(_items(value, sep))
    return [json_items(value, _ITEM_SEP).encode("utf-8")]
