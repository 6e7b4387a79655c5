"""Between the platform's records and the account file's: one place for every field's mapping
(docs/platform.md, "Field mapping"). Pure: no I/O."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from extadmin.domain import fields, rules
from extadmin.domain.account import Account, number_order, ref
from extadmin.domain.catalog import PLATFORM_STATUSES, RECORDING_PLATFORM
from extadmin.domain.fields import BASE_FIELDS
from extadmin.domain.model import Document, Extension, Language, QuestionId, RoleId, Site

MAIN_SITE_ID = "main-site"
SITE_CODE = re.compile(r"[1-9][0-9]{0,4}")  # rules.site_code, as the file holds it
EXTENSION_ID = re.compile(r"[0-9]{1,19}")  # an int64, as the file holds it (schema._ID)
DIRECTIONS = {platform: local for local, platform in RECORDING_PLATFORM.items() if platform}

# the platform's contact fields and the user's, in the order of the form (domain.fields)
CONTACT = fields.CONTACT
# kept from the local file across a pull: what the platform's list does not hold
LOCAL_ONLY = ("setup", "unique_email", "created_at", "credentials", "activation", "engage_voice")
LANGUAGE_FIELDS = ("language", "greeting_language", "regional_format")


def view(ext: Extension, questions: bool) -> dict[str, str]:
    """What a linked extension holds that the platform holds too (catalog.BASE_FIELDS): the
    pulled base is this view at the pull, and any difference is a local change. The security
    question only where the link can set it (`questions`: with_questions(doc)): the published
    API cannot, and a user then sets theirs at first login."""
    user = ext.get("user", {})
    fields: dict[str, Any] = {**ext, **user}
    if questions:
        fields["security_question"] = user.get("credentials", {}).get("security_question")
    if fields.get("recording") == "off":
        del fields["recording"]  # off is the absence of recording: an unassigned one has none
    return {f: fields[f] for f in BASE_FIELDS if fields.get(f) not in ("", None)}


def base(ext: Extension, questions: bool) -> dict[str, str]:
    """The pulled base, on the fields `view` holds: a base written while the link still
    tracked the security question (before issue 21, or with --credentials-api) keeps one, which
    is then no change."""
    kept = ext.get("base", {})
    if questions or "security_question" not in kept:
        return kept
    return {k: v for k, v in kept.items() if k != "security_question"}


def with_questions(doc: Document) -> bool:
    """The link sets security questions: an app RingCentral granted its credentials API
    (`platform connect --credentials-api`; not in the published definition)."""
    return bool(doc.get("platform", {}).get("credentials_api"))


def question_ids(doc: Document) -> dict[str, str]:
    """The platform's security question ids by text (casefolded), as pulled."""
    pulled = doc.get("platform", {}).get("security_questions", [])
    return {q["text"].casefold(): q["id"] for q in pulled}


def pending(account: Account) -> list[str]:
    """The local changes of a linked account not yet on the platform: extensions added or
    changed since the pull (by number or id), and sites added."""
    kept = Kept()
    kept(account.doc, account.extensions)
    return kept.pending + unsent_sites(account.sites)


def changed_locally(ext: Extension, questions: bool) -> bool:
    """Added or changed since the pull: not on the platform as the file holds it."""
    return "id" not in ext or view(ext, questions) != base(ext, questions)


def unsent_sites(sites: list[Site]) -> list[str]:
    """The sites added locally, not on the platform yet."""
    return [f"site {s['name']}" for s in sites if "id" not in s]


@dataclass
class Snapshot:
    """What a pull reads from the platform before the extensions, as the platform gives it."""

    sites: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    default_role_id: str | None = None
    languages: list[dict[str, Any]] = field(default_factory=list)
    questions: list[dict[str, Any]] | None = None  # security questions (credentials API only)
    warnings: list[str] = field(default_factory=list)  # what could not be read, and so kept
    recording: dict[str, str] = field(default_factory=dict)  # extension id -> callDirection


_DIGEST = 16  # bytes of a view's digest (Kept)


def _digest(fields: dict[str, str]) -> bytes:
    return hashlib.blake2b(_encode(fields), digest_size=_DIGEST).digest()


