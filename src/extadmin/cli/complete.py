"""Shell completion of values from the account: extension numbers, site and role names.

Called by the shell's completion script (`extadmin --install-completion`), never in an ordinary
run: the account is read only when a TAB asks for it, and nothing is imported here at module
level beyond the standard library. A completion never fails loudly: an account that cannot be
read completes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import typer

from extadmin.domain.account import ref
from extadmin.services.accounts import account_at

if TYPE_CHECKING:
    from extadmin.domain.account import Account
    from extadmin.domain.model import Extension


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


def _numbers(status: Callable[[str], bool]) -> Callable[[typer.Context], list[str]]:
    def numbers(ctx: typer.Context) -> list[str]:
        account = _account(ctx, keep=lambda e: status(e["status"]))
        return [ref(e) for e in account.extensions]

    return numbers


unassigned = _safely(_numbers(lambda s: s == "unassigned"))
assigned = _safely(_numbers(lambda s: s != "unassigned"))
sites = _safely(lambda ctx: [s["name"] for s in _account(ctx, keep=lambda e: False).sites])
roles = _safely(lambda ctx: _account(ctx, keep=lambda e: False).roles)
