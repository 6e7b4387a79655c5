"""Bulk onboarding speed (issue: bulk-assign).

    python benchmarks/bulk_assign.py [--rows 5000] [--extensions 10000] [--credential-rows 20]
                                     [--repeat 3] [--compare-unsynced] [--before SRC]

Each kind of row as a whole `extadmin bulk-assign` process, against a baseline of the same work
done by a plain program with the standard library: it loads the account with json, does the
rows' inherent work, and saves the account with json.dumps (written, fsynced, renamed, its
folder fsynced, as extadmin saves it; extadmin's audit log, which the baseline does not keep,
is charged to extadmin). Like extadmin, the baseline runs with the cycle collector off and
exits without freeing (os._exit).

1. invite: ROWS rows with --setup invite on an account of EXTENSIONS extensions (half assigned,
   so ROWS <= EXTENSIONS/2); the inherent work is one welcome email a row: the baseline writes
   as many files of 1,400 bytes (an email's size) and makes them durable with one os.sync(),
   as extadmin makes its batch durable (storage/outbox.py).
2. credentials: CREDENTIAL-ROWS rows with passwords, PINs and answers; the inherent work is
   scrypt at the real parameters (extadmin.domain.hashing: about half a second of one core a
   hash, three a row): the baseline hashes the same secrets serially, in one process, so the
   ratio shows what spreading the work over the cores gives (cores: os.cpu_count()). The
   default of 20 rows keeps the serial baseline near half a minute a run.

Every timed run, the baseline's and extadmin's, starts after os.sync() (_timing.SAME_STATE).
The emails of the run before are moved aside, not deleted, until the end: on an ext4 without a
journal (this machine's), a file is slow to create for some 30 s after files near it were
deleted (the inode allocator passes over each recently deleted inode), and the 5,000 deleted
just before a run added some 2.5 s to either side. For the same reason, give it a TMPDIR where
nothing else deletes files meanwhile (a test suite running in /tmp does), and wait a few
minutes after its last run there (which deleted its files at the end): it prints how long
2,000 files take to create there first.
--compare-unsynced also times the same programs as this benchmark did before issue 20: without
the sync (a run then flushed what the setup and the run before it left dirty), interleaved with
the runs after it; then (last, since the deletions slow every file created after them) without
the sync and with the run before's emails deleted just before each run, printed as "before the
fix".
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import EXTADMIN, SAME_STATE, byte_compile, interleaved  # noqa: E402
from generate import write  # noqa: E402

from extadmin.domain.hashing import SCRYPT_N, SCRYPT_P, SCRYPT_R  # noqa: E402

SECRETS = ("Str0ng!Pass", "582941", "1", "my first pet")  # password, PIN, question, answer

BASELINE = """
import gc
gc.disable()  # as extadmin
import hashlib, json, os, sys

account, outbox, messages, hashed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
n, r, p = map(int, sys.argv[5:8])
with open(account, "rb") as handle:
    doc = json.loads(handle.read())
for _ in range(hashed):  # serially, on one core
    for secret in sys.argv[8:]:
        hashlib.scrypt(secret.encode(), salt=os.urandom(16), n=n, r=r, p=p, maxmem=2**30)
if messages:
    os.mkdir(outbox, 0o700)
    for i in range(messages):
        with open(f"{outbox}/{i}.eml", "wb") as handle:
            handle.write(b"x" * 1400)
    os.sync()  # the messages durable at once
with open(account + ".tmp", "wb") as handle:
    handle.write(json.dumps(doc).encode())
    handle.flush()
    os.fsync(handle.fileno())
