"""The outbox beside an account file, changed together with it.

A change that queues welcome emails (or makes queued ones void: a replaced invitation, an
unassigned user) stages them first, in `outbox/.staged/<batch>/`, with a manifest naming the
account content they go with (its digest), all made durable before the account file is
replaced. Once the account is saved, the batch is published: void messages removed, the new
ones moved into the outbox. A command killed in between leaves the batch staged, and the next
command on the account settles it by the account file: published if the file holds the content
the batch goes with, dropped if it does not (the change was never saved). So every queued
message goes with what the account file says, whatever instant a process was killed at.

Messages are named `<time>-<key>-<random>.eml`, the key being the extension number, so that a
change can name the messages it makes void without reading them."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from extadmin.storage import files

STAGED = ".staged"
MANIFEST = "manifest.json"


@dataclass
class Batch:
    """What one change does to the outbox: messages to queue, (key, bytes), and the keys whose
    earlier queued messages it makes void. `paths` holds the queued messages once published."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    void: set[str] = field(default_factory=set)
    paths: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.messages or self.void)


def key_of(name: str) -> str:
    return name.split("-")[1] if name.count("-") >= 2 else ""


def queued_for(outbox: Path, key: str) -> bool:
    """A message for this key (extension number) waits in the outbox."""
    try:
        return any(key_of(p.name) == key for p in outbox.glob("*.eml"))
    except OSError:
        return False


def pending(outbox: Path) -> bool:
    """A batch is staged: a command was killed between its stage and its publish (or is
    running now)."""
    return (outbox / STAGED).is_dir()


def stage(outbox: Path, batch: Batch, digest: str) -> Path:
    """Write the batch where nothing reads it yet, durably, before the account is written.
    Nothing is left behind if it fails (a full disk, a file in the outbox's place)."""
    root = files.private_dir(files.private_dir(outbox) / STAGED)
    staged = root / secrets.token_hex(8)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    names = [f"{stamp}-{key}-{secrets.token_hex(4)}.eml" for key, _ in batch.messages]
    one = len(names) <= 1  # one file: fsync it; many: one sync() for all (an fsync each is slow)
    try:
        staged.mkdir(mode=0o700)
        for name, (_, data) in zip(names, batch.messages, strict=True):
            # written in place, not renamed: nothing reads a message before the manifest
            files.write_new(staged / name, data, sync=one)
        record = {"digest": digest, "messages": names, "void": sorted(batch.void)}
        files.write_atomic(staged / MANIFEST, json.dumps(record).encode(), sync=one)
        if not one:
            os.sync()
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        with contextlib.suppress(OSError):
            root.rmdir()  # unless another batch is staged
        raise
    return staged


def publish(outbox: Path, staged: Path) -> list[Path]:
    """Apply a staged batch to the outbox (again, if a command was killed half-way: each step
    can be repeated) and remove it. Returns the queued messages."""
    record = json.loads((staged / MANIFEST).read_bytes())
    names: list[str] = record["messages"]
    if record["void"]:
        void, keep = set(record["void"]), set(names)
        for path in outbox.glob("*.eml"):
            if key_of(path.name) in void and path.name not in keep:
                path.unlink(missing_ok=True)
                path.with_suffix(".error").unlink(missing_ok=True)
    for name in names:
        try:
            os.replace(staged / name, outbox / name)
        except FileNotFoundError:  # moved by the run that was killed
            pass
    files.fsync_dir(outbox)
    (staged / MANIFEST).unlink()
    staged.rmdir()
    with contextlib.suppress(OSError):
        staged.parent.rmdir()  # unless another batch is staged
    return [outbox / name for name in names]


def settle(outbox: Path, digest: str) -> None:
    """Under the account's lock: publish every staged batch that goes with the account's
    content (`digest`), drop the others."""
    root = outbox / STAGED
    for staged in sorted(files.refuse_link(root).iterdir()):
        if staged.is_symlink() or not staged.is_dir():  # not one of ours
            staged.unlink()
            continue
        try:
            goes_with = json.loads((staged / MANIFEST).read_bytes())["digest"] == digest
        except (OSError, ValueError, KeyError, TypeError):
            goes_with = False  # killed before its manifest: the account was not written
        if goes_with:
            publish(outbox, staged)
        else:
            shutil.rmtree(staged)
    with contextlib.suppress(FileNotFoundError):
        root.rmdir()
