"""Concurrent commands on one account lose no update: every change is a read-modify-write under
an exclusive lock. Real processes, all started before any is waited for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from extadmin.storage.store import AccountStore
from tests.conftest import exe
from tests.helpers import audit, load

pytestmark = pytest.mark.slow

PROCESSES = 32


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "extadmin", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            results.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


@pytest.fixture(params=[".toml", ".json"])
def shared(request: pytest.FixtureRequest, run, tmp_path: Path) -> Path:
    path = tmp_path / f"shared{request.param}"
    result = run("init", path, "--name", "Shared")
    assert result.code == 0, result.err
    return path


def test_concurrent_adds_lose_no_update(shared: Path) -> None:
    numbers = [str(n) for n in range(3001, 3001 + PROCESSES)]
    env = {"EXTADMIN_ACCOUNT": str(shared), "EXTADMIN_LOCK_TIMEOUT": "100"}
    procs = [start("extension", "add", n, env=env) for n in numbers]
    results = finish(procs)

    for number, (code, _out, err) in zip(numbers, results, strict=True):
        assert code == 0, (number, err)
        assert "added 1 extension" in err
    doc = load(shared)  # the standard library parses it: not torn
    assert sorted(e["number"] for e in doc["extensions"]) == numbers
    assert len(AccountStore(shared).read().extensions) == PROCESSES
    entries = [e for e in audit(shared) if e["command"] == "extension add"]
    assert sorted(e["extension"] for e in entries) == numbers
    assert not list(shared.parent.glob("*.tmp"))


def test_concurrent_adds_of_one_number_one_wins(shared: Path) -> None:
    env = {"EXTADMIN_ACCOUNT": str(shared), "EXTADMIN_LOCK_TIMEOUT": "100"}
    procs = [start("extension", "add", "500", env=env) for _ in range(8)]
    codes = sorted(code for code, _, _ in finish(procs))
    assert codes == [0] + [5] * 7
    assert [e["number"] for e in load(shared)["extensions"]] == ["500"]
    assert [e.get("extension") for e in audit(shared) if e["command"] == "extension add"] == ["500"]


def test_a_command_waits_for_the_lock(shared: Path) -> None:
    """A change waits (up to EXTADMIN_LOCK_TIMEOUT) for another one to finish, then runs."""
    lock = FileLock(shared.with_name(f".{shared.name}.lock"))
    with lock.acquire(timeout=5):
        proc = start(
            "extension",
            "add",
            "150",
            env={"EXTADMIN_ACCOUNT": str(shared), "EXTADMIN_LOCK_TIMEOUT": "30"},
        )
        time.sleep(1.0)
        assert proc.poll() is None, "the command did not wait for the lock"
        assert load(shared)["extensions"] == []
    ((code, _, err),) = finish([proc])
    assert code == 0, err
    assert [e["number"] for e in load(shared)["extensions"]] == ["150"]


def test_reads_run_while_another_command_holds_the_lock(shared: Path) -> None:
    assert exe("--account", shared, "extension", "add", "150", timeout=30).returncode == 0
    lock = FileLock(shared.with_name(f".{shared.name}.lock"))
    with lock.acquire(timeout=5):
        result = exe(
            "--account", shared, "list-unassigned", "--format", "json", timeout=30,
            env={"EXTADMIN_LOCK_TIMEOUT": "0.5"},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [e["extension"] for e in json.loads(result.stdout)] == ["150"]
