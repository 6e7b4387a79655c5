"""Issue 21: the platform link against a fake that follows RingCentral's published definition
by default (tests/fake_platform.py: no credentials API, each operation's app permission, the
welcome email on leaving Unassigned unless told not to, one invalid record failing its bulk
request), and every request of a full cycle checked against the published operations
(tests/published_api.py). What the definition cannot do is said in the plan and settles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import published_api
from tests.conftest import connect_options
from tests.csv_helpers import secret_rows, secrets_csv
from tests.fake_platform import FakePlatform, serve
from tests.helpers import API_ACCOUNT, assign_someone, ext_id, link, plan_json

CREDENTIALS = API_ACCOUNT + r"/extension/[0-9]+/credentials"


@pytest.fixture
def linked(tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]) -> Path:
    """Unassigned 101-112 on the main site, a custom role "Team Lead"; linked and pulled."""
    fake.add_role("Team Lead")
    for n in range(101, 113):
        fake.add_extension(str(n), status="Unassigned")
    return link(run, tmp_path / "linked.json", secret_files)


# --- the cycle: invite, later x6, credentials; every request an operation of the definition ---


def test_a_full_cycle_sends_only_published_operations_and_settles(
    linked: Path, run: Any, fake: FakePlatform, secret_args: list[str], tmp_path: Path
) -> None:
    assign_someone(run, "101", "invite", "--role", "Team Lead", "--recording", "both")
    for number in ("102", "103", "104", "105", "106", "107"):
        assign_someone(run, number, "later", "--language", "fr-CA")
    assign_someone(run, "108", "credentials", *secret_args[2:], "--recording", "inbound")

    shown = plan_json(run, codes=(0,))
    assert [r["method"] for r in shown["requests"]] == ["POST", "PUT", "POST"]  # bulk, role, rec
    assert len(shown["notes"]) == 2  # the security question, the temporary password
    assert "108" in shown["notes"][0] and "first login" in shown["notes"][0]
    applied = run(
        "platform", "apply", "--yes", "--secrets-file", secrets_csv(tmp_path, *secret_rows("108"))
    )
    assert applied.code == 0, applied.out + applied.err

    assert fake.welcome_emails == [ext_id(fake, "101")]  # the invite's, and no other
    later = [fake.extensions[ext_id(fake, n)] for n in ("102", "103", "104", "105", "106", "107")]
    assert {e["status"] for e in later} == {"NotActivated"}
    assert {e["regionalSettings"]["language"]["id"] for e in later} == {"3084"}  # fr-CA's id
    enabled = fake.extensions[ext_id(fake, "108")]
    assert enabled["status"] == "Enabled"
    assert fake.credentials[enabled["id"]] == {"password": "Zebra7!Quix", "ivrPin": "5820417396"}
    assert fake.extensions[ext_id(fake, "101")]["roles"][0]["displayName"] == "Team Lead"
    assert fake.recording[ext_id(fake, "108")] == "Inbound"

    again = plan_json(run, codes=(0,))
    assert again["changes"] == [] and again["requests"] == []
    assert run("platform", "pull").code == 0  # nothing pending: a plain pull
    assert json.loads(run("platform", "status", "-f", "json").out)["pending_changes"] == 0

    # the contract: every request of the cycle (connect, pull, plan, apply, the read-back,
    # the second plan and pull) is an operation of the published definition
    assert len(fake.requests) > 20
    assert published_api.violations(fake.requests) == []
    assert not fake.requests_to("PUT", CREDENTIALS)
    # ... and the table catches a request that strays from it
    bulk = next(r for r in fake.requests if r.method == "POST" and r.path.endswith("-update"))
    strayed = json.loads(json.dumps(bulk.body))
    strayed["records"][0]["contact"]["nickname"] = "Ace"
    why = published_api.check("POST", bulk.path, {}, strayed)
    assert why is not None and "nickname" in why
    undeclared = published_api.check(
        "GET", "/restapi/v1.0/account/~/extension/1/colleagues", {}, None
    )
    assert undeclared is not None and "no such operation" in undeclared


# --- 1. the security question: the credentials API is opt-in ------------------------------------


def test_without_the_credentials_api_a_credentials_user_settles(
    linked: Path, run: Any, fake: FakePlatform, secret_args: list[str], tmp_path: Path
) -> None:
    """Before: PUT …/credentials answered 404, the user stayed a pending change, every apply
    exited 5 and pull refused."""
    assign_someone(run, "103", "credentials", *secret_args[2:])
    for _ in range(2):
        result = run(
            "platform",
            "apply",
            "--yes",
            "--secrets-file",
            secrets_csv(tmp_path, *secret_rows("103")),
        )
        assert result.code == 0, result.out + result.err
    assert not fake.requests_to("PUT", CREDENTIALS)
    assert not fake.requests_to("GET", r"/restapi/v1\.0/dictionary/secret-question")
    assert fake.extensions[ext_id(fake, "103")]["status"] == "Enabled"
    assert run("platform", "pull").code == 0
    assert not fake.violations


def test_a_file_linked_before_keeps_no_pending_question(
    linked: Path, run: Any, fake: FakePlatform, secret_args: list[str], tmp_path: Path
) -> None:
    """A base written while the link still tracked the security question (before this
    version) holds one: that is not a local change."""
    assign_someone(run, "103", "credentials", *secret_args[2:])
    given = ("--yes", "--secrets-file", secrets_csv(tmp_path, *secret_rows("103")))
    assert run("platform", "apply", *given).code == 0
    doc = json.loads(linked.read_text())
    ext = next(e for e in doc["extensions"] if e.get("number") == "103")
    ext["base"]["security_question"] = ext["user"]["credentials"]["security_question"]
    linked.write_text(json.dumps(doc))
    assert json.loads(run("platform", "status", "-f", "json").out)["pending_changes"] == 0
    assert plan_json(run, codes=(0,))["changes"] == []
    assert run("platform", "pull").code == 0


def test_with_the_credentials_api_the_questions_are_the_platforms(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: `--security-question 2` took the local list, and plan sent its text as the id."""
    fake.offer_credentials_api()  # BEYOND THE PUBLISHED DEFINITION: granted on request
    fake.secret_questions = [
        {"id": "31", "questionText": "Your favourite fruit?"},
        {"id": "32", "questionText": "Your first phone model?"},
    ]
    fake.add_extension("101", status="Unassigned")
    path = tmp_path / "linked.json"
    link(run, path, secret_files, "--credentials-api")
    listed = run("security-question", "list", "--format", "json")
    assert [q["question"] for q in json.loads(listed.out)] == [
        "Your favourite fruit?", "Your first phone model?",
    ]  # fmt: skip
    folder = tmp_path / "s"
    folder.mkdir()
    for name, value in (("p", "Zebra7!Quix"), ("n", "5820417396"), ("a", "a nokia brick")):
        (folder / name).write_text(value + "\n")
    assign_someone(
        run, "101", "credentials", "--password-file", str(folder / "p"), "--pin-file",
        str(folder / "n"), "--security-question", "2", "--security-answer-file", str(folder / "a"),
    )  # fmt: skip
    refused = run("assign", "102", "--security-question", "3")
    assert refused.code != 0
    question = next(
        r for r in plan_json(run, codes=(0,))["requests"] if r["step"] == "security question"
    )
    assert question["body"]["secretQuestion"] == {"id": "32", "answer": "<secret>"}


