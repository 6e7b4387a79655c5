"""File primitives: the atomic write and the owner-only append, in one place."""

from __future__ import annotations

import errno
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from extadmin.errors import AccountFileError

# the files this process has replaced or appended to, in order: a command cut short by Ctrl-C
# or SIGTERM says whether it had written anything (cli.main)
WRITTEN: list[Path] = []


Chunk = bytes | memoryview  # a file written (and hashed) in parts, never joined


def write_atomic(path: Path, *parts: Chunk, sync: bool = True, work: bool = True) -> None:
    """Write the parts of a file to a temporary file in the same folder (mode 0600), fsync it,
    rename it over the old file and fsync the folder: a crash at any instant leaves the old
    file or the new one.
    With sync=False the caller makes a batch durable at once (`os.sync()` after many files).
    `work`: the file is part of the command's work (WRITTEN), not extadmin's own state."""
    with Staged(path, compare=False) as staged:
        staged.write(*parts)
        staged.commit(sync, work)


class Staged:
    """A file's new content, given in parts as they come. With `compare`, each part is first
    compared with the file's content at the same place: while they are the same nothing is
    written, and content the same to the end (`same`) leaves the file as it was, to the byte
    and the time stamp, and needs no room on the disk. Otherwise (at the first difference, or
    at once) a temporary file beside it (mode 0600) takes the old content before that place,
    then the parts; `commit` fsyncs it and renames it over the file (then fsyncs the folder):
    a crash at any instant leaves the old file or the new one. Left without a commit (the block
    ended, an exception), the temporary file is removed.

    The temporary file is named before it is created, so that Ctrl-C or SIGTERM at any instant
    (even the one after the file is created: tempfile.mkstemp would lose its name) removes it."""

    BLOCK = 1 << 20  # bytes of the old content copied at once

    def __init__(self, path: Path, compare: bool = True) -> None:
        self.path = path
        self.tmp: Path | None = None
        self._handle: BinaryIO | None = None
        self._old: BinaryIO | None = None  # the file's content, while the parts are the same
        self._offset = 0  # bytes of it the parts have matched
        self._compare = compare

    def __enter__(self) -> Staged:
        if self._compare:
            try:
                self._old = open(self.path, "rb")  # noqa: SIM115 (closed by discard or _differ)
            except (FileNotFoundError, IsADirectoryError):
                pass
        if self._old is None:
            try:
                self._differ()
            except BaseException:  # __exit__ does not run when __enter__ raises
                self.discard()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def write(self, *parts: Chunk) -> None:
        for part in parts:
            if self._old is not None:
                size = len(part) if isinstance(part, bytes) else part.nbytes
                if self._old.read(size) == part:
                    self._offset += size
                    continue
                self._differ()
            assert self._handle is not None
            self._handle.write(part)

    @property
    def same(self) -> bool:
        """Whether the parts given are the file's content, whole (no temporary file then)."""
        if self._old is not None and self._old.read(1):  # the file is longer
            self._differ()
        return self._old is not None

    def read_back(self) -> bytes:
        """What has been given so far (the file's content, if it is the same)."""
        if self.same:
            return self.path.read_bytes()
        assert self._handle is not None and self.tmp is not None
        self._handle.flush()
        return self.tmp.read_bytes()

    def _differ(self) -> None:
        """The temporary file, holding the old content the parts matched so far."""
        tmp = self.path.with_name(f".{self.path.name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another file of that name (48 random bits): not ours
            raise
        except BaseException:
            self.tmp = tmp  # removed by discard, if it was made after all
            raise
        self.tmp = tmp
        self._handle = os.fdopen(fd, "wb")
        old, self._old = self._old, None
        if old is not None:
            with old:
                old.seek(0)
                left = self._offset
                while left:
                    block = old.read(min(left, self.BLOCK))
                    if not block:  # cut short meanwhile, in place (not by extadmin: the lock)
                        raise AccountFileError(
                            f"{self.path}: changed by another program while it was saved: "
                            "nothing was saved"
                        )
                    self._handle.write(block)
                    left -= len(block)

    def commit(self, sync: bool = True, work: bool = True) -> None:
        """The new content in place of the file's (nothing to do if it is the same); `work`:
        noted in WRITTEN."""
        if self.same:
            self.discard()
            return
        assert self._handle is not None and self.tmp is not None
        handle, self._handle = self._handle, None
        with handle:
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        if work:  # before: better "may be saved" than "nothing written" wrongly
            WRITTEN.append(self.path)
        os.replace(self.tmp, self.path)
        self.tmp = None
        if sync:
            fsync_dir(self.path.parent)

    def discard(self) -> None:
        """Remove the temporary file (nothing if committed)."""
        for handle in (self._handle, self._old):
            if handle is not None:
                handle.close()
        self._handle = self._old = None
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None


class Spool:
    """Bytes written once, in order, then read back by slices, held in an unnamed temporary
    file beside the account file (a change to every extension of a large account holds the
    file's new text there while it reads the old one, not in memory; the system removes the
    file when it is closed or the process ends, however). In memory if no such file can be
    made there."""

    def __init__(self, folder: Path) -> None:
        self._file: BinaryIO
        try:
            self._file = tempfile.TemporaryFile(dir=folder)
        except OSError:
            self._file = io.BytesIO()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __iadd__(self, data: bytes) -> Spool:
        self._file.write(data)
        self._size += len(data)
        return self

    def __getitem__(self, where: slice) -> bytes:
        start, stop, _ = where.indices(self._size)
        self._file.seek(start)
        data = self._file.read(max(0, stop - start))
        self._file.seek(0, os.SEEK_END)
        return data


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
