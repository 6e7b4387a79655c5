"""The account store. Reads need no lock (saves are atomic renames); every change is a
read-modify-write under an exclusive lock, saved atomically, then appended to the audit log."""

from __future__ import annotations

import getpass
import math
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extadmin.domain.account import Account
from extadmin.domain.model import SCHEMA_VERSION, Document, Extension
from extadmin.errors import AccountFileError, Conflict, NotFound, UsageError
from extadmin.storage import checked, codec, files, schema

DEFAULT_LOCK_TIMEOUT = 10.0


def lock_timeout_from_env() -> float:
    """$EXTADMIN_LOCK_TIMEOUT: seconds to wait for a lock another command holds (0 or more)."""
    value = os.environ.get("EXTADMIN_LOCK_TIMEOUT")
    if value is None:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise UsageError(
            f"EXTADMIN_LOCK_TIMEOUT: must be a number of seconds, 0 or more (got {shown!r})"
        )
    return seconds


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AccountStore:
    def __init__(self, path: Path | str, lock_timeout: float | None = None) -> None:
        # resolved: one file has one identity, and a save through a symlink replaces its target
        self.path = Path(path).expanduser().resolve()
        codec.file_format(self.path)
        self.lock_timeout = lock_timeout_from_env() if lock_timeout is None else lock_timeout
        self._after_save: list[Callable[[], object]] | None = None  # in a transaction

    # files beside the account file
    @property
    def lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    @property
    def audit_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.audit.jsonl")

    @property
    def outbox(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.outbox")

    # --- reading ------------------------------------------------------------------------------
    def read(self, keep: Callable[[Extension], bool] | None = None) -> Account:
        """The account, checked (unless this content was checked before: `checked`). With
        `keep`, a read-only view holding only the extensions it keeps; a JSON file is then
        parsed one extension at a time and each one dropped as soon as it is checked, so that
        listing a few extensions of a large account takes a fraction of the whole's memory.
        Content is recorded as checked only after a check of the whole document."""
        data = self._read_bytes()
        content = checked.digest(data)
        trusted = checked.known(self.path, content)
        text = codec.to_text(self.path, data)
        del data  # one copy of the file in memory while it is parsed, not two
        doc = None
        if keep is not None and codec.file_format(self.path) == "json":
            doc = self._read_items(text, keep, trusted)
        if doc is None:
            doc = codec.parse(self.path, text)
            if not trusted:
                schema.check_document(self.path, doc)
                # recorded after the whole check only, never the one extension at a time
                checked.remember(self.path, content)
            if keep is not None:
                doc["extensions"] = [e for e in doc.get("extensions", []) if keep(e)]
        doc.setdefault("extensions", [])
        if doc["schema_version"] < SCHEMA_VERSION:
            schema.upgrade(doc)
        account = Account(doc)
        account.content_digest = content
        return account

    def _read_items(
        self, text: str, keep: Callable[[Extension], bool], trusted: bool
    ) -> Document | None:
        items = None if trusted else schema.ExtensionChecks(self.path)

        def each(i: int, ext: Extension) -> bool:
            if items is not None:
                items.check(i, ext)
            return keep(ext)

        try:
            doc = codec.parse_json_items(text, "extensions", each)
            if doc is None:
                return None
            if items is not None:
                schema.check_document(self.path, doc, items)
        except AccountFileError:
            return None  # parsed again whole: the first error in the file's order is reported
        return doc  # type: ignore[return-value]

    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                f"account file not found: {self.path} (create one with `extadmin init`)"
            ) from None
        except IsADirectoryError:
            raise AccountFileError(f"{self.path}: is a folder, not an account file") from None
        except PermissionError:
            raise AccountFileError(f"{self.path}: permission denied") from None

    # --- writing ------------------------------------------------------------------------------
    def create(self, doc: Document, action: str = "init", **details: str) -> Account:
        """Write a new account file; refuses to overwrite an existing one."""
        schema.check_document(self.path, doc)
        files.refuse_link(self.audit_path)
        if not self.path.parent.is_dir():
            raise NotFound(f"folder not found: {self.path.parent}")
        with self._lock():
            if self.path.exists():
                raise Conflict(f"account file already exists: {self.path}")
            account = Account(doc)
            self.save(account)
            account.record(action, name=doc["account"]["name"], **details)
            self._append_audit(account, action)
        return account

    @contextmanager
    def transaction(self, command: str) -> Iterator[Account]:
        """Lock, load, let the caller change the account, then save atomically if anything was
        recorded. An exception inside the block writes nothing."""
        jobs: list[Callable[[], object]] = []
        self._after_save = jobs
        for own in (self.audit_path, self.outbox, self.outbox / "sent"):
            files.refuse_link(own)  # before anything is changed, not half-way
        try:
            with self._lock():
                account = self.read()
                yield account
                if account.audit:
                    with _signals_deferred():  # the change, its audit entries and files, or none
                        self.save(account)
                        self._append_audit(account, command)
                        for job in jobs:
                            job()
        finally:
            self._after_save = None

    def after_save(self, job: Callable[[], object]) -> None:
        """Inside a transaction: run `job` right after its save and audit, Ctrl-C and SIGTERM
        still held, so that the files that go with a change (the welcome emails of the users
        it invites, an invitation it cancels) are written with it. Nothing runs if nothing is
        saved."""
        if self._after_save is None:
            raise RuntimeError("after_save outside a transaction")
        self._after_save.append(job)

    def save(self, account: Account) -> None:
        """Write the account; content equal to what was read is not written again (a pull that
        finds nothing new leaves the file as it was, to the byte and the time stamp)."""
        parts = codec.encode_parts(self.path, account.doc)
        content = checked.digest(*parts)
        if content == account.content_digest:
            return
        files.write_atomic(self.path, *parts)
        account.content_digest = content
        checked.remember(self.path, content)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        busy = (
            f"{self.path}: locked by another extadmin command for more than "
            f"{self.lock_timeout:g} s (set EXTADMIN_LOCK_TIMEOUT to wait longer)"
        )
        with files.locked(self.lock_path, self.lock_timeout, busy):
            yield

    def last_audit(self, action: str, block: int = 1 << 16) -> dict[str, Any] | None:
        """The newest audit entry of an action, read from the end of the log (which may hold
        millions of lines); None if there is none."""
        import json

        needle = f'"action": "{action}"'.encode()
        try:
            with open(self.audit_path, "rb") as log:
                end = log.seek(0, os.SEEK_END)
                tail = b""
                while end > 0:
                    start = max(0, end - block)
                    log.seek(start)
                    lines = (log.read(end - start) + tail).split(b"\n")
                    tail = lines.pop(0) if start else b""  # a line cut by the block's start
                    end = start
                    for line in reversed(lines):
                        if needle in line:
                            entry = json.loads(line)
                            return entry if isinstance(entry, dict) else None
        except (OSError, ValueError):
            return None
        return None

    def _append_audit(self, account: Account, command: str) -> None:
        time, user = now_iso(), _os_user()
        entries = [{"time": time, "user": user, "command": command, **e} for e in account.audit]
        lines = codec.json_list(entries, "\n", ensure_ascii=True)[1:-1] + "\n"
        files.append_private(self.audit_path, lines.encode("utf-8"))
        account.audit.clear()


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends: Ctrl-C between the rename of a saved
    account and the append of its audit entries would leave a change out of the log. A signal
    that arrives meanwhile is noted, and raised again (so acted on by the usual handler) as
    soon as the block ends. SIGKILL cannot be held: that gap is one of lost audit lines, never
    of a torn account file. (Python handlers, not a thread's signal mask: the kernel may hand
    a process's signal to any thread.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    held = {
        sig: signal.signal(sig, lambda signum, _: pending.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
        for signum in pending:
            signal.raise_signal(signum)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
