"""The examples under examples/ are real and keep working (typer's tests/test_tutorial): the
example account loads in both formats, holds what the README promises, and the shell scripts
run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from extadmin.domain.catalog import LOCALES, SECURITY_QUESTIONS
from extadmin.storage.store import AccountStore
from tests.helpers import ROOT

EXAMPLES = ROOT / "examples"
HASHED = ("password_hash", "pin_hash", "security_answer_hash")
SCRYPT = re.compile(r"scrypt\$n=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")


def _doc(name: str) -> dict[str, Any]:
    doc = dict(AccountStore(EXAMPLES / name).read().doc)
    return {**doc, "extensions": list(doc["extensions"])}


def _users(doc: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(e, e["user"]) for e in doc["extensions"] if "user" in e]


def _mask_hashes(doc: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    for _, user in _users(doc):
        for key in HASHED:
            if key in user.get("credentials", {}):
                user["credentials"][key] = "<hash>"
    return doc


def _env(tmp_path: Path) -> dict[str, str]:
    """The environment for a script: isolated XDG folders, and the `extadmin` of this Python
    first on PATH."""
    return {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "TMPDIR": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


# --- the example account ----------------------------------------------------------------------


def test_toml_and_json_hold_the_same_account() -> None:
    assert _doc("acme.toml") == _doc("acme.json")


def test_example_is_the_account_of_the_readme() -> None:
    doc = _doc("acme.toml")
    assert doc["account"] == {
        "name": "Acme Widgets Inc.",
        "country": "US",
        "locale": "en-US",
        "default_role": "Standard User (International)",
    }
    assert doc["sites"] == [
        {"name": "Main Site"},
        {"name": "Boston", "code": "2"},
        {"name": "Austin", "code": "3"},
    ]
    codes = {s["name"]: s.get("code", "") for s in doc["sites"]}
    extensions = doc["extensions"]
    assert len(extensions) >= 30
    assert {e["site"] for e in extensions} == set(codes)
    for ext in extensions:
        assert ext["number"].startswith(codes[ext["site"]])
    statuses = [e["status"] for e in extensions]
    assert statuses.count("unassigned") > len(extensions) / 2
    assert statuses.count("enabled") >= 2
    assert "not-activated" in statuses and "disabled" in statuses
    # the extension the demo assigns is free
    assert next(e for e in extensions if e["number"] == "102")["status"] == "unassigned"


def test_example_devices() -> None:
    devices = [e["device"] for e in _doc("acme.toml")["extensions"] if "device" in e]
    assert len(devices) >= 5
    macs = [d["mac"] for d in devices if "mac" in d]
    assert macs and len(macs) < len(devices)  # some phones have no MAC recorded
    assert len(set(macs)) == len(macs)
    for mac in macs:
        assert re.fullmatch(r"([0-9A-F]{2}:){5}[0-9A-F]{2}", mac)
        assert int(mac[:2], 16) % 2 == 0  # unicast


def test_example_users_are_valid() -> None:
    import phonenumbers

    doc = _doc("acme.toml")
    users = _users(doc)
    assert 5 <= len(users) <= 8
    setups = {u["setup"] for _, u in users}
    assert {"credentials", "later"} <= setups
    emails = [u["email"] for _, u in users]
    assert len(set(emails)) == len(emails)
    for ext, user in users:
        assert user["email"] == user["email"].lower()
        assert user["email"].endswith("@acme-widgets.example")
        assert user["role"] in doc["roles"]
        for key in ("language", "greeting_language", "regional_format"):
            assert user[key] in LOCALES
        for key in ("contact_phone", "mobile_phone"):
            if key in user:
                assert phonenumbers.is_valid_number(phonenumbers.parse(user[key])), user[key]
        if ext["status"] == "enabled":
            assert user["setup"] == "credentials"
        if user["setup"] == "later":
            assert ext["status"] == "not-activated"
            assert "credentials" not in user


def test_example_holds_no_plain_secret() -> None:
    """The generator's secrets are random and written nowhere: every credential is a hash."""
    for _, user in _users(_doc("acme.toml")):
        creds = user.get("credentials")
        if user["setup"] != "credentials":
            assert creds is None
            continue
        assert set(creds) == {*HASHED, "temporary_password", "security_question"}
        for key in HASHED:
            assert SCRYPT.fullmatch(creds[key]), f"{key} is not a scrypt hash"
        assert creds["security_question"] in SECURITY_QUESTIONS
        assert isinstance(creds["temporary_password"], bool)


