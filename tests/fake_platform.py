"""A fake RingCentral platform for the tests: a real HTTP/1.1 server on 127.0.0.1.

It keeps an account (extensions, sites, roles, languages, the call-recording list) in plain
attributes that tests may read and change, answers in the platform's shapes, sends the
rate-limit headers, and is strict: every request body is checked against a JSON Schema written
here (known fields only), and every breach by the client is answered 4xx AND appended to
`violations`, so a test of extadmin can end with `assert not fake.violations`.

    with serve() as fake:                 # or FakePlatform().start() ... stop()
        fake.add_extension("101", status="Unassigned")
        ... fake.url, fake.client_id, fake.client_secret, fake.jwt
        assert not fake.violations

ROUTES (below the handlers) is the table of endpoints: method, path, rate-limit group, allowed
query parameters, handler. Each handler has its request schema just above it. The error codes
are listed in the docstring at the end of the file.

Decisions of this fake (inferred, not stated by the platform): a bulk-update task moves one
state per poll and applies its records at the poll that completes it; a role cannot be given
to an Unassigned extension; an Unassigned extension without a number cannot be assigned without
one; a contact field set to "" is removed; `Retry-After` may be a decimal ("0.5") so that tests
stay fast; a list page has no `lastPage` and no totals, only `navigation.nextPage`;
`X-Rate-Limit-Window` is whole seconds, rounded up (FakePlatform(decimal_window=True): as given);
every User extension has a digital line (a phone number, `lines`), and a user deleted with its
assets kept (bulkDeleteUsersV2's default) leaves that line listed as an Unassigned extension
with a new id, the same extension number and site; deleting an id that is gone answers its
record with CMN-102 (and is noted in `deleted_again`).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import math
import random
import re
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from tests import published_api

# Error codes (see the list at the end of the file).
TOKEN_INVALID = "TokenInvalid"  # 401: access token unknown, expired or revoked
NO_BEARER = "AGW-401"  # 401: no `Authorization: Bearer` header (a violation)
INVALID_CLIENT = "OAU-123"  # 401: wrong client id / secret
INVALID_GRANT = "OAU-213"  # 400: wrong JWT, unknown refresh token
INVALID_VALUE = "CMN-101"  # 400: a parameter or body field is invalid (`parameterName` says which)
NOT_FOUND = "CMN-102"  # 404: unknown resource or endpoint
SERVICE_UNAVAILABLE = "CMN-211"  # 5xx injected with fail_with_status()
RATE_EXCEEDED = "CMN-301"  # 429
FEATURE_REFUSED = "CMN-419"  # 403: the security-question API is not enabled for this app
PERMISSION_MISSING = "CMN-401"  # 403: the app lacks the operation's x-app-permission (inferred)
NUMBER_TAKEN = "EXT-402"  # 400: extensionNumber belongs to another extension
EMAIL_TAKEN = "EXT-403"  # 400: contact.email belongs to another extension
BULK_RECORD_REFUSED = "EXT-404"  # default code of fail_bulk_records()
NOT_ASSIGNED = "EXT-409"  # 400: a role for an Unassigned extension
SSO_PASSWORD = "EXT-413"  # 400: a password on an account that signs in with SSO

STATUSES = ("Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned")
EXTENSION_TYPES = (
    "User", "Department", "Announcement", "Voicemail", "SharedLinesGroup", "PagingOnly",
    "ParkLocation", "IvrMenu", "Limited", "ApplicationExtension", "Site", "Bot", "Room",
    "DelegatedLinesGroup", "GroupCallPickup", "FlexibleUser", "VirtualUser", "DigitalUser",
)  # fmt: skip
DIRECTIONS = ("Inbound", "Outbound", "All")
RESERVED_NUMBERS = {"911", "933", "988", "112", "999"} | {f"{d}11" for d in range(2, 9)}
FIRST_ID = 62000000001

# (id, localeCode, name, ui, greeting, formattingLocale)
LANGUAGES = [
    ("1033", "en-US", "English (United States)", True, True, True),
    ("2057", "en-GB", "English (United Kingdom)", True, True, True),
    ("3081", "en-AU", "English (Australia)", True, True, True),
    ("4105", "en-CA", "English (Canada)", False, True, True),
    ("1036", "fr-FR", "French (France)", True, True, True),
    ("3084", "fr-CA", "French (Canada)", True, True, True),
    ("1031", "de-DE", "German (Germany)", True, True, True),
    ("3082", "es-ES", "Spanish (Spain)", True, True, True),
    ("58378", "es-419", "Spanish (Latin America)", True, True, False),
    ("1040", "it-IT", "Italian (Italy)", True, True, True),
    ("1043", "nl-NL", "Dutch (Netherlands)", True, True, True),
    ("1046", "pt-BR", "Portuguese (Brazil)", True, True, True),
    ("2070", "pt-PT", "Portuguese (Portugal)", True, True, True),
    ("1035", "fi-FI", "Finnish (Finland)", True, True, True),
    ("1041", "ja-JP", "Japanese (Japan)", True, True, True),
    ("1042", "ko-KR", "Korean (Korea)", True, True, True),
    ("2052", "zh-CN", "Chinese (China)", True, True, True),
    ("1028", "zh-TW", "Chinese (Taiwan)", True, True, True),
    ("3076", "zh-HK", "Chinese (Hong Kong)", False, True, True),
    ("16393", "en-IN", "English (India)", False, False, True),
    ("1030", "da-DK", "Danish (Denmark)", False, True, False),
]
PREDEFINED_ROLES = [
    ("1", "Super Admin"), ("2", "Phone System Admin"), ("3", "Billing Admin"),
    ("4", "User Admin"), ("5", "Manager"), ("6", "Standard"), ("7", "Standard (International)"),
]  # fmt: skip
SECRET_QUESTIONS = [
    "What was the name of your first school?", "In which town was your first job?",
    "What was the model of your first car?", "What is your oldest cousin's first name?",
    "What was the name of your first pet?", "In which street did you grow up?",
]  # fmt: skip


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str  # path only, e.g. "/restapi/v1.0/account/~/extension"
    query: dict[str, list[str]]  # parse_qs(keep_blank_values=True)
    raw_query: str  # the query string exactly as received
    body: Any  # parsed JSON, dict[str, str] for form bodies, or None (raw text if unparsable)
    status: int  # status the fake answered (0 if the connection was dropped)
    time: float  # time.monotonic() on arrival
    during_penalty: bool
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case


class _Refusal(Exception):
    """An error answer; `violation` (if any) is recorded as a breach by the client."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter: str | None = None,
        violation: str | None = None,
        oauth: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.parameter, self.violation, self.oauth = parameter, violation, oauth

    def body(self) -> dict[str, Any]:
        item = {"errorCode": self.code, "message": self.message}
        if self.parameter:
            item["parameterName"] = self.parameter
        top: dict[str, Any] = {"errorCode": self.code, "message": self.message}
        if self.oauth:
            top = {"error": self.oauth, "error_description": self.message}
        return {**top, "errors": [item]}


def _bad(message: str, parameter: str | None = None, *, violation: bool = False) -> _Refusal:
    return _Refusal(
        400, INVALID_VALUE, message, parameter=parameter, violation=message if violation else None
    )


@dataclass
class Request:
    method: str
    path: str
    params: tuple[str, ...]  # the groups of the endpoint's path regex
    query: dict[str, list[str]]
    raw_query: str
    body: Any
    headers: Message


Reply = tuple[int, Any]  # status, JSON body (None: empty body)


# ---------------------------------------------------------------------------------------------
# Schemas and handlers. A schema says what the client may send to one endpoint; every object in
# it is closed (additionalProperties: false). A handler runs under the fake's lock and returns
# (status, JSON body or None); it raises _Refusal for an error answer.


