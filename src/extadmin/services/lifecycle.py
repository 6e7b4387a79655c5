"""A user's life after assignment: recording, Engage Voice access, disable/enable, unassign."""

from __future__ import annotations

from collections.abc import Iterable

from extadmin.domain import rules
from extadmin.domain.account import Account
from extadmin.domain.model import EngageVoice, Extension
from extadmin.errors import Conflict, InvalidValue, UsageError
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
    if sum((bool(numbers), site is not None, all_)) != 1:
        raise UsageError("give extension numbers, or --site NAME, or --all (one of them)")
    if numbers:
        return assigned(account, numbers)
    return [e for e in select(account, site=site, ordered=False) if e["status"] != "unassigned"]


def set_recording(
    store: AccountStore, numbers: list[str], site: str | None, all_: bool, direction: str
) -> tuple[int, int]:
    """Automatic call recording of the users named: (how many, how many changed)."""
    direction = rules.recording(direction)
    with store.transaction("set-recording") as account:
        exts = targets(account, numbers, site, all_)
        changed = 0
        for ext in exts:
            user = ext["user"]
            if user["recording"] != direction:
                account.record(
                    "set-recording", ext["number"], recording=direction, previous=user["recording"]
                )
                user["recording"] = direction
                changed += 1
    return len(exts), changed


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
    with store.transaction("engage-voice remove") as account:
        exts = assigned(account, numbers)
        missing = [e["number"] for e in exts if "engage_voice" not in e["user"]]
        if missing:
            raise Conflict(f"extension(s) {', '.join(missing)} have no Engage Voice access")
        for ext in exts:
            del ext["user"]["engage_voice"]
            account.record("engage-voice remove", ext["number"])
    return len(exts)


def unassign(store: AccountStore, number: str) -> None:
    """The extension returns to unassigned; the user's data, credentials, recording and
    Engage Voice access go with the user, and a welcome email still queued goes to nobody.
    The audit log keeps the fact."""
    with store.transaction("unassign") as account:
        ext = assigned(account, [number])[0]
        _unassign(account, ext)
        store.queue_with_save([], void=[ext["number"]])


def _unassign(account: Account, ext: Extension) -> None:
    previous = ext["status"]
    user = ext.pop("user")
    ext["status"] = "unassigned"
    account.record(
        "unassign",
        ext["number"],
        previous_status=previous,
        user=f"{user['first_name']} {user['last_name']}",
        email=user["email"],
        engage_voice_removed="engage_voice" in user,
    )


def set_disabled(store: AccountStore, numbers: list[str], disabled: bool) -> int:
    """Disable users, or enable them again: how many."""
    with store.transaction("disable" if disabled else "enable") as account:
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
