"""Changing an assigned user in place: `users update` (flags or a short walkthrough) and
`bulk-update` (a CSV, all or nothing). The same rules as `assign`, field by field (domain.fields):
email unique across the registered accounts, phones E.164, the site's code in the number. On a
linked file the change is local until `platform apply` sends it (only the fields that changed).

Two phases, as assign: `check()` checks a change against the account (pure; every broken rule at
once), `apply()` writes it and audits old and new values (never a secret: no field of the form
is one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extadmin.domain import fields, rules
from extadmin.domain.account import Account
from extadmin.domain.model import Extension
from extadmin.errors import Collector, Conflict
from extadmin.services import activate, mail, profiles
from extadmin.services.assign import check_email_unique, refuse, target_number
from extadmin.services.directory import EmailIndex, build_index, claiming
from extadmin.storage.outbox import queued_for

if TYPE_CHECKING:
    from extadmin.services.mail import Queued
    from extadmin.storage.store import AccountStore

# what `users update` can change: every field of the form, and the site (the number follows
# its code); the short extension number and the setup option are the assignment's
CHANGEABLE = (*fields.USER_FIELDS, "site")


@dataclass
class Update:
    extension: str  # the number now
    number: str  # the number after the change (a move to another site changes its code)
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # field: (old, new)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"extension": self.number}
        if self.number != self.extension:
            out["renumbered_from"] = self.extension
        out["changes"] = {k: {"old": old, "new": new} for k, (old, new) in self.changes.items()}
        return out


def updatable(account: Account, number: str) -> Extension:
    """An extension with a user, by number (or platform id on a linked file)."""
    ext = account.extension(rules.extension_ref(number))
    if "user" not in ext:
        raise Conflict(
            f"extension {ext.get('number', ext.get('id'))} is unassigned: no user to update "
            f"(`extadmin assign {number}` assigns one)"
        )
    if ext["status"] == "frozen":
        raise Conflict(f"extension {ext['number']} is frozen: only the Admin Portal changes it")
    return ext


def check(
    account: Account,
    number: str,
    given: dict[str, str | None],
    emails: EmailIndex,
    profile: str | None = None,
) -> Update:
    """The change the values given make (None: not given; "" clears an optional field), a
    `profile`'s values in the fields not given (services.profiles); raises every broken rule at
    once. Values equal to the current ones are no change."""
    check = Collector()
    ext = updatable(account, number)
    if profile is not None:
        given = profiles.for_update(account, profile, given)
    user = ext["user"]
    update = Update(ext["number"], ext["number"])
    for f in fields.USER:
        raw = given.get(f.name)
        if raw is None:
            continue
        old = str(user.get(f.name, ""))
        if not raw.strip():
            if f.required or f.always or f.kind == "locale":
                check(refuse, f.said, "cannot be empty (give a value)")
            elif old:
                update.changes[f.name] = (old, "")
            continue
        new = check(f.check, account, raw)
        if new is not None and new != old:
            update.changes[f.name] = (old, new)
    if "email" in update.changes:
        own = (account.name, ext["number"])
        check(check_email_unique, emails, update.changes["email"][1], own)
    site = given.get("site")
    if site is not None and not site.strip():
        check(refuse, "site", "cannot be empty (give a site's name)")
    elif site is not None:
        name = check(lambda: account.site(site)["name"])
        if name is not None and name != ext["site"]:
            moved = check(target_number, account, ext, name, None)
            if moved is not None:
                update.changes["site"] = (ext["site"], name)
                update.number = moved
    check.done()
    return update


def invitation_follows(account: Account, update: Update, outbox: Path) -> bool:
    """An invited user not activated yet, on a file that sends its own welcome emails, whose
    address or number changed (the email went, or goes, to the wrong inbox or with a dead
    link), or whose name changed while the email is still queued in `outbox`: a new
    invitation replaces the old (a new token: the old link dies; the old email, if queued, is
    dropped)."""
    ext = account.extension(update.extension)
    user = ext.get("user", {})
    if account.linked or ext["status"] != "not-activated" or "activation" not in user:
        return False
    moved = update.number != update.extension or "email" in update.changes
    renamed = bool({"first_name", "last_name"} & update.changes.keys())
    return moved or (renamed and queued_for(outbox, update.extension))


def apply(account: Account, update: Update) -> Extension:
    """Write a checked change (the caller holds the lock); its audit entry holds old and new."""
    ext = account.extension(update.extension)
    if update.number != update.extension:
        account.renumber(ext, update.number)
    user: dict[str, Any] = ext["user"]  # type: ignore[assignment]
    for name, (_, new) in update.changes.items():
        if name == "site":
            ext["site"] = new
        elif new:
            user[name] = new
        else:
            user.pop(name, None)
    changes = update.summary()["changes"]
    if update.number != update.extension:
        changes["number"] = {"old": update.extension, "new": update.number}
    account.record("users update", update.number, **changes)
    return ext


def preview(
    store: AccountStore, number: str, given: dict[str, str | None], profile: str | None = None
) -> Update:
    """The change, checked against the account as it is now (nothing locked or written)."""
    account = store.read()
    return check(account, number, given, build_index(account, store.path), profile)


@dataclass
class Updated:
    account: Account
    update: Update
    queued: list[Queued]  # a new invitation's welcome email, once saved
    warnings: list[str]


def run(
    store: AccountStore,
    number: str,
    given: dict[str, str | None],
    dry_run: bool,
    profile: str | None = None,
) -> Updated:
    """`users update`: the change checked and (unless `dry_run`) written in one transaction,
    with every registered account's addresses claimed; a new invitation queued with it when
    the old one can no longer reach the user (invitation_follows)."""
    with claiming(store, "users update") as (account, emails):
        warnings = list(emails.warnings)
        update = check(account, number, given, emails, profile)
        queued: list[Queued] = []
        if update.changes and not dry_run:
            again = invitation_follows(account, update, store.outbox)
            ext = apply(account, update)
            if again:  # the invitation follows the address (a new token; the old one dies)
                invited = activate.send_invite(account, ext)
                void = (update.extension, update.number)
                queueing = mail.queue_on_save(store, account, [invited], void)
                queued, warnings = queueing.queued, warnings + queueing.warnings
    return Updated(account, update, queued, warnings)
