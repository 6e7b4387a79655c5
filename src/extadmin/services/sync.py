"""platform plan and platform apply: the local changes of a linked file, sent to the platform.

Resumable by construction: every apply starts from the platform's state (read anew), not from
a record of what an earlier apply did. A bulk task an earlier apply left running (its id is
journaled beside the account file before it is polled) is polled to its end first; then each
field is compared three ways (platform.changes), so that what is on the platform already is
never sent again and a change made in the Admin Portal meanwhile is never overwritten. After
sending, the platform is read again, and each extension now as the file wants it gets its
base updated: a second plan is empty."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extadmin.domain import hashing, rules
from extadmin.domain.account import Account, ref
from extadmin.domain.model import Extension
from extadmin.errors import PlatformError, PlatformNotFound
from extadmin.platform import changes, mapping, send
from extadmin.platform import pull as reader
from extadmin.platform.changes import Change
from extadmin.platform.client import PER_PAGE, Client
from extadmin.services.link import AppSecrets, link_of, open_session
from extadmin.services.link import status as link_status
from extadmin.storage import files
from extadmin.storage.credentials import link_name
from extadmin.storage.registry import data_dir
from extadmin.storage.store import AccountStore, seconds_from_env

ApplyResult = send.Result  # what became of one operation of an apply

# what `apply` is given for a credentials user, by number or id: (password, PIN, answer)
SecretRows = dict[str, tuple[str, str, str]]
Ask = Callable[[str], tuple[str, str, str] | None]


def refresh(client: Client, account: Account) -> dict[str, dict[str, str]]:
    """The platform's User extensions now, as views (1 request per 1,000, and the recording
    list)."""
    return _Platform(client, account).read_all()


# The platform's default limits, requests a minute (an app may have others): the estimate's
DEFAULT_LIMITS = {"Light": 50, "Medium": 40, "Heavy": 10}


@dataclass
class Planned:
    """What `platform apply` would do now, and where: the account's name, its server and its
    platform account id."""

    plan: changes.Plan
    requests: list[send.ApiCall]
    account: str = ""
    server: str = ""
    account_id: str = ""
    extensions: int = 0  # the platform's User extensions, read before and after

    @property
    def todo(self) -> list[Change]:
        return self.plan.of("assign", "update")

    @property
    def offboards(self) -> list[Change]:
        return self.plan.of("offboard")

    def by_group(self) -> dict[str, int]:
        """The requests an apply sends by rate-limit group, reads included: the list before and
        after (a page a 1,000, and the recording list), each extension request's records read
        again just before it (about a page, and the recording list), a poll a bulk task."""
        count = dict.fromkeys(DEFAULT_LIMITS, 0)
        pages = max(1, -(-self.extensions // PER_PAGE))
        count["Medium"] += 2 * pages
        count["Light"] += 2
        for req in self.requests:
            count[req.group] += 1
            if req.step in ("extensions", "offboard"):  # its records read again first
                count["Medium"] += 1
                count["Light"] += 1 + (req.method == "POST")
        return {group: n for group, n in count.items() if n}

    def minutes(self) -> int:
        """The platform time at the default limits: a minute's window waited each time a
        group's limit is reached (the requests' own time aside)."""
        waits = sum(
            max(0, -(-n // DEFAULT_LIMITS[group]) - 1) for group, n in self.by_group().items()
        )
        return waits

    def summary(self) -> dict[str, Any]:
        todo = self.todo
        kinds: dict[str, int] = {}
        for c in self.plan.changes:
            if c.kind != "done":
                kinds[c.kind] = kinds.get(c.kind, 0) + 1
        return {
            "account": self.account,
            "server": self.server,
            "account_id": self.account_id,
            "operations": kinds,
            "welcome_emails": sum(1 for c in todo if c.welcome_email),
            "need_secrets": [c.extension for c in todo if c.needs_secrets],
            "conflicts": len(self.plan.of("conflict")),
            "not_applied": len(self.plan.of("not applied")),
            "requests_by_group": self.by_group(),
            "platform_minutes_at_default_limits": self.minutes(),
        }


def plan(store: AccountStore, *, secrets: AppSecrets | None, offline: bool) -> Planned:
    account = store.read()
    link = link_of(account)
    if offline:
        computed = changes.compute(account, None)
    else:
        with open_session(link, secrets) as client:
            computed = changes.compute(account, refresh(client, account), invited=_invited(store))
    todo = computed.of("offboard", "assign", "update")
    return Planned(
        computed,
        send.requests(todo, mapping.question_ids(account.doc)),
        account.name,
        link["server"],
        link["account_id"],
        sum(1 for e in account.extensions if "id" in e),
    )


def _invited(store: AccountStore) -> frozenset[str]:
    return frozenset(ApplyJournal(_journal_path(store)).invited)


UNCONFIRMED = (
    "re-invitation: the platform's answer was lost, so the welcome email may have gone out; "
    "it is not sent again (RingCentral shows no trace of welcome emails): if the user has "
    "none, re-send it from the Admin Portal"
)


@dataclass
class Report:
    results: list[send.Result] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Everything done (an unconfirmed re-invitation is done as far as can be known)."""
        return all(r.result in ("done", "unconfirmed") for r in self.results)


