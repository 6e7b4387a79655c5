"""Bulk onboarding: assign many extensions from a CSV file, all or nothing; and export.

Every row is validated first, by the same `assign.check` as one assignment, against the account
and against the other rows; if any row fails nothing is written and every failing row is
reported with its line, column and rule (every broken rule of a row, not only the first). On
success the account is written once."""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from extadmin.domain import rules
from extadmin.domain.account import Account
from extadmin.domain.cells import unprotect
from extadmin.domain.fields import FORM, USER_FIELDS
from extadmin.domain.model import Credentials, Extension
from extadmin.errors import Conflict, ExtadminError, InvalidValue, Problems, RowErrors
from extadmin.services import assign, mail, profiles, results, update
from extadmin.services.directory import EmailIndex, claiming
from extadmin.services.results import Result
from extadmin.storage.store import AccountStore

# the form's fields (domain.fields) between the extension and its setup, and the credentials
COLUMNS = (
    "extension",
    "setup",
    *FORM,
    "password",
    "pin",
    "security_question",
    "security_answer",
    "temporary_password",
)
# bulk-assign's: a row may also name the profile it starts from (services.profiles); its own
# cells override the profile's values
ASSIGN_COLUMNS = (*COLUMNS, "profile")
REQUIRED_COLUMNS = ("extension", "first_name", "last_name", "email")
SECRET_COLUMNS = ("password", "pin", "security_answer")
Progress = Callable[[int], None]


def column_key(header: str) -> str:
    """Headers match case-insensitively, ignoring spaces, dashes and underscores."""
    return re.sub(r"[\s_\-]", "", header).casefold()


@dataclass
class Row:
    line: int  # of the file, where the row starts
    values: dict[str, str] = field(repr=False)  # by column name, the cells as read
    cells: list[str] = field(default_factory=list, repr=False)  # every cell as read, in order


class Rows(list[Row]):
    """parse_csv's rows to run, in the file's order, and what a result file of them needs:
    `every` row (those skipped included), the `header` as read, each header cell's column
    name (`names`: "" for a column without a header), the delimiter and whether the file
    began with a byte-order mark. `skipped`: the rows of a result file whose outcome is done
    (an earlier run did them)."""

    def __init__(
        self,
        every: list[Row],
        skipped: list[Row],
        header: list[str],
        names: list[str],
        delimiter: str = ",",
        bom: bool = False,
    ) -> None:
        done = {r.line for r in skipped}
        super().__init__(r for r in every if r.line not in done)
        self.every, self.skipped = every, skipped
        self.header, self.names, self.delimiter, self.bom = header, names, delimiter, bom


def parse_csv(
    data: bytes,
    source: str,
    required: tuple[str, ...] = REQUIRED_COLUMNS,
    columns: tuple[str, ...] = COLUMNS,
) -> Rows:
    """Decode (UTF-8, with or without a byte-order mark), detect `,` or `;` (or tab), map the
    header to the known `columns`; an unknown or missing column (of `required`) is an error
    naming it. The columns of a result file (results.COLUMNS: outcome, error_code, message,
    platform_id) are accepted too and left out of each row's values; a row whose outcome is
    `done` is skipped (in `Rows.skipped`, not among the rows to run)."""
    by_key = {column_key(c): c for c in (*columns, *results.COLUMNS)}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidValue("file", f"{source} is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise InvalidValue("file", f"{source} is empty: expected a header line and rows")
    first = text.lstrip("\r\n").splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for header in reader:
            if any(h.strip() for h in header):
                break
        else:  # text, but not one cell in it: `,` or `;;`
            raise InvalidValue("file", f"{source} has no header line: expected a header and rows")
        header_line = reader.line_num
        names: list[str] = []
        unknown = []
        for h in header:
            name = by_key.get(column_key(h))
            if name is None and h.strip():
                close = difflib.get_close_matches(column_key(h), list(by_key), n=1)
                unknown.append(f"{h!r}" + (f" (did you mean {by_key[close[0]]}?)" if close else ""))
            names.append(name or "")
        if unknown:
            raise InvalidValue(
                "header", f"unknown column(s) {', '.join(unknown)}; known: {', '.join(columns)}"
            )
        duplicated = sorted({n for n in names if n and names.count(n) > 1})
        if duplicated:
            raise InvalidValue("header", f"column {duplicated[0]} appears twice")
        missing = [c for c in required if c not in names]
        if missing:
            raise InvalidValue("header", f"missing required column(s): {', '.join(missing)}")
        own = [n if n not in results.COLUMNS else "" for n in names]
        outcome = names.index("outcome") if "outcome" in names else None
        rows: list[Row] = []
        skipped: list[Row] = []
        start = header_line + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) > len(names):
                    raise InvalidValue(
                        f"line {start}", f"{len(record)} cells for {len(names)} columns"
                    )
                row = Row(start, {n: v for n, v in zip(own, record, strict=False) if n}, record)
                rows.append(row)
                if outcome is not None and outcome < len(record) and _done(record[outcome]):
                    skipped.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidValue(f"line {reader.line_num}", f"malformed CSV: {exc}") from None
    if not rows:
        raise InvalidValue("file", f"{source} has a header but no rows")
    return Rows(rows, skipped, header, names, delimiter, data.startswith(b"\xef\xbb\xbf"))


