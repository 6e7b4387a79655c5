"""Assigning a user to an unassigned extension: the seed's steps 4 to 10.

Two phases, so that the flags, the walkthrough and the bulk import share one path:
`check()` validates everything against the account (pure; raises every broken rule at once), then
`apply()` writes the assignment into the account with the hashed credentials from `hash_secrets()`
(separate, because hashing is the slow part and bulk spreads it over the cores)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from extadmin.domain import fields, hashing, rules
from extadmin.domain.account import Account, offboarding_pending, ref, user_name
from extadmin.domain.catalog import ENGAGE_ACCESS, RECORDING
from extadmin.domain.model import Activation, Credentials, Extension, User
from extadmin.errors import Collector, Conflict, InvalidValue
from extadmin.services import mail, profiles
from extadmin.services.directory import EmailIndex, claiming
from extadmin.services.extensions import check_number_for_site
from extadmin.storage.store import AccountStore, now_iso

if TYPE_CHECKING:
    from extadmin.services.mail import Queued

DEFAULT_TOKEN_DAYS = 7


@dataclass
class Request:
    """Raw answers, as typed at a prompt, passed as flags or read from a CSV row. None (or '')
    means "not given": the default applies."""

    extension: str | None = None
    setup: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    short_extension: str | None = None
    contact_phone: str | None = None
    mobile_phone: str | None = None
    job_title: str | None = None
    department: str | None = None
    site: str | None = None
    role: str | None = None
    language: str | None = None
    greeting_language: str | None = None
    regional_format: str | None = None
    recording: str | None = None
    password: str | None = field(default=None, repr=False)
    pin: str | None = field(default=None, repr=False)
    security_question: str | None = None
    security_answer: str | None = field(default=None, repr=False)
    temporary_password: bool | None = None
    allow_duplicate_email: bool = False
    engage_voice: str | None = None  # Engage Voice access given at the assignment (a profile's)
    # the profile to start from (services.profiles): a name; "" none; None the default profile
    # of the site the user goes to, if it has one
    profile: str | None = None


SECRET_FIELDS = ("password", "pin", "security_answer")
CREDENTIAL_FIELDS = ("password", "pin", "security_question", "security_answer")


def required_fields(setup: str | None) -> list[str]:
    """The fields with no default, for a setup option (credentials need four more)."""
    base = ["extension", "setup", "first_name", "last_name", "email"]
    return base + list(CREDENTIAL_FIELDS) if setup == "credentials" else base


@dataclass
class NewCredentials:
    """Credentials in memory only, between validation and hashing."""

    password: str = field(repr=False)
    pin: str = field(repr=False)
    security_question: str
    security_answer: str = field(repr=False)
    temporary_password: bool


@dataclass
class Assignment:
    extension: str  # the extension as it is now
    number: str  # its number after saving (the short extension or the site may change it)
    site: str
    setup: str
    user: User
    secrets: NewCredentials | None = field(default=None, repr=False)
    engage_voice: str | None = None  # Engage Voice access given with the assignment
    profile: str | None = None  # the profile its values started from (the audit log says it)

    def summary(self) -> dict[str, Any]:
        """What would be saved, never a secret."""
        out: dict[str, Any] = {"extension": self.number, "site": self.site, "setup": self.setup}
        if self.number != self.extension:
            out["renumbered_from"] = self.extension
        out["status"] = STATUS_AFTER[self.setup]
        out["user"] = dict(self.user)
        if self.secrets:
            out["user"]["temporary_password"] = self.secrets.temporary_password
            out["user"]["security_question"] = self.secrets.security_question
        if self.engage_voice:
            out["engage_voice"] = self.engage_voice
        if self.profile:
            out["profile"] = self.profile
        return out


STATUS_AFTER = {"invite": "not-activated", "credentials": "enabled", "later": "not-activated"}


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def assignable(account: Account, number: str) -> Extension:
    """An unassigned extension, by number (or by platform id in a linked account)."""
    ext = account.find(number.strip()) or account.extension(rules.extension_number(number))
    if ext["status"] != "unassigned":
        user = ext.get("user")
        state = f"assigned to {user_name(user)} ({ext['status']})" if user else ext["status"]
        raise Conflict(f"extension {ref(ext)} is not unassigned: it is {state}")
    if offboarding_pending(ext):
        raise Conflict(
            f"extension {ref(ext)} still has a user on the platform "
            f"({ext['base'].get('email', '?')}): their offboarding is not applied yet; "
            "`extadmin platform apply --allow-offboard` deletes them there, then the extension "
            "takes a new user"
        )
    return ext


def target_number(account: Account, ext: Extension, site_name: str, short: str | None) -> str:
    """The full number after the assignment: the site's code followed by the short number."""
    site = account.site(site_name)
    if "number" not in ext and not _given(short):
        raise InvalidValue(
            "short extension",
            f"is required: extension id {ext['id']} has no number on the platform yet",
        )
    if not _given(short) and site["name"] == ext["site"]:
        return ext["number"]
    short = (short or account.short_number(ext)).strip()
    if not short.isdigit():
        raise InvalidValue("short extension", f"{short!r} must be digits")
    number = rules.extension_number(site.get("code", "") + short, "short extension")
    check_number_for_site(account, number, site)
    if number != ext.get("number") and number in account.by_number:
        raise Conflict(
            f"short extension {short}: number {number} is already in use", "short extension"
        )
    return number


