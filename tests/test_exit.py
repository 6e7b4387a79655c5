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

from extadmin.storage import decoder
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


def _dvorak(run: Any, account: Path) -> Path:
    """A JSON account of 5,008 extensions (more than one run of the file: storage/decoder.py
    RUN), its last user named outside Latin-1."""
    path = account.with_suffix(".json")
    assert run("account", "convert", account, path).code == 0
    assert run("--account", path, "extension", "add", "3000-7999").code == 0
    assigned = run("--account", path, "assign", "7999", "--first-name", "Antonín",
                   "--last-name", "Dvořák", "--email", "dvorak@acme.example", "--setup", "later",
                   "--no-input")  # fmt: skip
    assert assigned.code == 0, assigned.err
    assert path.stat().st_size > decoder.RUN  # the last user in another run than the first
    return path


def listed(path: Path, encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**BUFFERED, "PYTHONIOENCODING": encoding}
    cmd = [sys.executable, "-m", "extadmin", "--account", str(path), *args]
    return subprocess.run(cmd, capture_output=True, env=env, timeout=120)


LISTINGS = [("users", "list"), ("users", "list", "--format", "csv"),
            ("users", "list", "--format", "json"), ("export",), ("extension", "list")]  # fmt: skip


def test_a_listing_whose_late_row_the_output_cannot_write_prints_nothing(
    run: Any, account: Path
) -> None:
    """Into a Latin-1 pipe, a name in the file's last run cannot be written: every listing
    says so (exit 3) with nothing printed, as before the listings were made a run at a time."""
    path = _dvorak(run, account)
    for args in LISTINGS:
        proc = listed(path, "latin-1", *args)
        assert proc.returncode == 3 and proc.stdout == b"", (args, proc.stdout[:80])
        assert b"not UTF-8 text" in proc.stderr and b"Traceback" not in proc.stderr


def test_a_listing_is_written_in_the_output_s_own_encoding(run: Any, account: Path) -> None:
    """A pipe whose encoding starts with a byte-order mark (UTF-8 with one, UTF-16) gets it
    once, before the whole listing: the text is the UTF-8 pipe's, to the character."""
    path = _dvorak(run, account)
    for args in LISTINGS:
        plain = listed(path, "utf-8", *args)
        assert plain.returncode == 0, plain.stderr
        for encoding in ("utf-8-sig", "utf-16"):
            proc = listed(path, encoding, *args)
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.decode(encoding) == plain.stdout.decode("utf-8"), (args, encoding)
