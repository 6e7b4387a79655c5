"""Offboarding on a linked file (issue 26): `bulk-unassign` there, then `platform plan` says it
in words and `platform apply --allow-offboard` deletes the users through the published
bulkDeleteUsersV2 (at most 50 a request, Heavy), the lines coming back as unassigned extensions
with their numbers (or released); never by `apply --yes` alone; a second plan is empty."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import published_api
from tests.conftest import connect_options
from tests.fake_platform import FakePlatform, serve
from tests.helpers import assign_someone, ext_id, link, plan_json
from tests.pty_helpers import ENTER, Terminal

DELETE = r"/restapi/v2/accounts/~/extensions"


def users(fake: FakePlatform, count: int, first: int = 4000) -> dict[str, int]:
    """`count` Enabled users with numbers first.., each recorded one in seven: number -> id."""
    return {
        str(n): fake.add_extension(
            str(n),
            first_name=f"Ex{n}",
            last_name="Isting",
            email=f"ex{n}@acme.example",
            recording="All" if n % 7 == 0 else None,
        )  # fmt: skip
        for n in range(first, first + count)
    }


def offboard(run: Any, *targets: str, release: bool = False) -> Any:
    flags = ["--release-number"] if release else []
    done = run("bulk-unassign", *targets, *flags, "--yes")
    assert done.code == 0, done.err
    return done


def apply(run: Any, *extra: str) -> Any:
    return run("platform", "apply", "--yes", "--format", "json", *extra)


def test_the_plan_says_each_offboarding_in_words_and_that_it_needs_its_flag(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    users(fake, 3, first=49210)
    link(run, tmp_path / "linked.json", secret_files)
    offboard(run, "49211")
    offboard(run, "ex49212@acme.example", release=True)
    shown = run("platform", "plan")
    assert shown.code == 0, shown.err
    text = " ".join(shown.out.split())
    assert (
        "49211 Ex49211 Isting <ex49211@acme.example>: remove the user; the digital line returns "
        "to the account as an unassigned extension; the number stays with the company"
    ) in text
    assert (
        "49212 Ex49212 Isting <ex49212@acme.example>: remove the user; the digital line and its "
        "number go back to RingCentral"
    ) in text
    assert "2 user(s) to offboard: deleted on RingCentral, which cannot be undone" in text
    assert "only with --allow-offboard" in text
    planned = plan_json(run)
    assert planned["summary"]["operations"] == {"offboard": 2}
    kept, released = (str(ext_id(fake, n)) for n in ("49211", "49212"))
    bodies = [(r["method"], r["group"], r["body"]) for r in planned["requests"]]
    assert bodies == [
        ("DELETE", "Heavy", {"keepAssetsInInventory": True, "records": [{"id": kept}]}),
        ("DELETE", "Heavy", {"keepAssetsInInventory": False, "records": [{"id": released}]}),
    ]
    assert fake.deleted == []


def test_apply_yes_without_the_flag_offboards_nobody_and_says_why(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    ids = users(fake, 3)
    link(run, tmp_path / "linked.json", secret_files)
    offboard(run, "4000", "4001")
    done = apply(run)
    assert done.code == 5
    rows = json.loads(done.out)
    assert {(r["extension"], r["operation"], r["result"]) for r in rows} == {
        ("4000", "offboard", "held"),
        ("4001", "offboard", "held"),
    }
    assert all("only with --allow-offboard" in r["error"] for r in rows)
    assert fake.deleted == [] and fake.requests_to("DELETE", DELETE) == []
    assert set(ids.values()) <= set(fake.extensions)


def test_an_extension_waiting_for_its_offboarding_is_not_offered_until_it_is_applied(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """list-unassigned lists what `assign` takes: an extension unassigned here whose user is
    still on the platform is left out (and counted on standard error) until the apply."""
    fake.add_extension("4100", status="Unassigned")
    users(fake, 2)
    link(run, tmp_path / "linked.json", secret_files)
    offboard(run, "4000")

    def free() -> tuple[list[str], str]:
        listed = run("list-unassigned", "--format", "json")
        assert listed.code == 0, listed.err
        return [row["extension"] for row in json.loads(listed.out)], listed.err

    numbers, note = free()
    assert numbers == ["4100"]
    assert "1 unassigned extension(s) not listed: their users' offboarding is not applied" in note
    assert "platform apply --allow-offboard" in note
    refused = run(
        "assign", "4000", "--setup", "invite", "--first-name", "New", "--last-name", "Hire",
        "--email", "new.hire@acme.example", "--no-input",
    )  # fmt: skip
    assert refused.code == 5
    assert "ex4000@acme.example" in refused.err and "--allow-offboard" in refused.err
    assert apply(run, "--allow-offboard").code == 0
    numbers, note = free()
    assert numbers == ["4000", "4100"] and "not listed" not in note
    taken = run(
        "assign", "4000", "--setup", "invite", "--first-name", "New", "--last-name", "Hire",
        "--email", "new.hire@acme.example", "--no-input",
    )  # fmt: skip
    assert taken.code == 0, taken.err


def test_an_app_without_edit_accounts_offboards_nobody_and_loses_nothing(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """bulkDeleteUsersV2 needs EditAccounts: without it each offboarding fails naming the
    permission, the rest of the apply is sent, and once the app has it the next apply
    offboards them."""
    ids = users(fake, 3)
    link(run, tmp_path / "linked.json", secret_files)
    offboard(run, "4000", "4001")
    assert run("users", "update", "4002", "--department", "Sales").code == 0
    fake.permissions.discard("EditAccounts")
    done = apply(run, "--allow-offboard")
    assert done.code == 5
    rows = {r["extension"]: r for r in json.loads(done.out)}
    assert {n: r["result"] for n, r in rows.items()} == {
        "4000": "failed",
        "4001": "failed",
        "4002": "done",
    }
    assert all("[EditAccounts] permission" in rows[n]["error"] for n in ("4000", "4001"))
    assert fake.deleted == [] and fake.extensions[ids["4002"]]["contact"]["department"] == "Sales"
    assert [c["kind"] for c in plan_json(run)["changes"]] == ["offboard", "offboard"]
    fake.permissions.add("EditAccounts")
    assert apply(run, "--allow-offboard").code == 0
    assert sorted(fake.deleted) == sorted([ids["4000"], ids["4001"]])
    assert plan_json(run)["changes"] == [] and fake.deleted_again == []


def test_500_offboardings_in_requests_of_50_lines_back_unassigned_numbers_kept(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """At the platform's default limits (Heavy 10 a minute): ten requests, no 429."""
    ids = users(fake, 520)
    lines = {n: fake.lines[i] for n, i in ids.items()}
    path = link(run, tmp_path / "linked.json", secret_files)
    leaving = [str(n) for n in range(4000, 4500)]
    listing = path.parent / "leavers.csv"
    listing.write_text("extension\n" + "\n".join(leaving) + "\n")
    assert run("bulk-unassign", "--file", listing, "--yes").code == 0
    done = apply(run, "--allow-offboard")
    assert done.code == 0, done.err
    rows = json.loads(done.out)
    assert len(rows) == 500 and {r["result"] for r in rows} == {"done"}
    sent = fake.requests_to("DELETE", DELETE)
    assert [len(r.body["records"]) for r in sent] == [50] * 10
    assert all(r.body["keepAssetsInInventory"] is True for r in sent)
    for r in sent:
        op = published_api.operation(r.method, r.path)
        assert op is not None and op.throttling == "Heavy"
        assert published_api.check(r.method, r.path, r.query, r.body) is None
    assert not any(r.status == 429 for r in fake.requests)
    assert sorted(fake.deleted) == sorted(ids[n] for n in leaving)
    # each line is back as an unassigned extension, with its number and a new id
    for number in leaving:
        record = fake.extensions[ext_id(fake, number)]
        assert record["status"] == "Unassigned" and record["id"] != ids[number]
        assert fake.lines[record["id"]] == lines[number]
    assert fake.released == [] and fake.deleted_again == []
    doc = json.loads(path.read_text())
    kept = {e["number"]: e for e in doc["extensions"]}
    assert kept["4000"]["status"] == "unassigned"
    assert kept["4000"]["id"] == str(ext_id(fake, "4000"))
    assert kept["4519"]["user"]["email"] == "ex4519@acme.example"
    assert plan_json(run)["changes"] == []
    assert run("platform", "pull").code == 0  # nothing local left: the pull takes it as it is
    assert json.loads(path.read_text())["extensions"] == doc["extensions"]


