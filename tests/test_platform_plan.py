"""`platform plan` in words and `platform apply` at a terminal: the plan an administrator
reviews before anything reaches a real account (where it goes, one line per user, old → new,
the welcome emails RingCentral will send, the secrets apply will ask, the requests by
rate-limit group), and an apply that asks every secret before any request and a confirmation
that takes a typed word, never a single key."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests import published_api
from tests.fake_platform import FakePlatform
from tests.helpers import assign, ext_id, link, plan_json, sent_since
from tests.pty_helpers import ENTER, Terminal, plain

NUMBERS = [str(n) for n in range(101, 131)]
CREDENTIALS = ("103", "104")


@pytest.fixture
def thirty(tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]) -> Path:
    """A linked file, "Acme Corp": 30 unassigned extensions (101-130) assigned locally, 27
    invited, two with credentials (103, 104), one set up later (105); and an enabled user at
    150 whose job title and recording change."""
    for number in NUMBERS:
        fake.add_extension(number, status="Unassigned")
    fake.add_extension("150", first_name="Ex50", last_name="Isting", email="ex50@acme.example")
    path = link(run, tmp_path / "acme.json", secret_files, "--name", "Acme Corp")
    creds = _credential_flags(tmp_path)
    for number in NUMBERS:
        setup = "credentials" if number in CREDENTIALS else "later" if number == "105" else "invite"
        extra = creds if setup == "credentials" else []
        assign(run, number, f"User{number}", "Tester", f"user{number}@acme.example",
               "--setup", setup, *extra)  # fmt: skip
    changed = run("users", "update", "150", "--job-title", "Analyst", "--yes")
    assert changed.code == 0, changed.err
    assert run("set-recording", "150", "--direction", "both").code == 0
    return path


def _credential_flags(tmp_path: Path) -> list[str]:
    folder = tmp_path / "user-secrets"
    folder.mkdir()
    for name, value in (("pw", "Zebra7!Quix"), ("pin", "5820417396"), ("answer", "fluffy cat")):
        (folder / name).write_text(value + "\n")
    return [
        "--password-file", str(folder / "pw"), "--pin-file", str(folder / "pin"),
        "--security-question", "1", "--security-answer-file", str(folder / "answer"),
    ]  # fmt: skip


def shown_lines(term: Terminal) -> list[str]:
    return [line.rstrip() for line in plain(term.raw).replace("\r", "").split("\n")]


# --- the plan in words -------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [80, 60])
def test_the_plan_names_every_user_on_its_own_line_within_the_terminal(
    thirty: Path, fake: FakePlatform, columns: int
) -> None:
    term = Terminal("--account", str(thirty), "platform", "plan", columns=columns, rows=200)
    try:
        assert term.finish() == 0
    finally:
        term.close()
    lines = shown_lines(term)
    assert all(len(line) <= columns for line in lines), [x for x in lines if len(x) > columns]
    text = "\n".join(lines)
    # where it goes, first
    assert lines[0].startswith("Platform plan for Acme")
    assert fake.account_id in text and fake.url in text.replace("\n    ", "")
    # every user on a line of its own, starting with its number
    starts = [line.split(" ", 1)[0] for line in lines if re.match(r"\d{3} ", line)]
    assert sorted(starts) == sorted([*NUMBERS, "150"])
    joined = re.sub(r"\n {4}", " ", text)  # continued lines joined back
    assert (
        "101 User101 Tester <user101@acme.example>: assign (send invite): RingCentral emails "
        "an activation link" in joined
    )
    assert (
        "103 User103 Tester <user103@acme.example>: assign (credentials): needs password, "
        "PIN and answer at apply" in joined
    )
    assert "105 User105 Tester <user105@acme.example>: assign (set up later)" in joined
    assert (
        "150 Ex50 Isting <ex50@acme.example>: job title (none) → Analyst; automatic call "
        "recording off → both" in joined
    )
    assert "RingCentral will email 27 activation link(s)" in joined
    assert "2 user(s) need a password, PIN and security answer at apply: 103, 104" in joined
    assert "Requests by rate-limit group: Heavy" in joined
    assert '"records"' not in text  # the requests only with --requests


def test_the_requests_only_with_requests_pretty_printed(thirty: Path, run: Any) -> None:
    plain_plan = run("platform", "plan")
    with_requests = run("platform", "plan", "--requests")
    assert plain_plan.code == with_requests.code == 0
    assert "extension-bulk-update" not in plain_plan.out
    assert with_requests.out.startswith(plain_plan.out)
    assert re.search(r"^\d+\. POST /restapi/v1\.0/account/~/extension-bulk-update \(Heavy\)$",
                     with_requests.out, re.M)  # fmt: skip
    assert '\n     "records": [' in with_requests.out  # indented JSON, a key a line
    requests = with_requests.out[len(plain_plan.out) :]
    assert max(len(line) for line in requests.splitlines()) < 100  # never one unbroken line


def test_the_json_plan_holds_the_summary_and_every_request_whole(thirty: Path, run: Any) -> None:
    shown = plan_json(run, codes=(0,))
    summary = shown["summary"]
    assert summary["account"] == "Acme Corp" and summary["operations"] == {
        "assign": 30, "update": 1,
    }  # fmt: skip
    assert summary["welcome_emails"] == 27
    assert summary["need_secrets"] == list(CREDENTIALS)
    assert summary["conflicts"] == summary["not_applied"] == 0
    ada = next(c for c in shown["changes"] if c["extension"] == "150")
    assert ada["old"] == {"job_title": "", "recording": ""} or ada["old"]["job_title"] == ""
    assert ada["new"]["job_title"] == "Analyst" and ada["new"]["recording"] == "both"
    bulk = [r for r in shown["requests"] if r["path"].endswith("extension-bulk-update")]
    assert len(bulk[0]["body"]["records"]) == 31  # whole, not cut


def test_each_requests_group_is_the_one_the_published_definition_gives(
    thirty: Path, run: Any
) -> None:
    """The estimate's groups (platform/send.GROUPS) are the definition's x-throttling-group,
    for every kind of request a plan holds (a bulk update, a single PUT, role and recording)."""
    assert run("users", "update", "150", "--role", "Super Admin", "--yes").code == 0
    for shown in (plan_json(run, codes=(0,)),):
        for request in shown["requests"]:
            if request["step"] == "security question":
                continue  # the credentials API: beyond the definition
            operation = published_api.operation(request["method"], request["path"])
            assert operation is not None, request["path"]
            assert request["group"] == operation.throttling, request["path"]


def test_the_writes_by_group_are_the_ones_apply_sends(
    thirty: Path, run: Any, fake: FakePlatform
) -> None:
    """What the plan counts for each group's writes is what the platform then receives."""
    planned = plan_json(run, codes=(0,))
    writes: dict[str, int] = {}
    for request in planned["requests"]:
        writes[request["group"]] = writes.get(request["group"], 0) + 1
    mark = len(fake.requests)
    result = run("platform", "apply", "--yes", "--format", "json")
    assert result.code == 5  # the credentials users are held: no secrets given
    received: dict[str, int] = {}
    for request in sent_since(fake, mark):
        operation = published_api.operation(request.method, request.path)
        assert operation is not None
        received[operation.throttling] = received.get(operation.throttling, 0) + 1
    held = {r["extension"] for r in json.loads(result.out) if r["result"] == "held"}
    assert held == set(CREDENTIALS)
    assert received == writes  # the held users ride in the same bulk request as planned


