"""Platform apply: `extadmin platform apply --yes` of 500 and 5,000 assignments against the fake
platform of tests/fake_platform.py, with the platform's default rate limits (Light 50, Medium
40, Heavy 10, Auth 5 requests a 60 s window) and time scaled down, reported in platform
minutes; beside it, the one-by-one route's count for the same work.

    python benchmarks/platform_apply.py [--sizes 500,5000] [--kinds invite,credentials]
                                        [--scale 120] [--real-hashes]

Time: the fake keeps the default counts, but its windows last 60/SCALE seconds (and it sends
X-Rate-Limit-Window as that decimal), so that a run which waits out 125 windows takes minutes,
not hours. Two figures for an apply of R real seconds:
- scaled = R * SCALE / 60 platform minutes: the apply's whole time taken as scaled, local CPU
  time (extadmin's and the fake's, some 15 seconds for 5,000 users) counted as platform time
  too, and so counted SCALE/60 times over: an upper bound, very conservative (at SCALE 120 a
  second of CPU counts two minutes, and the figure grows with SCALE);
- apply = R / 60 + W, W = the sum over the groups of floor(k / L) (k: the apply's requests in
  the group, L: its limit a minute): the whole run counted once at its real length (local CPU,
  I/O, the client's sleeps between task polls, the scaled waits), plus one full platform
  minute each time a group can have run out. The client waits only when a group's Remaining
  reaches 0, which happens at most once every L requests of it, and then for one window at
  most; so W bounds the waits on the platform, whatever the local speed (with time scaled
  down, local CPU spreads the requests over many short windows and would hide waits that
  60 s windows impose). The fake's processing stands in for the platform's. The target is
  checked on this figure; it does not depend on SCALE.

For each size and kind: a fresh fake with SIZE Unassigned extensions and two custom roles (for
credentials, it offers the credentials API, and the file is connected with --credentials-api:
the security questions are set only so); a fresh account file connected and pulled, then
`extadmin bulk-assign` (setup invite, or credentials) with a third each of the roles (empty
cell: the default role, Team Lead, Night Shift) and of the recording (off, inbound, both) - all
untimed, with XDG config, data and cache folders of its own (extadmin keeps its rate-limit
state there). After one window of rest (the apply starts with every group fresh, as it would
long after the pull), `platform apply --yes` is timed (credentials: with --secrets-file), and
the fake must then hold every user NotActivated (invite) or Enabled (credentials), with the
role and recording asked for.

Printed per row: the apply's requests per rate-limit group (the fake's routes), the 429
answers (must be 0), the apply's time, and the one-by-one route for the same work:
    one-by-one requests = n + r + q + 1, platform minutes = (n + r + q) / 40
(n PUT .../extension/{id}, r PUT .../assigned-role, one for each user given a role other than
the default, and q PUT .../credentials, one for each credentials user's security question,
all Medium at 40 a minute, and one call-recording bulk-assign, Heavy; n, r and q counted from
the apply's bulk-update records, role bulk-assign ids and security-question requests; the
list reads, the same on both routes, are left out of both); ratio = one-by-one minutes / apply
minutes. The security questions (q, the same on both routes) are also reported apart: their
count and platform minutes at the Medium limit (q / 40).

Client CPU: the apply's CPU time (its process and the processes it starts: user and system,
from the kernel's accounting of children) against a replay of the same requests and answers:
a plain httpx program (cycle collector off, os._exit at the end, as extadmin) that sends the
apply's requests again, the same methods, paths, queries and bodies in the same order, to a
fresh fake set up as the first one was, parses every answer's JSON and checks that its status
is the one the apply got (exit 1 if not). It takes the new token and bulk tasks' ids from the
answers, and waits a window when an answer says its group has no request left
(X-Rate-Limit-Remaining 0); that is all it does.

Secrets: a credentials user's password, PIN and answer are stored as scrypt hashes at OWASP's
parameters (extadmin.domain.hashing: 128 MiB, some half a second of one core each): three a
row in bulk-assign, and apply checks the three of each user against --secrets-file (both
spread over the cores). That is local CPU, unrelated to the platform; so bulk-assign here
stores cheap scrypt hashes (n=16, r=1: the hash records its parameters and apply checks it as
any other), and the real cost of the credentials rows is measured (one scrypt at the real
parameters, on this machine) and printed apart: CPU minutes, and real minutes over the cores.
--real-hashes keeps the real parameters (slow: the hashing and the checks are then in the
times).

Exit 1 on any 429, any violation seen by the fake, a user not as wanted, or if 5,000 (or
fewer) invited users take 10 platform minutes or more.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))  # tests.fake_platform

from _timing import EXTADMIN, SAME_STATE, run_time  # noqa: E402
from tests.fake_platform import (  # noqa: E402
    DEFAULT_LIMITS,
    ROUTES,
    FakePlatform,
    Recorded,
    scaled_limits,
    serve,
)

GROUPS = ("Auth", "Light", "Medium", "Heavy")
MEDIUM_PER_MINUTE = DEFAULT_LIMITS["Medium"][0]  # 40
TARGET_USERS, TARGET_MINUTES = 5000, 10.0  # invited users, platform minutes
FIRST_NUMBER = 30000  # extensions 30000...: the PIN below contains none
ROLES = ("", "Team Lead", "Night Shift")  # "": the default role
RECORDING = ("off", "inbound", "both")
DIRECTION = {"off": None, "inbound": "Inbound", "both": "All"}
PASSWORD, PIN, QUESTION, ANSWER = "Zebra7!Quix", "5820417396", "1", "fluffy the cat"
SECRETS = {"password", "ivrPin", "secretQuestion"}  # what the fake holds of a credentials user
ACCOUNT = r"/restapi/v1\.0/account/(~|[0-9]+)"
BULK_UPDATE = re.compile(ACCOUNT + r"/extension-bulk-update")
ROLE_BULK = re.compile(ACCOUNT + r"/user-role/([\w-]+)/bulk-assign")
PUT_ONE = re.compile(ACCOUNT + r"/extension/[0-9]+")  # fewer than 5 updates: one PUT each
ROLE_ONE = re.compile(ACCOUNT + r"/extension/[0-9]+/assigned-role")  # a role for one user
QUESTION_PUT = re.compile(ACCOUNT + r"/extension/[0-9]+/credentials")

# bulk-assign with cheap scrypt hashes (see the docstring): the process pool's workers are
# forked, so they hash with the patched function too
CHEAP = """
import functools, sys
from extadmin.domain import hashing
hashing.hash_secret = functools.partial(hashing.hash_secret, n=16, r=1, p=1)
from extadmin.cli import main
main(sys.argv[1:])
"""
REPLAY = """
import gc
gc.disable()  # as extadmin
import json, os, sys, time
import httpx

