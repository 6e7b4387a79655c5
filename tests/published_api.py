"""RingCentral's published REST API, as the project's own facts, and a checker of a request
against them: the contract of issue 21 ("every request the client sends is an operation of the
published definition").

Source of the facts: `rc-public-openapi.yml` in github.com/tylerlong/ringcentral-open-api-parser,
commit 799e12a6d8f51b624fdcb62de5b2f4bbff5a50c1. Only facts are kept (methods, path templates,
operationId, x-app-permission, x-throttling-group, x-user-permission, query parameter names and
types, request body property names, types, enums, lengths and required lists); every schema is
named after the component it states, and every operation is marked with its operationId.

    check("PUT", "/restapi/v1.0/account/~/extension/123", {}, {"status": "Enabled"})  # None
    check("PUT", "/restapi/v1.0/account/~/extension/123/credentials", {}, {...})
    # -> "PUT /restapi/v1.0/account/~/extension/123/credentials: no such operation in ..."

How the definition is read here (the project's reading, stricter than a JSON Schema would be):
- a property the definition does not declare is unknown, at every depth (none of the request
  bodies below sets `additionalProperties`, so there is no declared way to send more);
- a `readOnly` property is not sent;
- `format` (uri, email, date-time) is not checked: the definition puts `format: uri` on values
  that are no URIs (ProvisioningSiteInfo.id, a site id such as "main-site");
- `{accountId}` and `{extensionId}` take "~" or digits, a placeholder of type integer takes
  digits, any other placeholder one path segment; a literal segment wins over a placeholder;
- a query parameter declared as an array may be repeated, any other one is given once.

`operation(method, path)` is the table's operation for a request (its app permission, ...);
`violations(fake.requests)` is check() over what tests/fake_platform.py recorded. A request
that follows `navigation.nextPage` carries the platform's own query (page, perPage): it is
checked like any other. NOT_IN_DEFINITION and UNDECLARED_QUERY note what the client sends today
that the definition lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Schema = dict[str, Any]  # a JSON Schema (draft 2020-12) of the few keywords used below


# -- schema helpers: each returns plain JSON Schema ------------------------------------------------
def string(
    *enum: str,
    max_length: int | None = None,
    min_length: int | None = None,
    read_only: bool = False,
) -> Schema:
    schema: Schema = {"type": "string"}
    if enum:
        schema["enum"] = list(enum)
    if max_length is not None:
        schema["maxLength"] = max_length
    if min_length is not None:
        schema["minLength"] = min_length
    if read_only:
        schema["readOnly"] = True
    return schema


def boolean() -> Schema:
    return {"type": "boolean"}


def integer(minimum: int | None = None, maximum: int | None = None) -> Schema:
    schema: Schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def array(items: Schema, min_items: int | None = None, max_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if min_items is not None:
        schema["minItems"] = min_items
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def obj(title: str, properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    """An object of the definition (`title`: its component's name): these properties only."""
    return {
        "title": title,
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def ref(title: str) -> Schema:
    """An object that holds an id only (the definition's many `…InfoRequest` references)."""
    return obj(title, {"id": string()})


# -- request bodies: components/schemas ------------------------------------------------------------
# extension update (updateExtension, extensionBulkUpdate)
EXTENSION_STATUS_ENUM_FOR_UPDATE = string("Enabled", "Disabled", "Frozen", "NotActivated")
EXTENSION_STATUS_ENUM_FULL = string("Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned")
EXTENSION_STATUS_INFO = obj(
    "ExtensionStatusInfo",
    {"comment": string(), "reason": string("Voluntarily", "Involuntarily")},
)
CONTACT_BUSINESS_ADDRESS_INFO = obj(
    "ContactBusinessAddressInfo",
    {
        "country": string(),
        "state": string(),
        "city": string(),
        "street": string(),
        "zip": string(),
    },
)
PRONOUNCED_NAME_PROMPT_INFO = obj(
    "PronouncedNamePromptInfo",
    {
        "id": string(),
        "contentUri": string(),
        "contentType": string("audio/mpeg", "audio/wav"),
    },
)
PRONOUNCED_NAME_INFO = obj(
    "PronouncedNameInfo",
    {
        "type": string("Default", "TextToSpeech", "Recorded"),
        "text": string(),
        "prompt": PRONOUNCED_NAME_PROMPT_INFO,
    },
)
CONTACT_INFO_UPDATE_REQUEST = obj(
    "ContactInfoUpdateRequest",
    {
        "firstName": string(max_length=64),
        "lastName": string(max_length=64),
        "company": string(max_length=64),
        "jobTitle": string(max_length=64),
        "email": string(max_length=254),  # format: email
        "businessPhone": string(),
        "mobilePhone": string(),
        "businessAddress": CONTACT_BUSINESS_ADDRESS_INFO,
        "emailAsLoginName": boolean(),
        "pronouncedName": PRONOUNCED_NAME_INFO,
        "department": string(max_length=64),
    },
)
# language ids: the `id` of a record of listLanguages (LanguageInfo), a string
EXTENSION_REGIONAL_SETTING_REQUEST = obj(
    "ExtensionRegionalSettingRequest",
    {
        "homeCountry": ref("ExtensionCountryInfoRequest"),
        "timezone": ref("ExtensionTimezoneInfoRequest"),
        "language": ref("ExtensionLanguageInfoRequest"),
        "greetingLanguage": ref("ExtensionGreetingLanguageInfoRequest"),
        "formattingLocale": ref("ExtensionFormattingLocaleInfoRequest"),
        "currency": ref("ExtensionCurrencyInfoRequest"),
        "timeFormat": string("12h", "24h"),  # TimeFormatEnum
    },
)
SETUP_WIZARD_STATE_FOR_UPDATE_ENUM = string("NotStarted", "Incomplete", "Completed")
CALL_QUEUE_INFO_REQUEST = obj(
    "CallQueueInfoRequest",
    {
        "slaGoal": integer(),
        "slaThresholdSeconds": integer(),
        "includeAbandonedCalls": boolean(),
        "abandonedThresholdSeconds": integer(),
    },
)
# both booleans without a default (unlike TransitionInfo.sendWelcomeEmail, default true, which
# no operation here takes)
USER_TRANSITION_INFO = obj(
    "UserTransitionInfo",
    {"sendWelcomeEmailsToUsers": boolean(), "sendWelcomeEmail": boolean()},
)
CUSTOM_FIELD_INFO = obj(
    "CustomFieldInfo",
    {"id": string(), "value": string(), "displayName": string()},
)
REFERENCE_INFO = obj(
    "ReferenceInfo",
    {"ref": string(), "type": string("PartnerId", "CustomerDirectoryId"), "refAccId": string()},
)
ALL_EXTENSION_SUBTYPES_ENUM = string(
    "VideoPro", "VideoProPlus", "DigitalSignageOnlyRooms", "Unknown", "Emergency"
)
ALL_EXTENSION_TYPES_ENUM = string(
    "User", "Department", "Announcement", "Voicemail", "DigitalUser", "VirtualUser", "FaxUser",
    "PagingOnly", "SharedLinesGroup", "DelegatedLinesGroup", "GroupCallPickup", "IvrMenu",
    "ApplicationExtension", "ProxyAdmin", "RoomConnector", "ParkLocation", "Limited", "Bot",
    "Site", "Room", "FlexibleUser", "TieLine", "Unknown",
)  # fmt: skip
EXTENSION_UPDATE_REQUEST = obj(
    "ExtensionUpdateRequest",
    {
        "status": EXTENSION_STATUS_ENUM_FOR_UPDATE,
        "statusInfo": EXTENSION_STATUS_INFO,
        "extensionNumber": string(),
        "contact": CONTACT_INFO_UPDATE_REQUEST,
        "regionalSettings": EXTENSION_REGIONAL_SETTING_REQUEST,
        "setupWizardState": SETUP_WIZARD_STATE_FOR_UPDATE_ENUM,
        "partnerId": string(),
        "ivrPin": string(),
        "password": string(),
        "callQueueInfo": CALL_QUEUE_INFO_REQUEST,
        "transition": USER_TRANSITION_INFO,
        "customFields": array(CUSTOM_FIELD_INFO),
        "site": ref("SiteReference"),
        "type": string(
            "User",
            "FaxUser",
            "FlexibleUser",
            "VirtualUser",
            "DigitalUser",
            "Department",
            "Announcement",
            "Voicemail",
            "SharedLinesGroup",
            "PagingOnly",
            "IvrMenu",
            "ApplicationExtension",
            "ParkLocation",
            "DelegatedLinesGroup",
            "GroupCallPickup",
        ),  # fmt: skip
        "subType": ALL_EXTENSION_SUBTYPES_ENUM,
        "references": array(REFERENCE_INFO),
    },
)
PROVISIONING_SITE_INFO = obj(
    "ProvisioningSiteInfo",
    {"id": string(), "uri": string(), "name": string(), "code": string()},  # id: format uri
)
# a bulk record: ExtensionUpdateRequest's fields with `id` (not required), `reason`, `comment`,
# a wider `site`, a shorter `type` enum, and no `subType`
EXTENSION_BULK_UPDATE_INFO = obj(
    "ExtensionBulkUpdateInfo",
    {
        "id": string(),
        "status": EXTENSION_STATUS_ENUM_FOR_UPDATE,
        "statusInfo": EXTENSION_STATUS_INFO,
        "reason": string(),
        "comment": string(),
        "extensionNumber": string(),
        "contact": CONTACT_INFO_UPDATE_REQUEST,
        "regionalSettings": EXTENSION_REGIONAL_SETTING_REQUEST,
        "setupWizardState": SETUP_WIZARD_STATE_FOR_UPDATE_ENUM,
        "partnerId": string(),
        "ivrPin": string(),
        "password": string(),
        "callQueueInfo": CALL_QUEUE_INFO_REQUEST,
        "transition": USER_TRANSITION_INFO,
        "customFields": array(CUSTOM_FIELD_INFO),
        "site": PROVISIONING_SITE_INFO,
        "type": string(
            "User",
            "FaxUser",
            "VirtualUser",
            "DigitalUser",
            "Department",
            "Announcement",
            "Voicemail",
            "SharedLinesGroup",
            "PagingOnly",
            "IvrMenu",
            "ApplicationExtension",
            "ParkLocation",
            "DelegatedLinesGroup",
        ),  # fmt: skip
        "references": array(REFERENCE_INFO),
    },
)
EXTENSION_BULK_UPDATE_REQUEST = obj(
    "ExtensionBulkUpdateRequest",
    {"records": array(EXTENSION_BULK_UPDATE_INFO)},  # no minItems / maxItems declared
    required=("records",),
)

# roles (updateUserAssignedRoles, assignMultipleUserRoles)
ASSIGNED_ROLES_RESOURCE = obj(
    "AssignedRolesResource",
    {
        "uri": string(),
        "records": array(
            obj(
                "AssignedRoleResource",
                {
                    "uri": string(read_only=True),
                    "id": string(),
                    "autoAssigned": boolean(),
                    "displayName": string(),
                    "siteCompatible": boolean(),
                    "siteRestricted": boolean(),
                },
            )
        ),
    },
)
BULK_ROLE_ASSIGN_RESOURCE = obj(
    "BulkRoleAssignResource",
    {
        "siteRestricted": boolean(),
        "siteCompatible": boolean(),
        "uri": string(),
        "addedExtensionIds": array(string()),
        "removedExtensionIds": array(string()),
    },
)

# call recording (updateCallRecordingExtensions, updateCallRecordingSettings)
CALL_RECORDING_EXTENSION_RESOURCE = obj(
    "CallRecordingExtensionResource",
    {
        "id": string(),
        "uri": string(),
        "extensionNumber": string(),
        "type": string(),
        "callDirection": string("Outbound", "Inbound", "All"),
        "alternateOutboundCallRecordingMode": boolean(),
    },
)
BULK_ACCOUNT_CALL_RECORDINGS_RESOURCE = obj(
    "BulkAccountCallRecordingsResource",
    {
        "addedExtensions": array(CALL_RECORDING_EXTENSION_RESOURCE),
        "updatedExtensions": array(CALL_RECORDING_EXTENSION_RESOURCE),
        "removedExtensions": array(CALL_RECORDING_EXTENSION_RESOURCE),
    },
)
CALL_RECORDING_SETTINGS_RESOURCE = obj(
    "CallRecordingSettingsResource",
    {
        "onDemand": obj("OnDemandResource", {"enabled": boolean(), "retentionPeriod": integer()}),
        "automatic": obj(
            "AutomaticRecordingResource",
            {
                "enabled": boolean(),
                "outboundCallTones": boolean(),
                "outboundCallAnnouncement": boolean(),
                "allowMute": boolean(),
                "extensionCount": integer(),
                "retentionPeriod": integer(),
                "maxNumberLimit": integer(),
            },
        ),
        "greetings": array(
            obj(
                "CallRecordingGreetingResource",
                {
                    "type": string("StartRecording", "StopRecording", "AutomaticRecording"),
                    "mode": string(),
                },
            )
        ),
    },
)

# bulk delete (bulkDeleteUsersV2)
BULK_DELETE_USERS_REQUEST = obj(
    "BulkDeleteUsersRequest",
    {
        "keepAssetsInInventory": boolean(),  # default true
        "records": array(
            obj("BulkOperationExtensionReference", {"id": string()}, required=("id",)),
            min_items=1,
            max_items=50,
        ),
    },
    required=("records",),
)


# -- form bodies (the OAuth routes) ----------------------------------------------------------------
@dataclass(frozen=True)
class Grant:
    """One branch of a form's `anyOf`, chosen by its grant_type."""

    title: str
    grant_types: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """An application/x-www-form-urlencoded body: its fields by name (values are text; an
    integer field holds digits) and, for the token route, the grant branches."""

    title: str
    fields: dict[str, Schema]
    grants: tuple[Grant, ...] = ()


JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_FIELDS = {  # ClientIdModel, ClientAuthJwtModel
    "client_id": string(),
    "client_assertion_type": string("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
    "client_assertion": string(),
}
GET_TOKEN_REQUEST = Form(  # GetTokenRequest: PublicGetTokenRequest
    "GetTokenRequest",
    {
        **CLIENT_FIELDS,
        # BaseTokenRequest
        "scope": string(),
        "endpoint_id": string(),
        "access_token_ttl": integer(minimum=600, maximum=3600),
        "refresh_token_ttl": integer(maximum=2592000),
        # the branches' own fields
        "grant_type": string("authorization_code", JWT_BEARER, "partner_jwt", "refresh_token"),
        "code": string(),
        "redirect_uri": string(),
        "code_verifier": string(),
        "assertion": string(),
        "refresh_token": string(),
    },
    grants=(
        Grant(
            "AuthCodeTokenRequest",
            ("authorization_code",),
            ("code",),
            ("redirect_uri", "code_verifier"),
        ),
        Grant("JwtTokenRequest", (JWT_BEARER, "partner_jwt"), ("assertion",)),
        Grant("RefreshTokenRequest", ("refresh_token",), ("refresh_token",)),
    ),
)  # fmt: skip
REVOKE_TOKEN_REQUEST = Form("RevokeTokenRequest", {"token": string(), **CLIENT_FIELDS})


# -- the operations --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # the definition's template
    app_permission: str | None  # x-app-permission (None: the definition declares none)
    throttling: str  # x-throttling-group
    user_permission: str | None = None  # x-user-permission
    query: dict[str, Schema] = field(default_factory=dict)  # the declared query parameters
    body: Schema | Form | None = None  # a JSON body (Schema) or a form body (Form)
    body_required: bool = False
    integer_ids: tuple[str, ...] = ()  # path placeholders of type integer


V1 = "/restapi/v1.0/account/{accountId}"

OPERATIONS = [
    # getToken: GetTokenRequest (form)
    Operation(
        "getToken", "POST", "/restapi/oauth/token",
        app_permission=None, throttling="Auth",
        body=GET_TOKEN_REQUEST, body_required=True,
    ),
    # revokeToken: RevokeTokenRequest (form), or the token in the query
    Operation(
        "revokeToken", "POST", "/restapi/oauth/revoke",
        app_permission=None, throttling="Auth",
        query={"token": string()}, body=REVOKE_TOKEN_REQUEST,
    ),
    # readAccountInfo
    Operation(
        "readAccountInfo", "GET", V1,
        app_permission="ReadAccounts", throttling="Light", user_permission="ReadCompanyInfo",
    ),
    # listExtensions: `email` is declared, an array (repeatable); page/perPage without bounds
    Operation(
        "listExtensions", "GET", f"{V1}/extension",
        app_permission="ReadAccounts", throttling="Medium", user_permission="ReadExtensions",
        query={
            "extensionNumber": string(max_length=8),
            "email": array(string(max_length=254)),
            "page": integer(),
            "perPage": integer(),
            "status": array(EXTENSION_STATUS_ENUM_FULL),
            "type": array(ALL_EXTENSION_TYPES_ENUM),
        },
    ),
    # readExtension
    Operation(
        "readExtension", "GET", f"{V1}/extension/{{extensionId}}",
        app_permission="ReadAccounts", throttling="Light", user_permission="ReadExtensions",
    ),
    # updateExtension: ExtensionUpdateRequest
    Operation(
        "updateExtension", "PUT", f"{V1}/extension/{{extensionId}}",
        app_permission="EditExtensions", throttling="Medium",
        user_permission="EditUserInfo OR EditUserCredentials",
        body=EXTENSION_UPDATE_REQUEST, body_required=True,
    ),
    # deleteExtension
    Operation(
        "deleteExtension", "DELETE", f"{V1}/extension/{{extensionId}}",
        app_permission="EditAccounts", throttling="Medium", user_permission="AddRemoveUsers",
        query={"savePhoneLines": boolean(), "savePhoneNumbers": boolean()},
    ),
    # extensionBulkUpdate: ExtensionBulkUpdateRequest
    Operation(
        "extensionBulkUpdate", "POST", f"{V1}/extension-bulk-update",
        app_permission="EditExtensions", throttling="Heavy", user_permission="EditExtensionInfo",
        body=EXTENSION_BULK_UPDATE_REQUEST, body_required=True,
    ),
    # getExtensionBulkUpdateTask: answers ExtensionBulkUpdateTaskResource
    Operation(
        "getExtensionBulkUpdateTask", "GET", f"{V1}/extension-bulk-update/tasks/{{taskId}}",
        app_permission="EditExtensions", throttling="Light", user_permission="EditExtensionInfo",
    ),
    # listUserRoles
    Operation(
        "listUserRoles", "GET", f"{V1}/user-role",
        app_permission="ReadAccounts", throttling="Medium", user_permission="ReadUserRoles",
        query={
            "custom": boolean(),
            "page": integer(minimum=1, maximum=1000),
            "perPage": integer(minimum=1, maximum=1000),
        },
    ),
    # readDefaultRole: RoleManagement, not ReadAccounts
    Operation(
        "readDefaultRole", "GET", f"{V1}/user-role/default",
        app_permission="RoleManagement", throttling="Light", user_permission="Roles",
    ),
    # listUserAssignedRoles
    Operation(
        "listUserAssignedRoles", "GET", f"{V1}/extension/{{extensionId}}/assigned-role",
        app_permission="ReadAccounts", throttling="Light", user_permission="ReadAssignedRoles",
        query={"showHidden": boolean()},
    ),
    # updateUserAssignedRoles: AssignedRolesResource
    Operation(
        "updateUserAssignedRoles", "PUT", f"{V1}/extension/{{extensionId}}/assigned-role",
        app_permission="RoleManagement", throttling="Medium", user_permission="EditAssignedRoles",
        body=ASSIGNED_ROLES_RESOURCE, body_required=True,
    ),
    # assignMultipleUserRoles: BulkRoleAssignResource
    Operation(
        "assignMultipleUserRoles", "POST", f"{V1}/user-role/{{roleId}}/bulk-assign",
        app_permission="RoleManagement", throttling="Heavy", user_permission="EditUserRoles",
        body=BULK_ROLE_ASSIGN_RESOURCE, body_required=True,
    ),
    # listCallRecordingExtensions: no query parameter declared
    Operation(
        "listCallRecordingExtensions", "GET", f"{V1}/call-recording/extensions",
        app_permission="ReadAccounts", throttling="Medium", user_permission="ReadCompanyInfo",
    ),
    # updateCallRecordingExtensions: BulkAccountCallRecordingsResource (ReadAccounts, as given)
    Operation(
        "updateCallRecordingExtensions", "POST", f"{V1}/call-recording/bulk-assign",
        app_permission="ReadAccounts", throttling="Medium", user_permission="ReadCompanyInfo",
        body=BULK_ACCOUNT_CALL_RECORDINGS_RESOURCE, body_required=True,
    ),
    # readCallRecordingSettings
    Operation(
        "readCallRecordingSettings", "GET", f"{V1}/call-recording",
        app_permission="ReadAccounts", throttling="Light", user_permission="ReadCompanyInfo",
    ),
    # updateCallRecordingSettings: CallRecordingSettingsResource (body not required)
    Operation(
        "updateCallRecordingSettings", "PUT", f"{V1}/call-recording",
        app_permission="EditAccounts", throttling="Medium", user_permission="EditCompanyInfo",
        body=CALL_RECORDING_SETTINGS_RESOURCE,
    ),
    # listLanguages: no query parameter declared; answers LanguageList, records LanguageInfo
    # {id, localeCode, name, ui, greeting, formattingLocale, ...}, the three flags booleans
    Operation(
        "listLanguages", "GET", "/restapi/v1.0/dictionary/language",
        app_permission=None, throttling="Light",
    ),
    # readLanguage: languageId is an integer
    Operation(
        "readLanguage", "GET", "/restapi/v1.0/dictionary/language/{languageId}",
        app_permission=None, throttling="Light", integer_ids=("languageId",),
    ),
    # listSites: no query parameter declared
    Operation(
        "listSites", "GET", f"{V1}/sites",
        app_permission="ReadAccounts", throttling="Light", user_permission="ReadExtensions",
    ),
    # readSite
    Operation(
        "readSite", "GET", f"{V1}/sites/{{siteId}}",
        app_permission="ReadAccounts", throttling="Light", user_permission="ReadExtensions",
    ),
    # bulkDeleteUsersV2: BulkDeleteUsersRequest (a DELETE with a JSON body)
    Operation(
        "bulkDeleteUsersV2", "DELETE", "/restapi/v2/accounts/{accountId}/extensions",
        app_permission="EditAccounts", throttling="Heavy", user_permission="Users",
        body=BULK_DELETE_USERS_REQUEST, body_required=True,
    ),
]  # fmt: skip
BY_ID = {op.operation_id: op for op in OPERATIONS}

# What the client sends (or sent) that the published definition lacks (checked at the commit
# above): no path of the definition contains `credentials` as a segment or `secret-question`.
NOT_IN_DEFINITION = {
    ("PUT", f"{V1}/extension/{{extensionId}}/credentials"): "security question (send.py)",
    ("GET", "/restapi/v1.0/dictionary/secret-question"): "security questions (send.py)",
}
# Query parameters the client sends (client.pages: perPage) that these lists do not declare.
UNDECLARED_QUERY = {"listSites": ("perPage",), "listCallRecordingExtensions": ("perPage",)}


# -- the checker -----------------------------------------------------------------------------------
SECRET_FIELDS = {"password", "ivrPin", "answer", "assertion", "refresh_token", "token"}


def _regex(template: str, integer_ids: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A template's regex: literal text, and one pattern per placeholder."""

    def placeholder(name: str) -> str:
        if name in ("accountId", "extensionId"):
            return r"(?:~|\d+)"
        return r"\d+" if name in integer_ids else r"[^/]+"

    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
    return re.compile(
        "".join(placeholder(p) if n % 2 else re.escape(p) for n, p in enumerate(parts))
    )


_ROUTES = [(_regex(op.path, op.integer_ids), op) for op in OPERATIONS]
_ABSENT = [(method, _regex(path)) for method, path in NOT_IN_DEFINITION]


def operation(method: str, path: str) -> Operation | None:
    """The operation of the table a request is for (the most literal template that matches)."""
    path = path.split("?", 1)[0]
    found = [op for rx, op in _ROUTES if op.method == method.upper() and rx.fullmatch(path)]
    return min(found, key=lambda op: op.path.count("{"), default=None)


def check(method: str, path: str, query: Mapping[str, Any] | None, body: Any) -> str | None:
    """None when the request is an operation of the table with a query and a body it
    declares; otherwise one line that names the request and says what is wrong."""
    method = method.upper()
    path, _, raw = path.partition("?")
    values = _query(query, raw)
    shown = f"{method} {path}"
    op = operation(method, path)
    if op is None:
        if any(m == method and rx.fullmatch(path) for m, rx in _ABSENT):
            return f"{shown}: no such operation in the published definition"
        others = sorted({o.method for rx, o in _ROUTES if rx.fullmatch(path)})
        also = f" (it has {', '.join(others)} for this path)" if others else ""
        return f"{shown}: no such operation in the table of the published definition{also}"
    shown = f"{shown} ({op.operation_id})"
    for name, given in values.items():
        why = _check_query(op, name, given)
        if why:
            return f"{shown}: {why}"
    why = _check_body(op, body)
    return f"{shown}: {why}" if why else None


def violations(requests: Iterable[Any]) -> list[str]:
    """check() over recorded requests (tests/fake_platform.Recorded: method, path, query,
    body): the reasons, one per request outside the table."""
    out = []
    for r in requests:
        why = check(r.method, r.path, r.query, r.body)
        if why:
            out.append(why)
    return out


def _query(query: Mapping[str, Any] | None, raw: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {k: list(v) for k, v in parse_qs(raw, True).items()}
    for name, value in (query or {}).items():
        items = value if isinstance(value, list | tuple) else [value]
        values.setdefault(name, []).extend(_text(v) for v in items)
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_query(op: Operation, name: str, given: list[str]) -> str | None:
    schema = op.query.get(name)
    if schema is None:
        declared = ", ".join(op.query) or "none"
        return f"query {name}: not a declared parameter (declared: {declared})"
    if schema["type"] != "array" and len(given) > 1:
        return f"query {name}: given {len(given)} times, declared once"
    item = schema["items"] if schema["type"] == "array" else schema
    for value in given:
        why = _check_text(item, value, name)
        if why:
            return f"query {why}"
    return None


def _check_text(schema: Schema, value: str, where: str) -> str | None:
    """A value given as text (a query parameter, a form field)."""
    shown = "the value" if where in SECRET_FIELDS else repr(value)
    kind = schema["type"]
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            return f"{where}: {shown} is not an integer"
        return _bounds(schema, int(value), where)
    if kind == "boolean":
        return None if value in ("true", "false") else f"{where}: {shown} is not true or false"
    return _string(schema, value, where)


def _check_body(op: Operation, body: Any) -> str | None:
    if body is None or body == "":
        return "body: required, none sent" if op.body_required else None
    if op.body is None:
        return "body: this operation takes none"
    if isinstance(op.body, Form):
        return _check_form(op.body, body)
    why = _json(op.body, body, "")
    return f"body: {why}" if why else None


def _check_form(form: Form, body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"body: a {_kind(body)}, not a form of {form.title}"
    allowed = set(form.fields)
    if form.grants:
        grant = next((g for g in form.grants if body.get("grant_type") in g.grant_types), None)
        if grant is None:
            return f"body: grant_type: not one of the grants of {form.title}"
        others = {f for g in form.grants for f in g.required + g.optional}
        allowed -= others - set(grant.required + grant.optional)
        missing = [f for f in grant.required if f not in body]
        if missing:
            return f"body: {missing[0]}: required by {grant.title}"
    for name, value in body.items():
        if name not in allowed:
            return f"body: {name}: not a field of {form.title}"
        why = _check_text(form.fields[name], str(value), name)
        if why:
            return f"body: {why}"
    return None


def _json(schema: Schema, value: Any, where: str) -> str | None:
    """The first breach of a JSON value against the schema, or None."""
    at = where or "(body)"
    kind = schema["type"]
    if kind == "object":
        title = schema["title"]
        if not isinstance(value, dict):
            return f"{at}: a {_kind(value)}, not an object ({title})"
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            prop = schema["properties"].get(key)
            if prop is None:
                return f"{inner}: not a property of {title}"
            if prop.get("readOnly"):
                return f"{inner}: read-only in {title}"
            why = _json(prop, item, inner)
            if why:
                return why
        missing = [k for k in schema["required"] if k not in value]
        return f"{at}: {missing[0]} is required by {title}" if missing else None
    if kind == "array":
        if not isinstance(value, list):
            return f"{at}: a {_kind(value)}, not an array"
        if len(value) < schema.get("minItems", 0):
            return f"{at}: {len(value)} item(s), at least {schema['minItems']}"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{at}: {len(value)} items, at most {schema['maxItems']}"
        for n, item in enumerate(value):
            why = _json(schema["items"], item, f"{where}[{n}]")
            if why:
                return why
        return None
    if kind == "string":
        if not isinstance(value, str):
            return f"{at}: a {_kind(value)}, not a string"
        return _string(schema, value, at)
    if kind == "boolean":
        return None if isinstance(value, bool) else f"{at}: a {_kind(value)}, not a boolean"
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{at}: a {_kind(value)}, not an integer"
        return _bounds(schema, value, at)
    raise AssertionError(f"schema type {kind!r}")


def _string(schema: Schema, value: str, where: str) -> str | None:
    secret = where.rsplit(".", 1)[-1] in SECRET_FIELDS
    shown = "the value" if secret else repr(value)
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: {shown} is not one of {', '.join(schema['enum'])}"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"{where}: {len(value)} characters, at most {schema['maxLength']}"
    if "minLength" in schema and len(value) < schema["minLength"]:
        return f"{where}: {len(value)} characters, at least {schema['minLength']}"
    return None


def _bounds(schema: Schema, value: int, where: str) -> str | None:
    if "minimum" in schema and value < schema["minimum"]:
        return f"{where}: {value} is below {schema['minimum']}"
    if "maximum" in schema and value > schema["maximum"]:
        return f"{where}: {value} is above {schema['maximum']}"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "value"
