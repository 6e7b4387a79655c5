"""The check every loaded document goes through: schema version, types, required fields, allowed
values, duplicate numbers and references. Errors name the path, the place and what is wrong."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from extadmin.domain.catalog import BASE_FIELDS, RECORDING, SETUP_OPTIONS, STATUSES
from extadmin.domain.model import SCHEMA_VERSION, Document
from extadmin.errors import AccountFileError

# field -> (type, required, allowed values or nested spec)
Spec = dict[str, tuple[type | tuple[type, ...], bool, Any]]

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
    "first_name": (str, True, None),
    "last_name": (str, True, None),
    "email": (str, True, None),
    "unique_email": (bool, False, None),
    "contact_phone": (str, False, None),
    "mobile_phone": (str, False, None),
    "job_title": (str, False, None),
    "department": (str, False, None),
    "role": (str, True, None),
    "language": (str, False, None),
    "greeting_language": (str, False, None),
    "regional_format": (str, False, None),
    "recording": (str, True, RECORDING),
    "setup": (str, False, tuple(SETUP_OPTIONS)),
    "created_at": (str, False, None),
    "credentials": (dict, False, CREDENTIALS),
    "activation": (dict, False, ACTIVATION),
    "engage_voice": (dict, False, ENGAGE),
}
BASE: Spec = dict.fromkeys(BASE_FIELDS, (str, False, None))
EXTENSION: Spec = {
    "number": (str, False, None),
    "site": (str, True, None),
    "status": (str, True, STATUSES),
    "device": (dict, False, DEVICE),
    "user": (dict, False, USER),
    "id": (str, False, None),
    "base": (dict, False, BASE),
}
SITE: Spec = {"name": (str, True, None), "code": (str, False, None), "id": (str, False, None)}
PLATFORM: Spec = {
    "server": (str, True, None),
    "client_id": (str, True, None),
    "account_id": (str, True, None),
    "roles": (list, False, None),
    "languages": (list, False, None),
}
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
    "starttls": (bool, False, None),
    "timeout": ((int, float), False, None),
}
ACCOUNT: Spec = {
    "name": (str, True, None),
    "country": (str, True, None),
    "locale": (str, True, None),
    "tls": (str, False, ("starttls", "implicit", "none")),
    "default_role": (str, True, None),
    "activation_url": (str, False, None),
    "token_days": (int, False, None),
}

_NUMBER = re.compile(r"[1-9][0-9]{0,5}")
_ID = re.compile(r"[0-9]{1,19}")  # the platform's int64 ids, kept as text
_SPECS = (
    DEVICE, CREDENTIALS, ACTIVATION, ENGAGE, USER, BASE, EXTENSION, SITE, MAIL, ACCOUNT,
    PLATFORM, ROLE_ID, LANGUAGE,
)  # fmt: skip
_REQUIRED = {id(spec): frozenset(k for k, (_, req, _) in spec.items() if req) for spec in _SPECS}
_TYPE_NAMES = {
    str: "a string", bool: "true or false", int: "an integer", dict: "a table", list: "a list",
}  # fmt: skip


def _type_name(kind: type | tuple[type, ...]) -> str:
    return "a number" if isinstance(kind, tuple) else _TYPE_NAMES.get(kind, kind.__name__)


def _check(path: Path, obj: Any, spec: Spec, where: str) -> None:
    """One table against its spec. Exact type tests (`type(v) is str`), only over the keys
    present: this runs for every extension and user of the file, so it must cost little next
    to the parser (bool is never accepted for a number: type(True) is bool, not int)."""
    if type(obj) is not dict:
        raise AccountFileError(f"{path}: {where}: expected a table, got {type(obj).__name__}")
    for key, value in obj.items():
        rule = spec.get(key)
        if rule is None:
            raise AccountFileError(f"{path}: {where}: unknown field {key!r}")
        kind, _, extra = rule
        if type(value) not in (kind if isinstance(kind, tuple) else (kind,)):
            raise AccountFileError(
                f"{path}: {where}.{key}: expected {_type_name(kind)}, got {value!r}"
            )
        if extra is None:
            continue
        if kind is dict:
            _check(path, value, extra, f"{where}.{key}")
        elif value not in extra:
            raise AccountFileError(
                f"{path}: {where}.{key}: {value!r} is not one of {', '.join(extra)}"
            )
    if len(obj) < len(spec):  # every key is known: fewer keys means some field is absent
        missing = sorted(_REQUIRED[id(spec)] - obj.keys())
        if missing:
            raise AccountFileError(f"{path}: {where}: missing required field {missing[0]!r}")


_TOKEN_HASH = re.compile(r"sha256\$[0-9a-f]{64}")


def _check_activation(path: Path, activation: dict[str, str], where: str) -> None:
    """A hand-edited invitation must still be one that `activate` can check."""
    if not _TOKEN_HASH.fullmatch(activation["token_hash"]):
        raise AccountFileError(f"{path}: {where}.token_hash: not a sha256$<64 hex digits> hash")
    try:
        expires = datetime.fromisoformat(activation["expires_at"])
    except ValueError:
        expires = None
    if expires is None or expires.tzinfo is None:
        raise AccountFileError(
            f"{path}: {where}.expires_at: {activation['expires_at']!r} is not a date and time "
            "with a UTC offset (2030-01-31T12:00:00+00:00)"
        )


def _list_of(path: Path, doc: dict[str, Any], key: str, required: bool = True) -> list[Any]:
    value = doc.get(key, [] if not required else None)
    if not isinstance(value, list):
        what = "missing" if value is None else f"expected a list, got {type(value).__name__}"
        raise AccountFileError(f"{path}: {key}: {what}")
    return value


def check_document(path: Path, doc: Any, items: ExtensionChecks | None = None) -> Document:
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
        known.add("platform")
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
    for i, site in enumerate(sites):
        _check(path, site, SITE, f"sites[{i}]")
        if site["name"].casefold() in site_names:
            raise AccountFileError(f"{path}: sites[{i}]: duplicate site name {site['name']!r}")
        site_names.add(site["name"].casefold())
    for key in ("roles", "security_questions"):
        for i, item in enumerate(_list_of(path, doc, key, required=key == "roles")):
            if not isinstance(item, str):
                raise AccountFileError(f"{path}: {key}[{i}]: expected a string, got {item!r}")
    roles = {r.casefold() for r in doc["roles"]}
    if doc["account"]["default_role"].casefold() not in roles:
        raise AccountFileError(f"{path}: account.default_role: not one of the account's roles")
    extensions = _list_of(path, doc, "extensions", required=False)
    if items is None:
        items = ExtensionChecks(path)
        for i, ext in enumerate(extensions):
            items.check(i, ext)
    items.check_sites(site_names)
    return doc  # type: ignore[return-value]


def _check_platform(path: Path, link: Any) -> None:
    _check(path, link, PLATFORM, "platform")
    for key, spec in (("roles", ROLE_ID), ("languages", LANGUAGE)):
        for i, item in enumerate(link.get(key, [])):
            _check(path, item, spec, f"platform.{key}[{i}]")


def upgrade(doc: Document) -> Document:
    """An older version's document in this version's shape (written so on the next save).
    1 -> 2 added only optional fields."""
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
        elif not _NUMBER.fullmatch(number):  # the rule of rules.extension_number: sorted as ints
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
            self.numbers[number] = i
        self.sites.setdefault(ext["site"].casefold(), (i, ext["site"]))
        activation = ext.get("user", {}).get("activation")
        if activation is not None:
            _check_activation(path, activation, f"{where}.user.activation")
        if ("user" in ext) == (ext["status"] == "unassigned"):
            raise AccountFileError(
                f"{path}: {where}: status {ext['status']!r} does not match "
                f"{'a' if 'user' in ext else 'no'} user"
            )

    def _check_id(self, i: int, ext_id: str, where: str) -> None:
        if not _ID.fullmatch(ext_id):
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