class Kept:
    """What a pull keeps of the account file's extensions, taken as the file is read, a run at
    a time (the store's `each`), so that the file is let go before the platform is read: for
    each extension, by id, a digest of its view (to count what the pull changes) and what only
    the file holds (_local, encoded: most pulled extensions hold nothing of the kind); and the
    local changes not on the platform yet. Given a run again (the file read again whole), it
    holds each once."""

    def __init__(self) -> None:
        self.by_id: dict[str, bytes] = {}  # id -> view digest + _local's JSON
        self.added: set[str] = set()  # the numbers of those added locally (no id)
        self._pending: dict[tuple[str, str], str] = {}  # (number, id) -> ref, in file order

    def __call__(self, doc: Document, exts: list[Extension]) -> None:
        questions = with_questions(doc)
        for ext in exts:
            if changed_locally(ext, questions):
                self._pending[ext.get("number", ""), ext.get("id", "")] = ref(ext)
            if "id" not in ext:
                self.added.add(ext["number"])
                continue
            local = _local(ext)
            held = _encode(local) if local is not None else b""
            self.by_id[ext["id"]] = _digest(view(ext, questions)) + held

    @property
    def pending(self) -> list[str]:
        return list(self._pending.values())

    def local(self, ext_id: str) -> Extension | None:
        """What only the file holds for the extension of this id (_local), if anything."""
        held = self.by_id.get(ext_id, b"")[_DIGEST:]
        return _decode(held) if held else None


def _local(ext: Extension) -> Extension | None:
    """What _keep_local, _held and _named read of an old extension, if it holds any of what
    only the file holds (else None: a pull keeps nothing of it)."""
    user: dict[str, Any] = dict(ext.get("user") or {})
    only = {k: user[k] for k in LOCAL_ONLY if k in user}
    known = {k: v for k, v in ext.get("base", {}).items() if k in LANGUAGE_FIELDS}
    if "device" not in ext and not only and not known:
        return None
    local: dict[str, Any] = {k: v for k, v in ext.items() if k in ("number", "id", "device")}
    if user:
        local["user"] = {"email": user["email"], **only}
    if known:
        local["base"] = known
    return local  # type: ignore[return-value]


class Pulled:
    """A pull in the file's words: the platform's sites, roles, languages and questions mapped
    at once (`snap`); its extension pages as they come (`page`: each record mapped and checked
    for a repeat, then kept as JSON behind its number-order key, 100,000 of them in about the
    file's size); at the end, under the lock, the document (`document`, given the file's other
    tables as they are then) and its extensions in number order, a run at a time, each merged
    with what only the file held (`extensions`, given Kept)."""

    RUN = 1000  # extensions merged at once

    def __init__(self, snap: Snapshot) -> None:
        self.skipped: list[str] = []  # records the file cannot hold, and why
        self.warnings: list[str] = []  # what was kept as the platform gave it
        said = self.warnings
        self.sites = _sites(_with_ids(snap.sites, "site", said), said)
        self.site_names = {s["id"]: s["name"] for s in self.sites}
        self.site_seen = {s["name"].casefold() for s in self.sites}
        self.roles = _roles(_with_ids(snap.roles, "role", said), said)
        self.role_names = {r["id"]: r["name"] for r in self.roles}
        self.default_role_id = snap.default_role_id
        self.languages = _languages(_with_ids(snap.languages, "language", said), said)
        self.questions: list[QuestionId] | None = (
            None
            if snap.questions is None
            else [
                QuestionId(id=str(q["id"]), text=text)
                for q in _with_ids(snap.questions, "security question", said)
                if (text := _text(q.get("questionText")))
            ]
        )
        self.recording = snap.recording
        self._items: list[bytes] = []  # number-order key (_KEY bytes) + the extension's JSON
        self._seen: set[str] = set()
        self._old: Document | None = None  # the file's other tables, as document() was given
        self.extension_count = self.users = self.changed = 0

    def page(self, records: list[dict[str, Any]]) -> None:
        """One page of the platform's User extensions."""
        for site in _unlisted_sites(self.site_names, self.site_seen, records, self.warnings):
            self.sites.append(site)
            self.site_names[site["id"]] = site["name"]
        for record in records:
            # a user's role when the platform gives none it lists: the default role, known
            # once the file is read under the lock (document())
            ext, why = extension(record, self.site_names, self.role_names, None, self.recording)
            if ext is None:
                self.skipped.append(why)
            elif ext["id"] in self._seen:  # moved from one page to the next during the pull
                self.skipped.append(f"{ext['id']}: listed twice")
            else:
                self._seen.add(ext["id"])
                kind, value = number_order(ext)  # (0 or 1, an int of at most 19 digits)
                self._items.append(b"%d%020d" % (kind, value) + _encode(ext))

    def document(self, old: Document) -> Document:
        """The account file that mirrors the platform, but its extensions (an empty list, in
        the old file's place): sites, roles and languages as pulled, the default role the
        platform's (else the file's, if the platform lists it); the old file's (`old`, as it
        is now) account settings, mail settings and link kept."""
        names = [r["name"] for r in self.roles] or old["roles"]
        role = self.role_names.get(self.default_role_id or "") or old["account"]["default_role"]
        doc: Document = {**old}
        doc["account"] = {**old["account"], "default_role": role if role in names else names[0]}
        doc["sites"] = self.sites
        doc["roles"] = names
        doc["platform"] = {**old["platform"], "roles": self.roles, "languages": self.languages}
        if self.questions is not None:
            doc["platform"]["security_questions"] = self.questions
        doc["extensions"] = []
        self._old = doc
        return doc

    def extensions(self, kept: Kept) -> Iterator[list[Extension]]:
        """The pulled extensions in number order, a run at a time, each with what only the
        file holds for the same extension (and user: same email) kept, and its base (the
        view, as pulled); each encoded one is let go as its run is made. Counts the
        extensions, users and those the pull changed, and says what the file alone held of an
        extension the platform no longer gives (warnings)."""
        assert self._old is not None, "document() first"
        default_role = self._old["account"]["default_role"]
        questions = with_questions(self._old)
        items, self._items = self._items, []
        items.sort(reverse=True)  # taken from the end: each run let go once made
        decode = _decoder()
        while items:
            run = items[-self.RUN :]
            del items[-self.RUN :]
            exts: list[Extension] = decode(b"[%b]" % b",".join(i[_KEY:] for i in reversed(run)))
            del run
            for ext in exts:
                user = ext.get("user")
                if user is not None and user["role"] is None:
                    user["role"] = default_role
                if lost := _keep_local(ext, kept.local(ext["id"])):
                    self.warnings.append(lost)
                ext["base"] = view(ext, questions)
                self.users += "user" in ext
                self.changed += kept.by_id.get(ext["id"], b"")[:_DIGEST] != _digest(ext["base"])
            self.extension_count += len(exts)
            yield exts
        self.changed += len(kept.added)  # dropped (pull --discard-local)
        for ext_id in kept.by_id:
            if ext_id in self._seen:
                continue
            self.changed += 1
            old = kept.local(ext_id)
            if old is not None and (what := _held(old)):
                self.warnings.append(
                    f"{_named(old)} is not in what the platform gave (removed in the Admin "
                    f"Portal, or not pulled): its {' and '.join(what)}, held only in this file, "
                    "are dropped with it"
                )


