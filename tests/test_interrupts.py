"""Ctrl-C (SIGINT) and SIGTERM sent to the real program in the middle of a bulk import on a
20,000-extension account: exit 130 or 143 (0 only if it finished first), the account file holds
the old state or the complete new one (every row assigned or none), no temporary file is left,
and the next command runs at once (no lock left behind)."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import exe
from tests.helpers import default_signals, load

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import numbers, write  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

EXTENSIONS = 20_000
ROWS = 300
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
MESSAGE = {signal.SIGINT: "extadmin: cancelled", signal.SIGTERM: "extadmin: terminated"}


def start(*args: object, group: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "extadmin", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=default_signals,
        start_new_session=group,
    )


def wait_for(proc: subprocess.Popen[str], reached: Callable[[], bool], timeout: float = 60) -> bool:
    """Poll (every millisecond) until `reached()` or the process ends."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if reached():
            return True
        time.sleep(0.001)
    return False


def temporary_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --- the account and the import -----------------------------------------------------------


@dataclass
class Template:
    data: bytes
    doc: dict[str, Any]


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    """The 20,000-extension account of the benchmarks (half assigned), in both formats."""
    folder = tmp_path_factory.mktemp("templates")
    found = {}
    for suffix in (".json", ".toml"):
        path = write(EXTENSIONS, folder / f"bench{suffix}")
        found[suffix] = Template(path.read_bytes(), load(path))
    return found


def rows() -> list[str]:
    """ROWS unassigned numbers over the three sites (the generator leaves the even ones)."""
    unassigned = [number for i, (number, _) in enumerate(numbers(EXTENSIONS)) if i % 2 == 0]
    return unassigned[:: len(unassigned) // ROWS][:ROWS]


def invite_csv(path: Path) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["extension", "setup", "first_name", "last_name", "email"])
    for number in rows():
        writer.writerow([number, "invite", "New", f"User {number}", f"new.{number}@example.com"])
    path.write_text(out.getvalue())
    return path


@dataclass
class Outcome:
    code: int
    err: str
    state: str  # "old" or "new"


def check_state(path: Path, template: Template, numbers_in_csv: list[str]) -> str:
    """The account file is the old one byte for byte, or the old one with every row of the
    file assigned and nothing else changed. Anything in between fails."""
    data = path.read_bytes()
    if data == template.data:
        return "old"
    doc = load(path)  # a torn file does not even parse
    before = {e["number"]: e for e in template.doc["extensions"]}
    after = {e["number"]: e for e in doc["extensions"]}
    assert after.keys() == before.keys()
    assigned = [n for n in numbers_in_csv if "user" in after[n]]
    assert len(assigned) in (0, len(numbers_in_csv)), f"{len(assigned)} of the rows assigned"
    assert assigned, "the file changed, but no row is assigned"
    for number, ext in after.items():
        if number in numbers_in_csv:
            assert ext["status"] == "not-activated" and ext["user"]["setup"] == "invite"
            assert ext["user"]["email"] == f"new.{number}@example.com"
        else:
            assert ext == before[number], number
    assert {k: v for k, v in doc.items() if k != "extensions"} == {
        k: v for k, v in template.doc.items() if k != "extensions"
    }
    return "new"


def interrupt(
    folder: Path,
    template: Template,
    suffix: str,
    sig: signal.Signals,
    phase: str,
    delay: float,
) -> Outcome:
    """One bulk import on a fresh copy of the account, `sig` sent `delay` seconds after the
    phase began: "lock" (the command holds the account's lock: it reads, checks, saves, then
    queues the invitations), "save" (the temporary file of the final save exists) or "outbox"
    (the account is saved; the welcome emails are being queued, Ctrl-C and SIGTERM held)."""
    folder.mkdir()
    path = folder / f"acme{suffix}"
    path.write_bytes(template.data)
    csv_path = invite_csv(folder.parent / f"{folder.name}.csv")
    lock = folder / f".{path.name}.lock"
    conditions = {
        "lock": lock.exists,
        "save": lambda: any(folder.glob(f".{path.name}.*.tmp")),
        "outbox": path.with_name("acme.outbox").exists,
    }
    proc = start("--account", path, "bulk-assign", csv_path, "--format", "json")
    try:
        if wait_for(proc, conditions[phase]):
            time.sleep(delay)
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert "Traceback" not in err and "internal error" not in err, err
    assert proc.returncode in (0, EXIT[sig]), (proc.returncode, err)
    assert temporary_files(folder) == [], "a temporary file was left behind"
    state = check_state(path, template, rows())
    if proc.returncode == 0:
        assert state == "new", err
    else:
        assert MESSAGE[sig] in err, err
        # the message tells whether the account may have changed: never "nothing" when it did
        assert ("nothing was written" in err) == (state == "old"), (state, err)
    audit = path.with_name("acme.audit.jsonl")
    logged = audit.read_text().count('"command": "bulk-assign"') if audit.exists() else 0
    outbox = list(path.with_name("acme.outbox").glob("*.eml"))
    if state == "old":
        assert logged == 0 and outbox == []
    else:
        assert logged == ROWS, "the change was saved but not written to the audit log"
        # queued with the save, signals held: no invited user is left without an email
        assert len(outbox) == ROWS, "the change was saved but its welcome emails were not"
    return Outcome(proc.returncode, err, state)


