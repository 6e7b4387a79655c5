"""The fake platform itself, driven with plain httpx (no extadmin code): it must answer like the
platform, keep its state, and catch every breach by a client in `violations`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fake_platform import JWT_GRANT, FakePlatform, serve

API = "/restapi/v1.0/account/~"
PLAIN: Any = {"timeout": 5, "verify": False}  # plain HTTP: no certificates to load (slow)


@pytest.fixture
def bare_fake() -> Iterator[FakePlatform]:
    with serve() as platform:
        yield platform


def client(bare_fake: FakePlatform, token: str | None = None) -> httpx.Client:
    """A client that sends a valid access token (or the given one)."""
    token = token or bare_fake.issue_token()
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=bare_fake.url, headers=headers, **PLAIN)


@pytest.fixture
def api(bare_fake: FakePlatform) -> Iterator[httpx.Client]:
    with client(bare_fake) as http:
        yield http


def login(bare_fake: FakePlatform, **form: str) -> httpx.Response:
    data = form or {"grant_type": JWT_GRANT, "assertion": bare_fake.jwt}
    auth = (bare_fake.client_id, bare_fake.client_secret)
    return httpx.post(f"{bare_fake.url}/restapi/oauth/token", data=data, auth=auth, **PLAIN)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["errorCode"]
    return code


# -- auth -----------------------------------------------------------------------------------------


def test_jwt_grant_then_refresh(bare_fake: FakePlatform) -> None:
    first = login(bare_fake)
    assert first.status_code == 200
    grant = first.json()
    assert grant["token_type"] == "bearer" and grant["expires_in"] == 3600
    assert {
        "access_token",
        "refresh_token",
        "refresh_token_expires_in",
        "scope",
        "owner_id",
    } <= set(grant)
    with client(bare_fake, grant["access_token"]) as http:
        assert http.get(API).json()["id"] == int(bare_fake.account_id)

    second = login(bare_fake, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert second.status_code == 200
    assert second.json()["access_token"] != grant["access_token"]
    again = login(bare_fake, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (bare_fake.tokens_issued, bare_fake.refreshes) == (1, 1)
    assert bare_fake.requests[0].body == {"grant_type": JWT_GRANT, "assertion": bare_fake.jwt}
    assert not bare_fake.violations


def test_wrong_secret_is_401_and_wrong_jwt_is_400(bare_fake: FakePlatform) -> None:
    data = {"grant_type": JWT_GRANT, "assertion": bare_fake.jwt}
    url, auth = f"{bare_fake.url}/restapi/oauth/token", (bare_fake.client_id, "x")
    wrong = httpx.post(url, data=data, auth=auth, **PLAIN)
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client" and error_code(wrong) == "OAU-123"

    bad_jwt = login(bare_fake, grant_type=JWT_GRANT, assertion="eyJ.not.it")
    assert bad_jwt.status_code == 400 and error_code(bad_jwt) == "OAU-213"
    assert bare_fake.tokens_issued == 0
    assert not bare_fake.violations  # wrong credentials are the user's mistake, not the client's


def test_an_unknown_grant_field_is_a_violation(bare_fake: FakePlatform) -> None:
    response = login(bare_fake, grant_type=JWT_GRANT, assertion=bare_fake.jwt, scope="everything")
    assert response.status_code == 400
    assert len(bare_fake.violations) == 1 and "'scope' was unexpected" in bare_fake.violations[0]
    assert bare_fake.jwt not in bare_fake.violations[0]


def test_a_missing_bearer_token_is_a_violation(bare_fake: FakePlatform) -> None:
    response = httpx.get(f"{bare_fake.url}{API}/extension", **PLAIN)
    assert response.status_code == 401
    assert bare_fake.violations == [f"GET {API}/extension: no Bearer access token"]


def test_expired_tokens_answer_401_and_a_refresh_token_still_works(bare_fake: FakePlatform) -> None:
    grant = login(bare_fake).json()
    with client(bare_fake, grant["access_token"]) as http:
        assert http.get(API).status_code == 200
        bare_fake.expire_tokens()
        expired = http.get(API)
    assert expired.status_code == 401
    assert expired.json()["errorCode"] == "TokenInvalid" and error_code(expired) == "TokenInvalid"
    renewed = login(bare_fake, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    with client(bare_fake, renewed.json()["access_token"]) as http:
        assert http.get(API).status_code == 200
    assert not bare_fake.violations  # expiry is normal


def test_a_short_token_lifetime_expires_by_itself() -> None:
    with serve(token_lifetime=0) as bare_fake, client(bare_fake) as http:
        time.sleep(0.01)
        assert http.get(API).status_code == 401


def test_revoke(bare_fake: FakePlatform) -> None:
    token = login(bare_fake).json()["access_token"]
    auth = (bare_fake.client_id, bare_fake.client_secret)
    url = f"{bare_fake.url}/restapi/oauth/revoke"
    revoked = httpx.post(url, data={"token": token}, auth=auth, **PLAIN)
    assert revoked.status_code == 200 and revoked.content == b""
    with client(bare_fake, token) as http:
        assert http.get(API).status_code == 401


# -- lists and records ----------------------------------------------------------------------------


def test_paging_follows_next_page(bare_fake: FakePlatform, api: httpx.Client) -> None:
    users = bare_fake.populate(2500)
    assert len(bare_fake.extensions) > 2500  # also some Department, IvrMenu... extensions
    url: str | None = f"{bare_fake.url}{API}/extension?type=User&perPage=1000"
    pages: list[dict[str, Any]] = []
    while url:
        page = api.get(url).json()
        pages.append(page)
        assert "totalPages" not in page["paging"] and "totalElements" not in page["paging"]
        url = page["navigation"].get("nextPage", {}).get("uri")
    assert [len(p["records"]) for p in pages] == [1000, 1000, 500]
    assert [p["paging"]["page"] for p in pages] == [1, 2, 3]
    records = [r for p in pages for r in p["records"]]
    assert [r["id"] for r in records] == users
    assert {r["type"] for r in records} == {"User"}
    assert {r["status"] for r in records} == {
        "Enabled", "NotActivated", "Disabled", "Frozen", "Unassigned"
    }  # fmt: skip
    assert any("extensionNumber" not in r for r in records)
    assert all("regionalSettings" not in r for r in records)
    assert "type=User" in pages[1]["navigation"]["previousPage"]["uri"]
    assert not bare_fake.violations


def test_populate_is_deterministic_and_never_uses_reserved_numbers() -> None:
    with serve() as one, serve() as two:
        one.populate(300, seed=7)
        two.populate(300, seed=7)
        assert one.extensions == two.extensions and one.recording == two.recording
        numbers = [e["extensionNumber"] for e in one.extensions.values() if "extensionNumber" in e]
        assert len(numbers) == len(set(numbers))
        assert all(3 <= len(n) <= 6 for n in numbers)
        assert not {"911", "933", "988", "112", "999", "411", "611"} & set(numbers)
        emails = [e["contact"]["email"] for e in one.extensions.values() if e["type"] == "User"
                  and e["status"] != "Unassigned"]  # fmt: skip
        assert len(emails) == len(set(emails))


def test_list_filters(bare_fake: FakePlatform, api: httpx.Client) -> None:
    ann = bare_fake.add_extension("101", first_name="Ann", last_name="Lee", email="Ann@Example.com")
    bare_fake.add_extension("102", status="Unassigned")
    bare_fake.add_extension("103", type="Department", first_name="Sales")

    def ids(**params: Any) -> list[int]:
        return [r["id"] for r in api.get(f"{API}/extension", params=params).json()["records"]]

    assert ids(email="ann@example.COM") == [ann]
    assert ids(status=["Unassigned", "Disabled"], type="User") == [ann + 1]
    assert ids(extensionNumber="103") == [ann + 2]
    assert api.get(f"{API}/extension", params={"status": "Gone"}).status_code == 400
    assert api.get(f"{API}/extension", params={"perPage": 1001}).status_code == 400
    assert api.get(f"{API}/extension", params={"sort": "id"}).status_code == 400
    assert len(bare_fake.violations) == 3


def test_one_record_has_regional_settings_the_list_does_not(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    ext = bare_fake.add_extension(
        "101", first_name="Ann", last_name="Lee", email="ann@example.com", language="fr-CA"
    )
    unassigned = bare_fake.add_extension(None, status="Unassigned")
    one = api.get(f"{API}/extension/{ext}").json()
    assert (
        one["uri"] == f"{bare_fake.url}/restapi/v1.0/account/{bare_fake.account_id}/extension/{ext}"
    )
    assert one["name"] == "Ann Lee" and one["roles"][0]["displayName"] == "Standard (International)"
    assert one["regionalSettings"]["language"] == {
        "id": "3084", "localeCode": "fr-CA", "name": "French (Canada)"
    }  # fmt: skip
    assert {"homeCountry", "timezone", "greetingLanguage", "formattingLocale", "timeFormat"} <= set(
        one["regionalSettings"]
    )
    listed = api.get(f"{API}/extension").json()["records"]
    assert "regionalSettings" not in listed[0]
    assert {k: v for k, v in one.items() if k != "regionalSettings"} == listed[0]
    assert "extensionNumber" not in listed[1] and "roles" not in listed[1]
    assert listed[1]["contact"] == {}
    missing = api.get(f"{API}/extension/{unassigned + 1}")
    assert missing.status_code == 404 and error_code(missing) == "CMN-102"


def test_dictionaries_sites_and_account(bare_fake: FakePlatform, api: httpx.Client) -> None:
    site = bare_fake.add_site("Paris", code="PAR")
    languages = api.get("/restapi/v1.0/dictionary/language").json()["records"]
    assert {"en-US", "fr-CA", "es-419", "zh-HK"} <= {lang["localeCode"] for lang in languages}
    india = next(lang for lang in languages if lang["localeCode"] == "en-IN")
    assert (india["ui"], india["greeting"], india["formattingLocale"]) == (False, False, True)
    sites = api.get(f"{API}/sites").json()["records"]
    assert sites == [{"id": "main-site", "name": "Main Site"}, {"id": site, "name": "Paris",
                                                               "code": "PAR"}]  # fmt: skip
    account = api.get(f"/restapi/v1.0/account/{bare_fake.account_id}").json()
    assert account["id"] == int(bare_fake.account_id) and account["status"] == "Confirmed"


def test_an_unknown_endpoint_is_a_violation(bare_fake: FakePlatform, api: httpx.Client) -> None:
    response = api.delete(f"{API}/extension/1")
    assert response.status_code == 404 and error_code(response) == "CMN-102"
    assert bare_fake.violations == [f"unknown endpoint DELETE {API}/extension/1"]


# -- rate limits ----------------------------------------------------------------------------------


def test_rate_limit_headers(bare_fake: FakePlatform, api: httpx.Client) -> None:
    first, second = api.get(API), api.get(API)
    assert first.headers["X-Rate-Limit-Group"] == "Light"
    assert first.headers["X-Rate-Limit-Limit"] == "50"
    assert first.headers["X-Rate-Limit-Window"] == "60"
    remaining = [r.headers["X-Rate-Limit-Remaining"] for r in (first, second)]
    assert remaining == ["49", "48"]
    assert api.get(f"{API}/extension").headers["X-Rate-Limit-Group"] == "Medium"


def test_passing_a_group_limit_is_a_violation_and_starts_a_penalty() -> None:
    with serve(limits={"Light": (2, 0.5)}) as bare_fake, client(bare_fake) as http:
        assert [http.get(API).status_code for _ in range(2)] == [200, 200]
        over = http.get(API)
        assert over.status_code == 429 and over.headers["Retry-After"] == "0.5"
        assert error_code(over) == "CMN-301"
        assert len(bare_fake.violations) == 1 and "Light limit" in bare_fake.violations[0]
        time.sleep(0.6)
        assert http.get(API).status_code == 200
        assert len(bare_fake.violations) == 1


def test_a_request_during_a_429_penalty_is_a_violation(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    bare_fake.fail_with_429(after=1, retry_after=0.5)
    assert api.get(API).status_code == 200
    refused = api.get(API)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "0.5"
    assert not bare_fake.violations  # the injected 429 is the platform's doing
    too_soon = api.get(API)
    assert too_soon.status_code == 429
    assert bare_fake.violations == [f"GET {API}: sent during a 429 penalty"]
    assert bare_fake.requests[-1].during_penalty
    time.sleep(0.6)  # the early request restarted the penalty: wait it out in full
    assert api.get(API).status_code == 200
    assert len(bare_fake.violations) == 1 and not bare_fake.requests[-1].during_penalty


def test_a_429_without_retry_after(bare_fake: FakePlatform, api: httpx.Client) -> None:
    bare_fake.fail_with_429(retry_after=None)
    response = api.get(API)
    assert response.status_code == 429 and "Retry-After" not in response.headers


def test_injected_server_errors(bare_fake: FakePlatform, api: httpx.Client) -> None:
    ext = bare_fake.add_extension("101", status="Unassigned")
    bare_fake.fail_with_status(503, count=2)
    body = {"status": "Enabled"}
    statuses = [api.put(f"{API}/extension/{ext}", json=body).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


# -- the strict schemas ---------------------------------------------------------------------------


def test_an_update_carries_only_what_changes_status_included(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    """The definition requires no field of an update (ExtensionUpdateRequest, and a bulk
    record beyond its id): one without status leaves the status as it is."""
    ext = bare_fake.add_extension("110", first_name="Ada", email="ada@acme.example")
    bare_fake.change_behind(ext, status="Disabled")
    response = api.put(f"{API}/extension/{ext}", json={"contact": {"department": "Sales"}})
    assert response.status_code == 200, response.text
    bulk = api.post(
        f"{API}/extension-bulk-update",
        json={"records": [{"id": str(ext), "contact": {"jobTitle": "Lead"}}]},
    )
    assert bulk.status_code == 202, bulk.text
    assert bare_fake.extensions[ext]["status"] == "Disabled"
    assert bare_fake.extensions[ext]["contact"]["department"] == "Sales"
    assert not bare_fake.violations


@pytest.mark.parametrize(
    "body",
    [
        {"status": "Enabled", "nickname": "Al"},  # an unknown field
        {"status": "Unassigned"},  # a status the API cannot set
        {"status": "Enabled", "contact": {"firstName": "A" * 65}},
        {"status": "Enabled", "contact": {"mobilePhone": "0612345678"}},
        {"status": "Enabled", "regionalSettings": {"language": {"id": "1033", "code": "en"}}},
        {"status": "Enabled", "roles": [{"id": "1"}]},  # roles have their own endpoint
    ],
)
def test_a_bad_update_is_refused_and_recorded(
    bare_fake: FakePlatform, api: httpx.Client, body: dict[str, Any]
) -> None:
    ext = bare_fake.add_extension("101", status="Unassigned")
    before = dict(bare_fake.extensions[ext])
    response = api.put(f"{API}/extension/{ext}", json=body)
    assert response.status_code == 400 and error_code(response) == "CMN-101"
    assert len(bare_fake.violations) == 1 and "schema" in bare_fake.violations[0]
    assert bare_fake.extensions[ext] == before


def test_a_valid_update_assigns_the_extension(bare_fake: FakePlatform, api: httpx.Client) -> None:
    site = bare_fake.add_site("Paris", code="PAR")
    ext = bare_fake.add_extension("101", status="Unassigned")
    body = {
        "status": "NotActivated",
        "extensionNumber": "201",
        "contact": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
                    "mobilePhone": "+33612345678", "department": "Sales"},
        "regionalSettings": {"language": {"id": "1036"}, "greetingLanguage": {"id": "1030"},
                             "formattingLocale": {"id": "16393"}},
        "site": {"id": site},
        "transition": {"sendWelcomeEmail": True},
    }  # fmt: skip
    response = api.put(f"{API}/extension/{ext}", json=body)
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["status"], record["extensionNumber"], record["name"]) == (
        "NotActivated",
        "201",
        "Ann Lee",
    )
    assert record["site"] == {"id": site, "name": "Paris", "code": "PAR"}
    assert record["roles"] == [
        {"id": bare_fake.default_role_id, "displayName": "Standard (International)"}
    ]
    assert record["regionalSettings"]["greetingLanguage"]["localeCode"] == "da-DK"
    assert bare_fake.extensions[ext]["contact"]["email"] == "ann@example.com"
    assert bare_fake.welcome_emails == [ext]
    secret = api.put(
        f"{API}/extension/{ext}", json={"status": "Enabled", "password": "pw", "ivrPin": "2468"}
    )
    assert secret.status_code == 200
    assert bare_fake.credentials[ext] == {"password": "pw", "ivrPin": "2468"}
    assert not bare_fake.violations


def test_the_platform_refuses_without_a_violation(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    bare_fake.add_extension("101", first_name="Ann", email="ann@example.com")
    ext = bare_fake.add_extension("102", status="Unassigned")
    nameless = bare_fake.add_extension(None, status="Unassigned")

    def put(body: dict[str, Any], target: int = ext) -> str:
        response = api.put(f"{API}/extension/{target}", json={"status": "Enabled", **body})
        assert response.status_code == 400
        return error_code(response)

    assert put({"extensionNumber": "101"}) == "EXT-402"
    assert put({"contact": {"email": "ANN@example.com"}}) == "EXT-403"
    assert put({"regionalSettings": {"language": {"id": "16393"}}}) == "CMN-101"  # no ui flag
    assert put({"regionalSettings": {"language": {"id": "en-US"}}}) == "CMN-101"  # a code
    assert put({"site": {"id": "nowhere"}}) == "CMN-101"
    assert put({}, nameless) == "CMN-101"  # no number to assign
    bare_fake.sso = True
    assert put({"password": "pw"}) == "EXT-413"
    assert bare_fake.extensions[ext]["status"] == "Unassigned"
    assert not bare_fake.violations


def test_the_credentials_api_answers_only_when_a_test_offers_it(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    """Not in the published definition: by default the platform has no such endpoints."""
    ext = bare_fake.add_extension("101", first_name="Ann")
    body = {"secretQuestion": {"id": "2", "answer": "Paris"}}
    assert api.put(f"{API}/extension/{ext}/credentials", json=body).status_code == 404
    assert api.get("/restapi/v1.0/dictionary/secret-question").status_code == 404
    assert len(bare_fake.violations) == 2 and "unknown endpoint" in bare_fake.violations[0]
    bare_fake.violations.clear()

    bare_fake.offer_credentials_api()  # BEYOND THE PUBLISHED DEFINITION
    questions = api.get("/restapi/v1.0/dictionary/secret-question").json()["records"]
    assert len(questions) == 6 and set(questions[0]) == {"id", "questionText"}
    assert api.put(f"{API}/extension/{ext}/credentials", json=body).status_code == 200
    assert bare_fake.credentials[ext]["secretQuestion"] == {"id": "2", "answer": "Paris"}
    unknown = {"secretQuestion": {"id": "99", "answer": "x"}}
    assert api.put(f"{API}/extension/{ext}/credentials", json=unknown).status_code == 400
    bare_fake.refuse_security_question()
    refused = api.put(f"{API}/extension/{ext}/credentials", json=body)
    assert refused.status_code == 403 and error_code(refused) == "CMN-419"
    assert not bare_fake.violations


def test_each_operation_needs_its_published_app_permission() -> None:
    """A read-only app (ReadAccounts) reads every list, but not the default role
    (RoleManagement), and cannot update an extension (EditExtensions)."""
    with serve(permissions=("ReadAccounts",)) as bare_fake, client(bare_fake) as api:
        ext = bare_fake.add_extension("101", status="Unassigned")
        for path in (f"{API}/extension", f"{API}/sites", f"{API}/user-role", API):
            assert api.get(path).status_code == 200, path
        refused = api.get(f"{API}/user-role/default")
        assert refused.status_code == 403 and error_code(refused) == "CMN-401"
        assert "RoleManagement" in refused.json()["message"]
        update = {"status": "NotActivated", "contact": {"firstName": "Ann"}}
        assert api.put(f"{API}/extension/{ext}", json=update).status_code == 403
        assert bare_fake.extensions[ext]["status"] == "Unassigned"


@pytest.mark.parametrize(
    ("transition", "emails"),
    [(None, 1), ({"sendWelcomeEmail": False}, 0), ({"sendWelcomeEmail": True}, 1)],
    ids=["unsaid", "false", "true"],
)
def test_the_welcome_email_goes_out_on_leaving_unassigned_unless_told_not_to(
    bare_fake: FakePlatform, api: httpx.Client, transition: dict[str, bool] | None, emails: int
) -> None:
    """The guide: the email goes out when an extension moves from Unassigned to NotActivated;
    the definition gives sendWelcomeEmail no default."""
    ext = bare_fake.add_extension("101", status="Unassigned")
    body: dict[str, Any] = {"status": "NotActivated", "contact": {"firstName": "Ann"}}
    if transition is not None:
        body["transition"] = transition
    assert api.put(f"{API}/extension/{ext}", json=body).status_code == 200
    assert bare_fake.welcome_emails == [ext] * emails


def test_lists_without_declared_paging_refuse_per_page(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    for path in (f"{API}/sites", f"{API}/call-recording/extensions"):
        assert api.get(path, params={"perPage": 1000}).status_code == 400
    assert len(bare_fake.violations) == 2
    assert all("unknown query parameter perPage" in v for v in bare_fake.violations)


# -- bulk update ----------------------------------------------------------------------------------


def test_a_bulk_task_advances_one_state_per_poll(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    ids = [bare_fake.add_extension(str(n), status="Unassigned") for n in (101, 102, 103)]
    bare_fake.bulk_steps(3)
    bare_fake.fail_bulk_records({ids[1]}, "CMN-409", "Email already used")
    records = [{"id": str(i), "status": "NotActivated", "transition": {"sendWelcomeEmail": True},
                "contact": {"firstName": f"User{n}", "email": f"u{n}@example.com"}}
               for n, i in enumerate(ids)]  # fmt: skip
    accepted = api.post(f"{API}/extension-bulk-update", json={"records": records})
    assert accepted.status_code == 202 and accepted.json()["status"] == "Accepted"
    task_url = f"{API}/extension-bulk-update/tasks/{accepted.json()['id']}"
    states = []
    for _ in range(3):
        task = api.get(task_url).json()
        states.append(task["status"])
        if task["status"] != "Completed":
            assert "result" not in task
            assert bare_fake.extensions[ids[0]]["status"] == "Unassigned"  # applied at completion
    assert states == ["InProgress", "InProgress", "Completed"]
    result = task["result"]["affectedItems"]["result"]
    assert [(r["extensionId"], r["status"]) for r in result] == [
        (str(ids[0]), "Success"),
        (str(ids[1]), "Fail"),
        (str(ids[2]), "Success"),
    ]
    assert result[1]["errors"] == [{"errorCode": "CMN-409", "message": "Email already used"}]
    statuses = [bare_fake.extensions[i]["status"] for i in ids]
    assert statuses == ["NotActivated", "Unassigned", "NotActivated"]
    assert bare_fake.welcome_emails == [ids[0], ids[2]]
    assert not bare_fake.violations


def test_bulk_records_fail_on_a_taken_number(bare_fake: FakePlatform, api: httpx.Client) -> None:
    one, two = (bare_fake.add_extension(n, status="Unassigned") for n in ("101", "102"))
    records = [{"id": str(one), "status": "Enabled", "extensionNumber": "300"},
               {"id": str(two), "status": "Enabled", "extensionNumber": "300"}]  # fmt: skip
    task_id = api.post(f"{API}/extension-bulk-update", json={"records": records}).json()["id"]
    task = api.get(f"{API}/extension-bulk-update/tasks/{task_id}").json()
    assert task["status"] == "Completed"  # at the first poll by default
    outcome = task["result"]["affectedItems"]["result"]
    assert [r["status"] for r in outcome] == ["Success", "Fail"]
    assert outcome[1]["errors"][0]["errorCode"] == "EXT-402"


@pytest.mark.parametrize(
    ("records", "why"),
    [
        ([{"id": str(62000000001 + n), "status": "Enabled"} for n in range(501)], "too long"),
        ([], "should be non-empty"),
        ([{"status": "Enabled"}], "'id' is a required property"),
        ([{"id": "62000000001", "status": "Frozen"}], "is not one of"),
    ],
)
def test_a_bad_bulk_update_is_refused_and_recorded(
    bare_fake: FakePlatform, api: httpx.Client, records: list[dict[str, Any]], why: str
) -> None:
    bare_fake.populate(10)
    response = api.post(f"{API}/extension-bulk-update", json={"records": records})
    assert response.status_code == 400
    assert len(bare_fake.violations) == 1 and why in bare_fake.violations[0]
    assert not bare_fake.tasks


# -- roles and call recording ---------------------------------------------------------------------


def test_roles(bare_fake: FakePlatform, api: httpx.Client) -> None:
    lead = bare_fake.add_role("Team Lead")
    one, two = (
        bare_fake.add_extension("101", first_name="A"),
        bare_fake.add_extension("102", first_name="B"),
    )
    unassigned = bare_fake.add_extension("103", status="Unassigned")
    page = api.get(f"{API}/user-role", params={"perPage": 5}).json()
    assert len(page["records"]) == 5 and "nextPage" in page["navigation"]
    assert page["records"][0] == {"id": "1", "displayName": "Super Admin", "custom": False,
                                  "scope": "Account"}  # fmt: skip
    assert api.get(f"{API}/user-role/default").json()["displayName"] == "Standard (International)"
    body = {"records": [{"id": lead}]}
    assert api.put(f"{API}/extension/{one}/assigned-role", json=body).status_code == 200
    assert bare_fake.extensions[one]["roles"] == [{"id": lead, "displayName": "Team Lead"}]
    bulk = api.post(f"{API}/user-role/1/bulk-assign", json={"addedExtensionIds": [str(two)]})
    assert bulk.status_code == 200 and bulk.content == b""
    assert bare_fake.extensions[two]["roles"][0]["displayName"] == "Super Admin"
    refused = api.put(f"{API}/extension/{unassigned}/assigned-role", json=body)
    assert refused.status_code == 400 and error_code(refused) == "EXT-409"
    assert not bare_fake.violations


def test_call_recording(bare_fake: FakePlatform, api: httpx.Client) -> None:
    one = bare_fake.add_extension("101", first_name="A", recording="Inbound")
    two = bare_fake.add_extension("102", first_name="B")
    listed = api.get(f"{API}/call-recording/extensions").json()["records"]
    assert [(r["id"], r["extensionNumber"], r["callDirection"]) for r in listed] == [
        (str(one), "101", "Inbound")
    ]
    change = {"addedExtensions": [{"id": str(two), "callDirection": "All"}],
              "removedExtensions": [{"id": str(one)}]}  # fmt: skip
    assert api.post(f"{API}/call-recording/bulk-assign", json=change).status_code == 200
    assert bare_fake.recording == {two: "All"}
    again = api.post(f"{API}/call-recording/bulk-assign", json=change)
    assert again.status_code == 400 and bare_fake.recording == {two: "All"}
    empty = api.post(f"{API}/call-recording/bulk-assign", json={"addedExtensions": []})
    assert empty.status_code == 400 and len(bare_fake.violations) == 1
    switch = api.put(f"{API}/call-recording", json={"automatic": {"enabled": False}})
    assert switch.json()["automatic"]["enabled"] is False and not bare_fake.recording_enabled
    assert api.get(f"{API}/call-recording").json()["automatic"]["extensionCount"] == 1


# -- behind the client's back ---------------------------------------------------------------------


def test_change_behind(bare_fake: FakePlatform, api: httpx.Client) -> None:
    ext = bare_fake.add_extension("101", first_name="Ann", last_name="Lee", recording="All")
    bare_fake.change_behind(
        ext, email="ann.lee@example.com", last_name="Smith", extension_number="150"
    )
    record = api.get(f"{API}/extension/{ext}").json()
    assert (record["name"], record["extensionNumber"], record["contact"]["email"]) == (
        "Ann Smith",
        "150",
        "ann.lee@example.com",
    )
    bare_fake.change_behind(ext, status="Unassigned")
    record = api.get(f"{API}/extension/{ext}").json()
    assert record["status"] == "Unassigned" and record["contact"] == {} and "roles" not in record
    assert ext not in bare_fake.recording
    with pytest.raises(TypeError):
        bare_fake.change_behind(ext, nickname="Al")


def test_a_dropped_connection_after_the_change_is_applied(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    ext = bare_fake.add_extension("101", status="Unassigned")
    bare_fake.drop_connection("PUT", rf"{API}/extension/\d+")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.put(f"{API}/extension/{ext}", json={"status": "Enabled"})
    assert bare_fake.extensions[ext]["status"] == "Enabled"
    assert bare_fake.requests_to("PUT", rf"{API}/extension/\d+")[0].status == 0
    # the next one is answered, on a new connection
    assert api.put(f"{API}/extension/{ext}", json={"status": "Disabled"}).status_code == 200


def test_a_dropped_connection_before_the_change_is_applied(
    bare_fake: FakePlatform, api: httpx.Client
) -> None:
    ext = bare_fake.add_extension("101", status="Unassigned")
    bare_fake.drop_connection("PUT", rf"{API}/extension/\d+", apply=False)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.put(f"{API}/extension/{ext}", json={"status": "Enabled"})
    assert bare_fake.extensions[ext]["status"] == "Unassigned"


def test_delay(bare_fake: FakePlatform, api: httpx.Client) -> None:
    bare_fake.delay(0.3)
    started = time.monotonic()
    assert api.get(API).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_requests_are_recorded(bare_fake: FakePlatform, api: httpx.Client) -> None:
    api.get(f"{API}/extension", params={"type": "User", "status": ["Enabled", "Disabled"]})
    [seen] = bare_fake.requests_to("GET", f"{API}/extension")
    assert seen.query == {"type": ["User"], "status": ["Enabled", "Disabled"]}
    assert seen.raw_query == "type=User&status=Enabled&status=Disabled"
    assert seen.status == 200 and seen.body is None and not seen.during_penalty


def test_a_failed_bulk_task(bare_fake: FakePlatform, api: httpx.Client) -> None:
    ext = bare_fake.add_extension("101", status="Unassigned")
    bare_fake.fail_bulk_task()
    body = {"records": [{"id": str(ext), "status": "Enabled"}]}
    task_id = api.post(f"{API}/extension-bulk-update", json=body).json()["id"]
    task = api.get(f"{API}/extension-bulk-update/tasks/{task_id}").json()
    assert task["status"] == "Failed" and "result" not in task
    assert bare_fake.extensions[ext]["status"] == "Unassigned"


def test_unreadable_bodies_are_violations(bare_fake: FakePlatform, api: httpx.Client) -> None:
    ext = bare_fake.add_extension("101", status="Unassigned")
    url = f"{API}/extension/{ext}"
    not_json = api.put(
        url, content=b"{status: Enabled", headers={"Content-Type": "application/json"}
    )
    as_form = api.put(url, data={"status": "Enabled"})
    no_body = api.put(url)
    assert [r.status_code for r in (not_json, as_form, no_body)] == [400, 400, 400]
    assert len(bare_fake.violations) == 3
    assert bare_fake.extensions[ext]["status"] == "Unassigned"


def test_a_stopped_platform_answers_nothing() -> None:
    bare_fake = FakePlatform().start()
    with client(bare_fake) as http:
        assert http.get(API).status_code == 200
        bare_fake.stop()
        with pytest.raises(httpx.TransportError):
            http.get(API)


def test_one_connection_serves_many_requests(bare_fake: FakePlatform, api: httpx.Client) -> None:
    for _ in range(5):
        assert api.get(API).status_code == 200
    assert len(bare_fake._connections) == 1  # keep-alive
