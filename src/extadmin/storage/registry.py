"""What this machine knows: the registered accounts (user data dir) and the current account
(user config dir). platformdirs honours XDG_DATA_HOME and XDG_CONFIG_HOME on Linux."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from extadmin.errors import AccountFileError
from extadmin.storage import files


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("extadmin", appauthor=False)


def _config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path("extadmin", appauthor=False)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError):
        raise AccountFileError(f"{path}: malformed (delete it to start over)") from None
    return value if isinstance(value, dict) else {}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    files.private_dir(path.parent)
    files.write_atomic(path, (json.dumps(value, indent=2) + "\n").encode())


def _registry_path() -> Path:
    return data_dir() / "accounts.json"


def registered() -> list[Path]:
    """Registered account files, in the order they were registered."""
    paths = _read_json(_registry_path()).get("accounts", [])
    return [Path(p) for p in paths if isinstance(p, str)]


def _edit(change: Callable[[list[Path]], list[Path] | None]) -> bool:
    """Read-modify-write the registry under its lock. `change` gets the registered paths and
    returns the new list, or None to leave it as it is. True if it changed."""
    reg = _registry_path()
    files.private_dir(reg.parent)
    busy = f"{reg}: locked by another extadmin command for more than 10 s"
    with files.locked(reg.with_name(".accounts.json.lock"), 10, busy):
        paths = change(registered())
        if paths is None:
            return False
        _write_json(reg, {"accounts": [str(p) for p in paths]})
    return True


@contextmanager
def claiming_emails(timeout: float) -> Iterator[None]:
    """Held (machine-wide, before any account's own lock) by a command that checks email
    uniqueness across the known accounts and then saves: two commands assigning one address in
    two accounts at once would otherwise both see it free."""
    busy = (
        f"another extadmin command has been assigning users for more than {timeout:g} s "
        "(set EXTADMIN_LOCK_TIMEOUT to wait longer)"
    )
    with files.locked(files.private_dir(data_dir()) / ".emails.lock", timeout, busy):
        yield


def register(path: Path) -> bool:
    """Record an account file; False if it was already known."""
    path = path.resolve()
    return _edit(lambda known: None if path in known else [*known, path])


def forget(path: Path) -> bool:
    path = path.resolve()
    forgotten = _edit(lambda known: [p for p in known if p != path] if path in known else None)
    if forgotten and current() == path:
        set_current(None)
    return forgotten


def replace(old: Path, new: Path) -> bool:
    """Put `new` where `old` was in the registry (and as the current account); False if `old`
    was not registered."""
    old, new = old.resolve(), new.resolve()
    replaced = _edit(
        lambda known: [new if p == old else p for p in known if p != new] if old in known else None
    )
    if replaced and current() == old:
        set_current(new)
    return replaced


def current() -> Path | None:
    value = _read_json(_config_dir() / "config.json").get("current")
    return Path(value) if isinstance(value, str) else None


def set_current(path: Path | None) -> None:
    config = _config_dir() / "config.json"
    value = _read_json(config)
    if path is None:
        value.pop("current", None)
    else:
        value["current"] = str(path.resolve())
    _write_json(config, value)
