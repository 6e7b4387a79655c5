"""Sending a plan: the requests, in the order `platform plan` shows and `platform apply` sends.

1. the extensions: one PUT each when there are a few, else extension-bulk-update requests of
   at most 500 records, each task polled until it ends (its id journaled first, so that an
   apply cut short finishes it before anything else);
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
from typing import Any

from extadmin.errors import PlatformError
from extadmin.platform.client import ACCOUNT, Client, segment
from extadmin.platform.plan import SECRET, Change

BULK_FROM = 5  # this many extension updates or more go by bulk update
BULK_SIZE = 500  # the platform's most records a bulk-update request


@dataclass
class Request:
    step: str  # extensions | security question | role | recording
    method: str
    path: str
    body: dict[str, Any]
    changes: list[Change]

    def shown(self) -> dict[str, Any]:
        """As `platform plan` shows it: secrets as "<secret>"."""
        return {"step": self.step, "method": self.method, "path": self.path, "body": self.body}


@dataclass
class Result:
    extension: str
    operation: str
    result: str  # done | failed | held | not applied | conflict
    error: str = ""


@dataclass
class Sent:
    results: list[Result] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)  # extension updates the platform accepted
    asked: set[str] = field(default_factory=set)  # security questions it accepted


def requests(changes: list[Change], questions: dict[str, str]) -> list[Request]:
    """Every request for the changes to send, in order (bodies with "<secret>"). `questions`:
    the platform's security question ids by text (casefolded; mapping.question_ids)."""
    out: list[Request] = []
    updates = [c for c in changes if c.record is not None]
    if len(updates) < BULK_FROM:
        for c in updates:
            assert c.record is not None
            path = f"{ACCOUNT}/extension/{segment(c.ext_id, 'extension id')}"
            out.append(Request("extensions", "PUT", path, dict(c.record), [c]))
    else:
        for i in range(0, len(updates), BULK_SIZE):
            chunk = updates[i : i + BULK_SIZE]
            records = [{"id": c.ext_id, **(c.record or {})} for c in chunk]
            path = f"{ACCOUNT}/extension-bulk-update"
            out.append(Request("extensions", "POST", path, {"records": records}, chunk))
    for c in changes:
        if c.question and c.question.casefold() in questions:
            body = {"secretQuestion": {"id": questions[c.question.casefold()], "answer": SECRET}}
            path = f"{ACCOUNT}/extension/{segment(c.ext_id, 'extension id')}/credentials"
            out.append(Request("security question", "PUT", path, body, [c]))
    by_role: dict[str, list[Change]] = {}
    for c in changes:
        if c.role:
            by_role.setdefault(c.role, []).append(c)
    for role, group in by_role.items():
        if len(group) == 1:
            path = f"{ACCOUNT}/extension/{segment(group[0].ext_id, 'extension id')}/assigned-role"
            out.append(Request("role", "PUT", path, {"records": [{"id": role}]}, group))
        else:
            added = {"addedExtensionIds": [c.ext_id for c in group]}
            path = f"{ACCOUNT}/user-role/{segment(role, 'role id')}/bulk-assign"
            out.append(Request("role", "POST", path, added, group))
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
        out.append(Request("recording", "POST", path, dict(lists), recorded))
    return out


Secrets = dict[str, tuple[str, str, str]]  # extension id -> (password, PIN, security answer)


def send(
    client: Client,
    changes: list[Change],
    secrets: Secrets,
    questions: dict[str, str],
    journal: Callable[[str | None], None],
    progress: Callable[[int], None] | None = None,
) -> Sent:
    """Send the requests of the changes; what each did. `journal(task_id)` is called when a
    bulk task is accepted, and with None when it has ended."""
    sent = Sent()
    failed: set[str] = set()
    for c in changes:  # a question the platform does not offer: said, and settled
        if c.question and c.question.casefold() not in questions:
            sent.results.append(
                Result(
                    c.extension,
                    "security question",
                    "not applied",
                    "the platform offers no question with this text (pull again)",
                )
            )
            sent.asked.add(c.ext_id)
    for req in requests(changes, questions):
        live = [c for c in req.changes if c.ext_id not in failed]
        if not live:
            continue
        if req.step == "extensions":
            done = _extensions(client, req, secrets, journal, sent)
            failed |= {c.ext_id for c in req.changes} - done
            sent.accepted |= done
        elif req.step == "security question":
            _question(client, req, secrets, sent)
        else:
            _batch(client, req, live, sent)
        if progress:
            progress(len(live))
    return sent


