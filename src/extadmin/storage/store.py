"""The account store. Reads need no lock (saves are atomic renames); every change is a
read-modify-write under an exclusive lock, saved atomically, then appended to the audit log;
the outbox changes with it (storage.outbox)."""

from __future__ import annotations

import getpass
import json
import math
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from io import BufferedReader
from pathlib import Path
from typing import Any

from extadmin.domain.account import Account
from extadmin.domain.lazy import Extensions
from extadmin.domain.model import SCHEMA_VERSION, Document, Extension
from extadmin.errors import AccountFileError, Conflict, ExtadminError, NotFound, UsageError
from extadmin.storage import checked, codec, decoder, files, outbox, schema
from extadmin.storage.outbox import Batch

DEFAULT_LOCK_TIMEOUT = 10.0


def lock_timeout_from_env() -> float:
    """$EXTADMIN_LOCK_TIMEOUT: seconds to wait for a lock another command holds (0 or more)."""
    return seconds_from_env("EXTADMIN_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)


def seconds_from_env(name: str, default: float) -> float:
    """A number of seconds, 0 or more, from the environment variable `name` (else `default`)."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise UsageError(f"{name}: must be a number of seconds, 0 or more (got {shown!r})")
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
        self._batch: outbox.Batch | None = None  # what the transaction does to the outbox
        self.last_read: Account | None = None

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
    def read(
        self,
        keep: Callable[[Extension], bool] | None = None,
        hint: str | None = None,
        where: tuple[str, str] | None = None,
        *,
        lazy: bool = False,
        each: decoder.Each | None = None,
        change: decoder.Change | None = None,
    ) -> Account:
        """The account, checked (unless this content was checked before: `checked`): a JSON
        file by storage/decoder.py, as it is decoded; TOML by schema.check_document. With
        `keep`, a read-only view holding only the extensions it keeps; a JSON file is then
        decoded a run of extensions at a time and each one dropped as soon as it is checked, so
        that listing a few extensions of a large account takes a fraction of the whole's
        memory. `hint` (with `keep`): text each extension it keeps holds as JSON writes it (its
        number, quoted): in known content, the runs without it are not decoded; if none is kept
        so, they are. `where` (key, value), instead of `keep`: only extensions whose `key` is
        `value`. `lazy`: a JSON file's extensions held as its text, each run decoded when
        touched (domain/lazy.py), for a command that touches a few of them; saved, the runs not
        touched are written as they were. `each` (read_each); `change` (transaction's). Content
        is recorded as checked once the whole document has passed the check.
        Outside a transaction, first settles the outbox if a command was killed mid-change."""
        if self._after_save is None:
            self.settle_outbox()
        data = self._read_bytes()
        content = checked.digest(data)
        trusted = checked.known(self.path, content)
        if codec.file_format(self.path) == "json":
            doc = decoder.load(
                self.path,
                data,
                keep,
                hint,
                where=where,
                trusted=trusted,
                lazy=lazy,
                each=each,
                change=change,
            )
        else:
            text = codec.to_text(self.path, data)
            del data  # one copy of the file in memory while it is parsed, not two
            doc = codec.parse(self.path, text)
            if not trusted:
                schema.check_document(self.path, doc)
            decoder.as_asked(doc, decoder.Where(*where) if where else keep, each, change)
        if not trusted:  # checked whole, each extension as it was decoded or all at once
            checked.remember(self.path, content)
        doc.setdefault("extensions", [])
        if doc["schema_version"] < SCHEMA_VERSION:
            schema.upgrade(doc)
        account = Account(doc)
        account.content_digest = content
        self.last_read = account  # kept while the store is (cli keeps it to the end)
        return account

    def read_each(
        self, each: decoder.Each, where: tuple[str, str] | None = None
    ) -> tuple[Account, list[Any]]:
        """The account without its extensions, and what `each` made of them: given the
        document (its other tables) and a list of extensions (those `where` keeps) at a time,
        a run of a JSON file as it is decoded and checked (the runs dropped: a listing of
        100,000 holds what it prints, not 100,000 tables), a TOML file's whole list at once.
        Nothing is returned before the whole document has passed the check."""
        account = self.read(where=where, each=each)
        made = account.doc["extensions"]
        account.doc["extensions"] = []
        return account, made

    def _read_bytes(self) -> bytes:
        with self._open() as handle:
            return handle.read()

    def _digest_on_disk(self) -> str:
        with self._open() as handle:
            return checked.digest_of(handle)

    def _open(self) -> BufferedReader:
        try:
            return open(self.path, "rb")
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
        """Write a new account file; refuses to overwrite an existing one. `doc` may be one
        read from another file (a conversion): its extensions are then all decoded."""
        if isinstance(doc.get("extensions"), Extensions):
            doc = {**doc, "extensions": list(doc["extensions"])}
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
            self._append_audit(account, self._audit_lines(account, action))
        return account

    @contextmanager
    def transaction(
        self, command: str, *, lazy: bool = False, change: decoder.Change | None = None
    ) -> Iterator[Account]:
        """Lock, load (`lazy`: as `read`'s, for a change to a few extensions), let the caller
        change the account, then save atomically if anything was recorded. An exception inside
        the block writes nothing. `change`: a change to every extension it is given, made as
        the file is read, a run at a time (decoder.load's; a large JSON file's runs then held
        as their text, changed), before the block (which records it)."""
        with self._changing() as jobs:
            account = self.read(lazy=lazy or change is not None, change=change)
            self.settle_outbox(account.content_digest)
            yield account
            if account.audit:
                with _signals_deferred():  # the change, its audit entries and files, or none
                    self.save(account, self._batch, command)
                    for job in jobs:
                        job()

    @contextmanager
    def replacing(self, command: str) -> Iterator[Replacement]:
        """Lock, for a caller that writes the whole document anew (Replacement.write: a pull),
        its extensions given a run at a time and never held whole; `digest` is the content's
        now, hashed from the disk (the caller holds what it has read meanwhile: the file is not
        read into memory). Saved as `save` saves when the block ends, if anything was recorded.
        An exception inside the block writes nothing."""
        with self._changing() as jobs, files.Staged(self.path) as new:
            replacement = Replacement(self.path, self._digest_on_disk(), new)
            self.settle_outbox(replacement.digest)
            yield replacement
            account = replacement.account
            if account is not None and account.audit:
                with _signals_deferred():  # the new file and its audit entries, or neither
                    self._finish(account, new, replacement.content, self._batch, command)
                    for job in jobs:
                        job()

    @contextmanager
    def _changing(self) -> Iterator[list[Callable[[], object]]]:
        """The store's own files checked, then its lock held, for a change; the jobs to run
        after its save (after_save)."""
        jobs: list[Callable[[], object]] = []
        self._after_save, self._batch = jobs, outbox.Batch()
        for own in (self.audit_path, self.outbox, self.outbox / "sent"):
            files.refuse_link(own)  # before anything is changed, not half-way
        try:
            with self._lock():
                yield jobs
        finally:
            self._after_save, self._batch = None, None

    def after_save(self, job: Callable[[], object]) -> None:
        """Inside a transaction: run `job` right after its save and audit, Ctrl-C and SIGTERM
        still held, so that the files that go with a change (the welcome emails of the users
        it invites, an invitation it cancels) are written with it. Nothing runs if nothing is
        saved."""
        if self._after_save is None:
            raise RuntimeError("after_save outside a transaction")
        self._after_save.append(job)

    def queue_with_save(self, messages: list[tuple[str, bytes]], void: Iterable[str] = ()) -> Batch:
        """Inside a transaction: messages (key, bytes) to queue in the outbox with its save,
        and keys whose queued messages the change makes void. Both happen with the save or not
        at all (storage.outbox); the batch's `paths` are the queued messages once saved."""
        if self._batch is None:
            raise RuntimeError("queue_with_save outside a transaction")
        self._batch.messages.extend(messages)
        self._batch.void.update(void)
        return self._batch

    def save(self, account: Account, batch: Batch | None = None, command: str = "") -> None:
        """Write the account, append its audit entries, and publish the outbox batch that goes
        with it (staged before the file is replaced). Content the same as the file's is not
        written again (files.Staged: a pull that finds nothing new leaves the file as it was,
        to the byte and the time stamp)."""
        with files.Staged(self.path) as new:
            content = _written(new, codec.iter_parts(self.path, account.doc))
            self._finish(account, new, content, batch, command)

    def _finish(
        self, account: Account, new: files.Staged, content: str, batch: Batch | None, command: str
    ) -> None:
        """Once the new content is staged (`new`, its digest `content`): the outbox batch
        staged, the file replaced (unless the content is the same), the audit entries
        appended, the batch published."""
        staged = self._stage(batch, content) if batch else None
        lines = b""
        if not new.same:
            from concurrent.futures import ThreadPoolExecutor

            # another thread syncs and renames the file (the disk's time, the interpreter lock
            # free) while this one encodes the audit entries (75,000 for a change to all)
            with ThreadPoolExecutor(1) as pool:
                written = pool.submit(new.commit)
                lines = self._audit_lines(account, command) if command else b""
                written.result()
            account.content_digest = content
            checked.remember(self.path, content)
        elif command:
            lines = self._audit_lines(account, command)
        if lines:
            self._append_audit(account, lines)
        if staged is not None and batch is not None:
            try:
                batch.paths = outbox.publish(self.outbox, staged)
            except OSError as exc:
                raise ExtadminError(
                    f"the account was saved, but its welcome emails could not be moved into "
                    f"{self.outbox} ({exc.strerror or exc}): they are kept in {staged.parent}, "
                    "and the next extadmin command on this account queues them"
                ) from None

    def _stage(self, batch: Batch, digest: str) -> Path:
        try:
            return outbox.stage(self.outbox, batch, digest)
        except OSError as exc:
            raise ExtadminError(
                f"cannot queue the welcome emails in {self.outbox} ({exc.strerror or exc}): "
                "nothing was saved"
            ) from None

    def settle_outbox(self, digest: str | None = None) -> None:
        """Finish or drop what a killed command left staged (storage.outbox.settle). In a
        transaction with the content read under its lock; otherwise only if the lock is free
        (a running command settles its own), reading the content under it."""
        if not outbox.pending(self.outbox):
            return
        try:
            if digest is not None:
                outbox.settle(self.outbox, digest)
                return
            with files.locked(self.lock_path, 0, "busy"):
                outbox.settle(self.outbox, self._digest_on_disk())
        except AccountFileError:
            if digest is not None:
                raise
        except OSError as exc:
            if digest is not None:
                raise ExtadminError(
                    f"{self.outbox}: cannot finish the welcome emails of an interrupted "
                    f"command ({exc.strerror or exc}); fix that and run the command again"
                ) from None

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

    def _audit_lines(self, account: Account, command: str) -> bytes:
        """The audit entries of a change as JSON lines, each one's time, user and command
        first: encoded once and put before each line (a raw newline is only ever between two
        lines, JSON escaping any in a value)."""
        if not account.audit:
            return b""
        head = json.dumps({"time": now_iso(), "user": _os_user(), "command": command})
        body = codec.json_items(account.audit, "\n", ensure_ascii=True)
        return f"{head[:-1]}, {body[1:]}".replace("\n{", f"\n{head[:-1]}, ").encode() + b"\n"

    def _append_audit(self, account: Account, lines: bytes) -> None:
        files.append_private(self.audit_path, lines)
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


class Replacement:
    """A document written anew under the store's lock (AccountStore.replacing)."""

    def __init__(self, path: Path, digest: str, new: files.Staged) -> None:
        self.path, self.digest, self._new = path, digest, new
        self.account: Account | None = None  # the new document, but its extensions
        self.content = ""  # the new content's digest

    def write(self, doc: Document, runs: Iterable[list[Extension]]) -> Account:
        """Write `doc` (its "extensions" an empty list, in its place) with the extensions `runs`
        gives, in order; every rule checked as a read checks it, a run at a time as it is
        written (a JSON file; a TOML file's whole list at once): AccountFileError in the rule
        book's words, nothing saved. Returns the account (without its extensions), for the
        caller's audit entries."""
        written = decoder.Written() if codec.file_format(self.path) == "json" else None
        if written is not None:
            new = {**doc, "extensions": codec.Streamed(runs, written)}
        else:
            new = {**doc, "extensions": [ext for run in runs for ext in run]}
            schema.check_document(self.path, new)
        self.content = _written(self._new, codec.iter_parts(self.path, new))
        if written is not None and not written.vouch(self.path, doc):  # the rule book decides
            decoder.load(self.path, self._new.read_back(), each=lambda doc, exts: None)
        self.account = Account(doc)
        return self.account


def _written(new: files.Staged, parts: Iterable[files.Chunk]) -> str:
    """The parts given to the staged file as they come; their digest (checked.digest's). A
    write that fails (a full disk) is one line naming the file."""
    try:
        return checked.digest_written(parts, new.write)
    except OSError as exc:
        raise ExtadminError(
            f"cannot write {new.path} ({exc.strerror or exc}): nothing was saved"
        ) from None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
