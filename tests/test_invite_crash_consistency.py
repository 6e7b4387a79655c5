"""Invitations are crash-consistent (issue 13): a process killed with SIGKILL at any instant of a
3,000-row invite import, an `assign --setup invite` or an `activate --invite` leaves, after at
most one more ordinary command, every invited user with exactly one queued welcome email whose
link matches the token stored for them, and no email for anyone else. A full disk or a file in
the outbox's place saves nothing; a failure after the save says that the account was saved."""

from __future__ import annotations

import json
import os
import quopri
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from extadmin.domain.hashing import hash_token
from tests.conftest import ACTIVATION_URL
from tests.csv_helpers import csv_text, write_csv
from tests.helpers import outbox

pytestmark = pytest.mark.timeout(600)

ROWS = 3000
TRIALS = 20
_NUMBER = re.compile(rb"^X-Extadmin-Extension: (\d+)$", re.M)
_TOKEN = re.compile(rb"token=([A-Za-z0-9_-]{43})")


def extadmin(account: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "extadmin", "--account", str(account), *args]


def run_ok(account: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        extadmin(account, *args), capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )
    assert done.returncode == 0, (args, done.stderr)
    return done


def invitations(account: Path) -> dict[str, str]:
    """Extension number -> the stored token hash, for every user with a pending invitation."""
    text = account.read_text("utf-8")
    doc = tomllib.loads(text) if account.suffix == ".toml" else json.loads(text)
    return {
        e["number"]: e["user"]["activation"]["token_hash"]
        for e in doc["extensions"]
        if "activation" in e.get("user", {})
    }


def queued_links(account: Path) -> dict[str, list[str]]:
    """Extension number -> the token hash of the link in each queued message."""
    found: dict[str, list[str]] = {}
    for path in outbox(account).glob("*.eml"):
        raw = path.read_bytes()
        number = _NUMBER.search(raw)
        tokens = set(_TOKEN.findall(quopri.decodestring(raw)))  # the text and the HTML part
        assert number and len(tokens) == 1, path
        found.setdefault(number[1].decode(), []).append(hash_token(tokens.pop().decode()))
    return found


def assert_consistent(account: Path) -> int:
    """Every invited user has exactly one queued email, with the stored token; nobody else has
    one; nothing is left staged. Returns the number of invited users."""
    invited = invitations(account)
    links = queued_links(account)
    assert {n: [h] for n, h in invited.items()} == links
    assert not (outbox(account) / ".staged").exists()
    return len(invited)


def kill_at_random(command: list[str], latest: float, rng: random.Random) -> float:
    """Start the command, SIGKILL it after a random moment up to `latest` seconds."""
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ)
    )
    moment = rng.uniform(0.3 * latest, latest)  # the first third is Python starting
    time.sleep(moment)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return moment


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, Path]:
    """A 3,000-extension account (JSON) and a 3,000-row invite CSV for it."""
    folder = tmp_path / "big"
    folder.mkdir()
    account = folder / "pristine.json"
    run_ok(account, "init", str(account), "--name", "Acme Corp", "--activation-url", ACTIVATION_URL)
    run_ok(account, "extension", "add", f"1000-{1000 + ROWS - 1}")
    rows = [
        {"extension": str(n), "setup": "invite", "first_name": "Sam", "last_name": f"N{n}",
         "email": f"sam{n}@acme.example"}
        for n in range(1000, 1000 + ROWS)
    ]  # fmt: skip
    return account, write_csv(folder / "hires.csv", csv_text(rows))