def _done(cell: str) -> bool:
    return unprotect(cell).strip().casefold() == "done"


def write_results(path: Path, rows: Rows, by_line: Mapping[int, Result]) -> dict[str, int]:
    """The result file of a command that read `rows` (parse_csv): each row's cells as read and
    its result from `by_line` (by Row.line; every row to run must have one); a skipped row
    stays done (its platform id kept). Returns the count of each outcome (results.write)."""
    pid = rows.names.index("platform_id") if "platform_id" in rows.names else None
    skipped = {row.line for row in rows.skipped}

    def result(row: Row) -> Result:
        if row.line in by_line:
            return by_line[row.line]
        if row.line in skipped:
            kept = row.cells[pid] if pid is not None and pid < len(row.cells) else ""
            return Result("done", "", results.SKIPPED, unprotect(kept).strip())
        raise ValueError(f"no result for the row on line {row.line}")

    return results.write(
        path,
        rows.header,
        ((row.cells, result(row)) for row in rows.every),
        names=rows.names,
        delimiter=rows.delimiter,
        bom=rows.bom,
    )


def to_request(values: dict[str, str], default_setup: str | None) -> assign.Request:
    """A CSV row as a Request: empty cells take the same defaults as `assign` (its profile's
    values first, when it names one or its site has a default profile: services.profiles)."""
    fields = {n: unprotect(values.get(n, "")).strip() or None for n in ASSIGN_COLUMNS}
    temporary = fields.pop("temporary_password")
    fields["setup"] = fields["setup"] or default_setup
    return assign.Request(
        **fields,  # type: ignore[arg-type]
        temporary_password=None
        if temporary is None
        else rules.boolean(temporary, "temporary password"),
    )


@dataclass
class Checked:
    plans: list[tuple[int, assign.Assignment]]
    errors: list[tuple[int, str, ExtadminError]]


def validate(
    account: Account,
    rows: list[Row],
    emails: EmailIndex,
    default_setup: str | None,
    progress: Progress | None = None,
) -> Checked:
    """Every row against the field rules, the account and the rows before it. A row's profile
    gives the values its cells leave empty, before `--setup` gives the setup option."""
    plans: list[tuple[int, assign.Assignment]] = []
    errors: list[tuple[int, str, ExtadminError]] = []
    seen_ext: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    claimed: dict[str, int] = {}
    for row in rows:
        try:
            req = profiles.fill(account, to_request(row.values, None))
            if req.setup is None:
                req = replace(req, setup=default_setup)
            number = (req.extension or "").strip()
            if number in seen_ext:
                raise Conflict(
                    f"extension {number} is also on line {seen_ext[number]}", "extension"
                )
            seen_ext[number] = row.line
            key = _email_key(req.email)  # a bad address is the row's own check, below
            if key in seen_email and not req.allow_duplicate_email:
                raise Conflict(f"email {req.email} is also on line {seen_email[key]}", "email")
            if key:  # before the row's own checks, so a later duplicate is always reported
                seen_email.setdefault(key, row.line)
            assignment = assign.check(account, req, emails)
            for num in {assignment.number, assignment.extension}:
                if claimed.get(num, row.line) != row.line:
                    raise Conflict(
                        f"number {num} is also taken on line {claimed[num]}", "short extension"
                    )
                claimed[num] = row.line
            plans.append((row.line, assignment))
        except ExtadminError as exc:  # every broken rule of the row, each with its column
            for problem in exc.problems if isinstance(exc, Problems) else [exc]:
                field = problem.field
                column = assign.field_key(field) or ("extension" if not field else field)
                errors.append((row.line, column, problem))
        if progress:
            progress(1)
    return Checked(plans, errors)