def apply(
    store: AccountStore,
    *,
    secrets: AppSecrets | None,
    given: SecretRows,
    ask: Ask | None = None,
    progress: Callable[[int], None] | None = None,
    allow_offboard: bool = False,
) -> Report:
    """Send the plan of a linked file, read the platform back and record in the file what it
    now holds; a result for each change. Offboardings are sent only with `allow_offboard`
    (they cannot be undone): without it each is held, and said."""
    report = Report()
    with _apply_lock(store) as account:
        link = link_of(account)
        journal = ApplyJournal(_journal_path(store))
        task_wait = seconds_from_env("EXTADMIN_TASK_WAIT", send.TASK_WAIT)
        sent = send.Sent()
        ready: list[Change] | None = None
        try:
            with open_session(link, secrets) as client:
                platform = _Platform(client, account)
                held = _settle(journal, client, platform, account, task_wait)
                computed = changes.compute(
                    account, platform.views, invited=frozenset(journal.invited)
                )
                todo = _sendable(computed, held, report, allow_offboard)
                credentials = _credentials(account, todo, given, ask, report)
                ready = [c for c in todo if not c.needs_secrets or c.ext_id in credentials]

                def recheck(batch: list[Change]) -> tuple[list[Change], list[send.Result]]:
                    return _recheck(platform, account, batch, journal.invited, credentials)

                send.send(
                    client,
                    ready,
                    credentials,
                    mapping.question_ids(account.doc),
                    journal,
                    recheck,
                    progress,
                    task_wait,
                    sent,
                )
                after = platform.read_all() if ready else None
        except BaseException as exc:  # the platform gone, Ctrl-C, SIGTERM: what was done
            if ready is not None:
                _cut_short(exc, _interrupted(report, ready, sent, journal))
            raise
        final = computed
        if after is not None:
            accepted, asked = frozenset(sent.accepted), frozenset(sent.asked)
            final = changes.compute(account, after, accepted, asked, frozenset(journal.invited))
        done = {c.ext_id for c in final.of("done")}
        confirmed = _read_back(sent.results, ready, final, done, journal.invited)
        report.results += sent.results
        for c in computed.of("done"):  # settled by an earlier apply's journal alone
            if c.ext_id in journal.invited and c.ext_id not in confirmed:
                report.results.append(send.Result.of(c, "update", "unconfirmed", UNCONFIRMED))
        recorded = _record_done(store, account, done, platform.views)
        journal.settled(recorded)  # not `done`: a re-invitation not recorded stays journaled
    return report


@dataclass
class Interrupted:
    """An apply cut short after it began to send (the platform gone, Ctrl-C, SIGTERM): each
    operation of the plan as far as this apply knows it. `results` hold "done" (sent and
    answered done), "unknown" (sent, and its answer lost or an error: the next apply reads the
    platform back before it sends anything, and a journaled request is asked for first), "not
    sent", and the changes held, refused or in conflict before anything was sent."""

    results: list[send.Result]
    journal: Path | None  # the apply journal, when it holds requests the next apply checks

    def of(self, *kinds: str) -> list[send.Result]:
        return [r for r in self.results if r.result in kinds]


_FACTS = "extadmin_apply_interrupted"


def interrupted(exc: BaseException) -> Interrupted | None:
    """What an apply that raised `exc` had done (None: it had not begun to send)."""
    facts = getattr(exc, _FACTS, None)
    return facts if isinstance(facts, Interrupted) else None


