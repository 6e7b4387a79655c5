"""The suite itself passes however it is started: a shell starts a background job (`nohup
.ci/run > log &`) with SIGINT ignored, and every process below it inherits that. Here the
signal tests run under a parent that ignores SIGINT, as such a job's would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.helpers import ROOT

# one of each kind: Ctrl-C sent to this process (in-process), to a child while it loads, and
# typed at a pseudo-terminal in cooked mode
SIGNAL_TESTS = [
    "tests/test_interrupts.py::test_an_interrupt_after_the_rename_does_not_claim_nothing_was_written",
    "tests/test_interrupts.py::test_a_signal_while_the_program_is_loading"
    "[importing the command line-SIGINT]",
    "tests/test_walkthrough_contact.py::test_a_dumb_terminal_hides_secrets_and_ctrl_c_cancels",
]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def in_a_background_job(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        preexec_fn=_ignore_sigint,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_the_signal_tests_pass_under_a_parent_that_ignores_sigint() -> None:
    check = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
    assert in_a_background_job("-c", check).stdout == "True\n"  # as in a background job

    proc = in_a_background_job(
        "-m", "pytest", "-p", "no:cacheprovider", "-n", "1", "-q", *SIGNAL_TESTS
    )

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{len(SIGNAL_TESTS)} passed" in proc.stdout
