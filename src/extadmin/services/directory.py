"""Who uses an email address, across every account known on this machine (the seed's "Verify
Email Uniqueness"). Comparison is on the normalised address, case-insensitively."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    """Who holds each email key, over the accounts added. A few look-ups (one assignment) scan
    the users, about 30 ms at 100,000 extensions; after that (a bulk import checks thousands of
    rows) a dict of every key is built once, which costs about six scans. Callers look up
    before they change an account (a bulk import checks every row first)."""

    SCANS = 3

    sources: list[tuple[Account, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _lookups: int = 0
    _by_key: dict[str, list[tuple[int, str]]] | None = None

    def add_account(self, account: Account, path: Path) -> None:
        self.sources.append((account, str(path)))
        self._by_key = None

    def matches(self, email: str) -> list[Match]:
        key = rules.email_key(email)
        self._lookups += 1
        if self._by_key is None and self._lookups > self.SCANS:
            self._by_key = {}
            for i, (account, _) in enumerate(self.sources):
                for number, email in account.user_emails():
                    self._by_key.setdefault(rules.email_key(email), []).append((i, number))
        if self._by_key is not None:
            hits = self._by_key.get(key, [])
        else:
            hits = [
                (i, number)
                for i, (account, _) in enumerate(self.sources)
                for number, email in account.user_emails()
                if rules.email_key(email) == key
            ]
        return [Match(self.sources[i][0].name, self.sources[i][1], n) for i, n in hits]


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
            index.add_account(AccountStore(path).read(keep=lambda e: "user" in e), path)
        except ExtadminError as exc:
            index.warnings.append(f"warning: registered account skipped: {exc.message}")
    return index


@contextmanager
def claiming(store: AccountStore, command: str) -> Iterator[tuple[Account, EmailIndex]]:
    """A transaction on an account that gives users addresses (assign, bulk-assign,
    users update, bulk-update): every registered account's addresses claimed with it, so
    that no two accounts take one address at once, and their index (its `warnings` to say)."""
    with (
        registry.claiming_emails(store.lock_timeout),
        store.transaction(command, lazy=True) as account,
    ):
        yield account, build_index(account, store.path)
