"""Shared helpers: time whole processes side by side, best of N (the machine is noisy)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

EXTADMIN = [sys.executable, "-m", "extadmin"]


def run_time(
    cmd: Sequence[str], env: dict[str, str] | None = None, setup: Callable[[], None] | None = None
) -> float:
    """Wall time of one process (`setup` runs first, untimed)."""
    if setup is not None:
        setup()
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


def interleaved(
    cmds: dict[str, Sequence[str]],
    repeat: int = 7,
    env: dict[str, str] | None = None,
    setup: Callable[[], None] | None = None,
) -> dict[str, float]:
    """Best time of each command, runs interleaved so that noise hits them alike."""
    best = dict.fromkeys(cmds, float("inf"))
    for _ in range(repeat):
        for name, cmd in cmds.items():
            best[name] = min(best[name], run_time(cmd, env, setup))
    return best


def peak_rss_kib(cmd: Sequence[str], env: dict[str, str] | None = None) -> int:
    """Peak resident memory of a process (the child's ru_maxrss), in KiB."""
    proc = subprocess.Popen(
        list(cmd),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return int(usage.ru_maxrss)
