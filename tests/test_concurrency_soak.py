"""Soak: hundreds of mixed changes from 8 concurrent command streams on one account.

Each of 8 workers runs its own planned sequence of real `python -m extadmin` processes, one
after another (8 at a time overall): `extension add` of fresh numbers, `assign --setup
later|invite`, `set-recording`, `unassign --yes` and `bulk-assign` of small CSV files. Every
worker owns a disjoint range of extension numbers and unique emails, so every command must
succeed. Afterwards the account file must hold exactly the state the plans imply (no lost
update), the audit log exactly one entry per change (none missing, none doubled, per extension
in the order its worker made them), the outbox one welcome email per invited user still
assigned, and no temporary file may be left behind.

The workers are threads in the test process: each only waits on its own child processes, so
the concurrency under test is that of the 8 extadmin processes. About 0.3 s of CPU per command:
roughly 40 s on 2 idle cores, 80 s on a busy machine. Only a JSON account is soaked, to keep
the time down (a TOML soak took as long again; test_concurrency covers both formats).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from extadmin.storage.store import AccountStore

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WORKERS = 8
COMMANDS_PER_WORKER = 28  # 224 commands in all
DIRECTIONS = ("off", "inbound", "outbound", "both")
# (command, action, extension, recording-or-None): what one successful change writes in the log
AuditKey = tuple[str, str, str, str | None]


@dataclass
class User:
    first_name: str
    last_name: str
    email: str
    setup: str
    recording: str = "off"


@dataclass
class Step:
    args: list[str]
    audit: list[AuditKey]
    csv: str | None = None  # bulk-assign: the CSV file's text (written before running)


@dataclass
class Plan:
    """One worker's sequence of commands, and the state of its extensions after all of them."""

    worker: int
    steps: list[Step] = field(default_factory=list)
    extensions: dict[str, User | None] = field(default_factory=dict)


def make_plan(worker: int, commands: int) -> Plan:
    """A random but reproducible sequence in which every command is valid when it runs (the
    worker's extensions are touched by nobody else)."""
    rng = random.Random(1000 + worker)
    plan = Plan(worker)
    exts = plan.extensions
    next_number = 3000 + 100 * worker  # 3000-3099, 3100-3199, …: four digits, none reserved
    people = 0

    def person(setup: str) -> User:
        nonlocal people
        people += 1
        first, last = f"Soak{worker}", f"Person{people}"
        return User(first, last, f"w{worker}.p{people}@example.com", setup)

    def add(count: int) -> None:
        nonlocal next_number
        numbers = [str(n) for n in range(next_number, next_number + count)]
        next_number += count
        arg = numbers[0] if count == 1 else f"{numbers[0]}-{numbers[-1]}"
        plan.steps.append(
            Step(
                ["extension", "add", arg],
                [("extension add", "extension add", n, None) for n in numbers],
            )
        )
        exts.update(dict.fromkeys(numbers))

    add(5)
    while len(plan.steps) < commands:
        free = [n for n, u in exts.items() if u is None]
        taken = [n for n, u in exts.items() if u is not None]
        choices = ["add"] * 2
        if free:
            choices += ["assign"] * 4
        if len(free) >= 2:
            choices += ["bulk"] * 2
        if taken:
            choices += ["record"] * 4 + ["unassign"] * 2
        kind = rng.choice(choices)
        if kind == "add":
            add(rng.randint(1, 3))
        elif kind == "assign":
            number = rng.choice(free)
            user = person(rng.choice(("later", "invite")))
            args = ["assign", number, "--setup", user.setup, "--no-input"]
            args += ["--first-name", user.first_name, "--last-name", user.last_name]
            args += ["--email", user.email]
            if rng.random() < 0.3:
                user.recording = rng.choice(DIRECTIONS)
                args += ["--recording", user.recording]
            exts[number] = user
            plan.steps.append(Step(args, [("assign", "assign", number, None)]))
        elif kind == "bulk":
            numbers = rng.sample(free, min(len(free), rng.randint(2, 3)))
            lines = ["Extension,Setup,First Name,Last Name,Email,Recording"]
            audit: list[AuditKey] = []
            for number in numbers:
                user = person(rng.choice(("later", "invite")))
                user.recording = rng.choice(DIRECTIONS)
                exts[number] = user
                lines.append(
                    f"{number},{user.setup},{user.first_name},{user.last_name},"
                    f"{user.email},{user.recording}"
                )
                audit.append(("bulk-assign", "assign", number, None))
            plan.steps.append(Step(["bulk-assign"], audit, csv="\n".join(lines) + "\n"))
        elif kind == "record":
            numbers = rng.sample(taken, min(len(taken), rng.randint(1, 2)))
            direction = rng.choice(DIRECTIONS)
            audit = []
            for number in numbers:
                user = exts[number]
                assert user is not None
                if user.recording != direction:  # an unchanged one is no change: no entry
                    audit.append(("set-recording", "set-recording", number, direction))
                    user.recording = direction
            plan.steps.append(Step(["set-recording", *numbers, "--direction", direction], audit))
        else:
            number = rng.choice(taken)
            exts[number] = None
            plan.steps.append(
                Step(["unassign", number, "--yes"], [("unassign", "unassign", number, None)])
            )
    return plan


