"""Options shared by many commands, defined once (sqlite-utils' output_options)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from extadmin.cli import complete


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ItemFormat(StrEnum):
    table = "table"
    json = "json"


ListFormatOpt = Annotated[
    ListFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="Output format: table, json or csv."),
]
ItemFormatOpt = Annotated[
    ItemFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="Output format: table or json."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
NoInputOpt = Annotated[
    bool, typer.Option("--no-input", help="Never prompt; a missing value is an error (exit 2).")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Validate and show what would change; write nothing.")
]
SiteOpt = Annotated[
    str | None,
    typer.Option("--site", metavar="NAME", help="Site name.", autocompletion=complete.sites),
]


PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        metavar="PATH",
        help="File holding the password (or - for standard input).",
    ),
]
PinFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--pin-file",
        metavar="PATH",
        help="File holding the voicemail PIN (or - for standard input).",
    ),
]
QuestionOpt = Annotated[
    str | None,
    typer.Option(
        "--security-question",
        metavar="N|TEXT",
        help="Number in `security-question list`, or the question's text.",
    ),
]
AnswerFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--security-answer-file",
        metavar="PATH",
        help="File holding the security answer (or - for standard input).",
    ),
]
TemporaryPasswordOpt = Annotated[
    bool | None,
    typer.Option(
        "--temporary-password/--no-temporary-password",
        help="The user must change the password at first login (default: yes when "
        "an administrator sets it, no when the user activates with a token).",
    ),
]


def examples(*lines: str) -> str:
    """A command's Examples section (its help epilog), kept as written: one command a line,
    `#` comments allowed."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
