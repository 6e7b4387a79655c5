"""Shell completion: the fixed choices of options (setup options, recording directions,
statuses, locales…) and values from the account (extension numbers, site and role names), each
inserted so that the shell reads it back as one word: `--role Sup<TAB>` gives
`--role Super\\ Admin`.

Called by the shell's completion script (`extadmin --install-completion`), never in an ordinary
run: the account is read only when a TAB asks for it, and nothing is imported here at module
level beyond the standard library. A completion never fails loudly: an account that cannot be
read completes nothing.

Typer's protocol is kept as it is (the script a user installed keeps working); `shells()`
changes how each shell is answered. Typer printed bash's words as they are, and bash's script
puts them on the command line as they are, so `Super Admin` became two arguments: they are
quoted here. zsh and fish quote what they insert themselves (zsh's compadd, fish's
`complete`), but zsh reads Typer's answer as shell text, where an apostrophe was lost, and both
shells were given descriptions wrapped onto a second line."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import typer
from typer._click.shell_completion import CompletionItem, add_completion_class, split_arg_string
from typer._completion_classes import BashComplete, FishComplete, ZshComplete

from extadmin.domain.account import offboarding_pending, ref, security_questions
from extadmin.domain.catalog import LOCALES
from extadmin.services.accounts import account_at

if TYPE_CHECKING:
    from extadmin.domain.account import Account
    from extadmin.domain.model import Extension

Offer = Callable[[typer.Context, str], list[Any]]  # typer's autocompletion: str or (value, help)


def _account(ctx: typer.Context, keep: Callable[[Extension], bool] | None = None) -> Account:
    """The account the command line names (--account, else $EXTADMIN_ACCOUNT, else the
    current one): completion runs before any callback, so --account is read from the root."""
    return account_at(ctx.find_root().params.get("account"), keep)


def _matching(values: Iterable[str], incomplete: str) -> list[str]:
    return [v for v in values if v.startswith(incomplete)]


def _safely(values: Callable[[typer.Context], Iterable[str]]) -> Callable[..., list[str]]:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            return _matching(values(ctx), incomplete)
        except Exception:  # noqa: BLE001 - a TAB must never print a traceback
            return []

    return complete


def _numbers(keep: Callable[[Extension], bool]) -> Callable[[typer.Context], list[str]]:
    def numbers(ctx: typer.Context) -> list[str]:
        return [ref(e) for e in _account(ctx, keep=keep).extensions]

    return numbers


unassigned = _safely(_numbers(lambda e: e["status"] == "unassigned" and not offboarding_pending(e)))
assigned = _safely(_numbers(lambda e: e["status"] != "unassigned"))
sites = _safely(lambda ctx: [s["name"] for s in _account(ctx, keep=lambda e: False).sites])
roles = _safely(lambda ctx: _account(ctx, keep=lambda e: False).roles)


def choices(values: Mapping[str, str] | Sequence[str]) -> Offer:
    """An option's fixed choices (with a description each, shown by zsh and fish, when given as
    a mapping)."""

    def complete(ctx: typer.Context, incomplete: str) -> list[Any]:
        if isinstance(values, Mapping):
            return [(v, text) for v, text in values.items() if v.startswith(incomplete)]
        return _matching(values, incomplete)

    return complete


locales = choices(LOCALES)


def countries(ctx: typer.Context, incomplete: str) -> list[str]:
    """The two-letter codes the phone library knows (the ones `init --country` accepts)."""
    import phonenumbers

    return sorted(_matching(phonenumbers.SUPPORTED_REGIONS, incomplete.upper()))


def _questions(ctx: typer.Context) -> list[str]:
    try:
        return security_questions(_account(ctx, keep=lambda e: False).doc)
    except Exception:  # noqa: BLE001 - a TAB must never print a traceback
        return security_questions({})


def questions(ctx: typer.Context, incomplete: str) -> list[Any]:
    """`--security-question`: the numbers of `security-question list` (each with its question,
    shown by zsh and fish), or once a letter is typed, the questions' text."""
    asked = _questions(ctx)
    if incomplete[:1].isdigit() or not incomplete:
        return [(str(n), q) for n, q in enumerate(asked, 1) if str(n).startswith(incomplete)]
    return _matching(asked, incomplete)


