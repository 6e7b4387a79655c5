"""Sites and extensions: add, remove, list."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from extadmin.domain import rules
from extadmin.domain.account import (
    Account,
    in_number_order,
    label,
    number_span,
    offboarding_pending,
    ref,
)
from extadmin.domain.model import Device, Document, Extension, Site
from extadmin.errors import Conflict, InvalidValue, UsageError

if TYPE_CHECKING:
    from extadmin.storage.store import AccountStore


def add_site(store: AccountStore, name: str, code: str = "") -> Site:
    with store.transaction("site add", lazy=True) as account:
        return _add_site(account, name, code)


def _add_site(account: Account, name: str, code: str) -> Site:
    name = rules.text(name, "site name", required=True)
    if name.casefold() in account.by_site:
        raise Conflict(f"site {name!r} already exists")
    site: Site = {"name": name}
    if code:
        site["code"] = rules.site_code(code)
        if any(s.get("code") == site["code"] for s in account.sites):
            raise Conflict(f"site code {code} is already used by another site")
    account.add_site(site)
    account.record("site add", **site)
    return site


def check_number_for_site(account: Account, number: str, site: Site) -> None:
    """On a site with a code, the full number is the code followed by the short number."""
    code = site.get("code", "")
    if code and not (number.startswith(code) and len(number) > len(code)):
        raise InvalidValue(
            "extension",
            f"{number} must start with site code {code} of site {site['name']!r} "
            "(the full number is the site code followed by the short number)",
        )


def add_extensions(
    store: AccountStore,
    numbers: Iterable[str],
    site_name: str | None = None,
    model: str | None = None,
    mac: str | None = None,
) -> list[Extension]:
    """Add unassigned extensions; all or none (a number in use is a conflict, nothing added)."""
    with store.transaction("extension add") as account:
        return _add_extensions(account, numbers, site_name, model, mac)


def _add_extensions(
    account: Account,
    numbers: Iterable[str],
    site_name: str | None,
    model: str | None,
    mac: str | None,
) -> list[Extension]:
    site = account.site(site_name) if site_name else account.main_site()
    wanted: list[str] = []
    for item in numbers:
        wanted.extend(rules.extension_range(item))
    device: Device | None = None
    if model is not None or mac is not None:
        if model is None:
            raise UsageError("a MAC address needs a device model: pass --device MODEL")
        device = {"model": rules.device_model(model)}
        if mac:
            device["mac"] = rules.mac_address(mac)
            if len(wanted) > 1:
                raise InvalidValue("mac", "one MAC address cannot go on several extensions")
            in_use = [
                label(e)
                for e in account.extensions
                if e.get("device", {}).get("mac") == device["mac"]
            ]
            if in_use:
                raise Conflict(f"MAC address {device['mac']} is already on extension {in_use[0]}")
    seen: set[str] = set()
    for number in wanted:
        check_number_for_site(account, number, site)
        if number in seen:
            raise Conflict(f"extension {number} is given twice: nothing was added")
        if number in account.by_number:
            raise Conflict(f"extension {number} already exists")
        seen.add(number)
    added = []
    for number in wanted:
        ext: Extension = {"number": number, "site": site["name"], "status": "unassigned"}
        if device is not None:
            ext["device"] = dict(device)  # type: ignore[typeddict-item]
        account.add_extension(ext)
        account.record("extension add", number, site=site["name"], device=ext.get("device"))
        added.append(ext)
    return added


def removable(account: Account, numbers: list[str]) -> list[str]:
    """The numbers given (each once), every one checked: an unassigned extension that was never
    on the platform."""
    numbers = list(dict.fromkeys(n.strip() for n in numbers))
    for number in numbers:
        _remove(account, number)
    return numbers


def remove_extensions(store: AccountStore, numbers: list[str]) -> list[str]:
    """Remove unassigned extensions: all or none."""
    with store.transaction("extension remove") as account:
        return removable(account, numbers)


def _remove(account: Account, number: str) -> Extension:
    ext = account.find(number.strip()) or account.extension(rules.extension_number(number))
    number = ref(ext)
    if "id" in ext:
        raise Conflict(
            f"extension {label(ext)} is on the platform: remove it in the Admin Portal, "
            "then `extadmin platform pull`"
        )
    if ext["status"] != "unassigned":
        raise Conflict(
            f"extension {number} is {ext['status']}: unassign the user first (`extadmin unassign`)"
        )
    account.remove_extension(number)
    account.record("extension remove", number)
    return ext


def select(
    account: Account,
    *,
    status: str | None = None,
    site: str | None = None,
    device: bool | None = None,
    ordered: bool = True,
) -> list[Extension]:
    """Extensions filtered by status, site and whether they have a desk phone, in number order
    (or, for a change to all of them, in the file's order: sorting 100,000 costs a tenth of
    the change)."""
    site_name = account.site(site)["name"] if site else None
    found = _matching(account.extensions, status, site_name, device)
    return in_number_order(found) if ordered else found


def _matching(
    exts: list[Extension], status: str | None, site_name: str | None, device: bool | None
) -> list[Extension]:
    if status is None and site_name is None and device is None:
        return list(exts)
    return [
        e
        for e in exts
        if (status is None or e["status"] == status)
        and (site_name is None or e["site"] == site_name)
        and (device is None or ("device" in e) == device)
    ]


def free(
    account: Account, *, site: str | None = None, device: bool | None = None
) -> tuple[list[Extension], int]:
    """The extensions a user can be assigned to (list-unassigned, the walkthrough's choice), in
    number order, and how many more are unassigned in the file but wait for their offboarding
    to be applied (offboarding_pending)."""
    return _free(account, select(account, status="unassigned", site=site, device=device))


def _free(account: Account, unassigned: list[Extension]) -> tuple[list[Extension], int]:
    if not account.linked:
        return unassigned, 0
    free = [e for e in unassigned if not offboarding_pending(e)]
    return free, len(unassigned) - len(free)


Rows = Callable[[Account, list[Extension]], list[dict[str, Any]]]  # a listing's rows


@dataclass
class Listing:
    account: Account  # without its extensions: its other tables, checked
    parts: list[Any]  # what `part` made of the rows, in number order
    pending: int  # unassigned extensions left out: their offboarding waits (free)


def listing(
    store: AccountStore,
    rows: Rows,
    part: Callable[[list[dict[str, Any]]], Any],
    *,
    status: str | None = None,
    site: str | None = None,
    device: bool | None = None,
    free: bool = False,
) -> Listing:
    """The `rows` of the extensions `select` selects (`free`: as free() does), given to `part`
    a run of the file at a time as it is read (store.read_each), so that a listing of 100,000
    extensions holds what `part` makes of them (the text it prints), not their tables and
    rows. A file whose extensions are not in number order is read again, the selection sorted
    whole. Raises NotFound for a site that does not exist."""
    status = "unassigned" if free else status
    where = ("status", status) if status else None
    unordered = False

    def each(doc: Document, exts: list[Extension]) -> tuple[Any, int, Any]:
        nonlocal unordered
        account = Account(doc)
        found = _matching(exts, None, account.site_named(site), device)  # `where`: the status
        found, pending = _free(account, found) if free else (found, 0)
        span = None if unordered else number_span(found)
        if span is None:  # listed again whole: no need for rows
            unordered = True
            return None, pending, None
        return span, pending, part(rows(account, found))

    account, runs = store.read_each(each, where)
    if site:
        account.site(site)  # raises NotFound, extensions or none
    spans = [span for span, _, _ in runs if span != ()]
    if not unordered and all(a[1] < b[0] for a, b in pairwise(spans)):
        made = [made for _, _, made in runs]
        return Listing(account, made, sum(pending for _, pending, _ in runs))
    whole = store.read(where=where)
    found = select(whole, status=status, site=site, device=device)
    found, pending = _free(whole, found) if free else (found, 0)
    return Listing(account, [part(rows(whole, found))], pending)
