"""Who uses an email address, across every account known on this machine (the seed's "Verify
Email Uniqueness"). Comparison is on the normalised address, case-insensitively."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from extadmin.domain import rules
from extadmin.domain.account import Account
from extadmin.errors import ExtadminError
from extadmin.storage import registry
from extadmin.storage.store import AccountStore


@dataclass(frozen=True)
class Match:
    account: str
    path: str
    extension: str


@dataclass
class EmailIndex:
    """Email key -> the users holding it, built once (bulk import checks thousands of rows)."""

    by_key: dict[str, list[Match]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add_account(self, account: Account, path: Path) -> None:
        for ext in account.extensions:
            user = ext.get("user")
            if user:
                match = Match(account.name, str(path), ext["number"])
                self.by_key.setdefault(rules.email_key(user["email"]), []).append(match)

    def matches(self, email: str) -> list[Match]:
        return self.by_key.get(rules.email_key(email), [])


def build_index(current: Account | None = None, current_path: Path | None = None) -> EmailIndex:
    """Index the current account (as loaded, inside its lock) and every other registered one.
    A registered file that vanished or cannot be read is a warning, never a crash."""
    index = EmailIndex()
    current_path = current_path.resolve() if current_path else None
    if current is not None and current_path is not None:
        index.add_account(current, current_path)
    for path in registry.registered():
        if path == current_path:
            continue
        try:
            index.add_account(AccountStore(path).read(), path)
        except ExtadminError as exc:
            index.warnings.append(f"warning: registered account skipped: {exc.message}")
    return index
