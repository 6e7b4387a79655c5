"""The one exception hierarchy. Each class carries its exit code (README, "Exit codes")."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

T = TypeVar("T")


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    INVALID = 3
    NOT_FOUND = 4
    CONFLICT = 5
    ACCOUNT_FILE = 6
    CANCELLED = 130
    TERMINATED = 143


class ExtadminError(Exception):
    """Base of every error a user can cause; the CLI turns it into one line and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field at fault, when there is one


class UsageError(ExtadminError):
    exit_code = ExitCode.USAGE


class InvalidValue(ExtadminError):
    """A field breaks its rule. The message names the field and the rule."""

    exit_code = ExitCode.INVALID

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}", field)
        self.rule = rule


class NotFound(ExtadminError):
    exit_code = ExitCode.NOT_FOUND


class Conflict(ExtadminError):
    exit_code = ExitCode.CONFLICT


class AccountFileError(ExtadminError):
    exit_code = ExitCode.ACCOUNT_FILE


class PlatformError(ExtadminError):
    """The platform could not be reached, or refused a request (after the retries that were
    safe). The message carries the platform's errorCode when it gave one; `code` and `status`
    keep them for per-operation reports."""

    exit_code = ExitCode.FAILURE

    def __init__(self, message: str, *, status: int = 0, code: str = "", field: str = "") -> None:
        super().__init__(message, field)
        self.status = status
        self.code = code


class PlatformAuthError(PlatformError):
    """The linked platform account cannot be read with these credentials (a refused client
    secret or JWT, or an app without the permission): exit 6, like an unreadable account."""

    exit_code = ExitCode.ACCOUNT_FILE


class PlatformNotFound(PlatformError):
    exit_code = ExitCode.NOT_FOUND


class Cancelled(ExtadminError):
    exit_code = ExitCode.CANCELLED

    def __init__(self, message: str = "cancelled: nothing was written") -> None:
        super().__init__(message)


class Problems(ExtadminError):
    """Several broken rules of one request (assign's flags, one CSV row), reported at once. It
    reads as its first problem (message, field); `lines()` lists the others. Invalid values
    take precedence for the exit code, as in RowErrors."""

    def __init__(self, problems: list[ExtadminError]) -> None:
        first = problems[0]
        super().__init__(first.message, first.field)
        self.problems = problems
        invalid = any(p.exit_code == ExitCode.INVALID for p in problems)
        self.exit_code = ExitCode.INVALID if invalid else first.exit_code

    def lines(self) -> list[str]:
        return [p.message for p in self.problems[1:]]


class Collector:
    """Runs checks, keeping each broken rule instead of stopping at the first: `done()` raises
    the one problem, or Problems for several."""

    def __init__(self) -> None:
        self.problems: list[ExtadminError] = []

    def __call__(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except ExtadminError as exc:
            self.problems.extend(exc.problems if isinstance(exc, Problems) else [exc])
            return None

    def done(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise Problems(self.problems)


class RowErrors(ExtadminError):
    """Many errors at once (bulk import): every failing row, each with line, column and rule."""

    def __init__(self, errors: list[tuple[int, str, ExtadminError]], unit: str = "line") -> None:
        self.errors = errors
        self.unit = unit  # what the numbers count: lines of a file, or arguments
        conflict = any(isinstance(e, Conflict) for _, _, e in errors)
        invalid = any(not isinstance(e, Conflict) for _, _, e in errors)
        # Invalid values take precedence: a file with both kinds needs fixing first.
        self.exit_code = ExitCode.INVALID if invalid or not conflict else ExitCode.CONFLICT
        rows = len({line for line, _, _ in errors})
        noun = "row" if unit == "line" else unit
        super().__init__(
            f"{_count(len(errors), 'error')} in {_count(rows, noun)}; nothing was written"
        )

    def lines(self) -> list[str]:
        return [f"{self.unit} {n}, column {col}: {err.message}" for n, col, err in self.errors]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
