"""The platform link's secrets and deadlines (issue 22, items 3, 13 and 6): secrets go only to the
server they were given for; a password or PIN the platform quotes back is never shown; the token
is revoked after Ctrl-C and SIGTERM; `platform disconnect` forgets the kept secrets; a request
has a deadline (an answer trickled a byte at a time ends); the platform's waits are said while
they last; paging stops beyond the pages the platform announced. Each test failed on the code
before."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extadmin.errors import PlatformError
from extadmin.platform import client as client_module
from extadmin.platform.client import ACCOUNT, Client, Governor
from extadmin.services import link
from extadmin.storage import credentials
from tests.fake_platform import FakePlatform, serve
from tests.helpers import default_signals, refused

EXTENSIONS = r"/restapi/v1\.0/account/(~|[0-9]+)/extension"
DEFAULT = "https://platform.ringcentral.com"


def connected(run: Any, path: Path, options: list[str]) -> Path:
    result = run("--account", path, "platform", "connect", *options)
    assert result.code == 0, result.err
    return path


def pulled(run: Any, path: Path) -> Path:
    result = run("--account", path, "platform", "pull")
    assert result.code == 0, result.err
    return path


def name_server(path: Path, server: str) -> None:
    """The shared account file edited: its platform server is another one."""
    doc = json.loads(path.read_text())
    doc["platform"]["server"] = server
    path.write_text(json.dumps(doc, indent=2))


@pytest.fixture
def other() -> Iterator[FakePlatform]:
    """A second platform, the one a tampered file names: it must receive nothing at all."""
    with serve() as platform:
        yield platform
        assert platform.requests == [], [f"{r.method} {r.path}" for r in platform.requests]


@pytest.fixture
def env_secrets(fake: FakePlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented CI setup: the secrets in the environment, none kept."""
    monkeypatch.setenv("RINGCENTRAL_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("RINGCENTRAL_JWT", fake.jwt)
    monkeypatch.delenv("RINGCENTRAL_SERVER", raising=False)


# --- item 3: secrets go only to the server they were given for ----------------------------------


@pytest.mark.usefixtures("env_secrets")
def test_secrets_from_the_environment_go_only_to_the_server_ringcentral_server_names(
    tmp_path: Path, run: Any, fake: FakePlatform, other: FakePlatform, monkeypatch: Any
) -> None:
    """Before: plan, pull and verify-email sent the JWT to whatever server the file named."""
    monkeypatch.setenv("RINGCENTRAL_SERVER", fake.url)
    fake.add_extension("101", first_name="Ada", last_name="Lovelace", email="ada@acme.example")
    path = tmp_path / "shared.json"
    pulled(run, connected(run, path, ["--server", fake.url, "--client-id", fake.client_id]))
    name_server(path, other.url)
    before, seen = path.read_bytes(), len(fake.requests)

    for command in (["platform", "pull"], ["platform", "plan"]):
        result = run("--account", path, *command)
        refused(result, path, before, 2, f"names the server {other.url}", f"only to {fake.url}")
        assert f"set RINGCENTRAL_SERVER={other.url}" in result.err
        assert "`extadmin platform connect` again" in result.err
    checked = run("--account", path, "verify-email", "new@acme.example")
    assert checked.code == 0, checked.err
    assert "warning: the platform was not asked" in checked.err and other.url in checked.err
    assert len(fake.requests) == seen  # refused before any request, to either server

    monkeypatch.delenv("RINGCENTRAL_SERVER")  # unset: the default server, and only it
    name_server(path, fake.url)
    result = run("--account", path, "platform", "pull")
    assert result.code == 2 and f"only to {DEFAULT}" in result.err, result.err
    assert len(fake.requests) == seen


@pytest.mark.usefixtures("env_secrets")
def test_connect_with_secrets_from_the_environment_refuses_another_server(
    tmp_path: Path, run: Any, fake: FakePlatform, other: FakePlatform, monkeypatch: Any
) -> None:
    monkeypatch.setenv("RINGCENTRAL_SERVER", fake.url)
    path = tmp_path / "new.json"
    result = run(
        "--account", path, "platform", "connect", "--server", other.url,
        "--client-id", fake.client_id,
    )  # fmt: skip
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert f"--server {other.url}" in result.err and f"only to {fake.url}" in result.err
    assert not path.exists()
    connected(run, path, ["--client-id", fake.client_id])  # --server: $RINGCENTRAL_SERVER
    assert json.loads(path.read_text())["platform"]["server"] == fake.url


def test_kept_secrets_go_only_to_the_server_they_were_kept_for(
    tmp_path: Path, run: Any, fake: FakePlatform, other: FakePlatform, secret_files: list[str]
) -> None:
    path = pulled(run, connected(run, tmp_path / "shared.json", secret_files))
    name_server(path, other.url)
    before = path.read_bytes()
    result = run("--account", path, "platform", "pull")
    refused(
        result, path, before, 2,
        f"no credentials kept for client id {fake.client_id} on {other.url}",
        f"(they are kept for {fake.url})",
    )  # fmt: skip


def test_a_kept_file_recording_another_server_is_not_used(
    tmp_path: Path, run: Any, fake: FakePlatform, other: FakePlatform, secret_files: list[str]
) -> None:
    """Before: the kept file's own server was not read; one copied under another server's name
    (by hand, or by a bug) sent its secrets there."""
    path = pulled(run, connected(run, tmp_path / "shared.json", secret_files))
    folder = tmp_path / "xdg-config" / "extadmin" / "platform"
    kept = folder / credentials.link_name(fake.url, fake.client_id)
    (folder / credentials.link_name(other.url, fake.client_id)).write_bytes(kept.read_bytes())
    assert credentials.load(other.url, fake.client_id) is None
    assert credentials.load(fake.url, fake.client_id) is not None
    name_server(path, other.url)
    result = run("--account", path, "platform", "pull")
    assert result.code == 2 and "no credentials kept" in result.err, result.err


# --- item 13: a quoted password is hidden; the token revoked when cut short; disconnect ---------


def test_a_value_given_to_hide_is_never_in_an_error_message(fake: FakePlatform) -> None:
    ext_id = fake.add_extension("101", status="Unassigned")
    password, pin = "Zebra7!Quix", "5820417396"
    quoted = f"Password {password} is too weak / PIN {pin} rejected"
    path = rf"/restapi/v1\.0/account/~/extension/{ext_id}"
    error = {"errors": [{"errorCode": "EXT-PWD", "message": quoted}]}
    fake.spoil_answer("PUT", path, error, status=400)
    with Client(fake.url, fake.client_id, fake.client_secret, fake.jwt) as client:
        client.hide(password, pin, "")
        with pytest.raises(PlatformError) as raised:
            body = {"status": "Enabled", "password": password, "ivrPin": pin}
            client.request("PUT", f"{ACCOUNT}/extension/{ext_id}", json=body)
    message = raised.value.message
    assert "EXT-PWD" in message and "Password <secret> is too weak / PIN <secret>" in message
    assert password not in message and pin not in message


@pytest.mark.timeout(90)
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_token_is_revoked_after_ctrl_c_and_sigterm(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str], signum: int, code: int
) -> None:
    """Before: a pull cut short left its token valid (the revoke was skipped)."""
    tokens: list[str] = []
    issue = fake.issue_token
    fake.issue_token = lambda: tokens.append(issue()) or tokens[-1]  # type: ignore[method-assign]
    fake.populate(2500)
    path = connected(run, tmp_path / "linked.json", secret_files)
    fake.delay(0.5)  # each request: the pull is mid-way for seconds
    seen = len(fake.requests_to("GET", EXTENSIONS))
    proc = subprocess.Popen(
        [sys.executable, "-m", "extadmin", "--account", str(path), "platform", "pull"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while len(fake.requests_to("GET", EXTENSIONS)) <= seen and time.monotonic() < deadline:
        assert proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signum)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert time.monotonic() - sent < 5  # promptly: the revoke is one short attempt
    assert "Traceback" not in err
    revoked = [r.body["token"] for r in fake.requests_to("POST", "/restapi/oauth/revoke")]
    assert revoked[-1] == tokens[-1]  # the pull's own token
    assert len(tokens) == 2  # connect's and the pull's


def test_disconnect_forgets_the_kept_secrets_and_the_file_stays_linked(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str], monkeypatch: Any
) -> None:
    path = pulled(run, connected(run, tmp_path / "linked.json", secret_files))
    folder = tmp_path / "xdg-config" / "extadmin" / "platform"
    assert len(list(folder.iterdir())) == 1
    before = path.read_bytes()

    done = run("--account", path, "platform", "disconnect")

    assert done.code == 0 and done.out == "", done.err
    assert done.err.startswith(
        f"removed the client secret and JWT kept for client id {fake.client_id} on {fake.url} ("
    )
    assert list(folder.iterdir()) == []
    assert path.read_bytes() == before  # still linked
    missing = run("--account", path, "platform", "pull")
    assert missing.code == 2 and "no credentials kept" in missing.err
    again = run("--account", path, "platform", "disconnect")  # idempotent, for scripts
    assert again.code == 0
    assert again.err == (
        f"nothing kept for client id {fake.client_id} on {fake.url}: nothing removed\n"
    )
    monkeypatch.setenv("RINGCENTRAL_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("RINGCENTRAL_JWT", fake.jwt)
    monkeypatch.setenv("RINGCENTRAL_SERVER", fake.url)
    assert run("--account", path, "platform", "pull").code == 0  # linked, from the environment


def test_disconnect_of_an_unlinked_file_says_how_to_link_it(account: Path, run: Any) -> None:
    result = run("platform", "disconnect")
    assert result.code == 4 and "platform connect" in result.err


# --- item 6: a deadline per request; waits said; paging within the pages announced --------------


class Trickle:
    """A raw HTTP/1.1 server on 127.0.0.1: a login or a revoke is answered at once; any other
    request, the first `trickled` times, with its body a byte every `pace` seconds (25 s in
    all), then at once."""

    BODY = json.dumps({"records": [], "padding": "x" * 80}).encode()

    def __init__(self, trickled: int, pace: float = 0.25) -> None:
        self.trickled, self.pace = trickled, pace
        self.seen: list[str] = []
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.stopping.set()
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                if not (chunk := conn.recv(65536)):
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            method, path = lines[0].split()[:2]
            fields = {k.lower(): v for k, _, v in (h.partition(":") for h in lines[1:])}
            length = int(fields.get("content-length", 0))
            while len(body) < length:
                body += conn.recv(65536)
            self.seen.append(f"{method} {path.split('?')[0]}")
            answer = self.BODY
            if path.startswith("/restapi/oauth/token"):
                answer = json.dumps({"access_token": "tok-1", "refresh_token": "ref-1"}).encode()
            elif path.startswith("/restapi/oauth/"):
                answer = b""
            trickle = not path.startswith("/restapi/oauth/") and self.trickled > 0
            self.trickled -= trickle
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(answer)}\r\n\r\n".encode()
            )
            try:
                for i in range(len(answer)) if trickle else ():
                    if self.stopping.wait(self.pace):
                        return
                    conn.sendall(answer[i : i + 1])
                if not trickle:
                    conn.sendall(answer)
            except OSError:
                return  # the client hung up: the deadline


