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
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AccountFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
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
    """Readable and diff-friendly (one extension per line) while every value is encoded by the
    C encoder: `indent=` would fall back to the pure-Python one, several times slower."""
    parts = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f"  {json.dumps(key)}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