server, client_id, secret, requests_file, *old_tasks = sys.argv[1:]
with open(requests_file) as handle:
    sent = json.load(handle)
client = httpx.Client(base_url=server, timeout=60.0, headers={"Accept": "application/json"})
tasks, token = {}, ""
for method, target, kind, body, status in sent:
    for old, new in tasks.items():
        target = target.replace(old, new)
    login = target.startswith("/restapi/oauth/")
    if target == "/restapi/oauth/revoke":
        body = {"token": token}
    answer = client.request(
        method,
        target,
        json=body if kind == "json" else None,
        data=body if kind == "form" else None,
        auth=(client_id, secret) if login else None,
        headers=None if login else {"Authorization": "Bearer " + token},
    )
    got = answer.json() if answer.content else None
    if answer.headers.get("x-rate-limit-remaining") == "0":  # its group spent: wait a window
        time.sleep(float(answer.headers["x-rate-limit-window"]))
    if answer.status_code != status:
        sys.exit(f"{method} {target}: {answer.status_code}, the apply got {status}")
    if target == "/restapi/oauth/token":
        token = got["access_token"]
    elif method == "POST" and target.endswith("/extension-bulk-update"):
        tasks[old_tasks[len(tasks)]] = got["id"]
os._exit(0)  # without freeing, as extadmin
"""
SCRYPT_CHECK = """
import sys, time
from extadmin.domain.hashing import hash_secret, verify_secret
stored, n = hash_secret("Zebra7!Quix"), int(sys.argv[1])
start = time.perf_counter()
for _ in range(n):
    verify_secret("Zebra7!Quix", stored)