def _object(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> Any:
    """A closed object: only these properties."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


SECRET_FIELDS = {"password", "ivrPin", "answer", "assertion", "refresh_token", "token"}


def _message(error: Any) -> str:
    """jsonschema's message, shortened, and without the value of a secret field."""
    if error.path and error.path[-1] in SECRET_FIELDS:
        return f"the value breaks '{error.validator}'"
    text: str = error.message
    return text if len(text) <= 200 else f"{text[:90]} ... {text[-90:]}"


def _validate(req: Request, validator: Draft202012Validator) -> Any:
    """The body, or a 400 that is also a violation (listing every breach)."""
    errors = sorted(validator.iter_errors(req.body), key=lambda e: list(map(str, e.path)))
    if not errors:
        return req.body

    def where(error: Any) -> str:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        return path.lstrip(".")

    first = best_match(errors)
    every = "; ".join(f"{where(e) or '(body)'}: {_message(e)}" for e in errors[:10])
    message = f"{where(first) or '(body)'}: {_message(first)}"
    raise _Refusal(
        400, INVALID_VALUE, message, parameter=where(first) or None, violation=f"schema: {every}"
    )


ID = {"type": "string", "minLength": 1}
DIGITS_ID = {"type": "string", "pattern": "^[0-9]+$"}  # an extension id, as a string
REF = _object({"id": ID}, ("id",))
NAME = {"type": "string", "maxLength": 64}
PHONE = {"type": "string", "pattern": r"^\+[1-9][0-9]{1,14}$"}  # E.164
BOOL = {"type": "boolean"}


# -- auth ---------------------------------------------------------------------------------------
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_FORM = _validator(
    _object(
        {
            "grant_type": {"enum": [JWT_GRANT, "refresh_token"]},
            "assertion": ID,
            "refresh_token": ID,
        },
        ("grant_type",),
        allOf=[  # the JWT grant takes an assertion, the refresh grant a refresh token
            {
                "if": {"properties": {"grant_type": {"const": grant}}},
                "then": {"required": [needs], "not": {"required": [refused]}},
            }
            for grant, needs, refused in (
                (JWT_GRANT, "assertion", "refresh_token"),
                ("refresh_token", "refresh_token", "assertion"),
            )
        ],
    )
)


def token(fake: FakePlatform, req: Request) -> Reply:
    form = _validate(req, TOKEN_FORM)
    fake._check_client(req)
    if form["grant_type"] == "refresh_token":
        if form["refresh_token"] not in fake._refresh_tokens:
            raise _Refusal(400, INVALID_GRANT, "Refresh token is unknown", oauth="invalid_grant")
        fake._refresh_tokens.discard(form["refresh_token"])  # a refresh token serves once
        fake.refreshes += 1
    else:
        if form["assertion"] != fake.jwt:
            raise _Refusal(400, INVALID_GRANT, "JWT is not valid", oauth="invalid_grant")
        fake.tokens_issued += 1
    refresh = secrets.token_urlsafe(32)
    fake._refresh_tokens.add(refresh)
    return 200, {
        "access_token": fake.issue_token(),
        "token_type": "bearer",
        "expires_in": fake.token_lifetime,
        "refresh_token": refresh,
        "refresh_token_expires_in": 604800,
        "scope": " ".join(sorted(fake.permissions)),
        "owner_id": "62000000000",
        "endpoint_id": secrets.token_urlsafe(16),
    }


REVOKE_FORM = _validator(_object({"token": ID}, ("token",)))


def revoke(fake: FakePlatform, req: Request) -> Reply:
    form = _validate(req, REVOKE_FORM)
    fake._check_client(req)
    fake._access_tokens.pop(form["token"], None)
    fake._refresh_tokens.discard(form["token"])
    return 200, None


# -- account, dictionaries, sites -----------------------------------------------------------------
def get_account(fake: FakePlatform, req: Request) -> Reply:
    return 200, {
        "id": int(fake.account_id),
        "uri": fake._account_uri(),
        "mainNumber": "+16505550100",
        "status": "Confirmed",
        "regionalSettings": {
            "homeCountry": {"id": "1", "isoCode": "US", "name": "United States"},
            "language": fake._language_ref("en-US"),
        },
    }


def list_languages(fake: FakePlatform, req: Request) -> Reply:
    records = [dict(lang) for lang in fake.languages]
    return 200, {"records": records, "navigation": {}, "paging": {"page": 1}}


def list_secret_questions(fake: FakePlatform, req: Request) -> Reply:
    return 200, {"records": [dict(q) for q in fake.secret_questions]}


def list_sites(fake: FakePlatform, req: Request) -> Reply:
    records = [dict(site) for site in fake.sites]
    paging = {"page": 1, "perPage": len(records), "pageStart": 0, "pageEnd": len(records) - 1}
    return 200, {"records": records, "paging": paging}


# -- extensions -----------------------------------------------------------------------------------
def list_extensions(fake: FakePlatform, req: Request) -> Reply:
    types, statuses = req.query.get("type", []), req.query.get("status", [])
    for name, values, allowed in (("type", types, EXTENSION_TYPES), ("status", statuses, STATUSES)):
        if unknown := [v for v in values if v not in allowed]:
            raise _bad(f"query {name}: unknown value {unknown[0]!r}", name, violation=True)
    emails = {e.lower() for e in req.query.get("email", [])}
    numbers = set(req.query.get("extensionNumber", []))
    chosen = [
        ext
        for _, ext in sorted(fake.extensions.items())
        if (not types or ext["type"] in types)
        and (not statuses or ext["status"] in statuses)
        and (not emails or ext["contact"].get("email", "").lower() in emails)
        and (not numbers or ext.get("extensionNumber") in numbers)
    ]
    return 200, fake._paged(req, chosen, fake._list_view)


def get_extension(fake: FakePlatform, req: Request) -> Reply:
    return 200, fake._full_view(fake._extension(req.params[0]))


# The fields of an update, in the PUT and in each bulk-update record.
EXTENSION_FIELDS = {
    "status": {"enum": ["Enabled", "Disabled", "NotActivated"]},  # never Unassigned or Frozen
    "extensionNumber": {"type": "string", "pattern": "^[0-9]{1,8}$"},
    "contact": _object(
        {
            "firstName": NAME,
            "lastName": NAME,
            "email": {"type": "string", "maxLength": 254, "pattern": r"^[^@\s]+@[^@\s]+$"},
            "businessPhone": PHONE,
            "mobilePhone": PHONE,
            "jobTitle": NAME,
            "department": NAME,
        },
        minProperties=1,
    ),
    "regionalSettings": _object(  # ids from the language dictionary, not locale codes
        {"language": REF, "greetingLanguage": REF, "formattingLocale": REF}, minProperties=1
    ),
    "site": REF,
    "transition": _object({"sendWelcomeEmail": BOOL}, ("sendWelcomeEmail",)),
    "password": {"type": "string", "minLength": 1},
    "ivrPin": {"type": "string", "pattern": "^[0-9]+$"},
}
# the definition requires no field of an update (ExtensionUpdateRequest): not even status
PUT_EXTENSION = _validator(_object(EXTENSION_FIELDS))


def put_extension(fake: FakePlatform, req: Request) -> Reply:
    ext = fake._extension(req.params[0])
    body = _validate(req, PUT_EXTENSION)
    fake._check_update(ext, body)
    fake._apply_update(ext, body)
    return 200, fake._full_view(ext)


CREDENTIALS = _validator(
    _object(
        {"secretQuestion": _object({"id": ID, "answer": ID}, ("id", "answer"))}, ("secretQuestion",)
    )
)


def put_credentials(fake: FakePlatform, req: Request) -> Reply:
    ext = fake._extension(req.params[0])
    question = _validate(req, CREDENTIALS)["secretQuestion"]
    if fake._refuse_security_question:
        raise _Refusal(403, FEATURE_REFUSED, "This API is not enabled for the application")
    if question["id"] not in {q["id"] for q in fake.secret_questions}:
        raise _bad("Unknown secret question", "secretQuestion.id")
    fake.credentials.setdefault(ext["id"], {})["secretQuestion"] = dict(question)
    return 200, None


BULK_UPDATE = _validator(
    _object(
        {
            "records": {
                "type": "array",
                "minItems": 1,
                "maxItems": 500,
                "items": _object({"id": DIGITS_ID, **EXTENSION_FIELDS}, ("id",)),
            }
        },
        ("records",),
    )
)


def post_bulk_update(fake: FakePlatform, req: Request) -> Reply:
    records = _validate(req, BULK_UPDATE)["records"]
    if len({r["id"] for r in records}) != len(records):
        raise _bad("the same extension twice in one bulk update", "records", violation=True)
    fake._task_counter += 1
    now = _now()
    task_id = f"bulk-{fake._task_counter:04d}-{uuid.uuid4().hex[:8]}"
    task = {"id": task_id, "status": "Accepted", "creationTime": now, "lastModifiedTime": now}
    private = {
        "_records": records,
        "_polls": 0,
        "_fail": fake._fail_next_task,
        "_due": time.monotonic() + fake.task_seconds,
    }
    fake.tasks[task_id] = {**task, **private}
    fake._fail_next_task = False
    return 202, task


def get_bulk_task(fake: FakePlatform, req: Request) -> Reply:
    task = fake.tasks.get(req.params[0])
    if task is None:
        raise _Refusal(404, NOT_FOUND, "Task not found")
    if task["status"] not in ("Completed", "Failed"):
        task["_polls"] += 1
        if task["_polls"] >= fake._bulk_polls:
            fake._finish_task(task)
        else:
            task["status"] = "InProgress"
        task["lastModifiedTime"] = _now()
    return 200, {k: v for k, v in task.items() if not k.startswith("_")}


# -- offboarding: bulkDeleteUsersV2 ----------------------------------------------------------------
BULK_DELETE_USERS = _validator(
    _object(
        {
            "keepAssetsInInventory": BOOL,  # the definition's default: true
            "records": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": _object({"id": {"type": "string"}}, ("id",)),
            },
        },
        ("records",),
    )
)


