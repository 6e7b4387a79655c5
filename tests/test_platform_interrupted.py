"""`platform apply` cut short (issue 25): the platform gone mid-apply, Ctrl-C and SIGTERM. The
report says what was sent and confirmed, what is unknown (the next apply reads it back first,
the journal's requests included), what was not sent, and the one command that resumes; the
second apply completes with no welcome email twice; `platform status` shows the interrupted
apply and every pending extension."""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fake_platform import FakePlatform, _Handler, _Server
from tests.helpers import API_ACCOUNT, BULK, default_signals, ext_id, link

TASK = BULK + "/tasks/.+"
ROLE_BULK = API_ACCOUNT + "/user-role/.+/bulk-assign"
NUMBERS = [str(400 + n) for n in range(30)]


def restart(fake: FakePlatform, port: int) -> None:
    """The fake, stopped, answering again on the same port with the same state (a platform
    back after an outage)."""
    server = _Server.__new__(_Server)
    ThreadingHTTPServer.__init__(server, ("127.0.0.1", port), _Handler)
    server.fake = fake
    fake._server = server
    fake._stopping.clear()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()


@pytest.fixture
def thirty(tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]) -> Path:
    """A linked file with 30 invitations pending (every other one with the role Team Lead,
    two in three recorded): one bulk update, one role bulk-assign, one recording request."""
    fake.add_role("Team Lead")
    for number in NUMBERS:
        fake.add_extension(number, status="Unassigned")
    path = link(run, tmp_path / "linked.json", secret_files)
    rows = tmp_path / "hires.csv"
    with rows.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["extension", "first_name", "last_name", "email", "role", "recording"])
        for i, number in enumerate(NUMBERS):
            role, recording = ("Team Lead", "")[i % 2], ("off", "inbound", "both")[i % 3]
            writer.writerow(
                [number, f"User{i}", "Hire", f"user{number}@acme.example", role, recording]
            )
    done = run("bulk-assign", rows, "--setup", "invite")
    assert done.code == 0, done.err
    return path


