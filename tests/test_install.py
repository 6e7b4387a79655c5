"""First contact (issue 14): the README's two commands, run exactly as the README writes them, in
a fresh copy of the checkout, on a Python that refuses system-wide installs (PEP 668), as on a
stock Debian or Ubuntu.

The "system" Python is a copy of the Python running these tests, relocated into a temporary
folder (the interpreter copied, its standard library linked, only pip in its site-packages)
with an EXTERNALLY-MANAGED file in its standard library folder: pip refuses to install into it,
as it does on Debian. It is first on PATH as `python3`, and no `extadmin` is on PATH.

The copy of the checkout is every file git lists (tracked, and untracked but not ignored: the
work not yet committed is tested too), made a git repository of its own so that `git status`
tells whether the demo changed a tracked file.

The README's test command runs the real scripts/test, restricted by $PYTEST_ADDOPTS to a few
test files (this file is not among them, and skips itself in the inner run anyway)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import ROOT

INNER = "EXTADMIN_INSTALL_TEST_INNER"
# the inner test run: quick, and through the installed tool and the demo
INNER_TESTS = "tests/test_smoke.py tests/test_examples.py tests/test_docs.py"
# the environment before conftest isolates each test: the real HOME, pip's cache and settings
REAL_ENV = dict(os.environ)
DROPPED = ("PYTHON", "PYTEST", "VIRTUAL_ENV", "PYENV_VERSION", "CONDA", "EXTADMIN", "VENV")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1500),
    pytest.mark.skipif(bool(os.environ.get(INNER)), reason="inside the install test's own run"),
]


def readme_commands() -> list[str]:
    """The shell commands of the README's Quick start, in order."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    commands = [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands), commands
    return commands


def test_the_readme_has_two_commands() -> None:
    demo, check = readme_commands()
    assert "demo" in demo and "test" in check
    assert "break-system-packages" not in demo + check


# --- the Python that refuses system-wide installs ---------------------------------------------


