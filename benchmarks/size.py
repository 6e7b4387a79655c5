"""Size: time and peak memory of everyday commands on synthetic accounts of 1,000, 10,000 and
100,000 extensions, in JSON and TOML, in four shapes (generate.SHAPES: all unassigned, half
assigned, all assigned with every optional field, long names over 200 sites), each against the
inherent cost of a whole-file store, run the same way, side by side: a minimal Typer program
that loads the same file with the standard library (json / tomllib) and
- for a listing, builds the rows the command prints and dumps them (json.dumps);
- for `extension show`, finds the extension and dumps it;
- for a change, dumps the whole file (json / tomli_w) and writes it.
Like extadmin, the baseline runs with the cycle collector off and exits without freeing
(os._exit once its output is flushed). Every timed run starts after os.sync()
(_timing.SAME_STATE).

    python benchmarks/size.py [--sizes 1000,10000,100000] [--formats json,toml]
                              [--shapes unassigned,half,rich,long] [--repeat 5] [--before SRC]

`steady`: an earlier extadmin command has read this content (an extadmin that keeps a record of
the content it checked, such as one before issue 27, then trusts it); `unseen`: the same command
on content no extadmin command has seen (no record of any check: copied in, edited by hand, on
a CI runner). Each is given with its ratio to the baseline's time. `peak`: the command's peak
resident memory on unseen content, in MiB, and over the file's size.

With --before SRC (the `src` folder of an earlier version, such as `git archive be3b67c src`
unpacked), that extadmin runs too, side by side: every round runs each program in turn, each
from the same state (the setup again, then os.sync()); its figures follow extadmin's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import (  # noqa: E402
    EXTADMIN,
    SAME_STATE,
    byte_compile,
    interleaved,
    peak_rss_kib,
    run_time,
)
from generate import SHAPES, write  # noqa: E402

BASELINE = '''
import gc
gc.disable()  # as extadmin
import json, os, sys
import typer

app = typer.Typer()

def load(path):
    with open(path, "rb") as handle:
        if path.endswith(".json"):
            return json.load(handle)
        import tomllib
        return tomllib.load(handle)

@app.command()
def load_dump(path: str) -> None:
    """Load the account file, dump it and write it."""
    doc = load(path)
    if path.endswith(".json"):
        out = json.dumps(doc)
    else:
        import tomli_w
        out = tomli_w.dumps(doc)
    with open(path + ".out", "w") as handle:
        handle.write(out)

@app.command()
def rows(path: str, unassigned: bool = False) -> None:
    """Load the account file and print its extensions' rows (the unassigned ones only)."""
    doc = load(path)
    codes = {site["name"]: site.get("code", "") for site in doc["sites"]}
    out = []
    for ext in doc["extensions"]:
        if unassigned and ext["status"] != "unassigned":
            continue
        number, code, user = ext["number"], codes[ext["site"]], ext.get("user")
        device = ext.get("device")
        row = {
            "extension": number,
            "short_extension": number[len(code):] if number.startswith(code) else number,
            "site": ext["site"],
            "device": device and {"model": device["model"], "mac": device.get("mac")},
        }
        if not unassigned:
            row["status"] = ext["status"]
            row["name"] = user and f"{user['first_name']} {user['last_name']}"
            row["email"] = user and user["email"]
            row["recording"] = user and user["recording"]
        out.append(row)
    print(json.dumps(out, ensure_ascii=False))

@app.command()
def show(path: str, number: str) -> None:
    """Load the account file and print one extension."""
    doc = load(path)
    ext = next(e for e in doc["extensions"] if e["number"] == number)
    print(json.dumps(ext, indent=2, ensure_ascii=False))

