"""The platform credentials (client secret and JWT) that `platform connect` took from files,
kept for the next runs in a private file of the user config folder (0600 in a 0700 folder):
never in the account file, which is shared and audited. One file per server and client id."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from extadmin.storage import files


def link_name(server: str, client_id: str) -> str:
    """A file name for what is kept per server and client id (here and storage.limits)."""
    return hashlib.sha256(f"{server}\n{client_id}".encode()).hexdigest()[:32] + ".json"


def _path(server: str, client_id: str) -> Path:
    from platformdirs import user_config_path

    return user_config_path("extadmin", appauthor=False) / "platform" / link_name(server, client_id)


def save(server: str, client_id: str, client_secret: str, jwt: str) -> Path:
    path = _path(server, client_id)
    files.private_dir(path.parent)
    value = {"server": server, "client_id": client_id, "client_secret": client_secret, "jwt": jwt}
    files.write_atomic(path, json.dumps(value).encode("utf-8"))
    return path


def load(server: str, client_id: str) -> tuple[str, str] | None:
    """(client secret, JWT), or None when none are kept (or the file is unreadable)."""
    try:
        value = json.loads(_path(server, client_id).read_text("utf-8"))
        return str(value["client_secret"]), str(value["jwt"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
