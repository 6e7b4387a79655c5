"""The check every loaded document goes through: schema version, types, required fields, allowed
values, duplicate numbers and references, and every value rule the commands apply when a value
is entered (domain.rules: no control characters in any text, names, email syntax, phones, known
roles, supported locales, site codes, reserved numbers, token days...), called, not copied.
Errors name the path, the place and the rule, on one line."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from extadmin.domain import fields, rules
from extadmin.domain.account import security_questions
from extadmin.domain.catalog import (
    ENGAGE_ACCESS,
    LOCALES,
    SECURITY_QUESTIONS,
    SETUP_OPTIONS,
    STATUSES,
)
from extadmin.domain.fields import BASE_FIELDS, PROFILE_FIELDS, PULLED
from extadmin.domain.model import SCHEMA_VERSION, Document
from extadmin.errors import AccountFileError, InvalidValue

# field -> (type, required, allowed values or nested spec)
Spec = dict[str, tuple[type | tuple[type, ...], bool, Any]]
# field -> its value rule (beyond the type): raises InvalidValue naming the rule
Rules = dict[str, Callable[[Any], object]]

DEVICE: Spec = {"model": (str, True, None), "mac": (str, False, None)}
CREDENTIALS: Spec = {
    "password_hash": (str, False, None),
    "temporary_password": (bool, False, None),
    "pin_hash": (str, False, None),
    "security_question": (str, False, None),
    "security_answer_hash": (str, False, None),
}
ACTIVATION: Spec = {"token_hash": (str, True, None), "expires_at": (str, True, None)}
ENGAGE: Spec = {
    "access": (str, True, ("agent", "admin", "both")),
    "agent_group": (str, False, None),
    "first_name": (str, False, None),
    "last_name": (str, False, None),
    "email": (str, False, None),
    "imported_at": (str, False, None),
}
USER: Spec = {
    **{f.name: (str, f.required or f.always, f.choices or None) for f in fields.USER},
    "unique_email": (bool, False, None),
    "setup": (str, False, tuple(SETUP_OPTIONS)),
    "created_at": (str, False, None),
    "credentials": (dict, False, CREDENTIALS),
    "activation": (dict, False, ACTIVATION),
    "engage_voice": (dict, False, ENGAGE),
}
BASE: Spec = dict.fromkeys(BASE_FIELDS, (str, False, None))
# a profile's values are the user's (or the extension's site), with their choices
PROFILE: Spec = {
    "name": (str, True, None),
    "default_for_site": (str, False, None),
    **{n: (str, False, USER[n][2] if n in USER else None) for n in PROFILE_FIELDS},
    "engage_voice": (str, False, ENGAGE_ACCESS),
}
EXTENSION: Spec = {
    "number": (str, False, None),
    "site": (str, True, None),
    "status": (str, True, STATUSES),
    "device": (dict, False, DEVICE),
    "user": (dict, False, None),  # checked on its own: ExtensionChecks.check
    "id": (str, False, None),
    "base": (dict, False, BASE),
    "release": (bool, False, None),
}
SITE: Spec = {"name": (str, True, None), "code": (str, False, None), "id": (str, False, None)}
PLATFORM: Spec = {
    "server": (str, True, None),
    "client_id": (str, True, None),
    "account_id": (str, True, None),
    "roles": (list, False, None),
    "languages": (list, False, None),
    "credentials_api": (bool, False, None),
    "security_questions": (list, False, None),
}
QUESTION_ID: Spec = {"id": (str, True, None), "text": (str, True, None)}
ROLE_ID: Spec = {"name": (str, True, None), "id": (str, True, None)}
LANGUAGE: Spec = {
    "id": (str, True, None),
    "code": (str, True, None),
    "name": (str, True, None),
    "ui": (bool, True, None),
    "greeting": (bool, True, None),
    "formatting": (bool, True, None),
}
MAIL: Spec = {
    "host": (str, True, None),
    "port": (int, False, None),
    "sender": (str, True, None),
    "username": (str, False, None),
    "tls": (str, False, ("starttls", "implicit", "none")),
    "starttls": (bool, False, None),
    "timeout": ((int, float), False, None),
}
ACCOUNT: Spec = {
    "name": (str, True, None),
    "country": (str, True, None),
    "locale": (str, True, None),
    "default_role": (str, True, None),
    "activation_url": (str, False, None),
    "token_days": (int, False, None),
}


@dataclass(frozen=True)
class Text:
    """rules.text as a load rule: trimmed, at most `limit` characters (not empty if
    `required`), no control characters. Its limit is read by the decoder (storage/decoder.py)."""

    limit: int = rules.TEXT_LIMIT
    required: bool = False

    def __call__(self, value: str) -> object:
        return rules.text(value, "", required=self.required, limit=self.limit)


def _text(limit: int = rules.TEXT_LIMIT, required: bool = False) -> Text:
    return Text(limit, required)


def check_time(value: str) -> None:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InvalidValue(
            "", f"{value!r} is not a date and time with a UTC offset (2030-01-31T12:00:00+00:00)"
        )


TOKEN_HASH_RE = re.compile(r"sha256\$[0-9a-f]{64}")


def _token_hash(value: str) -> None:
    """A hand-edited invitation must still be one that `activate` can check."""
    if not TOKEN_HASH_RE.fullmatch(value):
        raise InvalidValue("", "not a sha256$<64 hex digits> hash")


_locale = rules.as_written(lambda value: rules.locale(value, ""), LOCALES)
ACCOUNT_RULES: Rules = {
    "name": _text(required=True),
    "country": rules.as_written(rules.country, rules.COUNTRIES),
    "locale": _locale,
    "activation_url": rules.activation_url,
    "token_days": rules.token_days,
}
SITE_RULES: Rules = {"name": _text(required=True), "code": rules.as_written(rules.site_code)}
DEVICE_RULES: Rules = {"model": _text(required=True), "mac": rules.as_written(rules.mac_address)}
USER_RULES: Rules = {
    **{f.name: f.load for f in fields.USER if f.load is not None},
    "created_at": check_time,
}
# What a pull writes as the platform gives it (fields.PULLED, and the extension's number):
# while a field still holds the pulled value (its `base`), it is the platform's to judge (a user
# without a name or an email, an address this tool would not take, a number such as 411 that
# extadmin would not create), and only the control-character rule holds.
ACTIVATION_RULES: Rules = {"token_hash": _token_hash, "expires_at": check_time}
ENGAGE_RULES: Rules = {"agent_group": _text(), "imported_at": check_time}
MAIL_RULES: Rules = {"host": _text(253, required=True), "username": _text(256)}
# a profile's values by the user's rules; its role and site are the account's when it is used
# (`services.profiles`): one removed since is an error naming the profile then, not on load
PROFILE_RULES: Rules = {
    "name": _text(required=True),
    "default_for_site": _text(required=True),
    "site": _text(required=True),
    **{n: USER_RULES[n] for n in PROFILE_FIELDS if n in USER_RULES},
}
RULES = {
    id(ACCOUNT): ACCOUNT_RULES, id(SITE): SITE_RULES, id(DEVICE): DEVICE_RULES,
    id(USER): USER_RULES, id(ACTIVATION): ACTIVATION_RULES, id(ENGAGE): ENGAGE_RULES,
    id(MAIL): MAIL_RULES, id(PROFILE): PROFILE_RULES,
}  # fmt: skip

ID_RE = re.compile(r"[0-9]{1,19}")  # the platform's int64 ids, kept as text
_SPECS = (
    DEVICE, CREDENTIALS, ACTIVATION, ENGAGE, USER, BASE, EXTENSION, SITE, MAIL, ACCOUNT,
    PLATFORM, ROLE_ID, LANGUAGE, QUESTION_ID, PROFILE,
)  # fmt: skip
_REQUIRED = {id(spec): frozenset(k for k, (_, req, _) in spec.items() if req) for spec in _SPECS}
# spec -> field -> (the types accepted, the spec's type, its allowed values or nested spec, its
# value rule): one look-up per field of the file
_FIELDS = {
    id(spec): {
        key: (
            kind if isinstance(kind, tuple) else (kind,),
            kind,
            extra,
            RULES.get(id(spec), {}).get(key),
        )
        for key, (kind, _, extra) in spec.items()
    }
    for spec in _SPECS
}
_TYPE_NAMES = {
    str: "a string", bool: "true or false", int: "an integer", dict: "a table", list: "a list",
}  # fmt: skip


def _type_name(kind: type | tuple[type, ...]) -> str:
    return "a number" if isinstance(kind, tuple) else _TYPE_NAMES.get(kind, kind.__name__)


def _check(path: Path, obj: Any, spec: Spec, where: str, skip: Collection[str] = ()) -> None:
    """One table against its spec and its value rules (but those of the fields in `skip`).
    Exact type tests (`type(v) is str`), only over the keys present: this runs for every
    extension and user of the file, so it must cost little next to the parser (bool is never
    accepted for a number: type(True) is bool, not int; a string is printable, so free of
    control characters, in one C call)."""
    if type(obj) is not dict:
        raise AccountFileError(f"{path}: {where}: expected a table, got {type(obj).__name__}")
    fields = _FIELDS[id(spec)]
    for key, value in obj.items():
        field = fields.get(key)
        if field is None:
            raise AccountFileError(f"{path}: {where}: unknown field {key!r}")
        types, kind, extra, check = field
        if type(value) not in types:
            raise AccountFileError(
                f"{path}: {where}.{key}: expected {_type_name(kind)}, got {value!r}"
            )
        if kind is str and not value.isprintable():
            _value(path, f"{where}.{key}", _no_control, value)
        if extra is not None:
            if kind is dict:
                _check(path, value, extra, f"{where}.{key}")
            elif value not in extra:
                raise AccountFileError(
                    f"{path}: {where}.{key}: {value!r} is not one of {', '.join(extra)}"
                )
        if check is not None and key not in skip:
            try:  # _value, inline: this runs for most fields of the file
                check(value)
            except InvalidValue as exc:
                raise AccountFileError(f"{path}: {where}.{key}: {exc.rule}") from None
    if len(obj) < len(spec):  # every key is known: fewer keys means some field is absent
        missing = sorted(_REQUIRED[id(spec)] - obj.keys())
        if missing:
            raise AccountFileError(f"{path}: {where}: missing required field {missing[0]!r}")


def _value(path: Path, where: str, check: Callable[[Any], object], value: Any) -> None:
    """A value rule of domain.rules, its InvalidValue as the account file's error."""
    try:
        check(value)
    except InvalidValue as exc:
        raise AccountFileError(f"{path}: {where}: {exc.rule}") from None