def fresh_copy(pristine: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    account = folder / f"{name}.json"
    shutil.copyfile(pristine, account)
    return account


@pytest.mark.slow
@pytest.mark.parametrize("group", range(4))
def test_sigkill_during_a_3000_row_invite_import(
    big: tuple[Path, Path], tmp_path: Path, group: int
) -> None:
    """Four groups of five kills (20 in all), run in parallel by xdist."""
    pristine, hires = big
    rng = random.Random(1300 + group)
    start = time.monotonic()  # how long a whole import takes here, to kill within it
    full = fresh_copy(pristine, tmp_path / "full", "acme")
    run_ok(full, "bulk-assign", str(hires))
    latest = time.monotonic() - start
    assert assert_consistent(full) == ROWS

    outcomes = []
    for trial in range(TRIALS // 4):
        account = fresh_copy(pristine, tmp_path / str(trial), "acme")
        moment = kill_at_random(extadmin(account, "bulk-assign", str(hires)), latest, rng)
        run_ok(account, "extension", "list", "--format", "json")  # one ordinary command
        invited = assert_consistent(account)
        assert invited in (0, ROWS), (moment, invited)  # one transaction: all rows or none
        outcomes.append(invited)
    print(f"group {group}: import {latest:.2f} s, invited after each kill: {outcomes}")


ADA = ("--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@acme.example")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """Extensions 101-105, and Grace invited on 102 (for `activate --invite`)."""
    folder = tmp_path / "small"
    folder.mkdir()
    account = folder / "pristine.json"
    run_ok(account, "init", str(account), "--name", "Acme Corp", "--activation-url", ACTIVATION_URL)
    run_ok(account, "extension", "add", "101-105")
    run_ok(account, "assign", "102", "--setup", "invite", "--first-name", "Grace",
           "--last-name", "Hopper", "--email", "grace@acme.example", "--no-input")  # fmt: skip
    return account


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "seed"),
    [
        (("assign", "101", "--setup", "invite", *ADA, "--no-input"), 1),
        (("activate", "102", "--invite"), 2),
    ],
    ids=["assign", "activate-invite"],
)
def test_sigkill_during_one_invitation(
    small: Path, tmp_path: Path, command: tuple[str, ...], seed: int
) -> None:
    rng = random.Random(seed)
    start = time.monotonic()
    full = fresh_copy(small, tmp_path / "full", "acme")
    shutil.copytree(outbox(small), outbox(full))
    before = invitations(full)
    run_ok(full, *command)
    latest = time.monotonic() - start
    assert assert_consistent(full) == 2 if command[0] == "assign" else 1
    changed = 0
    for trial in range(TRIALS):
        account = fresh_copy(small, tmp_path / str(trial), "acme")
        shutil.copytree(outbox(small), outbox(account))
        kill_at_random(extadmin(account, *command), latest, rng)
        run_ok(account, "mail", "queue", "--format", "json")  # one ordinary command
        assert_consistent(account)
        changed += invitations(account) != before
    print(f"{command[0]}: {latest:.2f} s; the change was saved before {changed} of {TRIALS} kills")


# --- failures that are not a kill ---------------------------------------------------------------


