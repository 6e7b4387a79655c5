"""TOML and JSON, chosen by the file's suffix. Both formats hold the same document."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from extadmin.errors import AccountFileError

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
    if file_format(path) == "json":
        return _encode_json(doc).encode("utf-8")
    import tomli_w

    return tomli_w.dumps(doc).encode("utf-8")


def _encode_json(doc: dict[str, Any]) -> str:
    """Readable and diff-friendly (one list item per line) while every value goes through the
    C encoder: `indent=` would fall back to the pure-Python encoder. A list of tables (the
    extensions) is encoded in one call and split after each `}, {"` between two items, which
    cannot occur inside a string (its quote would be escaped): one call per item costs twice
    as much on a large account."""
    parts = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            if all(isinstance(item, dict) for item in value):
                body = json.dumps(value, ensure_ascii=False)[1:-1].replace('}, {"', '},\n    {"')
            else:
                body = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f"  {json.dumps(key)}: [\n    {body}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