def delete_users(fake: FakePlatform, req: Request) -> Reply:
    """Each record deleted, or its errors (BulkItemResultModel); the answer names every record
    by its id. Kept assets (the default): the line (device and phone number) stays with the
    account, listed as an Unassigned extension with a new id; else its number is released."""
    body = _validate(req, BULK_DELETE_USERS)
    ids = [r["id"] for r in body["records"]]
    if len(set(ids)) != len(ids):
        raise _bad("the same extension twice in one request", "records", violation=True)
    keep = body.get("keepAssetsInInventory", True)
    return 200, {"records": [{"id": i, **fake._delete_user(i, keep)} for i in ids]}


# -- roles ----------------------------------------------------------------------------------------
def list_roles(fake: FakePlatform, req: Request) -> Reply:
    def view(role: dict[str, Any]) -> dict[str, Any]:
        return {**role, "scope": "Account"}

    return 200, fake._paged(req, fake.roles, view)


def default_role(fake: FakePlatform, req: Request) -> Reply:
    return 200, fake._role_ref(fake.default_role_id)


ASSIGNED_ROLE = _validator(
    _object(
        {"records": {"type": "array", "minItems": 1, "maxItems": 1, "items": REF}}, ("records",)
    )
)


def put_assigned_role(fake: FakePlatform, req: Request) -> Reply:
    ext = fake._extension(req.params[0])
    role_id = _validate(req, ASSIGNED_ROLE)["records"][0]["id"]
    if fake._role(role_id) is None:
        raise _bad("Unknown role", "records[0].id")
    fake._check_assigned(ext)
    ext["roles"] = [fake._role_ref(role_id)]
    return 200, {"records": [fake._role_ref(role_id)]}


ROLE_BULK_ASSIGN = _validator(
    _object(
        {"addedExtensionIds": {"type": "array", "minItems": 1, "items": DIGITS_ID}},
        ("addedExtensionIds",),
    )
)


def role_bulk_assign(fake: FakePlatform, req: Request) -> Reply:
    role_id = req.params[0]
    if fake._role(role_id) is None:
        raise _Refusal(404, NOT_FOUND, "Role not found")
    ids = _validate(req, ROLE_BULK_ASSIGN)["addedExtensionIds"]
    chosen = [fake._extension(i, status=400) for i in ids]
    for ext in chosen:
        fake._check_assigned(ext)
    for ext in chosen:  # all or nothing
        ext["roles"] = [fake._role_ref(role_id)]
    return 200, None


# -- call recording -------------------------------------------------------------------------------
def list_recording(fake: FakePlatform, req: Request) -> Reply:
    def view(ext_id: int) -> dict[str, Any]:
        ext = fake.extensions[ext_id]
        record = {"id": str(ext_id), "uri": fake._extension_uri(ext_id)}
        if "extensionNumber" in ext:
            record["extensionNumber"] = ext["extensionNumber"]
        return {**record, "type": ext["type"], "callDirection": fake.recording[ext_id]}

    records = [view(i) for i in sorted(fake.recording) if i in fake.extensions]
    return 200, {"records": records, "paging": {"page": 1, "perPage": len(records)}}


RECORDING_ITEM = _object(
    {"id": DIGITS_ID, "callDirection": {"enum": list(DIRECTIONS)}}, ("id", "callDirection")
)
RECORDING_BULK_ASSIGN = _validator(
    _object(
        {
            "addedExtensions": {"type": "array", "items": RECORDING_ITEM},
            "updatedExtensions": {"type": "array", "items": RECORDING_ITEM},
            "removedExtensions": {"type": "array", "items": _object({"id": DIGITS_ID}, ("id",))},
        },
        anyOf=[  # at least one non-empty list
            {"properties": {key: {"minItems": 1}}, "required": [key]}
            for key in ("addedExtensions", "updatedExtensions", "removedExtensions")
        ],
    )
)


def recording_bulk_assign(fake: FakePlatform, req: Request) -> Reply:
    body = _validate(req, RECORDING_BULK_ASSIGN)
    seen: set[int] = set()
    for key in ("addedExtensions", "updatedExtensions", "removedExtensions"):
        for n, item in enumerate(body.get(key, [])):
            where, ext_id = f"{key}[{n}].id", int(item["id"])
            ext = fake.extensions.get(ext_id)
            if ext is None or ext["type"] != "User" or ext["status"] == "Unassigned":
                raise _bad("Not a user extension", where)
            if ext_id in seen:
                raise _bad("The same extension twice", where, violation=True)
            seen.add(ext_id)
            if (key == "addedExtensions") == (ext_id in fake.recording):
                state = "already recorded" if key == "addedExtensions" else "not recorded"
                raise _bad(f"Extension is {state}", where)
    for item in body.get("addedExtensions", []) + body.get("updatedExtensions", []):
        fake.recording[int(item["id"])] = item["callDirection"]
    for item in body.get("removedExtensions", []):
        del fake.recording[int(item["id"])]
    return 200, None


def get_recording_settings(fake: FakePlatform, req: Request) -> Reply:
    automatic = {
        "enabled": fake.recording_enabled,
        **fake.recording_settings["automatic"],
        "extensionCount": len(fake.recording),
    }
    return 200, {"onDemand": dict(fake.recording_settings["onDemand"]), "automatic": automatic}


RECORDING_SETTINGS = _validator(
    _object(
        {
            "onDemand": _object({"enabled": BOOL}),
            "automatic": _object(  # extensionCount is read-only
                {
                    "enabled": BOOL,
                    "outboundCallTones": BOOL,
                    "outboundCallAnnouncement": BOOL,
                    "allowMute": BOOL,
                }
            ),
        },
        minProperties=1,
    )
)


def put_recording_settings(fake: FakePlatform, req: Request) -> Reply:
    body = _validate(req, RECORDING_SETTINGS)
    automatic = dict(body.get("automatic", {}))
    if "enabled" in automatic:
        fake.recording_enabled = automatic.pop("enabled")
    fake.recording_settings["automatic"].update(automatic)
    fake.recording_settings["onDemand"].update(body.get("onDemand", {}))
    return get_recording_settings(fake, req)


# ---------------------------------------------------------------------------------------------
# The endpoints. {acct} is the account part, "~" or the account id. `query`: the query
# parameters the endpoint accepts (any other is a violation); `body`: what it takes.


class Endpoint(NamedTuple):
    method: str
    path: str  # a regex, matched whole; its groups are given to the handler
    group: str  # the rate-limit group
    handler: Callable[[FakePlatform, Request], Reply]
    query: tuple[str, ...] = ()
    body: str | None = None  # "json", "form" or None (no body)
    beyond: bool = False  # not in the published definition: 404 unless a test offers it


