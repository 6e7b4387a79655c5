"""A prompter that answers from a dict, to test the walkthrough's logic without a terminal
(after gh's fake prompter; the real terminal is tested in a pseudo-terminal elsewhere).

`FakePrompter(answers)` answers each question by the field asked (`name`) or, for a question
that asks no field, by its label ("Save this user?"). An answer is a value, or a list of
values given one per asking (going back, or asked again after a broken rule). A question
with no answer left takes its default, as Enter would. `BACK` answers Escape, `CTRL_C`
Ctrl-C.

An answer is checked by the question's rule, as at the terminal: one that breaks it is said
(`problems`) and the next answer is taken; a question left with no valid answer fails the
test rather than asking forever. What was asked (`asked`: names, or labels), the default each
question offered (`offered`), and everything said (`said`, `problems`, `review`) are kept for
the test to assert."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from extadmin.cli.prompts import Back, Check, Choice, Plain, Prompter, error, items_of


class _Key:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


BACK = _Key("BACK")  # Escape: back one question
CTRL_C = _Key("CTRL_C")  # Ctrl-C: KeyboardInterrupt


class NoAnswer(AssertionError):
    """A question the test gave no valid answer to, and whose default is no answer either."""


class FakePrompter(Prompter):
    def __init__(self, answers: Mapping[str, Any] | None = None) -> None:
        # nothing reaches a terminal: a prompt this class does not fake reads an empty stream
        super().__init__(plain=Plain(io.StringIO(""), io.StringIO()))
        self.answers: dict[str, list[Any]] = {
            key: list(value) if isinstance(value, list) else [value]
            for key, value in (answers or {}).items()
        }
        self.asked: list[str] = []  # each question's field name, or its label
        self.labels: list[str] = []  # each question's label, as the terminal shows it
        self.offered: dict[str, Any] = {}  # the default each question offered, the last time
        self.choices: dict[str, list[str]] = {}  # the titles each list offered, the last time
        self.said: list[str] = []  # every message, header and hint, unwrapped
        self.problems: list[str] = []  # the broken rules said
        self.review: list[tuple[str, str]] = []  # the review's (label, value) lines

    # --- answering ----------------------------------------------------------------------------
    def _next(self, message: str, name: str, default: Any) -> tuple[bool, Any]:
        """(True, the answer given) or (False, the default); BACK and CTRL_C raise."""
        key = name or message
        self.asked.append(key)
        self.labels.append(message)
        self.offered[key] = default
        left = self.answers.get(key) or self.answers.get(message)
        if not left:
            return False, default
        answer = left.pop(0)
        if answer is BACK:
            raise Back()
        if answer is CTRL_C:
            raise KeyboardInterrupt
        return True, answer

    def _checked(
        self, message: str, name: str, default: str, check: Check | None, optional: bool
    ) -> str:
        """The first answer that keeps the rule, each broken one said as at the terminal."""
        while True:
            given, value = self._next(message, name, default)
            broken = error(check, str(value), optional)
            if broken is None:
                return str(value)
            self.problem(broken)
            if not given:
                raise NoAnswer(f"{name or message}: the default {value!r} breaks a rule: {broken}")

    # --- the questions ------------------------------------------------------------------------
    def text(
        self,
        message: str,
        check: Check | None = None,
        *,
        default: str = "",
        optional: bool = False,
        back: bool = False,
        name: str = "",
    ) -> str:
        return self._checked(message, name, default, check, optional).strip()

    def secret(
        self,
        message: str,
        check: Check | None = None,
        *,
        back: bool = False,
        keep: bool = False,
        name: str = "",
    ) -> str:
        """Enter keeps a secret given before (`keep`): the answer is then ''. A secret has no
        other default."""
        while True:
            given, value = self._next(message, name, "" if keep else None)
            if value is None:
                raise NoAnswer(f"{name or message}: a secret has no default: answer it")
            if keep and value == "":
                return ""
            broken = error(check, value, False)
            if broken is None:
                return str(value)
            self.problem(broken)
            if not given:
                raise NoAnswer(f"{name or message}: {broken}")

    def secret_twice(
        self,
        message: str,
        check: Check | None = None,
        *,
        back: bool = False,
        keep: bool = False,
        name: str = "",
    ) -> str:
        """Entered once: typing it twice is the terminal's (tests/test_prompts.py)."""
        return self.secret(message, check, back=back, keep=keep, name=name)

    def select(
        self,
        message: str,
        choices: Sequence[Choice],
        default: str | None = None,
        *,
        search: bool = False,
        marked: str | None = None,
        no_match: Callable[[str], str] | None = None,
        back: bool = False,
        name: str = "",
    ) -> str:
        """A choice's value (or its title); the default is the choice the cursor starts on."""
        items = items_of(choices)
        values = [item.value for item in items]
        start = default if default in values else values[0]
        self.choices[name or message] = [item.title for item in items]
        _, answer = self._next(message, name, start)
        for item in items:
            if answer in (item.value, item.title):
                return item.value
        raise NoAnswer(f"{name or message}: {answer!r} is not one of {values}")

    def confirm(
        self, message: str, *, default: bool = True, back: bool = False, name: str = ""
    ) -> bool:
        _, answer = self._next(message, name, default)
        assert isinstance(answer, bool), f"{name or message}: answer True or False"
        return answer

    # --- what is said -------------------------------------------------------------------------
    def say(self, text: str, style: str | None = None) -> None:
        self.said.append(text)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.say(text)

    def hint(self, text: str, indent: str = "  ") -> None:
        self.say(text)

    def step(self, number: int, total: int, title: str) -> None:
        self.say(f"Step {number} of {total}: {title}")

    def pair(self, label: str, value: str) -> None:
        self.review.append((label, value))
