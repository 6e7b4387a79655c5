"""Which contents of an account file have passed the load check already, so that an account
is not checked again on every command (at 100,000 extensions the check of a JSON file costs
about as much as its parse, and the check of any account with users loads the email and phone
libraries: docs/decisions.md, "Content checked once").

One record per account file, in the user's cache folder: the SHA-256 of the last content this
version of the checker has checked or written. Any other content (a hand edit, another tool, an
older or newer extadmin) has another digest, or the record another tag, and is checked in full.
A missing or unreadable record costs one check and nothing else: it is never needed to be right.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from functools import cache
from io import BufferedReader
from pathlib import Path

from extadmin import __version__
from extadmin.storage import files


def digest(*parts: files.Chunk) -> str:
    h = hashlib.new(_ALGORITHM)
    for part in parts:
        h.update(part)
    return h.hexdigest()


def digest_of(handle: BufferedReader) -> str:
    """digest() of a file's content, read a block at a time."""
    return hashlib.file_digest(handle, _ALGORITHM).hexdigest()


def digest_written(parts: Iterable[files.Chunk], write: Callable[[files.Chunk], object]) -> str:
    """digest() of parts given to `write` as they come (never held together)."""
    h = hashlib.new(_ALGORITHM)
    for part in parts:
        h.update(part)
        write(part)
    return h.hexdigest()


_ALGORITHM = "sha256"


def known(path: Path, content_digest: str) -> bool:
    record = _record(path)
    for own in (record.parent.parent, record.parent, record):
        files.refuse_link(own)  # a record reached through a link could vouch for anything
    try:
        return _record(path).read_text("ascii") == _line(path, content_digest)
    except (OSError, UnicodeDecodeError):
        return False


def remember(path: Path, content_digest: str) -> None:
    """Best effort: a cache folder that cannot be written only means the next check runs."""
    record = _record(path)
    tmp = record.with_name(f"{record.name}.{os.getpid()}.tmp")
    try:
        files.private_dir(record.parent)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:  # 0600 whatever the umask
            handle.write(_line(path, content_digest))
        os.replace(tmp, record)  # another process reading it sees the old record or this one
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _line(path: Path, content_digest: str) -> str:
    return f"{_tag(path.suffix.lower() == '.json')} {content_digest}\n"


def _record(path: Path) -> Path:
    from platformdirs import user_cache_path

    name = hashlib.sha256(os.fsencode(path)).hexdigest()[:32]
    return user_cache_path("extadmin", appauthor=False) / "checked" / name


@cache
def _tag(json: bool) -> str:
    """The checker's identity: the source of the modules that decide what is valid and how it
    is read (none of which imports this one: the store consults it), the Python that reads it
    and, for a JSON file, the version of msgspec that decodes it. Any change to them (an
    upgrade, a development edit) makes every record stale."""
    here = Path(__file__).parent  # storage/
    domain = here.parent / "domain"
    deciders = [here / f"{m}.py" for m in ("schema", "codec", "decoder")] + [
        domain / f"{m}.py" for m in ("rules", "fields", "catalog", "model")
    ]  # the value rules, the field declarations, the shapes, how the file is read
    h = hashlib.sha256(f"{__version__} {sys.version}".encode())
    if json:
        import msgspec

        h.update(f" msgspec {msgspec.__version__}".encode())
    for path in deciders:
        h.update(path.read_bytes())
    return h.hexdigest()[:32]