def test_a_failure_after_the_save_says_so_and_the_next_command_queues_the_email(
    account: Path, run: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from extadmin.storage import outbox as outbox_module

    real = outbox_module.publish

    def broken(*args: object) -> object:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(outbox_module, "publish", broken)
    result = run("assign", "101", "--setup", "invite", *ADA, "--no-input")  # type: ignore[operator]
    assert result.code == 1
    assert result.err.startswith(
        "extadmin: error: the account was saved, but its welcome emails could not be moved "
        f"into {outbox(account)} (Input/output error): they are kept in "
    ) and result.err.endswith("and the next extadmin command on this account queues them\n")
    assert list(invitations(account)) == ["101"] and queued_links(account) == {}

    monkeypatch.setattr(outbox_module, "publish", real)
    assert run("mail", "queue").code == 0  # type: ignore[operator]
    assert assert_consistent(account) == 1


class Killed(BaseException):
    """Stands for SIGKILL at one precise instant (the process goes no further)."""


def test_killed_between_stage_and_save_the_staged_email_is_dropped(
    account: Path, run: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extadmin.storage import files

    before = account.read_bytes()
    real = files.Staged.commit

    def dies_at_the_account(self: files.Staged, sync: bool = True, work: bool = True) -> None:
        if self.path == account:  # the new file written, the email staged: not renamed yet
            raise Killed
        real(self, sync, work)

    monkeypatch.setattr(files.Staged, "commit", dies_at_the_account)
    with pytest.raises(Killed):
        run("assign", "101", "--setup", "invite", *ADA, "--no-input")  # type: ignore[operator]
    monkeypatch.setattr(files.Staged, "commit", real)
    assert account.read_bytes() == before
    assert len(list((outbox(account) / ".staged").glob("*/*.eml"))) == 1  # staged, not queued

    assert run("extension", "list").code == 0  # type: ignore[operator]
    assert assert_consistent(account) == 0
    assert run("mail", "queue", "--format", "json").out == "[]\n"  # type: ignore[operator]


def test_a_file_in_the_outbox_place_saves_nothing(account: Path, run: object) -> None:
    before = account.read_bytes()
    outbox(account).write_text("not a folder\n")
    result = run("assign", "101", "--setup", "invite", *ADA, "--no-input")  # type: ignore[operator]
    assert (result.code, result.err) == (
        6, f"extadmin: error: {outbox(account)}: is not a folder; extadmin keeps its files there "
        "(move it)\n",
    )  # fmt: skip
    assert account.read_bytes() == before
    assert outbox(account).read_text() == "not a folder\n"
    assert oct(outbox(account).stat().st_mode & 0o777) != "0o700"


FULL_DISK = r"""
set -e
mount -t tmpfs -o size=4m tmpfs "$DISK"
cp "$SOURCE" "$DISK/acme.json"
dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null || true
truncate -s -32K "$DISK/filler"
set +e
"$PYTHON" -m extadmin --account "$DISK/acme.json" bulk-assign "$CSV" >/dev/null 2>"$OUT/first.err"
echo $? > "$OUT/first.code"
cp -a "$DISK/." "$OUT/full/"
truncate -s -96K "$DISK/filler"  # room for the account's new file, not for the emails
"$PYTHON" -m extadmin --account "$DISK/acme.json" bulk-assign "$CSV" >/dev/null 2>"$OUT/mail.err"
echo $? > "$OUT/mail.code"
cp -a "$DISK/." "$OUT/mail/"
rm "$DISK/filler"
"$PYTHON" -m extadmin --account "$DISK/acme.json" bulk-assign "$CSV" >/dev/null 2>"$OUT/second.err"
echo $? > "$OUT/second.code"
rm -rf "$OUT/after" && mkdir "$OUT/after" && cp -a "$DISK/." "$OUT/after/"
"""


def test_a_full_disk_saves_nothing_and_the_same_import_works_once_there_is_room(
    tmp_path: Path,
) -> None:
    """A real full file system: a small tmpfs, mounted in a user and mount namespace of the
    test's own (`unshare -rm`, no privilege needed), filled but for 32 KiB."""
    source = tmp_path / "acme.json"
    run_ok(source, "init", str(source), "--name", "Acme Corp", "--activation-url", ACTIVATION_URL)
    run_ok(source, "extension", "add", "1001-1100")
    rows = [
        {"extension": str(n), "setup": "invite", "first_name": "Sam", "last_name": f"N{n}",
         "email": f"sam{n}@acme.example"}
        for n in range(1001, 1101)
    ]  # fmt: skip
    hires = write_csv(tmp_path / "hires.csv", csv_text(rows))
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir(), out.mkdir(), (out / "full").mkdir(), (out / "mail").mkdir()
    env = dict(os.environ, DISK=str(disk), SOURCE=str(source), CSV=str(hires), OUT=str(out),
               PYTHON=sys.executable)  # fmt: skip
    done = subprocess.run(["unshare", "-rm", "bash", "-c", FULL_DISK], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr

    first = (out / "first.err").read_text()
    assert (out / "first.code").read_text() == "1\n", first
    assert first == (
        f"extadmin: error: cannot write {disk}/acme.json (No space left on device): nothing "
        "was saved\n"
    )
    mail = (out / "mail.err").read_text()
    assert (out / "mail.code").read_text() == "1\n", mail
    assert mail == (
        f"extadmin: error: cannot queue the welcome emails in {disk}/acme.outbox "
        "(No space left on device): nothing was saved\n"
    )
    for full in ("full", "mail"):
        assert (out / full / "acme.json").read_bytes() == source.read_bytes()
        assert not any((out / full / "acme.outbox").rglob("*")), "nothing staged is left"
        assert not [p for p in (out / full).iterdir() if p.suffix == ".tmp"]  # none left

    assert (out / "second.code").read_text() == "0\n", (out / "second.err").read_text()
    assert assert_consistent(out / "after" / "acme.json") == 100
