"""Every interactive prompt, behind one module. questionary is imported here and only here,
lazily; each function accepts `input`/`output` so the tests can drive it with a pipe."""

from __future__ import annotations

from typing import Any

from extadmin.errors import Cancelled


def _ask(question: Any) -> Any:
    answer = question.unsafe_ask()  # raises KeyboardInterrupt on Ctrl-C
    if answer is None:
        raise Cancelled()
    return answer


def confirm_or_cancel(message: str, *, default: bool = False, **io: Any) -> None:
    import questionary

    if not _ask(questionary.confirm(message, default=default, **io)):
        raise Cancelled()
