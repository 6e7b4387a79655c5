"""Sending a plan: the requests, in the order `platform plan` shows and `platform apply` sends.

1. the extensions: one PUT each when there are a few, else extension-bulk-update requests of
   at most 500 records, each task polled until it ends. Each request's records are read again
   from the platform just before it is sent (a change in the Admin Portal meanwhile is a
   conflict, not overwritten), and each request that may send a welcome email, or start a
   task, is journaled before it is sent (see Journal);
2. the security questions of credentials users, on a link with the credentials API only (not
   in the published definition; refused by the platform: "not applied", and settled);
3. the roles: one PUT for one user, else one bulk-assign per role;
4. the recording: one call-recording bulk-assign for every change.
An extension whose update failed gets none of the later requests. Nothing here retries what
may have reached the platform: the caller reads the platform back and decides."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from extadmin.errors import PlatformError
from extadmin.platform.changes import SECRET, Change
from extadmin.platform.client import ACCOUNT, Client, segment

BULK_FROM = 5  # this many extension updates or more go by bulk update
BULK_SIZE = 500  # the platform's most records a bulk-update request
OFFBOARD_SIZE = 50  # the platform's most records a delete-users request (bulkDeleteUsersV2)
OFFBOARD = "/restapi/v2/accounts/~/extensions"
TASK_WAIT = 600.0  # seconds an apply polls a bulk task at most ($EXTADMIN_TASK_WAIT)


@dataclass
class ApiCall:
    step: str  # extensions | security question | role | recording
    method: str
    path: str
    body: dict[str, Any]
    changes: list[Change]

    def shown(self) -> dict[str, Any]:
        """As `platform plan` shows it: secrets as "<secret>"."""
        return {"step": self.step, "method": self.method, "path": self.path, "body": self.body}

    @property
    def group(self) -> str:
        return GROUPS[self.step, self.method]


# Each request's rate-limit group, as the published definition gives its operation
# (x-throttling-group; tests/test_platform_plan.py holds this table to it). For the plan's
# estimate only: the client takes the groups from the answers' headers.
GROUPS = {
    ("offboard", "DELETE"): "Heavy",  # bulkDeleteUsersV2
    ("extensions", "PUT"): "Medium",  # updateExtension
    ("extensions", "POST"): "Heavy",  # extensionBulkUpdate
    ("security question", "PUT"): "Medium",  # the credentials API (beyond the definition)
    ("role", "PUT"): "Medium",  # updateUserAssignedRoles
    ("role", "POST"): "Heavy",  # assignMultipleUserRoles
    ("recording", "POST"): "Medium",  # updateCallRecordingExtensionList
}


@dataclass
class Result:
    extension: str
    operation: str
    result: str  # done | failed | held | not applied | conflict
    error: str = ""
    platform_id: str = ""  # the extension's id on the platform (before an offboarding)

    @classmethod
    def of(cls, change: Change, operation: str, result: str, error: str = "") -> Result:
        return cls(change.extension, operation, result, error, change.ext_id)


@dataclass
class Sent:
    results: list[Result] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)  # extension updates the platform accepted
    asked: set[str] = field(default_factory=set)  # security questions it accepted
    # the changes of the request on its way now (sent, its answer not in yet): what an apply
    # cut short at this moment does not know the outcome of
    flight: list[Change] = field(default_factory=list)
    flight_step: str = ""  # its step: extensions | security question | role | recording


def requests(changes: list[Change], questions: dict[str, str]) -> list[ApiCall]:
    """Every request for the changes to send, in order (bodies with "<secret>"): the
    offboardings first (a leaver's email address or number may be a new user's), then the
    extension updates, the security questions, the roles and the recording. `questions`: the
    platform's security question ids by text (casefolded; mapping.question_ids)."""
    leaving = [offboard_request(b) for b in offboard_batches(changes)]
    updates = [c for c in changes if c.record is not None]
    bulk = len(updates) >= BULK_FROM
    extensions = [extension_request(b, bulk) for b in batches(updates)]
    return leaving + extensions + _others(changes, questions)


def offboard_batches(changes: list[Change]) -> list[list[Change]]:
    """The offboardings, as they are sent: by what becomes of the lines (kept by the account,
    or released), in chunks of at most OFFBOARD_SIZE."""
    out = []
    for release in (False, True):
        group = [c for c in changes if c.kind == "offboard" and c.release == release]
        out += [group[i : i + OFFBOARD_SIZE] for i in range(0, len(group), OFFBOARD_SIZE)]
    return out


