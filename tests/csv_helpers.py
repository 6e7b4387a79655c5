"""Shared by the bulk-assign tests: write CSV files as a user would, and read back what extadmin
kept beside the account file (the account, its audit log, its outbox)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from tests.helpers import audit_path, load, outbox

# The columns of SPEC section 4, in the order the SPEC lists them.
SPEC_COLUMNS = (
    "extension",
    "setup",
    "first_name",
    "last_name",
    "email",
    "short_extension",
    "contact_phone",
    "mobile_phone",
    "job_title",
    "department",
    "site",
    "role",
    "language",
    "greeting_language",
    "regional_format",
    "recording",
    "password",
    "pin",
    "security_question",
    "security_answer",
    "temporary_password",
)
SECRET_COLUMNS = ("password", "pin", "security_answer")
BASIC = ("extension", "setup", "first_name", "last_name", "email")


def csv_text(
    rows: Iterable[Mapping[str, str]],
    columns: Sequence[str] = BASIC,
    *,
    delimiter: str = ",",
) -> str:
    """A CSV file's text: a header of `columns`, then one line per row (missing cells empty)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def write_csv(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    """Write a CSV file with the given permissions (600 by default: files with secrets)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    path.chmod(mode)
    return path


def extensions(account: Path) -> dict[str, dict[str, Any]]:
    """The stored extensions by number (each number must be stored once)."""
    stored = load(account)["extensions"]
    by_number = {e["number"]: e for e in stored}
    assert len(by_number) == len(stored), "an extension number is stored twice"
    return by_number


def queued(account: Path) -> list[EmailMessage]:
    """Every queued welcome email, parsed."""
    messages = []
    for path in sorted(outbox(account).rglob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(msg, EmailMessage)
        messages.append(msg)
    return messages


def recipients(account: Path) -> list[str]:
    """The address of each queued welcome email, sorted (one per message)."""
    out = []
    for msg in queued(account):
        (address,) = msg["To"].addresses
        out.append(address.addr_spec)
    return sorted(out)


def written_text(account: Path) -> str:
    """Everything extadmin keeps beside the account: account file, audit log, outbox."""
    paths = [account, audit_path(account), *sorted(outbox(account).rglob("*"))]
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in paths if p.is_file())


@dataclass(frozen=True)
class Snapshot:
    """What a failed or dry run must leave exactly as it was."""

    account: bytes
    audit: bytes
    outbox: bool

    @classmethod
    def of(cls, account: Path) -> Snapshot:
        log = audit_path(account)
        return cls(
            account.read_bytes(),
            log.read_bytes() if log.exists() else b"",
            outbox(account).exists(),
        )


def error_lines(stderr: str) -> list[str]:
    """The per-row lines of a bulk-assign error report ("line N, column C: rule")."""
    return [line.strip() for line in stderr.splitlines() if line.startswith("  line ")]


def secrets_csv(folder: Path, *rows: tuple[str, str, str, str]) -> Path:
    """`platform apply --secrets-file`'s file, secrets.csv in `folder` (mode 600): a row an
    extension (extension, password, pin, security answer)."""
    path = folder / "secrets.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["extension", "password", "pin", "security_answer"])
        writer.writerows(rows)
    path.chmod(0o600)
    return path


def secret_rows(*numbers: str) -> list[tuple[str, str, str, str]]:
    """secrets_csv's rows for these extensions, each with the conftest `secret_args` secrets."""
    return [(number, "Zebra7!Quix", "5820417396", "fluffy the cat") for number in numbers]
