"""The real program ends without freeing what it made (extadmin.__main__: os._exit once the
command is done): all of its output still reaches the reader, whole, with the command's exit
code; a reader that goes away early (`| head`) gets no traceback; nothing it wrote is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE
from typing import Any

from tests.conftest import exe

# output buffered as it is by default (this machine may set PYTHONUNBUFFERED)
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def test_a_large_output_reaches_a_pipe_whole(run: Any, account: Path) -> None:
    assert run("extension", "add", "3000-5999").code == 0
    proc = exe("--account", account, "extension", "list", "--format", "json", buffered=True)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)  # some 400 KB: many times a pipe's buffer
    assert len(rows) == 8 + 3000 and rows[-1]["extension"] == "5999"
    assert proc.stderr == ""


def test_a_reader_that_goes_away_is_no_error(run: Any, account: Path) -> None:
    assert run("extension", "add", "3000-5999").code == 0
    cmd = [sys.executable, "-m", "extadmin", "--account", str(account), "extension", "list"]
    with subprocess.Popen(cmd, stdout=PIPE, stderr=PIPE, env=BUFFERED) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.read(100)  # like `| head -c 100`
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    assert first.startswith(b"Extension\tSite\t")  # the header of the table, in a pipe
    # quiet (no "Exception ignored ... BrokenPipeError" as output is flushed at the end); the
    # exit code is Typer's for a closed pipe, 1, as before the quick exit
    assert err == b"" and code == 1


def test_exit_codes_and_changes_survive_the_quick_exit(account: Path) -> None:
    missing = exe("--account", account, "extension", "show", "998", buffered=True)
    assert missing.returncode == 4 and "998" in missing.stderr
    done = exe("--account", account, "set-recording", "--all", "--direction", "both", buffered=True)
    assert done.returncode == 0 and "recording both" in done.stderr
    added = exe("--account", account, "extension", "add", "150", buffered=True)
    assert added.returncode == 0
    shown = exe("--account", account, "extension", "show", "150", "--format", "json", buffered=True)
    assert json.loads(shown.stdout)["status"] == "unassigned"
    audit = account.with_name(f"{account.stem}.audit.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["extension"] == "150"
