"""platform plan and platform apply: the local changes of a linked file, sent to the platform.

Resumable by construction: every apply starts from the platform's state (read anew), not from
a record of what an earlier apply did. A bulk task an earlier apply left running (its id is
journaled beside the account file before it is polled) is polled to its end first; then each
field is compared three ways (platform.plan), so that what is on the platform already is
never sent again and a change made in the Admin Portal meanwhile is never overwritten. After
sending, the platform is read again, and each extension now as the file wants it gets its
base updated: a second plan is empty."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extadmin.domain import hashing, rules
from extadmin.domain.account import Account
from extadmin.errors import PlatformNotFound
from extadmin.platform import mapping, send
from extadmin.platform import plan as planner
from extadmin.platform import pull as reader
from extadmin.platform.client import Client
from extadmin.platform.plan import Change
from extadmin.services.link import Secrets, link_of, open_session
from extadmin.storage import files
from extadmin.storage.store import AccountStore

# what `apply` is given for a credentials user, by number or id: (password, PIN, answer)
SecretRows = dict[str, tuple[str, str, str]]
Ask = Callable[[str], tuple[str, str, str] | None]


def refresh(client: Client, account: Account) -> dict[str, dict[str, str]]:
    """The platform's User extensions now, as views (1 request per 1,000, and the recording
    list)."""
    records, recording = reader.user_extensions(client), reader.recording_list(client)
    return planner.platform_views(account, records, recording)


@dataclass
class Planned:
    plan: planner.Plan
    requests: list[send.Request]


def plan(store: AccountStore, *, secrets: Secrets | None, offline: bool) -> Planned:
    account = store.read()
    link = link_of(account)
    if offline:
        computed = planner.compute(account, None)
        todo = computed.of("assign", "update")
        return Planned(computed, send.requests(todo, mapping.question_ids(account.doc)))
    with open_session(link, secrets) as client:
        computed = planner.compute(account, refresh(client, account))
    todo = computed.of("assign", "update")
    return Planned(computed, send.requests(todo, mapping.question_ids(account.doc)))


@dataclass
class Report:
    results: list[send.Result] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.result == "done" for r in self.results)


def apply(
    store: AccountStore,
    *,
    secrets: Secrets | None,
    given: SecretRows,
    ask: Ask | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    report = Report()
    with _apply_lock(store) as account:
        link = link_of(account)
        with open_session(link, secrets) as client:
            for task_id in _journaled(store):  # an apply cut short left it running
                try:
                    send.poll(client, task_id)
                except PlatformNotFound:  # gone (expired): the platform's state tells the rest
                    pass
            _journal(store, None)
            computed = planner.compute(account, refresh(client, account))
            for c in computed.of("conflict", "not applied"):
                report.results.append(send.Result(c.extension, "plan", c.kind, c.reason))
            todo = computed.of("assign", "update")
            credentials = _credentials(account, todo, given, ask, report)
            ready = [c for c in todo if not c.needs_secrets or c.ext_id in credentials]
            sent = send.send(
                client,
                ready,
                credentials,
                mapping.question_ids(account.doc),
                lambda t: _journal(store, t),
                progress,
            )
            after = refresh(client, account) if ready else None
        final = computed
        if after is not None:
            accepted, asked = frozenset(sent.accepted), frozenset(sent.asked)
            final = planner.compute(account, after, accepted, asked)
        done = {c.ext_id for c in final.of("done")}
        unsettled = {
            c.ext_id for c in final.of("assign", "update") if set(c.fields) - {"security_question"}
        }
        for result, change in _with_changes(sent.results, ready):
            if result.operation == "security question":
                continue
            if change.ext_id in done and result.result == "failed":  # a lost answer, but there
                result.result, result.error = "done", ""
            elif change.ext_id in unsettled and result.result == "done":
                result.result = "failed"
                result.error = "the platform does not hold it as sent (read back)"
        report.results += sent.results
        _record_done(store, account, done)
    return report


def _with_changes(
    results: list[send.Result], changes: list[Change]
) -> Iterator[tuple[send.Result, Change]]:
    by_name = {c.extension: c for c in changes}
    for result in results:
        change = by_name.get(result.extension)
        if change is not None:
            yield result, change


def _record_done(store: AccountStore, before: Account, done: set[str]) -> None:
    """The applied extensions' base becomes what was applied (unless the file has changed
    them again meanwhile: that new change stays pending)."""
    questions = mapping.with_questions(before.doc)
    applied = {i: mapping.view(before.by_id[i], questions) for i in done}
    with store.transaction("platform apply") as account:
        for ext_id, view in applied.items():
            ext = account.by_id.get(ext_id)
            if ext is not None and mapping.view(ext, questions) == view:
                base = ext.get("base", {})
                changed = sorted(k for k in view.keys() | base.keys() if view.get(k) != base.get(k))
                ext["base"] = view
                account.record("platform apply", ext.get("number", ext_id), applied=changed)


def _credentials(
    account: Account, todo: list[Change], given: SecretRows, ask: Ask | None, report: Report
) -> send.Secrets:
    """The plain secrets of the credentials users in the plan, each checked against the hashes
    the file holds; a user without them is held, one with others refused."""
    rows: list[tuple[Change, dict[str, Any], tuple[str, str, str]]] = []
    for change in todo:
        if not change.needs_secrets:
            continue
        ext = account.by_id[change.ext_id]
        row = given.get(ext.get("number", "")) or given.get(change.ext_id)
        if row is None and ask is not None:
            row = ask(change.extension)
        if row is None:
            why = "no password, PIN and answer given (--secrets-file)"
            report.results.append(send.Result(change.extension, change.kind, "held", why))
        else:
            rows.append((change, dict(ext.get("user", {}).get("credentials", {})), row))
    out: send.Secrets = {}
    verdicts = _verify_all([(creds, row) for _, creds, row in rows])
    for (change, _, row), wrong in zip(rows, verdicts, strict=True):
        if wrong:
            why = f"the {wrong} does not match the one set with extadmin"
            report.results.append(send.Result(change.extension, change.kind, "refused", why))
        else:
            out[change.ext_id] = row
    return out


def _verify_all(pairs: list[tuple[dict[str, Any], tuple[str, str, str]]]) -> list[str]:
    """Each row against its hashes, spread over the cores (three scrypt checks a user: 5,000
    users would take minutes on one core)."""
    if len(pairs) < 4:
        return [_mismatch(pair) for pair in pairs]
    import os
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1)
    try:  # a row a task, and what is not started is dropped on Ctrl-C (as bulk.hash_all)
        return list(pool.map(_mismatch, pairs))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _mismatch(pair: tuple[dict[str, Any], tuple[str, str, str]]) -> str:
    """The first secret of a row that does not match its stored hash ("" if none)."""
    creds, (password, pin, answer) = pair
    checks = (
        ("password", password, creds.get("password_hash")),
        ("PIN", pin, creds.get("pin_hash")),
        ("security answer", rules.normalise_answer(answer), creds.get("security_answer_hash")),
    )
    for name, value, stored in checks:
        if stored is None or not hashing.verify_secret(value, stored):
            return name
    return ""


@contextmanager
def _apply_lock(store: AccountStore) -> Iterator[Account]:
    """One apply at a time per file, and per platform account (its server and id), whatever
    file or name of a file it is run on (a hard link, a copy linked to the same account); the
    account, read once the file's lock is held."""
    from hashlib import sha256

    from extadmin.storage.registry import data_dir

    busy = f"{store.path}: another `extadmin platform apply` is running on this account"
    with files.locked(store.path.with_name(f".{store.path.name}.apply.lock"), 0, busy):
        account = store.read()
        link = link_of(account)
        key = sha256(f"{link['server']}\n{link['account_id']}".encode()).hexdigest()[:32]
        folder = files.private_dir(data_dir() / "apply-locks")
        with files.locked(folder / f"{key}.lock", 0, busy):
            yield account


def _journal_path(store: AccountStore) -> Path:
    return store.path.with_name(f"{store.path.stem}.apply-journal.json")


def _journaled(store: AccountStore) -> list[str]:
    try:
        tasks = json.loads(_journal_path(store).read_text("utf-8")).get("tasks", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [str(t) for t in tasks if t]


def _journal(store: AccountStore, task_id: str | None) -> None:
    """The bulk task in flight (None: none): written before it is polled."""
    path = _journal_path(store)
    if task_id is None:
        path.unlink(missing_ok=True)
        return
    files.write_atomic(path, json.dumps({"tasks": [task_id]}).encode())
