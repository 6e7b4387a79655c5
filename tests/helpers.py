"""Helpers shared by the tests, each defined once: drive the real CLI (assign, link to the fake
platform, its plan), read back what extadmin kept beside an account file (the file, its audit
log, its outbox), and the check every refused command must pass. CSV writers are in
tests/csv_helpers.py, the fake platform in tests/fake_platform.py, the fixtures in
tests/conftest.py."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import signal
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_platform import FakePlatform

ROOT = Path(__file__).resolve().parent.parent  # the checkout
DOCUMENTED_EXIT_CODES = {0, 2, 3, 4, 5, 6}  # the README's exit codes
ADA = ("--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com")


def load_gen_reference() -> ModuleType:
    """scripts/gen-reference as a module (a fresh one each call): its walk of the command tree."""
    path = ROOT / "scripts" / "gen-reference"
    loader = importlib.machinery.SourceFileLoader("gen_reference", str(path))
    spec = importlib.util.spec_from_loader("gen_reference", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def command_paths() -> list[str]:
    """Every command of the program as it is typed ("extadmin extension add"), in the order of
    the generated reference."""
    return [path for path, _, _ in load_gen_reference().walk()]


def ok(result: Any) -> Any:
    """The result of a command that must succeed, without a traceback."""
    assert result.code == 0, (result.code, result.err)
    assert "Traceback" not in result.err
    return result


def assign(run: Any, number: str, first: str, last: str, email: str, *extra: str) -> None:
    """Assign through the CLI, `--setup later` unless `extra` names a setup option."""
    result = run(
        "assign", number, "--first-name", first, "--last-name", last, "--email", email,
        "--no-input", *(extra if "--setup" in extra else ("--setup", "later", *extra)),
    )  # fmt: skip
    assert result.code == 0, result.err


def assign_someone(run: Any, number: str, setup: str = "later", *extra: str) -> None:
    """Assign a made-up user to `number` (U<number> Tester, user<number>@acme.example)."""
    assign(run, number, f"U{number}", "Tester", f"user{number}@acme.example", "--setup", setup,
           *extra)  # fmt: skip


def credential_flags(
    folder: Path, password: str, pin: str, answer: str, question: str = "1"
) -> list[str]:
    """`assign` options for setup credentials, the secrets in files written into `folder`
    (made here), never flag values."""
    folder.mkdir()
    (folder / "password").write_text(password + "\n")
    (folder / "pin").write_text(pin + "\n")
    (folder / "answer").write_text(answer + "\n")
    return [
        "--password-file", str(folder / "password"), "--pin-file", str(folder / "pin"),
        "--security-question", question, "--security-answer-file", str(folder / "answer"),
    ]  # fmt: skip


def configure_mail(run: Any, port: int, *extra: str) -> None:
    """`mail configure` for a local SMTP server on `port`, sending as it@acme.example."""
    result = run(
        "mail", "configure", "--host", "127.0.0.1", "--port", port,
        "--sender", "it@acme.example", *extra,
    )  # fmt: skip
    assert result.code == 0, result.err


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


def audit_path(path: Path) -> Path:
    """The audit log beside an account file."""
    return path.with_name(f"{path.stem}.audit.jsonl")


def audit(path: Path, command: str | None = None) -> list[dict[str, Any]]:
    """The entries of the audit log beside an account file (which must be there), optionally
    only those of one command."""
    log = audit_path(path)
    entries = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    return [e for e in entries if command is None or e["command"] == command]


def outbox(path: Path) -> Path:
    """The outbox folder beside an account file."""
    return path.with_name(f"{path.stem}.outbox")


def queued_files(path: Path) -> list[Path]:
    """The welcome emails queued in the outbox (not those staged in its subfolders), sorted."""
    return sorted(outbox(path).glob("*.eml"))


def default_signals() -> None:
    """For a child's preexec_fn: it starts with the default dispositions of SIGINT and SIGTERM,
    whatever the test runner ignores (a process started in the background by a shell ignores
    SIGINT, and Python keeps that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# The fake platform (tests/fake_platform.py) as the tests of `platform` commands use it

API_ACCOUNT = r"/restapi/v1\.0/account/(~|[0-9]+)"  # request paths, as regular expressions
PUT_ONE = API_ACCOUNT + r"/extension/[0-9]+"
BULK = API_ACCOUNT + "/extension-bulk-update"


def link(run: Any, path: Path, secret_files: list[str], *extra: str) -> Path:
    """`platform connect` the account file `path` (new or not) with these options, then
    `platform pull`; both must succeed."""
    connected = run("--account", path, "platform", "connect", *secret_files, *extra)
    assert connected.code == 0, connected.err
    pulled = run("platform", "pull")
    assert pulled.code == 0, pulled.err
    return path


def ext_id(fake: FakePlatform, number: str) -> int:
    """The platform's id of the extension with that number."""
    return next(i for i, e in fake.extensions.items() if e.get("extensionNumber") == number)


def sent_since(fake: FakePlatform, mark: int) -> list[Any]:
    """The requests that change something (no GET, no OAuth) the fake got since `mark`."""
    return [r for r in fake.requests[mark:] if r.method != "GET" and "oauth" not in r.path]


def nothing_planned(plan: dict[str, Any]) -> bool:
    """A `platform plan --format json` with nothing to send: no change, request or note, and a
    summary of no operation."""
    rest = {k: plan[k] for k in ("changes", "requests", "notes")}
    return (
        rest == {"changes": [], "requests": [], "notes": []} and not plan["summary"]["operations"]
    )


def plan_json(run: Any, codes: tuple[int, ...] = (0, 5)) -> dict[str, Any]:
    """`platform plan --format json`, parsed; it must exit with one of `codes`."""
    result = run("platform", "plan", "--format", "json")
    assert result.code in codes, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]
