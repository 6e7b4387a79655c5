"""Drive the real `extadmin` program in a pseudo-terminal, as an administrator would.

questionary (prompt_toolkit) draws with escape sequences: colours and bold between the words,
cursor moves instead of unchanged cells. `Terminal.expect` therefore matches a plain text
fragment with any escape sequence allowed between its characters, and `Terminal.screen` is
everything shown so far with the escape sequences removed. `Terminal.display` is what the
terminal shows now, row by row, as a small VT100 model (`Display`) draws it: where a message
landed, and whether it was cut at the terminal's width.

`Screen` and `running` drive one prompt (or the walkthrough) in-process instead: a thread
reads keys from prompt_toolkit's pipe and draws on a Screen the test reads."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TextIO, cast

import pexpect
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output.vt100 import Vt100_Output

from extadmin.cli.prompts import Prompter
from extadmin.domain.fields import FORM, LABELS

ENTER = "\r"
DOWN = "\x1b[B"
UP = "\x1b[A"
ESCAPE = "\x1b"
BACKSPACE = "\x7f"
CTRL_C = "\x03"

_ESC = r"(?:\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>78])"
ANSI = re.compile(_ESC)


def fragment(text: str) -> re.Pattern[str]:
    """`text` as it may appear in the raw output: escape sequences anywhere between characters,
    and a space may also be a cursor move or a run of spaces."""
    words = [f"{_ESC}*".join(re.escape(ch) for ch in word) for word in text.split(" ")]
    return re.compile(f"(?:[ ]|{_ESC})+".join(words))


def plain(raw: str) -> str:
    """The raw terminal output without escape sequences (cursor moves become spaces)."""
    raw = re.sub(r"\x1b\[(\d*)C", lambda m: " " * int(m.group(1) or 1), raw)
    return ANSI.sub("", raw).replace("\r", "")


class Display:
    """The screen of a VT100-like terminal fed the program's output: printable characters
    with automatic margins (a line longer than the width continues on the next row), CR, LF,
    backspace, and the CSI sequences prompt_toolkit uses (cursor up/down/forward/back, column,
    position, erase in line and display; attributes and modes are ignored but autowrap).
    Rows that scroll off the top are kept in `scrolled`."""

    _csi = re.compile(r"\x1b\[([0-9;?]*)([ -/]*)([@-~])")
    _other = re.compile(r"\x1b(?:[()][0-9A-B]|[=>78]|\][^\x07\x1b]*(?:\x07|\x1b\\))")

    def __init__(self, rows: int, columns: int) -> None:
        self.rows, self.columns = rows, columns
        self.cells = [[" "] * columns for _ in range(rows)]
        self.scrolled: list[str] = []
        self.row = self.col = 0
        self.autowrap = True
        self.pending_wrap = False

    def feed(self, raw: str) -> Display:
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\x1b":
                match = self._csi.match(raw, i)
                if match:
                    self._control(match.group(1), match.group(3))
                    i = match.end()
                    continue
                other = self._other.match(raw, i)
                i = other.end() if other else i + 1
                continue
            i += 1
            if ch == "\r":
                self.col, self.pending_wrap = 0, False
            elif ch == "\n":
                self._line_feed()
            elif ch == "\b":
                self.col, self.pending_wrap = max(self.col - 1, 0), False
            elif ch >= " " and ch != "\x7f":
                self._put(ch)
        return self

    def _put(self, ch: str) -> None:
        if self.pending_wrap:
            self.col = 0
            self._line_feed()
            self.pending_wrap = False
        self.cells[self.row][self.col] = ch
        if self.col == self.columns - 1:
            self.pending_wrap = self.autowrap
        else:
            self.col += 1

    def _line_feed(self) -> None:
        if self.row == self.rows - 1:
            self.scrolled.append("".join(self.cells.pop(0)).rstrip())
            self.cells.append([" "] * self.columns)
        else:
            self.row += 1

    def _control(self, params: str, final: str) -> None:
        if params.startswith("?"):
            if "7" in params[1:].split(";") and final in "hl":
                self.autowrap = final == "h"
            return
        numbers = [int(p) if p else 0 for p in params.split(";")] if params else []
        n = max(numbers[0], 1) if numbers else 1
        self.pending_wrap = False
        if final == "A":
            self.row = max(self.row - n, 0)
        elif final == "B":
            self.row = min(self.row + n, self.rows - 1)
        elif final == "C":
            self.col = min(self.col + n, self.columns - 1)
        elif final == "D":
            self.col = max(self.col - n, 0)
        elif final == "G":
            self.col = min(n, self.columns) - 1
        elif final in "Hf":
            row, col = ([*numbers, 0, 0][:2]) if numbers else (0, 0)
            self.row, self.col = min(max(row, 1), self.rows) - 1, min(max(col, 1), self.columns) - 1
        elif final == "K":
            mode = numbers[0] if numbers else 0
            line = self.cells[self.row]
            span = {0: range(self.col, self.columns), 1: range(0, self.col + 1)}.get(
                mode, range(self.columns)
            )
            for c in span:
                line[c] = " "
        elif final == "J":
            mode = numbers[0] if numbers else 0
            rows = {0: range(self.row + 1, self.rows), 1: range(0, self.row)}.get(
                mode, range(self.rows)
            )
            if mode == 0:
                self._control("0", "K")
            for r in rows:
                self.cells[r] = [" "] * self.columns

    @property
    def lines(self) -> list[str]:
        """The rows on screen now, trailing spaces removed."""
        return ["".join(row).rstrip() for row in self.cells]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class Terminal:
    """`python -m extadmin ARGS` in a pseudo-terminal of `rows` x `columns` (40x120 unless
    told); every byte shown is kept."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 15,
        rows: int = 40,
        columns: int = 120,
    ):
        self.transcript = io.StringIO()
        self.rows, self.columns = rows, columns
        # COLUMNS and LINES as a shell at that size would export them
        sized = {"COLUMNS": str(columns), "LINES": str(rows)}
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "extadmin", *args],
            env={**os.environ, **sized, **(env or {})},
            dimensions=(rows, columns),
            encoding="utf-8",
            timeout=timeout,
        )
        self.child.logfile_read = self.transcript

    @property
    def raw(self) -> str:
        return self.transcript.getvalue()

    @property
    def screen(self) -> str:
        return plain(self.raw)

    @property
    def display(self) -> Display:
        """What the terminal shows now (the rows scrolled off the top in `.scrolled`)."""
        return Display(self.rows, self.columns).feed(self.raw)

    def expect(self, text: str) -> str:
        """Wait until `text` is shown; return the plain output shown since the last match."""
        self.child.expect(fragment(text))
        return plain(self.child.before or "")

    def question(self, prompt: str) -> str:
        """Wait until the question `prompt` is asked (questionary shows it after "? ": a label
        also seen in a step header, a list of choices or the review does not count); return
        the plain output shown before it."""
        return self.expect(f"? {prompt}")

    def answer(self, prompt: str, keys: str) -> str:
        """Wait for a question, then type `keys`. Only once it is asked: keys typed while no
        prompt holds the terminal would be echoed by the terminal itself."""
        before = self.question(prompt)
        self.child.send(keys)
        return before

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> int:
        """Wait for the program to end; its exit status."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert self.child.signalstatus is None, f"killed by signal {self.child.signalstatus}"
        status = self.child.exitstatus
        assert status is not None
        return int(status)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


def enter_through(t: Terminal, start: str, stop: str | None = None) -> None:
    """Enter at each question of the walkthrough's form from field `start` up to field `stop`
    (not included; else to the end of the form), waiting for each label: the form's fields
    come from their declarations, so a field added to the form is answered too."""
    for name in FORM[FORM.index(start) : FORM.index(stop) if stop else None]:
        t.answer(LABELS[name], ENTER)


# --- in-process: one prompt in a thread, drawing on a Screen ------------------------------------


class Screen:
    """A 40x120 terminal that keeps what the prompts draw, readable as plain text."""

    _escape = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._lock = threading.Lock()
        self.output = Vt100_Output(
            cast(TextIO, self), lambda: Size(rows=40, columns=120), term="xterm", enable_cpr=False
        )
        self.prompt: Future[Any] | None = None  # the prompt drawing here, when in a thread

    # the file-like side Vt100_Output writes to
    encoding = "utf-8"

    def write(self, data: str) -> int:
        with self._lock:
            return self._buffer.write(data)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    @property
    def text(self) -> str:
        with self._lock:
            raw = self._buffer.getvalue()
        raw = re.sub(r"\x1b\[(\d*)C", lambda m: " " * int(m.group(1) or 1), raw)
        return self._escape.sub("", raw).replace("\r", "")

    def wait_for(self, text: str, timeout: float = 10, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.text.count(text) < count:
            if self.prompt is not None and self.prompt.done():
                self.prompt.result()  # ended early: its exception, if any, is the failure
                raise AssertionError(f"the prompt ended without showing {text!r}:\n{self.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown; the screen:\n{self.text}")
            time.sleep(0.02)


@contextmanager
def running(ask: Callable[[Prompter], Any]) -> Iterator[tuple[PipeInput, Screen, Future[Any]]]:
    """Run `ask(prompter)` in a thread, the prompter drawing on a Screen and reading keys from
    a pipe."""
    screen = Screen()
    with ThreadPoolExecutor(1) as pool, create_pipe_input() as pipe:
        future = pool.submit(ask, Prompter(input=pipe, output=screen.output))
        screen.prompt = future
        try:
            yield pipe, screen, future
        finally:
            # a test that failed half way: Ctrl-C ends the prompt still waiting, and its thread
            for _ in range(3):
                if future.done():
                    break
                pipe.send_text(CTRL_C)
                with contextlib.suppress(BaseException):
                    future.exception(timeout=2)
