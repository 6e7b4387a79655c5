"""CSV cells a spreadsheet would run as a formula (a cell that starts with = + - @, a tab or a
carriage return) are written with a leading apostrophe, which spreadsheets show as text; read
back, one apostrophe is removed again, so that what extadmin writes it reads back unchanged
(a value that starts with apostrophes before such a character gets one more, and keeps them)."""

from __future__ import annotations

import re

_RUNS = re.compile(r"'*[=+\-@\t\r]")


def protect(value: str) -> str:
    return "'" + value if _RUNS.match(value) else value


def unprotect(value: str) -> str:
    return value[1:] if value.startswith("'") and _RUNS.match(value, 1) else value
