"""The application object every command receives (hatch's Application): the account store,
whether prompting is allowed, and the one way to print messages."""

from __future__ import annotations

import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from extadmin import render
from extadmin.errors import UsageError

if TYPE_CHECKING:
    from extadmin.storage.store import AccountStore


class App:
    def __init__(self, account: str | None) -> None:
        self.account_option = account

    @cached_property
    def account_path(self) -> Path:
        from extadmin.services.accounts import resolve_path

        return resolve_path(self.account_option)

    @cached_property
    def store(self) -> AccountStore:
        from extadmin.services import accounts

        return accounts.store(self.account_path)

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
        from extadmin.cli import prompts

        prompts.confirm_or_cancel(question)

    @staticmethod
    def say(text: str) -> None:
        render.message(text)


def get_app(ctx: typer.Context) -> App:
    app = ctx.find_root().obj
    assert isinstance(app, App)
    return app