def _cut_short(exc: BaseException, facts: Interrupted) -> None:
    """The exception goes on as it is (its exit code, its message), carrying the facts."""
    with contextlib.suppress(AttributeError, TypeError):
        setattr(exc, _FACTS, facts)


def _operations(change: Change) -> list[str]:
    """The operations of a planned change, as its results name them, in the order they go."""
    ops = [change.kind] if change.record is not None or change.kind == "offboard" else []
    if change.question:
        ops.append("security question")
    if change.role:
        ops.append("role")
    if change.recording:
        ops.append("recording")
    return ops


def _interrupted(
    report: Report,
    ready: list[Change],
    sent: send.Sent,
    journal: ApplyJournal,
) -> Interrupted:
    """Each operation of `ready` at the moment the apply was cut short."""
    answered = {(r.extension, r.operation): r for r in sent.results}
    flight = {c.ext_id for c in sent.flight}
    flight_ops = {"extensions": ("assign", "update")}.get(sent.flight_step, (sent.flight_step,))
    journaled: dict[str, str] = {}
    for entry in journal.requests:
        at = time.strftime("%H:%M", time.localtime(float(entry.get("since", 0))))
        task = f"bulk task {entry['task']}" if entry.get("task") else "a request"
        for ext_id in entry.get("extensions", []):
            journaled[str(ext_id)] = f"in {task} sent at {at}, journaled: the next apply asks"
    out = list(report.results)  # held, refused, conflict, not applied: before any request
    for change in ready:
        cut = False  # an operation after one not done is not sent (send.send)
        for op in _operations(change):
            result = answered.get((change.extension, op))
            in_flight = change.ext_id in flight and op in flight_ops
            if change.ext_id in journaled and op == change.kind and not in_flight:
                why = journaled[change.ext_id]
                if result is not None and result.result == "failed":
                    why += f" ({result.error})"
                out.append(send.Result.of(change, op, "unknown", why))
                cut = True
            elif result is not None and result.result == "failed":
                why = f"{result.error}: the next apply reads the platform back"
                out.append(send.Result.of(change, op, "unknown", why))
                cut = True
            elif result is not None:
                out.append(result)
                cut = cut or result.result != "done"
            elif in_flight:
                why = "sent, its answer not in when the apply stopped"
                if change.ext_id in journaled:
                    why = journaled[change.ext_id]
                out.append(send.Result.of(change, op, "unknown", why))
                cut = True
            else:
                why = "after an operation not done" if cut else ""
                out.append(send.Result.of(change, op, "not sent", why))
    listed = {(r.extension, r.operation) for r in out}
    # what reading the records again just before their request found (a conflict, held...)
    out += [r for r in sent.results if (r.extension, r.operation) not in listed]
    path = journal.path if journal.path.exists() else None
    return Interrupted(out, path)


OFFBOARD_HELD = (
    "offboarding is sent only with --allow-offboard: it deletes the user on RingCentral and "
    "cannot be undone"
)


def _sendable(
    computed: changes.Plan, held: dict[str, str], report: Report, allow_offboard: bool
) -> list[Change]:
    """The planned offboardings, assignments and updates to send now; each change that is not
    (a conflict, not applied, held by a task still running, an offboarding not allowed) is
    reported."""
    for c in computed.of("conflict", "not applied"):
        report.results.append(send.Result.of(c, "plan", c.kind, c.reason))
    if not allow_offboard:
        held = {**held, **dict.fromkeys((c.ext_id for c in computed.of("offboard")), OFFBOARD_HELD)}
    planned = computed.of("offboard", "assign", "update")
    for c in planned:
        if c.ext_id in held:
            report.results.append(send.Result.of(c, c.kind, "held", held[c.ext_id]))
    return [c for c in planned if c.ext_id not in held]


def _read_back(
    results: list[send.Result],
    ready: list[Change],
    final: changes.Plan,
    done: set[str],
    invited: set[str],
) -> set[str]:
    """The results of the sent changes corrected by the platform as read back (a lost answer
    to a change that is there is done; a change the platform does not hold failed); the
    extensions whose change is confirmed done."""
    unsettled = {
        c.ext_id for c in final.of("assign", "update") if set(c.fields) - {"security_question"}
    } | {c.ext_id for c in final.of("offboard")}
    confirmed: set[str] = set()
    for result, change in _with_changes(results, ready):
        if result.operation == "security question":
            continue
        if change.ext_id in done and result.result == "failed":  # a lost answer, but there
            result.result, result.error = "done", ""
            if change.ext_id in invited:
                result.result, result.error = "unconfirmed", UNCONFIRMED
        elif change.ext_id in unsettled and result.result == "done":
            result.result = "failed"
            result.error = "the platform does not hold it as sent (read back)"
        if result.result == "done" and result.operation == change.kind:
            confirmed.add(change.ext_id)
    return confirmed


