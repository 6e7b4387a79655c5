"""Reading a platform account: what `platform pull` needs, in as few requests as the paging
allows: one per 1,000 extensions, one per 1,000 recorded users, and one per dictionary."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from extadmin.errors import PlatformError
from extadmin.platform.client import ACCOUNT, Client
from extadmin.platform.mapping import Snapshot

QUESTIONS = "/restapi/v1.0/dictionary/secret-question"  # the credentials API: not published

# (what, items read so far, items in all when the platform says)
Progress = Callable[[str, int, int | None], None]


def account_info(client: Client) -> dict[str, Any]:
    """The platform account: its id, country and language (and proof the credentials work)."""
    answer = client.get(ACCOUNT)
    return answer if isinstance(answer, dict) else {}


def snapshot(client: Client, progress: Progress | None = None, questions: bool = False) -> Snapshot:
    """What a pull reads. Every list needs ReadAccounts only; the default role needs
    RoleManagement, and without it the default role stays as the last pull left it (a warning);
    the security questions (`questions`) need the credentials API, and without it the questions
    stay as they are (a warning)."""
    snap = Snapshot()
    snap.sites = _records(client, f"{ACCOUNT}/sites", per_page=False)
    snap.roles = _records(client, f"{ACCOUNT}/user-role")
    try:
        default = client.get(f"{ACCOUNT}/user-role/default") or {}
        snap.default_role_id = str(default["id"]) if default.get("id") else None
    except PlatformError as exc:
        if exc.status != 403:
            raise
        snap.warnings.append(
            f"the default role cannot be read without the RoleManagement permission "
            f"({exc.code or exc.status}): it stays as the last pull left it"
        )
    snap.languages = _records(client, "/restapi/v1.0/dictionary/language", paged=False)
    if questions:
        try:
            snap.questions = _records(client, QUESTIONS, paged=False)
        except PlatformError as exc:
            if exc.status not in (403, 404):
                raise
            snap.warnings.append(
                f"the platform gives no security questions to this app ({exc.code or exc.status}"
                "): the credentials API is not enabled for it, and users set their question at "
                "first login"
            )
    snap.extensions = user_extensions(client, progress)
    snap.recording = recording_list(client)
    return snap


def user_extensions(client: Client, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every User extension, 1,000 a request."""
    records: list[dict[str, Any]] = []
    for page in client.pages(f"{ACCOUNT}/extension", type="User"):
        records += _page_records(page, f"{ACCOUNT}/extension")
        if progress:
            total = ((page or {}).get("paging") or {}).get("totalElements")
            progress("extensions", len(records), total if isinstance(total, int) else None)
    return records


def recording_list(client: Client) -> dict[str, str]:
    """The call-recording list: extension id -> callDirection."""
    return {
        str(r["id"]): str(r["callDirection"])
        for r in _records(client, f"{ACCOUNT}/call-recording/extensions", per_page=False)
        if r.get("id") and r.get("callDirection")
    }


def _records(
    client: Client, path: str, paged: bool = True, per_page: bool = True
) -> list[dict[str, Any]]:
    """A list's records; `per_page`: whether its definition declares perPage (sites and the
    recording list do not: they are asked without it, and still followed page by page)."""
    if not paged:
        return _page_records(client.get(path), path)
    pages = client.pages(path, per_page=per_page)
    return [r for page in pages for r in _page_records(page, path)]


def _page_records(page: Any, path: str) -> list[dict[str, Any]]:
    """The records of a list page, which must hold a list of objects: an answer that does not
    (`{}`, a list, records that are not objects) stops the pull before anything is written,
    rather than reading as an account with nothing in it."""
    records = page.get("records") if isinstance(page, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise PlatformError(
            f"platform: GET {path}: the answer holds no list of records "
            f"({json.dumps(page)[:80]}): nothing was written"
        )
    return records
