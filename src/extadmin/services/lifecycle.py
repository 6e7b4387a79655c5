"""A user's life after assignment: recording, Engage Voice access, disable/enable, unassign."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from extadmin.domain import rules
from extadmin.domain.account import Account, label, user_name
from extadmin.domain.model import Document, EngageVoice, Extension
from extadmin.errors import (
    Conflict,
    ExtadminError,
    InvalidValue,
    NotFound,
    RowErrors,
    UsageError,
)
from extadmin.services.extensions import select
from extadmin.storage.store import AccountStore, now_iso

ENGAGE_ACCESS = ("agent", "admin", "both")


def assigned(account: Account, numbers: Iterable[str]) -> list[Extension]:
    """The extensions named, all of which must have a user; otherwise nothing is done and the
    error names every unassigned one. A number given twice counts once."""
    unique = dict.fromkeys(rules.extension_number(n) for n in numbers)
    exts = [account.extension(n) for n in unique]
    free = [e["number"] for e in exts if e["status"] == "unassigned"]
    if free:
        raise Conflict(f"extension(s) {', '.join(free)} unassigned: no user to change")
    return exts


def targets(account: Account, numbers: list[str], site: str | None, all_: bool) -> list[Extension]:
    """NUMBER…, or --site NAME (its assigned extensions), or --all (every assigned one)."""
    _one_target(numbers, site, all_)
    if numbers:
        return assigned(account, numbers)
    return [e for e in select(account, site=site, ordered=False) if e["status"] != "unassigned"]


def _one_target(numbers: list[str], site: str | None, all_: bool) -> None:
    if sum((bool(numbers), site is not None, all_)) != 1:
        raise UsageError("give extension numbers, or --site NAME, or --all (one of them)")
    if site is not None and not site.strip():
        raise InvalidValue("site", "must name a site (--all for every assigned user)")


def set_recording(
    store: AccountStore, numbers: list[str], site: str | None, all_: bool, direction: str
) -> tuple[int, int]:
    """Automatic call recording of the users named: (how many, how many changed). For --site
    and --all, each run of the file is changed as it is read (store.transaction's `change`):
    a change to 100,000 users holds the file's text, not its tables."""
    direction = rules.recording(direction)
    _one_target(numbers, site, all_)
    before: dict[str, str] = {}  # number -> recording, of every user changed or not

    def change(doc: Document, exts: list[Extension]) -> bool:
        site_name = Account(doc).site_named(site)
        changed = False
        for ext in exts:
            elsewhere = site_name is not None and ext["site"] != site_name
            if ext["status"] == "unassigned" or elsewhere:
                continue
            user = ext["user"]
            before[ext["number"]] = user["recording"]
            changed |= user["recording"] != direction
            user["recording"] = direction
        return changed

    if numbers:
        with store.transaction("set-recording", lazy=True) as account:
            change(account.doc, assigned(account, numbers))
            return _recorded(account, before, direction)
    with store.transaction("set-recording", change=change) as account:
        if site:
            account.site(site)  # raises NotFound: nothing saved
        return _recorded(account, before, direction)


def _recorded(account: Account, before: dict[str, str], direction: str) -> tuple[int, int]:
    """The audit entries of users whose recording went from `before` to `direction`: (how
    many users, how many changed)."""
    changed = 0
    for number, previous in before.items():
        if previous != direction:
            account.record("set-recording", number, recording=direction, previous=previous)
            changed += 1
    return len(before), changed


def engage_import(
    store: AccountStore, numbers: list[str], access: str, group: str | None, update: bool
) -> int:
    """Give assigned users Engage Voice access (importing them from the account)."""
    with store.transaction("engage-voice import") as account:
        exts = assigned(account, numbers)
        _engage_import(account, exts, access, group, update)
    return len(exts)


def _engage_import(
    account: Account, exts: list[Extension], access: str, group: str | None, update: bool
) -> None:
    access = rules.choice(access, ENGAGE_ACCESS, "access")
    group = rules.text(group, "agent group") or None
    if group and access == "admin":
        raise InvalidValue("agent group", "applies to agents only (--access agent or both)")
    present = [e["number"] for e in exts if "engage_voice" in e["user"]]
    if present and not update:
        raise Conflict(
            f"extension(s) {', '.join(present)} already have Engage Voice access "
            "(pass --update to change it)"
        )
    for ext in exts:
        user = ext["user"]
        record: EngageVoice = {
            "access": access,
            "first_name": user["first_name"],
            "last_name": user["last_name"],
            "email": user["email"],
            "imported_at": now_iso(),
        }
        if group:
            record["agent_group"] = group
        user["engage_voice"] = record
        account.record("engage-voice import", ext["number"], access=access, agent_group=group)


def engage_remove(store: AccountStore, numbers: list[str]) -> int:
    with store.transaction("engage-voice remove", lazy=True) as account:
        exts = assigned(account, numbers)
        missing = [e["number"] for e in exts if "engage_voice" not in e["user"]]
        if missing:
            raise Conflict(f"extension(s) {', '.join(missing)} have no Engage Voice access")
        for ext in exts:
            del ext["user"]["engage_voice"]
            account.record("engage-voice remove", ext["number"])
    return len(exts)


# One user to offboard, as given: (line of the CSV or place among the arguments, extension
# number or "", email or "")
Target = tuple[int, str, str]


@dataclass
class Offboarded:
    """What `unassign` and `bulk-unassign` did (or would do: a dry run), by target: each
    extension as it was before, with its user."""

    extensions: list[tuple[int, Extension]]
    release: bool  # the lines and numbers go back to RingCentral, not to the account
    linked: bool  # the platform has them until `platform apply --allow-offboard`


def unassign(
    store: AccountStore,
    targets: list[Target],
    *,
    release: bool = False,
    dry_run: bool = False,
    from_file: bool = False,
) -> Offboarded:
    """Offboard users, all or none: each extension returns to unassigned (its line and number
    stay with the account), or with `release` leaves the account with its number (on a linked
    file it is marked `release` and leaves at the next apply). The user's data, credentials,
    recording and Engage Voice access go with the user, and a welcome email still queued goes
    to nobody; the audit log keeps the fact. Every problem of every target is raised at once
    (RowErrors, by line `from_file`, else by argument)."""
    with store.transaction("unassign") as account:
        found = _offboarding(account, targets, from_file)
        before = [(line, copy.deepcopy(ext)) for line, ext in found]
        if not dry_run:
            for _, ext in found:
                _unassign(account, ext, release)
            store.queue_with_save([], void=[ext["number"] for _, ext in before])
    return Offboarded(before, release, account.linked)


def _offboarding(
    account: Account, targets: list[Target], from_file: bool
) -> list[tuple[int, Extension]]:
    """The assigned extensions the targets name, each once; every problem of every target."""
    by_email = {rules.email_key(e["user"]["email"]): e for e in account.extensions if "user" in e}
    found: list[tuple[int, Extension]] = []
    seen: dict[str, int] = {}
    errors: list[tuple[int, str, ExtadminError]] = []
    for line, number, email in targets:
        try:
            ext = _target(account, by_email, number, email)
            if ext["number"] in seen:
                where = "line" if from_file else "argument"
                raise Conflict(f"extension {ext['number']} is also {where} {seen[ext['number']]}")
            seen[ext["number"]] = line
            found.append((line, ext))
        except ExtadminError as exc:
            column = exc.field or ("email" if email and not number else "extension")
            errors.append((line, column, exc))
    if errors:
        raise RowErrors(errors, "line" if from_file else "argument")
    return found


def _target(account: Account, by_email: dict[str, Extension], number: str, email: str) -> Extension:
    if not number and not email:
        raise InvalidValue("extension", "give an extension number or an email address")
    ext = account.extension(rules.extension_number(number)) if number else None
    if email:
        owner = by_email.get(rules.email_key(rules.email(email)))
        if owner is None:
            raise NotFound(f"no user of account {account.name!r} has the email {email}", "email")
        if ext is not None and ext is not owner:
            raise Conflict(
                f"{email} is the user of extension {owner['number']}, not of {number}", "email"
            )
        ext = owner
    assert ext is not None
    if ext["status"] == "unassigned":
        raise Conflict(f"extension {label(ext)} is unassigned: no user to offboard")
    if ext["status"] == "frozen":
        raise Conflict(f"extension {ext['number']} is frozen: only the Admin Portal changes it")
    return ext


def _unassign(account: Account, ext: Extension, release: bool = False) -> None:
    previous = ext["status"]
    user = ext.pop("user")
    ext["status"] = "unassigned"
    # released: a local extension leaves the file now; a linked one at the apply that deletes
    # its user on the platform
    leaves = release and "base" not in ext
    account.record(
        "unassign",
        ext["number"],
        previous_status=previous,
        user=user_name(user),
        email=user["email"],
        engage_voice_removed="engage_voice" in user,
        **({"number_released": True} if release else {}),
    )
    if leaves:
        account.remove_extension(ext["number"])
    elif release:
        ext["release"] = True


def set_disabled(store: AccountStore, numbers: list[str], disabled: bool) -> int:
    """Disable users, or enable them again: how many."""
    with store.transaction("disable" if disabled else "enable", lazy=True) as account:
        exts = assigned(account, numbers)
        for ext in exts:
            _set_disabled(account, ext, disabled)
    return len(exts)


def _set_disabled(account: Account, ext: Extension, disabled: bool) -> None:
    if ext["status"] == "frozen":
        raise Conflict(f"extension {ext['number']} is frozen: only the Admin Portal changes it")
    if disabled:
        if ext["status"] == "disabled":
            raise Conflict(f"extension {ext['number']} is already disabled")
        new = "disabled"
    else:
        if ext["status"] != "disabled":
            raise Conflict(f"extension {ext['number']} is {ext['status']}, not disabled")
        # back to enabled if the user has credentials (or was set up on the platform, which
        # holds them), else still waiting for activation
        user = ext["user"]
        new = "enabled" if "credentials" in user or "setup" not in user else "not-activated"
    account.record(
        "disable" if disabled else "enable", ext["number"], status=new, previous=ext["status"]
    )
    ext["status"] = new