@pytest.fixture
def trickle(request: pytest.FixtureRequest) -> Iterator[Trickle]:
    server = Trickle(trickled=getattr(request, "param", 1))
    yield server
    server.close()


def test_a_trickled_answer_to_a_post_ends_at_the_deadline_and_is_not_sent_again(
    trickle: Trickle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: httpx's timeout is per read, and an answer trickled a byte at a time never
    ended (here: 25 s, then a success)."""
    monkeypatch.setenv("EXTADMIN_REQUEST_DEADLINE", "1")
    started = time.monotonic()
    with link.session(trickle.url, "client", link.AppSecrets("secret", "jwt")) as client:
        with pytest.raises(PlatformError) as raised:
            client.request("POST", f"{ACCOUNT}/extension-bulk-update", json={"records": []})
    assert time.monotonic() - started < 6
    assert raised.value.message == (
        "platform: POST /restapi/v1.0/account/~/extension-bulk-update: no whole answer within "
        f"1 s, the deadline of a request ($EXTADMIN_REQUEST_DEADLINE) ({trickle.url} after 1 "
        "attempt(s))"
    )
    posts = [s for s in trickle.seen if s.endswith("extension-bulk-update")]
    assert posts == ["POST /restapi/v1.0/account/~/extension-bulk-update"]  # not sent again


def test_a_trickled_answer_to_a_read_is_cut_off_and_read_again(
    trickle: Trickle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "REQUEST_DEADLINE", 1.0)
    started = time.monotonic()
    with Client(trickle.url, "client", "secret", "jwt") as client:
        answer = client.get(f"{ACCOUNT}/extension")
    assert answer == json.loads(Trickle.BODY)
    assert time.monotonic() - started < 6
    assert [s for s in trickle.seen if s.endswith("/extension")] == [
        "GET /restapi/v1.0/account/~/extension"
    ] * 2


def test_a_429_penalty_is_said_on_stderr_while_it_is_waited(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    """Before: the wait was silent (a command seemed to hang)."""
    fake.add_extension("101", status="Unassigned")
    path = connected(run, tmp_path / "linked.json", secret_files)
    fake.fail_with_429(after=2, retry_after=2)
    result = run("--account", path, "platform", "pull")
    assert result.code == 0, result.err
    assert result.err.splitlines()[0] == "waiting 2 s: a 429 penalty (Retry-After)"


def test_a_group_that_ran_out_is_said_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[tuple[float, str]] = []
    now = [1000.0]
    governor = Governor(
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        on_wait=lambda left, why: waits.append((left, why)),
    )
    headers = {"x-rate-limit-group": "Heavy", "x-rate-limit-remaining": "0"}
    governor.after("POST /bulk", {**headers, "x-rate-limit-window": "12"})
    governor.before("POST /bulk")
    assert waits == [(12.0, "the platform's rate limit (Heavy)")]
    said: list[str] = []
    monkeypatch.setattr(link, "say_wait", said.append)
    link._said(12.0, "the platform's rate limit (Heavy)")
    link._said(0.4, "a 429 penalty (Retry-After)")  # under a second: not said
    assert said == ["waiting 12 s: the platform's rate limit (Heavy)"]


def test_paging_stops_at_a_next_page_beyond_the_pages_announced(
    tmp_path: Path, run: Any, fake: FakePlatform, secret_files: list[str]
) -> None:
    fake.populate(20)
    path = pulled(run, connected(run, tmp_path / "linked.json", secret_files))
    before = path.read_bytes()
    with Client(fake.url, fake.client_id, fake.client_secret, fake.jwt) as client:
        page = client.get(f"{ACCOUNT}/extension", type="User", perPage=1000)
    assert "nextPage" not in page["navigation"]
    second = f"{fake.url}/restapi/v1.0/account/{fake.account_id}/extension?page=2&perPage=1000"
    page["paging"]["totalPages"] = 1
    page["navigation"]["nextPage"] = {"uri": second}
    fake.spoil_answer("GET", EXTENSIONS, page)
    seen = len(fake.requests_to("GET", EXTENSIONS))

    result = run("--account", path, "platform", "pull")

    refused(
        result, path, before, 1,
        "platform: GET /restapi/v1.0/account/~/extension: the answer holds a nextPage beyond the "
        "1 page(s) announced: nothing was written",
    )  # fmt: skip
    assert len(fake.requests_to("GET", EXTENSIONS)) == seen + 1  # page 2 was never asked
