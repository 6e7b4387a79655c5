"""Issue 13 (trust), the items done so far: a secret is never quoted in an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PASSWORD = "Zebra7!Qu\xefx".encode("latin-1")  # not UTF-8: \xef alone


@pytest.mark.parametrize("where", ["stdin", "file"])
def test_a_secret_that_is_not_utf8_is_refused_without_being_quoted(
    account: Path, tmp_path: Path, where: str
) -> None:
    before = account.read_bytes()
    secret = tmp_path / "password"
    secret.write_bytes(PASSWORD + b"\n")
    (tmp_path / "pin").write_text("5820417396\n")
    (tmp_path / "answer").write_text("fluffy the cat\n")
    done = subprocess.run(
        [sys.executable, "-m", "extadmin", "assign", "101", "--setup", "credentials",
         "--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@acme.example",
         "--password-file", "-" if where == "stdin" else str(secret),
         "--pin-file", str(tmp_path / "pin"), "--security-question", "1",
         "--security-answer-file", str(tmp_path / "answer"), "--no-input"],
        input=PASSWORD + b"\n", capture_output=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    err = done.stderr.decode("utf-8", "backslashreplace")
    assert done.returncode == 3, err
    expected = "standard input" if where == "stdin" else str(secret)
    assert f"--password-file: {expected} is not UTF-8 text" in err
    assert "Zebra" not in err and "Qu" not in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert account.read_bytes() == before