def offboard_request(batch: list[Change]) -> ApiCall:
    """Delete the users of the batch; their lines and numbers stay in the account's inventory
    (an unassigned extension each) unless released."""
    body = {
        "keepAssetsInInventory": not batch[0].release,
        "records": [{"id": c.ext_id} for c in batch],
    }
    return ApiCall("offboard", "DELETE", OFFBOARD, body, batch)


def batches(updates: list[Change]) -> list[list[Change]]:
    """The extension updates, as they are sent: one a request when they are few, else by bulk
    update in chunks of at most BULK_SIZE."""
    if len(updates) < BULK_FROM:
        return [[c] for c in updates]
    return [updates[i : i + BULK_SIZE] for i in range(0, len(updates), BULK_SIZE)]


def extension_request(batch: list[Change], bulk: bool) -> ApiCall:
    if not bulk:
        c = batch[0]
        path = f"{ACCOUNT}/extension/{segment(c.ext_id, 'extension id')}"
        return ApiCall("extensions", "PUT", path, dict(c.record or {}), batch)
    records = [{"id": c.ext_id, **(c.record or {})} for c in batch]
    return ApiCall(
        "extensions", "POST", f"{ACCOUNT}/extension-bulk-update", {"records": records}, batch
    )


def _others(changes: list[Change], questions: dict[str, str]) -> list[ApiCall]:
    """The security questions, roles and recording of the changes, in that order."""
    out: list[ApiCall] = []
    for c in changes:
        if c.question and c.question.casefold() in questions:
            body = {"secretQuestion": {"id": questions[c.question.casefold()], "answer": SECRET}}
            path = f"{ACCOUNT}/extension/{segment(c.ext_id, 'extension id')}/credentials"
            out.append(ApiCall("security question", "PUT", path, body, [c]))
    by_role: dict[str, list[Change]] = {}
    for c in changes:
        if c.role:
            by_role.setdefault(c.role, []).append(c)
    for role, group in by_role.items():
        if len(group) == 1:
            path = f"{ACCOUNT}/extension/{segment(group[0].ext_id, 'extension id')}/assigned-role"
            out.append(ApiCall("role", "PUT", path, {"records": [{"id": role}]}, group))
        else:
            added = {"addedExtensionIds": [c.ext_id for c in group]}
            path = f"{ACCOUNT}/user-role/{segment(role, 'role id')}/bulk-assign"
            out.append(ApiCall("role", "POST", path, added, group))
    recorded = [c for c in changes if c.recording]
    if recorded:
        lists: dict[str, list[dict[str, str]]] = {}
        for c in recorded:
            assert c.recording is not None
            how, direction = c.recording
            item = {"id": c.ext_id}
            if how != "removed":
                item["callDirection"] = direction
            lists.setdefault(f"{how}Extensions", []).append(item)
        path = f"{ACCOUNT}/call-recording/bulk-assign"
        out.append(ApiCall("recording", "POST", path, dict(lists), recorded))
    return out


UserSecrets = dict[str, tuple[str, str, str]]  # extension id -> (password, PIN, security answer)


class Journal(Protocol):
    """What an apply keeps beside the account file of the requests in flight (services.sync):
    an apply cut short, or an answer lost, never makes the next one send a welcome email again
    or race a bulk task that is still running."""

    def sending(self, ext_ids: list[str], invites: list[str]) -> dict[str, Any]: ...
    def named(self, entry: dict[str, Any], task_id: str) -> None: ...
    def ended(self, entry: dict[str, Any], refused: list[str]) -> None: ...


# the changes of a request read again from the platform just before it is sent: those still
# to send (as the platform now stands), and the results of those that are not (conflict...)
Recheck = Callable[[list[Change]], tuple[list[Change], list["Result"]]]