def check_email_unique(index: EmailIndex, email: str, own: tuple[str, str] | None = None) -> None:
    """No user of a registered account has the address (`own`: the user being changed, by
    account name and extension number, whose own address it may be)."""
    matches = [m for m in index.matches(email) if (m.account, m.extension) != own]
    if matches:
        where = ", ".join(f"extension {m.extension} in account {m.account!r}" for m in matches)
        raise Conflict(
            f"email: {email} is already used ({where}); users require unique email IDs",
            "email",
        )


def validate_secrets(
    req: Request, *, number: str, user: User, questions: list[str]
) -> NewCredentials:
    """The credentials of 'Activate by assigning credentials' (step 6a-6d); every broken rule
    at once."""
    check = Collector()
    for name in CREDENTIAL_FIELDS:
        if not _given(getattr(req, name)):
            check(refuse, name.replace("_", " "), "is required with setup credentials")
    check.done()
    assert req.password and req.pin and req.security_question and req.security_answer
    local = user.get("email", req.email or "").rpartition("@")[0]
    personal = [
        number,
        user.get("first_name", req.first_name or ""),
        user.get("last_name", req.last_name or ""),
        local,
    ]
    phones = [p for p in (user.get("contact_phone"), user.get("mobile_phone")) if p]
    secrets = NewCredentials(
        password=check(rules.password, req.password, personal=personal) or "",
        pin=check(rules.pin, req.pin, extension=number, phones=phones) or "",
        security_question=check(rules.security_question, req.security_question, questions) or "",
        security_answer=check(rules.security_answer, req.security_answer) or "",
        temporary_password=True if req.temporary_password is None else req.temporary_password,
    )
    check.done()
    return secrets


def refuse(field_name: str, rule: str) -> None:
    """A broken rule, for a Collector to keep (`check(refuse, field, rule)`)."""
    raise InvalidValue(field_name, rule)


def check(account: Account, req: Request, emails: EmailIndex) -> Assignment:
    """Validate a request against the account; raise every broken rule at once (Problems),
    a rule that depends on a broken one (the number on a missing extension) left out."""
    check = Collector()
    ext = (
        check(assignable, account, req.extension or "")
        if _given(req.extension)
        else check(refuse, "extension", "is required")
    )
    setup = (
        check(rules.setup_option, req.setup or "")
        if _given(req.setup)
        else check(refuse, "setup", "is required (invite, credentials or later)")
    )
    user = _form(check, account, req)
    if setup:
        user["setup"] = setup
    if req.allow_duplicate_email:
        if setup and setup != "credentials":
            check(
                refuse,
                "allow duplicate email",
                "unique email may be waived only with setup credentials "
                "(an invitation must go to the user's own address)",
            )
        user["unique_email"] = False
    elif "email" in user:
        check(check_email_unique, emails, user["email"])
    site = number = None
    if ext is not None:
        site = (
            check(lambda: account.site(req.site or "")["name"]) if _given(req.site) else ext["site"]
        )
        if site is not None:
            number = check(target_number, account, ext, site, req.short_extension)
    secrets = _setup_secrets(check, account, req, setup, number, user)
    engage = (
        check(rules.choice, req.engage_voice or "", ENGAGE_ACCESS, "engage voice")
        if _given(req.engage_voice)
        else None
    )
    check.done()
    assert ext is not None and setup and site and number
    return Assignment(
        ref(ext), number, site, setup, cast(User, user), secrets, engage, req.profile or None
    )


def _form(check: Collector, account: Account, req: Request) -> dict[str, Any]:
    """The user form's fields of the request, each checked by its declared rule, or its
    default; a broken rule kept by `check`."""
    user: dict[str, Any] = {}
    for f in fields.USER:
        raw = getattr(req, f.name)
        if _given(raw):
            value = check(f.check, account, raw)
        elif f.required:
            value = check(refuse, f.said, "is required")
        else:
            value = _default(account, f.name, user)
        if value:
            user[f.name] = value
    return user