print((time.perf_counter() - start) / n)
"""


@dataclass
class Row:
    size: int
    kind: str
    groups: Counter[str] = field(default_factory=Counter)  # the apply's requests by group
    too_many: int = 0  # 429 answers
    seconds: float = 0.0  # R: the apply's wall time
    users: int = 0  # n: records in bulk updates (and PUTs of one extension)
    role_users: int = 0  # r: extension ids in role bulk-assigns (and PUTs of one role)
    questions: int = 0  # q: PUT .../credentials
    question_groups: set[str] = field(default_factory=set)
    setup: float = 0.0  # seconds to populate, connect, pull, bulk-assign (untimed)
    cpu: float = 0.0  # the apply's CPU seconds (its process and its children)
    replay_cpu: float = 0.0  # the replay's

    def scaled(self, scale: float) -> float:
        return self.seconds * scale / 60

    @property
    def windows(self) -> int:
        """W: how many times a group can have run out (one window of waiting each, at most)."""
        return sum(self.groups[g] // DEFAULT_LIMITS[g][0] for g in self.groups)

    @property
    def minutes(self) -> float:
        return self.seconds / 60 + self.windows

    @property
    def one_by_one(self) -> int:
        return self.users + self.role_users + self.questions + 1

    @property
    def one_by_one_minutes(self) -> float:
        return (self.users + self.role_users + self.questions) / MEDIUM_PER_MINUTE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000")
    parser.add_argument("--kinds", default="invite,credentials")
    parser.add_argument(
        "--scale", type=float, default=120.0, help="platform seconds a real second (default 120)"
    )
    parser.add_argument("--real-hashes", action="store_true")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if set(kinds) - {"invite", "credentials"}:
        parser.error("--kinds: invite, credentials")
    limits, said = scaled_limits(args.scale)
    print(f"{said}, one platform minute = {60.0 / args.scale:g} real s; {SAME_STATE}")
    work = Path(tempfile.mkdtemp(prefix="extadmin-apply-"))
    failed: list[str] = []
    rows: list[Row] = []
    try:
        for size in map(int, args.sizes.split(",")):
            for kind in kinds:
                with serve(limits=limits, decimal_window=True) as fake:
                    row = bench(fake, size, kind, limits, args.real_hashes, work, failed)
                rows.append(row)
                print(
                    f"  {size} {kind}: apply {row.seconds:.1f} real s "
                    f"(setup, untimed: {row.setup:.1f} s)",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    check = scrypt_check() if "credentials" in kinds else 0.0
    report(rows, args.scale, check, args.real_hashes, failed)
    for why in failed:
        print(f"FAIL: {why}", file=sys.stderr)
    if failed:
        raise SystemExit(1)


def bench(
    fake: FakePlatform,
    size: int,
    kind: str,
    limits: dict[str, tuple[int, float]],
    real_hashes: bool,
    work: Path,
    failed: list[str],
) -> Row:
    """One size and kind: populate, connect, pull, bulk-assign (untimed), then the apply, and
    its replay."""
    start = time.perf_counter()
    roles, numbers = set_up(fake, size, kind)
    run = work / f"{size}-{kind}"
    run.mkdir()
    (run / "client-secret").write_text(fake.client_secret)
    (run / "jwt").write_text(fake.jwt)
    env = {
        "XDG_CONFIG_HOME": str(run / "config"),
        "XDG_DATA_HOME": str(run / "data"),
        "XDG_CACHE_HOME": str(run / "cache"),
        "RINGCENTRAL_CLIENT_SECRET": "",  # only the secrets that connect keeps
        "RINGCENTRAL_JWT": "",
    }
    acct = ["--account", str(run / "acct.json")]
    connect = [
        *acct, "platform", "connect", "--server", fake.url, "--client-id", fake.client_id,
        "--client-secret-file", str(run / "client-secret"), "--jwt-file", str(run / "jwt"),
        *(["--credentials-api"] if kind == "credentials" else []),
    ]  # fmt: skip
    run_time([*EXTADMIN, *connect], env)
    run_time([*EXTADMIN, *acct, "platform", "pull"], env)
    hires = write_hires(run / "hires.csv", numbers, kind)
    assign = [*acct, "bulk-assign", str(hires), "--setup", kind]
    run_time([*EXTADMIN, *assign] if real_hashes else [sys.executable, "-c", CHEAP, *assign], env)
    apply = [*EXTADMIN, *acct, "platform", "apply", "--yes"]
    if kind == "credentials":
        apply += ["--secrets-file", str(write_secrets(run / "secrets.csv", numbers))]
    row = Row(size, kind, setup=time.perf_counter() - start)
    time.sleep(limits["Light"][1] * 1.1)  # every group fresh, on the fake and in the saved state

    mark, cpu = len(fake.requests), children_cpu()
    row.seconds = run_time(apply, env)
    row.cpu = children_cpu() - cpu
    sent = fake.requests[mark:]
    count(fake, sent, row)
    check_users(fake, numbers, kind, roles, row, failed)
    row.replay_cpu = replay(sent, list(fake.tasks), limits, size, kind, run, failed)
    if fake.violations:
        failed.append(f"{size} {kind}: the fake saw violations: {fake.violations[:3]}")
    if row.too_many:
        failed.append(f"{size} {kind}: {row.too_many} answers 429")
    return row


def set_up(fake: FakePlatform, size: int, kind: str) -> tuple[dict[str, str], list[str]]:
    """The custom roles and SIZE Unassigned extensions: the same ids on every fake; for
    credentials, the app has the credentials API (beyond the published definition: the
    security questions are set)."""
    if kind == "credentials":
        fake.offer_credentials_api()
    roles = {name: fake.add_role(name) for name in ROLES if name}
    numbers = [str(FIRST_NUMBER + i) for i in range(size)]
    for number in numbers:
        fake.add_extension(number, status="Unassigned")
    return roles, numbers


def children_cpu() -> float:
    """CPU seconds (user and system) of this process's children that have ended, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def replay(
    sent: Sequence[Recorded],
    tasks: list[str],
    limits: dict[str, tuple[int, float]],
    size: int,
    kind: str,
    run: Path,
    failed: list[str],
) -> float:
    """CPU seconds of REPLAY sending `sent` again to a fresh fake set up as the apply's was
    (`tasks`: the bulk tasks' ids, in the order the apply made them)."""
    kinds = {"application/json": "json", "application/x-www-form-urlencoded": "form"}
    requests = [
        [
            r.method,
            r.path + (f"?{r.raw_query}" if r.raw_query else ""),
            kinds.get(r.headers.get("content-type", "").split(";")[0]),
            r.body,
            r.status,
        ]
        for r in sent
    ]
    (run / "requests.json").write_text(json.dumps(requests))
    with serve(limits=limits, decimal_window=True) as twin:
        set_up(twin, size, kind)
        cpu = children_cpu()
        run_time(
            [sys.executable, "-c", REPLAY, twin.url, twin.client_id, twin.client_secret,
             str(run / "requests.json"), *tasks]
        )  # fmt: skip
        cpu = children_cpu() - cpu
    if twin.violations:
        failed.append(f"{size}: the replay's fake saw violations: {twin.violations[:3]}")
    return cpu