# --- apply at a terminal -------------------------------------------------------------------------


def _apply(path: Path, columns: int = 80) -> Terminal:
    return Terminal(
        "--account", str(path), "platform", "apply", env={"TERM": "xterm"}, columns=columns,
        rows=200, timeout=60,
    )  # fmt: skip


def _writes(fake: FakePlatform) -> int:
    return len([r for r in fake.requests if r.method != "GET" and "oauth" not in r.path])


def test_apply_asks_every_secret_before_any_request_then_a_typed_confirmation(
    thirty: Path, fake: FakePlatform
) -> None:
    term = _apply(thirty)
    try:
        before = term.question("Password of extension 103")
        assert "Platform plan for Acme Corp" in before  # the plan first
        assert "RingCentral will email 27 activation link(s)" in re.sub(r"\s+", " ", before)
        assert _writes(fake) == 0
        term.send("Zebra7!Quix" + ENTER)
        term.answer("PIN", "5820417396" + ENTER)
        term.answer("Security answer", "fluffy cat" + ENTER)
        term.answer("Password of extension 104", ENTER)  # hold this one
        term.answer("Send this to", "yes" + ENTER)
        status = term.finish()
    finally:
        term.close()
    assert status == 5, term.screen  # 104 held
    screen = term.screen
    assert "Zebra7!Quix" not in screen and "5820417396" not in screen
    assert fake.extensions[ext_id(fake, "103")]["status"] == "Enabled"
    assert fake.extensions[ext_id(fake, "104")]["status"] == "Unassigned"
    assert fake.extensions[ext_id(fake, "101")]["status"] == "NotActivated"
    # every prompt was over before the progress bar was drawn
    assert screen.rindex("Send this to") < screen.index("operation(s) done")