def _setup_secrets(
    check: Collector,
    account: Account,
    req: Request,
    setup: str | None,
    number: str | None,
    user: dict[str, Any],
) -> NewCredentials | None:
    """The credentials of setup credentials, checked; with another setup, none, and a secret
    given anyway refused (a broken rule kept by `check`)."""
    if setup == "credentials":
        return check(
            validate_secrets,
            req,
            number=number or (req.extension or "").strip(),
            user=user,
            questions=account.security_questions,
        )
    if setup:
        given = [n for n in SECRET_FIELDS + ("security_question",) if _given(getattr(req, n))]
        if given:
            check(
                refuse,
                given[0].replace("_", " "),
                f"is set only with setup credentials, not {setup}",
            )
    return None


def _default(account: Account, name: str, user: dict[str, Any]) -> str:
    """A form field left empty: the account's default role, no recording, the account's
    locale for the user language, and the user's language for the other two (on a linked file,
    a locale the platform does not offer for that setting is left out: the platform keeps its
    own); nothing for the rest."""
    if name == "role":
        return account.default_role
    if name == "recording":
        return RECORDING[0]
    if name in ("greeting_language", "regional_format", "language"):
        default = user.get("language") or account.locale
        offered = account.offered_locales(name.replace("_", " "))
        return default if offered is None or default in offered else ""
    return ""


def hash_secrets(secrets: NewCredentials) -> Credentials:
    return {
        "password_hash": hashing.hash_secret(secrets.password),
        "temporary_password": secrets.temporary_password,
        "pin_hash": hashing.hash_secret(secrets.pin),
        "security_question": secrets.security_question,
        "security_answer_hash": hashing.hash_secret(
            rules.normalise_answer(secrets.security_answer)
        ),
    }


def new_activation(account: Account) -> tuple[str, Activation]:
    """A single-use activation token and its hashed record with expiry."""
    token = hashing.new_token()
    days = account.doc["account"].get("token_days", DEFAULT_TOKEN_DAYS)
    expires = datetime.now(UTC) + timedelta(days=days)
    return token, {
        "token_hash": hashing.hash_token(token),
        "expires_at": expires.isoformat(timespec="seconds"),
    }


@dataclass
class Outcome:
    extension: Extension
    token: str | None = field(default=None, repr=False)  # for the welcome email only


def apply(account: Account, p: Assignment, credentials: Credentials | None) -> Outcome:
    """Write a checked assignment into the account (the caller holds the lock)."""
    ext = account.extension(p.extension)
    if p.number != ext.get("number"):
        account.renumber(ext, p.number)
    ext["site"] = p.site
    user: User = {**p.user, "created_at": now_iso()}
    token = None
    if credentials is not None:
        user["credentials"] = credentials
    if p.setup == "invite" and not account.linked:  # linked: the platform sends the invite
        token, user["activation"] = new_activation(account)
    if p.engage_voice:  # as `engage-voice import` records it
        user["engage_voice"] = {
            "access": p.engage_voice,
            "first_name": user["first_name"],
            "last_name": user["last_name"],
            "email": user["email"],
            "imported_at": user["created_at"],
        }
    ext["user"] = user
    ext["status"] = STATUS_AFTER[p.setup]
    changes: dict[str, Any] = dict(p.user.items())
    if p.number != p.extension:
        changes["renumbered_from"] = p.extension
    if credentials is not None:
        changes["credentials"] = "set"  # the fact, never the values
    if p.engage_voice:
        changes["engage_voice"] = p.engage_voice
    if p.profile:
        changes["profile"] = p.profile
    account.record("assign", p.number, status=ext["status"], **changes)
    return Outcome(ext, token)


def request_fields() -> list[str]:
    return list(asdict(Request()).keys())


def field_key(label: str) -> str | None:
    """The request field an error names ("first name", "PIN", "allow duplicate email")."""
    key = label.casefold().replace(" ", "_")
    if key == "allow_duplicate_email":
        return "email"
    return key if key in Request.__dataclass_fields__ else None


@dataclass
class Assigned:
    account: Account
    assignment: Assignment
    outcome: Outcome | None  # None for a dry run
    queued: list[Queued]  # the welcome email, once saved
    warnings: list[str]


def run(store: AccountStore, req: Request, dry_run: bool) -> Assigned:
    """`assign`: the request checked against the account and every registered account's
    addresses (claimed with the transaction), the credentials hashed, the user written and
    the welcome email queued with the save; nothing written for a dry run."""
    with claiming(store, "assign") as (account, emails):
        warnings = list(emails.warnings)
        assignment = check(account, profiles.fill(account, req), emails)
        if dry_run:
            return Assigned(account, assignment, None, [], warnings)
        credentials = hash_secrets(assignment.secrets) if assignment.secrets else None
        outcome = apply(account, assignment, credentials)
        queueing = mail.queue_on_save(store, account, [outcome])
    return Assigned(account, assignment, outcome, queueing.queued, warnings + queueing.warnings)
