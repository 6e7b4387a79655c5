"""Activation: an invited user activates with the token from the welcome email and sets their
credentials; a user set up "later" is activated by an administrator, who assigns credentials
or sends the invite."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from extadmin.domain import hashing, rules
from extadmin.domain.account import Account
from extadmin.domain.model import Extension
from extadmin.errors import Conflict, InvalidValue
from extadmin.services import mail

if TYPE_CHECKING:
    from extadmin.services.mail import Queued
    from extadmin.storage.store import AccountStore

from extadmin.services.assign import (
    NewCredentials,
    Outcome,
    Request,
    hash_secrets,
    new_activation,
    validate_secrets,
)


def pending(account: Account, number: str) -> Extension:
    """An extension whose user is set up but not activated."""
    ext = account.extension(rules.extension_number(number))
    if ext["status"] != "not-activated":
        raise Conflict(f"extension {ext['number']} is {ext['status']}, not waiting for activation")
    return ext


def check_secrets(account: Account, ext: Extension, req: Request) -> NewCredentials:
    return validate_secrets(
        req, number=ext["number"], user=ext["user"], questions=account.security_questions
    )


def check_token(ext: Extension, token: str) -> None:
    """Single-use and expiring; a refusal changes nothing."""
    activation = ext["user"].get("activation")
    if ext["user"].get("setup") != "invite" or activation is None:
        raise Conflict(
            f"extension {ext['number']} was not invited: an administrator activates "
            "it (`extadmin activate NUMBER` with credentials, or --invite)"
        )
    if not hashing.verify_token(token, activation["token_hash"]):
        raise InvalidValue("token", "does not match the invitation (wrong or already used)")
    if datetime.fromisoformat(activation["expires_at"]) <= datetime.now(UTC):
        raise InvalidValue(
            "token",
            f"expired on {activation['expires_at']}: send a new invite "
            "(`extadmin activate NUMBER --invite`)",
        )


def with_credentials(
    account: Account, ext: Extension, secrets: NewCredentials, how: str
) -> Outcome:
    user = ext["user"]
    user["credentials"] = hash_secrets(secrets)
    user.pop("activation", None)  # the token is spent
    ext["status"] = "enabled"
    account.record("activate", ext["number"], status="enabled", via=how, credentials="set")
    return Outcome(ext)


def send_invite(account: Account, ext: Extension) -> Outcome:
    """Activate later -> Send invite (or a new invitation replacing an old token)."""
    user = ext["user"]
    if user.get("unique_email") is False:
        raise InvalidValue(
            "email",
            "is not unique to this user: an invitation cannot be sent "
            "to it; assign credentials instead",
        )
    token = None
    if account.linked and user.get("setup") == "invite":
        # the platform sent its welcome email when the invitation was applied, and the
        # published API has no way to send it again: nothing would be sent, so nothing is done
        raise Conflict(
            f"extension {ext['number']} is invited already: the platform sends the welcome "
            "email once, when the invitation is applied; nothing to send"
        )
    if not account.linked:  # linked: the platform sends the welcome email at apply
        token, user["activation"] = new_activation(account)
    user["setup"] = "invite"
    expires = user["activation"]["expires_at"] if token else None
    account.record("invite", ext["number"], status=ext["status"], expires_at=expires)
    return Outcome(ext, token)


@dataclass
class Activated:
    account: Account
    outcome: Outcome
    queued: list[Queued] = field(default_factory=list)  # an invitation's email, once saved
    warnings: list[str] = field(default_factory=list)


def invite(store: AccountStore, number: str) -> Activated:
    """`activate --invite`: the invitation sent (a new token; an earlier one dies, and its
    queued email with it), its welcome email queued with the save."""
    with store.transaction("activate", lazy=True) as account:
        outcome = send_invite(account, pending(account, number))
        dead = outcome.extension["number"]
        queueing = mail.queue_on_save(store, account, [outcome], void=(dead,))
    return Activated(account, outcome, queueing.queued, queueing.warnings)


def activate(store: AccountStore, number: str, req: Request, token: str | None) -> Activated:
    """`activate` with credentials: by the user's token if invited, else by an
    administrator; the token checked (single use, expiring) before anything is written."""
    with store.transaction("activate", lazy=True) as account:
        ext = pending(account, number)
        invited = ext["user"].get("setup") == "invite"
        if invited:
            check_token(ext, token or "")
        secrets = check_secrets(account, ext, req)
        outcome = with_credentials(account, ext, secrets, "token" if invited else "administrator")
    return Activated(account, outcome)
