"""Profiles (issue 26): named sets of assignment defaults kept in the account file's `profiles`:
a setup option, a site, the form's fields declared `profile` (domain.fields.PROFILE_FIELDS) and
Engage Voice access. A profile may be the default of a site: a bare `assign` on that site's
extensions starts from it.

Every value is checked by the same rules as `assign` when the profile is saved, and again when it
is used: a role or site removed since (a pull, a hand edit) is then an error naming the profile,
with the exit code of the value's own error (4 for a role or site not found, 3 for a broken
rule). Which values win: what the admin gives for this user (a flag, a CSV cell, an answer),
then the profile, then `assign`'s own defaults. Profiles are local: an assignment stores the
values a profile produced, never the profile (the audit log records its name)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from extadmin.domain import rules
from extadmin.domain.account import Account
from extadmin.domain.catalog import ENGAGE_ACCESS
from extadmin.domain.fields import BY_NAME, PROFILE_FIELDS
from extadmin.domain.model import Profile
from extadmin.errors import Collector, Conflict, ExtadminError, InvalidValue, NotFound, Problems

if TYPE_CHECKING:
    from extadmin.storage.store import AccountStore

R = TypeVar("R")  # a request (services.assign.Request): its fields are named as a profile's

# what `users update --profile` re-applies: a user's own fields and the site (the setup option
# and Engage Voice access are the assignment's)
UPDATABLE = tuple(n for n in PROFILE_FIELDS if n in BY_NAME or n == "site")


class ProfileBroken(ExtadminError):
    """A value of a profile that breaks its rule now (a role or site removed since the profile
    was saved): its own error, naming the profile, with its exit code."""

    def __init__(self, profile: str, exc: ExtadminError) -> None:
        super().__init__(
            f"profile {profile!r}: {exc.message} (change it: `extadmin profile update "
            f"{profile} --{(exc.field or 'FIELD').replace('_', '-').replace(' ', '-')} …`)",
            "profile",
        )
        self.exit_code = exc.exit_code


def check_value(account: Account, name: str, raw: str) -> str:
    """One value of a profile as the file stores it, by `assign`'s rule for that field."""
    if name == "setup":
        return rules.setup_option(raw)
    if name == "site":
        return account.site(raw)["name"]
    if name == "engage_voice":
        return rules.choice(raw, ENGAGE_ACCESS, "engage voice")
    return BY_NAME[name].check(account, raw)


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def find(account: Account, name: str) -> Profile:
    for profile in account.doc.get("profiles", []):
        if profile["name"].casefold() == name.strip().casefold():
            return profile
    raise NotFound(f"profile {name!r} not found (see `extadmin profile list`)", "profile")


def default_of(account: Account, site: str) -> Profile | None:
    """The default profile of a site (by its name, ignoring case), if it has one."""
    key = site.strip().casefold()
    for profile in account.doc.get("profiles", []):
        if profile.get("default_for_site", "").strip().casefold() == key:
            return profile
    return None


def values(
    account: Account, profile: Profile, names: tuple[str, ...] = PROFILE_FIELDS
) -> dict[str, str]:
    """The profile's values of `names` (those it holds), each checked again against the account
    as it is now; every broken one raised naming the profile."""
    check = Collector()
    got: dict[str, str] = {}
    for name in names:
        if name in profile:
            value = check(check_value, account, name, profile[name])
            if value is not None:
                got[name] = value
    try:
        check.done()
    except ExtadminError as exc:
        broken = exc.problems if isinstance(exc, Problems) else [exc]
        wrapped = [ProfileBroken(profile["name"], p) for p in broken]
        raise wrapped[0] if len(wrapped) == 1 else Problems(list(wrapped)) from None
    return got


def _target_site(account: Account, req: Any) -> str | None:
    """The site an assignment goes to, as far as the request tells: its --site, else its
    extension's (None while either names nothing: the request's own check reports it)."""
    try:
        if _given(req.site):
            return account.site(req.site)["name"]
        number = (req.extension or "").strip()
        ext = account.find(number) or account.find(rules.extension_number(number))
    except ExtadminError:
        return None
    return ext["site"] if ext is not None else None


def chosen(account: Account, req: Any) -> Profile | None:
    """The profile a request starts from: the one it names; "" none; not given (None), the
    default profile of the site it goes to, if that site has one."""
    if req.profile is None:
        site = _target_site(account, req)
        return default_of(account, site) if site else None
    if not req.profile.strip():
        return None
    return find(account, req.profile)


def fill(account: Account, req: R) -> R:
    """The request with its profile's values in the fields it leaves out (None: a flag not
    given, a CSV cell left empty; "" given on purpose stays), checked again; its `profile` the
    name of the profile used ("" for none). The same request again is the same request."""
    profile = chosen(account, req)
    if profile is None:
        return req
    wanted = tuple(n for n in PROFILE_FIELDS if getattr(req, n) is None)
    return replace(req, profile=profile["name"], **values(account, profile, wanted))  # type: ignore[type-var]