def count(fake: FakePlatform, sent: Sequence[Recorded], row: Row) -> None:
    """The apply's requests by group, its 429 answers, and n, r, q."""
    acct = rf"/restapi/v1\.0/account/(?:~|{re.escape(fake.account_id)})"
    routes = [(e.method, re.compile(e.path.replace("{acct}", acct)), e.group) for e in ROUTES]
    for request in sent:
        method, path = request.method, request.path
        # the fake answers a request that matches no route in Light (and counts a violation)
        group = next((g for m, p, g in routes if m == method and p.fullmatch(path)), "Light")
        row.groups[group] += 1
        row.too_many += request.status == 429
        if method == "POST" and BULK_UPDATE.fullmatch(path):
            row.users += len(request.body["records"])
        elif method == "POST" and ROLE_BULK.fullmatch(path):
            row.role_users += len(request.body["addedExtensionIds"])
        elif method == "PUT" and PUT_ONE.fullmatch(path):
            row.users += 1
        elif method == "PUT" and ROLE_ONE.fullmatch(path):
            row.role_users += 1
        elif method == "PUT" and QUESTION_PUT.fullmatch(path):
            row.questions += 1
            row.question_groups.add(group)


def write_hires(path: Path, numbers: Sequence[str], kind: str) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        header = ["extension", "first_name", "last_name", "email", "role", "recording"]
        if kind == "credentials":
            header += ["password", "pin", "security_question", "security_answer"]
        writer.writerow(header)
        for i, number in enumerate(numbers):
            row = [number, f"User{i}", "Hire", f"user{number}@acme.example", ROLES[i % 3]]
            row.append(RECORDING[i % 3])
            if kind == "credentials":
                row += [PASSWORD, PIN, QUESTION, ANSWER]
            writer.writerow(row)
    return path


