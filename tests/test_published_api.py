"""The checker of tests/published_api.py (the published definition's operations): a request of
every kind the client sends passes when it is right, and each kind of wrong request is caught,
named, and told in one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.fake_platform import JWT_GRANT
from tests.published_api import (
    BY_ID,
    NOT_IN_DEFINITION,
    OPERATIONS,
    UNDECLARED_QUERY,
    Form,
    check,
    operation,
    violations,
)

A = "/restapi/v1.0/account/~"
SECRET = "s3cr3t-value"

CONTACT = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada@example.com",
    "businessPhone": "+16505550101",
    "mobilePhone": "+16505550102",
    "jobTitle": "Engineer",
    "department": "R&D",
}
REGIONAL = {
    "language": {"id": "1033"},
    "greetingLanguage": {"id": "1033"},
    "formattingLocale": {"id": "1033"},
}
ASSIGN_INVITE = {  # an assignment that sends the welcome email
    "status": "NotActivated",
    "extensionNumber": "101",
    "contact": CONTACT,
    "regionalSettings": REGIONAL,
    "site": {"id": "main-site"},
    "transition": {"sendWelcomeEmail": True},
}
ASSIGN_LATER = {**ASSIGN_INVITE, "transition": {"sendWelcomeEmail": False}}
ASSIGN_CREDENTIALS = {
    **{k: v for k, v in ASSIGN_INVITE.items() if k != "transition"},
    "status": "Enabled",
    "password": SECRET,
    "ivrPin": "4321",
}

# (what, method, path, query, body): one right request per operation of the table (the
# client's own first)
RIGHT: list[tuple[str, str, str, Any, Any]] = [
    ("login (JWT)", "POST", "/restapi/oauth/token", {},
     {"grant_type": JWT_GRANT, "assertion": SECRET}),
    ("refresh", "POST", "/restapi/oauth/token", {},
     {"grant_type": "refresh_token", "refresh_token": SECRET}),
    ("revoke", "POST", "/restapi/oauth/revoke", {}, {"token": SECRET}),
    ("account", "GET", A, {}, None),
    ("users, first page", "GET", f"{A}/extension", {"type": ["User"], "perPage": ["1000"]}, None),
    ("users, next page (navigation.nextPage)", "GET", "/restapi/v1.0/account/62000000000/extension",
     {"type": ["User"], "page": ["2"], "perPage": ["1000"]}, None),
    ("users by email (verify-email)", "GET", f"{A}/extension", {"email": "ada@example.com"}, None),
    ("extension", "GET", f"{A}/extension/62000000001", {}, None),
    ("sites", "GET", f"{A}/sites", {}, None),
    ("site", "GET", f"{A}/sites/main-site", {}, None),
    ("roles", "GET", f"{A}/user-role", {"perPage": ["1000"]}, None),
    ("default role", "GET", f"{A}/user-role/default", {}, None),
    ("languages", "GET", "/restapi/v1.0/dictionary/language", {}, None),
    ("language", "GET", "/restapi/v1.0/dictionary/language/1033", {}, None),
    ("recording list", "GET", f"{A}/call-recording/extensions", {}, None),
    ("recording settings", "GET", f"{A}/call-recording", {}, None),
    ("assign, invite", "PUT", f"{A}/extension/62000000001", {}, ASSIGN_INVITE),
    ("assign, later", "PUT", f"{A}/extension/62000000001", {}, ASSIGN_LATER),
    ("assign, credentials", "PUT", f"{A}/extension/62000000001", {}, ASSIGN_CREDENTIALS),
    ("update: a cleared title", "PUT", f"{A}/extension/62000000001", {},
     {"status": "Enabled", "contact": {"jobTitle": ""}}),
    ("bulk update", "POST", f"{A}/extension-bulk-update", {},
     {"records": [{"id": "62000000001", **ASSIGN_INVITE}, {"id": "62000000002", **ASSIGN_LATER},
                  {"id": "62000000003", **ASSIGN_CREDENTIALS}]}),
    ("bulk task", "GET", f"{A}/extension-bulk-update/tasks/bulk-0001-3f2a9c1e", {}, None),
    ("one role", "PUT", f"{A}/extension/62000000001/assigned-role", {}, {"records": [{"id": "6"}]}),
    ("user's roles", "GET", f"{A}/extension/62000000001/assigned-role", {}, None),
    ("role to many", "POST", f"{A}/user-role/a9d63c9a-7f1b-57ed-92ad-3dc3fafb4bc7/bulk-assign",
     {}, {"addedExtensionIds": ["62000000001", "62000000002"]}),
    ("recording", "POST", f"{A}/call-recording/bulk-assign", {},
     {"addedExtensions": [{"id": "62000000001", "callDirection": "All"}],
      "updatedExtensions": [{"id": "62000000002", "callDirection": "Inbound"}],
      "removedExtensions": [{"id": "62000000003"}]}),
    ("recording settings, set", "PUT", f"{A}/call-recording", {},
     {"automatic": {"enabled": True, "allowMute": False}}),
    ("delete one", "DELETE", f"{A}/extension/62000000001", {"savePhoneNumbers": "false"}, None),
    ("delete many (v2)", "DELETE", "/restapi/v2/accounts/~/extensions", {},
     {"records": [{"id": "62000000001"}], "keepAssetsInInventory": False}),
]  # fmt: skip


@pytest.mark.parametrize("what, method, path, query, body", RIGHT, ids=[r[0] for r in RIGHT])
def test_a_right_request_passes(what: str, method: str, path: str, query: Any, body: Any) -> None:
    assert check(method, path, query, body) is None


def test_every_operation_of_the_table_has_a_right_example() -> None:
    used = [operation(method, path) for _, method, path, _, _ in RIGHT]
    assert {op.operation_id for op in OPERATIONS} == {op.operation_id for op in used if op}


# (method, path, query, body, the reason's end)
WRONG: list[tuple[str, str, Any, Any, str]] = [
    # paths the definition does not have
    ("PUT", f"{A}/extension/62000000001/credentials", {},
     {"secretQuestion": {"id": "1", "answer": SECRET}},
     f"PUT {A}/extension/62000000001/credentials: no such operation in the published definition"),
    ("GET", "/restapi/v1.0/dictionary/secret-question", {}, None,
     "GET /restapi/v1.0/dictionary/secret-question: no such operation in the published definition"),
    ("GET", f"{A}/extensions", {}, None,
     f"GET {A}/extensions: no such operation in the table of the published definition"),
    ("DELETE", f"{A}/extension", {}, None, "(it has GET for this path)"),
    ("GET", f"{A}/extension/abc", {}, None, "no such operation in the table"),
    ("GET", "/restapi/v1.0/dictionary/language/en-US", {}, None, "no such operation in the table"),
    # query parameters not declared
    ("GET", f"{A}/sites", {"perPage": ["1000"]}, None,
     f"GET {A}/sites (listSites): query perPage: not a declared parameter (declared: none)"),
    ("GET", f"{A}/call-recording/extensions", {"perPage": "1000"}, None,
     "(listCallRecordingExtensions): query perPage: not a declared parameter (declared: none)"),
    ("GET", f"{A}/extension", {"perPage": "1000", "limit": "5"}, None,
     "(listExtensions): query limit: not a declared parameter (declared: extensionNumber, email, "
     "page, perPage, status, type)"),
    ("GET", f"{A}/user-role/default", {"perPage": "1000"}, None, "query perPage: not a declared"),
    # query values
    ("GET", f"{A}/extension", {"type": "Users"}, None,
     "query type: 'Users' is not one of User, Department"),
    ("GET", f"{A}/extension", {"perPage": "all"}, None, "query perPage: 'all' is not an integer"),
    ("GET", f"{A}/user-role", {"custom": "yes"}, None, "query custom: 'yes' is not true or false"),
    ("GET", f"{A}/user-role", {"perPage": "5000"}, None, "query perPage: 5000 is above 1000"),
    ("GET", f"{A}/user-role", {"perPage": ["100", "1000"]}, None,
     "query perPage: given 2 times, declared once"),
    ("GET", f"{A}/extension", {"email": "a" * 250 + "@x.io"}, None,
     "query email: 255 characters, at most 254"),
    # bodies: unknown properties, at any depth
    ("PUT", f"{A}/extension/62000000001", {}, {**ASSIGN_INVITE, "temporaryPassword": SECRET},
     "(updateExtension): body: temporaryPassword: not a property of ExtensionUpdateRequest"),
    ("POST", f"{A}/extension-bulk-update", {},
     {"records": [{"id": "1", "status": "Enabled", "contact": {"nickname": "Ada"}}]},
     f"POST {A}/extension-bulk-update (extensionBulkUpdate): body: records[0].contact.nickname: "
     "not a property of ContactInfoUpdateRequest"),
    ("PUT", f"{A}/extension/62000000001", {},
     {"status": "Enabled", "regionalSettings": {"language": {"id": "1033", "code": "en-US"}}},
     "body: regionalSettings.language.code: not a property of ExtensionLanguageInfoRequest"),
    ("PUT", f"{A}/extension/62000000001", {},
     {"status": "Enabled", "site": {"id": "1", "name": "HQ"}},
     "body: site.name: not a property of SiteReference"),  # the bulk record's site takes a name
    ("POST", f"{A}/call-recording/bulk-assign", {},
     {"addedExtensions": [{"id": "1", "direction": "All"}]},
     "body: addedExtensions[0].direction: not a property of CallRecordingExtensionResource"),
    # enums
    ("PUT", f"{A}/extension/62000000001", {}, {"status": "Active"},
     "body: status: 'Active' is not one of Enabled, Disabled, Frozen, NotActivated"),
    ("PUT", f"{A}/extension/62000000001", {}, {"status": "Unassigned"},
     "body: status: 'Unassigned' is not one of"),
    ("POST", f"{A}/call-recording/bulk-assign", {},
     {"updatedExtensions": [{"id": "1", "callDirection": "Both"}]},
     "body: updatedExtensions[0].callDirection: 'Both' is not one of Outbound, Inbound, All"),
    ("POST", "/restapi/oauth/token", {}, {"grant_type": "password", "username": "x"},
     "(getToken): body: grant_type: not one of the grants of GetTokenRequest"),
    # types
    ("PUT", f"{A}/extension/62000000001", {}, {"status": "Enabled", "extensionNumber": 101},
     "body: extensionNumber: a number, not a string"),
    ("PUT", f"{A}/extension/62000000001", {},
     {"status": "NotActivated", "transition": {"sendWelcomeEmail": "false"}},
     "body: transition.sendWelcomeEmail: a string, not a boolean"),
    ("PUT", f"{A}/extension/62000000001", {}, {"status": "Enabled", "contact": None},
     "body: contact: a null, not an object (ContactInfoUpdateRequest)"),
    ("POST", f"{A}/user-role/6/bulk-assign", {}, {"addedExtensionIds": [62000000001]},
     "body: addedExtensionIds[0]: a number, not a string"),
    ("POST", f"{A}/extension-bulk-update", {}, {"records": {"id": "1"}},
     "body: records: a object, not an array"),
    ("PUT", f"{A}/extension/62000000001", {}, [ASSIGN_INVITE],
     "body: (body): a array, not an object (ExtensionUpdateRequest)"),
    # lengths, item counts, required, read-only
    ("PUT", f"{A}/extension/62000000001", {},
     {"status": "Enabled", "contact": {"firstName": "A" * 65}},
     "body: contact.firstName: 65 characters, at most 64"),
    ("DELETE", "/restapi/v2/accounts/~/extensions", {},
     {"records": [{"id": str(i)} for i in range(51)]},
     "(bulkDeleteUsersV2): body: records: 51 items, at most 50"),
    ("DELETE", "/restapi/v2/accounts/~/extensions", {}, {"records": []},
     "body: records: 0 item(s), at least 1"),
    ("DELETE", "/restapi/v2/accounts/~/extensions", {}, {"records": [{"extensionId": "1"}]},
     "body: records[0].extensionId: not a property of BulkOperationExtensionReference"),
    ("DELETE", "/restapi/v2/accounts/~/extensions", {}, {"records": [{}]},
     "body: records[0]: id is required by BulkOperationExtensionReference"),
    ("POST", f"{A}/extension-bulk-update", {}, {}, "body: (body): records is required by"),
    ("PUT", f"{A}/extension/62000000001/assigned-role", {},
     {"records": [{"id": "6", "uri": "https://x.example/role/6"}]},
     "body: records[0].uri: read-only in AssignedRoleResource"),
    ("POST", "/restapi/oauth/token", {}, {"grant_type": JWT_GRANT},
     "body: assertion: required by JwtTokenRequest"),
    ("POST", "/restapi/oauth/token", {}, {"grant_type": JWT_GRANT, "assertion": "j", "code": "c"},
     "body: code: not a field of GetTokenRequest"),  # the authorization-code grant's field
    ("POST", "/restapi/oauth/token", {},
     {"grant_type": JWT_GRANT, "assertion": "j", "access_token_ttl": "60"},
     "body: access_token_ttl: 60 is below 600"),
    ("POST", "/restapi/oauth/revoke", {}, {"token": "t", "client_secret": "x"},
     "body: client_secret: not a field of RevokeTokenRequest"),
    # a body where none is taken, none where one is required
    ("GET", f"{A}/extension", {}, {"type": "User"},
     "(listExtensions): body: this operation takes none"),
    ("PUT", f"{A}/extension/62000000001", {}, None, "body: required, none sent"),
]  # fmt: skip


@pytest.mark.parametrize(
    "method, path, query, body, reason", WRONG, ids=[f"{w[0]} {w[4][-60:]}" for w in WRONG]
)
def test_a_wrong_request_is_caught_and_named(
    method: str, path: str, query: Any, body: Any, reason: str
) -> None:
    why = check(method, path, query, body)
    assert why is not None
    assert why.startswith(f"{method} {path}")  # names the request
    assert reason in why
    assert "\n" not in why


def test_what_the_client_sends_today_that_the_definition_lacks_is_caught() -> None:
    """The facts noted in the table: every one is refused by the checker."""
    for method, template in NOT_IN_DEFINITION:
        path = template.replace("{accountId}", "~").replace("{extensionId}", "62000000001")
        assert "no such operation in the published definition" in str(check(method, path, {}, {}))
    for operation_id, names in UNDECLARED_QUERY.items():
        op = BY_ID[operation_id]
        path = op.path.replace("{accountId}", "~")
        for name in names:
            assert f"query {name}: not a declared parameter" in str(
                check(op.method, path, {name: "1000"}, None)
            )


def test_secrets_are_not_shown() -> None:
    token = "/restapi/oauth/token"
    for method, path, query, body in (
        ("PUT", f"{A}/extension/1", {}, {"status": "Enabled", "password": SECRET, "nick": 1}),
        ("PUT", f"{A}/extension/1", {}, {"status": "Enabled", "ivrPin": 1234, "password": SECRET}),
        ("POST", token, {}, {"grant_type": JWT_GRANT, "assertion": SECRET, "x": "1"}),
        ("POST", token, {}, {"grant_type": JWT_GRANT, "assertion": SECRET, "code": ""}),
        ("POST", token, {}, {"grant_type": SECRET, "assertion": "x"}),
        ("POST", "/restapi/oauth/revoke", {"token": SECRET, "tokens": SECRET}, None),
    ):
        why = check(method, path, query, body)
        assert why and SECRET not in why


def test_the_ways_a_query_is_given() -> None:
    """parse_qs lists (the fake's `query`), plain strings, values inside the path, and other
    values (a bool, an int) as httpx would send them."""
    path = f"{A}/extension"
    assert check("GET", path, {"type": ["User", "Department"], "status": "Enabled"}, None) is None
    assert check("GET", f"{path}?type=User&page=2&perPage=1000", None, None) is None
    assert check("GET", path, {"perPage": 1000}, None) is None
    assert check("GET", f"{A}/user-role", {"custom": True}, None) is None
    why = check("GET", f"{A}/sites?perPage=1000", {}, None)
    assert (
        why
        == f"GET {A}/sites (listSites): query perPage: not a declared parameter (declared: none)"
    )
    assert check("get", path, {}, None) is None  # the method in any case


def test_path_placeholders() -> None:
    """`~` or digits for the account and the extension, a literal segment before a
    placeholder, digits for an integer placeholder."""
    default, own = operation("GET", f"{A}/user-role/default"), operation("GET", f"{A}/extension/~")
    assert default and default.operation_id == "readDefaultRole"  # not a role "default"
    assert own and own.operation_id == "readExtension"
    assert operation("GET", "/restapi/v1.0/account/123/extension/456/assigned-role") is not None
    assert operation("GET", "/restapi/v1.0/account/me/extension") is None
    assert operation("GET", f"{A}/extension/62000000001/") is None  # no trailing slash
    assert operation("GET", f"{A}/extension-bulk-update/tasks/a/b") is None


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


def test_violations_over_recorded_requests() -> None:
    """The shape tests/fake_platform.py records (method, path, query, body)."""
    sent = [
        Recorded("POST", "/restapi/oauth/token", {}, {"grant_type": JWT_GRANT, "assertion": "j"}),
        Recorded("GET", f"{A}/sites", {"perPage": ["1000"]}, None),
        Recorded("PUT", f"{A}/extension/62000000001", {}, ASSIGN_LATER),
        Recorded("PUT", f"{A}/extension/62000000001/credentials", {}, {"secretQuestion": {}}),
    ]
    assert violations(sent) == [
        f"GET {A}/sites (listSites): query perPage: not a declared parameter (declared: none)",
        f"PUT {A}/extension/62000000001/credentials: no such operation in the published definition",
    ]


def test_the_table_is_json_schema_and_jsonschema_agrees() -> None:
    """Every JSON body of the table is a valid JSON Schema (draft 2020-12), and jsonschema reads
    the right examples and the unknown properties as the checker does."""
    for op in OPERATIONS:
        if op.body is not None and not isinstance(op.body, Form):
            Draft202012Validator.check_schema(op.body)
        for schema in op.query.values():
            Draft202012Validator.check_schema(schema)
    for _, method, path, _, body in RIGHT:
        right = operation(method, path)
        assert right is not None
        if body is not None and not isinstance(right.body, Form):
            assert Draft202012Validator(right.body).is_valid(body), (method, path)
    for method, path, _, body, reason in WRONG:
        wrong = operation(method, path)
        if wrong and "not a property of" in reason and not isinstance(wrong.body, Form):
            assert not Draft202012Validator(wrong.body).is_valid(body), reason
