"""The interactive walkthrough (placeholder until the prompts are written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extadmin.services.assign import Request
    from extadmin.storage.store import AccountStore


def run(store: AccountStore, req: Request, *, confirm: bool) -> Request:
    raise NotImplementedError


def activation(
    store: AccountStore, req: Request, *, token: str | None, invited: bool
) -> tuple[str | None, Request]:
    raise NotImplementedError
