"""Shared helpers: time whole processes side by side, best of N (the machine is noisy).

Every timed run, baseline and extadmin alike, starts from the same state: its untimed setup,
then `os.sync()` (nothing left dirty by the setup or by the run before, whichever program it
was), then the timer. The page cache is warm: the files were just written by the setup."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

EXTADMIN = [sys.executable, "-m", "extadmin"]
SAME_STATE = (
    "every timed run (baseline and extadmin alike) starts after os.sync(), nothing dirty, with "
    "a warm page cache (its files were just written by the untimed setup)"
)


def run_time(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    setup: Callable[[], None] | None = None,
    sync: bool = True,
) -> float:
    """Wall time of one process (`setup` runs first, untimed, then os.sync(): SAME_STATE;
    sync=False only to show what a measurement without it gave)."""
    if setup is not None:
        setup()
    if sync:
        os.sync()
    start = time.perf_counter()
    proc = subprocess.run(
        list(cmd),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}"
        )
    return elapsed


def byte_compile(programs: dict[str, list[str]]) -> None:
    """Each program's extadmin package byte-compiled, as `pip install` leaves a package: this
    machine may set PYTHONDONTWRITEBYTECODE, and compiling its modules on every run would be
    measured with it."""
    where = "import extadmin, os; print(os.path.dirname(extadmin.__file__))"
    for cmd in programs.values():
        python = cmd[: cmd.index("-m")]  # the program's interpreter and environment
        found = subprocess.run([*python, "-c", where], capture_output=True, text=True, check=True)
        subprocess.run([*python, "-m", "compileall", "-q", found.stdout.strip()], check=True)


def interleaved(
    cmds: dict[str, Sequence[str]],
    repeat: int = 7,
    env: dict[str, str] | None = None,
    setup: Callable[[], None] | None = None,
    sync: bool = True,
) -> dict[str, float]:
    """Best time of each command, runs interleaved so that noise hits them alike."""
    best = dict.fromkeys(cmds, float("inf"))
    for _ in range(repeat):
        for name, cmd in cmds.items():
            best[name] = min(best[name], run_time(cmd, env, setup, sync))
    return best


# Linux counts a process's peak memory from before its exec, and a child forked (or vforked) by
# the benchmark itself would start from the benchmark's own size (hundreds of MiB once it has
# built a large account). So a small Python process starts the command and reports its peak.
_PEAK = """
import os, sys
out = os.open(os.devnull, os.O_WRONLY)
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ,
                      file_actions=[(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, out, 2)])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_kib(cmd: Sequence[str], env: dict[str, str] | None = None) -> int:
    """Peak resident memory of a process (its ru_maxrss), in KiB."""
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    code, kib = map(int, proc.stdout.split())
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code})")
    return kib