def send(
    client: Client,
    changes: list[Change],
    secrets: UserSecrets,
    questions: dict[str, str],
    journal: Journal,
    recheck: Recheck,
    progress: Callable[[int], None] | None = None,
    task_wait: float = TASK_WAIT,
    sent: Sent | None = None,
) -> Sent:
    """Send the requests of the changes; what each did (in `sent`, when given, as it goes: an
    apply cut short knows what was answered). Before each extension request (one PUT, or a
    bulk chunk) its records are read again from the platform (`recheck`): a record changed in
    the Admin Portal meanwhile is a conflict, and is not sent."""
    for c in changes:  # every id that goes into a path, checked before any request is sent
        segment(c.ext_id, "extension id")
        if c.role:
            segment(c.role, "role id")
    sent = Sent() if sent is None else sent
    for c in changes:  # a question the platform does not offer: said, and settled
        if c.question and c.question.casefold() not in questions:
            why = "the platform offers no question with this text (pull again)"
            sent.results.append(Result.of(c, "security question", "not applied", why))
            sent.asked.add(c.ext_id)
    for password, pin, answer in secrets.values():
        client.hide(password, pin, answer)
    _offboards(client, changes, journal, recheck, progress, sent)
    changes = [c for c in changes if c.kind != "offboard"]
    current = {c.ext_id: c for c in changes}
    failed: set[str] = set()
    updates = [c for c in changes if c.record is not None]
    bulk = len(updates) >= BULK_FROM  # a chunk stays a bulk request, however few are left
    for batch in batches(updates):
        fresh, settled = recheck(batch)
        sent.results += settled
        for c in batch:
            del current[c.ext_id]
        current.update((c.ext_id, c) for c in fresh)
        fresh = [c for c in fresh if c.record is not None]
        if fresh:
            req = extension_request(fresh, bulk)
            sent.flight, sent.flight_step = fresh, "extensions"
            done = _extensions(client, req, secrets, journal, sent, task_wait)
            sent.flight = []
            failed |= {c.ext_id for c in fresh} - done
            sent.accepted |= done
        if progress:
            progress(len(batch))
    rest = [c for c in current.values() if c.ext_id not in failed]
    unread = [c for c in rest if c.record is None]  # not read again yet: read now
    if unread:
        fresh, settled = recheck(unread)
        sent.results += settled
        kept = {c.ext_id: c for c in fresh}
        rest = [kept.get(c.ext_id, c) for c in rest if c.record is not None or c.ext_id in kept]
    for req in _others(rest, questions):
        sent.flight, sent.flight_step = req.changes, req.step
        if req.step == "security question":
            _question(client, req, secrets, sent)
        else:
            _batch(client, req, req.changes, sent)
        sent.flight = []
        if progress:
            progress(len(req.changes))
    return sent


def _invites(change: Change) -> bool:
    """The update can make RingCentral send a welcome email (an assignment or a
    re-invitation)."""
    return bool(((change.record or {}).get("transition") or {}).get("sendWelcomeEmail"))


def _definite(exc: PlatformError) -> bool:
    """The platform answered that it did not take the request (a 4xx): nothing was sent. A 5xx
    or a lost answer may have been taken."""
    return exc.status is not None and 400 <= exc.status < 500


def _extensions(
    client: Client,
    req: ApiCall,
    secrets: UserSecrets,
    journal: Journal,
    sent: Sent,
    task_wait: float,
) -> set[str]:
    """The extension updates of one request; the ids the platform accepted."""
    # a re-invitation leaves no trace the platform can be read for: it is journaled before it
    # is sent, and never sent again by an apply that finds it there (nor retried here)
    invites = [c.ext_id for c in req.changes if _invites(c) and c.kind == "update"]
    if req.method == "PUT":
        return _one_extension(client, req, secrets, journal, sent, invites)
    return _bulk_extensions(client, req, secrets, journal, sent, task_wait, invites)


def _one_extension(
    client: Client,
    req: ApiCall,
    secrets: UserSecrets,
    journal: Journal,
    sent: Sent,
    invites: list[str],
) -> set[str]:
    """One extension update sent by its own PUT; its id if the platform accepted it."""
    change = req.changes[0]
    body = _with_secrets(change, req.body, secrets)
    entry = journal.sending([change.ext_id], invites) if invites else None
    # an assignment is not sent twice blindly either: a lost answer is settled by reading
    # the platform back
    try:
        client.request(
            "PUT", req.path, json=body, idempotent=change.kind == "update" and not invites
        )
    except PlatformError as exc:
        if entry is not None and _definite(exc):
            journal.ended(entry, invites)
        sent.results.append(_failed(change, change.kind, exc))
        return set()
    if entry is not None:
        journal.ended(entry, [])
    sent.results.append(Result.of(change, change.kind, "done"))
    return {change.ext_id}


