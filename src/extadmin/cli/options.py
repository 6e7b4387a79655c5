"""Options shared by many commands, defined once (sqlite-utils' output_options)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from extadmin.cli import complete
from extadmin.domain.catalog import RECORDING_TITLES
from extadmin.domain.fields import BY_NAME, FORM, USER
from extadmin.errors import InvalidValue, NotFound, UsageError

F = TypeVar("F", bound=Callable[..., Any])


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
        autocompletion=complete.questions,
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


def form_options(
    anchor: str, *, step: bool = False, only: tuple[str, ...] | None = None
) -> Callable[[F], F]:
    """A command with one option per field of the form (domain.fields), taken by its
    `**form`: inserted after its parameter `anchor`, in the form's order, the command's own
    options for the extension's fields (--short-extension, --site) put in their places.
    `only`: these fields alone; `step`: the seed's step in each help."""

    def wrap(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = {p.name: p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD}
        form = []
        for name in FORM:
            if name in own:
                form.append(own.pop(name))
            elif name in BY_NAME and (only is None or name in only):
                f = BY_NAME[name]
                text = f"{f.help[:-1]} (step {f.step})." if step and f.required else f.help
                option = typer.Option(
                    f.flag, metavar=f.metavar, help=text, autocompletion=COMPLETE.get(f.kind)
                )
                form.append(
                    inspect.Parameter(
                        name,
                        inspect.Parameter.POSITIONAL_OR_KEYWORD,
                        default=None,
                        annotation=Annotated[str | None, option],
                    )
                )
        rest = list(own.values())
        at = [p.name for p in rest].index(anchor) + 1
        command.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=rest[:at] + form + rest[at:]
        )
        return command

    return wrap


# the values a field's flag completes, by its kind (the other kinds are free text)
COMPLETE = {
    "role": complete.roles,
    "recording": complete.choices(RECORDING_TITLES),
    "locale": complete.locales,
}


# the flag that supplies each value a command may require (for "missing value" messages)
FLAGS = {
    "extension": "NUMBER",
    "setup": "--setup",
    **{f.name: f.flag for f in USER if f.required},
    "password": "--password-file",
    "pin": "--pin-file",
    "security_question": "--security-question",
    "security_answer": "--security-answer-file",
    "token": "--token-file",
}


def require(values: dict[str, object]) -> None:
    """Without prompting, a missing required value is a usage error naming its flag."""
    missing = [FLAGS[name] for name, value in values.items() if not value]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (required without prompting)")


def read_input(file: str) -> tuple[bytes, str]:
    """A CSV's bytes (FILE, or - for standard input) and its name in messages."""

    if file == "-":
        return sys.stdin.buffer.read(), "standard input"
    try:
        return Path(file).read_bytes(), file
    except FileNotFoundError:
        raise NotFound(f"CSV file not found: {file}") from None
    except OSError as exc:
        raise InvalidValue("FILE", f"cannot read {file}: {exc.strerror}") from None