os.replace(account + ".tmp", account)
folder = os.open(os.path.dirname(account), os.O_RDONLY)
os.fsync(folder)
os._exit(0)  # without freeing, as extadmin
"""


def csv_rows(account: Path, rows: int, setup: str) -> bytes:
    from extadmin.storage.store import AccountStore

    free = [
        e["number"] for e in AccountStore(account).read().extensions if e["status"] == "unassigned"
    ][:rows]
    if len(free) < rows:
        raise SystemExit(f"only {len(free)} unassigned extensions for {rows} rows")
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["extension", "setup", "first_name", "last_name", "email"]
    if setup == "credentials":
        header += ["password", "pin", "security_question", "security_answer"]
    writer.writerow(header)
    for i, number in enumerate(free):
        row = [number, setup, "New", f"Hire{i}", f"new.hire{i}@onboard.example"]
        if setup == "credentials":
            row += SECRETS
        writer.writerow(row)
    return out.getvalue().encode()


def creation(folder: Path, count: int = 2000) -> float:
    """Seconds to create `count` empty files in a new folder (kept until the end)."""
    folder.mkdir()
    start = time.perf_counter()
    for i in range(count):
        os.close(os.open(folder / str(i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--extensions", type=int, default=10000)
    parser.add_argument("--credential-rows", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--compare-unsynced",
        action="store_true",
        help="also time the runs as before the fix: no sync before each, emails deleted",
    )
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="also run another extadmin, its package in SRC (a `src` folder), side by side",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="extadmin-bench-"))
    env = {"XDG_CONFIG_HOME": str(work / "config"), "XDG_DATA_HOME": str(work / "data")}
    print(
        f"{SAME_STATE}; the run before's emails moved aside, not deleted; "
        f"best of {args.repeat}; cores: {os.cpu_count()}"
    )
    try:
        pristine = write(args.extensions, work / "pristine.json")
        account = work / "account.json"
        kept = work / "kept"  # the runs' emails, deleted at the end
        kept.mkdir()
        print(
            f"file creation here: 2,000 empty files in {creation(kept / 'probe'):.2f} s "
            "(some 0.1 s when nothing near was deleted in the last minutes)",
            flush=True,
        )

        programs = {"extadmin": EXTADMIN}
        if args.before:
            programs["before"] = ["env", f"PYTHONPATH={Path(args.before).resolve()}", *EXTADMIN]
        byte_compile(programs)
        for setup, rows in (("invite", args.rows), ("credentials", args.credential_rows)):
            if not rows:
                continue
            data = csv_rows(pristine, rows, setup)
            csv_file = work / f"{setup}.csv"
            csv_file.write_bytes(data)
            os.chmod(csv_file, 0o600)

            def reset(delete: bool = False) -> None:
                shutil.copyfile(pristine, account)
                for out in (work / "account.outbox", work / "baseline-out"):
                    if out.exists() and delete:
                        shutil.rmtree(out)
                    elif out.exists():  # moved aside, not deleted (see the docstring)
                        out.rename(kept / str(len(os.listdir(kept))))

            invite = setup == "invite"
            baseline = [
                sys.executable, "-c", BASELINE, str(account), str(work / "baseline-out"),
                str(rows if invite else 0), str(0 if invite else rows),
                str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), SECRETS[0], SECRETS[1], SECRETS[3],
            ]  # fmt: skip
            cmds = {
                **{
                    name: [*program, "--account", str(account), "bulk-assign", str(csv_file)]
                    for name, program in programs.items()
                },
                "baseline": baseline,
            }
            modes = {"after the fix": True}  # label: os.sync() before a run
            if args.compare_unsynced:
                modes = {"no sync before a run": False, **modes}
            best = {label: dict.fromkeys(cmds, float("inf")) for label in modes}
            for _ in range(args.repeat):
                for label, sync in modes.items():  # interleaved, so that noise hits all alike
                    times = interleaved(cmds, 1, env, reset, sync)
                    best[label] = {k: min(best[label][k], times[k]) for k in cmds}
            if args.compare_unsynced and invite:  # last: the deletions slow what follows
                old = interleaved(cmds, args.repeat, env, lambda: reset(delete=True), sync=False)
                best = {"before the fix (no sync, the run before's emails deleted)": old, **best}
            what = (
                "json load+dump, the emails written and synced"
                if invite
                else "json load+dump, serial scrypt in one process"
            )
            for label, times in best.items():
                label = f"{label}: " if args.compare_unsynced else ""
                before = (
                    f", before {times['before']:.2f} s ({times['before'] / times['baseline']:.2f}x)"
                    if "before" in times
                    else ""
                )
                print(
                    f"{setup:<12} {rows:>5} rows on {args.extensions} extensions: {label}"
                    f"extadmin {times['extadmin']:.2f} s, baseline ({what}) "
                    f"{times['baseline']:.2f} s, ratio "
                    f"{times['extadmin'] / times['baseline']:.2f}x{before}"
                    + ("" if invite else f", {rows / times['extadmin']:.1f} rows/s"),
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