# --- bash: each word quoted as bash reads it ----------------------------------------------------

_PLAIN = re.compile(r"[^\w@%+=:,./-]")  # shlex.quote's safe characters: the rest is escaped


def bash_word(value: str, typed: str) -> str:
    """`value` as bash must insert it in place of the word being completed, `typed` as it was
    typed so far: after an opening quote readline inserts inside the quotes (and closes them),
    so the value goes as the quotes read it; otherwise each character special to bash (a
    space, a parenthesis, a quote…) is escaped with a backslash, as `printf %q` would."""
    if typed.startswith("'"):
        return value.replace("'", "'\\''")
    if typed.startswith('"'):
        return re.sub(r'(["\\$`])', r"\\\1", value)
    return _PLAIN.sub(lambda m: "\\" + m.group(0), value)


def _typed() -> str:
    """The word being completed, as typed (its quotes and backslashes kept): Typer's bash script
    joins COMP_WORDS with newlines; a caller that joins them with spaces is read that way."""
    words = os.environ.get("COMP_WORDS", "")
    split = words.split("\n") if "\n" in words else words.split(" ")
    try:
        return split[int(os.environ.get("COMP_CWORD", ""))]
    except (ValueError, IndexError):
        return ""


# --- zsh: each word quoted as zsh reads the list Typer's protocol answers ---------------------


def zsh_word(text: str) -> str:
    """`text` as one item of the `_arguments '*: :((…))'` list Typer's zsh script evaluates: in
    double quotes (`"`, `\\`, `$` and a backquote escaped; a colon escaped for `_describe`, not a
    separator), inside the single quotes of the whole list (a `'` written `'\\''`: Typer wrote
    `''`, which zsh reads as nothing, so "mother's" was inserted as "mothers"). zsh then
    inserts the value with its own quoting (`Super\\ Admin`)."""
    inner = re.sub(r'(["\\$`])', r"\\\1", text).replace(":", r"\\:")
    return '"' + inner.replace("'", "'\\''") + '"'


def _words(line: str) -> tuple[list[str], str]:
    """The words of a command line before the one being completed, and that one (zsh and fish
    send the line as typed): a line that ends in a space starts a new word, but not when the
    space is escaped or quoted (`--role Standard\\ User\\ ` completes "Standard User ", where
    Typer started a new word)."""
    words = split_arg_string(line)[1:]
    if split_arg_string(line + "_")[1:][-1:] == ["_"]:  # "_" alone: the line ended a word
        return words, ""
    return words[:-1], words[-1] if words else ""


def _one_line(help: str) -> str:
    return " ".join(help.split())


class Bash(BashComplete):
    """bash: each word quoted (`bash_word`)."""

    def format_completion(self, item: CompletionItem) -> str:
        return bash_word(item.value, _typed())


class Zsh(ZshComplete):
    """zsh: each item quoted (`zsh_word`), a description on one line; an escaped space does not
    end the word."""

    def get_completion_args(self) -> tuple[list[str], str]:
        return _words(os.environ.get("_TYPER_COMPLETE_ARGS", ""))

    def format_completion(self, item: CompletionItem) -> str:
        value = zsh_word(item.value)
        return f"{value}:{zsh_word(_one_line(item.help))}" if item.help else value


class Fish(FishComplete):
    """fish: one value a line, its description on the same line; an escaped space does not end
    the word."""

    def get_completion_args(self) -> tuple[list[str], str]:
        return _words(os.environ.get("_TYPER_COMPLETE_ARGS", ""))

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.value}\t{_one_line(item.help)}" if item.help else item.value


def shells() -> None:
    """Register the shells' formats (after Typer registered its own: it does so each time the
    command is built). Typer renders a description with rich, which wraps a long one at 80
    columns: fish then offered the rest of the line as a value of its own."""
    for shell in (Bash, Zsh, Fish):
        add_completion_class(shell, shell.name)
