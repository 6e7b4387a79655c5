"""Secrets come from files (or - for standard input), never from command-line values."""

from __future__ import annotations

import sys
from pathlib import Path

from extadmin.errors import InvalidValue, NotFound, UsageError


def read_secret_files(files: dict[str, Path | None]) -> dict[str, str | None]:
    """{flag: path} -> {flag: secret}. At most one of them may be '-' (standard input). One
    trailing newline is removed; the rest of the file is the secret."""
    stdin_flags = [flag for flag, path in files.items() if path is not None and str(path) == "-"]
    if len(stdin_flags) > 1:
        raise UsageError(f"only one of {', '.join(stdin_flags)} may read standard input (-)")
    out: dict[str, str | None] = {}
    for flag, path in files.items():
        if path is None:
            out[flag] = None
            continue
        where = "standard input" if str(path) == "-" else str(path)
        try:
            data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"{flag}: file not found: {path}") from None
        except OSError as exc:
            raise InvalidValue(flag, f"cannot read {path}: {exc.strerror}") from None
        try:  # strictly: a secret is never carried (nor quoted in an error) half-decoded
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidValue(flag, f"{where} is not UTF-8 text") from None
        text = text.removesuffix("\n").removesuffix("\r")
        if not text:
            raise InvalidValue(flag, "the file is empty")
        out[flag] = text
    return out
