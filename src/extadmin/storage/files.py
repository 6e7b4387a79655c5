"""File primitives: the atomic write and the owner-only append, in one place."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from extadmin.errors import AccountFileError

# the files this process has replaced or appended to, in order: a command cut short by Ctrl-C
# or SIGTERM says whether it had written anything (cli.main)
WRITTEN: list[Path] = []


Chunk = bytes | memoryview  # a file written (and hashed) in parts, never joined


def write_atomic(path: Path, *parts: Chunk, sync: bool = True) -> None:
    """Write the parts of a file to a temporary file in the same folder (mode 0600), fsync it,
    rename it over the old file and fsync the folder: a crash at any instant leaves the old
    file or the new one.
    With sync=False the caller makes a batch durable at once (`os.sync()` after many files)."""
    with Staged(path) as staged:
        staged.write(*parts)
        staged.commit(sync)


class Staged:
    """A file's new content, written in parts to a temporary file beside it (mode 0600) as
    they come; `commit` fsyncs it and renames it over the file (then fsyncs the folder): a
    crash at any instant leaves the old file or the new one. Left without a commit (the block
    ended, an exception), the temporary file is removed.

    The temporary file is named before it is created, so that Ctrl-C or SIGTERM at any instant
    (even the one after the file is created: tempfile.mkstemp would lose its name) removes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp: Path | None = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        self._handle: BinaryIO | None = None

    def __enter__(self) -> Staged:
        assert self.tmp is not None
        try:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._handle = os.fdopen(fd, "wb")
        except FileExistsError:  # another file of that name (48 random bits): not ours
            raise
        except BaseException:
            self.discard()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def write(self, *parts: Chunk) -> None:
        assert self._handle is not None
        self._handle.writelines(parts)

    def read_back(self) -> bytes:
        """What has been written so far."""
        assert self._handle is not None and self.tmp is not None
        self._handle.flush()
        return self.tmp.read_bytes()

    def commit(self, sync: bool = True) -> None:
        assert self._handle is not None and self.tmp is not None
        handle, self._handle = self._handle, None
        with handle:
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        WRITTEN.append(self.path)  # before: better "may be saved" than "nothing written" wrongly
        os.replace(self.tmp, self.path)
        self.tmp = None
        if sync:
            fsync_dir(self.path.parent)

    def discard(self) -> None:
        """Remove the temporary file (nothing if committed)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None


def write_new(path: Path, data: bytes, sync: bool = False) -> None:
    """Create a file (mode 0600) that must not exist yet, in a folder nothing reads before
    the caller says the file is complete: no temporary name and no rename."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:  # a write may take only part of it
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def refuse_link(path: Path) -> Path:
    """extadmin never writes, appends or changes modes through a symbolic link planted where
    its own file or folder goes (it would reach another file)."""
    if path.is_symlink():
        raise AccountFileError(
            f"{path}: is a symbolic link; extadmin does not write through links (remove it)"
        )
    return path


@contextmanager
def locked(path: Path, timeout: float, busy: str) -> Iterator[None]:
    """An exclusive lock file (filelock), never through a planted link; `busy` is the message
    when another holder keeps it past `timeout` seconds (0: do not wait)."""
    from filelock import FileLock, Timeout

    lock = FileLock(refuse_link(path), timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise AccountFileError(busy) from None
    except PermissionError:
        raise AccountFileError(f"{path}: cannot create the lock file") from None
    try:
        yield
    finally:
        lock.release()


def append_private(path: Path, data: bytes) -> None:
    """Append (creating the file with mode 0600 whatever the umask) and fsync; never through a
    symbolic link."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            refuse_link(path)
        raise
    try:
        os.fchmod(fd, 0o600)
        WRITTEN.append(path)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def private_dir(path: Path) -> Path:
    """A folder of extadmin's own, mode 0700 (never a link: its mode would change another),
    and so are the folders created on the way to it (the `extadmin` folder in the user's
    cache, under a umask of 0 too)."""
    refuse_link(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):  # each one 0700 whatever the umask, not only the last
        folder.mkdir(mode=0o700, exist_ok=True)
    if not path.is_dir():  # a file planted, or left, where extadmin's folder goes
        raise AccountFileError(f"{path}: is not a folder; extadmin keeps its files there (move it)")
    os.chmod(refuse_link(path), 0o700)
    return path