def next_command_runs(path: Path) -> None:
    """Whatever the interrupted command left (the lock file, a half-written outbox), the next
    change takes the lock at once."""
    started = time.monotonic()
    result = exe(
        "--account", path, "extension", "add", "999999", env={"EXTADMIN_LOCK_TIMEOUT": "2"}
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20
    assert "999999" in {e["number"] for e in load(path)["extensions"]}
    assert temporary_files(path.parent) == []


# --- the tests ----------------------------------------------------------------------------

# (phase, delay): in the reading and checking, at the save, later; tried in this order until
# enough signals landed while the command was still at work
SCHEDULE = [
    ("lock", 0.0),
    ("save", 0.0),
    ("outbox", 0.0),
    ("outbox", 0.03),
    ("lock", 0.15),
    ("lock", 0.05),
    ("save", 0.002),
    ("lock", 0.3),
    ("lock", 0.02),
    ("save", 0.0),
    ("lock", 0.1),
    ("lock", 0.0),
    ("save", 0.0),
    ("lock", 0.0),
]
WANTED = 3  # interrupted runs per signal


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_a_bulk_import(
    tmp_path: Path, templates: dict[str, Template], sig: signal.Signals
) -> None:
    outcomes: list[tuple[str, float, Outcome]] = []
    for i, (phase, delay) in enumerate(SCHEDULE):
        outcome = interrupt(tmp_path / f"run{i}", templates[".json"], ".json", sig, phase, delay)
        outcomes.append((phase, delay, outcome))
        if outcome.code and len([o for *_, o in outcomes if o.code]) == 1:
            next_command_runs(tmp_path / f"run{i}" / "acme.json")
        interrupted = [o for *_, o in outcomes if o.code]
        if len(interrupted) >= WANTED and {o.state for o in interrupted} == {"old", "new"}:
            break
    summary = [(phase, delay, o.code, o.state) for phase, delay, o in outcomes]
    interrupted = [o for *_, o in outcomes if o.code == EXIT[sig]]
    assert len(interrupted) >= WANTED, summary
    # signals landed before the save (the import was cut short: old state) and after it (the
    # invitations were being queued: new state)
    assert {o.state for o in interrupted} == {"old", "new"}, summary


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_save_of_a_toml_account(
    tmp_path: Path, templates: dict[str, Template], sig: signal.Signals
) -> None:
    """TOML is the slow format to write: the signal comes while the new file is written (or,
    at worst, just after the rename); and while the account is read and checked."""
    template = templates[".toml"]
    saved = interrupt(tmp_path / "at-save", template, ".toml", sig, "save", 0.0)
    assert saved.code in (0, EXIT[sig])
    early = interrupt(tmp_path / "early", template, ".toml", sig, "lock", 0.0)
    assert early.code == EXIT[sig] and early.state == "old", early


# --- the instant after the temporary file is created -------------------------------------


@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_just_after_the_temporary_file_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exception: type[BaseException]
) -> None:
    """The signal handler runs between any two steps: here right after the temporary file is
    created, before its name is returned to the code that would remove it (tempfile.mkstemp
    had this window: a SIGTERM while 300 invitations were queued left a `.eml.*.tmp`)."""
    from extadmin.storage import files

    real_open = os.open

    def open_then_interrupt(name: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        fd = real_open(name, flags, mode, **kwargs)
        if str(name).endswith(".tmp"):
            os.close(fd)
            raise exception()
        return fd

    target = tmp_path / "acme.toml"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "open", open_then_interrupt)
    with pytest.raises(exception):
        files.write_atomic(target, b"new")
    monkeypatch.setattr(os, "open", real_open)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.toml"]
    assert target.read_bytes() == b"old"


