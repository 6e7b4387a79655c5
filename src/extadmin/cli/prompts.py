"""Every interactive prompt, behind one module. questionary (and prompt_toolkit) are imported
here, lazily, and nowhere else; every function takes `**io` (prompt_toolkit's `input` and
`output`) so tests can drive it with a pipe. Validators are plain callables that return the
normalised value or raise ExtadminError; the message of the error is shown and the question
is asked again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from extadmin.errors import Cancelled, ExtadminError

Check = Callable[[str], Any]


def _ask(question: Any) -> Any:
    answer = question.unsafe_ask()  # Ctrl-C raises KeyboardInterrupt: the caller writes nothing
    if answer is None:
        raise Cancelled()
    return answer


def _validator(check: Check | None, optional: bool) -> Callable[[str], bool | str]:
    def validate(value: str) -> bool | str:
        if check is None or (optional and not value.strip()):
            return True
        try:
            check(value)
        except ExtadminError as exc:
            return exc.message
        return True

    return validate


def say(text: str, style: str | None = None, **io: Any) -> None:
    import questionary

    questionary.print(text, style=style, output=io.get("output"))  # printing takes no input


def step(number: int, total: int, title: str, **io: Any) -> None:
    """The header that shows where the admin is: "Step 3 of 8: Credentials"."""
    say(f"\nStep {number} of {total}: {title}", style="bold", **io)


def text(
    message: str,
    check: Check | None = None,
    *,
    default: str = "",
    optional: bool = False,
    **io: Any,
) -> str:
    """A line of text, validated as it is submitted; optional ones may be skipped with Enter."""
    import questionary

    hint = " (Enter to skip)" if optional and not default else ""
    value: str = _ask(
        questionary.text(
            message + hint, default=default, validate=_validator(check, optional), **io
        )
    )
    return value.strip()


def secret_twice(message: str, check: Check | None = None, **io: Any) -> str:
    """A hidden value entered twice; asked again until valid and both entries match."""
    import questionary

    # "Password" -> "Re-enter password", but "PIN" stays "Re-enter PIN" (an acronym)
    name = message if message[:2].isupper() else message[0].lower() + message[1:]
    while True:
        first: str = _ask(questionary.password(message, validate=_validator(check, False), **io))
        again: str = _ask(questionary.password(f"Re-enter {name}", **io))
        if first == again:
            return first
        say("  The two entries do not match: enter them again.", style="fg:ansired", **io)


def secret(message: str, check: Check | None = None, **io: Any) -> str:
    import questionary

    value: str = _ask(questionary.password(message, validate=_validator(check, False), **io))
    return value


def select(
    message: str,
    choices: Sequence[tuple[str, str] | tuple[str, str, str]],
    default: str | None = None,
    *,
    search: bool = False,
    **io: Any,
) -> str:
    """One of (title, value[, description]) choices, the default preselected."""
    import questionary

    items = [
        questionary.Choice(c[0], value=c[1], description=c[2] if len(c) > 2 else None)
        for c in choices
    ]
    chosen = next((i for i in items if i.value == default), None)
    value: str = _ask(
        questionary.select(
            message,
            choices=items,
            default=chosen,
            use_search_filter=search,
            use_jk_keys=not search,
            use_shortcuts=False,
            **io,
        )
    )
    return value


def confirm(message: str, *, default: bool = True, **io: Any) -> bool:
    import questionary

    value: bool = _ask(questionary.confirm(message, default=default, **io))
    return value


def confirm_or_cancel(message: str, *, default: bool = False, **io: Any) -> None:
    if not confirm(message, default=default, **io):
        raise Cancelled()
