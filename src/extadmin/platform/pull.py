"""Reading a platform account: what `platform pull` needs, in as few requests as the paging
allows: one per 1,000 extensions, one per 1,000 recorded users, and one per dictionary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from extadmin.platform.client import ACCOUNT, Client
from extadmin.platform.mapping import Snapshot

# (what, items read so far, items in all when the platform says)
Progress = Callable[[str, int, int | None], None]


def account_info(client: Client) -> dict[str, Any]:
    """The platform account: its id, country and language (and proof the credentials work)."""
    answer = client.get(ACCOUNT)
    return answer if isinstance(answer, dict) else {}


def snapshot(client: Client, progress: Progress | None = None) -> Snapshot:
    snap = Snapshot()
    snap.sites = _records(client, f"{ACCOUNT}/sites")
    snap.roles = _records(client, f"{ACCOUNT}/user-role")
    default = client.get(f"{ACCOUNT}/user-role/default") or {}
    snap.default_role_id = str(default["id"]) if default.get("id") else None
    snap.languages = _records(client, "/restapi/v1.0/dictionary/language", paged=False)
    snap.extensions = user_extensions(client, progress)
    snap.recording = recording_list(client)
    return snap


def user_extensions(client: Client, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every User extension, 1,000 a request."""
    records: list[dict[str, Any]] = []
    for page in client.pages(f"{ACCOUNT}/extension", type="User"):
        records += _page_records(page)
        if progress:
            total = ((page or {}).get("paging") or {}).get("totalElements")
            progress("extensions", len(records), total if isinstance(total, int) else None)
    return records


def recording_list(client: Client) -> dict[str, str]:
    """The call-recording list: extension id -> callDirection."""
    return {
        str(r["id"]): str(r["callDirection"])
        for r in _records(client, f"{ACCOUNT}/call-recording/extensions")
        if r.get("id") and r.get("callDirection")
    }


def _records(client: Client, path: str, paged: bool = True) -> list[dict[str, Any]]:
    if not paged:
        return _page_records(client.get(path))
    return [r for page in client.pages(path) for r in _page_records(page)]


def _page_records(page: Any) -> list[dict[str, Any]]:
    records = (page or {}).get("records") or []
    return [r for r in records if isinstance(r, dict)]
