"""The application object every command receives (hatch's Application): the account store,
whether prompting is allowed, the terminal's prompter, and the one way to print messages."""

from __future__ import annotations

import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from extadmin import render
from extadmin.errors import UsageError

if TYPE_CHECKING:
    from extadmin.cli.prompts import Prompter
    from extadmin.storage.store import AccountStore


class App:
    def __init__(self, account: str | None, prompter: Prompter | None = None) -> None:
        self.account_option = account
        if prompter is not None:  # a test's; else the terminal's, made when first asked
            self.prompter = prompter

    @cached_property
    def account_path(self) -> Path:
        from extadmin.services.accounts import resolve_path

        return resolve_path(self.account_option)

    @cached_property
    def store(self) -> AccountStore:
        from extadmin.services import accounts

        return accounts.store(self.account_path)

    @cached_property
    def prompter(self) -> Prompter:
        """The terminal's prompts (questionary is loaded only once one is shown)."""
        from extadmin.cli.prompts import Prompter

        return Prompter()

    @staticmethod
    def can_prompt(no_input: bool = False) -> bool:
        """Prompt only when stdin and stdout are terminals and --no-input is not given."""
        return not no_input and sys.stdin.isatty() and sys.stdout.isatty()

    def confirm(self, question: str, *, yes: bool, no_input: bool = False) -> None:
        """Ask before a destructive change; without a terminal, --yes is required."""
        if yes:
            return
        if not self.can_prompt(no_input):
            raise UsageError(f"{question} Pass --yes to confirm without a prompt.")
        self.prompter.confirm_or_cancel(question)

    @staticmethod
    def say(text: str) -> None:
        render.message(text)


def get_app(ctx: typer.Context) -> App:
    app = ctx.find_root().obj
    assert isinstance(app, App)
    return app
