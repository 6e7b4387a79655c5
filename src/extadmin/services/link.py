"""The platform link's use cases: connect a file to a platform account, pull the platform's
state into it, and say where the link stands. The network is used outside the account lock
(a pull of 50,000 extensions takes longer than other commands wait for the lock); the result
is written in one transaction, after checking that the file did not change meanwhile."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extadmin.domain.account import Account, first_of, ref
from extadmin.domain.catalog import LOCALES
from extadmin.domain.fields import BASE_FIELDS, USER_FIELDS
from extadmin.domain.model import Extension, PlatformLink
from extadmin.errors import (
    AccountFileError,
    Collector,
    Conflict,
    InvalidValue,
    NotFound,
    PlatformError,
    UsageError,
)
from extadmin.platform import mapping
from extadmin.platform import pull as reader
from extadmin.platform.client import (
    ACCOUNT,
    DEFAULT_SERVER,
    LONGEST_WAIT,
    REQUEST_DEADLINE,
    Client,
    Governor,
    check_server,
)
from extadmin.services import accounts
from extadmin.storage import credentials, limits
from extadmin.storage.store import AccountStore, seconds_from_env

SECRET_ENV = ("RINGCENTRAL_CLIENT_SECRET", "RINGCENTRAL_JWT")
SERVER_ENV = "RINGCENTRAL_SERVER"  # the one server the secrets from the environment go to

# Set by the command line: said on standard error while the platform makes a command wait
# (services never print). A wait under a second is not said.
say_wait: Callable[[str], None] | None = None


@dataclass
class AppSecrets:
    client_secret: str = field(repr=False)
    jwt: str = field(repr=False)
    # the server they were given for ($RINGCENTRAL_SERVER for those of the environment): they
    # go to no other, whatever the account file names. None: the caller's own (connect, tests)
    server: str | None = None


def link_of(account: Account) -> PlatformLink:
    if not account.linked:
        raise NotFound(
            f"account {account.name!r} is not linked to a platform account: "
            "run `extadmin platform connect --client-id ID` first"
        )
    return account.doc["platform"]


@contextmanager
def session(server: str, client_id: str, secrets: AppSecrets) -> Iterator[Client]:
    """A client that respects the rate limits the last runs met (storage.limits), and hands
    them on: the token is revoked and the state saved at the end."""
    governor = Governor(longest=seconds_from_env("EXTADMIN_LONGEST_WAIT", LONGEST_WAIT))
    deadline = seconds_from_env("EXTADMIN_REQUEST_DEADLINE", REQUEST_DEADLINE)
    saved = limits.load(server, client_id)
    if saved is not None:
        governor.restore(*saved)
    # handed on at once: a command killed (SIGKILL) right after must not leave the next blind
    governor.on_spent = lambda: limits.save(server, client_id, governor.state())
    governor.on_wait = _said
    client = Client(
        server,
        client_id,
        secrets.client_secret,
        secrets.jwt,
        governor=governor,
        deadline=deadline,
    )
    try:
        yield client
    finally:
        limits.save(server, client_id, governor.state())  # first: nothing may lose it
        # revoked after Ctrl-C and SIGTERM too: one attempt, a short timeout, no rate-limit wait
        client.close()
        limits.save(server, client_id, governor.state())


def _said(left: float, why: str) -> None:
    if say_wait is not None and left >= 1:
        say_wait(f"waiting {math.ceil(left)} s: {why}")


def pinned_server() -> str:
    """The server the secrets from the environment are for: $RINGCENTRAL_SERVER, else the
    default (https://platform.ringcentral.com)."""
    value = os.environ.get(SERVER_ENV) or DEFAULT_SERVER
    try:
        return check_server(value)
    except InvalidValue as exc:
        raise InvalidValue(f"${SERVER_ENV}", exc.rule) from None


def open_session(link: PlatformLink, given: AppSecrets | None) -> AbstractContextManager[Client]:
    """A session with the linked account: the secrets given ($RINGCENTRAL_CLIENT_SECRET and
    $RINGCENTRAL_JWT), else those `platform connect` kept. Either goes only to the server it
    was given for (the account file is shared: its server may have been edited); another one
    is refused before any request."""
    server, client_id = check_server(link["server"]), link["client_id"]
    secrets = given
    if secrets is None:
        kept = credentials.load(server, client_id)
        if kept is None:
            elsewhere = [s for s in credentials.servers(client_id) if s != server]
            hint = f" (they are kept for {', '.join(elsewhere)})" if elsewhere else ""
            raise UsageError(
                f"no credentials kept for client id {client_id} on {server}{hint}: set "
                "$RINGCENTRAL_CLIENT_SECRET and $RINGCENTRAL_JWT, or run `extadmin platform "
                "connect` again with --client-secret-file and --jwt-file"
            )
        secrets = AppSecrets(*kept)
    elif secrets.server is not None and secrets.server != server:
        raise UsageError(
            f"the account file names the server {server}, but the secrets from the environment "
            f"go only to {secrets.server} (${SERVER_ENV}, else the default): nothing was sent; "
            f"if {server} is right, set {SERVER_ENV}={server}, else run `extadmin platform "
            "connect` again"
        )
    return session(server, client_id, secrets)


@dataclass
class Connected:
    account: Account
    account_id: str
    created: bool


def connect(
    path: Path,
    *,
    server: str = DEFAULT_SERVER,
    client_id: str,
    secrets: AppSecrets,
    keep_secrets: bool,
    name: str | None = None,
    credentials_api: bool = False,
) -> Connected:
    """Log in once to prove the credentials, then link the file (a new one if `path` does not
    exist) to the platform account they open. Nothing is written if the login fails."""
    server = check_server(server)
    client_id = client_id.strip()
    if not client_id:
        raise InvalidValue("client id", "is required (the app's client id)")
    if secrets.server is not None and secrets.server != server:
        raise UsageError(
            f"--server {server}, but the secrets from the environment go only to "
            f"{secrets.server} (${SERVER_ENV}): nothing was sent; set {SERVER_ENV}={server}, "
            "or give the secrets as files"
        )
    store = AccountStore(path)
    created = not store.path.exists()
    if not created:
        store.read()  # an unreadable file is refused before any login
    with session(server, client_id, secrets) as client:
        info = reader.account_info(client)
    account_id = str(info.get("id") or "")
    if not account_id.isdigit():
        raise InvalidValue("account id", f"the platform gave no account id ({account_id!r})")
    details = {"server": server, "client_id": client_id, "account_id": account_id}
    link: PlatformLink = {"server": server, "client_id": client_id, "account_id": account_id}
    if credentials_api:
        link["credentials_api"] = True
    if created:
        doc = accounts.new_document(
            name or f"RingCentral account {account_id}", *_country_and_locale(info)
        )
        doc["sites"][0]["id"] = mapping.MAIN_SITE_ID
        doc["platform"] = link
        account = accounts.create(path, doc, "platform connect", **details)
    else:
        with store.transaction("platform connect") as account:
            link_to_same(account, account_id)
            account.main_site().setdefault("id", mapping.MAIN_SITE_ID)
            old = dict(account.doc.get("platform", {}))
            if not credentials_api:  # connected again without it: the platform's questions go
                old = {k: v for k, v in old.items() if k not in CREDENTIALS_API_KEYS}
            account.doc["platform"] = {**old, **link}  # type: ignore[typeddict-item]
            account.record("platform connect", **details)
    if keep_secrets:
        credentials.save(server, client_id, secrets.client_secret, secrets.jwt)
    return Connected(account, account_id, created)


CREDENTIALS_API_KEYS = ("credentials_api", "security_questions")


@dataclass
class Disconnected:
    server: str
    client_id: str
    removed: Path | None  # the file of the secrets kept, now gone; None: none were kept


def disconnect(store: AccountStore) -> Disconnected:
    """Forget the client secret and JWT `connect` kept for the file's server and client id.
    The file stays linked: the next command takes the secrets from the environment, or from
    `connect` run again. (The rate-limit state holds no secret and is kept: it still binds the
    next command.)"""
    link = link_of(store.read())
    server, client_id = link["server"], link["client_id"]
    try:
        server = check_server(server)  # as `connect` kept it
    except InvalidValue:
        pass
    return Disconnected(server, client_id, credentials.remove(server, client_id))


def link_to_same(account: Account, account_id: str | None) -> None:
    """A file linked to one platform account is never relinked to another."""
    if not account.linked:
        return
    linked = account.doc["platform"]["account_id"]
    if account_id is not None and linked != account_id:
        raise Conflict(
            f"account {account.name!r} is linked to platform account {linked}, not "
            f"{account_id}: connect a new file (--account NEW.toml)"
        )


def _country_and_locale(info: dict[str, Any]) -> tuple[str, str]:
    regional = info.get("regionalSettings") or {}
    country = str((regional.get("homeCountry") or {}).get("isoCode") or "US")
    locale = str((regional.get("language") or {}).get("localeCode") or "en-US")
    return (country if len(country) == 2 else "US", locale if locale in LOCALES else "en-US")


@dataclass
class PullResult:
    account_id: str
    extensions: int
    users: int
    sites: int
    roles: int
    languages: int
    changed: int  # extensions added, removed or changed by the pull
    skipped: list[str]
    warnings: list[str]  # what the app may not read, and so was kept from the last pull

    def summary(self) -> dict[str, Any]:
        return {**self.__dict__}


def pull(
    store: AccountStore,
    *,
    secrets: AppSecrets | None = None,
    discard_local: bool = False,
    progress: reader.Progress | None = None,
) -> PullResult:
    """Replace the file's view with the platform's (see the module's docstring). The file is
    read first, a run at a time, for what the pull keeps of it (mapping.Kept), and let go; the
    platform's extensions are mapped as their pages come and kept encoded; under the lock, if
    the file has not changed meanwhile (else it is read so again), the new file is written a
    run of extensions at a time, each checked as it is written: at 100,000 extensions a pull
    holds about the file's size, never its tables."""
    before, kept = _kept(store, discard_local)
    link = link_of(before)
    with open_session(link, secrets) as client:
        snap = reader.snapshot(client, mapping.with_questions(before.doc))
        pulled = mapping.Pulled(snap)
        for page in reader.user_extension_pages(client, progress, warnings=snap.warnings):
            pulled.page(page)
    with store.replacing("platform pull") as replacement:
        if replacement.digest != before.content_digest:  # changed during the pull
            before, kept = _kept(store, discard_local)
            if link_of(before)["account_id"] != link["account_id"]:
                raise Conflict(f"{store.path} was linked to another account during the pull")
        doc = pulled.document(before.doc)
        try:
            account = replacement.write(doc, pulled.extensions(kept))
        except AccountFileError as exc:  # e.g. two extensions given one number meanwhile
            raise PlatformError(
                f"platform: what the platform gave cannot be held in the file "
                f"({exc.message.removeprefix(f'{store.path}: ')}); it may have changed during "
                "the pull: pull again"
            ) from None
        result = PullResult(
            account_id=link["account_id"],
            extensions=pulled.extension_count,
            users=pulled.users,
            sites=len(doc["sites"]),
            roles=len(doc["roles"]),
            languages=len(doc["platform"].get("languages", [])),
            changed=pulled.changed,
            skipped=pulled.skipped,
            warnings=snap.warnings + pulled.warnings,
        )
        summary = {k: v for k, v in result.summary().items() if k not in ("skipped", "warnings")}
        account.record("platform pull", **summary, skipped=len(result.skipped))
    return result


def _kept(store: AccountStore, discard_local: bool) -> tuple[Account, mapping.Kept]:
    """The account file without its extensions, and what a pull keeps of them (read a run at
    a time); refused if it holds local changes (unless they are to be discarded)."""
    kept = mapping.Kept()
    account, _ = store.read_each(kept)
    link_of(account)
    _refuse_local_changes(kept.pending + mapping.unsent_sites(account.sites), discard_local)
    return account, kept


def platform_users(account: Account, email: str, secrets: AppSecrets | None) -> list[str]:
    """The numbers (or ids) of the extensions of the linked platform account that use an
    email address now (verify-email, online). Raises when the platform cannot be asked."""
    link = link_of(account)
    with open_session(link, secrets) as client:
        answer = client.get(f"{ACCOUNT}/extension", email=email) or {}
    found = []
    for record in answer.get("records") or []:
        if isinstance(record, dict) and record.get("status") != "Unassigned":
            found.append(str(record.get("extensionNumber") or record.get("id")))
    return found


def _refuse_local_changes(local: list[str], discard_local: bool) -> None:
    if local and not discard_local:
        shown = first_of(local, 5)
        raise Conflict(
            f"{len(local)} local change(s) not on the platform yet ({shown}): apply them with "
            "`extadmin platform apply`, or pass --discard-local to replace them"
        )


def status(store: AccountStore, account: Account | None = None) -> dict[str, Any]:
    """Where the link stands: the server and ids, the last pull, every local change not on
    the platform yet (`account`: the file as just read, if the caller has it)."""
    account = store.read() if account is None else account
    link = link_of(account)
    last = store.last_audit("platform pull")
    local = mapping.pending(account)
    return {
        "account": account.name,
        "file": str(store.path),
        "server": link["server"],
        "client_id": link["client_id"],
        "platform_account_id": link["account_id"],
        "last_pull": last.get("time") if last else None,
        "pending_changes": len(local),
        "pending": local,
    }


@dataclass
class Dropped:
    """One extension's (or site's) local change, as discarding it drops it: each field with
    the file's value now and the platform's at the last pull (None: no value); `what` says a
    change that is not field by field (an extension or a site added locally: removed)."""

    extension: str
    fields: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    what: str = ""


def local_changes(store: AccountStore) -> list[Dropped]:
    """Every local change not on the platform yet, as `pull --discard-local` drops it."""
    account = store.read()
    link_of(account)
    questions = mapping.with_questions(account.doc)
    out: list[Dropped] = []
    for ext in account.extensions:
        if "id" not in ext:
            out.append(Dropped(ref(ext), what="added locally (not on the platform): removed"))
        elif (dropped := _dropped(ext, questions)).fields:
            out.append(dropped)
    for site in account.sites:
        if "id" not in site:
            out.append(Dropped(f"site {site['name']}", what="added locally: removed"))
    return out


def _dropped(ext: Extension, questions: bool) -> Dropped:
    view, base = mapping.view(ext, questions), mapping.base(ext, questions)
    keys = [k for k in BASE_FIELDS if k in view.keys() | base.keys()]
    return Dropped(
        ref(ext), [(k, view.get(k), base.get(k)) for k in keys if view.get(k) != base.get(k)]
    )


def discard_plan(store: AccountStore, keys: list[str]) -> list[Dropped]:
    """What `platform discard` would drop: each named extension's fields, back to the
    platform's view at the last pull. All or nothing: an extension that is not in the file,
    not on the platform, or without a local change is refused, each said."""
    account = store.read()
    link_of(account)
    return _discarded(account, keys)


def _discarded(account: Account, keys: list[str]) -> list[Dropped]:
    questions = mapping.with_questions(account.doc)
    check = Collector()
    out: list[Dropped] = []
    for key in dict.fromkeys(keys):
        ext = account.find(key)
        dropped = check(_one, ext, key, questions)
        if dropped is not None:
            out.append(dropped)
    check.done()
    return out


def _one(ext: Extension | None, key: str, questions: bool) -> Dropped:
    if ext is None:
        raise NotFound(f"extension {key}: not in the account file")
    if "id" not in ext:
        raise Conflict(
            f"extension {key}: added locally, not on the platform: there is no platform view to "
            f"go back to (remove it with `extadmin extension remove {key}`)"
        )
    dropped = _dropped(ext, questions)
    if not dropped.fields:
        raise NotFound(f"extension {key}: no local change to discard (it is as the last pull)")
    return dropped


def discard(store: AccountStore, keys: list[str], shown: list[Dropped]) -> list[Dropped]:
    """Revert the named extensions to the platform's view at the last pull (their base), in
    one transaction, each recorded in the audit log with what it dropped. `shown`: what the
    caller showed (discard_plan); if the file changed since, nothing is written."""
    with store.transaction("platform discard") as account:
        link_of(account)
        dropped = _discarded(account, keys)
        if dropped != shown:
            raise Conflict(
                f"{store.path} changed while the discard was being confirmed: nothing was "
                "written; run it again"
            )
        questions = mapping.with_questions(account.doc)
        for item in dropped:
            ext = account.find(item.extension)
            assert ext is not None
            _revert(ext, questions)
            if mapping.view(ext, questions) != mapping.base(ext, questions):
                raise Conflict(f"extension {item.extension}: cannot be set back to the last pull")
            account.record(
                "platform discard",
                item.extension,
                dropped={k: [old, new] for k, old, new in item.fields},
            )
    return dropped


def _revert(ext: Extension, questions: bool) -> None:
    """The extension's fields as the platform's view at the last pull (its base); what only
    the file holds (desk phone, and the same user's credentials, setup, Engage Voice access)
    stays, as a pull keeps it."""
    base = mapping.base(ext, questions)
    record: dict[str, Any] = ext  # type: ignore[assignment]
    record.pop("release", None)  # an offboarding undone: the line stays where it is
    for key in ("number", "site", "status"):
        if key in base:
            record[key] = base[key]
        else:
            record.pop(key, None)
    if not any(f in base for f in USER_FIELDS):
        record.pop("user", None)
        return
    user: dict[str, Any] = record.setdefault("user", {})
    if str(user.get("email", "")).casefold() != base.get("email", "").casefold():
        for key in mapping.LOCAL_ONLY:  # another user's: not kept for this one
            user.pop(key, None)
    for key in (*USER_FIELDS, "setup"):
        if key in base:
            user[key] = base[key]
        elif key == "recording":
            user[key] = "off"
        else:
            user.pop(key, None)
    if questions and "security_question" in base:
        user.setdefault("credentials", {})["security_question"] = base["security_question"]
    elif questions:
        user.get("credentials", {}).pop("security_question", None)
