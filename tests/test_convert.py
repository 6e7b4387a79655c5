"""`account convert`: an account moves between TOML and JSON without losing anything."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path


def test_toml_to_json_and_back_keeps_every_value(run, account: Path, tmp_path: Path) -> None:
    assert run("extension", "add", "2210", "--site", "Boston", "--device", "Yealink T54W").code == 0
    assigned = run(
        "assign",
        "101",
        "--setup",
        "invite",
        "--first-name",
        "Zoë",
        "--last-name",
        "Åberg",
        "--email",
        "zoe@example.com",
        "--no-input",
    )
    assert assigned.code == 0, assigned.err
    as_json = tmp_path / "acme.json"
    result = run("account", "convert", account, as_json)
    assert result.code == 0, result.err
    original = tomllib.loads(account.read_text("utf-8"))
    assert json.loads(as_json.read_text("utf-8")) == original
    assert as_json.stat().st_mode & 0o777 == 0o600
    back = tmp_path / "back.toml"
    assert run("account", "convert", as_json, back).code == 0
    assert tomllib.loads(back.read_text("utf-8")) == original


def test_the_copy_takes_the_place_of_the_source_in_the_registry(
    run, account: Path, tmp_path: Path
) -> None:
    as_json = tmp_path / "acme.json"
    assert run("account", "convert", account, as_json).code == 0
    rows = json.loads(run("account", "list", "--format", "json").out)
    assert [(Path(r["path"]), r["current"]) for r in rows] == [(as_json.resolve(), True)]
    # commands now use the JSON file, and verify-email counts the account once
    assert run("extension", "add", "150").code == 0
    assert "150" in as_json.read_text("utf-8")
    assert "150" not in account.read_text("utf-8")


def test_an_existing_target_is_never_overwritten(run, account: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken.json"
    target.write_text("{}")
    source = account.read_bytes()
    result = run("account", "convert", account, target)
    assert result.code == 5
    assert "already exists" in result.err
    assert target.read_text() == "{}"
    assert account.read_bytes() == source


def test_an_unreadable_source_is_refused(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = [")
    result = run("account", "convert", bad, tmp_path / "out.json")
    assert result.code == 6
    assert not (tmp_path / "out.json").exists()