def _no_control(value: str) -> None:
    rules.no_control(value, "")


def _strings(path: Path, items: list[Any], where: str) -> None:
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise AccountFileError(f"{path}: {where}[{i}]: expected a string, got {item!r}")
        if not item.isprintable():
            _value(path, f"{where}[{i}]", _no_control, item)


def _list_of(path: Path, doc: dict[str, Any], key: str, required: bool = True) -> list[Any]:
    value = doc.get(key, [] if not required else None)
    if not isinstance(value, list):
        what = "missing" if value is None else f"expected a list, got {type(value).__name__}"
        raise AccountFileError(f"{path}: {key}: {what}")
    return value


class ItemChecks(Protocol):
    """What has checked the extensions list (ExtensionChecks, or the decoder's column checks)
    and checks across it at the end, once the document's sites, roles and questions are known."""

    def check_sites(self, names: set[str]) -> None: ...
    def check_roles(self, names: set[str]) -> None: ...
    def check_questions(self, questions: list[str]) -> None: ...


def check_document(path: Path, doc: Any, items: ItemChecks | None = None) -> Document:
    """The whole document; or, given the `items` that have checked each extension as it was
    parsed, everything else."""
    if not isinstance(doc, dict):
        raise AccountFileError(f"{path}: the top level must be a table/object")
    version = doc.get("schema_version")
    if version is None:
        raise AccountFileError(
            f"{path}: missing schema_version (this tool writes {SCHEMA_VERSION})"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise AccountFileError(f"{path}: schema_version: expected a positive integer")
    if version > SCHEMA_VERSION:
        raise AccountFileError(
            f"{path}: schema_version {version} is newer than this tool supports "
            f"({SCHEMA_VERSION}): upgrade extadmin"
        )
    known = {"schema_version", "account", "sites", "roles", "security_questions", "mail"}
    if version >= 2:
        known |= {"platform", "profiles"}
    unknown = set(doc) - known - {"extensions"}
    if unknown:
        raise AccountFileError(
            f"{path}: unknown top-level field {sorted(unknown)[0]!r} (in schema_version {version})"
        )
    _check(path, doc.get("account"), ACCOUNT, "account")
    if "platform" in doc:
        _check_platform(path, doc["platform"])
    if "mail" in doc:
        _check(path, doc["mail"], MAIL, "mail")
        # what a socket accepts: a hand-edited nan, inf, 0 or negative timeout would fail
        # every delivery with a crash, after the change that queued the message was saved
        port, timeout = doc["mail"].get("port", 25), doc["mail"].get("timeout", 30)
        if not 1 <= port <= 65535:
            raise AccountFileError(f"{path}: mail.port: {port!r} is not 1 to 65535")
        if not 0 < timeout <= 3600:
            raise AccountFileError(
                f"{path}: mail.timeout: {timeout!r} is not more than 0 and at most 3600 seconds"
            )
    sites = _list_of(path, doc, "sites")
    if not sites:
        raise AccountFileError(f"{path}: sites: an account needs at least its main site")
    site_names: set[str] = set()
    site_codes: dict[str, int] = {}
    for i, site in enumerate(sites):
        _check(path, site, SITE, f"sites[{i}]")
        if site["name"].casefold() in site_names:
            raise AccountFileError(f"{path}: sites[{i}]: duplicate site name {site['name']!r}")
        site_names.add(site["name"].casefold())
        code = site.get("code")
        if code is not None and site_codes.setdefault(code, i) != i:
            raise AccountFileError(
                f"{path}: sites[{i}].code: site code {code} is also the code of sites"
                f"[{site_codes[code]}]"
            )
    _check_profiles(path, _list_of(path, doc, "profiles", required=False))
    for key in ("roles", "security_questions"):
        _strings(path, _list_of(path, doc, key, required=key == "roles"), key)
    roles = {r.casefold() for r in doc["roles"]}
    if doc["account"]["default_role"].casefold() not in roles:
        raise AccountFileError(f"{path}: account.default_role: not one of the account's roles")
    extensions = _list_of(path, doc, "extensions", required=False)
    if items is None:
        checks = ExtensionChecks(path)
        for i, ext in enumerate(extensions):
            checks.check(i, ext)
        items = checks
    items.check_sites(site_names)
    items.check_roles(roles)
    # a stored question is one the account offers now, or offered before a pull brought the
    # platform's (the shipped ones and the account's own)
    offered = [*security_questions(doc), *SECURITY_QUESTIONS, *doc.get("security_questions", [])]
    items.check_questions(list(dict.fromkeys(offered)))
    return doc  # type: ignore[return-value]


def _check_platform(path: Path, link: Any) -> None:
    _check(path, link, PLATFORM, "platform")
    for key, spec in (
        ("roles", ROLE_ID),
        ("languages", LANGUAGE),
        ("security_questions", QUESTION_ID),
    ):
        for i, item in enumerate(link.get(key, [])):
            _check(path, item, spec, f"platform.{key}[{i}]")


def _check_profiles(path: Path, profiles: list[Any]) -> None:
    """Each profile by its spec; names unique, one default profile per site (ignoring case)."""
    names: dict[str, int] = {}
    defaults: dict[str, int] = {}
    for i, profile in enumerate(profiles):
        where = f"profiles[{i}]"
        _check(path, profile, PROFILE, where)
        name = profile["name"].strip().casefold()
        if names.setdefault(name, i) != i:
            raise AccountFileError(
                f"{path}: {where}.name: profile {profile['name']!r} is also profiles[{names[name]}]"
            )
        site = profile.get("default_for_site", "").strip().casefold()
        if site and defaults.setdefault(site, i) != i:
            raise AccountFileError(
                f"{path}: {where}.default_for_site: site {profile['default_for_site']!r} already "
                f"has a default profile (profiles[{defaults[site]}])"
            )


def upgrade(doc: Document) -> Document:
    """An older version's document in this version's shape (written so on the next save).
    1 -> 2 added only optional fields. (A step that changes extensions would have to change
    those AccountStore.read_each gives its `each` too.)"""
    doc["schema_version"] = SCHEMA_VERSION
    return doc


class ExtensionChecks:
    """The checks of the extensions list, one extension at a time, so that a reader may check
    each extension as it is parsed and drop it at once (`AccountStore.read(keep=...)`). The
    sites they name are checked at the end, whatever the order of the file's keys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.numbers: dict[str, int] = {}  # number -> index
        self.ids: dict[str, int] = {}  # platform id -> index
        self.sites: dict[str, tuple[int, str]] = {}  # casefolded site -> (first use, as written)
        self.roles: dict[str, tuple[int, str]] = {}  # casefolded role -> (first use, as written)
        self.questions: dict[str, int] = {}  # security question -> first use

    def check(self, i: int, ext: Any) -> None:
        path, where = self.path, f"extensions[{i}]"
        _check(path, ext, EXTENSION, where)
        if "id" in ext:
            self._check_id(i, ext["id"], where)
        number = ext.get("number")
        if number is None:
            if "id" not in ext or ext["status"] != "unassigned":
                raise AccountFileError(
                    f"{path}: {where}: missing required field 'number' (only an unassigned "
                    "extension pulled from the platform may have none, with its id)"
                )
        elif not rules.NUMBER_RE.fullmatch(number):  # as written: sorted as ints
            raise AccountFileError(
                f"{path}: {where}.number: {number!r} is not an extension number "
                "(digits, 1 to 999999)"
            )
        elif number in self.numbers:
            raise AccountFileError(
                f"{path}: {where}: duplicate extension number {number} "
                f"(also extensions[{self.numbers[number]}])"
            )
        else:
            if number in rules.RESERVED_NUMBERS and number != ext.get("base", {}).get("number"):
                # a reserved number the platform holds is the platform's (PULLED)
                _value(path, f"{where}.number", rules.extension_number, number)
            self.numbers[number] = i
        self.sites.setdefault(ext["site"].casefold(), (i, ext["site"]))
        if ("user" in ext) == (ext["status"] == "unassigned"):
            raise AccountFileError(
                f"{path}: {where}: status {ext['status']!r} does not match "
                f"{'a' if 'user' in ext else 'no'} user"
            )
        if "user" in ext:
            self._check_user(i, ext, f"{where}.user")
        if "release" in ext and (
            ext["release"] is not True or ext["status"] != "unassigned" or "base" not in ext
        ):
            raise AccountFileError(
                f"{path}: {where}.release: true only on an unassigned extension pulled from the "
                "platform (its line and number go back to RingCentral at the next apply)"
            )

    def _check_user(self, i: int, ext: Any, where: str) -> None:
        user, base = ext["user"], ext.get("base")
        pulled = () if base is None else [f for f in PULLED if user.get(f, "") == base.get(f, "")]
        _check(self.path, user, USER, where, pulled)
        self.roles.setdefault(user["role"].casefold(), (i, user["role"]))
        if user.get("unique_email") is False and user.get("setup") != "credentials":
            raise AccountFileError(
                f"{self.path}: {where}.unique_email: false only with setup 'credentials' (an "
                "invitation must go to the user's own address)"
            )
        question = user.get("credentials", {}).get("security_question")
        if question is not None:
            self.questions.setdefault(question, i)

    def _check_id(self, i: int, ext_id: str, where: str) -> None:
        if not ID_RE.fullmatch(ext_id):
            raise AccountFileError(f"{self.path}: {where}.id: {ext_id!r} is not a platform id")
        if ext_id in self.ids:
            raise AccountFileError(
                f"{self.path}: {where}: duplicate platform id {ext_id} "
                f"(also extensions[{self.ids[ext_id]}])"
            )
        self.ids[ext_id] = i

    def check_sites(self, names: set[str]) -> None:
        """Every site an extension names is one of the account's (casefolded names)."""
        for key, (i, site) in sorted(self.sites.items(), key=lambda item: item[1]):
            if key not in names:
                raise AccountFileError(f"{self.path}: extensions[{i}].site: unknown site {site!r}")

    def check_roles(self, names: set[str]) -> None:
        """Every user's role is one of the account's `roles` (casefolded names)."""
        for key, (i, role) in sorted(self.roles.items(), key=lambda item: item[1]):
            if key not in names:
                raise AccountFileError(
                    f"{self.path}: extensions[{i}].user.role: {role!r} is not one of the "
                    "account's roles"
                )

    def check_questions(self, questions: list[str]) -> None:
        """Every security question is one of `questions`, as written there."""
        for question, i in sorted(self.questions.items(), key=lambda item: item[1]):
            _value(
                self.path,
                f"extensions[{i}].user.credentials.security_question",
                rules.as_written(lambda value: rules.security_question(value, questions)),
                question,
            )
