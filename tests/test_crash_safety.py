"""A crash at any instant leaves the old file or the new one, never a torn one: a process saving
in a loop is killed with SIGKILL at random moments, again and again, and after every kill the
account file must read back as one of the states that were written."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extadmin.storage.store import AccountStore
from tests.conftest import exe

pytestmark = pytest.mark.slow

ITERATIONS = 20  # per format: 40 kills in all
FIRST = 1000  # the loop adds FIRST, FIRST + 1, FIRST + 2, ... in this order
BULK = range(10_000, 11_000)  # already there: makes every save take a while

WRITER = f"""
import os, sys, time
from extadmin.storage.store import AccountStore

# a slow disk: the rename that ends a save comes 40 ms after the temporary file is written, so
# that many kills land while a save is in progress
real_replace = os.replace
def slow_replace(src, dst):
    time.sleep(0.04)
    real_replace(src, dst)
os.replace = slow_replace

store = AccountStore(sys.argv[1])
done = [e["number"] for e in store.read().extensions if int(e["number"]) < 10_000]
n = {FIRST} + len(done)
print("ready", flush=True)
while True:
    with store.transaction("extension add") as account:
        account.add_extension({{"number": str(n), "site": "Main Site", "status": "unassigned"}})
        account.record("extension add", str(n))
    n += 1
    print("saved", flush=True)
"""


def added(path: Path) -> list[int]:
    """The numbers the loop has added, read through the store (which checks the whole file)."""
    numbers = [int(e["number"]) for e in AccountStore(path).read().extensions]
    bulk = [n for n in numbers if n in BULK]
    assert bulk == list(BULK), "the extensions that were there before are damaged"
    return [n for n in numbers if n not in BULK]


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_sigkill_while_saving_never_tears_the_file(run, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"crash{suffix}"
    assert run("init", path, "--name", "Crash").code == 0
    assert run("--account", path, "extension", "add", f"{BULK[0]}-{BULK[-1]}").code == 0
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rng = random.Random(f"crash{suffix}")

    previous = 0
    one_save = 0.0  # how long one save takes on this machine now (measured below)
    hit_a_save = 0  # kills that left a temporary file: they came in the middle of a save
    # ITERATIONS kills, and more (up to four times as many) until one has come during a save:
    # on a loaded machine the random moments may miss the writes for a while
    for i in range(4 * ITERATIONS):
        if i >= ITERATIONS and hit_a_save:
            break
        temporary = set(tmp_path.glob("*.tmp"))
        proc = subprocess.Popen(
            [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
            if i % 4 == 0:  # measure one save (and make sure the loop gets somewhere)
                started = time.monotonic()
                assert proc.stdout.readline() == "saved\n"
                one_save = time.monotonic() - started
            time.sleep(rng.uniform(0.0, 3 * one_save))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()  # type: ignore[union-attr]

        hit_a_save += bool(set(tmp_path.glob("*.tmp")) - temporary)
        numbers = added(path)
        # a state that was written: exactly the first k numbers of the loop, in order
        assert numbers == list(range(FIRST, FIRST + len(numbers)))
        assert len(numbers) >= previous, "a saved change was lost"
        previous = len(numbers)
    assert hit_a_save > 0, "no kill came during a save: the test proves nothing"

    # every audit line is whole, and names only changes that are in the file
    log = path.with_name("crash.audit.jsonl").read_text("utf-8").splitlines()
    audited = [json.loads(line).get("extension") for line in log]
    loop_audited = [int(n) for n in audited if n is not None and int(n) not in BULK]
    assert set(loop_audited) <= set(range(FIRST, FIRST + previous))

    # whatever the kills left behind (temporary files, the lock file) blocks nothing
    started = time.monotonic()
    result = exe(
        "--account", path, "extension", "add", "999990", env={"EXTADMIN_LOCK_TIMEOUT": "2"}
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10
    assert 999990 in added(path)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_leftovers_of_a_crash_are_harmless(run, tmp_path: Path, suffix: str) -> None:
    """A temporary file from an interrupted save and a lock file nobody holds: reads and the next
    change work as if they were not there, and the temporary file is never read as the account."""
    path = tmp_path / f"acme{suffix}"
    assert run("init", path, "--name", "Acme").code == 0
    assert run("extension", "add", "101").code == 0
    (tmp_path / f".{path.name}.abc123.tmp").write_text("torn half of a sa")
    lock = tmp_path / f".{path.name}.lock"
    assert lock.exists()
    os.utime(lock, (0, 0))  # a stale lock file, from long ago

    for args in (("extension", "list"), ("extension", "add", "102"), ("extension", "show", "102")):
        result = exe(*args, env={"EXTADMIN_ACCOUNT": str(path), "EXTADMIN_LOCK_TIMEOUT": "2"})
        assert result.returncode == 0, result.stderr
    assert [e["number"] for e in AccountStore(path).read().extensions] == ["101", "102"]
