"""Bulk onboarding speed (issue: bulk-assign).

    python benchmarks/bulk_assign.py [--rows 5000] [--extensions 10000] [--credential-rows 200]

1. invite: ROWS rows with --setup invite on an account of EXTENSIONS extensions (half assigned,
   so ROWS <= EXTENSIONS/2), as a whole `extadmin bulk-assign` process, against the baseline of
   the inherent cost: a process that loads and saves the same account with the standard
   library's json (and writes the same number of small files).
2. credentials: CREDENTIAL-ROWS rows with passwords, PINs and answers: the scrypt hashing is the
   inherent cost; compared with hashing the same secrets serially in one process, so the ratio
   shows what spreading the work over the cores gives (cores: os.cpu_count()).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import EXTADMIN, byte_compile, interleaved  # noqa: E402
from generate import write  # noqa: E402

BASELINE = """
import json, os, sys, pathlib
p = pathlib.Path(sys.argv[1]); n = int(sys.argv[2])
doc = json.loads(p.read_text())
out = p.with_name("baseline-out"); out.mkdir(exist_ok=True)
for i in range(n):
    (out / f"{i}.eml").write_bytes(b"x" * 1500)
os.sync()
p.with_suffix(".tmp").write_text(json.dumps(doc))
"""

SERIAL_HASH = """
import sys
from extadmin.domain.hashing import hash_secret
for i in range(int(sys.argv[1])):
    hash_secret("Str0ng!Pass"); hash_secret("582941"); hash_secret("my first pet")
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
            row += ["Str0ng!Pass", "582941", "1", "my first pet"]
        writer.writerow(row)
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--extensions", type=int, default=10000)
    parser.add_argument("--credential-rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="also run another extadmin, its package in SRC (a `src` folder), side by side",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="extadmin-bench-"))
    env = {"XDG_CONFIG_HOME": str(work / "config"), "XDG_DATA_HOME": str(work / "data")}
    try:
        pristine = write(args.extensions, work / "pristine.json")
        account = work / "account.json"

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

            def reset() -> None:
                shutil.copyfile(pristine, account)
                shutil.rmtree(work / "account.outbox", ignore_errors=True)
                shutil.rmtree(work / "baseline-out", ignore_errors=True)

            if setup == "invite":
                baseline = [sys.executable, "-c", BASELINE, str(account), str(rows)]
            else:
                baseline = [sys.executable, "-c", SERIAL_HASH, str(rows)]
            times = interleaved(
                {
                    **{
                        name: [*program, "--account", str(account), "bulk-assign", str(csv_file)]
                        for name, program in programs.items()
                    },
                    "baseline": baseline,
                },
                repeat=args.repeat,
                env=env,
                setup=reset,
            )
            ratio = times["extadmin"] / times["baseline"]
            what = (
                "json load+dump and file writes"
                if setup == "invite"
                else "serial hashing in one process"
            )
            before = (
                f", before {times['before']:.2f} s ({times['before'] / times['baseline']:.2f}x)"
                if "before" in times
                else ""
            )
            print(
                f"{setup:<12} {rows:>5} rows on {args.extensions} extensions: "
                f"extadmin {times['extadmin']:.2f} s, baseline ({what}) "
                f"{times['baseline']:.2f} s, ratio {ratio:.2f}x{before}"
                + (f", {rows / times['extadmin']:.0f} rows/s" if setup == "credentials" else "")
            )
        print(f"cores: {os.cpu_count()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