def write_secrets(path: Path, numbers: Sequence[str]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["extension", "password", "pin", "security_answer"])
        writer.writerows([number, PASSWORD, PIN, ANSWER] for number in numbers)
    path.chmod(0o600)
    return path


def check_users(
    fake: FakePlatform,
    numbers: Sequence[str],
    kind: str,
    roles: dict[str, str],
    row: Row,
    failed: list[str],
) -> None:
    """Every user as bulk-assign wanted it, on the fake, and n, r, q as expected."""
    status = "NotActivated" if kind == "invite" else "Enabled"
    by_number = {e.get("extensionNumber"): e for e in fake.extensions.values()}
    wrong: list[str] = []
    for i, number in enumerate(numbers):
        ext = by_number[number]
        role = roles.get(ROLES[i % 3], fake.default_role_id)
        if (
            ext["status"] != status
            or ext["contact"].get("email") != f"user{number}@acme.example"
            or [r["id"] for r in ext.get("roles", [])] != [role]
            or fake.recording.get(ext["id"]) != DIRECTION[RECORDING[i % 3]]
            or (kind == "credentials" and set(fake.credentials.get(ext["id"], {})) != SECRETS)
        ):
            wrong.append(number)
    if wrong:
        failed.append(
            f"{row.size} {kind}: {len(wrong)} users not {status} with their role, recording"
            f"{' and credentials' if kind == 'credentials' else ''}: {wrong[:5]}"
        )
    invited = len(fake.welcome_emails)
    if invited != (len(numbers) if kind == "invite" else 0):
        failed.append(f"{row.size} {kind}: {invited} welcome emails for {len(numbers)} users")
    expected = (
        len(numbers),
        sum(1 for i in range(len(numbers)) if ROLES[i % 3]),
        len(numbers) if kind == "credentials" else 0,
    )
    if (row.users, row.role_users, row.questions) != expected:
        failed.append(
            f"{row.size} {kind}: n, r, q = {row.users}, {row.role_users}, {row.questions} "
            f"(expected {expected})"
        )


