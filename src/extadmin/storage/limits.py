"""The platform's rate-limit state between runs (user cache folder, one file per server and
client id): a group that ran out, or a 429 penalty, binds the next command too, started a
second later by a script. Best effort: a missing or unreadable file only means the next run
learns the limits again from the platform's headers. Holds no secret."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from extadmin.storage import credentials, files


def _path(server: str, client_id: str) -> Path:
    from platformdirs import user_cache_path

    folder = user_cache_path("extadmin", appauthor=False) / "rate-limits"
    return folder / credentials.link_name(server, client_id)


def load(server: str, client_id: str) -> tuple[dict[str, Any], float] | None:
    """(state, seconds since it was saved), or None."""
    try:
        saved = json.loads(_path(server, client_id).read_text("utf-8"))
        return saved["state"], max(0.0, time.time() - float(saved["time"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(server: str, client_id: str, state: dict[str, Any]) -> None:
    path = _path(server, client_id)
    with contextlib.suppress(OSError):
        files.private_dir(path.parent)
        data = json.dumps({"time": time.time(), "state": state}).encode()
        files.write_atomic(path, data, sync=False, work=False)  # extadmin's own state