class _Platform:
    """The platform's User extensions as this apply last read them (views by extension id),
    and the list page each was on, so that the records of one request can be read again by
    their pages alone (1 request per 1,000 extensions at most, not the whole account)."""

    def __init__(self, client: Client, account: Account) -> None:
        self.client, self.account = client, account
        self.views: dict[str, dict[str, str]] = {}
        self.page_of: dict[str, int] = {}

    def read_all(self) -> dict[str, dict[str, str]]:
        records = reader.user_extensions(self.client)
        self.page_of = {str(r.get("id")): n // PER_PAGE + 1 for n, r in enumerate(records)}
        recording = reader.recording_list(self.client)
        self.views = changes.platform_views(self.account, records, recording)
        return self.views

    def read_again(self, ext_ids: list[str]) -> None:
        """These extensions' records now: their pages (and the recording list) read again; the
        whole list when one of them is not where it was (extensions added or removed)."""
        pages = {self.page_of.get(i) for i in ext_ids}
        if None in pages:
            self.read_all()
            return
        records: list[dict[str, Any]] = []
        for page in sorted(p for p in pages if p is not None):
            records += reader.user_extension_page(self.client, page)
        if not set(ext_ids) <= {str(r.get("id")) for r in records}:
            self.read_all()
            return
        recording = reader.recording_list(self.client)
        self.views.update(changes.platform_views(self.account, records, recording))


def _recheck(
    platform: _Platform,
    account: Account,
    batch: list[Change],
    invited: set[str],
    credentials: send.UserSecrets,
) -> tuple[list[Change], list[send.Result]]:
    """The changes of one request as the platform stands right now: a record changed in the
    Admin Portal since it was read is a conflict and is not sent; one now done is dropped."""
    platform.read_again([c.ext_id for c in batch])
    fresh: list[Change] = []
    results: list[send.Result] = []
    for old in batch:
        ext = account.by_id[old.ext_id]
        change = changes.change_of(account, ext, platform.views, invited=old.ext_id in invited)
        if change is None or change.kind == "done":
            continue
        if change.kind in ("offboard", "assign", "update"):
            if change.needs_secrets and change.ext_id not in credentials:
                why = "its secrets are needed now and were not given: apply again"
                results.append(send.Result.of(change, change.kind, "held", why))
            else:
                fresh.append(change)
        else:
            results.append(send.Result.of(change, "plan", change.kind, change.reason))
    return fresh, results


def _settle(
    journal: ApplyJournal,
    client: Client,
    platform: _Platform,
    account: Account,
    task_wait: float,
) -> dict[str, str]:
    """What an earlier apply left in flight, settled before anything is sent; the extensions
    to hold in this apply, with why. A bulk task is asked once: ended (or unknown to the
    platform), its records are read back like any other; still running, or unreadable, its
    records are held (after TASK_EXPIRY the platform's state decides). A request whose answer
    was lost: its records are read back, waiting up to SETTLE_WAIT for them to show; those
    that do not are held for SETTLE seconds from the request, then sent again."""
    platform.read_all()
    held: dict[str, str] = {}
    now = time.time()
    for entry in list(journal.requests):
        since = float(entry.get("since", 0))
        at = time.strftime("%H:%M", time.localtime(since))
        task_id = entry.get("task")
        if task_id is None:
            if now - since > SETTLE:
                journal.ended(entry, [])
            continue
        try:
            task = send.task_now(client, str(task_id))
            state = f"has not ended ({task.get('status', '?')})"
            ended = task.get("status") in ("Completed", "Failed")
        except PlatformNotFound:  # gone (expired): the platform's state tells the rest
            ended = True
        except PlatformError as exc:
            state, ended = f"cannot be read ({exc.message.removeprefix('platform: ')})", False
        if ended or now - since > max(TASK_EXPIRY, task_wait):
            journal.ended(entry, [])
            continue
        why = (
            f"in bulk task {task_id} of an earlier apply ({at}), which {state}: run `extadmin "
            f"platform apply` again later (an hour after {at}, the platform's state decides)"
        )
        held.update(dict.fromkeys(entry.get("extensions", []), why))
    lost = [e for e in journal.requests if e.get("task") is None]
    deadline = time.monotonic() + SETTLE_WAIT
    while lost:
        settled = [e for e in lost if not _pending(platform, account, e, journal.invited)]
        for entry in settled:
            journal.ended(entry, [])
        lost = [e for e in lost if e not in settled]
        if not lost or time.monotonic() > deadline:
            break
        time.sleep(1.0)
        platform.read_all()
    for entry in lost:
        at = time.strftime("%H:%M", time.localtime(float(entry.get("since", 0)) + SETTLE))
        why = (
            "an earlier apply's request for it had no answer, and the platform may still be "
            f"applying it: run `extadmin platform apply` again after {at} (then what is not "
            "there is sent again)"
        )
        held.update(dict.fromkeys(entry.get("extensions", []), why))
    return held


SETTLE = 600.0  # seconds a request without an answer may still be applied by the platform
SETTLE_WAIT = 15.0  # seconds an apply waits for such a request's records to show
TASK_EXPIRY = 3600.0  # seconds after which a journaled task that never ended is let go


def _pending(
    platform: _Platform, account: Account, entry: dict[str, Any], invited: set[str]
) -> bool:
    """Some record of a journaled extension request is not on the platform as sent yet."""
    for ext_id in entry.get("extensions", []):
        ext = account.by_id.get(str(ext_id))
        if ext is None:
            continue
        change = changes.change_of(account, ext, platform.views, invited=ext_id in invited)
        if change is not None and change.kind in ("assign", "update") and change.record:
            return True  # its update has not landed (a role or recording left is not its)
    return False


def _with_changes(
    results: list[send.Result], planned: list[Change]
) -> Iterator[tuple[send.Result, Change]]:
    by_name = {c.extension: c for c in planned}
    for result in results:
        change = by_name.get(result.extension)
        if change is not None:
            yield result, change


def _record_done(
    store: AccountStore, before: Account, done: set[str], views: dict[str, dict[str, str]]
) -> set[str]:
    """The applied extensions' base becomes what was applied (unless the file has changed
    them again meanwhile: that new change stays pending). An offboarded user's extension is
    gone from the platform: it becomes the unassigned extension the platform now lists with
    its number and a new id (its line, kept), or leaves the file (released, or not listed).
    The ids of `done` recorded so (those the file changed meanwhile are not)."""
    questions = mapping.with_questions(before.doc)
    applied = {i: mapping.view(before.by_id[i], questions) for i in done}
    recorded: set[str] = set()
    with store.transaction("platform apply") as account:
        for ext_id, view in applied.items():
            ext = account.by_id.get(ext_id)
            if ext is None or mapping.view(ext, questions) != view:
                continue
            recorded.add(ext_id)
            if ext_id not in views:  # offboarded
                _offboarded(account, ext, views)
                continue
            base = ext.get("base", {})
            changed = sorted(k for k in view.keys() | base.keys() if view.get(k) != base.get(k))
            ext["base"] = view
            account.record("platform apply", ext.get("number", ext_id), applied=changed)
    return recorded


def _offboarded(account: Account, ext: Extension, views: dict[str, dict[str, str]]) -> None:
    number, old_id = ext["number"], ext["id"]
    line = None
    if not ext.get("release"):
        line = next(
            (
                i
                for i, v in views.items()
                if v.get("number") == number and v.get("status") == "unassigned"
                and i not in account.by_id
            ),
            None,
        )  # fmt: skip
    if line is None:
        account.remove_extension(number)
        account.record("platform apply", number, offboarded=old_id, line="released")
        return
    account.by_id.pop(old_id, None)
    ext["id"] = line
    account.by_id[line] = ext
    ext["base"] = views[line]
    ext.pop("release", None)
    account.record("platform apply", number, offboarded=old_id, line=line)


def _credentials(
    account: Account, todo: list[Change], given: SecretRows, ask: Ask | None, report: Report
) -> send.UserSecrets:
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
            report.results.append(send.Result.of(change, change.kind, "held", why))
        else:
            rows.append((change, dict(ext.get("user", {}).get("credentials", {})), row))
    out: send.UserSecrets = {}
    verdicts = _verify_all([(creds, row) for _, creds, row in rows])
    for (change, _, row), wrong in zip(rows, verdicts, strict=True):
        if wrong:
            why = f"the {wrong} does not match the one set with extadmin"
            report.results.append(send.Result.of(change, change.kind, "refused", why))
        else:
            out[change.ext_id] = row
    return out


def _verify_all(pairs: list[tuple[dict[str, Any], tuple[str, str, str]]]) -> list[str]:
    """Each row against its hashes, spread over the cores (three scrypt checks a user: 5,000
    users would take minutes on one core)."""
    if len(pairs) < 4:
        return [_mismatch(pair) for pair in pairs]
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
    busy = f"{store.path}: another `extadmin platform apply` is running on this account"
    with files.locked(store.path.with_name(f".{store.path.name}.apply.lock"), 0, busy):
        account = store.read()
        link = link_of(account)
        name = link_name(link["server"], link["account_id"]).removesuffix(".json") + ".lock"
        folder = files.private_dir(data_dir() / "apply-locks")
        with files.locked(folder / name, 0, busy):
            yield account


def status(store: AccountStore) -> dict[str, Any]:
    """`platform status`: the link (link.status) and an apply cut short, from its journal:
    `interrupted_apply` is None, or the journal's path, when its oldest request was sent, its
    requests (each: when, the bulk task id or None, the extensions) and the re-invitations
    whose answer was lost, all of which the next apply checks on the platform first."""
    account = store.read()
    data = link_status(store, account)
    journal = ApplyJournal(_journal_path(store))
    data["interrupted_apply"] = None
    if journal.requests or journal.invited:

        def named(ext_id: object) -> str:
            ext = account.by_id.get(str(ext_id))
            return ref(ext) if ext is not None else f"id {ext_id}"

        times = [float(e.get("since", 0)) for e in journal.requests]
        data["interrupted_apply"] = {
            "journal": str(journal.path),
            "since": _when(min(times)) if times else None,
            "requests": [
                {
                    "since": _when(float(e.get("since", 0))),
                    "task": e.get("task"),
                    "extensions": [named(i) for i in e.get("extensions", [])],
                }
                for e in journal.requests
            ],
            "unconfirmed_invitations": sorted(named(i) for i in journal.invited),
        }
    return data


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _journal_path(store: AccountStore) -> Path:
    return store.path.with_name(f"{store.path.stem}.apply-journal.json")


class ApplyJournal:
    """The apply journal beside the account file (send.Journal): the requests in flight that
    may start a task or send a welcome email, each with its extensions and the time it was
    sent (and its task id once the platform names it); and the extensions whose re-invitation
    may have reached the platform, until the file records it as done. Each change is on disk
    (fsync) before the request it announces is sent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[dict[str, Any]] = []
        self.invited: set[str] = set()
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict):
            return
        for entry in data.get("requests") or []:
            if isinstance(entry, dict) and isinstance(entry.get("extensions", []), list):
                self.requests.append(entry)
        for task in data.get("tasks") or []:  # an earlier version's journal: task ids alone
            self.requests.append({"task": str(task), "extensions": [], "since": 0})
        self.invited = {str(i) for i in data.get("invited") or [] if isinstance(i, str | int)}

    def sending(self, ext_ids: list[str], invites: list[str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"since": time.time(), "extensions": list(ext_ids)}
        self.requests.append(entry)
        self.invited |= set(invites)
        self._write()
        return entry

    def named(self, entry: dict[str, Any], task_id: str) -> None:
        entry["task"] = task_id
        self._write()

    def ended(self, entry: dict[str, Any], refused: list[str]) -> None:
        """The request's outcome is on the platform to read; `refused`: re-invitations it
        did not take."""
        if entry in self.requests:
            self.requests.remove(entry)
        self.invited -= set(refused)
        self._write()

    def settled(self, ext_ids: set[str]) -> None:
        """These extensions are recorded as done in the file."""
        if self.invited & ext_ids:
            self.invited -= ext_ids
            self._write()

    def _write(self) -> None:
        if not self.requests and not self.invited:
            self.path.unlink(missing_ok=True)
            return
        data = {"requests": self.requests, "invited": sorted(self.invited)}
        files.write_atomic(self.path, json.dumps(data).encode())
