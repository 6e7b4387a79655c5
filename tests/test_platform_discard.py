"""`platform discard EXT…` and `platform pull --discard-local` (issue 25): what is dropped is
listed (each extension, each field old → new), a terminal asks first (`n` keeps everything,
to the byte), off a terminal discard needs --yes; all or nothing; audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fake_platform import FakePlatform
from tests.helpers import API_ACCOUNT, assign_someone, audit, link, stored

LIST = API_ACCOUNT + "/extension"


@pytest.fixture
def changed(tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]) -> Path:
    """A linked file with two local changes: 101's job title (Engineer → Chief) and 102
    assigned (Unassigned on the platform); 103 as pulled."""
    fake.add_extension("101", first_name="Ada", last_name="Lovelace", email="ada@acme.example",
                       job_title="Engineer")  # fmt: skip
    fake.add_extension("102", status="Unassigned")
    fake.add_extension("103", first_name="Cal", last_name="Tester", email="cal@acme.example")
    path = link(run, tmp_path / "linked.json", secret_files)
    updated = run("users", "update", "101", "--job-title", "Chief")
    assert updated.code == 0, updated.err
    assign_someone(run, "102")
    assert sorted(pending(run)) == ["101", "102"]
    return path


def pending(run: Any) -> list[str]:
    import json

    done = run("platform", "status", "--format", "json")
    assert done.code == 0, done.err
    return json.loads(done.out)["pending"]  # type: ignore[no-any-return]


DROPPED_101 = ["  101:", "    Job title: Chief → Engineer"]


def test_discard_off_a_terminal_lists_what_it_drops_and_needs_yes(changed: Path, run: Any) -> None:
    before = changed.read_bytes()

    done = run("platform", "discard", "101", "102")

    assert done.code == 2, done.err
    lines = done.err.splitlines()
    assert (
        lines[0]
        == "`platform discard` drops these local changes (file → platform at the last pull):"
    )
    assert lines[1:3] == DROPPED_101
    assert "  102:" in lines and "    Status: not-activated → unassigned" in lines
    assert "    First name: U102 → (none)" in lines
    assert lines[-1].endswith("Pass --yes to confirm without a prompt.")
    assert changed.read_bytes() == before


def test_discard_with_yes_reverts_to_the_last_pull_and_is_audited(changed: Path, run: Any) -> None:
    done = run("platform", "discard", "101", "102", "--yes")

    assert done.code == 0, done.err
    assert done.err.splitlines()[-1] == (
        "discarded the local changes of 2 extension(s) (101, 102): as the last pull left them"
    )
    assert pending(run) == []
    assert stored(changed, "101")["user"]["job_title"] == "Engineer"
    assert "user" not in stored(changed, "102") and stored(changed, "102")["status"] == "unassigned"
    entries = audit(changed, "platform discard")
    assert [e["extension"] for e in entries] == ["101", "102"]
    assert entries[0]["changes"]["dropped"] == {"job_title": ["Chief", "Engineer"]}
    plan = run("platform", "plan", "--offline", "--format", "json")
    assert plan.code == 0 and '"changes": []' in plan.out


def test_an_extension_without_a_local_change_is_refused_and_nothing_is_written(
    changed: Path, run: Any
) -> None:
    before = changed.read_bytes()

    done = run("platform", "discard", "101", "103", "999", "--yes")

    assert done.code == 4, done.err
    assert "extension 103: no local change to discard (it is as the last pull)" in done.err
    assert "extension 999: not in the account file" in done.err
    assert changed.read_bytes() == before  # all or nothing: 101 is kept too
    assert sorted(pending(run)) == ["101", "102"]


@pytest.mark.timeout(60)
def test_at_a_terminal_discard_asks_and_n_keeps_everything(changed: Path, run: Any) -> None:
    from tests.pty_helpers import ENTER, Terminal

    before = changed.read_bytes()
    term = Terminal("--account", str(changed), "platform", "discard", "101")
    try:
        shown = term.question("Drop the local changes of 1 extension(s)?")
        term.send("n" + ENTER)
        status = term.finish()
    finally:
        term.close()
    assert "Job title: Chief → Engineer" in shown
    assert status == 130, term.screen
    assert changed.read_bytes() == before

    term = Terminal("--account", str(changed), "platform", "discard", "101")
    try:
        term.answer("Drop the local changes of 1 extension(s)?", "y" + ENTER)
        status = term.finish()
    finally:
        term.close()
    assert status == 0, term.screen
    assert pending(run) == ["102"]


def test_pull_discard_local_off_a_terminal_lists_what_it_drops(
    changed: Path, run: Any, fake: FakePlatform
) -> None:
    done = run("platform", "pull", "--discard-local")

    assert done.code == 0, done.err
    lines = done.err.splitlines()
    assert lines[0] == (
        "`platform pull --discard-local` drops these local changes (file → platform at the last "
        "pull):"
    )
    assert lines[1:3] == DROPPED_101
    assert "  102:" in lines
    assert pending(run) == []


@pytest.mark.timeout(60)
def test_pull_discard_local_at_a_terminal_asks_and_n_keeps_everything(
    changed: Path, run: Any, fake: FakePlatform
) -> None:
    from tests.pty_helpers import ENTER, Terminal

    before = changed.read_bytes()
    reads = len(fake.requests_to("GET", LIST))
    term = Terminal("--account", str(changed), "platform", "pull", "--discard-local")
    try:
        shown = term.question("Drop these 2 local change(s) and pull?")
        term.send("n" + ENTER)
        status = term.finish()
    finally:
        term.close()
    assert "Job title: Chief → Engineer" in shown and "102:" in shown
    assert status == 130, term.screen
    assert changed.read_bytes() == before
    assert len(fake.requests_to("GET", LIST)) == reads  # nothing asked of the platform