_KEY = 21  # bytes of the number-order key before each pulled extension's JSON (Pulled.page)


@cache
def _encoder() -> Callable[[Any], bytes]:
    import msgspec

    return msgspec.json.Encoder().encode


def _encode(value: Any) -> bytes:
    return _encoder()(value)


@cache
def _decoder() -> Callable[[bytes], Any]:
    import msgspec

    return msgspec.json.Decoder().decode


def _decode(text: bytes) -> Any:
    return _decoder()(text)


def _sites(records: list[dict[str, Any]], warnings: list[str]) -> list[Site]:
    """The main site first (the account file's first site is its main site). A name the file
    cannot hold is replaced by the site's id, a code it cannot hold left out (warnings)."""
    ordered = sorted(records, key=lambda r: str(r.get("id")) != MAIN_SITE_ID)
    sites: list[Site] = []
    seen: set[str] = set()
    codes: set[str] = set()
    for record in ordered:
        site_id = str(record["id"])
        name = _unique(_name(record.get("name"), f"site {site_id}", site_id, warnings), seen)
        site: Site = {"name": name, "id": site_id}
        code = record.get("code")
        if isinstance(code, str | int) and not isinstance(code, bool) and str(code).strip():
            if SITE_CODE.fullmatch(str(code).strip()) and str(code).strip() not in codes:
                site["code"] = str(code).strip()
                codes.add(site["code"])
            else:
                warnings.append(
                    f"site {site_id} ({name}): its code {str(code)[:20]!r} is not one the file "
                    "can hold (1 to 5 digits, once): left out"
                )
        sites.append(site)
    if not sites:
        sites.append({"name": "Main Site", "id": MAIN_SITE_ID})
    return sites


def _with_ids(
    records: list[dict[str, Any]], what: str, warnings: list[str]
) -> list[dict[str, Any]]:
    """The records that have an id, each once; each other one said in a warning, and left
    out."""
    kept: list[dict[str, Any]] = []
    ids: set[str] = set()
    for record in records:
        if not _is_id(record.get("id")):
            warnings.append(f"a {what} without an id ({str(record)[:60]}): not pulled")
        elif str(record["id"]) in ids:
            warnings.append(f"{what} {record['id']} listed twice: pulled once")
        else:
            ids.add(str(record["id"]))
            kept.append(record)
    return kept


