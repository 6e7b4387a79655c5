"""Every test is isolated: temporary XDG folders, no colour, fixed width, its own working folder.

`run` drives the real command line in-process (fast); `exe` runs the installed `extadmin` as a
separate process (for concurrency, signals and terminals)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from extadmin.cli import main
from extadmin.domain import hashing
from extadmin.domain.account import Account
from extadmin.storage import codec, registry, schema
from extadmin.storage.store import AccountStore
from tests import published_api
from tests.fake_platform import FakePlatform, serve
from tests.helpers import credential_flags, outbox


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C as at a terminal, however the suite was started. A shell starts a background job
    (`nohup .ci/run &`, a CI service's non-interactive shell) with SIGINT ignored, every
    process inherits that, and extadmin rightly keeps an ignored SIGINT ignored: the tests that
    interrupt it (in this process, or in a child) would see it carry on. A handled signal is
    reset to the default in every child at exec, so with Python's own handler here every
    program a test starts begins with the default disposition too. (Runs in each worker.)"""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (in their order), so that the workers take them while there is
    still short work for the others; started last, one long test would leave a core idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reaches beyond this machine: a name or address that is not loopback is refused
    before it is resolved (its connection fails there), and the test fails for having tried.
    Code under test refuses such addresses itself (http:// to a remote server, an activation
    page): this proves it never asked the network first."""
    import socket

    from extadmin.domain.rules import is_loopback

    tried: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name and not is_loopback(name):
            tried.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"{name}: not loopback (tests)")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert tried == [], f"a test asked to resolve {tried}"


@pytest.fixture(autouse=True)
def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("EXTADMIN_LOCK_TIMEOUT", "10")
    for name in ("EXTADMIN_ACCOUNT", "EXTADMIN_DEBUG", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


CHEAP_HASHING = hashing.Params(2**10, 8, 1)  # 1 MiB and about a millisecond a hash


@pytest.fixture(autouse=True)
def cheap_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets hashed in this process at 1/128 of OWASP's cost: most tests only need a
    hash to exist and verify (scrypt at 2^17 is half a second of a core, three a user). The
    tests about hashing are marked `real_hashing` and get the product's own parameters, and so
    does every extadmin started as its own process (this is a test setting, not the
    product's: nothing in extadmin's configuration reaches it)."""
    if request.node.get_closest_marker("real_hashing") is None:
        monkeypatch.setattr(hashing, "COST", CHEAP_HASHING)


