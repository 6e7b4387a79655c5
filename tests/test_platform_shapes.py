"""Issue 22, third "Must show": any answer shape a hostile or broken platform can give to a list
that `platform pull` or `platform plan` reads (missing keys, wrong types, nulls, empty lists,
huge numbers in the body or in the rate-limit headers, repeated pages, non-JSON bodies, 4xx
and 5xx, a dropped connection) ends in a documented exit code with a one-line message (and the
waits said while they last), and the account file is either untouched or a consistent pull: it
loads, and nothing only the file holds (a credentials user's hashes, a desk phone) is lost
without a warning naming its extension; a plan never writes, and sends nothing to a site or an
extension the file does not know.

The shapes come from hypothesis strategies biased to the real ones: the fake's own answer
with a few values deleted, repeated or replaced by wrong ones, a page built from records whose
every key may be missing or of the wrong type, any JSON at all, or bytes; a page that is not
the last links on (to itself, the first page, a further one, another list, another server).
One fake platform serves the whole module; each example starts from the same linked, pulled
account file (its bytes copied back) and queues its answers on a `ShapedFake`, which can also
send any header (the fake's `spoil_answer` sends none). Waits run on a clock that does not
wait (`instant_waits`): a Retry-After of 300 s costs nothing, and one over the longest wait is
still refused.

Then, "one bad record never blocks a pull": the real answer with one record spoiled is pulled
(exit 0), the others as they are, the bad one pulled or named. Last, each shape the strategies
found that ended in an internal error or blocked every pull, as a test of its own."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from extadmin.domain import hashing
from extadmin.platform.client import Governor
from extadmin.services import link
from extadmin.services.link import SECRET_ENV, SERVER_ENV
from tests.conftest import CHEAP_HASHING, Result, connect_options, invoke
from tests.fake_platform import DEFAULT_LIMITS, STATUSES, FakePlatform, Recorded
from tests.helpers import audit_path, ok

pytestmark = pytest.mark.timeout(300)

ACCOUNT = r"/restapi/v1\.0/account/(?:~|[0-9]+)"
# the lists a pull reads (the default role is an object, not a list), by a short name
LISTS = {
    "sites": ACCOUNT + "/sites",
    "user-role": ACCOUNT + "/user-role",
    "user-role/default": ACCOUNT + "/user-role/default",
    "language": r"/restapi/v1\.0/dictionary/language",
    "extension": ACCOUNT + "/extension",
    "recording": ACCOUNT + "/call-recording/extensions",
}
PAGED = ("sites", "user-role", "extension", "recording")  # followed by navigation.nextPage
PULL_CODES = {0, 1, 4, 6}  # docs/platform.md: exit codes of the platform commands
PLAN_CODES = {0, 1, 4, 5, 6}
DESK_PHONE = {"model": "Yealink T54W"}
SECRETS = {"password": "Zebra7!Quix", "pin": "5820417396", "security-answer": "fluffy cat"}
WAITING = re.compile(r"(extadmin: )?waiting [0-9]+ s: ")  # a wait said while it lasts


# --- the fake, able to answer anything with any header -----------------------------------------


@dataclass
class Answer:
    """What the platform answers to the next request to the list `name`."""

    name: str
    status: int = 200
    body: Any = None  # JSON; bytes as they are (text/html); None: no body
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # the connection closed without an answer

    def matches(self, method: str, path: str) -> bool:
        return method == "GET" and re.fullmatch(LISTS[self.name], path) is not None


class ShapedFake(FakePlatform):
    """The fake platform, and a queue of answers that take the place of the next matching
    requests' (in the order given), with any status, body and headers. The answers given
    are kept in `served`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queued: list[Answer] = []
        self.served: list[Answer] = []

    def reset(self) -> None:
        with self._lock:
            self.queued.clear()
            self.served.clear()
            self.requests.clear()
            self.violations.clear()

    def _dispatch(
        self, rec: Recorded, raw: Message, broken: str | None
    ) -> tuple[int, Any, dict[str, str], bool]:
        for answer in self.queued:
            if answer.matches(rec.method, rec.path):
                self.queued.remove(answer)
                self.served.append(answer)
                return answer.status, answer.body, answer.headers, answer.drop
        return super()._dispatch(rec, raw, broken)


# --- strategies -----------------------------------------------------------------------------------

HUGE = [2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63), 10**400]
WRONG: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", " ", "main-site", "7", "62000000001", "../../oauth/revoke?", "\x1b[2J",
                     "a\nb", "\u202eevil", "Zoë\u200dX", "٣٤٥", "1e400", "Enabled", "User"]),
    st.builds(list),  # new objects each time (a mutation may go on inside them)
    st.builds(dict),
    st.lists(st.integers(0, 9), min_size=1, max_size=2),
    st.builds(lambda: {"id": None}),
)  # fmt: skip
JSON: st.SearchStrategy[Any] = st.recursive(  # its text may end up a link
    st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(HUGE),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["records", "id", "navigation", "nextPage", "uri",
                                       "paging", "name", "contact", "site", "roles", "status",
                                       "extensionNumber", "errors", "x"]), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip

# a number of seconds as a header may give it
SECONDS = st.one_of(
    st.sampled_from(["0", "1", "-1", "0.5", "30", "300", "301", "999999", "1e400", "-1e400",
                     "inf", "-inf", "nan", "Infinity", "", " ", "soon", "9" * 400, "9" * 5000,
                     "1_000", "0x10", "+5", " 7 ", "Wed, 21 Oct 2015 07:28:00 GMT"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
            max_size=10),
)  # fmt: skip
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "X-Rate-Limit-Group": st.sampled_from(["Light", "Medium", "Heavy", "Auth", "", "Zz"]),
        "X-Rate-Limit-Limit": SECONDS,
        "X-Rate-Limit-Remaining": SECONDS,
        "X-Rate-Limit-Window": SECONDS,
        "Retry-After": SECONDS,
    },
)
STATUS = st.sampled_from(
    [200, 200, 200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 409, 410, 422, 429, 429,
     500, 501, 502, 503, 504, 599]
)  # fmt: skip


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return list(range(len(value)))
    return []


@st.composite
def mutated(draw: st.DrawFn, template: Any, mutations: int = 4) -> Any:
    """The template (a real answer) with up to `mutations` changes, each at a path drawn from
    the root: a value replaced by a wrong one, a key or item deleted, an item repeated, a list
    emptied."""
    value = json.loads(json.dumps(template))
    for _ in range(draw(st.integers(0, mutations))):
        parent, key = None, None
        node = value
        while _children(node) and draw(st.integers(0, 3)):  # down one level, 3 times in 4
            parent, key = node, draw(st.sampled_from(_children(node)))
            node = node[key]
        op = draw(st.sampled_from(["wrong", "wrong", "delete", "repeat", "empty"]))
        if parent is None:
            value = draw(WRONG) if op == "wrong" else {} if op == "delete" else value
        elif op == "wrong":
            parent[key] = draw(WRONG)
        elif op == "delete":
            del parent[key]
        elif op == "repeat" and isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(node)))
        elif op == "empty":
            parent[key] = [] if isinstance(node, list) else {} if isinstance(node, dict) else ""
    return value


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value of the right shape, or a wrong one (1 in 4)."""
    return st.one_of(strategy, strategy, strategy, WRONG)


IDS = st.one_of(
    st.integers(min_value=1, max_value=10**12),
    st.integers(min_value=62000000001, max_value=62000000012),  # the fake's own
    st.integers(min_value=62000000001, max_value=62000000012).map(str),
    st.sampled_from(["main-site", "7", "1033", ""]),
)
REF = maybe(st.fixed_dictionaries({}, optional={"id": maybe(IDS), "name": maybe(st.text())}))
CONTACT = st.fixed_dictionaries(
    {},
    optional={
        key: maybe(st.text(max_size=20) | st.just("x@acme.example"))
        for key in ("firstName", "lastName", "email", "businessPhone", "mobilePhone", "jobTitle",
                    "department")
    },
)  # fmt: skip
RECORDS = {
    "extension": st.fixed_dictionaries(
        {},
        optional={
            "id": maybe(IDS),
            "extensionNumber": maybe(st.sampled_from(["101", "103", "0", "1234567", "911"])
                                     | st.integers(0, 10**7).map(str)),
            "type": maybe(st.sampled_from(["User", "User", "Department"])),
            "status": maybe(st.sampled_from(STATUSES)),
            "contact": maybe(CONTACT),
            "site": REF,
            "roles": maybe(st.lists(REF, max_size=2)),
        },
    ),
    "sites": st.fixed_dictionaries(
        {}, optional={"id": maybe(IDS), "name": maybe(st.text(max_size=20)),
                      "code": maybe(st.sampled_from(["2", "02", "x"]))}
    ),
    "user-role": st.fixed_dictionaries(
        {}, optional={"id": maybe(IDS), "displayName": maybe(st.text(max_size=20))}
    ),
    "language": st.fixed_dictionaries(
        {},
        optional={"id": maybe(IDS), "localeCode": maybe(st.sampled_from(["en-US", "fr-CA", ""])),
                  "name": maybe(st.text(max_size=10)), "ui": maybe(st.booleans()),
                  "greeting": maybe(st.booleans()), "formattingLocale": maybe(st.booleans())},
    ),
    "recording": st.fixed_dictionaries(
        {},
        optional={"id": maybe(IDS), "extensionNumber": maybe(st.just("101")),
                  "callDirection": maybe(st.sampled_from(["Inbound", "Outbound", "All"]))},
    ),
}  # fmt: skip
RECORDS["user-role/default"] = RECORDS["user-role"]


# Links of any text, and those that are no link a request can take: "::::" (a relative path
# starting ":"), a control character, one too long for httpx, one urlsplit cannot read.
LINK_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["::::", "/x\x00", "/x\x7f", "/" + "a" * 70_000, "http://[::1/x"]),
)


def links(fake: ShapedFake, name: str) -> st.SearchStrategy[Any]:
    """A navigation.nextPage.uri: to itself, the first page, a further page, another list,
    another server, nothing that is a link."""
    path = LISTS[name].replace(ACCOUNT, f"/restapi/v1.0/account/{fake.account_id}")
    path = path.replace("\\", "")
    return st.one_of(
        st.sampled_from([
            f"{fake.url}{path}", f"{fake.url}{path}?page=1",
            f"{fake.url}{path}?page=1&perPage=1000", f"{fake.url}{path}?page=2",
            f"{fake.url}{path}?page=3&perPage=1000", f"{path}?page=2",
            f"{fake.url}/restapi/v1.0/account/~/sites", f"{fake.url}/restapi/oauth/revoke",
            "https://evil.example/restapi/v1.0/account/~/extension", "http://127.0.0.1:1/x",
            "", "?page=2", f"{fake.url}{path}?page=%ff", "/", "//x/y",
        ]),
        LINK_TEXT,
        WRONG.filter(lambda value: not isinstance(value, str)),
    )  # fmt: skip


@st.composite
def page(draw: st.DrawFn, fake: ShapedFake, name: str, template: Any, last: bool) -> Any:
    """A list page: the real one changed a little, one made of records of any shape, or any
    JSON at all; a page that is not the last links to a next one (or to anything)."""
    kind = draw(st.sampled_from(["mutated", "mutated", "built", "built", "anything"]))
    if kind == "mutated":
        body = draw(mutated(template))
    elif kind == "built":
        body = draw(
            st.fixed_dictionaries(
                {"records": maybe(st.lists(RECORDS[name], max_size=4))},
                optional={
                    "paging": maybe(st.fixed_dictionaries({}, optional={
                        k: maybe(st.integers(-1, 3) | st.sampled_from(HUGE))
                        for k in ("page", "totalPages", "perPage", "totalElements")})),
                    "uri": st.text(max_size=5),
                },
            )
        )  # fmt: skip
        if name == "user-role/default":
            body = draw(RECORDS[name])
    else:
        body = draw(JSON)
    if not last and isinstance(body, dict):
        nav = body.setdefault("navigation", {})
        if isinstance(nav, dict) and draw(st.integers(0, 4)):
            nav["nextPage"] = draw(maybe(st.fixed_dictionaries({"uri": links(fake, name)})))
    return body


@st.composite
def answers(draw: st.DrawFn, fake: ShapedFake, name: str, template: Any) -> list[Answer]:
    """What the platform answers to the next requests to the list `name` (its first page, or
    a later one): JSON of any shape, bytes, an error status, a dropped connection; with any
    rate-limit headers."""
    count = draw(st.integers(1, 3)) if name in PAGED else draw(st.integers(1, 2))
    made: list[Answer] = []
    for n in range(count):
        kind = draw(st.sampled_from(["json"] * 6 + ["bytes", "status", "drop"]))
        status, body = 200, None
        if kind == "json":
            body = draw(page(fake, name, template, last=n == count - 1))
        elif kind == "bytes":
            text = json.dumps(template)
            body = draw(
                st.sampled_from([b"", b"<html>Maintenance</html>", b"\xff\xfe", b"null", b"[]",
                                 text[: len(text) // 2].encode(), b"{" * 5000])
                | st.binary(max_size=40)
            )  # fmt: skip
        elif kind == "status":
            status = draw(STATUS)
            body = draw(
                st.one_of(
                    st.none(),
                    mutated({"errorCode": "CMN-211", "message": "Unavailable", "errors": [
                        {"errorCode": "CMN-211", "message": "Unavailable", "parameterName": "x"}
                    ]}),
                    JSON,
                )
            )  # fmt: skip
            if status in (204, 304):
                body = None
        headers = draw(HEADERS) if draw(st.integers(0, 2)) == 0 else {}
        if status == 429 and draw(st.integers(0, 3)):
            headers["Retry-After"] = draw(SECONDS)
        made.append(Answer(name, status, body, headers, kind == "drop"))
    return made


# --- the account ------------------------------------------------------------------------------


class InstantClock:
    """A clock that does not wait: a sleep moves it on at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert math.isfinite(seconds) and 0 <= seconds <= 300, seconds
        self.now += seconds
        self.slept += seconds