PAGED = ("page", "perPage")
LIST_QUERY = ("type", "status", "email", "extensionNumber", *PAGED)
# fmt: off
ROUTES = [
    Endpoint("POST", r"/restapi/oauth/token",            "Auth",   token,   body="form"),
    Endpoint("POST", r"/restapi/oauth/revoke",           "Auth",   revoke,  body="form"),
    Endpoint("GET",  r"{acct}",                          "Light",  get_account),
    Endpoint("GET",  r"{acct}/extension",                "Medium", list_extensions, LIST_QUERY),
    Endpoint("GET",  r"{acct}/extension/(\d+)",          "Light",  get_extension),
    Endpoint("PUT",  r"{acct}/extension/(\d+)",          "Medium", put_extension,   body="json"),
    Endpoint("PUT",  r"{acct}/extension/(\d+)/credentials", "Medium", put_credentials, body="json",
             beyond=True),
    Endpoint("PUT",  r"{acct}/extension/(\d+)/assigned-role", "Medium", put_assigned_role,
             body="json"),
    Endpoint("POST", r"{acct}/extension-bulk-update",    "Heavy",  post_bulk_update, body="json"),
    Endpoint("GET",  r"{acct}/extension-bulk-update/tasks/([\w-]+)", "Light", get_bulk_task),
    Endpoint("GET",  r"{acct}/user-role",                "Light",  list_roles, PAGED),
    Endpoint("GET",  r"{acct}/user-role/default",        "Light",  default_role),
    Endpoint("POST", r"{acct}/user-role/([\w-]+)/bulk-assign", "Heavy", role_bulk_assign,
             body="json"),
    Endpoint("GET",  r"{acct}/sites",                    "Light",  list_sites),
    Endpoint("GET",  r"{acct}/call-recording",           "Light",  get_recording_settings),
    Endpoint("PUT",  r"{acct}/call-recording",           "Medium", put_recording_settings,
             body="json"),
    Endpoint("GET",  r"{acct}/call-recording/extensions", "Light", list_recording),
    Endpoint("POST", r"{acct}/call-recording/bulk-assign", "Heavy", recording_bulk_assign,
             body="json"),
    Endpoint("DELETE", r"{acct2}/extensions",            "Heavy",  delete_users, body="json"),
    Endpoint("GET",  r"/restapi/v1\.0/dictionary/language", "Light", list_languages),
    Endpoint("GET",  r"/restapi/v1\.0/dictionary/secret-question", "Light",
             list_secret_questions, beyond=True),
]
# fmt: on
APP_PERMISSIONS = ("ReadAccounts", "EditExtensions", "RoleManagement", "EditAccounts")
DEFAULT_LIMITS = {"Light": (50, 60.0), "Medium": (40, 60.0), "Heavy": (10, 60.0), "Auth": (5, 60.0)}


