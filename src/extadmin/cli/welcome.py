"""Welcome emails just queued by a save (assign, activate --invite, users update, bulk-assign):
delivered now when a mail server is configured, and what is said of them."""

from __future__ import annotations

from typing import Any

from extadmin.cli.app import App
from extadmin.domain.account import Account
from extadmin.services import mail
from extadmin.services.mail import Queued


def deliver(app: App, account: Account, items: list[Queued]) -> list[Queued]:
    """Deliver queued emails now if a mail server is configured (else they stay queued)."""
    settings = account.doc.get("mail")
    if not items:
        return items
    if settings is None:
        app.say(
            f"welcome email(s) queued in {app.store.outbox}: no mail server is configured; "
            "run `extadmin mail configure`, then `extadmin mail send`"
        )
        return items
    return mail.send(app.store.outbox, settings, items, app.store.lock_timeout)


def delivery(email: dict[str, Any]) -> str:
    """Where a welcome email just queued is: delivered, or queued for `mail send`."""
    return "delivered" if email["delivered"] else "queued (`extadmin mail send`)"


def welcome_email(app: App, account: Account, queued: list[Queued]) -> dict[str, Any]:
    """Deliver the queued welcome email now if a mail server is configured; where it is."""
    item = deliver(app, account, queued)[0]
    configured = "mail" in account.doc
    if configured and item.error:
        app.say(
            f"warning: welcome email queued, not delivered: {item.error} "
            "(retry with `extadmin mail send`)"
        )
    return {
        "to": item.to,
        "file": str(item.path),
        "delivered": configured and item.error is None,
        "error": item.error,
    }