def _email_key(email: str | None) -> str:
    try:
        return rules.email_key(rules.email(email)) if email else ""
    except ExtadminError:
        return ""


def hash_all(
    plans: list[assign.Assignment], progress: Progress | None = None
) -> list[Credentials | None]:
    """Hash the credentials rows, spread over the machine's cores (scrypt is the cost)."""
    todo = [p.secrets for p in plans if p.secrets is not None]
    hashed: list[Credentials] = []
    if len(todo) < 4:
        hashed = [assign.hash_secrets(s) for s in todo]
        if progress:
            progress(len(todo))
    else:
        from concurrent.futures import ProcessPoolExecutor

        # one row a task (three half-second hashes, so the hand-over costs nothing), and what
        # is not started yet is dropped on Ctrl-C: the command stops within a row per core
        pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1)
        try:
            for result in pool.map(assign.hash_secrets, todo):
                hashed.append(result)
                if progress:
                    progress(1)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    it = iter(hashed)
    return [next(it) if p.secrets is not None else None for p in plans]


def run(
    account: Account,
    rows: list[Row],
    emails: EmailIndex,
    default_setup: str | None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> list[assign.Outcome]:
    """Validate every row; raise RowErrors with all of them, or apply all (the caller saves)."""
    if default_setup:
        default_setup = rules.setup_option(default_setup)
    checked = validate(account, rows, emails, default_setup, progress)
    if checked.errors:
        raise RowErrors(checked.errors)
    if dry_run:
        return []
    plans = [p for _, p in checked.plans]
    credentials = hash_all(plans, progress)
    return [assign.apply(account, p, c) for p, c in zip(plans, credentials, strict=True)]


def export_rows(account: Account, exts: list[Extension]) -> list[dict[str, Any]]:
    """The users of these extensions in bulk-assign's columns, never a secret (export). A
    user who was given credentials is exported with setup `later` (secrets cannot be
    exported): re-importing sets the user up, and an administrator activates them."""
    user_columns = [c for c in COLUMNS if c in USER_FIELDS]
    rows = []
    for ext in exts:
        user = ext.get("user")
        if user:
            row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
            row.update({c: user.get(c, "") for c in user_columns})
            row.update(
                extension=ext["number"],
                site=ext["site"],
                setup="invite" if user.get("setup") == "invite" else "later",
            )
            rows.append(row)
    return rows


def update_rows(account: Account, rows: list[Row], emails: EmailIndex) -> list[Any]:
    """bulk-update: every row (the extension its key; an empty cell leaves the field as it
    is) checked by `users update`'s rules, against the account and the rows before it; raise
    RowErrors with every error of every row, or return the changes (services.update.Update)."""
    changes: list[Any] = []
    errors: list[tuple[int, str, ExtadminError]] = []
    seen_ext: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    for row in rows:
        try:
            cells = {c: unprotect(row.values.get(c, "")).strip() for c in COLUMNS}
            secret = next((c for c in SECRET_COLUMNS if cells[c]), None)
            if secret:
                raise InvalidValue(
                    secret.replace("_", " "),
                    "bulk-update changes no credentials (`extadmin activate` sets them)",
                )
            number = rules.extension_ref(cells["extension"])
            if number in seen_ext:
                raise Conflict(
                    f"extension {number} is also on line {seen_ext[number]}", "extension"
                )
            seen_ext[number] = row.line
            given = {c: cells[c] or None for c in update.CHANGEABLE}
            change = update.check(account, number, given, emails)
            if "email" in change.changes:
                key = rules.email_key(change.changes["email"][1])
                if key in seen_email:
                    raise Conflict(
                        f"email {change.changes['email'][1]} is also on line {seen_email[key]}",
                        "email",
                    )
                seen_email[key] = row.line
            changes.append(change)
        except ExtadminError as exc:  # every broken rule of the row, each with its column
            for problem in exc.problems if isinstance(exc, Problems) else [exc]:
                column = assign.field_key(problem.field) or problem.field or "extension"
                errors.append((row.line, column, problem))
    if errors:
        raise RowErrors(errors)
    return changes


@dataclass
class BulkDone:
    account: Account
    results: list[Any]  # assign.Outcome (bulk-assign) or update.Update (bulk-update), by row
    queued: list[Any] = field(default_factory=list)  # welcome emails, once saved
    warnings: list[str] = field(default_factory=list)
    by_line: dict[int, Result] = field(default_factory=dict)  # each row's, for --results


class Refused(RowErrors):
    """A bulk command's RowErrors, with each row's result by line (`by_line`): the rows that
    broke a rule failed (or conflict), every other row not applied (nothing was written)."""

    def __init__(
        self, errors: list[tuple[int, str, ExtadminError]], by_line: dict[int, Result]
    ) -> None:
        super().__init__(errors)
        self.by_line = by_line


def refused(account: Account, rows: list[Row], exc: RowErrors) -> Refused:
    """RowErrors as Refused: every row's result, with its extension's platform id."""
    failed = results.refused(exc.errors)
    by_line = {}
    for row in rows:
        pid = platform_id(account, row.values.get("extension", ""))
        by_line[row.line] = replace(
            failed.get(row.line) or Result("not applied", "", results.NOT_APPLIED),
            platform_id=pid,
        )
    return Refused(exc.errors, by_line)


def platform_id(account: Account, number: str) -> str:
    """The platform id of the extension of that number (or id), on a linked account file."""
    if not account.linked:
        return ""
    ext = account.find(unprotect(number).strip())
    return str(ext.get("id", "")) if ext is not None else ""


def assign_all(
    store: AccountStore,
    rows: list[Row],
    default_setup: str | None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> BulkDone:
    """`bulk-assign`: every row checked, then all written in one transaction with the
    addresses of every registered account claimed, and the welcome emails queued with the
    save (run); Refused (RowErrors) with every error of every row, and nothing written. Each
    row's result (`by_line`): done, or with `dry_run` not applied."""
    with claiming(store, "bulk-assign") as (account, emails):
        try:
            outcomes = run(account, rows, emails, default_setup, progress, dry_run)
        except RowErrors as exc:
            raise refused(account, rows, exc) from None
        queueing = mail.queue_on_save(store, account, outcomes)
    if dry_run:
        by_line = {
            r.line: Result(
                "not applied",
                "",
                results.DRY_RUN,
                platform_id(account, r.values.get("extension", "")),
            )
            for r in rows
        }
    else:
        by_line = {
            r.line: Result("done", "", _assigned(account, r, o), str(o.extension.get("id", "")))
            for r, o in zip(rows, outcomes, strict=True)
        }
    return BulkDone(
        account, outcomes, queueing.queued, emails.warnings + queueing.warnings, by_line
    )


def _assigned(account: Account, row: Row, outcome: assign.Outcome) -> str:
    """What a done row of bulk-assign says: the number (if the row changed it) and status."""
    ext = outcome.extension
    number = ext["number"]
    said = (
        "assigned"
        if number == unprotect(row.values.get("extension", "")).strip()
        else f"assigned as {number}"
    )
    status = ext["status"]
    if account.linked:
        return f"{said} ({status}) locally: `extadmin platform apply` sends it"
    if outcome.token is not None:
        return f"{said} ({status}); welcome email queued"
    return f"{said} ({status})"


def update_all(store: AccountStore, rows: list[Row], dry_run: bool = False) -> BulkDone:
    """`bulk-update`: every row checked (update_rows), then all written in one transaction;
    Refused (RowErrors) with every error of every row, and nothing written. Each row's result
    (`by_line`): done, or with `dry_run` not applied, saying the fields that change."""
    with claiming(store, "bulk-update") as (account, emails):
        try:
            changes = update_rows(account, rows, emails)
        except RowErrors as exc:
            raise refused(account, rows, exc) from None
        if not dry_run:
            for change in changes:
                update.apply(account, change)
    by_line = {}
    for row, change in zip(rows, changes, strict=True):
        what = _changed(change)
        pid = platform_id(account, change.number)
        if dry_run:
            by_line[row.line] = Result(
                "not applied",
                "",
                f"not applied: dry run, would change {what}; nothing was written"
                if change.changes
                else "not applied: dry run, no change; nothing was written",
                pid,
            )
        else:
            by_line[row.line] = Result(
                "done", "", f"changed {what}" if change.changes else "no change", pid
            )
    return BulkDone(account, changes, warnings=emails.warnings, by_line=by_line)


def _changed(change: update.Update) -> str:
    fields = ", ".join(change.changes)
    return fields + (f" (now {change.number})" if change.number != change.extension else "")