def _is_id(value: Any) -> bool:
    """An id as the platform gives one and the file can hold: text or a whole number (never
    true or false), at most 64 characters, no control character."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return False
    text = str(value)
    return bool(text.strip()) and len(text) <= 64 and rules.control_char(text) is None


def _text(value: Any) -> str | None:
    """A value the file can hold as text as the platform gives it (a string or a number, no
    control character), else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    return text if rules.control_char(text) is None else None


def _name(value: Any, what: str, fallback: str, warnings: list[str], limit: int = 64) -> str:
    """The display name of `what` as the platform gives it; `fallback` for none, and (in a
    warning) for one the file cannot hold (not text, a control character, over `limit`)."""
    if value is None or value == "":
        return fallback
    text = (_text(value) or "").strip()
    if text and len(text) <= limit:
        return text
    warnings.append(
        f"{what}: its name {str(value)[:40]!r} is not one the file can hold (text, at most "
        f"{limit} characters, no control character): named {fallback!r}"
    )
    return fallback


def _unlisted_sites(
    names: dict[str, str], seen: set[str], records: list[dict[str, Any]], warnings: list[str]
) -> list[Site]:
    """The sites extensions are on that the sites list does not hold (`names`: the sites'
    names by id so far; `seen`: the names taken, casefolded), the list having changed during
    the pull or the app not being allowed to read it all: each kept as the extension has it, on
    its id, so that an assignment there is sent to that site, never to another."""
    found: list[Site] = []
    ids = set(names)
    for record in records:
        site = record.get("site")
        if not isinstance(site, dict) or not _is_id(site.get("id")):
            continue  # none (the main site), or one that is not an id: the record is skipped
        site_id = str(site["id"])
        if site_id in ids:
            continue
        ids.add(site_id)
        name = _unique(
            _name(site.get("name"), f"site {site_id}", f"site {site_id}", warnings), seen
        )
        found.append({"name": name, "id": site_id})
        warnings.append(
            f"extension {record.get('extensionNumber') or record.get('id')} is on site "
            f"{site_id} ({name}), which the sites list does not hold: kept on it"
        )
    return found


def _roles(records: list[dict[str, Any]], warnings: list[str]) -> list[RoleId]:
    seen: set[str] = set()
    roles: list[RoleId] = []
    for record in records:
        role_id = str(record["id"])
        name = _name(record.get("displayName"), f"role {role_id}", role_id, warnings)
        roles.append({"name": _unique(name, seen), "id": role_id})
    return roles


def _unique(name: str, seen: set[str], limit: int = 64) -> str:
    """A name the file can hold once (the platform may repeat a display name)."""
    base, n = name.strip() or "?", 1
    name = base
    while name.casefold() in seen:
        n += 1
        suffix = f" ({n})"
        name = f"{base[: limit - len(suffix)].rstrip()}{suffix}"
    seen.add(name.casefold())
    return name


def _languages(records: list[dict[str, Any]], warnings: list[str]) -> list[Language]:
    """The language dictionary; an entry whose code or name the file cannot hold is left out
    (a warning)."""
    languages = []
    for record in records:
        code, name = _text(record.get("localeCode", "")), _text(record.get("name", ""))
        if code is None or name is None:
            warnings.append(
                f"language {record['id']}: its code or name is not text the file can hold "
                f"({str(record)[:60]}): not pulled"
            )
        else:
            languages.append(_language(record, code, name))
    return languages


def _language(record: dict[str, Any], code: str, name: str) -> Language:
    return {
        "id": str(record["id"]),
        "code": code,
        "name": name,
        "ui": bool(record.get("ui")),
        "greeting": bool(record.get("greeting")),
        "formatting": bool(record.get("formattingLocale")),
    }


def extension(
    record: dict[str, Any],
    sites: dict[str, str],
    roles: dict[str, str],
    default_role: str | None,
    recording: dict[str, str],
) -> tuple[Extension | None, str]:
    """One record of the platform's extension list in the file's words, or (None, why it is
    left out): a record the file cannot hold as the platform gives it is skipped, by its id.
    `default_role`: a user's when the platform gives none of `roles` (None: left for the caller
    to set)."""
    ext_id = str(record.get("id", ""))
    status = PLATFORM_STATUSES.get(str(record.get("status")))
    why = _unfit(record, ext_id, status)
    if why or status is None:  # (an unknown status is one of the reasons `why` says)
        return None, why
    site = record.get("site") or {}
    main = next(iter(sites.values()))
    ext: Extension = {
        "site": sites.get(str(site["id"]), f"site {site['id']}") if site else main,
        "status": status,
        "id": ext_id,
    }
    number = record.get("extensionNumber")
    if number:
        if not rules.NUMBER_RE.fullmatch(str(number)):
            return None, f"{ext_id}: extension number {number!r} is outside 1 to 999999"
        ext["number"] = str(number)
    elif status != "unassigned":
        return None, f"{ext_id}: a {record.get('status')} extension without a number"
    if status != "unassigned":
        user, why = _user(record, ext_id, roles, default_role, recording)
        if user is None:
            return None, why
        ext["user"] = user  # type: ignore[typeddict-item]
    return ext, ""


