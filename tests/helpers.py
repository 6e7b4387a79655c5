"""Helpers shared by the command tests: assign through the real CLI, read the audit log, and
the check every refused command must pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def assign(run: Any, number: str, first: str, last: str, email: str, *extra: str) -> None:
    """Assign through the CLI, `--setup later` unless `extra` names a setup option."""
    result = run(
        "assign", number, "--first-name", first, "--last-name", last, "--email", email,
        "--no-input", *(extra if "--setup" in extra else ("--setup", "later", *extra)),
    )  # fmt: skip
    assert result.code == 0, result.err


def audit(path: Path) -> list[dict[str, Any]]:
    """The entries of the audit log beside an account file."""
    log = path.with_name(f"{path.stem}.audit.jsonl")
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def refused(result: Any, path: Path, before: bytes, code: int, *fragments: str) -> None:
    """Exit `code`, one line on stderr naming the problem, nothing on stdout, no traceback,
    and the account file byte-identical."""
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("extadmin: error: ")
    for fragment in fragments:
        assert fragment in result.err, result.err
    assert path.read_bytes() == before


def load(path: Path) -> dict[str, Any]:
    """The account file as stored on disk, parsed by the standard library (JSON or TOML)."""
    import tomllib

    text = path.read_text("utf-8")
    doc: dict[str, Any] = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    return doc


def stored(path: Path, number: str) -> dict[str, Any]:
    """The one extension of that number in the account file."""
    matches = [e for e in load(path).get("extensions", []) if e.get("number") == number]
    assert len(matches) == 1, f"extension {number} stored {len(matches)} times"
    return matches[0]


def outbox(path: Path) -> Path:
    """The outbox folder beside an account file."""
    return path.with_name(f"{path.stem}.outbox")