def test_example_files_are_what_the_generator_writes() -> None:
    """make_example.py is deterministic except for the (salted) hashes, and the committed files
    are its output."""
    spec = importlib.util.spec_from_file_location("make_example", EXAMPLES / "make_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = _mask_hashes(module.build())
    assert built == _mask_hashes(_doc("acme.toml"))
    assert built == _mask_hashes(_doc("acme.json"))


# --- the scripts ------------------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    path = tmp_path / "acme.toml"
    shutil.copyfile(EXAMPLES / "acme.toml", path)
    path.chmod(0o600)
    return path


def _onboard(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(EXAMPLES / "onboard.sh"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
    )


def test_onboard_assigns_the_first_unassigned_extension_of_the_site(
    tmp_path: Path, copy: Path
) -> None:
    email = "grace.hopper@acme-widgets.example"
    result = _onboard(tmp_path, str(copy), "Austin", "Grace", "Hopper", email, "Engineering")
    assert result.returncode == 0, result.stderr
    assert "extension 3302" in result.stderr  # 3301 is taken: Luis Ortega
    json.loads(result.stdout)  # `assign --format json`
    ext = AccountStore(copy).read().extension("3302")
    assert ext["status"] == "not-activated"
    user = ext["user"]
    assert (user["first_name"], user["last_name"], user["email"]) == ("Grace", "Hopper", email)
    assert user["department"] == "Engineering" and user["setup"] == "invite"
    assert len(list((tmp_path / "acme.outbox").glob("*.eml"))) == 1


def test_onboard_exit_codes(tmp_path: Path, copy: Path) -> None:
    before = copy.read_bytes()
    args = ["Grace", "Hopper", "grace.hopper@acme-widgets.example"]
    assert _onboard(tmp_path, str(copy)).returncode == 2
    result = _onboard(tmp_path, str(copy), "Nowhere", *args)
    assert result.returncode == 4, result.stderr
    result = _onboard(tmp_path, str(tmp_path / "missing.toml"), "Austin", *args)
    assert result.returncode == 4, result.stderr
    result = _onboard(tmp_path, str(copy), "Austin", "Grace", "Hopper", "not an email")
    assert result.returncode == 3, result.stderr
    # the email of a user of a known account is taken
    registered = subprocess.run(
        [sys.executable, "-m", "extadmin", "account", "add", str(copy)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert registered.returncode == 0, registered.stderr
    result = _onboard(tmp_path, str(copy), "Austin", "P", "R", "priya.raman@acme-widgets.example")
    assert result.returncode == 5, result.stderr
    assert copy.read_bytes() == before


def _git_status() -> str | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout if result.returncode == 0 else None


def test_demo_runs_and_touches_nothing_in_the_checkout(tmp_path: Path) -> None:
    """The README's first command. Needs `extadmin assign`."""
    examples_before = sorted(p.name for p in EXAMPLES.iterdir())
    account_before = (EXAMPLES / "acme.toml").read_bytes()
    status_before = _git_status()
    result = subprocess.run(
        ["sh", str(EXAMPLES / "demo.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Grace" in result.stdout and "Hopper" in result.stdout
    assert "welcome email:" in result.stdout
    assert sorted(p.name for p in EXAMPLES.iterdir()) == examples_before
    assert (EXAMPLES / "acme.toml").read_bytes() == account_before
    assert _git_status() == status_before
    # the demo worked in a temporary folder (under TMPDIR) and said where
    copies = list(tmp_path.glob("extadmin-demo.*/acme.toml"))
    assert len(copies) == 1 and str(copies[0]) in result.stdout
    ext = AccountStore(copies[0]).read().extension("102")
    assert ext["status"] == "not-activated" and ext["user"]["setup"] == "invite"