def scaled_limits(scale: float) -> tuple[dict[str, tuple[int, float]], str]:
    """DEFAULT_LIMITS with windows `scale` times shorter than a minute (the benchmarks' time
    scale: a platform minute in 60/scale real seconds), and the words that say so."""
    window = 60.0 / scale
    limits = {group: (count, window) for group, (count, _) in DEFAULT_LIMITS.items()}
    counts = ", ".join(f"{g} {DEFAULT_LIMITS[g][0]}" for g in ("Auth", "Light", "Medium", "Heavy"))
    return limits, (
        f"fake platform limits: {counts} requests a 60 s window, time scaled {scale:g}x: "
        f"{window:g} s windows"
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _seconds(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------
# The platform


class FakePlatform:
    client_id: str = "fake-client-id"
    client_secret: str = "fake-secret-Qm7xK2pR9vT4wZ8nL3hY"
    jwt: str = (
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJpc3MiOiJmYWtlLXBsYXRmb3JtIiwic3ViIjoiNjIwMDAwMDAwMDAiLCJqdGkiOiJleHRhZG1pbi10ZXN0In0."
        "RkFLRUpXVC1zaWduYXR1cmUtZXh0YWRtaW4tdGVzdHMtZG8tbm90LWxlYWs"
    )
    account_id: str = "37439510"

    def __init__(
        self,
        *,
        token_lifetime: int = 3600,
        limits: dict[str, tuple[int, float]] | None = None,
        decimal_window: bool = False,
        permissions: tuple[str, ...] = APP_PERMISSIONS,
    ) -> None:
        self.token_lifetime = token_lifetime
        # the app's permissions: each operation checks its x-app-permission (403 without it)
        self.permissions = set(permissions)
        # endpoints beyond the published definition a test has offered (offer_credentials_api)
        self.beyond_definition = False
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        # X-Rate-Limit-Window: whole seconds rounded up, as the platform sends it; True sends
        # a window shorter than the platform's as it is ("0.5"), for runs with time scaled down
        self.decimal_window = decimal_window
        self.sites: list[dict[str, Any]] = [{"id": "main-site", "name": "Main Site"}]
        self.roles: list[dict[str, Any]] = [
            {"id": i, "displayName": name, "custom": False} for i, name in PREDEFINED_ROLES
        ]
        self.default_role_id = "7"
        keys = ("id", "localeCode", "name", "ui", "greeting", "formattingLocale")
        self.languages: list[dict[str, Any]] = [
            dict(zip(keys, row, strict=True)) for row in LANGUAGES
        ]
        self.extensions: dict[int, dict[str, Any]] = {}
        self.recording: dict[int, str] = {}
        self.recording_enabled = True
        self.recording_settings: dict[str, dict[str, bool]] = {
            "onDemand": {"enabled": True},
            "automatic": {
                "outboundCallTones": False,
                "outboundCallAnnouncement": False,
                "allowMute": False,
            },
        }
        self.secret_questions = [
            {"id": str(n), "questionText": q} for n, q in enumerate(SECRET_QUESTIONS, 1)
        ]
        self.welcome_emails: list[int] = []
        # each User extension's digital line: its phone number (a device's, with it); an
        # offboarded user's line stays with the account (an Unassigned extension with a new
        # id) or its number goes back to RingCentral (`released`)
        self.lines: dict[int, str] = {}
        self.released: list[str] = []
        self.deleted: list[int] = []  # users deleted, in order
        self.deleted_again: list[str] = []  # ids asked to be deleted that were not (any more)
        self.credentials: dict[int, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.bulk_failures: dict[int, tuple[str, str]] = {}
        self.sso = False  # True: the account signs in with SSO and refuses passwords (EXT-413)
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.tokens_issued = 0
        self.refreshes = 0
        self._next_id = FIRST_ID
        self._next_site = 1
        self._task_counter = 0
        self._bulk_polls = 1
        self._fail_next_task = False
        self._populating = False
        self._access_tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self._refresh_tokens: set[str] = set()
        self._hits: dict[str, deque[float]] = {g: deque() for g in self.limits}
        self._penalty_until = 0.0
        self._penalty = (0.0, True)  # seconds, send Retry-After
        self._inject_429: tuple[int, float | None] | None = None
        self._inject_status: list[int] = []
        self._drops: list[list[Any]] = []  # [method, regex, count left, apply]
        self._spoils: list[list[Any]] = []  # [method, regex, count, status, body, skip]
        self._delay = 0.0
        self._portal: list[list[Any]] = []  # [method, regex, action, skip]
        # a bulk task runs by itself, as the platform's do: it ends this long after it was
        # accepted (or at its bulk_steps-th poll, whichever comes first), polled or not
        self.task_seconds = 1.0
        self._refuse_security_question = False
        self._routes: list[tuple[re.Pattern[str], Endpoint]] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake platform is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakePlatform:
        acct = rf"/restapi/v1\.0/account/(?:~|{re.escape(self.account_id)})"
        acct2 = rf"/restapi/v2/accounts/(?:~|{re.escape(self.account_id)})"
        self._routes = [
            (re.compile(e.path.replace("{acct}", acct).replace("{acct2}", acct2)), e)
            for e in ROUTES
        ]
        self._server = _Server(self)
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakePlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- builders -----------------------------------------------------------------------------
    def add_site(self, name: str, code: str | None = None) -> str:
        site_id = f"{90000000 + self._next_site}"
        self._next_site += 1
        self.sites.append({"id": site_id, "name": name, **({"code": code} if code else {})})
        return site_id

    def add_role(self, display_name: str, custom: bool = True) -> str:
        if any(r["displayName"] == display_name for r in self.roles):
            raise ValueError(f"role {display_name!r} exists")
        role_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-platform-role:{display_name}"))
        self.roles.append({"id": role_id, "displayName": display_name, "custom": custom})
        return role_id

    def add_extension(
        self, number: str | None, *, status: str = "Enabled", type: str = "User",
        first_name: str = "", last_name: str = "", email: str = "", site_id: str = "main-site",
        role_id: str | None = None, job_title: str | None = None, department: str | None = None,
        business_phone: str | None = None, mobile_phone: str | None = None,
        language: str = "en-US", greeting_language: str = "en-US",
        formatting_locale: str = "en-US", recording: str | None = None,
    ) -> int:  # fmt: skip
        """A record as the platform holds it; ValueError on what the platform would not hold."""
        if status not in STATUSES or type not in EXTENSION_TYPES:
            raise ValueError(f"unknown status {status!r} or type {type!r}")
        if recording not in (None, *DIRECTIONS):
            raise ValueError(f"unknown call direction {recording!r}")
        if not self._populating:  # (populate keeps numbers and emails unique itself)
            numbers = {e.get("extensionNumber") for e in self.extensions.values()}
            if number is not None and number in numbers:
                raise ValueError(f"extension number {number} is already used")
            if email and self._email_owner(email) is not None:
                raise ValueError(f"email {email} is already used")
        contact = {
            "firstName": first_name,
            "lastName": last_name,
            "email": email,
            "businessPhone": business_phone,
            "mobilePhone": mobile_phone,
            "jobTitle": job_title,
            "department": department,
        }
        contact = {k: v for k, v in contact.items() if v}
        if status == "Unassigned" and (contact or recording or role_id):
            raise ValueError("an Unassigned extension has no user (contact, role, recording)")
        ext_id, self._next_id = self._next_id, self._next_id + 1
        ext: dict[str, Any] = {"id": ext_id, "type": type, "status": status, "contact": contact}
        if number is not None:
            ext["extensionNumber"] = number
        ext["site"] = self._site_ref(site_id)
        ext["regionalSettings"] = {
            "homeCountry": {"id": "1", "isoCode": "US"},
            "timezone": {"id": "58"},
            "language": self._language_ref(language),
            "greetingLanguage": self._language_ref(greeting_language),
            "formattingLocale": self._language_ref(formatting_locale),
            "timeFormat": "12h",
        }
        if type == "User" and status != "Unassigned":
            role_id = role_id or self.default_role_id
            if self._role(role_id) is None:
                raise ValueError(f"unknown role {role_id}")
            ext["roles"] = [self._role_ref(role_id)]
        self._rename(ext)
        self.extensions[ext_id] = ext
        if type == "User":
            self.lines[ext_id] = f"+1650{ext_id % 10_000_000:07d}"
        if recording:
            self.recording[ext_id] = recording
        return ext_id

    # fmt: off
    STATUS_CYCLE = (  # 20: 14 Enabled, 2 NotActivated, 1 Disabled, 1 Frozen, 2 Unassigned
        "Enabled", "Unassigned", "Enabled", "NotActivated", "Enabled", "Disabled", "Enabled",
        "Enabled", "Frozen", "Enabled", "Enabled", "Unassigned", "Enabled", "NotActivated",
        "Enabled", "Enabled", "Enabled", "Enabled", "Enabled", "Enabled",
    )
    FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines",
                   "Jonas", "Keiko", "Liam", "Maya", "Noah", "Olga", "Pavel", "Rosa", "Sami")
    LAST_NAMES = ("Abbott", "Becker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen",
                  "Ito", "Jansen", "Kowalski", "Moreau", "Nguyen", "Okafor", "Patel", "Rossi")
    # fmt: on

    def populate(
        self, count: int, *, seed: int = 1, sites: list[str] | None = None,
        non_user: int | None = None,
    ) -> list[int]:  # fmt: skip
        """`count` User extensions, deterministic for a seed: 70% Enabled, 10% NotActivated, 5%
        Disabled, 5% Frozen, 10% Unassigned (one in ten of those without a number); every 11th
        user has a custom role, every 7th is recorded. Also `non_user` (default count // 200,
        at least 3) extensions of other types, interleaved. Returns the User ids only."""
        rng = random.Random(seed)
        sites = sites or ["main-site"]
        used = {e["extensionNumber"] for e in self.extensions.values() if "extensionNumber" in e}
        emails = {e["contact"].get("email", "").lower() for e in self.extensions.values()}
        counters = {3: 600, 4: 2000, 5: 30000, 6: 400000}

        def number(digits: int) -> str:
            n = counters[digits]
            while str(n) in used or str(n) in RESERVED_NUMBERS:
                n += 1
            counters[digits] = n + 1
            used.add(str(n))
            return str(n)

        unassigned = 0

        def user(i: int, status: str) -> int:
            site = sites[i % len(sites)]
            digits = 3 if i % 25 == 7 else 5 if i % 10 == 3 else 6 if i % 50 == 9 else 4
            if status == "Unassigned":
                nonlocal unassigned
                unassigned += 1
                return self.add_extension(
                    None if unassigned % 10 == 1 else number(digits), status=status, site_id=site
                )
            first, last = rng.choice(self.FIRST_NAMES), rng.choice(self.LAST_NAMES)
            email = f"{first}.{last}.{self._next_id % 1000000}@example.com".lower()
            while email in emails:
                email = "x" + email
            emails.add(email)
            lang = "fr-CA" if i % 10 == 4 else "en-GB" if i % 15 == 2 else "en-US"
            title = rng.choice(["Engineer", "Sales Rep", "Support Agent"])
            return self.add_extension(
                number(digits), status=status, first_name=first, last_name=last, email=email,
                site_id=site, role_id=custom[i % len(custom)] if i % 11 == 5 else None,
                job_title=title if i % 3 else None,
                department=rng.choice(["Sales", "Support", "R&D"]) if i % 4 == 1 else None,
                business_phone=f"+1650555{i % 10000:04d}" if i % 5 == 2 else None,
                mobile_phone=f"+1415555{i % 10000:04d}" if i % 6 == 1 else None,
                language=lang, greeting_language=lang, formatting_locale=lang,
                recording=DIRECTIONS[i % 3] if i % 7 == 6 else None,
            )  # fmt: skip

        custom = [r["id"] for r in self.roles if r["custom"]] or [self.add_role("Team Lead")]
        others = max(3, count // 200) if non_user is None else non_user
        step = max(1, count // max(1, others))
        ids: list[int] = []
        self._populating = True
        try:
            for i in range(count):
                if others and i % step == step // 2 and i // step < others:
                    kind = ("Department", "Announcement", "Voicemail", "IvrMenu")[(i // step) % 4]
                    self.add_extension(number(4), type=kind, first_name=f"{kind} {i // step + 1}")
                ids.append(user(i, self.STATUS_CYCLE[i % len(self.STATUS_CYCLE)]))
        finally:
            self._populating = False
        return ids

    # -- controls -----------------------------------------------------------------------------
    def fail_with_429(self, after: int = 0, retry_after: float | None = 2) -> None:
        """After `after` more requests, answer the next one 429 and start a penalty of
        `retry_after` seconds (30 s, and no Retry-After header, if None)."""
        self._inject_429 = (after, retry_after)

    def fail_with_status(self, status: int = 503, count: int = 1) -> None:
        """The next `count` requests are answered `status` (a server error) and not applied."""
        self._inject_status = [status] * count

    def expire_tokens(self) -> None:
        """Every access token issued so far answers 401; refresh tokens stay valid."""
        self._access_tokens.clear()

    def issue_token(self) -> str:
        """A valid access token, without a request (the token endpoint uses this too)."""
        access = secrets.token_urlsafe(32)
        self._access_tokens[access] = time.monotonic() + self.token_lifetime
        return access

    def offer_credentials_api(self) -> None:
        """BEYOND THE PUBLISHED DEFINITION: the app has RingCentral's credentials API ("Advanced
        API: available by request"): `PUT …/extension/{id}/credentials` and `GET
        /restapi/v1.0/dictionary/secret-question` answer. Without this, they answer 404."""
        self.beyond_definition = True

    def refuse_security_question(self) -> None:
        """With the credentials API offered: its PUT answers 403 (not enabled for the app)."""
        self._refuse_security_question = True

    def fail_bulk_records(
        self,
        ids: set[int],
        error_code: str = BULK_RECORD_REFUSED,
        message: str = "The extension cannot be updated",
    ) -> None:
        """These records fail in every bulk update until removed from `bulk_failures`."""
        for ext_id in ids:
            self.bulk_failures[ext_id] = (error_code, message)

    def fail_bulk_task(self) -> None:
        """The next bulk-update task ends Failed, with no result and nothing applied."""
        self._fail_next_task = True

    def bulk_steps(self, polls: int) -> None:
        """A bulk task answers InProgress until its `polls`-th poll, which completes it."""
        self._bulk_polls = max(1, polls)

    def change_behind(self, ext_id: int, **changes: Any) -> None:
        """Change a record as the Admin Portal would. Keys: first_name, last_name, email,
        job_title, department, business_phone, mobile_phone (None or "" removes), status,
        extension_number (or extensionNumber; None removes), site_id, role_id."""
        fields = {
            "first_name": "firstName",
            "last_name": "lastName",
            "email": "email",
            "job_title": "jobTitle",
            "department": "department",
            "business_phone": "businessPhone",
            "mobile_phone": "mobilePhone",
        }
        with self._lock:
            ext = self.extensions[ext_id]
            for key, value in changes.items():
                if key in fields:
                    ext["contact"][fields[key]] = value
                    if not value:
                        del ext["contact"][fields[key]]
                elif key in ("extension_number", "extensionNumber"):
                    ext["extensionNumber"] = value
                    if value is None:
                        del ext["extensionNumber"]
                elif key == "status":
                    self._set_status(ext, value)
                elif key == "site_id":
                    ext["site"] = self._site_ref(value)
                elif key == "role_id":
                    if self._role(value) is None:
                        raise ValueError(f"unknown role {value}")
                    ext["roles"] = [self._role_ref(value)]
                else:
                    raise TypeError(f"change_behind: unknown change {key!r}")
            self._rename(ext)

    def drop_connection(
        self, method: str, path_regex: str, count: int = 1, apply: bool = True
    ) -> None:
        """The next `count` matching requests are read (and applied if `apply`), then the
        connection is closed without an answer."""
        self._drops.append([method.upper(), re.compile(path_regex), count, apply])

    def spoil_answer(
        self,
        method: str,
        path_regex: str,
        body: Any,
        count: int = 1,
        status: int = 200,
        skip: int = 0,
    ) -> None:
        """BEYOND THE PUBLISHED DEFINITION (a broken or hostile platform): after `skip`
        matching requests answered as usual, the next `count` are answered `status` with `body`
        (JSON; bytes are sent as they are, as text/html), whatever the definition says the
        answer holds. Nothing is applied."""
        self._spoils.append([method.upper(), re.compile(path_regex), count, status, body, skip])

    def meanwhile(
        self, method: str, path_regex: str, action: Callable[[], Any], skip: int = 0
    ) -> None:
        """An edit in the Admin Portal at a given moment: `action` (change_behind, say) runs
        when the (`skip`+1)-th matching request arrives, before it is handled."""
        self._portal.append([method.upper(), re.compile(path_regex), action, skip])

    def delay(self, seconds: float) -> None:
        """Every request waits this long before it is handled."""
        self._delay = seconds

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex)
        return [
            r for r in self.requests if r.method == method.upper() and pattern.fullmatch(r.path)
        ]

    # -- state helpers ------------------------------------------------------------------------
    def _role(self, role_id: str) -> str | None:
        return next((r["displayName"] for r in self.roles if r["id"] == role_id), None)

    def _role_ref(self, role_id: str) -> dict[str, Any]:
        return {"id": role_id, "displayName": self._role(role_id)}

    def _site_ref(self, site_id: str) -> dict[str, Any]:
        site = next((s for s in self.sites if s["id"] == site_id), None)
        if site is None:
            raise ValueError(f"unknown site {site_id}")
        return dict(site)

    def _language(self, key: str, flag: str | None = None) -> dict[str, Any] | None:
        """A language by id or locale code, with `flag` set if given."""
        lang = next((x for x in self.languages if key in (x["id"], x["localeCode"])), None)
        return lang if lang and (flag is None or lang[flag]) else None

    def _language_ref(self, key: str) -> dict[str, str]:
        lang = self._language(key)
        if lang is None:
            raise ValueError(f"unknown language {key}")
        return {"id": lang["id"], "localeCode": lang["localeCode"], "name": lang["name"]}

    def _email_owner(self, email: str) -> int | None:
        email = email.lower()
        return next(
            (
                i
                for i, e in self.extensions.items()
                if e["contact"].get("email", "").lower() == email
            ),
            None,
        )

    @staticmethod
    def _rename(ext: dict[str, Any]) -> None:
        contact = ext["contact"]
        name = " ".join(filter(None, (contact.get("firstName"), contact.get("lastName"))))
        ext.pop("name", None)
        if name:  # an extension without a user has no name
            ext["name"] = name

    def _set_status(self, ext: dict[str, Any], status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        was = ext["status"]
        ext["status"] = status
        if status == "Unassigned":  # the user goes away with everything that was theirs
            ext["contact"] = {}
            ext.pop("roles", None)
            self.recording.pop(ext["id"], None)
        elif was == "Unassigned" and ext["type"] == "User":
            ext["roles"] = [self._role_ref(self.default_role_id)]

    def _extension(self, ext_id: str, status: int = 404) -> dict[str, Any]:
        ext = self.extensions.get(int(ext_id))
        if ext is None:
            if status == 400:
                raise _bad(f"Extension {ext_id} not found", "id")
            raise _Refusal(404, NOT_FOUND, f"Extension {ext_id} not found")
        return ext

    def _delete_user(self, ext_id: str, keep: bool) -> dict[str, Any]:
        """One record of a delete-users request: its BulkItemResultModel."""
        ext = self.extensions.get(int(ext_id)) if ext_id.isdigit() else None
        if ext is None or ext["type"] not in ("User", "Limited"):
            self.deleted_again.append(ext_id)
            error = {"errorCode": NOT_FOUND, "message": f"Extension {ext_id} not found"}
            return {"bulkItemSuccessful": False, "bulkItemErrors": [error]}
        del self.extensions[ext["id"]]
        self.recording.pop(ext["id"], None)
        self.credentials.pop(ext["id"], None)
        self.deleted.append(ext["id"])
        line = self.lines.pop(ext["id"], None)
        if line is not None and keep:
            number = ext.get("extensionNumber")
            site_id = ext["site"]["id"] if ext.get("site") else "main-site"
            new_id = self.add_extension(number, status="Unassigned", site_id=site_id)
            self.lines[new_id] = line
        elif line is not None:
            self.released.append(line)
        return {"bulkItemSuccessful": True}

    def _check_assigned(self, ext: dict[str, Any]) -> None:
        if ext["status"] == "Unassigned" or ext["type"] != "User":
            raise _Refusal(400, NOT_ASSIGNED, f"Extension {ext['id']} has no user")

    def _check_update(self, ext: dict[str, Any], body: dict[str, Any]) -> None:
        """What the platform refuses in a valid-looking update (400, not a violation)."""
        number = body.get("extensionNumber")
        if number is not None:
            if any(
                e.get("extensionNumber") == number and i != ext["id"]
                for i, e in self.extensions.items()
            ):
                raise _Refusal(
                    400,
                    NUMBER_TAKEN,
                    f"Number {number} is already used",
                    parameter="extensionNumber",
                )
        elif "extensionNumber" not in ext:
            raise _bad("An extension without a number cannot be assigned", "extensionNumber")
        email = body.get("contact", {}).get("email")
        if email and self._email_owner(email) not in (None, ext["id"]):
            raise _Refusal(400, EMAIL_TAKEN, "Email is already used", parameter="contact.email")
        flags = {
            "language": "ui",
            "greetingLanguage": "greeting",
            "formattingLocale": "formattingLocale",
        }
        for key, ref in body.get("regionalSettings", {}).items():
            if self._language(ref["id"], flags[key]) is None or not ref["id"].isdigit():
                raise _bad(f"Language {ref['id']} cannot be a {key}", f"regionalSettings.{key}.id")
        if "site" in body and body["site"]["id"] not in {s["id"] for s in self.sites}:
            raise _bad("Unknown site", "site.id")
        if "password" in body and self.sso:
            raise _Refusal(400, SSO_PASSWORD, "The account signs in with SSO: no passwords")

    def _apply_update(self, ext: dict[str, Any], body: dict[str, Any]) -> None:
        # the guide: the welcome email goes out when an extension moves from Unassigned to
        # NotActivated; the definition gives sendWelcomeEmail no default, so only an explicit
        # false keeps it from going out then (and an explicit true sends it on any update)
        status = body.get("status", ext["status"])
        invited = ext["status"] == "Unassigned" and status == "NotActivated"
        self._set_status(ext, status)
        if "extensionNumber" in body:
            ext["extensionNumber"] = body["extensionNumber"]
        for key, value in body.get("contact", {}).items():
            ext["contact"][key] = value
            if value == "":
                del ext["contact"][key]
        self._rename(ext)
        if "site" in body:
            ext["site"] = self._site_ref(body["site"]["id"])
        for key, ref in body.get("regionalSettings", {}).items():
            ext["regionalSettings"][key] = self._language_ref(ref["id"])
        if body.get("transition", {}).get("sendWelcomeEmail", invited):
            self.welcome_emails.append(ext["id"])
        secrets_: dict[str, Any] = {k: body[k] for k in ("password", "ivrPin") if k in body}
        if secrets_:
            self.credentials.setdefault(ext["id"], {}).update(secrets_)

    def _portal_edits(self, rec: Recorded) -> None:
        for edit in list(self._portal):
            if edit[0] == rec.method and edit[1].fullmatch(rec.path):
                if edit[3] > 0:
                    edit[3] -= 1
                else:
                    self._portal.remove(edit)
                    edit[2]()

    def _run_due_tasks(self) -> None:
        now = time.monotonic()
        for task in self.tasks.values():
            if task["status"] not in ("Completed", "Failed") and task["_due"] <= now:
                self._finish_task(task)
                task["lastModifiedTime"] = _now()

    def _finish_task(self, task: dict[str, Any]) -> None:
        if task["_fail"]:
            task["status"] = "Failed"
            return
        # an invalid value in one record (a language that cannot be one, an unknown site)
        # fails the whole request, as the platform does: task-level errors, nothing applied
        invalid = []
        for n, record in enumerate(task["_records"]):
            ext = self.extensions.get(int(record["id"]))
            try:
                if ext is not None:
                    self._check_update(ext, {k: v for k, v in record.items() if k != "id"})
            except _Refusal as refusal:
                if refusal.code == INVALID_VALUE:
                    error = refusal.body()["errors"][0]
                    where = f"records[{n}]" + (
                        f".{error['parameterName']}" if error.get("parameterName") else ""
                    )
                    invalid.append({**error, "parameterName": where})
        if invalid:
            task["status"] = "Failed"
            task["result"] = {"errors": invalid}
            return
        results = []
        for record in task["_records"]:
            ext_id = int(record["id"])
            outcome: dict[str, Any] = {"extensionId": record["id"], "status": "Success"}
            try:
                if ext_id in self.bulk_failures:
                    code, message = self.bulk_failures[ext_id]
                    raise _Refusal(400, code, message)
                ext = self._extension(record["id"])
                update = {k: v for k, v in record.items() if k != "id"}
                self._check_update(ext, update)
                self._apply_update(ext, update)
            except _Refusal as refusal:
                outcome["status"] = "Fail"
                outcome["errors"] = [{"errorCode": refusal.code, "message": refusal.message}]
            results.append(outcome)
        task["status"] = "Completed"
        task["result"] = {"affectedItems": {"result": results}}

    # -- views --------------------------------------------------------------------------------
    def _account_uri(self) -> str:
        return f"{self.url}/restapi/v1.0/account/{self.account_id}"

    def _extension_uri(self, ext_id: int) -> str:
        return f"{self._account_uri()}/extension/{ext_id}"

    def _list_view(self, ext: dict[str, Any]) -> dict[str, Any]:
        keys = ("extensionNumber", "name", "type", "status", "contact", "site", "roles")
        view = {"id": ext["id"], "uri": self._extension_uri(ext["id"])}
        return copy.deepcopy({**view, **{k: ext[k] for k in keys if k in ext}})

    def _full_view(self, ext: dict[str, Any]) -> dict[str, Any]:
        return {**self._list_view(ext), "regionalSettings": copy.deepcopy(ext["regionalSettings"])}

    def _paged(self, req: Request, items: list[Any], view: Callable[[Any], Any]) -> Any:
        def number(name: str, default: int, maximum: int) -> int:
            value = req.query.get(name, [str(default)])[-1]
            if not value.isdigit() or not 1 <= int(value) <= maximum:
                raise _bad(f"query {name}={value!r}: 1 to {maximum}", name, violation=True)
            return int(value)

        page, per_page = number("page", 1, 10**9), number("perPage", 100, 1000)
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        base = self.url + re.sub(
            r"^(/restapi/v1\.0/account/)~", rf"\g<1>{self.account_id}", req.path
        )
        kept = [
            (k, v)
            for k, v in parse_qsl(req.raw_query, keep_blank_values=True)
            if k not in ("page", "perPage")
        ]

        def link(n: int) -> dict[str, str]:
            return {"uri": f"{base}?{urlencode([*kept, ('page', n), ('perPage', per_page)])}"}

        paging: dict[str, int] = {"page": page, "perPage": per_page}
        if chunk:
            paging |= {"pageStart": start, "pageEnd": start + len(chunk) - 1}
        navigation = {"firstPage": link(1)}
        if start + per_page < len(items):
            navigation["nextPage"] = link(page + 1)
        if page > 1:
            navigation["previousPage"] = link(page - 1)
        uri = base + (f"?{req.raw_query}" if req.raw_query else "")
        return {
            "uri": uri,
            "records": [view(item) for item in chunk],
            "paging": paging,
            "navigation": navigation,
        }

    # -- request handling ---------------------------------------------------------------------
    def _check_client(self, req: Request) -> None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            raise _Refusal(
                401,
                INVALID_CLIENT,
                "Client credentials are missing",
                violation="no HTTP Basic client credentials",
                oauth="invalid_client",
            )
        try:
            given = base64.b64decode(header[6:], validate=True).decode()
        except ValueError:
            given = ""
        if given != f"{self.client_id}:{self.client_secret}":
            raise _Refusal(401, INVALID_CLIENT, "Invalid client", oauth="invalid_client")

    def _check_permission(self, req: Request) -> None:
        """The operation's x-app-permission, as the published definition names it."""
        op = published_api.operation(req.method, req.path)
        needed = op.app_permission if op else None
        if needed and needed not in self.permissions:
            raise _Refusal(
                403,
                PERMISSION_MISSING,
                f"In order to call this API endpoint, application needs to have [{needed}] "
                "permission",
            )

    def _check_bearer(self, req: Request) -> None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise _Refusal(
                401,
                NO_BEARER,
                "Authorization header is missing",
                violation="no Bearer access token",
            )
        expiry = self._access_tokens.get(header[7:])
        if expiry is None or expiry < time.monotonic():
            raise _Refusal(401, TOKEN_INVALID, "Access token is invalid or expired")

    def _rate(self, group: str, now: float, count: bool = True) -> tuple[dict[str, str], bool]:
        """The rate-limit headers for this request, and whether the group's limit is passed."""
        limit, window = self.limits[group]
        hits = self._hits.setdefault(group, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        exceeded = len(hits) >= limit
        if count and not exceeded:
            hits.append(now)
        headers = {
            "X-Rate-Limit-Group": group,
            "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(max(0, limit - len(hits))),
            "X-Rate-Limit-Window": (
                _seconds(window) if self.decimal_window else str(math.ceil(window))
            ),
        }
        return headers, exceeded

    def _too_many(self, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        seconds, send_header = self._penalty
        self._penalty_until = time.monotonic() + seconds
        if send_header:
            headers = {**headers, "Retry-After": _seconds(seconds)}
        refusal = _Refusal(429, RATE_EXCEEDED, "Request rate exceeded")
        return 429, refusal.body(), headers

    def _dispatch(
        self, rec: Recorded, raw: Message, broken: str | None
    ) -> tuple[int, Any, dict[str, str], bool]:
        """(status, body, headers, drop the connection); `broken`: why the body is unreadable."""
        now = time.monotonic()
        where = f"{rec.method} {rec.path}"
        drop = next(
            (d for d in self._drops if d[0] == rec.method and d[1].fullmatch(rec.path)), None
        )
        if drop:
            drop[2] -= 1
            if drop[2] <= 0:
                self._drops.remove(drop)
            if not drop[3]:
                return 0, None, {}, True
        spoil = next(
            (s for s in self._spoils if s[0] == rec.method and s[1].fullmatch(rec.path)), None
        )
        if spoil and spoil[5] > 0:
            spoil[5] -= 1
        elif spoil:
            spoil[2] -= 1
            if spoil[2] <= 0:
                self._spoils.remove(spoil)
            return spoil[3], spoil[4], {}, bool(drop)
        route = next(
            (
                (e, m)
                for p, e in self._routes
                if e.method == rec.method
                and (m := p.fullmatch(rec.path))
                and (self.beyond_definition or not e.beyond)
            ),
            None,
        )
        group = route[0].group if route else "Light"
        quiet = self._rate(group, now, count=False)[0]
        if now < self._penalty_until:
            rec.during_penalty = True
            self.violations.append(f"{where}: sent during a 429 penalty")
            return (*self._too_many(quiet), bool(drop))
        if self._inject_429 is not None:
            after, retry_after = self._inject_429
            if after > 0:
                self._inject_429 = (after - 1, retry_after)
            else:
                self._inject_429 = None
                self._penalty = (
                    30.0 if retry_after is None else retry_after,
                    retry_after is not None,
                )
                return (*self._too_many(quiet), bool(drop))
        if self._inject_status:
            status = self._inject_status.pop(0)
            error = _Refusal(status, SERVICE_UNAVAILABLE, "Service temporarily unavailable")
            return status, error.body(), quiet, bool(drop)
        if route is None:
            self.violations.append(f"unknown endpoint {where}")
            return 404, _Refusal(404, NOT_FOUND, "Resource not found").body(), {}, bool(drop)
        endpoint, match = route
        headers, exceeded = self._rate(group, now)
        if exceeded:
            self.violations.append(f"{where}: {group} limit passed (Remaining was 0)")
            self._penalty = (self.limits[group][1], True)
            return (*self._too_many(headers), bool(drop))
        req = Request(rec.method, rec.path, match.groups(), rec.query, rec.raw_query, rec.body, raw)
        try:
            if broken:
                raise _bad(broken, violation=True)
            self._check_request(endpoint, req, raw)
            if endpoint.group != "Auth":
                self._check_bearer(req)
                self._check_permission(req)
            status, body = endpoint.handler(self, req)
        except _Refusal as refusal:
            if refusal.violation:
                self.violations.append(f"{where}: {refusal.violation}")
            status, body = refusal.status, refusal.body()
        return status, body, headers, bool(drop)

    def _check_request(self, endpoint: Endpoint, req: Request, raw: Message) -> None:
        if unknown := sorted(set(req.query) - set(endpoint.query)):
            raise _bad(f"unknown query parameter {unknown[0]}", unknown[0], violation=True)
        content_type = raw.get_content_type() if raw.get("Content-Type") else None
        expected = {"json": "application/json", "form": "application/x-www-form-urlencoded"}
        if endpoint.body is None and req.body is not None:
            raise _bad("a body where none is expected", violation=True)
        if endpoint.body and req.body is None:
            raise _bad("no body", violation=True)
        if endpoint.body and content_type != expected[endpoint.body]:
            raise _bad(
                f"Content-Type {content_type} (expected {expected[endpoint.body]})", violation=True
            )

    def _serve(self, handler: _Handler) -> None:
        """One request: read it, record it, wait if delayed, dispatch, answer (or drop)."""
        arrival = time.monotonic()
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if len(raw) < length or self._stopping.is_set():  # the client went away mid-request
            handler.close_connection = True
            return
        body: Any = None
        broken = None
        if handler.headers.get("Transfer-Encoding"):  # not read: the connection cannot go on
            broken, handler.close_connection = "a chunked body (send Content-Length)", True
        elif raw:
            kind = handler.headers.get_content_type()
            try:
                if kind == "application/x-www-form-urlencoded":
                    pairs = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=True)
                    body = {k: v[-1] for k, v in pairs.items()}
                    broken = (
                        "a form field given twice"
                        if any(len(v) > 1 for v in pairs.values())
                        else None
                    )
                else:
                    body = json.loads(raw)
            except ValueError:
                body, broken = raw.decode(errors="replace"), "a body that does not parse"
        rec = Recorded(
            handler.command,
            split.path,
            parse_qs(split.query, keep_blank_values=True),
            split.query,
            body,
            0,
            arrival,
            False,
            {name.lower(): value for name, value in handler.headers.items()},
        )
        with self._lock:
            self.requests.append(rec)
        if self._delay:
            self._stopping.wait(self._delay)
        with self._lock:
            self._portal_edits(rec)
            self._run_due_tasks()
            status, payload, headers, drop = self._dispatch(rec, handler.headers, broken)
            raw_body = isinstance(payload, bytes)
            data = b"" if payload is None else payload if raw_body else json.dumps(payload).encode()
            rec.status = 0 if drop else status
        if drop:
            handler.close_connection = True
            return
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if data:
            kind = "text/html" if raw_body else "application/json"
            handler.send_header("Content-Type", f"{kind}; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        self.server.fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def _serve(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakePlatform) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


@contextlib.contextmanager
def serve(**kwargs: Any) -> Iterator[FakePlatform]:
    """A started FakePlatform(**kwargs), stopped on exit."""
    fake = FakePlatform(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


"""Error codes of this fake (errors[0].errorCode; branch on these, never on messages):

TokenInvalid  401  access token unknown, expired (expire_tokens, token_lifetime) or revoked
AGW-401       401  no `Authorization: Bearer` header on an API call (violation)
OAU-123       401  token/revoke: wrong or missing HTTP Basic client credentials
              (body also has "error": "invalid_client"; missing credentials are a violation)
OAU-213       400  token: wrong JWT or unknown refresh token ("error": "invalid_grant")
CMN-101       400  a parameter or field is invalid; `parameterName` says which. A schema breach,
                   an unknown query parameter or enum value, perPage > 1000, more than 500 bulk
                   records or a body that does not parse is also a violation. Not violations: an
                   unknown site, role or secret question, a language without the needed flag,
                   assigning an extension that has no number, recording-list inconsistencies.
CMN-102       404  unknown extension, role, bulk task; unknown endpoint (violation)
CMN-211       5xx  injected by fail_with_status()
CMN-301       429  injected by fail_with_429(), a group's limit passed (violation) or a request
                   during the penalty (violation)
CMN-419       403  PUT .../credentials after refuse_security_question()
EXT-402       400  extensionNumber used by another extension (PUT and bulk records)
EXT-403       400  contact.email used by another extension (case-insensitive)
EXT-404       ---  default code of fail_bulk_records() (per bulk record)
EXT-409       400  a role for an Unassigned (or non-User) extension
EXT-413       400  a password when `fake.sso` is True
"""
