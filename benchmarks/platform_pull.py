"""Platform pull: `extadmin platform pull` of 1,000, 10,000 and 50,000 User extensions from the
fake platform of tests/fake_platform.py, against the inherent cost of the HTTP work: a minimal
httpx program, run the same way, side by side, that sends the same requests as the pull (one
token request; the sites, the roles, the default role, the language dictionary, the
call-recording list, every page of /restapi/v1.0/account/~/extension?type=User&perPage=1000,
each list followed by navigation.nextPage and with perPage only where the published
definition declares it; the token's revocation: checked, the same methods, paths and queries
in the same order) and writes what it read to a file with json.dumps (the C encoder), fsynced
and renamed as extadmin saves a file. Like extadmin, it runs with the cycle collector off and
exits without freeing (os._exit).

    python benchmarks/platform_pull.py [--sizes 1000,10000,50000] [--repeat 3] [--before SRC]

For each size it prints the requests the pull sent in all and how many listed extensions, the
pull's wall time and the baseline's (best of N, runs interleaved), their ratio, the fake alone,
and the check that requests grow as one per 1,000 extensions plus a constant: the extensions
are paged at 1,000 a request, and the call-recording list (the recorded users, every 7th here)
is one request (its definition declares no paging, and the fake sends it whole), so
`requests - ceil(n/1000)` must be the same for every size and every run (exit 1 if not, if
the fake saw a violation, or if the baseline's requests are not the pull's).

The fake: its pages of the two long lists are made once per size, untimed, and kept
serialised (the fake builds a page by sorting, filtering and deep-copying every record of the
account: some 40 ms a page at 50,000, which both sides would be timed with). A request for
such a page is still recorded and counted in its rate-limit group, with a valid token only
(any other request is the fake's own answer). "fake alone" is the time of the pull's GETs sent
again, in this process, by a client that reads each answer's bytes and discards them (no JSON
parsed, no process started): what the fake and the HTTP exchange cost each side at most.

The fake runs with every rate-limit group at (100000, 60.0): limits that never bind, since the
default Medium limit (40 a minute) would make 50 pages wait a minute. The pull's own rate-limit
handling is proven by tests/test_platform_pull.py, not here. The fake is populated once per size,
untimed; each repeat connects a fresh account file (untimed) with fresh XDG config, data and
cache folders, so that every timed pull writes the whole file. Every timed run starts after
os.sync() (_timing.SAME_STATE).

`peak`: the peak resident memory of one more pull (and of the baseline), untimed, on a fresh
linked file, in MiB and over the pulled file's size; `re-pull`: that of the same pull run again
on the file it wrote (every extension read, checked, replaced and written again). With --before
SRC (the `src` folder of an earlier version, such as `git archive be3b67c src` unpacked), that
extadmin pulls too, in the same rounds, from the same state: its time and peaks follow.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))  # tests.fake_platform

from _timing import EXTADMIN, SAME_STATE, peak_rss_kib, run_time  # noqa: E402
from tests.fake_platform import ROUTES, FakePlatform, Recorded, Request  # noqa: E402

NO_LIMIT = (100000, 60.0)  # every group: never reached in these runs
LIST = re.compile(r"/restapi/v1\.0/account/(~|[0-9]+)/extension")
RECORDING_LIST = re.compile(r"/restapi/v1\.0/account/(~|[0-9]+)/call-recording/extensions")

BASELINE = """
import gc
gc.disable()  # as extadmin
import json, os, sys
import httpx

server, client_id, secret_file, jwt_file, out = sys.argv[1:]
with open(secret_file) as handle:
    secret = handle.read().strip()
with open(jwt_file) as handle:
    jwt = handle.read().strip()
client = httpx.Client(base_url=server, timeout=60.0, headers={"Accept": "application/json"})
grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": jwt}
answer = client.post("/restapi/oauth/token", auth=(client_id, secret), data=grant)
answer.raise_for_status()
token = answer.json()["access_token"]
client.headers["Authorization"] = "Bearer " + token


def get(path, **params):
    answer = client.get(path, params=params or None)
    answer.raise_for_status()
    return answer.json()


