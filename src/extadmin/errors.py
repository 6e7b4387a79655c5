"""The one exception hierarchy. Each class carries its exit code (README, "Exit codes")."""

from __future__ import annotations

from enum import IntEnum


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


class RowErrors(ExtadminError):
    """Many errors at once (bulk import): every failing row, each with line, column and rule."""

    def __init__(self, errors: list[tuple[int, str, ExtadminError]]) -> None:
        self.errors = errors
        conflict = any(isinstance(e, Conflict) for _, _, e in errors)
        invalid = any(not isinstance(e, Conflict) for _, _, e in errors)
        # Invalid values take precedence: a file with both kinds needs fixing first.
        self.exit_code = ExitCode.INVALID if invalid or not conflict else ExitCode.CONFLICT
        super().__init__(f"{len(errors)} row error(s); nothing was written")

    def lines(self) -> list[str]:
        return [f"line {line}, column {col}: {err.message}" for line, col, err in self.errors]
