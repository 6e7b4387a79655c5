"""Offboarding: `extadmin platform apply --allow-offboard --yes` of 500 and 5,000 users
offboarded with `bulk-unassign` (lines kept), against the fake platform of
tests/fake_platform.py at the platform's default rate limits (Light 50, Medium 40, Heavy 10,
Auth 5 requests a 60 s window), time scaled down, reported in platform minutes; beside it, the
deprecated one-by-one route's count for the same work.

    python benchmarks/platform_offboard.py [--sizes 500,5000] [--scale 120]

Time, as in benchmarks/platform_apply.py: the fake keeps the default counts, but its windows
last 60/SCALE seconds (X-Rate-Limit-Window sent as that decimal). For an apply of R real
seconds:
- scaled = R * SCALE / 60 platform minutes: the whole run taken as platform time, local CPU
  counted SCALE/60 times over (an upper bound, very conservative);
- apply = R / 60 + H, H = ceil(k / L) - 1 for the group of the deletes (Heavy: k requests, L
  10 a minute): the run counted once at its real length, plus one full platform minute for
  each window the deletes must wait for (the first L go at once). The other groups' windows
  (the reads before each request) pass while the deletes wait; the client's own waits are in
  R, scaled. The target is checked on this figure.

For each size: a fresh fake with SIZE Enabled users (and 20 more that stay); a fresh account
file connected and pulled, then `extadmin bulk-unassign --file` of the SIZE users (untimed,
with XDG folders of its own). After one window of rest, `platform apply --allow-offboard
--yes` is timed; the fake must then hold no leaver, each line back as an Unassigned extension
with its number and phone number, and the next plan must be empty.

Printed per size: the apply's requests per rate-limit group (the fake's routes), the 429
answers (target 0), R, H, apply and scaled platform minutes; and the one-by-one route for the
same work (the deprecated v1 deleteExtension, Medium: SIZE requests, SIZE / 40 minutes).

Exit 1 on any 429, any violation seen by the fake, a leaver not offboarded, or if 5,000
offboardings take 10 platform minutes or more.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))  # tests.fake_platform

from _timing import EXTADMIN, SAME_STATE, run_time  # noqa: E402
from tests.fake_platform import DEFAULT_LIMITS, ROUTES, FakePlatform, scaled_limits, serve  # noqa: E402

TARGET_USERS, TARGET_MINUTES = 5000, 10.0
FIRST_NUMBER, STAYING = 40000, 20
DELETE = "/restapi/v2/accounts/~/extensions"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000")
    parser.add_argument("--scale", type=float, default=120.0)
    args = parser.parse_args()
    limits, said = scaled_limits(args.scale)
    print(f"{said}; {SAME_STATE}")
    work = Path(tempfile.mkdtemp(prefix="extadmin-offboard-"))
    failed: list[str] = []
    print(
        f"{'size':>5} {'Auth':>4} {'Light':>5} {'Medium':>6} {'Heavy':>5} {'429':>3} {'R s':>6}"
        f" {'H':>3} {'apply min':>9} {'scaled min':>10} {'1-by-1 req':>10} {'1-by-1 min':>10}"
        f" {'ratio':>6}"
    )
    try:
        for size in map(int, args.sizes.split(",")):
            with serve(limits=limits, decimal_window=True) as fake:
                bench(fake, size, args.scale, 60.0 / args.scale, work / str(size), failed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for why in failed:
        print(f"FAIL: {why}", file=sys.stderr)
    if failed:
        raise SystemExit(1)


def bench(
    fake: FakePlatform, size: int, scale: float, window: float, run: Path, failed: list[str]
) -> None:
    numbers = [str(FIRST_NUMBER + i) for i in range(size + STAYING)]
    fake._populating = True  # the numbers and addresses below are unique: not checked each time
    ids = {
        n: fake.add_extension(n, first_name=f"U{n}", last_name="Leaver", email=f"u{n}@acme.example")
        for n in numbers
    }
    fake._populating = False
    lines = {n: fake.lines[i] for n, i in ids.items()}
    run.mkdir(parents=True)
    (run / "client-secret").write_text(fake.client_secret)
    (run / "jwt").write_text(fake.jwt)
    env = {
        "XDG_CONFIG_HOME": str(run / "config"),
        "XDG_DATA_HOME": str(run / "data"),
        "XDG_CACHE_HOME": str(run / "cache"),
        "RINGCENTRAL_CLIENT_SECRET": "",
        "RINGCENTRAL_JWT": "",
    }
    acct = ["--account", str(run / "acct.json")]
    run_time(
        [*EXTADMIN, *acct, "platform", "connect", "--server", fake.url, "--client-id",
         fake.client_id, "--client-secret-file", str(run / "client-secret"), "--jwt-file",
         str(run / "jwt")], env,
    )  # fmt: skip
    run_time([*EXTADMIN, *acct, "platform", "pull"], env)
    leavers = run / "leavers.csv"
    leavers.write_text("extension\n" + "\n".join(numbers[:size]) + "\n")
    run_time([*EXTADMIN, *acct, "bulk-unassign", "--file", str(leavers), "--yes"], env)
    time.sleep(window * 1.1)  # every group fresh, on the fake and in the saved state

    mark = len(fake.requests)
    seconds = run_time([*EXTADMIN, *acct, "platform", "apply", "--allow-offboard", "--yes"], env)
    sent = fake.requests[mark:]
    groups: Counter[str] = Counter()
    for rec in sent:
        route = next(e for e in ROUTES if e.method == rec.method and _matches(e.path, rec.path))
        groups[route.group] += 1
    too_many = sum(1 for r in sent if r.status == 429)
    deletes = sum(1 for r in sent if r.method == "DELETE")
    waits = max(0, math.ceil(deletes / DEFAULT_LIMITS["Heavy"][0]) - 1)
    minutes = seconds / 60 + waits
    one_by_one = size / DEFAULT_LIMITS["Medium"][0]
    print(
        f"{size:>5} {groups['Auth']:>4} {groups['Light']:>5} {groups['Medium']:>6}"
        f" {groups['Heavy']:>5} {too_many:>3} {seconds:>6.1f} {waits:>3} {minutes:>9.2f}"
        f" {seconds * scale / 60:>10.1f} {size:>10} {one_by_one:>10.1f}"
        f" {one_by_one / minutes:>5.1f}x",
        flush=True,
    )
    by_number = {e.get("extensionNumber"): e for e in fake.extensions.values()}
    wrong = [
        n
        for n in numbers[:size]
        if by_number[n]["status"] != "Unassigned" or fake.lines[by_number[n]["id"]] != lines[n]
    ]
    staying = [n for n in numbers[size:] if by_number[n]["id"] != ids[n]]
    if wrong or staying or len(fake.deleted) != size or fake.deleted_again:
        failed.append(f"{size}: not as asked: {wrong[:3]} {staying[:3]} {fake.deleted_again[:3]}")
    plan = subprocess.run(
        [*EXTADMIN, *acct, "platform", "plan", "--format", "json"],
        capture_output=True, env={**os.environ, **env}, check=True, text=True,
    )  # fmt: skip
    if json.loads(plan.stdout)["changes"]:
        failed.append(f"{size}: the plan after the apply is not empty")
    if too_many:
        failed.append(f"{size}: {too_many} answers 429")
    if fake.violations:
        failed.append(f"{size}: the fake saw violations: {fake.violations[:3]}")
    if size <= TARGET_USERS and minutes >= TARGET_MINUTES:
        failed.append(f"{size} offboardings took {minutes:.2f} platform minutes")


def _matches(template: str, path: str) -> bool:
    account = r"/restapi/v1\.0/account/(?:~|[0-9]+)"
    v2 = r"/restapi/v2/accounts/(?:~|[0-9]+)"
    pattern = template.replace("{acct}", account).replace("{acct2}", v2)
    return re.fullmatch(pattern, path) is not None


if __name__ == "__main__":
    main()
