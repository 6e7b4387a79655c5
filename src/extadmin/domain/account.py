"""The Account: the document plus an index by extension number, and the audit entries of the
change being made. Look-ups raise NotFound; nothing here does I/O."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from functools import cached_property
from itertools import islice
from operator import itemgetter, lt
from typing import Any

from extadmin.domain.catalog import SECURITY_QUESTIONS
from extadmin.domain.lazy import Extensions, NumberIndex, user_emails
from extadmin.domain.model import Document, Extension, Site
from extadmin.errors import NotFound


def ref(ext: Extension) -> str:
    """How commands name an extension: its number, or (pulled without one) its platform id."""
    return ext.get("number") or ext["id"]


def label(ext: Extension) -> str:
    """An extension as a person reads it: "101", or "id 62000000001" (pulled without one)."""
    return ext.get("number") or f"id {ext['id']}"


def user_name(user: Mapping[str, Any]) -> str:
    """A user as a person reads it: "Ada Lovelace"."""
    return f"{user['first_name']} {user['last_name']}"


def first_of(items: list[str], most: int, rest: str = "") -> str:
    """The first `most` items, then how many more (`rest` after it): "a, b and 3 more"."""
    left = len(items) - most
    return ", ".join(items[:most]) + (f" and {left} more{rest}" if left > 0 else "")


def number_order(ext: Extension) -> tuple[int, int]:
    """The order extensions are listed in: by number; those pulled without one last, by id."""
    number = ext.get("number")
    return (0, int(number)) if number else (1, int(ext["id"]))


def in_number_order(exts: list[Extension]) -> list[Extension]:
    """Extensions sorted by number_order, with no Python call per extension when they all have
    a number (100,000 in a listing), and no sort when they are in order already (as a file
    whose extensions were added in ranges holds them)."""
    keys = _order_keys(exts)
    if _ordered(keys):
        return list(exts)
    return [exts[i] for i in sorted(range(len(exts)), key=keys.__getitem__)]


def number_span(exts: list[Extension]) -> tuple[Any, ...] | None:
    """The number_order keys of the first and the last of extensions that are in number order
    (comparable across calls), or None when they are not; () for none."""
    keys = _order_keys(exts)
    if not _ordered(keys):
        return None
    if not keys:
        return ()
    first, last = keys[0], keys[-1]
    return (first, last) if isinstance(first, tuple) else ((0, first), (0, last))


def _order_keys(exts: list[Extension]) -> list[Any]:
    """number_order's keys, or, when every extension has a number, the numbers (ordered as
    the keys are, with no Python call per extension)."""
    try:
        return list(map(int, map(itemgetter("number"), exts)))
    except KeyError:
        return list(map(number_order, exts))


def _ordered(keys: list[Any]) -> bool:
    return all(map(lt, keys, islice(keys, 1, None)))


def offboarding_pending(ext: Extension) -> bool:
    """Unassigned in the file while the platform had a user at the last pull: the user's
    offboarding waits for `platform apply --allow-offboard`, and until then the extension takes
    no new user."""
    pulled = ext.get("base", {}).get("status", "unassigned")
    return ext["status"] == "unassigned" and pulled != "unassigned"


def without_code(number: str, code: str) -> str:
    """A number without the site code it starts with: the short number."""
    return number[len(code) :] if code and number.startswith(code) else number


class Account:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.by_site: dict[str, Site] = {s["name"].casefold(): s for s in doc["sites"]}
        self.audit: list[dict[str, Any]] = []
        self.content_digest = ""  # of the file it was read from (the store skips equal saves)

    @cached_property
    def by_number(self) -> MutableMapping[str, Extension]:
        """Built on first use: listing or changing every extension needs no index. Over
        extensions read in runs, the decoder's index: a look-up decodes one run."""
        exts = self.doc["extensions"]
        if isinstance(exts, Extensions) and not exts.changed:
            return NumberIndex(exts)
        return {e["number"]: e for e in exts if "number" in e}

    @cached_property
    def by_id(self) -> dict[str, Extension]:
        """Linked accounts: extensions by platform id."""
        return {e["id"]: e for e in self.doc["extensions"] if "id" in e}

    # --- properties ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.doc["account"]["name"]

    @property
    def country(self) -> str:
        return self.doc["account"]["country"]

    @property
    def locale(self) -> str:
        return self.doc["account"]["locale"]

    @property
    def default_role(self) -> str:
        return self.doc["account"]["default_role"]

    @property
    def extensions(self) -> list[Extension]:
        return self.doc["extensions"]

    @property
    def sites(self) -> list[Site]:
        return self.doc["sites"]

    @property
    def roles(self) -> list[str]:
        return self.doc["roles"]

    @property
    def linked(self) -> bool:
        """Linked to a platform account (`extadmin platform connect`)."""
        return "platform" in self.doc

    def offered_locales(self, setting: str) -> list[str] | None:
        """The locale codes the linked platform offers for a setting ("language", "greeting
        language" or "regional format"), as pulled; None where any known locale goes (not
        linked, or not pulled yet)."""
        languages = self.doc.get("platform", {}).get("languages")
        if not languages:
            return None
        flag = LANGUAGE_FLAGS[setting]
        return [lang["code"] for lang in languages if lang[flag]]  # type: ignore[literal-required]

    @property
    def security_questions(self) -> list[str]:
        return security_questions(self.doc)

    # --- look-ups -----------------------------------------------------------------------------
    def extension(self, number: str) -> Extension:
        """By number, or (linked accounts) by platform id."""
        ext = self.find(number)
        if ext is None:
            raise NotFound(f"extension {number} not found in account {self.name!r}")
        return ext

    def find(self, key: str) -> Extension | None:
        found = self.by_number.get(key)
        if found is None and self.linked:
            found = self.by_id.get(key)
        return found

    def user_emails(self) -> Iterator[tuple[str, str]]:
        """(number, email) of every user (over extensions read in runs, an untouched run's
        from the decoder's index)."""
        exts = self.doc["extensions"]
        if isinstance(exts, Extensions):
            return exts.user_emails()
        return user_emails(exts)

    def site(self, name: str) -> Site:
        site = self.by_site.get(name.strip().casefold())
        if site is not None:
            return site
        known = ", ".join(s["name"] for s in self.sites)
        raise NotFound(f"site {name!r} not found (sites: {known})", "site")

    def site_named(self, name: str | None) -> str | None:
        """The name of the site `name` names (in any case) as the account writes it, to filter
        by: "" when there is no such site (it matches nothing), None when `name` is None or ""
        (no filter, as select's `site`)."""
        if not name:
            return None
        site = self.by_site.get(name.strip().casefold())
        return site["name"] if site else ""

    def main_site(self) -> Site:
        return self.sites[0]

    def role(self, name: str) -> str:
        found = self.role_named(name)
        if not found:
            raise NotFound(f"role {name!r} not found (see `extadmin role list`)", "role")
        return found

    def role_named(self, name: str | None) -> str | None:
        """The role `name` names (in any case) as the account writes it, to filter by: "" when
        there is no such role (it matches nothing), None when `name` is None or "" (no
        filter)."""
        if not name:
            return None
        wanted = name.strip().casefold()
        return next((role for role in self.roles if role.casefold() == wanted), "")

    def short_number(self, ext: Extension) -> str:
        """The number without its site code (on a multi-site account)."""
        return without_code(ext.get("number", ""), self.site(ext["site"]).get("code", ""))

    # --- changes ------------------------------------------------------------------------------
    def add_site(self, site: Site) -> None:
        self.sites.append(site)
        self.by_site[site["name"].casefold()] = site

    def add_extension(self, ext: Extension) -> None:
        self.doc["extensions"].append(ext)
        self.by_number[ext["number"]] = ext

    def remove_extension(self, number: str) -> None:
        ext = self.extension(number)
        self.by_number.pop(ext.get("number", ""), None)
        self.by_id.pop(ext.get("id", ""), None)
        self.doc["extensions"].remove(ext)

    def renumber(self, ext: Extension, new_number: str) -> None:
        self.by_number.pop(ext.get("number", ""), None)
        ext["number"] = new_number
        self.by_number[new_number] = ext

    def record(self, action: str, extension: str | None = None, **changes: Any) -> None:
        """An audit entry for this change (never a secret: callers pass field names or hashes'
        absence, not values of secrets)."""
        entry: dict[str, Any] = {"action": action}
        if extension is not None:
            entry["extension"] = extension
        if changes:
            entry["changes"] = changes
        self.audit.append(entry)


# which flag of the platform's language dictionary a setting needs (a user language needs `ui`)
LANGUAGE_FLAGS = {
    "language": "ui",
    "greeting language": "greeting",
    "regional format": "formatting",
}


def security_questions(doc: Mapping[str, Any]) -> list[str]:
    """The security questions an account offers, numbered as `security-question list` shows
    them: the platform's on a file linked with the credentials API (pulled, with their ids),
    else the shipped ones and the account's own."""
    pulled = doc.get("platform", {}).get("security_questions")
    if pulled:
        return [q["text"] for q in pulled]
    return [*SECURITY_QUESTIONS, *doc.get("security_questions", [])]