@pytest.fixture
def instant_waits(monkeypatch: pytest.MonkeyPatch) -> InstantClock:
    """Every session's rate governor on an InstantClock: a wait the platform asks for is
    taken (virtually) as extadmin would take it, in no time."""
    clock = InstantClock()

    def governor(**kwargs: Any) -> Governor:
        return Governor(clock=clock.clock, sleep=clock.sleep, **kwargs)

    monkeypatch.setattr(link, "Governor", governor)
    return clock


@dataclass(repr=False)
class Built:
    """The fake platform and the linked, pulled file's bytes (with its audit log), built once
    per module and worker: a pull or a plan never changes the fake's account."""

    fake: ShapedFake
    data: bytes
    audit: bytes
    templates: dict[str, Any]  # the fake's real answer to each list


class Linked:
    """A linked, pulled account file on a ShapedFake (a plain class: its repr is short)."""

    def __init__(self, fake: ShapedFake, path: Path, templates: dict[str, Any]) -> None:
        self.fake = fake
        self.path = path
        self.data = path.read_bytes()  # the file's bytes before each example
        self.audit = audit_path(path).read_bytes()
        # extension id -> what only the file holds ("device", "credentials")
        self.local_only = _local_only(json.loads(self.data))
        self.templates = templates
        self.cache = Path(os.environ["XDG_CACHE_HOME"])

    def __repr__(self) -> str:
        return f"Linked({self.path.name})"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A fake platform (limits no test run reaches) holding sites, roles, users of every
    status, recordings; a JSON file linked to it and pulled, a credentials user assigned and
    applied (their hashes are local-only), and desk phones on two extensions. Built in
    folders of its own, as conftest's per-test fixtures would (they do not run for a module's
    fixture)."""
    folder = tmp_path_factory.mktemp("shapes")
    fake = ShapedFake(limits=dict.fromkeys(DEFAULT_LIMITS, (10**6, 60.0))).start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name in ("CONFIG", "DATA", "CACHE"):
                patch.setenv(f"XDG_{name}_HOME", str(folder / f"xdg-{name.lower()}"))
            for name in ("EXTADMIN_ACCOUNT", "EXTADMIN_DEBUG", *SECRET_ENV, SERVER_ENV):
                patch.delenv(name, raising=False)
            patch.setattr(hashing, "COST", CHEAP_HASHING)
            patch.chdir(folder)
            path = _build(fake, folder)
        yield Built(fake, path.read_bytes(), audit_path(path).read_bytes(), _templates(fake))
    finally:
        fake.stop()


def _build(fake: ShapedFake, folder: Path) -> Path:
    boston, paris = fake.add_site("Boston", "2"), fake.add_site("Paris")
    lead = fake.add_role("Team Lead")
    fake.add_extension("101", first_name="Ada", last_name="Lovelace", email="ada@acme.example",
                       site_id=boston, role_id=lead, job_title="Countess",
                       recording="Inbound")  # fmt: skip
    fake.add_extension("102", status="Unassigned")
    fake.add_extension("103", status="Unassigned")
    fake.add_extension("104", status="NotActivated", first_name="Ben", last_name="Becker",
                       email="ben@acme.example")  # fmt: skip
    fake.add_extension("105", status="Disabled", first_name="Chloe", last_name="Costa",
                       email="chloe@acme.example")  # fmt: skip
    fake.add_extension("106", status="Frozen", first_name="Dev", last_name="Dubois",
                       email="dev@acme.example")  # fmt: skip
    fake.add_extension(None, status="Unassigned")
    fake.add_extension("2201", status="Unassigned", site_id=boston)
    fake.add_extension("107", first_name="Elena", last_name="Evans", email="elena@acme.example",
                       site_id=paris, recording="All")  # fmt: skip
    path = folder / "linked.json"
    ok(invoke("--account", path, "platform", "connect", *connect_options(fake, folder / "s")))
    ok(invoke("--account", path, "platform", "pull"))
    secret_files: list[Any] = []
    for name, value in SECRETS.items():
        secret_files += [f"--{name}-file", _secret(folder, name, value)]
    ok(invoke("--account", path, "assign", "103", "--setup", "credentials",
               "--first-name", "Farid", "--last-name", "Fischer",
               "--email", "farid@acme.example", "--no-input", "--security-question", "1",
               *secret_files))  # fmt: skip
    secrets = folder / "secrets.csv"
    secrets.write_text(
        "extension,password,pin,security_answer\n103,Zebra7!Quix,5820417396,fluffy cat\n"
    )
    secrets.chmod(0o600)
    ok(invoke("--account", path, "platform", "apply", "--yes", "--secrets-file", secrets))
    doc = json.loads(path.read_text())
    for ext in doc["extensions"]:
        if ext.get("number") in ("101", "102"):
            ext["device"] = DESK_PHONE
    path.write_text(json.dumps(doc, indent=2))
    status = ok(invoke("--account", path, "platform", "status", "--format", "json"))
    assert json.loads(status.out)["pending"] == []
    assert sorted(_local_only(doc).values()) == ["credentials", "device", "device"]
    assert not fake.violations, fake.violations
    return path


@pytest.fixture
def linked(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instant_waits: InstantClock
) -> Linked:
    """The built file in this test's folder; the secrets from the environment, for the fake's
    server (what CI does: nothing kept in this test's config folder)."""
    path = tmp_path / "linked.json"
    path.write_bytes(built.data)
    audit_path(path).write_bytes(built.audit)
    fake = built.fake
    monkeypatch.setenv(SECRET_ENV[0], fake.client_secret)
    monkeypatch.setenv(SECRET_ENV[1], fake.jwt)
    monkeypatch.setenv(SERVER_ENV, fake.url)
    fake.reset()
    return Linked(fake, path, built.templates)


def _secret(folder: Path, name: str, value: str) -> Path:
    path = folder / name
    path.write_text(value + "\n")
    return path


def _local_only(doc: dict[str, Any]) -> dict[str, str]:
    found = {}
    for ext in doc["extensions"]:
        if "device" in ext:
            found[ext["id"]] = "device"
        if "credentials" in ext.get("user", {}):
            found[ext["id"]] = "credentials"
    return found


def _templates(fake: ShapedFake) -> dict[str, Any]:
    """The fake's real answer to each list, as a pull asks it."""
    token = fake.issue_token()
    queries = {"extension": {"type": "User", "perPage": 1000}, "user-role": {"perPage": 1000}}
    found = {}
    for name, pattern in LISTS.items():
        path = pattern.replace(ACCOUNT, "/restapi/v1.0/account/~").replace("\\", "")
        answer = httpx.get(
            fake.url + path,
            params=queries.get(name),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, (name, answer.text)
        found[name] = answer.json()
    return found


# --- the checks -----------------------------------------------------------------------------------


def start(linked: Linked, queued: list[Answer]) -> None:
    """The file as pulled, no rate-limit state handed on, and these answers queued."""
    linked.fake.reset()
    linked.path.write_bytes(linked.data)
    audit_path(linked.path).write_bytes(linked.audit)
    shutil.rmtree(linked.cache / "extadmin" / "rate-limits", ignore_errors=True)
    linked.fake.queued.extend(queued)


def lines_of(result: Result) -> list[str]:
    """Standard error's lines, but the waits said while waiting."""
    return [line for line in result.err.splitlines() if not WAITING.match(line)]


def check_failure(result: Result, linked: Linked, codes: set[int]) -> None:
    assert result.code in codes, (result.code, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    lines = lines_of(result)
    assert len(lines) == 1 and lines[0].startswith("extadmin: error: "), result.err
    assert linked.path.read_bytes() == linked.data
    assert audit_path(linked.path).read_bytes() == linked.audit


def check_requests(linked: Linked) -> None:
    """Nothing extadmin sent broke the fake's rules (a request body, a rate limit, a request
    during a penalty). A link the platform gave to a path or query the fake does not know is
    the platform's doing, not a breach."""
    for violation in linked.fake.violations:
        assert "unknown endpoint" in violation or "query" in violation, violation


def check_pull(result: Result, linked: Linked) -> None:
    if result.code != 0:
        check_failure(result, linked, PULL_CODES)
        return
    for line in lines_of(result):
        assert line.startswith(("warning: ", "pulled ")), result.err
    listed = invoke("--account", linked.path, "extension", "list", "--format", "json")
    assert listed.code == 0, listed.err
    if linked.path.read_bytes() == linked.data:
        return
    doc = json.loads(linked.path.read_text())
    after = {e["id"]: e for e in doc["extensions"] if "id" in e}
    before = {e["id"]: e for e in json.loads(linked.data)["extensions"]}
    for ext_id, what in linked.local_only.items():
        said = ext_id in result.err or before[ext_id].get("number", "@") in result.err
        ext = after.get(ext_id)
        if what == "device":
            kept = ext is not None and ext.get("device") == DESK_PHONE
        else:
            old = before[ext_id]["user"]
            user = (ext or {}).get("user", {})
            kept = user.get("credentials") == old["credentials"]
        assert kept or said, (ext_id, what, result.err)
    served = [a.body for a in linked.fake.served if a.name == "extension"]
    for body in served:
        records = body.get("records") if isinstance(body, dict) else None
        for record in records if isinstance(records, list) else []:
            ext_id = str(record.get("id")) if isinstance(record, dict) else ""
            if re.fullmatch(r"[0-9]{1,19}", ext_id):
                assert ext_id in after or ext_id in result.err, (record, result.err)


# --- the tests ------------------------------------------------------------------------------------


def bounded(examples: int) -> settings:
    """Each example a command against the fake (about 40 ms): the whole file in some 25 s on
    two cores. One fake and one built file serve the module (copied back for each example)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no "explain"
    )  # fmt: skip


@pytest.mark.parametrize("name", list(LISTS))
@bounded(60)
@given(data=st.data())
def test_pull_under_any_answer_to_one_list(linked: Linked, name: str, data: st.DataObject) -> None:
    queued = data.draw(answers(linked.fake, name, linked.templates[name]), label="answers")
    start(linked, queued)
    result = invoke("--account", linked.path, "platform", "pull")
    event(f"exit {result.code}")
    check_pull(result, linked)
    check_requests(linked)


@st.composite
def one_bad_record(draw: st.DrawFn, name: str, template: Any) -> tuple[Any, int]:
    """The real answer to a list with one record replaced by a mutated copy or a record of
    any shape; and its index."""
    body = json.loads(json.dumps(template))
    records = body["records"]
    index = draw(st.integers(0, len(records) - 1))
    records[index] = draw(st.one_of(mutated(records[index], mutations=3), RECORDS[name]))
    return body, index


def _ids(doc: dict[str, Any], name: str) -> set[str]:
    """The platform ids a pulled document holds for the records of a list."""
    items = {
        "extension": doc["extensions"],
        "sites": doc["sites"],
        "user-role": doc["platform"]["roles"],
        "language": doc["platform"]["languages"],
        "recording": [
            e for e in doc["extensions"] if e.get("user", {}).get("recording", "off") != "off"
        ],
    }[name]
    return {str(item.get("id")) for item in items}


@pytest.mark.parametrize("name", [n for n in LISTS if n != "user-role/default"])
@bounded(40)
@given(data=st.data())
def test_one_bad_record_never_blocks_a_pull(linked: Linked, name: str, data: st.DataObject) -> None:
    """issue 22: "One bad record from the platform never blocks a pull: it is reported and kept
    as the platform has it, or skipped with its id." The others are pulled as they are."""
    body, index = data.draw(one_bad_record(name, linked.templates[name]), label="answer")
    start(linked, [Answer(name, 200, body)])
    result = invoke("--account", linked.path, "platform", "pull")
    event(f"exit {result.code}")
    records = body["records"]
    bad = records[index] if isinstance(records[index], dict) else {}
    numbers = [r.get("extensionNumber") for r in records if isinstance(r, dict)]
    if name == "extension" and numbers.count(bad.get("extensionNumber")) > 1 and result.code:
        # two extensions given one number: refused whole, as a swap seen half-way would be
        assert "pull again" in result.err
        check_failure(result, linked, {1})
        return
    assert result.code == 0, result.err
    check_pull(result, linked)
    check_requests(linked)
    ids = _ids(json.loads(linked.path.read_text()), name)
    for n, record in enumerate(records):
        record_id = str(record.get("id")) if n != index else ""
        if record_id and (name != "recording" or record_id != str(bad.get("id"))):
            assert record_id in ids or record_id in result.err, (record, result.err)
    if name != "recording" and str(bad.get("id")) not in ids:
        assert "warning: " in result.err, result.err


# --- plan: the extension list and the recording list read again ---------------------------------


@pytest.fixture
def changed(linked: Linked) -> Linked:
    """`linked` with local changes for a plan: an invitation on 102, recording for Ben (104),
    Elena (107) disabled."""
    for args in (
        ("assign", "102", "--setup", "invite", "--first-name", "Gil", "--last-name", "Green",
         "--email", "gil@acme.example", "--no-input"),
        ("set-recording", "104", "--direction", "inbound"),
        ("disable", "107"),
    ):  # fmt: skip
        ok(invoke("--account", linked.path, *args))
    planned = ok(invoke("--account", linked.path, "platform", "plan", "--format", "json"))
    assert len(json.loads(planned.out)["requests"]) >= 3, planned.out
    linked.fake.reset()
    return Linked(linked.fake, linked.path, linked.templates)


def check_plan(result: Result, linked: Linked) -> None:
    """A plan exits 0 or 5 (conflicts) with its JSON, or fails in one line; it never writes;
    what it would send goes to the file's sites and extensions only."""
    assert linked.path.read_bytes() == linked.data
    if result.code not in (0, 5):
        check_failure(result, linked, PLAN_CODES)
        return
    for line in lines_of(result):
        assert line.startswith("note: ") or line.endswith(" change(s)"), result.err
    doc = json.loads(linked.data)
    sites = {s["id"] for s in doc["sites"]}
    ids = {e["id"] for e in doc["extensions"] if "id" in e}
    for request in json.loads(result.out)["requests"]:
        body = request["body"]
        records = body.get("records", [body]) if isinstance(body, dict) else []
        for record in records:
            if isinstance(record, dict) and "site" in record:
                assert record["site"]["id"] in sites, request
        found = re.search(r"/extension/([0-9]+)", request["path"])
        assert found is None or found[1] in ids, request


@pytest.mark.parametrize("name", ["extension", "recording"])
@bounded(60)
@given(data=st.data())
def test_plan_under_any_answer_to_one_list(changed: Linked, name: str, data: st.DataObject) -> None:
    queued = data.draw(answers(changed.fake, name, changed.templates[name]), label="answers")
    start(changed, queued)
    result = invoke("--account", changed.path, "platform", "plan", "--format", "json")
    event(f"exit {result.code}")
    check_plan(result, changed)
    check_requests(changed)


# --- the shapes that ended in an internal error or blocked every pull, each as its own test ------


def _with(template: Any, index: int, **changes: Any) -> Any:
    """The template with record `index` changed (a key given None is removed)."""
    body = json.loads(json.dumps(template))
    record = body["records"][index]
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return body


def _pull(linked: Linked, *queued: Answer) -> Result:
    start(linked, list(queued))
    result = invoke("--account", linked.path, "platform", "pull")
    check_pull(result, linked)
    return result


@pytest.mark.parametrize(
    "body", [True, [], "Standard", 7], ids=["true", "a list", "text", "a number"]
)
def test_a_default_role_that_is_not_an_object_writes_nothing(linked: Linked, body: Any) -> None:
    """Before: internal error AttributeError ('bool' object has no attribute 'get')."""
    result = _pull(linked, Answer("user-role/default", 200, body))
    assert result.code == 1
    assert result.err.startswith(
        "extadmin: error: platform: GET /restapi/v1.0/account/~/user-role/default: the answer "
        "holds no role object ("
    )


def test_a_default_role_without_an_id_is_said_and_kept(linked: Linked) -> None:
    result = _pull(linked, Answer("user-role/default", 200, {"displayName": "Manager"}))
    assert result.code == 0
    assert "warning: the default role the platform gave has no id" in result.err
    doc = json.loads(linked.path.read_text())
    assert doc["account"]["default_role"] == "Standard (International)"


def test_a_language_without_an_id_is_said_and_left_out(linked: Linked) -> None:
    """Before: internal error KeyError: 'id'."""
    body = _with(linked.templates["language"], 0, id=None)
    result = _pull(linked, Answer("language", 200, body))
    assert result.code == 0 and "warning: a language without an id" in result.err
    codes = [lang["code"] for lang in json.loads(linked.path.read_text())["platform"]["languages"]]
    assert "en-US" not in codes and "en-GB" in codes


@pytest.mark.parametrize("roles", [5, "7", {"id": "7"}, [None, 3]], ids=str)
def test_roles_that_are_not_a_list_of_objects_give_the_default_role(
    linked: Linked, roles: Any
) -> None:
    """Before: `"roles": 5` was an internal error TypeError ('int' object is not iterable)."""
    body = _with(linked.templates["extension"], 0, roles=roles)  # Ada, a Team Lead
    result = _pull(linked, Answer("extension", 200, body))
    assert result.code == 0, result.err
    shown = invoke("--account", linked.path, "extension", "show", "101", "-f", "json")
    assert json.loads(shown.out)["user"]["role"] == "Standard (International)"


@pytest.mark.parametrize("name", ["sites", "user-role", "language", "extension", "recording"])
def test_one_record_that_is_not_an_object_is_said_and_the_others_pulled(
    linked: Linked, name: str
) -> None:
    """Before: the whole pull stopped ("the answer holds no list of records"), every time."""
    body = json.loads(json.dumps(linked.templates[name]))
    body["records"].insert(1, None)
    result = _pull(linked, Answer(name, 200, body))
    assert result.code == 0, result.err
    assert "that is not an object (null): not pulled" in result.err
    doc = json.loads(linked.path.read_text())
    others = [r for r in body["records"] if r is not None]
    assert {str(r["id"]) for r in others} <= _ids(doc, name)


@pytest.mark.parametrize(
    ("name", "index", "changes", "said"),
    [
        ("sites", 1, {"name": "Bos\x1bton"}, "site 90000001: its name 'Bos\\x1bton' is not"),
        ("sites", 1, {"name": "B" * 65}, "site 90000001: its name"),
        ("sites", 2, {"code": "02"}, "site 90000002 (Paris): its code '02' is not one"),
        ("sites", 2, {"code": "2"}, "site 90000002 (Paris): its code '2' is not one"),
        ("sites", 1, {"id": "9\x1b"}, "a site without an id"),
        ("user-role", 7, {"displayName": "Lead\u202e"}, "its name 'Lead\\u202e' is not one"),
        ("user-role", 7, {"displayName": ["Lead"]}, "its name \"['Lead']\" is not one"),
        ("language", 1, {"name": "English\x07"}, "language 2057: its code or name"),
        ("extension", 3, {"id": "٦٢٠٠"}, "not pulled: extension ٦٢٠٠: not a User extension"),
        ("extension", 3, {"id": 10**20}, "extension 100000000000000000000: not a User"),
        ("extension", 3, {"contact": {"firstName": "Ben\x1b[2J", "email": "ben@acme.example"}},
         "62000000004: its contact.firstName is not text"),
        ("extension", 3, {"contact": {"firstName": {"x": 1}, "email": "ben@acme.example"}},
         "62000000004: its contact.firstName is not text"),
        ("extension", 3, {"site": {"id": None}}, "62000000004: its site has no id"),
    ],
)  # fmt: skip
def test_one_record_the_file_cannot_hold_never_blocks_a_pull(
    linked: Linked, name: str, index: int, changes: dict[str, Any], said: str
) -> None:
    """Before: "what the platform gave cannot be held in the file (...): pull again" for every
    pull (a control character, a site name over 64 characters, a code written 02 or given to
    two sites, an id of other digits or more than 19), or the extension filed on the main site
    (a site without an id)."""
    body = _with(linked.templates[name], index, **changes)
    result = _pull(linked, Answer(name, 200, body))
    assert result.code == 0, result.err
    assert said in result.err, result.err
    assert invoke("--account", linked.path, "platform", "status").code == 0


def test_an_extension_the_platform_no_longer_lists_is_said_with_what_the_file_alone_held(
    linked: Linked,
) -> None:
    """Before: "pulled 0 extensions ... 9 changed", and the desk phones and credential hashes
    were gone without a word."""
    result = _pull(linked, Answer("extension", 200, {"records": []}))
    assert result.code == 0
    ada, farid, line = (
        f"extension {n} (id 6200000000{i})" for n, i in (("101", 1), ("103", 3), ("102", 2))
    )  # noqa: E501
    assert f"warning: {ada} is not in what the platform gave" in result.err
    assert "its desk phone, held only in this file, are dropped with it" in result.err
    assert f"warning: {farid} is not in what the platform gave" in result.err
    assert "its credential hashes, held only in this file" in result.err
    assert f"warning: {line} is not in what the platform gave" in result.err


def test_a_new_user_on_the_platform_is_said_with_the_old_users_hashes_not_kept(
    linked: Linked,
) -> None:
    contact = {"firstName": "Hana", "lastName": "Hill", "email": "hana@acme.example"}
    body = _with(linked.templates["extension"], 2, contact=contact)  # 103, Farid's
    result = _pull(linked, Answer("extension", 200, body))
    assert result.code == 0
    assert (
        "warning: extension 103 (id 62000000003) is another user's (a new email) on the "
        "platform: the user's credential hashes, held only in this file, are not kept"
    ) in result.err


@pytest.mark.parametrize("name", ["extension", "sites"])
@pytest.mark.parametrize("repeated", [False, True], ids=["empty", "repeated"])
def test_pages_that_bring_nothing_new_end_the_pull(
    linked: Linked, name: str, repeated: bool
) -> None:
    """Before: a platform giving link after link (page=2, 3, ...) to empty pages, or to the
    same records again, was followed for as long as it went on."""
    fake, template = linked.fake, linked.templates[name]
    path = LISTS[name].replace(ACCOUNT, f"/restapi/v1.0/account/{fake.account_id}")
    queued = []
    for n in range(2, 200):
        link = {"nextPage": {"uri": f"{fake.url}{path.replace(chr(92), '')}?page={n}"}}
        records = template["records"] if repeated else []
        queued.append(Answer(name, 200, {"records": records, "navigation": link}))
    result = _pull(linked, *queued)
    assert result.code == 1
    assert "3 pages in a row with no record new to the list link to a next page" in result.err
    assert len(fake.served) == 3 + repeated


@pytest.mark.parametrize(
    "uri",
    ["::::", "/x\x00", "/x\x7f", "/" + "a" * 70_000, "http://[::1/x"],
    ids=["colons", "nul", "del", "too long", "broken ipv6"],
)
def test_a_next_page_link_no_request_can_take_writes_nothing(linked: Linked, uri: str) -> None:
    """Before: internal error InvalidURL (httpx) or ValueError (urlsplit)."""
    body = {**linked.templates["extension"], "navigation": {"nextPage": {"uri": uri}}}
    result = _pull(linked, Answer("extension", 200, body))
    assert result.code == 1
    assert "the answer holds a nextPage link that is not one: nothing was written" in result.err


@pytest.mark.parametrize("errors", [True, 5, {"a": 1}], ids=str)
def test_an_error_answer_whose_errors_are_not_a_list_is_one_line(
    linked: Linked, errors: Any
) -> None:
    """Before: internal error TypeError ('bool' object is not subscriptable) or KeyError: 0."""
    result = _pull(linked, Answer("sites", 400, {"errors": errors, "message": "Bad request"}))
    assert result.code == 1
    assert result.err == (
        "extadmin: error: platform: GET /restapi/v1.0/account/~/sites: HTTP 400: Bad request\n"
    )