def records(path, per_page=True, **params):
    page = get(path, **params, **({"perPage": 1000} if per_page else {}))
    found = page["records"]
    while uri := ((page.get("navigation") or {}).get("nextPage") or {}).get("uri"):
        page = get(uri)
        found += page["records"]
    return found


account = "/restapi/v1.0/account/~"
doc = {
    "sites": records(account + "/sites", per_page=False),
    "roles": records(account + "/user-role"),
    "default_role": get(account + "/user-role/default"),
    "languages": get("/restapi/v1.0/dictionary/language")["records"],
    "recording": records(account + "/call-recording/extensions", per_page=False),
    "extensions": records(account + "/extension", type="User"),
}
revoke = {"token": token}
client.post("/restapi/oauth/revoke", auth=(client_id, secret), data=revoke).raise_for_status()
with open(out + ".tmp", "wb") as handle:
    handle.write(json.dumps(doc).encode())
    handle.flush()
    os.fsync(handle.fileno())
os.replace(out + ".tmp", out)
folder = os.open(os.path.dirname(out), os.O_RDONLY)
os.fsync(folder)
os._exit(0)  # without freeing, as extadmin
"""
LONG_LISTS = (
    "/restapi/v1.0/account/~/extension?type=User&perPage=1000",
    "/restapi/v1.0/account/~/call-recording/extensions",
)


class Fake(FakePlatform):
    """The fake, with the pages of the lists that start at LONG_LISTS made once (`freeze`)."""

    pages: dict[str, tuple[str, bytes]]  # request target -> (rate-limit group, body)

    def freeze(self) -> None:
        self.pages = {}
        for target in LONG_LISTS:
            while target:
                path, _, query = target.partition("?")
                endpoint, match = next(
                    (e, m)
                    for p, e in self._routes
                    if e.method == "GET" and (m := p.fullmatch(path))
                )
                req = Request("GET", path, match.groups(), parse_qs(query), query, None, Message())
                page = endpoint.handler(self, req)[1]
                self.pages[target] = (endpoint.group, json.dumps(page).encode())
                link = urlsplit(
                    ((page.get("navigation") or {}).get("nextPage") or {}).get("uri", "")
                )
                target = f"{link.path}?{link.query}" if link.path else ""

    def _serve(self, handler: Any) -> None:
        page = self.pages.get(handler.path) if handler.command == "GET" else None
        token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if page is None or self._access_tokens.get(token, 0.0) < time.monotonic():
            super()._serve(handler)  # the fake's own answer, and its checks
            return
        group, body = page
        split, now = urlsplit(handler.path), time.monotonic()
        headers = {name.lower(): value for name, value in handler.headers.items()}
        recorded = Recorded("GET", split.path, parse_qs(split.query), split.query, None, 200, now,
                            False, headers)  # fmt: skip
        with self._lock:
            self.requests.append(recorded)
            rate = self._rate(group, now)[0]  # never binding here
        handler.send_response(200)
        for name, value in rate.items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@dataclass
class Row:
    """One size: best times, and every count seen across the runs (one each if all agree)."""

    pull: float = math.inf
    baseline: float = math.inf
    fake: float = math.inf  # the fake alone: the pull's GETs, the answers discarded
    requests: set[int] = field(default_factory=set)
    lists: set[int] = field(default_factory=set)  # GET .../extension
    recording_lists: set[int] = field(default_factory=set)  # GET .../call-recording/extensions
    recorded: int = 0  # extensions on the fake's call-recording list
    constants: set[int] = field(default_factory=set)  # requests less the extension pages
    base_requests: set[int] = field(default_factory=set)
    mib: float = 0.0
    populate: float = 0.0  # seconds to populate the fake (untimed)
    before: float = math.inf  # the earlier extadmin's pull (--before)
    peak: dict[str, float] = field(default_factory=dict)  # program -> MiB
    repull: dict[str, float] = field(default_factory=dict)  # program -> MiB, the pull again


def counts(values: set[int]) -> str:
    return "/".join(map(str, sorted(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", metavar="SRC", help="an earlier extadmin's src folder")
    args = parser.parse_args()
    programs = {"extadmin": EXTADMIN}
    if args.before:
        programs["before"] = ["env", f"PYTHONPATH={Path(args.before).resolve()}", *EXTADMIN]
    work = Path(tempfile.mkdtemp(prefix="extadmin-pull-"))
    baseline = work / "baseline.py"
    baseline.write_text(BASELINE)
    limits = dict.fromkeys({e.group for e in ROUTES}, NO_LIMIT)
    print(
        f"fake platform limits: every group {NO_LIMIT} (not binding: rate-limit handling is "
        f"tested, not timed); JSON account files; best of {args.repeat} runs; {SAME_STATE}"
    )
    print(
        "requests: all the pull sent; ext list / rec list: GET .../extension and "
        ".../call-recording/extensions among them (recorded: extensions on that list); "
        "const: requests - ceil(n/1000); base req: the baseline's requests "
        "(the pull's, checked); fake alone: the pull's GETs sent again by a client that "
        "discards the answers, in this process"
    )
    print(
        f"{'size':>7} {'requests':>8} {'ext list':>8} {'rec list':>8} {'recorded':>8}"
        f" {'const':>5} {'pull':>9} {'baseline':>9} {'ratio':>6} {'base req':>8}"
        f" {'fake alone':>10} {'file MiB':>8} {'peak MiB':>8} {'/file':>5} {'re-pull':>7}"
        f" {'/file':>5} {'base pk':>7}"
        + (
            f" | {'before':>9} {'ratio':>6} {'peak MiB':>8} {'/file':>5}"
            f" {'re-pull':>7} {'/file':>5}"
            if args.before
            else ""
        )
    )
    constants: set[int] = set()
    failed: list[str] = []
    rows: dict[int, Row] = {}
    try:
        for size in map(int, args.sizes.split(",")):
            with Fake(limits=limits) as fake:
                row = bench(fake, size, args.repeat, work, baseline, failed, programs)
            constants |= row.constants
            rows[size] = row
            print(
                f"{size:>7} {counts(row.requests):>8} {counts(row.lists):>8}"
                f" {counts(row.recording_lists):>8} {row.recorded:>8}"
                f" {counts(row.constants):>5} {row.pull:>8.3f}s {row.baseline:>8.3f}s"
                f" {row.pull / row.baseline:>5.2f}x {counts(row.base_requests):>8}"
                f" {row.fake:>9.3f}s {row.mib:>8.1f} {row.peak['extadmin']:>8.0f}"
                f" {row.peak['extadmin'] / row.mib:>4.1f}x {row.repull['extadmin']:>7.0f}"
                f" {row.repull['extadmin'] / row.mib:>4.1f}x {row.peak['baseline']:>7.0f}"
                + (
                    f" | {row.before:>8.3f}s {row.before / row.baseline:>5.2f}x"
                    f" {row.peak['before']:>8.0f} {row.peak['before'] / row.mib:>4.1f}x"
                    f" {row.repull['before']:>7.0f} {row.repull['before'] / row.mib:>4.1f}x"
                    if "before" in programs
                    else ""
                ),
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        "fake populated and its pages made (untimed) in "
        + ", ".join(f"{row.populate:.1f}s ({size})" for size, row in rows.items())
    )
    if len(constants) != 1:
        recording = ", ".join(f"{counts(r.recording_lists)} ({n})" for n, r in rows.items())
        failed.append(
            f"requests - ceil(n/1000) is not one constant: {sorted(constants)} (requests must "
            f"grow by one per 1,000 extensions); call-recording list requests by size: {recording}"
        )
    else:
        print(f"requests - ceil(n/1000) = {constants.pop()}: ok")
    for why in failed:
        print(f"FAIL: {why}", file=sys.stderr)
    if failed:
        raise SystemExit(1)


def bench(
    fake: Fake,
    size: int,
    repeat: int,
    work: Path,
    baseline: Path,
    failed: list[str],
    programs: dict[str, list[str]],
) -> Row:
    """One size: populate (untimed), then `repeat` interleaved pulls and baseline runs; then
    the peak memory of one more of each."""
    start = time.perf_counter()
    fake.populate(size, sites=["main-site", fake.add_site("Boston", "2")])
    fake.add_site("Paris", "3")
    fake.freeze()
    populated = time.perf_counter() - start
    secrets = work / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "client-secret").write_text(fake.client_secret)
    (secrets / "jwt").write_text(fake.jwt)
    row = Row(recorded=len(fake.recording), populate=populated)

    def linked(run: Path, program: list[str]) -> tuple[list[str], dict[str, str], Path]:
        """(the pull's command, its environment, the file): a fresh linked file, nothing pulled
        yet, connected untimed."""
        env = {
            "XDG_CONFIG_HOME": str(run / "config"),
            "XDG_DATA_HOME": str(run / "data"),
            "XDG_CACHE_HOME": str(run / "cache"),
            "RINGCENTRAL_CLIENT_SECRET": "",  # only the secrets that connect keeps
            "RINGCENTRAL_JWT": "",
        }
        account = run / "acct.json"
        acct = [*program, "--account", str(account)]
        connect = [
            *acct, "platform", "connect", "--server", fake.url, "--client-id", fake.client_id,
            "--client-secret-file", str(secrets / "client-secret"),
            "--jwt-file", str(secrets / "jwt"),
        ]  # fmt: skip
        run_time(connect, env)
        return [*acct, "platform", "pull"], env, account

    for n in range(repeat):
        run = work / f"{size}-{n}"
        if "before" in programs:
            pull, env, _ = linked(work / f"{size}-{n}-before", programs["before"])
            row.before = min(row.before, run_time(pull, env))
        pull, env, account = linked(run, programs["extadmin"])
        first = len(fake.requests)
        row.pull = min(row.pull, run_time(pull, env))
        sent = fake.requests[first:]
        row.requests.add(len(sent))
        row.lists.add(sum(1 for r in sent if r.method == "GET" and LIST.fullmatch(r.path)))
        row.recording_lists.add(sum(1 for r in sent if RECORDING_LIST.fullmatch(r.path)))
        row.constants.add(len(sent) - math.ceil(size / 1000))
        row.mib = account.stat().st_size / 2**20
        pulled = len(json.loads(account.read_bytes())["extensions"])

        out = run / "baseline.json"
        first = len(fake.requests)
        base = [
            sys.executable, str(baseline), fake.url, fake.client_id,
            str(secrets / "client-secret"), str(secrets / "jwt"), str(out),
        ]  # fmt: skip
        row.baseline = min(row.baseline, run_time(base, env))
        base_sent = fake.requests[first:]
        row.base_requests.add(len(base_sent))
        if [(r.method, r.path, r.raw_query) for r in base_sent] != [
            (r.method, r.path, r.raw_query) for r in sent
        ]:
            failed.append(f"{size}: the baseline's requests are not the pull's")
        listed = len(json.loads(out.read_bytes())["extensions"])
        row.fake = min(row.fake, fetch_only(fake, [r for r in sent if r.method == "GET"]))
        if pulled != size or listed != size:
            failed.append(f"{size}: pulled {pulled}, baseline listed {listed} extensions")
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(work / f"{size}-{n}-before", ignore_errors=True)
    for label, program in programs.items():
        pull, env, _ = linked(work / f"{size}-peak-{label}", program)
        row.peak[label] = peak_rss_kib(pull, env) / 1024
        row.repull[label] = peak_rss_kib(pull, env) / 1024  # the file holds them all now
    out = work / f"{size}-peak-baseline" / "baseline.json"
    out.parent.mkdir()
    base = [
        sys.executable, str(baseline), fake.url, fake.client_id,
        str(secrets / "client-secret"), str(secrets / "jwt"), str(out),
    ]  # fmt: skip
    row.peak["baseline"] = peak_rss_kib(base, env) / 1024
    if fake.violations:
        failed.append(f"{size}: the fake saw violations: {fake.violations[:3]}")
    if len(row.requests) != 1 or len(row.lists) != 1:
        failed.append(f"{size}: request counts differ between runs: {row.requests} {row.lists}")
    return row


def fetch_only(fake: Fake, sent: list[Recorded]) -> float:
    """The fake alone: these GETs sent again by a client that reads the answers' bytes and
    discards them (no JSON parsed), in this process."""
    import httpx

    headers = {"Authorization": "Bearer " + fake.issue_token()}
    with httpx.Client(base_url=fake.url, headers=headers) as client:
        start = time.perf_counter()
        for r in sent:
            client.get(r.path + (f"?{r.raw_query}" if r.raw_query else "")).raise_for_status()
        return time.perf_counter() - start


if __name__ == "__main__":
    main()