def _offboards(
    client: Client,
    changes: list[Change],
    journal: Journal,
    recheck: Recheck,
    progress: Callable[[int], None] | None,
    sent: Sent,
) -> None:
    """The offboardings, a request a batch, each batch's records read again just before."""
    for batch in offboard_batches(changes):
        fresh, settled = recheck(batch)
        sent.results += settled
        fresh = [c for c in fresh if c.kind == "offboard"]
        if fresh:
            sent.flight, sent.flight_step = fresh, "offboard"
            _offboard(client, offboard_request(fresh), journal, sent)
            sent.flight = []
        if progress:
            progress(len(batch))


def _offboard(client: Client, req: ApiCall, journal: Journal, sent: Sent) -> None:
    """One delete-users request. It reaches people (their phones stop), so it is journaled
    before it is sent and never retried: an answer lost or a 5xx is settled by reading the
    platform back (the next apply sends again only the users still listed there; an id, once
    deleted, is never given to anyone else)."""
    ids = [c.ext_id for c in req.changes]
    entry = journal.sending(ids, [])
    try:
        answer = client.request(req.method, req.path, json=req.body, idempotent=False)
    except PlatformError as exc:
        if _definite(exc):
            journal.ended(entry, [])
        for c in req.changes:
            sent.results.append(_failed(c, "offboard", exc))
        return
    journal.ended(entry, [])
    records = (answer or {}).get("records") if isinstance(answer, dict) else None
    items = {str(r.get("id")): r for r in records or [] if isinstance(r, dict)}
    for c in req.changes:
        item = items.get(c.ext_id)
        if item is not None and item.get("bulkItemSuccessful") is True:
            sent.results.append(Result.of(c, "offboard", "done"))
            continue
        errors = (item or {}).get("bulkItemErrors") or [{}]
        error = errors[0] if isinstance(errors[0], dict) else {}
        code = error.get("errorCode") or "the platform's answer does not name it"
        why = f"{code}: {error.get('message', '')}".strip(": ")
        sent.results.append(Result.of(c, "offboard", "failed", why))


def _bulk_extensions(
    client: Client,
    req: ApiCall,
    secrets: UserSecrets,
    journal: Journal,
    sent: Sent,
    task_wait: float,
    invites: list[str],
) -> set[str]:
    """Extension updates sent by one bulk-update task, polled until it ends; the ids the
    platform accepted."""
    by_id = {c.ext_id: c for c in req.changes}
    records = [
        _with_secrets(by_id[r["id"]], r, secrets) for r in req.body["records"]
    ]  # fmt: skip
    # journaled before it is sent: killed before the answer, the next apply waits for the
    # task the platform may be running, rather than send its records a second time
    entry = journal.sending(list(by_id), invites)
    try:
        task = client.request("POST", req.path, json={"records": records})
        if not isinstance(task, dict):
            raise PlatformError(f"platform: POST {req.path}: the answer names no task")
        journal.named(entry, segment(task.get("id"), "bulk task id"))
        task = _poll(client, task, task_wait)
    except PlatformError as exc:
        if _definite(exc) and "task" not in entry:
            journal.ended(entry, invites)
        for c in req.changes:
            sent.results.append(_failed(c, c.kind, exc))
        return set()
    done = _task_results(task, req.changes, sent)
    journal.ended(entry, [i for i in invites if i not in done])
    return done


def _task_results(task: dict[str, Any], changes: list[Change], sent: Sent) -> set[str]:
    """The result of each change a bulk task ended with, kept in `sent`; the ids it updated."""
    items = ((task.get("result") or {}).get("affectedItems") or {}).get("result") or []
    outcome = {str(i.get("extensionId")): i for i in items if isinstance(i, dict)}
    failed = _task_errors(task, changes) if task.get("status") != "Completed" else {}
    done: set[str] = set()
    for c in changes:
        item = outcome.get(c.ext_id)
        if task.get("status") == "Completed" and item and item.get("status") == "Success":
            sent.results.append(Result.of(c, c.kind, "done"))
            done.add(c.ext_id)
        elif c.ext_id in failed:
            sent.results.append(Result.of(c, c.kind, "failed", failed[c.ext_id]))
        else:
            error = ((item or {}).get("errors") or [{}])[0]
            code = error.get("errorCode") or f"task {task.get('status', '?')}"
            sent.results.append(
                Result.of(
                    c, c.kind, "failed", f"{code}: {error.get('message', '')}".strip(": ")
                )  # fmt: skip
            )
    return done


