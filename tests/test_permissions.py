"""Everything extadmin writes is readable by its owner only (files 0600, folders 0700): the
account file, its audit log and lock file, the outbox and its messages, the registry, also
when the program runs under a permissive umask (0), and after every kind of change."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ACTIVATION_URL, Result, invoke
from tests.csv_helpers import csv_text, write_csv
from tests.helpers import ADA, audit_path, outbox
from tests.smtp_server import smtp_server

pytestmark = pytest.mark.timeout(180)


def permissive(*args: object) -> Result:
    """The command line in-process with this process's umask at 0 (a umask is a process's, and
    a command run in-process creates its files under this one): only extadmin's own modes
    protect what it writes. test_the_real_program_under_umask_0 does the same in a process."""
    old = os.umask(0)
    try:
        result = invoke(*args)
    finally:
        os.umask(old)
    assert result.code == 0, (args, result.err)
    assert "internal error" not in result.err
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def lock_path(account: Path) -> Path:
    return account.with_name(f".{account.name}.lock")


def assert_private(folder: Path) -> list[Path]:
    """Every file under `folder` is 0600 and every folder 0700 (the folder itself excepted:
    the user's); no temporary file is left. Returns the files."""
    found = []
    for path in sorted(folder.rglob("*")):
        assert not path.name.endswith(".tmp"), path
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) == expected, f"{path}: {oct(mode(path))}, not {oct(expected)}"
        found.append(path)
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The folder of the account files; the umask of the test process is wide open too."""
    path = tmp_path / "accounts"
    path.mkdir()
    return path


def test_the_umask_really_is_permissive(folder: Path) -> None:
    """The premise: a file the program would create without a mode of its own is 0666."""
    script = "import sys; open(sys.argv[1], 'w').close()"
    subprocess.run([sys.executable, "-c", script, folder / "plain"], check=True, umask=0)
    assert mode(folder / "plain") == 0o666


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_init_and_every_change_under_umask_0(folder: Path, tmp_path: Path, suffix: str) -> None:
    account = folder / f"acme{suffix}"
    permissive("init", account, "--name", "Acme Corp")
    assert mode(account) == mode(audit_path(account)) == mode(lock_path(account)) == 0o600
    # the registry (user data folder) and the current account (user config folder)
    registry = assert_private(tmp_path / "xdg-data" / "extadmin")
    assert [p.name for p in registry if p.suffix == ".json"] == ["accounts.json"]
    config = assert_private(tmp_path / "xdg-config" / "extadmin")
    assert config
    # the cache (what was checked), the folder itself included
    assert mode(tmp_path / "xdg-cache" / "extadmin") == 0o700
    assert assert_private(tmp_path / "xdg-cache" / "extadmin")

    permissive("--account", account, "site", "add", "Boston", "--code", "2")
    permissive("--account", account, "extension", "add", "101-105")
    permissive("--account", account, "assign", "101", "--setup", "invite", *ADA, "--no-input")
    permissive("--account", account, "set-recording", "101", "--direction", "both")
    permissive("--account", account, "extension", "remove", "105", "--yes")

    files = assert_private(folder)
    messages = [p for p in files if p.suffix == ".eml"]
    assert len(messages) == 1 and messages[0].parent == outbox(account)
    assert mode(outbox(account)) == 0o700
    assert set(files) == {account, audit_path(account), lock_path(account), outbox(account),
                          *messages}  # fmt: skip


@pytest.mark.parametrize(("source", "target"), [(".toml", ".json"), (".json", ".toml")])
def test_account_convert_under_umask_0(folder: Path, source: str, target: str) -> None:
    account = folder / f"acme{source}"
    permissive("init", account, "--name", "Acme Corp")
    permissive("--account", account, "extension", "add", "101")
    copy = folder / f"copy{target}"
    permissive("account", "convert", account, copy)
    assert mode(copy) == mode(lock_path(copy)) == mode(audit_path(copy)) == 0o600
    assert_private(folder)
    permissive("--account", copy, "extension", "add", "102")  # and a change of the copy
    assert_private(folder)


def test_bulk_assign_under_umask_0(folder: Path) -> None:
    """Many invitations at once (the batched write, made durable by one sync)."""
    account = folder / "acme.toml"
    permissive("init", account, "--name", "Acme Corp")
    permissive("--account", account, "extension", "add", "101-110")
    rows = [
        {"extension": str(n), "setup": "invite", "first_name": "U", "last_name": str(n),
         "email": f"u{n}@example.com"}
        for n in range(101, 111)
    ]  # fmt: skip
    csv_file = write_csv(folder.parent / "rows.csv", csv_text(rows))
    permissive("--account", account, "bulk-assign", csv_file)
    files = assert_private(folder)
    assert len([p for p in files if p.suffix == ".eml"]) == 10

    # with credentials too (hashed in worker processes): the account stays private
    (folder.parent / "more.csv").write_text(
        "extension,setup,first_name,last_name,email,password,pin,security_question,"
        "security_answer\n"
        + "".join(
            f"{n},credentials,C,{n},c{n}@example.com,Zebra7!Quix,5820417396,1,fluffy cat\n"
            for n in range(301, 305)
        )
    )
    (folder.parent / "more.csv").chmod(0o600)
    permissive("--account", account, "extension", "add", "301-304")
    permissive("--account", account, "bulk-assign", folder.parent / "more.csv")
    assert_private(folder)


def server_options(port: int) -> tuple[str, ...]:
    return ("--host", "127.0.0.1", "--port", str(port), "--sender", "it@example.com",
            "--tls", "none")  # fmt: skip


def test_mail_delivery_under_umask_0(folder: Path) -> None:
    """Delivered messages move to outbox/sent/; refused ones get an .error file beside them."""
    account = folder / "acme.toml"
    permissive("init", account, "--name", "Acme Corp", "--activation-url", ACTIVATION_URL)
    permissive("--account", account, "extension", "add", "101", "102")
    with smtp_server(data_reply="550 5.7.1 no thanks") as refusing:
        permissive("--account", account, "mail", "configure", *server_options(refusing.port))
        permissive("--account", account, "assign", "101", "--setup", "invite", *ADA, "--no-input")
    files = assert_private(folder)
    assert [p.suffix for p in files if p.parent == outbox(account)] == [".lock", ".eml", ".error"]

    with smtp_server() as server:
        permissive("--account", account, "mail", "configure", *server_options(server.port))
        permissive("--account", account, "mail", "send")
        assert len(server.handler.messages) == 1
    files = assert_private(folder)
    sent = outbox(account) / "sent"
    assert mode(sent) == 0o700
    assert [p.suffix for p in files if p.parent == sent] == [".eml"]


def test_a_file_opened_to_others_is_made_private_by_the_next_change(folder: Path) -> None:
    """An account file, audit log or outbox someone opened up (chmod 644, a copy with cp)
    is private again after the next change that writes it."""
    account = folder / "acme.toml"
    permissive("init", account, "--name", "Acme Corp")
    permissive("--account", account, "extension", "add", "101")
    permissive("--account", account, "assign", "101", "--setup", "invite", *ADA, "--no-input")
    account.chmod(0o644)
    audit_path(account).chmod(0o644)
    outbox(account).chmod(0o755)
    permissive("--account", account, "extension", "add", "102")
    assert mode(account) == mode(audit_path(account)) == 0o600
    permissive("--account", account, "extension", "add", "103")
    permissive("--account", account, "assign", "102", "--setup", "invite", "--first-name",
               "Bob", "--last-name", "Ng", "--email", "bob@example.com", "--no-input")  # fmt: skip
    assert mode(outbox(account)) == 0o700
    for message in outbox(account).glob("*.eml"):
        assert mode(message) == 0o600


def test_the_real_program_under_umask_0(folder: Path) -> None:
    """The same as the tests above, through the real program started with umask 0."""
    account = folder / "acme.json"
    for args in (
        ("init", account, "--name", "Acme Corp"),
        ("--account", account, "extension", "add", "101"),
        ("--account", account, "assign", "101", "--setup", "invite", *ADA, "--no-input"),
        ("account", "convert", account, folder / "acme-copy.toml"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "extadmin", *map(str, args)],
            capture_output=True, text=True, timeout=60, env=dict(os.environ), umask=0,
        )  # fmt: skip
        assert done.returncode == 0, (args, done.stderr)
        assert "internal error" not in done.stderr
    files = assert_private(folder)
    assert {p.suffix for p in files} == {".json", ".jsonl", ".lock", ".outbox", ".eml", ".toml"}
