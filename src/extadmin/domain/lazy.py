"""A large JSON account's extensions as the file's text, each run of it decoded when first
touched (issue 27: a command that changes one extension of 100,000 holds the file's text and an
index, not 100,000 tables).

The store's JSON layout writes an extension a line, and storage/decoder.py reads the list a run
of about 256 KiB at a time, checks each run and drops its tables: what it keeps is the run's
place in the file, and an index of the numbers and of the users' addresses. `Extensions` then
behaves as the list of extension tables it stands for: reading an item decodes its run (once:
the run's tables are kept, "touched", and any change to them is saved); a change to the list
itself (append, remove, sort...) decodes every run first and goes on as a plain list. A save
writes an untouched run as the file's text, byte for byte, and encodes only the touched ones.
No I/O here: the file's bytes and the run decoder are given.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, MutableSequence
from typing import Any, Protocol, overload

Table = dict[str, Any]


class Spooled(Protocol):
    """Text kept out of memory (storage's Spool: a change's new text), sliced as bytes are."""

    def __getitem__(self, where: slice, /) -> bytes: ...


Text = bytes | bytearray | Spooled  # the runs' text: the file's bytes, or a change's new text


def user_emails(tables: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, str]]:
    """(number, email) of the users of these extensions."""
    return ((e["number"], e["user"]["email"]) for e in tables if "user" in e)


class Run:
    """data[start:end] of the file: `count` extensions, one a line, between brackets a JSON
    list; `tables` once touched; `users` (number, email) of its users while it is not."""

    __slots__ = ("start", "end", "count", "tables", "users")

    def __init__(
        self, start: int, end: int, count: int, users: list[tuple[str, str]] | None
    ) -> None:
        self.start, self.end, self.count = start, end, count
        self.tables: list[Table] | None = None
        self.users = users  # None: not indexed (Extensions.numbers)


class Extensions(MutableSequence[Table]):
    """The extensions list of a JSON account file read in runs (see the module's text)."""

    def __init__(
        self,
        data: Text,
        runs: list[Run],
        decode: Callable[[bytes], list[Table]],
        numbers: dict[str, int] | None,
    ) -> None:
        self._data: Text | None = data
        self._runs = runs
        self._decode = decode
        self._firsts: list[int] = []  # the index of each run's first extension, as read
        total = 0
        for run in runs:
            self._firsts.append(total)
            total += run.count
        self._count = total
        self._untouched = len(runs)
        self._numbers = numbers
        self._list: list[Table] | None = None  # once the list itself changes: every table

    # --- the runs -----------------------------------------------------------------------------
    def _tables(self, run: Run) -> list[Table]:
        if run.tables is None:
            run.tables = self._read(run)
            run.users = []
            self._untouched -= 1
            if not self._untouched:  # every run decoded: the text is no longer needed
                self._data = None
        return run.tables

    def _read(self, run: Run) -> list[Table]:
        """A run's tables, decoded for a look only if it is not touched (kept as its text)."""
        if run.tables is not None:
            return run.tables
        assert self._data is not None
        return self._decode(b"".join((b"[", self._data[run.start : run.end], b"]")))

    @property
    def numbers(self) -> dict[str, int]:
        """number -> its extension's index in the file as read. Made by the read, or, if it
        made none (a change to every extension, which needs none), now."""
        if self._numbers is None:
            read = (e for run in self._runs for e in self._read(run))
            self._numbers = {e["number"]: i for i, e in enumerate(read) if "number" in e}
        return self._numbers

    def _whole(self) -> list[Table]:
        """Every extension, as a plain list that the list's own changes go to."""
        if self._list is None:
            self._list = [ext for run in self._runs for ext in self._tables(run)]
        return self._list

    def at_read_index(self, i: int) -> Table:
        """The extension that was the i-th of the file as read (the list's own changes since,
        such as a removal, do not move it)."""
        r = bisect_right(self._firsts, i) - 1
        return self._tables(self._runs[r])[i - self._firsts[r]]

    @property
    def changed(self) -> bool:
        """Whether the list itself has changed since it was read (its runs' index is then no
        longer the list's)."""
        return self._list is not None

    @property
    def touched(self) -> int:
        """How many runs are decoded."""
        return len(self._runs) - self._untouched

    # --- a list's reading ---------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count if self._list is None else len(self._list)

    @overload
    def __getitem__(self, i: int) -> Table: ...
    @overload
    def __getitem__(self, i: slice) -> list[Table]: ...
    def __getitem__(self, i: int | slice) -> Table | list[Table]:
        if self._list is not None or isinstance(i, slice):
            return self._whole()[i]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError("list index out of range")
        return self.at_read_index(i)

    def __iter__(self) -> Iterator[Table]:
        if self._list is not None:
            yield from self._list
            return
        for run in self._runs:
            yield from self._tables(run)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Extensions | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as a list's

    def __repr__(self) -> str:
        return f"Extensions({len(self)} extensions, {self.touched} of {len(self._runs)} runs read)"

    def user_emails(self) -> Iterator[tuple[str, str]]:
        """(number, email) of every user: an untouched run's from the index, if the read made
        one."""
        if self._list is not None:
            yield from user_emails(self._list)
            return
        for run in self._runs:
            if run.tables is None and run.users is not None:
                yield from run.users
            else:
                yield from user_emails(self._read(run))

    # --- a list's changes: on the plain list --------------------------------------------------
    @overload
    def __setitem__(self, i: int, value: Table) -> None: ...
    @overload
    def __setitem__(self, i: slice, value: Iterable[Table]) -> None: ...
    def __setitem__(self, i: Any, value: Any) -> None:
        self._whole()[i] = value

    def __delitem__(self, i: int | slice) -> None:
        del self._whole()[i]

    def insert(self, index: int, value: Table) -> None:
        self._whole().insert(index, value)

    def sort(self, *, key: Callable[[Table], Any] | None = None, reverse: bool = False) -> None:
        self._whole().sort(key=key, reverse=reverse)  # type: ignore[arg-type]

    def copy(self) -> list[Table]:
        return list(self)

    # --- writing ------------------------------------------------------------------------------
    def parts(
        self, encode: Callable[[list[Table]], list[bytes]], sep: bytes
    ) -> Iterator[bytes | memoryview]:
        """The list's items as the file holds them, `sep` between two, as they are written: an
        untouched run as the file's text (or the change's, read back then), the others by
        `encode`."""
        if self._list is not None:
            yield from encode(self._list)
            return
        data = self._data
        text = memoryview(data) if isinstance(data, bytes | bytearray) else data
        first = True
        for run in self._runs:
            if not run.count:
                continue
            if not first:
                yield sep
            first = False
            if run.tables is None:
                assert text is not None
                yield text[run.start : run.end]
            else:
                yield from encode(run.tables)


class NumberIndex(MutableMapping[str, Table]):
    """Account.by_number over Extensions: a look-up decodes the one run that holds the number;
    the account's own changes to the index (a new extension, a renumbering, a removal) are
    kept over it."""

    def __init__(self, exts: Extensions) -> None:
        self._exts = exts
        self._changed: dict[str, Table | None] = {}

    def __getitem__(self, number: str) -> Table:
        if number in self._changed:
            found = self._changed[number]
            if found is None:
                raise KeyError(number)
            return found
        return self._exts.at_read_index(self._exts.numbers[number])

    def __contains__(self, number: object) -> bool:
        if number in self._changed:
            return self._changed[number] is not None
        return number in self._exts.numbers

    def __setitem__(self, number: str, ext: Table) -> None:
        self._changed[number] = ext

    def __delitem__(self, number: str) -> None:
        if number not in self:
            raise KeyError(number)
        self._changed[number] = None

    def __iter__(self) -> Iterator[str]:
        for number in self._exts.numbers:
            if number not in self._changed:
                yield number
        yield from (n for n, ext in self._changed.items() if ext is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