def test_released_numbers_go_back_and_the_extension_leaves_the_file(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    ids = users(fake, 4)
    path = link(run, tmp_path / "linked.json", secret_files)
    line = fake.lines[ids["4001"]]
    offboard(run, "4001", "4002", release=True)
    assert json.loads(path.read_text())["extensions"][1]["release"] is True
    offboard(run, "4003")
    done = apply(run, "--allow-offboard")
    assert done.code == 0, done.err
    assert line in fake.released and len(fake.released) == 2
    numbers = [e.get("extensionNumber") for e in fake.extensions.values()]
    assert sorted(numbers) == ["4000", "4003"]
    assert [e["number"] for e in json.loads(path.read_text())["extensions"]] == ["4000", "4003"]
    assert plan_json(run)["changes"] == []


def test_a_user_changed_in_the_portal_since_the_pull_is_not_offboarded(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    ids = users(fake, 2)
    link(run, tmp_path / "linked.json", secret_files)
    offboard(run, "4000", "4001")
    fake.change_behind(ids["4000"], email="someone.else@acme.example")
    done = apply(run, "--allow-offboard")
    assert done.code == 5
    rows = {r["extension"]: r for r in json.loads(done.out)}
    assert rows["4000"]["result"] == "conflict" and "not offboarded" in rows["4000"]["error"]
    assert rows["4001"]["result"] == "done"
    assert fake.deleted == [ids["4001"]]


@pytest.mark.parametrize(("answer", "requests"), [("lost", 1), ("503", 2)])
def test_an_answer_lost_or_5xx_is_read_back_and_nobody_is_deleted_twice(
    tmp_path: Path,
    run: Any,
    fake: FakePlatform,
    secret_files: list[str],
    answer: str,
    requests: int,
) -> None:
    """Never retried blindly: the next apply reads the platform back, and sends again only
    the users still listed (lost: the platform had deleted them; a 503 here took nothing)."""
    ids = users(fake, 6)
    link(run, tmp_path / "linked.json", secret_files)
    offboard(run, *ids)
    if answer == "lost":
        fake.drop_connection("DELETE", DELETE, count=1, apply=True)
    else:
        fake.spoil_answer("DELETE", DELETE, {"message": "Service Unavailable"}, status=503)
    apply(run, "--allow-offboard")
    again = apply(run, "--allow-offboard")
    assert again.code == 0, again.err
    assert len(fake.requests_to("DELETE", DELETE)) == requests
    assert sorted(fake.deleted) == sorted(ids.values()) and fake.deleted_again == []
    assert plan_json(run)["changes"] == []


# --- kill -9 at random moments ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_kill_9_at_10_random_moments_converges_with_nobody_deleted_twice(
    tmp_path: Path, run: Any
) -> None:
    """Each round: a fresh platform account of 150 users; locally 100 offboarded keeping
    their lines and 40 releasing them; `platform apply --allow-offboard --yes` killed with
    SIGKILL once the platform has had k of its 3 delete requests (k random, 0 to 3) and a
    random moment more; then one more apply. Every leaver is deleted once, no request names a
    user already deleted, the lines and numbers are where they were asked to go, the file
    holds what the platform holds, and the plan is empty."""
    groups = ("Auth", "Light", "Medium", "Heavy")
    rng = random.Random(int(os.environ.get("FAULT_SEED", 26)))
    with serve(limits=dict.fromkeys(groups, (10_000, 60.0))) as fake:
        secret_files = connect_options(fake, tmp_path / "secrets")
        cuts = []
        for round_ in range(int(os.environ.get("FAULT_ROUNDS", 10))):
            with fake._lock:
                for kept in (fake.extensions, fake.recording, fake.lines):
                    kept.clear()
                for seen in (fake.deleted, fake.deleted_again, fake.released):
                    seen.clear()
            ids = users(fake, 150)
            keep, release = [str(n) for n in range(4000, 4100)], [str(n) for n in range(4100, 4140)]
            lines = {n: fake.lines[ids[n]] for n in keep + release}
            path = tmp_path / f"round{round_}.json"
            assert run("--account", path, "platform", "connect", *secret_files).code == 0
            assert run("platform", "pull").code == 0
            offboard(run, *keep)
            offboard(run, *release, release=True)
            mark = len(fake.requests_to("DELETE", DELETE))
            k = rng.randint(0, 3)
            fake.delay(0.02)
            proc = subprocess.Popen(
                [sys.executable, "-m", "extadmin", "--account", str(path), "platform", "apply",
                 "--allow-offboard", "--yes"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + 30
            while len(fake.requests_to("DELETE", DELETE)) - mark < k and proc.poll() is None:
                assert time.monotonic() < deadline, round_
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.15))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            fake.delay(0.0)
            time.sleep(0.1)  # the request the fake was handling, if any, handled
            cuts.append((k, len(fake.deleted)))
            again = apply(run, "--allow-offboard")
            assert again.code == 0, (round_, again.err)
            assert sorted(fake.deleted) == sorted(ids[n] for n in keep + release), round_
            assert fake.deleted_again == [], round_
            assert sorted(fake.released) == sorted(lines[n] for n in release), round_
            for number in keep:
                record = fake.extensions[ext_id(fake, number)]
                assert record["status"] == "Unassigned", (round_, number)
                assert fake.lines[record["id"]] == lines[number], (round_, number)
            local = {e["number"]: e for e in json.loads(path.read_text())["extensions"]}
            assert sorted(local) == sorted(set(ids) - set(release)), round_
            for number in keep:
                assert local[number]["id"] == str(ext_id(fake, number)), (round_, number)
                assert "release" not in local[number], (round_, number)
            assert plan_json(run)["changes"] == [], round_
            assert run("account", "forget", path).code == 0
        # the kills fell before, between and after the requests (each round says where)
        assert {k for k, _ in cuts} >= {0, 3} and any(0 < d < 140 for _, d in cuts), cuts


# --- apply at a terminal --------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "deleted"), [("delete", True), ("", False), ("yes", False)])
def test_at_a_terminal_apply_asks_before_it_deletes_anyone(
    tmp_path: Path,
    run: Any,
    fake: FakePlatform,
    secret_files: list[str],
    typed: str,
    deleted: bool,
) -> None:
    """Without --allow-offboard, the plan is shown, then one question that only `delete`
    answers; anything else holds the offboardings and sends the rest."""
    ids = users(fake, 2)
    free = fake.add_extension("4100", status="Unassigned")
    path = link(run, tmp_path / "linked.json", secret_files)
    offboard(run, "4000", "4001")
    assign_someone(run, "4100", "invite")
    term = Terminal("--account", str(path), "platform", "apply", env={"TERM": "xterm"}, timeout=60)
    try:
        before = term.expect("Delete the 2 user(s) to offboard on RingCentral? It cannot be undone")
        assert "4000 Ex4000 Isting <ex4000@acme.example>: remove the user" in before
        term.send(typed + ENTER)
        term.expect("Send this to")
        assert fake.deleted == [] and fake.welcome_emails == []  # nothing before the yes
        term.send("yes" + ENTER)
        status = term.finish()
    finally:
        term.close()
    assert status == (0 if deleted else 5), term.screen
    assert sorted(fake.deleted) == (sorted(ids.values()) if deleted else [])
    assert fake.welcome_emails == [free]


def test_discard_takes_an_offboarding_back_before_it_is_sent(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    users(fake, 2)
    path = link(run, tmp_path / "linked.json", secret_files)
    pulled = path.read_bytes()
    offboard(run, "4000", "4001", release=True)
    assert run("platform", "discard", "4000", "4001", "--yes").code == 0
    doc = json.loads(path.read_text())
    assert doc == json.loads(pulled)  # the users back, no release mark
    assert plan_json(run)["changes"] == []


def test_apply_writes_a_result_file_of_every_operation(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    ids = users(fake, 3)
    fake.add_extension("4100", status="Unassigned")
    link(run, tmp_path / "linked.json", secret_files)
    offboard(run, "4000", "4001")
    assign_someone(run, "4100", "invite")
    assert run("users", "update", "4002", "--job-title", "Lead", "--yes").code == 0
    fake.change_behind(ids["4002"], department="Portal")
    out = tmp_path / "apply.csv"
    done = apply(run, "--results", out)
    assert done.code == 5
    with out.open(newline="") as handle:
        got = {(r["extension"], r["operation"]): r for r in csv.DictReader(handle)}
    assert {k: (r["outcome"], r["error_code"]) for k, r in got.items()} == {
        ("4000", "offboard"): ("held", "held"),
        ("4001", "offboard"): ("held", "held"),
        ("4002", "plan"): ("conflict", "conflict"),
        ("4100", "assign"): ("done", ""),
    }
    assert got[("4000", "offboard")]["platform_id"] == str(ids["4000"])
    assert "--allow-offboard" in got[("4000", "offboard")]["message"]
    assert got[("4100", "assign")]["platform_id"] == str(ext_id(fake, "4100"))
    again = apply(run, "--allow-offboard", "--results", out)
    assert again.code == 5  # the conflict stays
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["extension"], r["outcome"]) for r in rows if r["operation"] == "offboard"} == {
        ("4000", "done"),
        ("4001", "done"),
    }