def pep668_python(dest: Path, *, ensurepip: bool = True, pip: bool = True) -> Path:
    """A copy of this Python's installation in dest, marked EXTERNALLY-MANAGED; its bin folder.

    The interpreter is copied (a link would be resolved, and the Python would find its original
    prefix); the standard library is linked entry by entry, but for site-packages (only pip is
    there), the top folder's compiled files (copied) and, if not `ensurepip`, ensurepip (as
    Debian without its python3-venv package). If not `pip`, pip is left out too."""
    base = Path(sys.base_prefix)
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    exe = base / "bin" / name
    if not exe.is_file():
        pytest.skip(f"no {exe}: this Python's installation is not laid out as expected")
    stdlib = Path(sysconfig.get_path("stdlib", vars={"installed_base": str(base)}))
    found = subprocess.run(
        [exe, "-I", "-c", "import os, pip; print(os.path.dirname(pip.__file__))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if found.returncode != 0:
        pytest.skip(f"{exe} has no pip")
    pip_dir = Path(found.stdout.strip())

    (dest / "bin").mkdir(parents=True)
    shutil.copy2(exe, dest / "bin" / name)
    (dest / "bin" / "python3").symlink_to(name)
    lib = dest / stdlib.relative_to(base)
    lib.mkdir(parents=True)
    skipped = {"site-packages", "dist-packages", "EXTERNALLY-MANAGED", "__pycache__"}
    if not ensurepip:
        skipped.add("ensurepip")
    for entry in stdlib.iterdir():
        if entry.name not in skipped:
            (lib / entry.name).symlink_to(entry)
    # the compiled standard library, copied: never a write into the original's folder
    (lib / "__pycache__").mkdir()
    for compiled in (stdlib / "__pycache__").glob(f"*.{sys.implementation.cache_tag}.pyc"):
        shutil.copy2(compiled, lib / "__pycache__" / compiled.name)
    if pip:
        site = dest / pip_dir.parent.relative_to(base)
        site.mkdir(parents=True, exist_ok=True)
        (site / "pip").symlink_to(pip_dir)
    (lib / "EXTERNALLY-MANAGED").write_text(
        "[externally-managed]\nError=This Python is managed by the test's pretend system.\n"
    )

    # it really runs from dest: its prefix and standard library are there, not the original's
    where = subprocess.run(
        [dest / "bin" / "python3", "-I", "-c",
         "import sys, sysconfig; print(sys.prefix); print(sysconfig.get_path('stdlib'))"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert where.stdout.split() == [str(dest), str(lib)], where.stdout
    return dest / "bin"


def environment(python_bin: Path, tmp_path: Path) -> dict[str, str]:
    """A newcomer's environment: python3 is the marked Python, no extadmin on PATH, no
    virtual environment active; pip's own settings and cache kept."""
    env = {k: v for k, v in REAL_ENV.items() if not k.startswith(DROPPED)}
    path = [
        folder
        for folder in env.get("PATH", os.defpath).split(os.pathsep)
        if folder and not (Path(folder) / "extadmin").exists()
    ]
    env["PATH"] = os.pathsep.join([str(python_bin), *path])
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    env[INNER] = "1"
    assert shutil.which("python3", path=env["PATH"]) == str(python_bin / "python3")
    assert shutil.which("extadmin", path=env["PATH"]) is None
    return env


# --- the fresh copy of the checkout -----------------------------------------------------------


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout


def fresh_copy(dest: Path) -> Path:
    """Every file git lists in the checkout (tracked or untracked, not ignored) copied to dest,
    committed in a repository of its own."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in sorted(set(listed.split("\0")) - {""}):
        source = ROOT / name
        if not source.is_file() and not source.is_symlink():
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    identity = ["-c", "user.name=install test", "-c", "user.email=install-test@example.invalid"]
    git("init", "--quiet", cwd=dest)
    git("add", "--all", cwd=dest)
    git(*identity, "commit", "--quiet", "--no-verify", "--message", "fresh copy", cwd=dest)
    return dest


def status(copy: Path) -> str:
    return git("status", "--porcelain", "--untracked-files=all", cwd=copy)


def sh(command: str, copy: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A README command as a newcomer pastes it."""
    return subprocess.run(
        ["sh", "-c", command], cwd=copy, env=env, capture_output=True, text=True, timeout=900
    )


def refused(python_bin: Path, copy: Path, env: dict[str, str]) -> None:
    """The premise: this Python refuses a system-wide install, as Debian's does."""
    result = subprocess.run(
        [python_bin / "python3", "-m", "pip", "install", "."],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0, shown(result)
    assert "externally-managed-environment" in result.stderr, shown(result)


def shown(result: subprocess.CompletedProcess[str]) -> str:
    """What a command printed, for a failure message: the end, without pip's warnings about
    this machine's package index settings."""
    lines = (result.stdout + result.stderr).splitlines()
    return "\n".join(line for line in lines if not line.startswith("WARNING: "))[-6000:]


def assert_demo_ran(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, shown(result)
    assert "Grace" in result.stdout and "Hopper" in result.stdout, result.stdout
    assert "welcome email:" in result.stdout, result.stdout


# --- the tests --------------------------------------------------------------------------------


def test_readme_commands_on_a_python_that_refuses_system_installs(tmp_path: Path) -> None:
    demo, check = readme_commands()
    python_bin = pep668_python(tmp_path / "python")
    copy = fresh_copy(tmp_path / "checkout")
    env = environment(python_bin, tmp_path)
    refused(python_bin, copy, env)
    assert status(copy) == ""

    result = sh(demo, copy, env)
    assert_demo_ran(result)
    assert status(copy) == "", "the demo changed the checkout"
    assert (copy / ".venv" / "bin" / "extadmin").exists()

    result = sh(check, copy, {**env, "PYTEST_ADDOPTS": INNER_TESTS})
    assert result.returncode == 0, shown(result)
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-2000:]
    assert not re.search(r"\d+ (failed|error)", result.stdout), result.stdout[-2000:]

    # again: nothing to install, the environment is kept
    result = sh(demo, copy, env)
    assert_demo_ran(result)
    assert "scripts/venv:" not in result.stderr, result.stderr
    assert status(copy) == ""


def test_readme_demo_on_a_debian_python_without_python3_venv(tmp_path: Path) -> None:
    """No ensurepip (Debian or Ubuntu without the python3-venv package), but pip: the
    environment is made without pip, and the Python's own pip installs into it."""
    demo, _ = readme_commands()
    python_bin = pep668_python(tmp_path / "python", ensurepip=False)
    copy = fresh_copy(tmp_path / "checkout")
    env = environment(python_bin, tmp_path)
    no_ensurepip = subprocess.run(
        [python_bin / "python3", "-c", "import ensurepip"], env=env, capture_output=True
    )
    assert no_ensurepip.returncode != 0
    refused(python_bin, copy, env)

    result = sh(demo, copy, env)
    assert_demo_ran(result)
    assert "no ensurepip" in result.stderr, result.stderr
    assert status(copy) == ""


def test_a_python_with_neither_ensurepip_nor_pip_says_what_to_install(tmp_path: Path) -> None:
    demo, _ = readme_commands()
    python_bin = pep668_python(tmp_path / "python", ensurepip=False, pip=False)
    copy = fresh_copy(tmp_path / "checkout")
    env = environment(python_bin, tmp_path)
    result = sh(demo, copy, env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "apt install python3-venv" in result.stderr
    assert status(copy) == ""
