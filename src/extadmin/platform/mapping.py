"""Between the platform's records and the account file's: one place for every field's mapping
(docs/platform.md, "Field mapping"). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extadmin.domain import rules
from extadmin.domain.account import Account, number_order, ref
from extadmin.domain.catalog import BASE_FIELDS, PLATFORM_STATUSES, RECORDING_PLATFORM
from extadmin.domain.model import Document, Extension, Language, RoleId, Site

MAIN_SITE_ID = "main-site"
DIRECTIONS = {platform: local for local, platform in RECORDING_PLATFORM.items() if platform}

# the platform's contact fields and the user's, in the order of the form
CONTACT = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "businessPhone": "contact_phone",
    "mobilePhone": "mobile_phone",
    "jobTitle": "job_title",
    "department": "department",
}
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
    questions = with_questions(account.doc)
    changed = [
        ref(e)
        for e in account.extensions
        if "id" not in e or view(e, questions) != base(e, questions)
    ]
    return changed + [f"site {s['name']}" for s in account.sites if "id" not in s]


@dataclass
class Snapshot:
    """What a pull reads from the platform, as the platform gives it."""

    sites: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    default_role_id: str | None = None
    languages: list[dict[str, Any]] = field(default_factory=list)
    questions: list[dict[str, Any]] | None = None  # security questions (credentials API only)
    warnings: list[str] = field(default_factory=list)  # what could not be read, and so kept
    extensions: list[dict[str, Any]] = field(default_factory=list)
    recording: dict[str, str] = field(default_factory=dict)  # extension id -> callDirection


@dataclass
class Pulled:
    doc: Document
    skipped: list[str] = field(default_factory=list)  # records the file cannot hold, and why
    warnings: list[str] = field(default_factory=list)  # what was kept as the platform gave it


def document(old: Document, snap: Snapshot) -> Pulled:
    """The account file that mirrors the platform: sites, roles, languages and User extensions
    from the snapshot, each with its id; the old file's account settings, mail settings and
    link kept, and what only the file holds (desk phones, Engage Voice access, credential
    hashes, the setup option) kept for the same extension and user."""
    pulled = Pulled({**old})
    sites = _sites(_with_ids(snap.sites, "site", pulled.warnings))
    _unlisted_sites(sites, snap.extensions, pulled.warnings)
    site_names = {s["id"]: s["name"] for s in sites}
    roles = _roles(_with_ids(snap.roles, "role", pulled.warnings))
    role_names = {r["id"]: r["name"] for r in roles}
    names = [r["name"] for r in roles] or old["roles"]
    default_role = role_names.get(snap.default_role_id or "") or old["account"]["default_role"]
    if default_role not in names:
        default_role = names[0]
    before = {e["id"]: e for e in old["extensions"] if "id" in e}
    questions = with_questions(old)
    extensions: list[Extension] = []
    seen: set[str] = set()
    for record in snap.extensions:
        ext, why = extension(record, site_names, role_names, default_role, snap.recording)
        if ext is None:
            pulled.skipped.append(why)
            continue
        if ext["id"] in seen:  # moved from one page to the next during the pull
            pulled.skipped.append(f"{ext['id']}: listed twice")
            continue
        seen.add(ext["id"])
        _keep_local(ext, before.get(ext["id"]))
        ext["base"] = view(ext, questions)
        extensions.append(ext)
    extensions.sort(key=number_order)
    doc = pulled.doc
    doc["account"] = {**old["account"], "default_role": default_role}
    doc["sites"] = sites
    doc["roles"] = names
    doc["platform"] = {
        **old["platform"],
        "roles": roles,
        "languages": [_language(r) for r in snap.languages],
    }
    if snap.questions is not None:
        doc["platform"]["security_questions"] = [
            {"id": str(q["id"]), "text": str(q["questionText"])}
            for q in snap.questions
            if q.get("id") and q.get("questionText")
        ]
    doc["extensions"] = extensions
    return pulled


def _sites(records: list[dict[str, Any]]) -> list[Site]:
    """The main site first (the account file's first site is its main site)."""
    ordered = sorted(records, key=lambda r: str(r.get("id")) != MAIN_SITE_ID)
    sites: list[Site] = []
    seen: set[str] = set()
    for record in ordered:
        name = _unique(str(record.get("name") or record["id"]), seen)
        site: Site = {"name": name, "id": str(record["id"])}
        code = str(record.get("code") or "")
        if code.isdigit():
            site["code"] = code
        sites.append(site)
    if not sites:
        sites.append({"name": "Main Site", "id": MAIN_SITE_ID})
    return sites


def _with_ids(
    records: list[dict[str, Any]], what: str, warnings: list[str]
) -> list[dict[str, Any]]:
    """The records that have an id; each other one said in a warning, and left out."""
    kept = [r for r in records if isinstance(r.get("id"), str | int) and str(r["id"]).strip()]
    for record in records:
        if record not in kept:
            warnings.append(f"a {what} without an id ({str(record)[:60]}): not pulled")
    return kept


def _unlisted_sites(sites: list[Site], records: list[dict[str, Any]], warnings: list[str]) -> None:
    """A site an extension is on that the sites list does not hold (the list changed during
    the pull, or the app may not read it all) is kept as the extension has it, on its id: an
    assignment there is sent to that site, never to another."""
    known = {s["id"] for s in sites}
    seen = {s["name"].casefold() for s in sites}
    for record in records:
        site = record.get("site")
        site_id = str(site.get("id") or "") if isinstance(site, dict) else ""
        if not site_id or site_id in known:
            continue
        known.add(site_id)
        name = _unique(str(site.get("name") or f"site {site_id}"), seen)  # type: ignore[union-attr]
        sites.append({"name": name, "id": site_id})
        warnings.append(
            f"extension {record.get('extensionNumber') or record.get('id')} is on site "
            f"{site_id} ({name}), which the sites list does not hold: kept on it"
        )


def _roles(records: list[dict[str, Any]]) -> list[RoleId]:
    seen: set[str] = set()
    return [
        {"name": _unique(str(r.get("displayName") or r["id"]), seen), "id": str(r["id"])}
        for r in records
    ]


def _unique(name: str, seen: set[str]) -> str:
    """A name the file can hold once (the platform may repeat a display name)."""
    base, n = name.strip() or "?", 1
    while name.casefold() in seen:
        n += 1
        name = f"{base} ({n})"
    seen.add(name.casefold())
    return name


def _language(record: dict[str, Any]) -> Language:
    return {
        "id": str(record["id"]),
        "code": str(record.get("localeCode", "")),
        "name": str(record.get("name", "")),
        "ui": bool(record.get("ui")),
        "greeting": bool(record.get("greeting")),
        "formatting": bool(record.get("formattingLocale")),
    }


def extension(
    record: dict[str, Any],
    sites: dict[str, str],
    roles: dict[str, str],
    default_role: str,
    recording: dict[str, str],
) -> tuple[Extension | None, str]:
    ext_id = str(record.get("id", ""))
    status = PLATFORM_STATUSES.get(str(record.get("status")))
    if record.get("type", "User") != "User" or not ext_id.isdigit():
        return None, f"{ext_id}: not a User extension"
    if status is None:
        return None, f"{ext_id}: unknown status {record.get('status')!r}"
    for key in ("contact", "site"):
        if not isinstance(record.get(key) or {}, dict):
            return None, f"{ext_id}: its {key} is not an object ({str(record[key])[:40]!r})"
    main = next(iter(sites.values()))
    ext: Extension = {
        "site": sites.get(str((record.get("site") or {}).get("id", "")), main),
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
        contact = record.get("contact") or {}
        user: dict[str, Any] = {
            local: str(contact[key]) for key, local in CONTACT.items() if contact.get(key)
        }
        user.setdefault("first_name", "")
        user.setdefault("last_name", "")
        user.setdefault("email", "")
        assigned = [str(r.get("id")) for r in record.get("roles") or [] if isinstance(r, dict)]
        user["role"] = next((roles[r] for r in assigned if r in roles), default_role)
        user["recording"] = DIRECTIONS.get(recording.get(ext_id, ""), "off")
        ext["user"] = user  # type: ignore[typeddict-item]
    return ext, ""


def _keep_local(ext: Extension, old: Extension | None) -> None:
    """What only the file holds, kept for the same extension (and user: same email)."""
    if old is None:
        return
    if "device" in old:
        ext["device"] = old["device"]
    user, before = ext.get("user"), old.get("user")
    if user is None or before is None or user["email"].casefold() != before["email"].casefold():
        return
    for key in LOCAL_ONLY:
        if key in before:
            user[key] = before[key]  # type: ignore[literal-required]
    known = old.get("base", {})
    for key in LANGUAGE_FIELDS:  # known from a read of one (apply), not given by the list
        if key in known:
            user[key] = known[key]  # type: ignore[literal-required]