def prefill(store: AccountStore, req: R) -> R:
    """`fill`, against the account as it is now (nothing locked or written): what the flags
    and the profile give together, before a missing value is reported."""
    return fill(store.read(), req)


def for_update(
    account: Account, name: str, given: Mapping[str, str | None]
) -> dict[str, str | None]:
    """`users update --profile`: the fields given, and the profile's user fields and site in
    those not given."""
    got = values(account, find(account, name), UPDATABLE)
    return {**given, **{k: v for k, v in got.items() if given.get(k) is None}}


# --- the commands -------------------------------------------------------------------------------


@dataclass
class Saved:
    profile: Profile
    changes: dict[str, tuple[str, str]]  # field: (old, new); all new for `add`


def _name(name: str) -> str:
    return rules.text(name, "profile name", required=True)


def _checked(
    account: Account, given: Mapping[str, str | None], default_for_site: str | None, name: str
) -> dict[str, str]:
    """The values given, each checked by `assign`'s rule ("" clears one); every broken rule at
    once."""
    check = Collector()
    out: dict[str, str] = {}
    for key, raw in given.items():
        if raw is None:
            continue
        if key not in PROFILE_FIELDS:
            raise InvalidValue(key.replace("_", " "), "a profile does not hold it")
        value = check(check_value, account, key, raw) if raw.strip() else ""
        if value is not None:
            out[key] = value
    if default_for_site is not None:
        site = (
            check(lambda: account.site(default_for_site)["name"])
            if default_for_site.strip()
            else ""
        )
        if site is not None:
            out["default_for_site"] = site
            other = default_of(account, site) if site else None
            if other is not None and other["name"].casefold() != name.casefold():
                check(
                    _refuse_conflict,
                    f"site {out['default_for_site']!r} already has a default profile, "
                    f"{other['name']!r} (`extadmin profile update {other['name']} "
                    "--default-for-site ''` first)",
                )
    check.done()
    return out


def _refuse_conflict(message: str) -> None:
    raise Conflict(message, "default for site")


def _keyed(profile: Profile) -> Profile:
    """The profile's keys in one order: name, the fields' order, then its site default."""
    order = ("name", *PROFILE_FIELDS, "default_for_site")
    return {k: profile[k] for k in order if profile.get(k)}


def _profiles(account: Account) -> list[Profile]:
    """The account's profiles list, made (before the extensions, in the file) if it has none."""
    doc: dict[str, Any] = account.doc  # type: ignore[assignment]
    if "profiles" not in doc:
        rest = {k: doc.pop(k) for k in list(doc) if k == "extensions"}
        doc["profiles"] = []
        doc.update(rest)
    profiles: list[Profile] = doc["profiles"]
    return profiles


def add(
    store: AccountStore,
    name: str,
    given: Mapping[str, str | None],
    default_for_site: str | None = None,
) -> Saved:
    """`profile add`: a new profile, every value checked by `assign`'s rules."""
    name = _name(name)
    with store.transaction("profile add") as account:
        try:
            find(account, name)
        except NotFound:
            pass
        else:
            raise Conflict(
                f"profile {name!r} already exists (`extadmin profile update` changes it)"
            )
        checked = {k: v for k, v in _checked(account, given, default_for_site, name).items() if v}
        profile = _keyed({"name": name, **checked})
        _profiles(account).append(profile)
        account.record("profile add", None, profile=name, **checked)
    return Saved(profile, {k: ("", v) for k, v in checked.items()})


def update(
    store: AccountStore,
    name: str,
    given: Mapping[str, str | None],
    default_for_site: str | None = None,
) -> Saved:
    """`profile update`: the values given replace the profile's ("" removes one), each checked
    by `assign`'s rules; the others kept as they are."""
    with store.transaction("profile update") as account:
        profile = find(account, name)
        checked = _checked(account, given, default_for_site, profile["name"])
        changes = {
            k: (profile.get(k, ""), v) for k, v in checked.items() if v != profile.get(k, "")
        }
        if changes:
            new = _keyed({**profile, **{k: v for k, (_, v) in changes.items()}})
            profile.clear()
            profile.update(new)
            account.record(
                "profile update",
                None,
                profile=profile["name"],
                **{k: {"old": old, "new": new} for k, (old, new) in changes.items()},
            )
    return Saved(profile, changes)


def remove(store: AccountStore, name: str) -> Profile:
    """`profile remove`: the profile goes; the users assigned from it keep their values."""
    with store.transaction("profile remove") as account:
        profile = find(account, name)
        profiles = _profiles(account)
        profiles.remove(profile)
        if not profiles:
            del account.doc["profiles"]
        account.record("profile remove", profile=profile["name"])
    return profile


def problems(account: Account, profile: Profile) -> list[str]:
    """What in a profile no longer holds (a role or site removed since): `profile list` and
    `show` say it before an assignment fails on it."""
    check = Collector()
    for name in PROFILE_FIELDS:
        if name in profile:
            check(check_value, account, name, profile[name])
    site = profile.get("default_for_site")
    if site:
        check(account.site, site)
    return [p.message for p in check.problems]
