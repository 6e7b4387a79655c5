"""Creating, registering and choosing account files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from extadmin.domain import rules
from extadmin.domain.account import Account
from extadmin.domain.catalog import DEFAULT_ROLE, PREDEFINED_ROLES
from extadmin.domain.model import SCHEMA_VERSION, Document, Site
from extadmin.errors import ExtadminError, InvalidValue, NotFound
from extadmin.storage import files, registry
from extadmin.storage.store import AccountStore

MAIN_SITE = "Main Site"


def country_code(value: str) -> str:
    import phonenumbers

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidValue("country", f"{value!r} is not a two-letter country code (US, GB, FR)")
    return code


def new_document(
    name: str,
    country: str = "US",
    locale: str = "en-US",
    site_code: str = "",
    activation_url: str = "",
) -> Document:
    """A new account: the predefined roles and a main site, no extensions."""
    main_site: Site = {"name": MAIN_SITE}
    if site_code:
        main_site["code"] = rules.site_code(site_code)
    doc: Document = {
        "schema_version": SCHEMA_VERSION,
        "account": {
            "name": rules.text(name, "name", required=True),
            "country": country_code(country),
            "locale": rules.locale(locale, "locale"),
            "default_role": DEFAULT_ROLE,
        },
        "sites": [main_site],
        "roles": list(PREDEFINED_ROLES),
        "extensions": [],
    }
    if activation_url:
        doc["account"]["activation_url"] = rules.activation_url(activation_url)
    return doc


def init(
    path: Path,
    name: str,
    country: str = "US",
    locale: str = "en-US",
    site_code: str = "",
    activation_url: str = "",
) -> Account:
    return create(path, new_document(name, country, locale, site_code, activation_url))


def set_activation_url(store: AccountStore, url: str) -> str:
    """The page the activation links of welcome emails queued from now on point to."""
    url = rules.activation_url(url)
    with store.transaction("account set") as account:
        account.doc["account"]["activation_url"] = url
        account.record("account set", activation_url=url)
    return url


def create(path: Path, doc: Document, action: str = "init", **details: str) -> Account:
    """Write a new account file, register it and make it the current account."""
    account = AccountStore(path).create(doc, action, **details)
    registry.register(path)
    registry.set_current(path)
    return account


def resolve_path(option: str | None) -> Path:
    """--account, else EXTADMIN_ACCOUNT, else the current account in the user config dir."""
    value = option or os.environ.get("EXTADMIN_ACCOUNT") or None
    path = Path(value) if value else registry.current()
    if path is None:
        raise NotFound(
            "no account file: create one with `extadmin init PATH --name NAME`, "
            "or pass --account PATH / set EXTADMIN_ACCOUNT"
        )
    return path


def add(path: Path) -> bool:
    AccountStore(path).read()  # only readable account files are registered
    return registry.register(path)


def convert(source: Path, target: Path) -> bool:
    """Copy an account into a new file of the other format (TOML <-> JSON), under the source's
    lock so no change is lost, checked like any load. If the source was registered, the copy
    takes its place (and becomes current if the source was). The source is left as it was."""
    store = AccountStore(source)
    with store.transaction("convert") as account:  # records nothing: the source is unchanged
        AccountStore(target).create(account.doc, "convert", source=str(store.path))
    return registry.replace(store.path, target)


def store(path: Path) -> AccountStore:
    """The store of an account file (every command's way to it)."""
    return AccountStore(path)


def listed() -> list[dict[str, object]]:
    """The registered accounts: path, name (None if unreadable, with the error), current."""
    current = registry.current()
    rows: list[dict[str, object]] = []
    for path in registry.registered():
        try:
            name, error = AccountStore(path).read().name, None
        except ExtadminError as exc:
            name, error = None, exc.message
        rows.append({"path": str(path), "name": name, "current": path == current, "error": error})
    return rows


def forget(path: Path) -> None:
    if not registry.forget(path):
        raise NotFound(f"{path} is not a registered account")


def use(path: Path) -> None:
    """Make an account file the current one (registered first)."""
    add(path)
    registry.set_current(path)


def others(path: Path | None) -> list[Path]:
    """The registered accounts besides this one (registered paths are absolute)."""
    path = path.resolve() if path else None
    return [p for p in registry.registered() if p != path]


def written() -> list[Path]:
    """The files this command has written so far (the first is the account): what a command
    cut short may have left part of its work in."""
    return files.WRITTEN


def account_at(ctx_account: str | None, keep: Any = None) -> Account:
    """The account a command line names (--account, else $EXTADMIN_ACCOUNT, else current)."""
    return AccountStore(resolve_path(ctx_account)).read(keep=keep)