def _extensions(
    client: Client,
    req: Request,
    secrets: Secrets,
    journal: Callable[[str | None], None],
    sent: Sent,
) -> set[str]:
    """The extension updates of one request; the ids the platform accepted."""
    if req.method == "PUT":
        change = req.changes[0]
        body = _with_secrets(change, req.body, secrets)
        # an assignment is not sent twice blindly (a second welcome email): a lost answer is
        # settled by reading the platform back
        try:
            client.request("PUT", req.path, json=body, idempotent=change.kind == "update")
        except PlatformError as exc:
            sent.results.append(_failed(change, change.kind, exc))
            return set()
        sent.results.append(Result(change.extension, change.kind, "done"))
        return {change.ext_id}
    by_id = {c.ext_id: c for c in req.changes}
    records = [
        _with_secrets(by_id[r["id"]], r, secrets) for r in req.body["records"]
    ]  # fmt: skip
    try:
        task = client.request("POST", req.path, json={"records": records}) or {}
        journal(str(task.get("id", "")))
        task = _poll(client, task)
    except PlatformError as exc:
        for c in req.changes:
            sent.results.append(_failed(c, c.kind, exc))
        return set()
    journal(None)
    items = ((task.get("result") or {}).get("affectedItems") or {}).get("result") or []
    outcome = {str(i.get("extensionId")): i for i in items if isinstance(i, dict)}
    failed = _task_errors(task, req.changes) if task.get("status") != "Completed" else {}
    done: set[str] = set()
    for c in req.changes:
        item = outcome.get(c.ext_id)
        if task.get("status") == "Completed" and item and item.get("status") == "Success":
            sent.results.append(Result(c.extension, c.kind, "done"))
            done.add(c.ext_id)
        elif c.ext_id in failed:
            sent.results.append(Result(c.extension, c.kind, "failed", failed[c.ext_id]))
        else:
            error = ((item or {}).get("errors") or [{}])[0]
            code = error.get("errorCode") or f"task {task.get('status', '?')}"
            sent.results.append(
                Result(
                    c.extension, c.kind, "failed", f"{code}: {error.get('message', '')}".strip(": ")
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


def poll(client: Client, task_id: str) -> dict[str, Any]:
    """A bulk task, polled until it has ended."""
    return _poll(client, {"id": task_id, "status": "Accepted"})


def _poll(client: Client, task: dict[str, Any], limit: float = 1800.0) -> dict[str, Any]:
    """Until the task ends (at most `limit` seconds: then the apply stops, and the next one
    polls the journaled task again)."""
    wait, deadline = 0.2, time.monotonic() + limit
    task_id = segment(task.get("id"), "bulk task id")
    while task.get("status") not in ("Completed", "Failed"):
        if time.monotonic() > deadline:
            raise PlatformError(
                f"platform: bulk task {task_id} has not ended after {limit:g} s: "
                "run `extadmin platform apply` again later"
            )
        time.sleep(wait)
        wait = min(wait * 2, 5.0)
        task = client.get(f"{ACCOUNT}/extension-bulk-update/tasks/{task_id}") or {}
    return task


def _question(client: Client, req: Request, secrets: Secrets, sent: Sent) -> None:
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
        sent.results.append(Result(change.extension, "security question", result, _error(exc)))
        return
    sent.results.append(Result(change.extension, "security question", "done"))
    sent.asked.add(change.ext_id)


def _batch(client: Client, req: Request, live: list[Change], sent: Sent) -> None:
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
        sent.results.append(Result(c.extension, req.step, "done"))


def _with_secrets(change: Change, body: dict[str, Any], secrets: Secrets) -> dict[str, Any]:
    if "password" not in body:
        return body
    password, pin, _ = secrets[change.ext_id]
    return {**body, "password": password, "ivrPin": pin}


def _failed(change: Change, operation: str, exc: PlatformError) -> Result:
    return Result(change.extension, operation, "failed", _error(exc))


def _error(exc: PlatformError) -> str:
    return f"{exc.code}: {exc.message}" if exc.code else exc.message
