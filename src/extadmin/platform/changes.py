"""What `platform apply` would send: a three-way comparison, field by field, of the pulled base,
the local file and the platform now. Pure: the platform's state comes in as records.

For each field of a linked extension (fields.BASE_FIELDS):
- local == base: no local change (whatever the platform did is for the next pull);
- platform == local: already done (an earlier apply, cut short before it updated the file);
- platform == base: to send;
- otherwise the platform moved elsewhere since the pull: a conflict, and nothing is sent for
  that extension.
Languages and the setup option are not in the platform's list: for them, the platform is
taken to be where the base is (sending one again is harmless: no status change)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extadmin.domain import fields
from extadmin.domain.account import Account, first_of, label, offboarding_pending, user_name
from extadmin.domain.catalog import PLATFORM_STATUSES
from extadmin.domain.model import Extension
from extadmin.platform import mapping

STATUS = {local: platform for platform, local in PLATFORM_STATUSES.items()}
CONTACT_FIELDS = tuple(mapping.CONTACT.values())
PHONES = {f.name for f in fields.USER if f.kind in ("phone", "mobile")}  # never sent empty
UNSEEN = ("language", "greeting_language", "regional_format", "setup")  # not in the list


@dataclass
class Change:
    """One extension's part of the plan."""

    ext_id: str
    extension: str  # as shown: the number (after the change), or "id N"
    kind: str  # assign | update | offboard | conflict | not applied | done
    record: dict[str, Any] | None = None  # the PUT / bulk-update fields (secrets included)
    role: str | None = None  # role id to assign
    recording: tuple[str, str] | None = None  # (added|updated|removed, callDirection)
    question: str | None = None  # security question text (credentials)
    needs_secrets: bool = False
    reason: str = ""
    fields: list[str] = field(default_factory=list)  # the fields sent
    who: str = ""  # the user, as the plan names it: "Ada Lovelace <ada@acme.example>"
    old: dict[str, str] = field(default_factory=dict)  # each field sent: its pulled value
    new: dict[str, str] = field(default_factory=dict)  # and the file's
    release: bool = False  # an offboarding that gives the line and number back to RingCentral

    @property
    def welcome_email(self) -> bool:
        """Whether the platform emails the user an activation link when this is sent."""
        return bool((self.record or {}).get("transition", {}).get("sendWelcomeEmail"))


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    # what the published API cannot do for these changes, said once each; nothing pending
    notes: list[str] = field(default_factory=list)

    def of(self, *kinds: str) -> list[Change]:
        return [c for c in self.changes if c.kind in kinds]