def interrupt_after_the_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real SIGINT is sent to this process while the folder is fsynced, after the new file
    was renamed into place (the last step of a save)."""
    import signal

    from extadmin.storage import files

    real, calls = files.fsync_dir, []

    def fsync_then_interrupt(folder: Path) -> None:
        real(folder)
        calls.append(folder)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(files, "fsync_dir", fsync_then_interrupt)


def test_an_interrupt_after_the_rename_does_not_claim_nothing_was_written(
    run, account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt_after_the_rename(monkeypatch)
    result = run("extension", "add", "150")
    assert result.code == 130
    assert "nothing was written" not in result.err
    assert result.err == (
        f"\nextadmin: cancelled: {account} may hold part of the work: check it before running "
        "it again\n"
    )
    assert "150" in {e["number"] for e in load(account)["extensions"]}  # the new state, whole
    assert temporary_files(account.parent) == []
    assert run("extension", "add", "151").code == 0  # and the lock is free


def test_a_saved_change_is_always_in_the_audit_log(
    run, account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt_after_the_rename(monkeypatch)
    assert run("extension", "add", "150").code == 130
    assert "150" in {e["number"] for e in load(account)["extensions"]}
    log = account.with_name("acme.audit.jsonl").read_text()
    assert '"extension": "150"' in log


# --- while the credentials are hashed (worker processes) ----------------------------------


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def group_is_gone(pgid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_while_credentials_are_hashed(run, tmp_path: Path, sig: signal.Signals) -> None:
    """Ctrl-C in a terminal signals the whole process group: the command and the workers that
    hash the passwords. The command stops promptly, writes nothing, prints no traceback (not
    even from a worker) and leaves no worker behind holding the lock."""
    path = tmp_path / "acme.json"
    assert run("init", path, "--name", "Acme Corp").code == 0
    assert run("--account", path, "extension", "add", "120-159").code == 0
    before = path.read_bytes()
    header = "extension,setup,first_name,last_name,email,password,pin,security_question,"
    lines = [header + "security_answer"] + [
        f"{n},credentials,C,{n},c{n}@example.com,Zebra7!Quix,5820417396,1,fluffy cat"
        for n in range(120, 160)
    ]
    csv_path = tmp_path / "secrets.csv"
    csv_path.write_text("\n".join(lines) + "\n")
    csv_path.chmod(0o600)

    for attempt in range(5):
        proc = start("--account", path, "bulk-assign", csv_path, group=True)
        sent = time.monotonic()
        try:
            if wait_for(proc, lambda pid=proc.pid: len(children(pid)) >= 1):  # type: ignore[misc]
                time.sleep(0.2 + 0.1 * attempt)  # the workers are at work
                os.killpg(proc.pid, sig)
                sent = time.monotonic()
            _, err = proc.communicate(timeout=120)
            stopped = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert group_is_gone(proc.pid), "a worker process is still running"
        assert "Traceback" not in err and "internal error" not in err, err
        if proc.returncode == 0:  # it finished first: the signal came too late
            path.write_bytes(before)
            continue
        assert proc.returncode == EXIT[sig], (proc.returncode, err)
        assert MESSAGE[sig] in err
        assert stopped < 10, f"{stopped:.1f} s to stop"
        assert path.read_bytes() == before
        assert temporary_files(tmp_path) == []
        next_command_runs(path)
        return
    pytest.fail("every run finished before the signal")


# --- while the program is still loading ------------------------------------------------------

LOADING = """
import os, signal, sys

def fire():
    os.kill(os.getpid(), signal.{sig})

class SignalOnImport:  # the signal arrives while the module `where` is imported
    def find_spec(self, name, path=None, target=None):
        if name == {where!r}:
            sys.meta_path.remove(self)
            fire()
        return None

def signal_on_call(frame, event, arg):  # ... or when the function `where` is called
    if event == "call" and frame.f_code.co_name == {where!r}:
        sys.setprofile(None)
        fire()

sys.meta_path.insert(0, SignalOnImport())
sys.setprofile(signal_on_call)
sys.argv = ["extadmin", "--account", {account!r}, "list-unassigned"]
from extadmin.__main__ import main
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    "where",
    ["typer", "get_command", "get_type_hints"],
    ids=["importing the command line", "building the commands", "reading their options"],
)
def test_a_signal_while_the_program_is_loading(
    account: Path, sig: signal.Signals, where: str
) -> None:
    """The first tenth of a second (typer and its helpers are imported, then the commands are
    built from their functions): one line, the signal's exit code, never a traceback."""
    before = account.read_bytes()
    script = LOADING.format(where=where, sig=sig.name, account=str(account))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == EXIT[sig], proc.stderr
    assert proc.stderr.strip() == f"{MESSAGE[sig]}: nothing was written"
    assert proc.stdout == ""
    assert account.read_bytes() == before
