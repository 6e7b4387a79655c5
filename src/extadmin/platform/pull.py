"""Reading a platform account: what `platform pull` needs, in as few requests as the paging
allows: one per 1,000 extensions, one per 1,000 recorded users, and one per dictionary."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from extadmin.errors import PlatformError
from extadmin.platform.client import ACCOUNT, PER_PAGE, Client
from extadmin.platform.mapping import Snapshot

QUESTIONS = "/restapi/v1.0/dictionary/secret-question"  # the credentials API: not published

# (what, items read so far, items in all when the platform says)
Progress = Callable[[str, int, int | None], None]


def account_info(client: Client) -> dict[str, Any]:
    """The platform account: its id, country and language (and proof the credentials work)."""
    answer = client.get(ACCOUNT)
    return answer if isinstance(answer, dict) else {}


def snapshot(client: Client, questions: bool = False) -> Snapshot:
    """What a pull reads before the extensions (user_extension_pages, then mapped as they
    come): the sites, the roles, the default role, the languages, (`questions`) the security
    questions and the call-recording list. Every list needs ReadAccounts only; the default role
    needs RoleManagement, and without it the default role stays as the last pull left it (a
    warning); the security questions need the credentials API, and without it the questions
    stay as they are (a warning)."""
    snap = Snapshot()
    said = snap.warnings
    snap.sites = _records(client, f"{ACCOUNT}/sites", per_page=False, warnings=said)
    snap.roles = _records(client, f"{ACCOUNT}/user-role", warnings=said)
    try:
        snap.default_role_id = _default_role(client, snap.warnings)
    except PlatformError as exc:
        if exc.status != 403:
            raise
        snap.warnings.append(
            f"the default role cannot be read without the RoleManagement permission "
            f"({exc.code or exc.status}): it stays as the last pull left it"
        )
    snap.languages = _records(
        client, "/restapi/v1.0/dictionary/language", paged=False, warnings=said
    )
    if questions:
        try:
            snap.questions = _records(client, QUESTIONS, paged=False, warnings=said)
        except PlatformError as exc:
            if exc.status not in (403, 404):
                raise
            snap.warnings.append(
                f"the platform gives no security questions to this app ({exc.code or exc.status}"
                "): the credentials API is not enabled for it, and users set their question at "
                "first login"
            )
    snap.recording = recording_list(client, warnings=said)
    return snap


def _default_role(client: Client, warnings: list[str]) -> str | None:
    """The default role's id: an answer that is not an object stops the pull (nothing
    written); one without a usable id leaves the default role as the last pull left it."""
    path = f"{ACCOUNT}/user-role/default"
    answer = client.get(path)
    if answer is None:
        answer = {}
    if not isinstance(answer, dict):
        raise PlatformError(
            f"platform: GET {path}: the answer holds no role object "
            f"({json.dumps(answer)[:80]}): nothing was written"
        )
    role_id = answer.get("id")
    if isinstance(role_id, bool) or not isinstance(role_id, str | int) or not str(role_id).strip():
        warnings.append(
            f"the default role the platform gave has no id ({json.dumps(answer)[:60]}): it "
            "stays as the last pull left it"
        )
        return None
    return str(role_id)


USER_EXTENSIONS = f"{ACCOUNT}/extension"  # read with type=User, PER_PAGE a page


def user_extensions(client: Client) -> list[dict[str, Any]]:
    """Every User extension, 1,000 a request."""
    return [record for page in user_extension_pages(client) for record in page]


def user_extension_pages(
    client: Client, progress: Progress | None = None, warnings: list[str] | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The User extensions, a page (1,000, one request) at a time (`warnings`: see
    _page_records)."""
    path = USER_EXTENSIONS
    checked = _Progress(path)
    read = 0
    for page in client.pages(path, type="User"):
        records = checked(page, _page_records(page, path, warnings))
        read += len(records)
        if progress:
            paging = page.get("paging") if isinstance(page, dict) else None
            total = paging.get("totalElements") if isinstance(paging, dict) else None
            known = isinstance(total, int) and not isinstance(total, bool) and total >= 0
            progress("extensions", read, total if known else None)
        yield records


def user_extension_page(client: Client, number: int) -> list[dict[str, Any]]:
    """One page of the User extensions, as user_extensions() reads them: the `number`-th
    PER_PAGE (the records of one request read again just before it is sent)."""
    answer = client.get(USER_EXTENSIONS, type="User", page=number, perPage=PER_PAGE)
    return _page_records(answer, USER_EXTENSIONS)


def recording_list(client: Client, warnings: list[str] | None = None) -> dict[str, str]:
    """The call-recording list: extension id -> callDirection (`warnings`: _page_records)."""
    path = f"{ACCOUNT}/call-recording/extensions"
    return {
        str(r["id"]): str(r["callDirection"])
        for r in _records(client, path, per_page=False, warnings=warnings)
        if r.get("id") and r.get("callDirection")
    }


def _records(
    client: Client,
    path: str,
    paged: bool = True,
    per_page: bool = True,
    warnings: list[str] | None = None,
) -> list[dict[str, Any]]:
    """A list's records; `per_page`: whether its definition declares perPage (sites and the
    recording list do not: they are asked without it, and still followed page by page)."""
    if not paged:
        return _page_records(client.get(path), path, warnings)
    checked = _Progress(path)
    pages = client.pages(path, per_page=per_page)
    return [r for page in pages for r in checked(page, _page_records(page, path, warnings))]


class _Progress:
    """The pages of one list: each that links to a next page must bring a record new to the
    list. An empty page, or one repeating records read already, under a link the client has
    not read yet (it stops on a link read already), would let a platform lead the pull on for
    ever: the third such page in a row stops it."""

    LIMIT = 3

    def __init__(self, path: str) -> None:
        self.path = path
        self.seen: set[str] = set()
        self.stale = 0  # pages in a row that brought nothing new and linked on

    def __call__(self, page: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = {str(r.get("id")) for r in records}
        fresh = bool(ids - self.seen)
        self.seen |= ids
        navigation = page.get("navigation") if isinstance(page, dict) else None
        links_on = isinstance(navigation, dict) and bool(navigation.get("nextPage"))
        self.stale = 0 if fresh or not links_on else self.stale + 1
        if self.stale >= self.LIMIT:
            raise PlatformError(
                f"platform: GET {self.path}: {self.stale} pages in a row with no record new to "
                "the list link to a next page (repeated or empty pages): nothing was written"
            )
        return records


def _page_records(page: Any, path: str, warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """The records of a list page, which must hold a list: an answer that does not (`{}`, a
    list, records that are not a list, none of them an object) stops the pull before anything
    is written, rather than reading as an account with nothing in it. Some records that are
    not objects among others stop it too, unless `warnings` is given: then each is said there
    and left out (one bad record never blocks a pull)."""
    records = page.get("records") if isinstance(page, dict) else None
    if isinstance(records, list):
        kept = [r for r in records if isinstance(r, dict)]
        if len(kept) == len(records):
            return kept
        if warnings is not None and kept:
            for record in records:
                if not isinstance(record, dict):
                    warnings.append(
                        f"a record of GET {path} that is not an object "
                        f"({json.dumps(record)[:40]}): not pulled"
                    )
            return kept
    raise PlatformError(
        f"platform: GET {path}: the answer holds no list of records "
        f"({json.dumps(page)[:80]}): nothing was written"
    )