def platform_views(
    account: Account, records: list[dict[str, Any]], recording: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The platform's records now, as views in the file's words (by extension id)."""
    doc = account.doc
    sites = {s.get("id", ""): s["name"] for s in doc["sites"]}
    roles = {r["id"]: r["name"] for r in doc["platform"].get("roles", [])}
    questions = mapping.with_questions(doc)
    views = {}
    for record in records:
        ext, _ = mapping.extension(record, sites, roles, doc["account"]["default_role"], recording)
        if ext is not None:
            views[ext["id"]] = mapping.view(ext, questions)
    return views


def compute(
    account: Account,
    now: dict[str, dict[str, str]] | None,
    sent: frozenset[str] = frozenset(),
    asked: frozenset[str] = frozenset(),
    invited: frozenset[str] = frozenset(),
) -> Plan:
    """The plan; `now` is the platform's views of the extensions concerned (None: offline,
    the platform is taken to be where the base is). `sent`: extensions whose update the
    platform has just accepted (their languages and setup count as done); `asked`: those whose
    security question it has just accepted; `invited`: those whose re-invitation may have
    reached the platform (an earlier apply's answer was lost): their setup counts as done, as
    a welcome email is never risked twice."""
    plan = Plan()
    for site in account.sites:
        if "id" not in site:
            plan.changes.append(_not_applied("", f"site {site['name']}", "a new site"))
    no_question: list[str] = []
    temporary: list[str] = []
    for ext in account.extensions:
        ext_id = ext.get("id", "")
        change = change_of(account, ext, now, ext_id in sent, ext_id in asked, ext_id in invited)
        if change is not None:
            plan.changes.append(change)
        credentials = ext.get("user", {}).get("credentials", {})
        if change and change.record and "password" in change.record and credentials:
            if not mapping.with_questions(account.doc):
                no_question.append(change.extension)
            if credentials.get("temporary_password"):
                temporary.append(change.extension)
    if no_question:
        plan.notes.append(
            f"security question of {_listed(no_question)}: not settable through the published "
            "API (the user sets it at first login); `platform connect --credentials-api` for an "
            "app RingCentral has granted its credentials API"
        )
    if temporary:
        plan.notes.append(
            f"temporary password of {_listed(temporary)}: not settable through the API (the "
            "password is sent as the user's own; the user is not asked to change it)"
        )
    return plan


def _listed(extensions: list[str]) -> str:
    return f"{len(extensions)} user(s) ({first_of(extensions, 10)})"


def change_of(
    account: Account,
    ext: Extension,
    now: dict[str, dict[str, str]] | None,
    sent: bool = False,
    asked: bool = False,
    invited: bool = False,
) -> Change | None:
    """One extension's part of the plan (None: no local change)."""
    shown = label(ext)
    who = _who(ext)
    if "id" not in ext:
        return _not_applied("", shown, "a new extension: create it in the Admin Portal", who)
    questions = mapping.with_questions(account.doc)
    local, base = mapping.view(ext, questions), mapping.base(ext, questions)
    if local == base:
        return None
    ext_id = ext["id"]
    base = _defaults(base, account)
    platform = dict(base) if now is None else _defaults(now.get(ext_id, {}), account)
    if offboarding_pending(ext):
        gone = now is not None and ext_id not in now
        return _offboard(ext, base, None if gone else platform)
    # an update lands whole: if a field it carries shows on the platform, the fields the
    # list does not show (UNSEEN) landed with it
    landed = sent or any(
        local.get(k) != base.get(k) and platform.get(k) == local.get(k)
        for k in local.keys() | base.keys()
        if k not in UNSEEN and k not in APART
    )
    for key in UNSEEN:
        _put(platform, key, (local if landed else base).get(key))
    if invited:
        _put(platform, "setup", local.get("setup"))
    # the security question cannot be read at all: set once its own request went through
    _put(platform, "security_question", (local if asked else base).get("security_question"))
    keys = set(local) | set(base) | set(platform)
    there, before, wanted = platform.get, base.get, local.get
    moved = sorted(k for k in keys if there(k) != before(k) and there(k) != wanted(k))
    if moved:
        return Change(
            ext_id, shown, "conflict", who=who,
            reason=f"changed in the Admin Portal since the pull ({', '.join(moved)}): nothing "
            "sent; `platform pull --discard-local` takes the portal's version (then redo yours)",
        )  # fmt: skip
    todo = sorted(k for k in keys if wanted(k) != before(k) and there(k) != wanted(k))
    if not todo:
        return Change(ext_id, shown, "done", who=who)
    why = _cannot(account, local, base)
    if why:
        return _not_applied(ext_id, shown, why, who)
    assigning = platform.get("status", "unassigned") == "unassigned"
    change = Change(
        ext_id, shown, "assign" if assigning else "update", fields=todo, who=who,
        old={k: base.get(k, "") for k in todo}, new={k: local.get(k, "") for k in todo},
    )  # fmt: skip
    change.record = _record(account, local, base, platform, todo)
    if "role" in todo:
        change.role = _role_id(account, local["role"])
    if "recording" in todo:
        change.recording = _recording(base.get("recording", "off"), local.get("recording", "off"))
    if "security_question" in todo:
        change.question = local["security_question"]
    change.needs_secrets = change.question is not None or "password" in (change.record or {})
    return change


APART = ("role", "recording", "security_question")  # each sent by a request of its own


def _offboard(ext: Extension, base: dict[str, str], platform: dict[str, str] | None) -> Change:
    """The user the pull found, to delete on the platform (bulkDeleteUsersV2). `platform`: the
    extension there now (None: no longer listed: deleted, so done). A user changed in the
    Admin Portal since the pull is a conflict: never delete someone the file has not seen."""
    ext_id, shown, release = ext["id"], label(ext), bool(ext.get("release"))
    who = f"{base.get('first_name', '')} {base.get('last_name', '')} <{base.get('email', '')}>"
    if platform is None:
        return Change(ext_id, shown, "done", who=who, release=release)
    if base.get("status") == "frozen":
        return _not_applied(ext_id, shown, "a frozen extension: only the Admin Portal changes it")
    seen = (platform.keys() | base.keys()) - {*UNSEEN, "security_question"}
    moved = sorted(k for k in seen if platform.get(k) != base.get(k))
    if moved:
        return Change(
            ext_id, shown, "conflict", who=who, release=release,
            reason=f"changed in the Admin Portal since the pull ({', '.join(moved)}): not "
            "offboarded; `platform pull --discard-local` takes the portal's version (then "
            "offboard again)",
        )  # fmt: skip
    return Change(ext_id, shown, "offboard", who=who, release=release)


def _put(view: dict[str, str], key: str, value: str | None) -> None:
    if value is None:
        view.pop(key, None)
    else:
        view[key] = value


def _cannot(account: Account, local: dict[str, str], base: dict[str, str]) -> str:
    """Why the platform's API cannot make this change, or ""."""
    status = local.get("status", "unassigned")
    if status == "unassigned":
        return "an unassigned extension's site or number: change it in the Admin Portal"
    if "frozen" in (status, base.get("status")):
        return "a frozen extension: only the Admin Portal changes it"
    if "id" not in account.site(local["site"]):
        return f"site {local['site']} is not on the platform: create it in the Admin Portal"
    if local.get("role") != base.get("role") and _role_id(account, local["role"]) is None:
        return f"role {local['role']!r} is not on the platform"
    return ""


def _defaults(view: dict[str, str], account: Account) -> dict[str, str]:
    """An unassigned extension's view with the role an assignment gives it by itself (the
    default role): what is not to send, nor a change in the portal, once it is assigned."""
    if view.get("status", "unassigned") == "unassigned":
        return {**view, "role": account.default_role}
    return dict(view)


def _not_applied(ext_id: str, shown: str, why: str, who: str = "") -> Change:
    return Change(ext_id, shown, "not applied", reason=f"{why} (not applied)", who=who)


def _who(ext: Extension) -> str:
    """The user the file gives the extension (the one an assignment creates), or ""."""
    user = ext.get("user")
    if not user:
        return ""
    return f"{user_name(user)} <{user['email']}>"


def _record(
    account: Account,
    local: dict[str, str],
    base: dict[str, str],
    platform: dict[str, str],
    todo: list[str],
) -> dict[str, Any] | None:
    """The fields of the PUT (and of a bulk-update record) for what is to send; None if only
    the role, the recording or the security question changed. An extension the platform
    shows unassigned gets them all (an assignment); an assigned one only what changed."""
    sent = set(todo) - set(APART)
    if not sent:
        return None
    assigning = platform.get("status", "unassigned") == "unassigned"
    status = local["status"]
    record: dict[str, Any] = {}
    # only what changes: a field sent unchanged would undo an edit made in the Admin Portal
    # since the platform was last read (a user disabled there, re-enabled by a title change)
    if assigning or "status" in sent:
        record["status"] = STATUS[status]
    if assigning or "number" in sent:
        record["extensionNumber"] = local["number"]
    if assigning or sent & set(CONTACT_FIELDS):
        record["contact"] = {
            key: local.get(f, "")
            for key, f in mapping.CONTACT.items()
            # an assignment sends every field given; an update the fields that changed (a
            # name, title or department cleared here is cleared there: "" removes it; a phone
            # cannot be sent empty)
            if (local.get(f) if assigning else f in sent and (local.get(f) or f not in PHONES))
        }
    regional = {
        key: {"id": _language_id(account, local[f])}
        for f, key in (
            ("language", "language"),
            ("greeting_language", "greetingLanguage"),
            ("regional_format", "formattingLocale"),
        )  # fmt: skip
        if f in local and (assigning or f in sent)
    }
    if regional:
        record["regionalSettings"] = regional
    if assigning or "site" in sent:
        record["site"] = {"id": account.site(local["site"])["id"]}
    setup = local.get("setup")
    if (
        setup in ("invite", "later")
        and status == "not-activated"
        and (assigning or "setup" in sent)
    ):
        # the platform emails a user whose extension leaves Unassigned for NotActivated, and
        # the definition gives sendWelcomeEmail no default: said both ways, always
        record["transition"] = {"sendWelcomeEmail": setup == "invite"}
    waiting = platform.get("status", "unassigned") in ("unassigned", "not-activated")
    if setup == "credentials" and status == "enabled" and waiting:  # set once, at activation
        record["password"] = SECRET
        record["ivrPin"] = SECRET
    return record


SECRET = "<secret>"


def _language_id(account: Account, code: str) -> str:
    for lang in account.doc["platform"].get("languages", []):
        if lang["code"] == code:
            return lang["id"]
    return code  # unknown to the platform: it will say so (errorCode) for this user


def _role_id(account: Account, name: str) -> str | None:
    for role in account.doc["platform"].get("roles", []):
        if role["name"] == name:
            return role["id"]
    return None


def _recording(before: str, after: str) -> tuple[str, str]:
    direction = {"inbound": "Inbound", "outbound": "Outbound", "both": "All"}
    if after == "off":
        return "removed", direction.get(before, "All")
    return ("added" if before == "off" else "updated"), direction[after]