@pytest.mark.parametrize("typed", ["y", "Y", "", "no", "Acme"])
def test_a_single_key_or_anything_but_yes_or_the_name_sends_nothing(
    thirty: Path, fake: FakePlatform, typed: str
) -> None:
    term = _apply(thirty)
    try:
        term.answer("Password of extension 103", ENTER)
        term.answer("Password of extension 104", ENTER)
        term.answer("Send this to", typed)
        assert _writes(fake) == 0  # nothing on a key alone: Enter is needed
        term.send(ENTER)
        status = term.finish()
    finally:
        term.close()
    assert status == 130
    assert "nothing was sent" in term.screen
    assert _writes(fake) == 0
    assert fake.welcome_emails == []


def test_the_accounts_name_confirms_too(thirty: Path, fake: FakePlatform) -> None:
    term = _apply(thirty, columns=60)
    try:
        term.answer("Password of extension 103", ENTER)
        term.answer("Password of extension 104", ENTER)
        term.answer("Send this to", "acme corp" + ENTER)
        status = term.finish()
    finally:
        term.close()
    assert status == 5  # the two credentials users held
    assert len(fake.welcome_emails) == 27


# --- where the answers go, and what the platform will do ---------------------------------------


def test_connect_says_the_new_file_is_now_current_everywhere_and_how_to_switch(
    tmp_path: Path, run: Any, secret_files: list[str]
) -> None:
    path = tmp_path / "new.json"
    result = run("--account", path, "platform", "connect", *secret_files, "--name", "Acme Corp")
    assert result.code == 0, result.err
    assert f"{path} is now the current account, in every folder" in result.err
    assert "`extadmin account use PATH` switches to another" in result.err
    assert run("account", "show").out.strip() == str(path)


def test_the_walkthrough_names_the_account_and_the_platform_it_goes_to(
    thirty: Path, run: Any, fake: FakePlatform
) -> None:
    from extadmin.cli import walkthrough
    from extadmin.services.assign import Request
    from extadmin.storage.store import AccountStore
    from tests.fake_prompter import FakePrompter

    assert run("unassign", "101", "--yes").code == 0  # a local change: 101 free to assign again
    prompter = FakePrompter({"first_name": "Ann", "last_name": "Tester", "email": "ann@x.example"})
    walkthrough.run(
        prompter, AccountStore(thirty), Request(extension="101", setup="later"), confirm=True
    )
    where = (
        f"Acme Corp ({thirty}), linked to platform account {fake.account_id} on {fake.url}: saved "
        "here, sent by `extadmin platform apply`"
    )
    assert prompter.said[0] == f"Account: {where}"  # the first line
    assert ("Account", where) in prompter.review


def test_bulk_assign_on_a_linked_file_says_what_the_platform_will_send(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    for number in ("101", "102", "103"):
        fake.add_extension(number, status="Unassigned")
    link(run, tmp_path / "acme.json", secret_files)
    csv = tmp_path / "hires.csv"
    csv.write_text(
        "extension,first_name,last_name,email,setup\n"
        "101,Ann,Tester,ann@acme.example,invite\n"
        "102,Bob,Tester,bob@acme.example,invite\n"
        "103,Cat,Tester,cat@acme.example,later\n"
    )
    result = run("bulk-assign", csv)
    assert result.code == 0, result.err
    assert (
        "assigned 3 extension(s) locally: `extadmin platform apply` sends them, and RingCentral "
        "then emails 2 activation link(s)"
    ) in result.err
    assert "queued" not in result.err and "sent" not in result.err.replace("sends", "")
    assert fake.welcome_emails == []