def scrypt_check(repeat: int = 20) -> float:
    """Seconds one scrypt check takes at extadmin's parameters, on this machine."""
    proc = subprocess.run(
        [sys.executable, "-c", SCRYPT_CHECK, str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(proc.stdout)


def report(
    rows: list[Row], scale: float, check: float, real_hashes: bool, failed: list[str]
) -> None:
    limits = ", ".join(f"{g} {DEFAULT_LIMITS[g][0]}" for g in GROUPS)
    print()
    print(
        f"requests: the apply's, by rate-limit group (the fake's routes); R: its real seconds; "
        f"W: sum over the groups of floor(requests / limit) ({limits} a minute): the most "
        f"windows the client can wait; apply min = R / 60 + W, local time counted once, as "
        f"platform time too; scaled min = R x {scale:g} / 60 (local CPU counted "
        f"{scale / 60:g} times over); one-by-one: n + r + q + 1 requests (n PUT extension, r "
        "PUT assigned-role, q PUT credentials, all Medium, + 1 recording bulk-assign, Heavy), "
        f"minutes = (n + r + q) / {MEDIUM_PER_MINUTE}; ratio = one-by-one min / apply min"
    )
    print(
        f"{'size':>5} {'kind':<11} {'Auth':>4} {'Light':>5} {'Medium':>6} {'Heavy':>5}"
        f" {'429':>3} {'R':>6} {'W':>4} {'apply min':>9} {'scaled min':>10}"
        f" {'n':>5} {'r':>5} {'q':>5} {'1-by-1 req':>10} {'1-by-1 min':>10} {'ratio':>6}"
    )
    for row in rows:
        print(
            f"{row.size:>5} {row.kind:<11} {row.groups['Auth']:>4} {row.groups['Light']:>5}"
            f" {row.groups['Medium']:>6} {row.groups['Heavy']:>5} {row.too_many:>3}"
            f" {row.seconds:>6.1f} {row.windows:>4} {row.minutes:>9.2f}"
            f" {row.scaled(scale):>10.1f} {row.users:>5} {row.role_users:>5}"
            f" {row.questions:>5} {row.one_by_one:>10} {row.one_by_one_minutes:>10.1f}"
            f" {row.one_by_one_minutes / row.minutes:>5.1f}x"
        )
    credentials = [r for r in rows if r.kind == "credentials"]
    if credentials:
        print()
        print(
            "security questions, apart (credentials users: one PUT .../extension/{id}/"
            f"credentials each, on both routes): q requests, q / {MEDIUM_PER_MINUTE} platform "
            "minutes at the Medium limit"
        )
        invite = {r.size: r for r in rows if r.kind == "invite"}
        for row in credentials:
            group = "/".join(sorted(row.question_groups)) or "-"
            line = (
                f"{row.size:>5} credentials: {row.questions} requests (the fake's group: "
                f"{group}), {row.questions / MEDIUM_PER_MINUTE:.1f} platform minutes"
            )
            if row.size in invite:
                more = row.minutes - invite[row.size].minutes
                line += f"; apply min {more:+.2f} against invite"
            print(line)
    print()
    print(
        "client CPU against a replay of the same requests and answers (user + system, the "
        "process and its children; the replay: the apply's requests sent again, "
        "every answer parsed, by a plain httpx program)"
    )
    for row in rows:
        print(
            f"{row.size:>5} {row.kind:<11} apply {row.cpu:.2f} s CPU, replay "
            f"{row.replay_cpu:.2f} s CPU: {row.cpu / row.replay_cpu:.2f}x"
        )
    cores = os.cpu_count() or 1
    for row in credentials:
        cpu = 3 * row.size * check / 60
        print(
            f"{row.size:>5} credentials rows, the real scrypt cost: one scrypt at extadmin's "
            f"parameters {check * 1000:.0f} ms here; bulk-assign hashes 3 a row: {cpu:.1f} CPU "
            f"minutes ({cpu / cores:.1f} real minutes over {cores} cores); apply checks 3 a "
            f"user: as much again ({'in' if real_hashes else 'not in'} its times above)"
        )
    for row in rows:
        if row.kind != "invite" or row.size > TARGET_USERS:
            continue
        ok = row.minutes < TARGET_MINUTES and not row.too_many
        print(
            f"target: {row.size} invited users in {row.minutes:.2f} platform minutes "
            f"(under {TARGET_MINUTES:g}), {row.too_many} answers 429: {'ok' if ok else 'MISSED'}"
        )
        if row.minutes >= TARGET_MINUTES:
            failed.append(
                f"{row.size} invited users took {row.minutes:.2f} platform minutes "
                f"(target: under {TARGET_MINUTES:g})"
            )


if __name__ == "__main__":
    main()