@dataclass
class Outcome:
    worker: int
    index: int
    args: list[str]
    code: int
    err: str
    seconds: float


def drive(plan: Plan, account: Path, folder: Path, env: dict[str, str]) -> list[Outcome]:
    """Run the worker's commands one after another, each as its own process."""
    outcomes = []
    for index, step in enumerate(plan.steps):
        args = list(step.args)
        if step.csv is not None:
            csv_path = folder / f"bulk-w{plan.worker}-{index}.csv"
            csv_path.write_text(step.csv, encoding="utf-8")
            args.append(str(csv_path))
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "extadmin", "--account", str(account), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        seconds = time.monotonic() - started
        outcomes.append(Outcome(plan.worker, index, args, proc.returncode, proc.stderr, seconds))
    return outcomes


def audit_key(entry: dict[str, Any]) -> AuditKey:
    recording = (
        entry.get("changes", {}).get("recording") if entry["action"] == "set-recording" else None
    )
    return (entry["command"], entry["action"], entry.get("extension", ""), recording)


def test_soak_mixed_commands_from_8_workers(run, tmp_path: Path) -> None:
    account = tmp_path / "soak.json"
    result = run("init", account, "--name", "Soak")
    assert result.code == 0, result.err
    plans = [make_plan(w, COMMANDS_PER_WORKER) for w in range(WORKERS)]
    env = {**os.environ, "EXTADMIN_LOCK_TIMEOUT": "60"}
    env.pop("EXTADMIN_ACCOUNT", None)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(drive, p, account, tmp_path, env) for p in plans]
        outcomes = [o for f in futures for o in f.result()]
    elapsed = time.monotonic() - started
    print(f"{len(outcomes)} commands from {WORKERS} workers in {elapsed:.1f} s")
    by_command: dict[str, list[float]] = {}
    for o in outcomes:
        by_command.setdefault(o.args[0], []).append(o.seconds)
    for command, times in sorted(by_command.items()):
        print(f"  {command}: {len(times)} runs, mean {sum(times) / len(times):.2f} s")

    # every command succeeded
    failures = [
        f"worker {o.worker} step {o.index}: extadmin {' '.join(o.args)} -> {o.code}\n{o.err}"
        for o in outcomes
        if o.code != 0
    ]
    assert not failures, f"{len(failures)} of {len(outcomes)} commands failed:\n" + "\n".join(
        failures[:20]
    )

    # the file is valid and holds exactly the planned state: no update was lost
    state = AccountStore(account).read()
    actual = {}
    for ext in state.extensions:
        user = ext.get("user")
        actual[ext["number"]] = (
            ext["status"],
            None
            if user is None
            else (
                user["first_name"],
                user["last_name"],
                user["email"],
                user["setup"],
                user["recording"],
            ),
        )
    expected = {}
    for plan in plans:
        for number, user in plan.extensions.items():
            expected[number] = (
                "unassigned" if user is None else "not-activated",
                None
                if user is None
                else (user.first_name, user.last_name, user.email, user.setup, user.recording),
            )
    assert len(state.extensions) == len(actual)  # no number twice
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    assert not missing and not extra, f"missing {missing}, unexpected {extra}"
    wrong = {n: (actual[n], expected[n]) for n in expected if actual[n] != expected[n]}
    assert not wrong, f"extensions differ from the plan (actual, expected): {wrong}"

    # the audit log: exactly one entry per change, in each extension's order
    log = account.with_name(f"{account.stem}.audit.jsonl")
    entries = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert entries[0]["action"] == "init"
    got = [audit_key(e) for e in entries[1:]]
    want = [key for plan in plans for step in plan.steps for key in step.audit]
    counted_got, counted_want = Counter(got), Counter(want)
    assert counted_got == counted_want, (
        f"duplicated or unexpected entries: {counted_got - counted_want}; "
        f"missing entries: {counted_want - counted_got}"
    )
    for plan in plans:  # a worker's changes are sequential: the log keeps their order
        mine = set(plan.extensions)
        assert [k for k in got if k[2] in mine] == [k for step in plan.steps for k in step.audit], (
            f"worker {plan.worker}: audit entries out of order"
        )

    # one queued welcome email per invited user still assigned (unassign drops the others)
    outbox = account.with_name(f"{account.stem}.outbox")
    queued = Counter(p.name.split("-")[1] for p in outbox.glob("*.eml"))
    invited = Counter(
        number
        for plan in plans
        for number, user in plan.extensions.items()
        if user is not None and user.setup == "invite"
    )
    assert queued == invited

    # no temporary file was left behind
    assert not list(tmp_path.rglob("*.tmp"))
