"""Size: time and peak memory of everyday commands on synthetic accounts of 1,000, 10,000 and
100,000 extensions, in JSON and TOML, each against the inherent cost of a whole-file store: a
minimal Typer program that loads the same file and writes it back with the standard library
(json / tomllib + tomli_w), run the same way, side by side.

    python benchmarks/size.py [--sizes 1000,10000,100000] [--formats json,toml] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import EXTADMIN, interleaved, peak_rss_kib, run_time  # noqa: E402
from generate import write  # noqa: E402

BASELINE = '''
import json, sys
import typer

app = typer.Typer()

@app.command()
def load_dump(path: str, write: bool = False) -> None:
    """Load the account file and (optionally) write it back."""
    if path.endswith(".json"):
        with open(path, "rb") as handle:
            doc = json.load(handle)
        out = json.dumps(doc)
    else:
        import tomllib, tomli_w
        with open(path, "rb") as handle:
            doc = tomllib.load(handle)
        out = tomli_w.dumps(doc)
    if write:
        with open(path + ".out", "w") as handle:
            handle.write(out)

@app.command()
def noop() -> None:
    """A second command, as in any real program."""

if __name__ == "__main__":
    app()
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--formats", default="json,toml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="extadmin-size-"))
    baseline = work / "baseline.py"
    baseline.write_text(BASELINE)
    env = {
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CACHE_HOME": str(work / "cache"),
    }
    os.environ.update(env)
    print(
        f"{'size':>7} {'fmt':<4} {'command':<30} {'extadmin':>9} {'baseline':>9} {'ratio':>6}"
        f" {'unseen':>8} {'peak MiB':>9} {'file MiB':>9}"
    )
    try:
        for size in map(int, args.sizes.split(",")):
            for fmt in args.formats.split(","):
                pristine = write(size, work / f"pristine-{size}.{fmt}")
                account = work / f"account-{size}.{fmt}"
                shutil.copyfile(pristine, account)
                mib = pristine.stat().st_size / 2**20

                def reset(pristine: Path = pristine, account: Path = account) -> None:
                    shutil.copyfile(pristine, account)

                def unseen() -> None:
                    reset()
                    shutil.rmtree(work / "cache", ignore_errors=True)  # no record of any check

                def seen(account: Path = account) -> None:
                    """As after any earlier extadmin command: this content is known as checked."""
                    reset()
                    run_time([*EXTADMIN, "--account", str(account), "role", "list"], env)

                from extadmin.storage.store import AccountStore

                exts = AccountStore(pristine).read().extensions
                free = next(e["number"] for e in exts if e["status"] == "unassigned")
                show = exts[len(exts) // 2 + 1]["number"]
                acct = [*EXTADMIN, "--account", str(account)]
                cases = {
                    "list-unassigned --format json": (
                        [*acct, "list-unassigned", "--format", "json"],
                        False,
                    ),
                    "extension show": (
                        [*acct, "extension", "show", show, "--format", "json"],
                        False,
                    ),
                    "assign --setup later": (
                        [
                            *acct,
                            "assign",
                            free,
                            "--setup",
                            "later",
                            "--first-name",
                            "New",
                            "--last-name",
                            "Hire",
                            "--email",
                            f"new.hire.{size}@bench.example",
                            "--no-input",
                        ],
                        True,
                    ),
                    "set-recording --all": (
                        [*acct, "set-recording", "--all", "--direction", "both"],
                        True,
                    ),
                }
                for name, (cmd, writes) in cases.items():
                    base = [sys.executable, str(baseline), "load-dump", str(account)]
                    if writes:
                        base.append("--write")
                    best = interleaved(
                        {"extadmin": cmd, "baseline": base},
                        repeat=args.repeat,
                        env=env,
                        setup=seen,
                    )
                    # content no extadmin command has seen (copied in, edited by hand): checked
                    first = min(run_time(cmd, env, setup=unseen) for _ in range(args.repeat))
                    unseen()
                    peak = peak_rss_kib(cmd, env) / 1024  # the larger: checked as it is read
                    print(
                        f"{size:>7} {fmt:<4} {name:<30} {best['extadmin']:>8.3f}s "
                        f"{best['baseline']:>8.3f}s {best['extadmin'] / best['baseline']:>5.2f}x"
                        f" {first:>7.3f}s {peak:>9.1f} {mib:>9.1f}",
                        flush=True,
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
