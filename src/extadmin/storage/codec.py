"""TOML and JSON, chosen by the file's suffix. Both formats hold the same document."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json import encoder
from pathlib import Path
from typing import Any, cast

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


_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, as the standard decoder skips it
# where one table of a list ends and the next begins, one a line: the store's own layout
_BETWEEN = re.compile(r"\},[ \t\r]*\n[ \t\n\r]*(?=\{)")
RUN = 1 << 20  # characters of a list parsed at once


def parse_json_items(
    text: str,
    key: str,
    keep: Callable[[Any], bool],
    check: Callable[[int, Any], None] | None = None,
    hint: str | None = None,
    run: int | None = None,
    where: tuple[str, str] | None = None,
) -> dict[str, Any] | None:
    """Parse a JSON object whose `key` holds a list, keeping only the items `keep` is true
    for, `check(index, item)` called on each first: the others are never all in memory at
    once. The standard library's C decoder parses the list a run of about `run` characters
    at a time, each in one call, so the result is what json.loads gives, less the dropped
    items, at about its cost. A run ends between two tables on separate lines (the store's
    layout); a raw newline is never inside a string, so a run that ends anywhere else (inside
    an item, or past the list) does not parse on its own, its brackets left open, and the
    rest of the list is then parsed in one call instead.
    `hint`, for text known to be valid JSON and without `check`: text every kept item holds,
    as the file writes it; a run without it and without a bracket is skipped unparsed (its
    brackets being braces only, it ends between two items of the list).
    `where` (key, value), on the same terms: `keep` keeps only items whose `key` is `value`;
    in a run in the store's layout, an item whose text sets `key` once, plainly, to another
    value is not parsed (_items_where).

    None when the text is anything else (a syntax error, a top-level key given twice, another
    top level): the caller then parses it whole, which reports the error with its place."""
    # the scanner json.loads itself uses (C), set on each decoder; typeshed does not know it
    scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
    space = cast(Callable[[str, int], re.Match[str]], _SPACE.match)  # it always matches
    run = RUN if run is None else run
    doc: dict[str, Any] = {}
    try:
        i = space(text, 0).end()
        if text[i : i + 1] != "{":
            return None
        i = space(text, i + 1).end()
        while text[i : i + 1] != "}":
            if text[i : i + 1] != '"':
                return None
            name, i = scan(text, i)
            i = space(text, i).end()
            if text[i : i + 1] != ":" or name in doc:
                return None
            i = space(text, i + 1).end()
            if name == key and text[i : i + 1] == "[":
                value: Any = []
                i += 1  # past the bracket
                count = 0
                while True:
                    items = None
                    between = _BETWEEN.search(text, i + run)
                    if between is not None:
                        end = between.start() + 1
                        if hint is not None and check is None and _skip(text, i, end, hint):
                            i = between.end()
                            continue
                        try:
                            if where is not None and check is None:
                                items = _items_where(text[i:end], *where)
                            if items is None:
                                items = json.loads("".join(("[", text[i:end], "]")))  # 2 copies
                            i = between.end()
                        except ValueError:
                            items = None
                    if items is None:  # the rest of the list, to its closing bracket
                        items, used = scan("".join(("[", text[i:])), 0)
                        i += used - 1
                        between = None
                    if check is not None:
                        for item in items:
                            check(count, item)
                            count += 1
                    value += filter(keep, items)
                    if between is None:
                        break
            else:
                value, i = scan(text, i)
            doc[name] = value
            i = space(text, i).end()
            if text[i : i + 1] == ",":
                i = space(text, i + 1).end()
                if text[i : i + 1] == "}":
                    return None
            elif text[i : i + 1] != "}":
                return None
        if space(text, i + 1).end() != len(text):
            return None
    except (StopIteration, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return None
    return doc


_ITEM_SEP = ",\n    "  # between two items of a list in the store's layout (_encode_json)
_ONE_A_LINE = "}" + _ITEM_SEP + "{"  # ... two tables


def _items_where(run: str, key: str, value: str) -> list[Any] | None:
    """The items of a run in the store's layout (one a line) that may have `key` == `value`,
    parsed in one call. An item whose text shows `key` once, as `"key": "` not followed by
    `value"`, and no backslash anywhere (no escaped key or value, no other way of writing it)
    has another value: it is left out unparsed. Only in a run without a bracket: the
    separator is then never inside an item (in a list of tables), so each piece is one whole
    item. None when no item is left out (the caller parses the run whole)."""
    name, token, wanted = f'"{key}"', f'"{key}": "', f'"{key}": "{value}"'
    if "[" in run or "]" in run or run.count(token) == run.count(wanted):  # none to leave out
        return None
    pieces = run.split(_ONE_A_LINE)
    last = len(pieces) - 1
    kept = [
        ("{" if n else "") + piece + ("}" if n < last else "")
        for n, piece in enumerate(pieces)
        if wanted in piece or token not in piece or piece.count(name) != 1 or "\\" in piece
    ]
    if len(kept) == len(pieces):
        return None
    return json.loads("[" + ",".join(kept) + "]") if kept else []


def _skip(text: str, start: int, end: int, hint: str) -> bool:
    return text.find(hint, start, end) < 0 and all(
        text.find(bracket, start, end) < 0 for bracket in "[]"
    )


def encode(path: Path, doc: Any) -> bytes:
    return b"".join(encode_parts(path, doc))


def encode_parts(path: Path, doc: Any) -> list[files.Chunk]:
    """The file's bytes in parts, for the store to write and hash as they are: the text of a
    large account's extensions is never copied whole once encoded (each copy of 36 MB costs
    as much as a tenth of the save)."""
    if file_format(path) == "json":
        return _encode_json(doc)
    import tomli_w

    return [tomli_w.dumps(doc).encode("utf-8")]


def json_items(items: list[Any], sep: str, *, ensure_ascii: bool = False) -> str:
    """The items of a JSON list with `sep` between them (one a line), without the brackets:
    each item encoded by one C encoder built once for all (json.dumps builds one a call), and
    without json.dumps's check for circular references (plain data, read from a file or
    built from it, has none): half the time of one json.dumps of the whole list, which would
    then have to be split again."""
    return sep.join(map(_item_encoder(ensure_ascii), items))


def json_list(items: list[Any], sep: str, *, ensure_ascii: bool = False) -> str:
    return f"[{json_items(items, sep, ensure_ascii=ensure_ascii)}]"


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


def _encode_json(doc: dict[str, Any]) -> list[files.Chunk]:
    """Readable and diff-friendly: one list item per line (json_items)."""
    parts: list[files.Chunk] = []
    text = "{"
    for key, value in doc.items():
        text += f"\n  {json.dumps(key)}: "
        if isinstance(value, list) and value:
            items = json_items(value, _ITEM_SEP).encode("utf-8")
            parts += [(text + "[\n    ").encode("utf-8"), items]
            text = "\n  ]"
        else:
            text += json.dumps(value, ensure_ascii=False)
        text += ","
    parts.append((text.removesuffix(",") + "\n}\n").encode("utf-8"))
    return parts