@pytest.mark.beyond_definition  # the app claims the credentials API, which the fake lacks
def test_with_the_credentials_api_refused_the_question_settles_in_one_line(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str], secret_args: list[str]
) -> None:
    """An app that claims the API without having it: the pull says so in one line, the
    questions stay, and the user settles (apply exits 0 the second time at the latest)."""
    fake.add_extension("101", status="Unassigned")
    path = tmp_path / "linked.json"
    assert (
        run("--account", path, "platform", "connect", *secret_files, "--credentials-api").code == 0
    )
    pulled = run("platform", "pull")
    assert pulled.code == 0
    warnings = [line for line in pulled.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "security questions" in warnings[0]
    assign_someone(run, "101", "credentials", *secret_args[2:])
    given = ("--yes", "--secrets-file", secrets_csv(tmp_path, *secret_rows("101")))
    first = run("platform", "apply", *given)
    assert "not applied" in first.out and "pull again" in first.out
    assert run("platform", "apply", *given).code == 0
    assert fake.extensions[ext_id(fake, "101")]["status"] == "Enabled"
    assert plan_json(run, codes=(0,))["changes"] == []
    assert run("platform", "pull").code == 0
    # the fake counts each request to an endpoint it lacks: here, the claimed API's
    assert set(fake.violations) == {"unknown endpoint GET /restapi/v1.0/dictionary/secret-question"}
    fake.violations.clear()


# --- 2. "activate later" sends no welcome email --------------------------------------------------


@pytest.mark.parametrize("count", [1, 6], ids=["one by one", "bulk"])
def test_later_says_no_welcome_email_and_invite_says_one(
    linked: Path, run: Any, fake: FakePlatform, count: int
) -> None:
    """Before: `later` sent no `transition`, and the platform sends the email on the move
    from Unassigned to NotActivated."""
    numbers = [str(102 + n) for n in range(count)]
    for number in numbers:
        assign_someone(run, number, "later")
    assign_someone(run, "101", "invite")
    assert run("platform", "apply", "--yes").code == 0
    assert fake.welcome_emails == [ext_id(fake, "101")]
    sent = [r.body for r in fake.requests if r.method in ("PUT", "POST") and "extension" in r.path]
    records = [rec for body in sent for rec in body.get("records", [body])]
    transitions = {json.dumps(rec.get("transition")) for rec in records}
    assert transitions == {'{"sendWelcomeEmail": false}', '{"sendWelcomeEmail": true}'}


# --- 3. a read-only app can pull -----------------------------------------------------------------


def test_an_app_with_read_accounts_only_pulls(tmp_path: Path, run: Any) -> None:
    """Before: GET …/user-role/default needs RoleManagement: 403, exit 6."""
    with serve(permissions=("ReadAccounts",), limits={"Auth": (1000, 60.0)}) as fake:
        fake.add_extension("101", first_name="Ada", last_name="Byron", email="ada@acme.example")
        options = connect_options(fake, tmp_path / "secrets")
        path = tmp_path / "readonly.json"
        assert run("--account", path, "platform", "connect", *options).code == 0
        pulled = run("platform", "pull")
        assert pulled.code == 0, pulled.err
        assert "warning: the default role cannot be read without the RoleManagement" in pulled.err
        doc = json.loads(path.read_text())
        assert doc["account"]["default_role"] in doc["roles"]
        assert [e["user"]["email"] for e in doc["extensions"]] == ["ada@acme.example"]
        assert not fake.violations


# --- 4. languages: only what the platform offers, for each setting --------------------------------


def test_a_language_the_platform_does_not_offer_is_refused_before_anything_is_sent(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: sent as the id "it-IT"; in a bulk request it failed every user in it."""
    fake.languages = [lang for lang in fake.languages if lang["localeCode"] != "it-IT"]
    for n in (101, 102):
        fake.add_extension(str(n), status="Unassigned")
    path = tmp_path / "linked.json"
    link(run, path, secret_files)
    before = path.read_bytes()
    refused = run(
        "assign", "101", "--setup", "later", "--first-name", "U", "--last-name", "I",
        "--email", "u@acme.example", "--language", "it-IT", "--no-input",
    )  # fmt: skip
    assert refused.code == 3
    assert "language: 'it-IT' is not offered by the linked platform" in refused.err
    assert "en-US" in refused.err and path.read_bytes() == before
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "extension,setup,first_name,last_name,email,language\n"
        "102,later,U,G,g@acme.example,en-CA\n"  # en-CA: a greeting and a format, not a language
    )
    bulk = run("bulk-assign", rows)
    assert bulk.code == 3 and "language: 'en-CA' is not offered" in bulk.err
    assert path.read_bytes() == before


def test_a_language_without_the_greeting_flag_is_not_sent_as_the_greeting(
    linked: Path, run: Any, fake: FakePlatform
) -> None:
    """en-CA is a greeting language and a format, not a user language on this platform; zh-HK
    is not a user language either; es-419 is not a format: the defaults taken from the
    user's language are only those the platform offers for each setting."""
    assign_someone(run, "101", "later", "--language", "es-419")
    request = plan_json(run, codes=(0,))["requests"][0]
    assert request["body"]["regionalSettings"] == {
        "language": {"id": "58378"}, "greetingLanguage": {"id": "58378"},
    }  # fmt: skip


# --- 5. the temporary password --------------------------------------------------------------------


def test_the_temporary_password_is_said_to_be_not_settable(
    linked: Path, run: Any, secret_args: list[str]
) -> None:
    assign_someone(run, "101", "credentials", *secret_args[2:], "--temporary-password")
    notes = plan_json(run, codes=(0,))["notes"]
    assert any("temporary password of 1 user(s) (101): not settable through the API" in n
               for n in notes)  # fmt: skip
    shown = run("platform", "plan")
    assert "Not possible through the API: temporary password" in shown.out


# --- a failed bulk task says why, for each extension ----------------------------------------


def test_a_failed_bulk_task_reports_its_task_level_errors_per_extension(
    linked: Path, run: Any, fake: FakePlatform
) -> None:
    """One record with a language id the platform no longer has fails the whole request:
    each extension is reported with the errors the task gave, naming the record at fault."""
    for number in ("101", "102", "104", "105"):
        assign_someone(run, number, "later")
    assign_someone(run, "103", "later", "--language", "es-ES")
    fake.languages = [lang for lang in fake.languages if lang["localeCode"] != "es-ES"]
    result = run("platform", "apply", "--yes", "--format", "json")
    assert result.code == 5
    errors = {r["extension"]: r["error"] for r in json.loads(result.out)}
    assert errors["103"].startswith("task Failed: CMN-101: ")
    assert errors["103"].endswith("(regionalSettings.language.id)")
    for number in ("101", "102", "104", "105"):
        assert errors[number].startswith("task Failed for another record of the request (103: ")
    assert all(fake.extensions[ext_id(fake, n)]["status"] == "Unassigned" for n in errors)


# --- issue 22, item 5: the format characters of real names -------------------------------------


NAMES = {
    "first_name": "Mehr\u200cnaz",  # a zero-width non-joiner: Persian
    "last_name": "Gross\u00admann",  # a soft hyphen
    "job_title": "Dev \U0001f469\u200d\U0001f4bb",  # an emoji sequence joined by U+200D
}
PERSIAN = "\u0646\u0627\u0632\u200c\u0646\u06cc\u0646"  # a name with a ZWNJ


def test_names_with_the_format_characters_people_use_are_pulled_and_assigned(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: "must not contain control characters ... pull again", for every pull."""
    fake.add_extension("101", email="m@acme.example", **NAMES)
    fake.add_extension("102", status="Unassigned")
    path = tmp_path / "linked.json"
    link(run, path, secret_files)
    shown = json.loads(run("extension", "show", "101", "--format", "json").out)
    assert {k: shown["user"][k] for k in NAMES} == NAMES
    table = run("extension", "show", "101").out
    assert "Mehr\u200cnaz" in table and "\\u200c" not in table  # safe at a terminal, as it is
    assigned = run(
        "assign", "102", "--setup", "later", "--first-name", PERSIAN, "--last-name", "Ray",
        "--email", "n@acme.example", "--no-input",
    )  # fmt: skip
    assert assigned.code == 0, assigned.err
    assert run("platform", "pull", "--discard-local").code == 0
    # what can act on a terminal or reorder text is still refused
    reordered = run(
        "assign", "102", "--setup", "later", "--first-name", "Ann\u202e", "--last-name", "Ray",
        "--email", "r@acme.example", "--no-input",
    )  # fmt: skip
    assert reordered.code == 3 and "U+202E" in reordered.err


# --- issue 22, item 8: ids in request paths ------------------------------------------------------


def test_an_id_that_would_point_a_request_elsewhere_is_never_sent(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: a role id "../../../../oauth/revoke?" sent the bearer token to the revoke
    endpoint."""
    fake.roles.append({"id": "../../../../oauth/revoke?", "displayName": "Sly", "custom": True})
    for n in ("101", "102"):
        fake.add_extension(n, status="Unassigned")
    path = tmp_path / "linked.json"
    link(run, path, secret_files)
    for n in ("101", "102"):
        assign_someone(run, n, "later", "--role", "Sly")
    shown = run("platform", "plan")
    assert shown.code == 1
    assert shown.err == (
        "extadmin: error: platform: role id '../../../../oauth/revoke?' is not an id extadmin "
        "puts in a request\n"
    )
    mark = len(fake.requests)
    assert run("platform", "apply", "--yes").code == 1
    assert [r.path for r in fake.requests[mark:] if r.method != "GET"] == [
        "/restapi/oauth/token", "/restapi/oauth/revoke",
    ]  # fmt: skip
    assert published_api.violations(fake.requests) == []


# --- issue 22, item 12: what activate --invite says on a linked file ------------------------------


def test_activate_invite_on_a_linked_file_says_what_happens(
    linked: Path, run: Any, fake: FakePlatform
) -> None:
    """Before: "invitation sent" and an invite in the audit log, and nothing was ever sent for
    a user invited already."""
    assign_someone(run, "101", "later")
    invited = run("activate", "101", "--invite")
    assert invited.code == 0, invited.err
    assert "invitation for extension 101: to be sent by RingCentral at `platform apply`" in (
        invited.err
    )
    assert run("platform", "apply", "--yes").code == 0
    assert fake.welcome_emails == [ext_id(fake, "101")]

    before = linked.read_bytes()
    log = linked.with_name(f"{linked.stem}.audit.jsonl").read_bytes()
    again = run("activate", "101", "--invite")
    assert again.code == 5
    assert again.err == (
        "extadmin: error: extension 101 is invited already: the platform sends the welcome "
        "email once, when the invitation is applied; nothing to send\n"
    )
    assert linked.read_bytes() == before
    assert linked.with_name(f"{linked.stem}.audit.jsonl").read_bytes() == log


# --- issue 22, item 7: an extension on a site the sites list lacks --------------------------------


def test_an_extension_on_an_unlisted_site_is_kept_there_and_sent_there(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: filed under the main site without a word, and its assignment sent `main-site`."""
    ghost = fake.add_extension("501", status="Unassigned")
    fake.extensions[ghost]["site"] = {"id": "9000001", "name": "Annex"}  # not in the list
    path = tmp_path / "linked.json"
    assert run("--account", path, "platform", "connect", *secret_files).code == 0
    pulled = run("platform", "pull")
    assert pulled.code == 0, pulled.err
    assert (
        "warning: extension 501 is on site 9000001 (Annex), which the sites list does not "
        "hold: kept on it"
    ) in pulled.err
    shown = json.loads(run("extension", "show", "501", "--format", "json").out)
    assert shown["site"] == "Annex"
    assign_someone(run, "501", "later")
    request = plan_json(run, codes=(0,))["requests"][0]
    assert request["body"]["site"] == {"id": "9000001"}


# --- issue 22, item 11: one apply per platform account -------------------------------------------


@pytest.mark.slow
def test_two_applies_through_two_names_of_one_file_do_not_both_run(
    linked: Path, run: Any, fake: FakePlatform
) -> None:
    """Before: the lock was per path, and a hard link let both send."""
    import os
    import subprocess
    import sys
    import time

    for number in ("101", "102", "103"):
        assign_someone(run, number, "invite")
    other = linked.with_name("same-file.json")
    os.link(linked, other)
    fake.delay(0.5)  # each request waits: the first apply holds the lock for seconds
    mark = len(fake.requests)
    first = subprocess.Popen(
        [sys.executable, "-m", "extadmin", "--account", str(linked), "platform", "apply", "--yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not any(r.path.endswith("/extension") for r in fake.requests[mark:]):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = run("--account", other, "platform", "apply", "--yes")
        assert second.code == 6
        assert "another `extadmin platform apply` is running on this account" in second.err
        assert first.wait(timeout=60) == 0, first.stderr.read() if first.stderr else ""
    finally:
        if first.poll() is None:
            first.kill()
    assert sorted(fake.welcome_emails) == sorted(ext_id(fake, n) for n in ("101", "102", "103"))


# --- issue 22, items 4 and 9: answers that do not hold together -----------------------------------

EXTENSIONS = r"/restapi/v1\.0/account/(~|[0-9]+)/extension"


@pytest.fixture
def rich(tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]) -> Path:
    """A pulled file with local-only data (a credentials hash, a desk phone) on 60 users."""
    fake.populate(60)
    fake.add_extension("9101", status="Unassigned")
    path = tmp_path / "linked.json"
    link(run, path, secret_files)
    assert run("extension", "add", "9102", "--device", "Yealink T54W").code == 0
    return path


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({}, "the answer holds no list of records ({})"),
        ([], "the answer holds a list page that is not an object (a list)"),
        ({"records": "none"}, "the answer holds no list of records"),
        ({"records": [1, 2]}, "the answer holds no list of records"),
        (b"<html>Maintenance</html>", "the answer is not JSON (text/html)"),
        ({"records": [], "navigation": "next"}, "a navigation that is not an object (a string)"),
    ],
    ids=["empty object", "a list", "records a string", "records not objects", "html", "nav"],
)
def test_a_list_answer_that_does_not_hold_together_writes_nothing(
    rich: Path, run: Any, fake: FakePlatform, body: Any, said: str
) -> None:
    """Before: `200 {}` read as an account of no extensions: "pulled 0 extensions ... 60
    changed", and every local-only value was gone."""
    doc = json.loads(rich.read_text())
    doc["extensions"] = [e for e in doc["extensions"] if e.get("number") != "9102"]
    rich.write_text(json.dumps(doc))  # the pending desk phone aside: a plain pull
    before = rich.read_bytes()
    fake.spoil_answer("GET", EXTENSIONS, body)
    result = run("platform", "pull")
    assert result.code == 1, result.err
    assert result.err.startswith("extadmin: error: platform: GET /restapi/v1.0/account/~/")
    assert said in result.err and result.err.endswith("nothing was written\n")
    assert len(result.err.strip().splitlines()) == 1
    assert rich.read_bytes() == before


def test_a_page_missing_in_the_middle_writes_nothing(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    fake.populate(2500)
    path = tmp_path / "linked.json"
    link(run, path, secret_files)
    before = path.read_bytes()
    fake.spoil_answer("GET", EXTENSIONS, {"uri": "x"}, skip=1)  # the second page
    result = run("platform", "pull")
    assert result.code == 1 and "the answer holds no list of records" in result.err
    assert path.read_bytes() == before


def test_a_next_page_that_links_back_ends_the_pull(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: 412 requests in 20 s, memory growing, for ever."""
    fake.add_extension("101", status="Unassigned")
    path = tmp_path / "linked.json"
    link(run, path, secret_files)
    first = f"{fake.url}/restapi/v1.0/account/{fake.account_id}/extension?type=User&page=1"
    looping = {"records": [], "navigation": {"nextPage": {"uri": first}}}
    fake.spoil_answer("GET", EXTENSIONS, looping, count=10)
    mark = len(fake.requests)
    result = run("platform", "pull")
    assert result.code == 1 and "a nextPage link to a page read already" in result.err
    assert len([r for r in fake.requests[mark:] if r.path.endswith("/extension")]) == 2


def test_one_bad_record_is_reported_and_the_rest_pulled(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: a site without an id, or a contact that is a string: internal error."""
    fake.add_extension("101", first_name="Ada", last_name="L", email="ada@acme.example")
    odd = fake.add_extension("102", first_name="Bo", last_name="K", email="bo@acme.example")
    fake.extensions[odd]["contact"] = "Bo K"
    fake.sites.append({"name": "Nowhere"})
    path = tmp_path / "linked.json"
    assert run("--account", path, "platform", "connect", *secret_files).code == 0
    result = run("platform", "pull")
    assert result.code == 0, result.err
    assert f"warning: not pulled: extension {odd}: its contact is not an object" in result.err
    assert "warning: a site without an id" in result.err
    numbers = [e.get("number") for e in json.loads(path.read_text())["extensions"]]
    assert numbers == ["101"]


# --- issue 22, item 6 in part: a wait longer than the longest is said, not waited ----------------


@pytest.mark.parametrize(
    ("retry_after", "shown"), [(999999, "999999 s"), (float("inf"), "for ever")], ids=str
)
def test_a_penalty_longer_than_the_longest_wait_is_reported_at_once_and_not_handed_on(
    tmp_path: Path,
    run: Any,
    fake: FakePlatform,
    secret_files: list[str],
    retry_after: float,
    shown: str,
) -> None:
    """Before: `Retry-After: 999999` was waited silently (and handed to the next command);
    `inf` or `1e400` ended in an internal error (OverflowError)."""
    import time

    fake.add_extension("101", status="Unassigned")
    path = tmp_path / "linked.json"
    link(run, path, secret_files)
    fake.fail_with_429(retry_after=retry_after)
    started = time.monotonic()
    result = run("platform", "pull")
    assert time.monotonic() - started < 10
    assert result.code == 1
    assert result.err == (
        f"extadmin: error: platform: the platform asks to wait {shown} (a 429 penalty "
        "(Retry-After)), more than the longest wait of 300 s ($EXTADMIN_LONGEST_WAIT): nothing "
        "more was sent; try again later\n"
    )
    fake._penalty_until = 0.0  # the platform relents: the next command is not held back
    started = time.monotonic()
    assert run("platform", "pull").code == 0
    assert time.monotonic() - started < 10


def test_the_longest_wait_is_a_setting(
    linked: Path, run: Any, fake: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXTADMIN_LONGEST_WAIT", "0.5")
    fake.fail_with_429(retry_after=2)
    result = run("platform", "pull")
    assert result.code == 1 and "more than the longest wait of 0.5 s" in result.err
    fake._penalty_until = 0.0
    monkeypatch.setenv("EXTADMIN_LONGEST_WAIT", "soon")
    refused = run("platform", "pull")
    assert refused.code == 2
    assert refused.err == (
        "extadmin: error: EXTADMIN_LONGEST_WAIT: must be a number of seconds, 0 or more "
        "(got 'soon')\n"
    )
