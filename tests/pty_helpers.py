"""Drive the real `extadmin` program in a pseudo-terminal, as an administrator would.

questionary (prompt_toolkit) draws with escape sequences: colours and bold between the words,
cursor moves instead of unchanged cells. `Terminal.expect` therefore matches a plain text
fragment with any escape sequence allowed between its characters, and `Terminal.screen` is
everything shown so far with the escape sequences removed."""

from __future__ import annotations

import io
import os
import re
import sys

import pexpect

ENTER = "\r"
DOWN = "\x1b[B"
UP = "\x1b[A"
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


class Terminal:
    """`python -m extadmin ARGS` in a 40x120 pseudo-terminal; every byte shown is kept."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 15):
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "extadmin", *args],
            env={**os.environ, **(env or {})},
            dimensions=(40, 120),
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
