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


def _folder() -> Path:
    from platformdirs import user_config_path

    return user_config_path("extadmin", appauthor=False) / "platform"


def _path(server: str, client_id: str) -> Path:
    return _folder() / link_name(server, client_id)


def save(server: str, client_id: str, client_secret: str, jwt: str) -> Path:
    path = _path(server, client_id)
    files.private_dir(path.parent)
    value = {"server": server, "client_id": client_id, "client_secret": client_secret, "jwt": jwt}
    files.write_atomic(path, json.dumps(value).encode("utf-8"))
    return path


def _read(path: Path) -> dict[str, str] | None:
    try:
        value = json.loads(path.read_text("utf-8"))
        keys = ("server", "client_id", "client_secret", "jwt")
        return {key: str(value[key]) for key in keys}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load(server: str, client_id: str) -> tuple[str, str] | None:
    """(client secret, JWT), or None when none are kept for this server and client id (or the
    file is unreadable, or records another server or client id: kept secrets go only to the
    server they were given for)."""
    value = _read(_path(server, client_id))
    if value is None or (value["server"], value["client_id"]) != (server, client_id):
        return None
    return value["client_secret"], value["jwt"]


def servers(client_id: str) -> list[str]:
    """The servers secrets are kept for with this client id (to say where, never to send)."""
    try:
        paths = sorted(_folder().glob("*.json"))
    except OSError:
        return []
    found = [_read(path) for path in paths]
    return [v["server"] for v in found if v is not None and v["client_id"] == client_id]


def remove(server: str, client_id: str) -> Path | None:
    """Forget the secrets kept for this server and client id: the file removed, or None when
    there was none."""
    path = _path(server, client_id)
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path