def _task_errors(task: dict[str, Any], changes: list[Change]) -> dict[str, str]:
    """What a task that did not complete says of each record (its task-level `errors`, each
    naming its record by `parameterName` "records[N]..." where it can): by extension id."""
    errors = [e for e in (task.get("result") or {}).get("errors") or [] if isinstance(e, dict)]
    status = f"task {task.get('status', '?')}"
    own: dict[str, list[str]] = {}
    general: list[str] = []
    for error in errors:
        text = f"{error.get('errorCode', '?')}: {error.get('message', '')}".rstrip(": ")
        where = re.match(r"records\[(\d+)\]\.?(.*)", str(error.get("parameterName") or ""))
        if where and int(where[1]) < len(changes):
            field = f" ({where[2]})" if where[2] else ""
            own.setdefault(changes[int(where[1])].ext_id, []).append(text + field)
        else:
            general.append(text)
    by_others = [f"{c.extension}: {'; '.join(own[c.ext_id])}" for c in changes if c.ext_id in own]
    out = {}
    for c in changes:
        if c.ext_id in own:
            out[c.ext_id] = f"{status}: {'; '.join(own[c.ext_id] + general)}"
        elif general:
            out[c.ext_id] = f"{status}: {'; '.join(general)}"
        elif by_others:
            out[c.ext_id] = f"{status} for another record of the request ({'; '.join(by_others)})"
    return out


def task_now(client: Client, task_id: str) -> dict[str, Any]:
    """A bulk task as the platform has it now (one request)."""
    path = f"{ACCOUNT}/extension-bulk-update/tasks/{segment(task_id, 'bulk task id')}"
    task = client.get(path)
    return task if isinstance(task, dict) else {}


def _poll(client: Client, task: dict[str, Any], limit: float) -> dict[str, Any]:
    """Until the task ends (at most `limit` seconds: then its records are reported failed,
    and the next apply holds them until the journaled task has ended)."""
    wait, deadline = 0.2, time.monotonic() + limit
    task_id = segment(task.get("id"), "bulk task id")
    while task.get("status") not in ("Completed", "Failed"):
        if time.monotonic() > deadline:
            raise PlatformError(
                f"platform: bulk task {task_id} has not ended after {limit:g} s "
                "($EXTADMIN_TASK_WAIT): its records are held until it has; run `extadmin "
                "platform apply` again later"
            )
        time.sleep(wait)
        wait = min(wait * 2, 5.0)
        task = task_now(client, task_id)
    return task


def _question(client: Client, req: ApiCall, secrets: UserSecrets, sent: Sent) -> None:
    change = req.changes[0]
    question_id = req.body["secretQuestion"]["id"]
    body = {"secretQuestion": {"id": question_id, "answer": secrets[change.ext_id][2]}}
    try:
        client.request("PUT", req.path, json=body)
    except PlatformError as exc:
        if exc.status in (403, 404):  # the API is not enabled for this app: not to retry
            sent.asked.add(change.ext_id)
            result = "not applied"
        else:
            result = "failed"
        sent.results.append(Result.of(change, "security question", result, _error(exc)))
        return
    sent.results.append(Result.of(change, "security question", "done"))
    sent.asked.add(change.ext_id)


def _batch(client: Client, req: ApiCall, live: list[Change], sent: Sent) -> None:
    """A role or recording request, for the extensions whose update went through."""
    body = dict(req.body)
    ids = {c.ext_id for c in live}
    if "addedExtensionIds" in body:
        body["addedExtensionIds"] = [i for i in body["addedExtensionIds"] if i in ids]
    for key in ("addedExtensions", "updatedExtensions", "removedExtensions"):
        if key in body:
            body[key] = [item for item in body[key] if item["id"] in ids]
    try:
        client.request(req.method, req.path, json=body)
    except PlatformError as exc:
        for c in live:
            sent.results.append(_failed(c, req.step, exc))
        return
    for c in live:
        sent.results.append(Result.of(c, req.step, "done"))


def _with_secrets(change: Change, body: dict[str, Any], secrets: UserSecrets) -> dict[str, Any]:
    if "password" not in body:
        return body
    password, pin, _ = secrets[change.ext_id]
    return {**body, "password": password, "ivrPin": pin}


def _failed(change: Change, operation: str, exc: PlatformError) -> Result:
    return Result.of(change, operation, "failed", _error(exc))


def _error(exc: PlatformError) -> str:
    return f"{exc.code}: {exc.message}" if exc.code else exc.message