@pytest.fixture(autouse=True)
def saved_accounts_pass_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every account a command saves (in this process) passes the whole check first: the store
    records what it writes as checked, so that a document a service wrote wrong would
    otherwise go unnoticed until the file changed again. What is checked is what the save
    writes, read back (a large JSON account's untouched runs as the file held them)."""
    real, check = AccountStore.save, schema.check_document

    def save(self: AccountStore, account: Account, *args: Any) -> None:
        written = codec.encode(self.path, account.doc).decode("utf-8")
        check(self.path, codec.parse(self.path, written))
        real(self, account, *args)

    monkeypatch.setattr(AccountStore, "save", save)


@dataclass
class Result:
    code: int
    out: str
    err: str


def invoke(*args: object, stdin: str | bytes = "", stdout: io.StringIO | None = None) -> Result:
    """The CLI in-process, as a user would call it: standard input given as text (UTF-8) or
    bytes, standard output and error captured (neither a terminal, unless `stdout` is given
    and says it is one)."""
    out, err = io.StringIO() if stdout is None else stdout, io.StringIO()
    old_stdin = sys.stdin
    data = stdin.encode() if isinstance(stdin, str) else stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([str(arg) for arg in args])
            except SystemExit as exc:
                code = int(exc.code or 0)
            else:  # pragma: no cover - main always exits
                raise AssertionError("main() returned without exiting")
    finally:
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def run() -> object:
    """run(*args, stdin="") -> Result: `invoke`, the CLI in-process."""
    return invoke


def exe(
    *args: object,
    stdin: str | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    buffered: bool = False,
) -> subprocess.CompletedProcess[str]:
    """The real `extadmin` program in its own process; `buffered`: its output buffered as it is
    by default (this machine may set PYTHONUNBUFFERED)."""
    environ = {**os.environ, **(env or {})}
    if buffered:
        environ.pop("PYTHONUNBUFFERED", None)
    return subprocess.run(
        [sys.executable, "-m", "extadmin", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
    )


_PREBUILT: dict[str, Path] = {}


def prebuilt(request: pytest.FixtureRequest, path: Path, build: Callable[[], object]) -> Path:
    """The account file `path` as `build()` leaves it, built once per test run (and worker) and
    copied into every later test that asks: the same bytes, with its audit log and outbox,
    registered and made the current account as `init` leaves it. The first test to ask runs
    the build (the command line, in its own isolated folders); the others get a copy, so that
    hundreds of tests do not run the same commands again. A build is known by its function and
    the asking fixture's parameter; it must depend on nothing else that varies by test."""
    key = f"{build.__module__}.{build.__qualname__}[{getattr(request, 'param', '')}]/{path.name}"
    saved = _PREBUILT.get(key)
    companions = [path, path.with_name(f"{path.stem}.audit.jsonl"), outbox(path)]
    if saved is None:
        build()
        saved = request.getfixturevalue("tmp_path_factory").mktemp("prebuilt")
        for item in companions:
            _copy(item, saved / item.name)
        _PREBUILT[key] = saved
    else:
        for item in companions:
            _copy(saved / item.name, item)
        registry.register(path)
        registry.set_current(path)
    return path


def _copy(source: Path, target: Path) -> None:
    """`target` as `source` is: a copy (modes kept), or nothing if there is no source."""
    if target.is_dir():
        shutil.rmtree(target)
    target.unlink(missing_ok=True)
    if source.is_dir():
        shutil.copytree(source, target)
    elif source.exists():
        shutil.copy2(source, target)


ACTIVATION_URL = "https://phones.acme-widgets.com/activate"  # not a placeholder page


@pytest.fixture
def account(request: pytest.FixtureRequest, tmp_path: Path, run: Any) -> Path:
    """A small account: Main Site (no code) and Boston (code 2), extensions 101-105 on the main
    site and 2201-2203 in Boston; the current account."""
    path = tmp_path / "acme.toml"
    return prebuilt(request, path, lambda: build_acme(run, path))


def build_acme(run: Any, path: Path) -> None:
    """The `account` fixture's account, made by the command line at `path`."""
    for args in (
        ("init", path, "--name", "Acme Corp", "--activation-url", ACTIVATION_URL),
        ("site", "add", "Boston", "--code", "2"),
        ("extension", "add", "101-105"),
        ("extension", "add", "2201-2203", "--site", "Boston"),
    ):
        result = run(*args)
        assert result.code == 0, result.err


@pytest.fixture
def secret_args(tmp_path: Path) -> list[str]:
    """`assign` options for setup credentials, the secrets in files (never flag values)."""
    flags = credential_flags(tmp_path / "secrets", "Zebra7!Quix", "5820417396", "fluffy the cat")
    return ["--setup", "credentials", *flags]


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakePlatform]:
    """The fake platform (tests/fake_platform.py), started; the test fails if extadmin broke
    any of its rules (a schema, a rate limit, a request during a 429 penalty), or sent a
    request that is no operation of RingCentral's published definition (tests/published_api.py)
    unless the test opted into the fake's endpoints beyond it. The platform's
    limits, but for Auth: a test runs many short sessions within a minute (each a login and a
    revoke), which would wait for Auth's window (test_platform_pull has its own test of it)."""
    with serve(limits={"Auth": (1000, 60.0)}) as platform:
        yield platform
        assert not platform.violations, platform.violations
        opted_in = platform.beyond_definition or request.node.get_closest_marker(
            "beyond_definition"
        )  # a test that goes beyond on purpose says so: offer_credentials_api(), or the marker
        if not opted_in:
            assert published_api.violations(platform.requests) == []


@pytest.fixture
def secret_files(tmp_path: Path, fake: FakePlatform) -> list[str]:
    """`platform connect` options for the `fake` fixture's platform (connect_options)."""
    return connect_options(fake, tmp_path / "platform-secrets")


def connect_options(fake: FakePlatform, folder: Path) -> list[str]:
    """`platform connect` options: a fake's server and client id, and its secrets in files
    written into `folder` (made here)."""
    folder.mkdir()
    (folder / "client-secret").write_text(fake.client_secret + "\n")
    (folder / "jwt").write_text(fake.jwt + "\n")
    return [
        "--server", fake.url, "--client-id", fake.client_id,
        "--client-secret-file", str(folder / "client-secret"), "--jwt-file", str(folder / "jwt"),
    ]  # fmt: skip