if __name__ == "__main__":
    try:
        app()
    except SystemExit as done:  # as extadmin: the output flushed, the exit without freeing
        sys.stdout.flush()
        os._exit(done.code or 0)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--formats", default="json,toml")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--commands", default="", help="only these (names, comma-separated)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="steady state only: no unseen or peak columns"
    )
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="also run another extadmin, its package in SRC (a `src` folder, such as a git "
        "worktree's of an earlier commit), side by side: a `before` column",
    )
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
    programs = {"extadmin": EXTADMIN}
    if args.before:
        # its own cache folder: each version keeps its own record of the content it checked
        before_env = [f"PYTHONPATH={Path(args.before).resolve()}", f"XDG_CACHE_HOME={work}/c0"]
        programs["before"] = ["env", *before_env, *EXTADMIN]
    byte_compile(programs)
    print(f"{SAME_STATE}; best of {args.repeat}")
    columns = f"{'ratio':>5} {'unseen':>7} {'ratio':>5} {'peak':>5} {'/file':>5}"
    sides = "".join(f" | {label + ' steady':>15} {columns}" for label in programs)
    print(f"{'size':>7} {'fmt':<4} {'shape':<10} {'command':<30} {'MiB':>5} {'baseline':>8}{sides}")
    try:
        for size in map(int, args.sizes.split(",")):
            for fmt in args.formats.split(","):
                for shape in args.shapes.split(","):
                    run_shape(work, baseline, env, programs, size, fmt, shape, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_shape(
    work: Path,
    baseline: Path,
    env: dict[str, str],
    programs: dict[str, list[str]],
    size: int,
    fmt: str,
    shape: str,
    args: argparse.Namespace,
) -> None:
    pristine = write(size, work / f"pristine-{size}-{shape}.{fmt}", shape)
    account = work / f"account-{size}.{fmt}"
    shutil.copyfile(pristine, account)
    mib = pristine.stat().st_size / 2**20

    def reset() -> None:
        shutil.copyfile(pristine, account)

    def unseen() -> None:
        reset()
        for cache in ("cache", "c0"):  # no record of any check, by any version
            shutil.rmtree(work / cache, ignore_errors=True)

    def seen() -> None:
        """As after any earlier extadmin command: this content is known as checked."""
        reset()
        for program in programs.values():
            run_time([*program, "--account", str(account), "role", "list"], env)

    from extadmin.storage.store import AccountStore

    exts = AccountStore(pristine).read().extensions
    free = next(e["number"] for e in exts if e["status"] == "unassigned")
    show = exts[len(exts) // 2 + 1]["number"]
    base = [sys.executable, str(baseline)]
    # name: (extadmin's arguments, the baseline's command)
    cases = {
        "list-unassigned --format json": (
            ["list-unassigned", "--format", "json"],
            [*base, "rows", str(account), "--unassigned"],
        ),
        "extension list --format json": (
            ["extension", "list", "--format", "json"],
            [*base, "rows", str(account)],
        ),
        "extension show --format json": (
            ["extension", "show", show, "--format", "json"],
            [*base, "show", str(account), show],
        ),
        "assign --setup later": (
            [
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
            [*base, "load-dump", str(account)],
        ),  # fmt: skip
        "set-recording --all": (
            ["set-recording", "--all", "--direction", "both"],
            [*base, "load-dump", str(account)],
        ),
    }
    only = [c.strip() for c in args.commands.split(",") if c.strip()]
    for name, (arguments, base_cmd) in cases.items():
        if only and not any(name.startswith(c) for c in only):
            continue
        commands = {
            label: [*program, "--account", str(account), *arguments]
            for label, program in programs.items()
        }
        best = interleaved({**commands, "baseline": base_cmd}, args.repeat, env, seen)
        first: dict[str, float] = {}
        peak: dict[str, float] = {}
        if not args.quick:
            # content no extadmin command has seen (copied in, edited by hand): checked in full
            first = interleaved(commands, args.repeat, env, unseen)
            for label, cmd in commands.items():
                unseen()
                peak[label] = peak_rss_kib(cmd, env) / 1024
        base = best["baseline"]
        row = f"{size:>7} {fmt:<4} {shape:<10} {name:<30} {mib:>5.1f} {base:>7.3f}s"
        for label in commands:
            row += f" | {best[label]:>14.3f}s {best[label] / base:>4.2f}x"
            if label in first:
                row += f" {first[label]:>6.3f}s {first[label] / base:>4.2f}x"
                row += f" {peak[label]:>5.0f} {peak[label] / mib:>4.1f}x"
            else:
                row += f" {'-':>7} {'-':>5} {'-':>5} {'-':>5}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