def _unfit(record: dict[str, Any], ext_id: str, status: str | None) -> str:
    """Why a record of the extension list is not a User extension the file can hold (its id,
    type, status, contact or site), or "" when it is."""
    given = record.get("id", "")
    if isinstance(given, bool) or not EXTENSION_ID.fullmatch(ext_id):
        return f"{ext_id[:40]}: not a User extension (no platform id)"
    if record.get("type", "User") != "User":
        return f"{ext_id}: not a User extension"
    if status is None:
        return f"{ext_id}: unknown status {record.get('status')!r}"
    for key in ("contact", "site"):
        if not isinstance(record.get(key) or {}, dict):
            return f"{ext_id}: its {key} is not an object ({str(record[key])[:40]!r})"
    site = record.get("site") or {}
    if site and not _is_id(site.get("id")):  # on a site, but which: never guessed
        return f"{ext_id}: its site has no id the file can hold ({str(site)[:40]!r})"
    return ""


def _user(
    record: dict[str, Any],
    ext_id: str,
    roles: dict[str, str],
    default_role: str | None,
    recording: dict[str, str],
) -> tuple[dict[str, Any] | None, str]:
    """The user of an assigned extension's record in the file's words (its contact, role and
    recording), or (None, why it is left out)."""
    contact = record.get("contact") or {}
    user: dict[str, Any] = {}
    for key, local in CONTACT.items():
        if contact.get(key) in (None, ""):
            continue
        text = _text(contact[key])
        if text is None:
            shown = str(contact[key])[:40]
            return None, f"{ext_id}: its contact.{key} is not text the file can hold ({shown!r})"
        user[local] = text
    user.setdefault("first_name", "")
    user.setdefault("last_name", "")
    user.setdefault("email", "")
    given_roles = record.get("roles")
    listed = given_roles if isinstance(given_roles, list) else []
    assigned = [str(r.get("id")) for r in listed if isinstance(r, dict)]
    user["role"] = next((roles[r] for r in assigned if r in roles), default_role)
    user["recording"] = DIRECTIONS.get(recording.get(ext_id, ""), "off")
    return user, ""


# what only the file holds and a pull would lose with an extension (or its user), as said
HELD = {"device": "desk phone", "credentials": "credential hashes",
        "activation": "pending invitation", "engage_voice": "Engage Voice access"}  # fmt: skip


def _named(ext: Extension) -> str:
    number = ext.get("number")
    return f"extension {number} (id {ext.get('id')})" if number else f"extension id {ext.get('id')}"


def _held(ext: Extension) -> list[str]:
    """What the file alone holds for this extension and its user."""
    device = [HELD["device"]] if ext.get("device") else []
    return device + _user_held(ext.get("user"))


def _user_held(user: Any) -> list[str]:
    """What the file alone holds for this user."""
    given: dict[str, Any] = dict(user or {})
    return [HELD[k] for k in ("credentials", "activation", "engage_voice") if given.get(k)]


def _keep_local(ext: Extension, old: Extension | None) -> str:
    """What only the file holds, kept for the same extension (and user: same email); a
    warning when the old user held some that is not kept (no user, or another one, now)."""
    if old is None:
        return ""
    if "device" in old:
        ext["device"] = old["device"]
    user, before = ext.get("user"), old.get("user")
    if before is None:
        return ""
    if user is None or user["email"].casefold() != before["email"].casefold():
        held = _user_held(before)
        now = "unassigned" if user is None else "another user's (a new email)"
        return (
            f"{_named(ext)} is {now} on the platform: the user's {' and '.join(held)}, held "
            "only in this file, are not kept"
            if held
            else ""
        )
    for key in LOCAL_ONLY:
        if key in before:
            user[key] = before[key]  # type: ignore[literal-required]
    known = old.get("base", {})
    for key in LANGUAGE_FIELDS:  # known from a read of one (apply), not given by the list
        if key in known:
            user[key] = known[key]  # type: ignore[literal-required]
    return ""