def by_result(rows: list[dict[str, str]]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        out.setdefault(row["result"], []).append((row["extension"], row["operation"]))
    return out


def status_json(run: Any) -> dict[str, Any]:
    done = run("platform", "status", "--format", "json")
    assert done.code == 0, done.err
    return json.loads(done.out)  # type: ignore[no-any-return]


def recorded(numbers: list[str], step: str) -> list[tuple[str, str]]:
    """The (extension, operation) pairs of `step` in the thirty's plan."""
    if step == "role":
        return [(n, "role") for i, n in enumerate(numbers) if i % 2 == 0]
    return [(n, "recording") for i, n in enumerate(numbers) if i % 3]


@pytest.mark.slow  # the client's retries of a platform that is gone: about 30 s
@pytest.mark.timeout(180)
def test_a_platform_gone_mid_apply_is_reported_and_the_next_apply_completes(
    thirty: Path, run: Any, fake: FakePlatform
) -> None:
    before = status_json(run)
    assert sorted(before["pending"]) == NUMBERS and before["pending_changes"] == 30
    assert before["interrupted_apply"] is None
    table = run("platform", "status")
    assert table.code == 0, table.err
    pending_line = next(line for line in table.out.splitlines() if line.startswith("Pending  "))
    assert "400, 401" in pending_line and "and 10 more (--format json lists all)" in pending_line
    port = int(fake.url.rsplit(":", 1)[1])
    fake.meanwhile("GET", TASK, fake.stop)  # gone at the first poll: the task was accepted

    cut = run("platform", "apply", "--yes", "--format", "json")

    assert cut.code == 1, cut.err  # the documented code of a platform that fails
    # the retries are said while they last, not seconds of silence (issue 25)
    assert re.search(r"^waiting \d+ s: no answer from the platform \(\w+\), then retry \d of \d$",
                     cut.err, re.M), cut.err  # fmt: skip
    results = by_result(json.loads(cut.out))
    assert sorted(results) == ["not sent", "unknown"]
    assert sorted(results["unknown"]) == [(n, "assign") for n in NUMBERS]
    assert sorted(results["not sent"]) == sorted(
        recorded(NUMBERS, "role") + recorded(NUMBERS, "recording")
    )
    unknown = [r for r in json.loads(cut.out) if r["result"] == "unknown"]
    assert all("in bulk task " in r["error"] and "journaled" in r["error"] for r in unknown)
    # (the fake's own thread may say on standard error that its last answer found no reader)
    lines = cut.err[cut.err.index("extadmin: platform apply") :].splitlines()
    assert lines[0] == (
        "extadmin: platform apply cut short: the platform failed (the error is below); on the "
        "platform:"
    )
    assert "  sent and confirmed: none" in lines
    assert any(line.startswith("  unknown: sent, no answer") and "30: 400, 401" in line
               for line in lines)  # fmt: skip
    assert any(line.startswith("  not sent: 25: 400, 401,") for line in lines)  # 15 + 20, merged
    journal = thirty.with_name("linked.apply-journal.json")
    assert f"  the apply journal {journal} holds what the next apply asks first" in lines
    assert f"resume with: extadmin --account {thirty} platform apply --yes" in lines
    assert lines[-1].startswith("extadmin: error: platform: ")
    assert "Traceback" not in "\n".join(lines)

    during = status_json(run)  # offline: the journal and the file alone
    assert sorted(during["pending"]) == NUMBERS
    interrupted = during["interrupted_apply"]
    assert interrupted["journal"] == str(journal)
    assert [sorted(r["extensions"]) for r in interrupted["requests"]] == [NUMBERS]
    assert interrupted["requests"][0]["task"]
    assert interrupted["resume"] == f"extadmin --account {thirty} platform apply"
    shown = run("platform", "status")
    assert re.search(r"^Interrupted apply +bulk task ", shown.out, re.M)
    assert "(30 extension(s)): the next apply checks them on the platform first" in shown.out

    restart(fake, port)
    again = run("platform", "apply", "--yes", "--format", "json")

    assert again.code == 0, again.err
    invited = sorted(ext_id(fake, n) for n in NUMBERS)
    assert sorted(fake.welcome_emails) == invited  # one each: none twice
    assert len(fake.requests_to("POST", BULK)) == 1  # the task was asked for, not sent again
    for i, number in enumerate(NUMBERS):
        record = fake.extensions[ext_id(fake, number)]
        assert record["status"] == "NotActivated"
        assert record["roles"][0]["displayName"] == ("Team Lead", "Standard (International)")[i % 2]
        assert fake.recording.get(record["id"]) == (None, "Inbound", "All")[i % 3]
    after = status_json(run)
    assert after["pending"] == [] and after["interrupted_apply"] is None
    assert not journal.exists()
    assert re.search(r"^Interrupted apply +no$", run("platform", "status").out, re.M)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_mid_apply_report_and_the_next_apply_completes(
    thirty: Path, run: Any, fake: FakePlatform, signum: int, code: int
) -> None:
    procs: list[subprocess.Popen[str]] = []

    def interrupt() -> None:  # the role request has arrived: its answer is not out yet
        procs[0].send_signal(signum)
        time.sleep(0.5)

    fake.meanwhile("POST", ROLE_BULK, interrupt)
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "extadmin",
                "--account",
                str(thirty),
                "platform",
                "apply",
                "--yes",
                "--format",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_signals,
        )  # fmt: skip
    )
    out, err = procs[0].communicate(timeout=60)

    assert procs[0].returncode == code, err
    assert "Traceback" not in err
    results = by_result(json.loads(out))
    assert sorted(results) == ["done", "not sent", "unknown"]
    assert sorted(results["done"]) == [(n, "assign") for n in NUMBERS]
    assert sorted(results["unknown"]) == recorded(NUMBERS, "role")
    assert sorted(results["not sent"]) == recorded(NUMBERS, "recording")
    lines = err.splitlines()
    how = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert f"extadmin: platform apply cut short by {how}; on the platform:" in lines
    assert any(line.startswith("  sent and confirmed: 30: 400, 401") for line in lines)
    assert any(line.startswith("  unknown: sent, no answer") and "15: 400, 402" in line
               for line in lines)  # fmt: skip
    assert any(line.startswith("  not sent: 20: 401, 402, 404") for line in lines)
    resume = f"resume with: extadmin --account {thirty} platform apply --yes"
    if signum == signal.SIGINT:
        assert lines[-2:] == [
            resume,
            "extadmin: cancelled: the account file is unchanged; resume with the command above",
        ]
    else:
        assert lines[-1] == resume
    assert len(status_json(run)["pending"]) == 30  # the file is not changed by a cut apply

    again = run("platform", "apply", "--yes", "--format", "json")

    assert again.code == 0, again.err
    assert sorted(fake.welcome_emails) == sorted(ext_id(fake, n) for n in NUMBERS)
    assert status_json(run)["pending"] == []
