"""Start-up: whole `extadmin` processes against a minimal two-command Typer program run the
same way, side by side (interleaved, best of N).

    python benchmarks/startup.py [--repeat 20] [--before SRC]

With --before SRC (the `src` folder of an earlier checkout, such as a git worktree's), that
extadmin runs too, in the same interleaved rounds: a `before` figure beside each.

Targets (issue: speed): `--help` at most 1.15x the minimal program's `--help`, and
`list-unassigned --format json` on the example account at most 1.3x the minimal program's
command that loads the same file with the standard library and prints it as JSON. The minimal
program runs with the cycle collector off and exits without freeing, as extadmin does.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import EXTADMIN, byte_compile, interleaved  # noqa: E402

MINIMAL = '''
import gc
gc.disable()  # as extadmin
import json, os, sys, tomllib
from typing import Annotated
import typer

app = typer.Typer()

@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(f"hello {name}")

@app.command("list-unassigned")
def list_unassigned(path: Annotated[str, typer.Option("--account")]) -> None:
    """Print the unassigned extensions of an account file as JSON."""
    with open(path, "rb") as handle:
        doc = tomllib.load(handle)
    rows = [e for e in doc["extensions"] if e["status"] == "unassigned"]
    print(json.dumps(rows, indent=2))

if __name__ == "__main__":
    try:
        app()
    except SystemExit as done:  # as extadmin: the output flushed, the exit without freeing
        sys.stdout.flush()
        os._exit(done.code or 0)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--before", metavar="SRC", help="an earlier extadmin's src folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="extadmin-startup-"))
    try:
        minimal = work / "minimal.py"
        minimal.write_text(MINIMAL)
        account = work / "acme.toml"
        shutil.copyfile(Path(__file__).parents[1] / "examples" / "acme.toml", account)
        env = {"XDG_CONFIG_HOME": str(work / "c"), "XDG_DATA_HOME": str(work / "d")}
        base = [sys.executable, str(minimal)]
        cases = {
            "--help": ({"extadmin": [*EXTADMIN, "--help"], "minimal": [*base, "--help"]}, 1.15),
            "list-unassigned --format json": (
                {
                    "extadmin": [
                        *EXTADMIN,
                        "--account",
                        str(account),
                        "list-unassigned",
                        "--format",
                        "json",
                    ],
                    "minimal": [*base, "list-unassigned", "--account", str(account)],
                },
                1.3,
            ),
        }
        old = ["env", f"PYTHONPATH={Path(args.before).resolve()}"] if args.before else []
        byte_compile({"extadmin": EXTADMIN, **({"before": [*old, *EXTADMIN]} if old else {})})
        for name, (cmds, target) in cases.items():
            if old:
                cmds["before"] = [*old, *cmds["extadmin"]]
            best = interleaved(cmds, repeat=args.repeat, env=env)
            ratio = best["extadmin"] / best["minimal"]
            verdict = "ok" if ratio <= target else "OVER TARGET"
            before = ""
            if "before" in best:
                b = best["before"]
                before = f"  before {b * 1000:6.1f} ms ({b / best['minimal']:.2f}x)"
            print(
                f"{name:<32} extadmin {best['extadmin'] * 1000:6.1f} ms  minimal "
                f"{best['minimal'] * 1000:6.1f} ms  ratio {ratio:.2f}x "
                f"(target {target}x: {verdict}){before}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
