"""The platform's HTTP client, over httpx: one login per run (JWT grant), a refresh before the
access token expires (and once on a 401), `navigation.nextPage` paging, and one rate governor
around every request, as RingCentral's own SDK extensions do it:

- each answer's X-Rate-Limit-Group / -Remaining / -Window is noted for the route it answered;
  when a group's Remaining reaches 0, the next request of a route in that group waits Window
  seconds (groups are read from the headers, never hard-coded);
- a 429 stops every request for Retry-After seconds (30 if absent): a request sent during the
  penalty would restart it;
- a 5xx answer or a dropped connection is retried with exponential backoff when the request is
  idempotent (GET, PUT, a login); a POST is retried only when it cannot have been received;
- a request has a deadline (REQUEST_DEADLINE, $EXTADMIN_REQUEST_DEADLINE): an answer still
  coming in after it (trickled a byte at a time) is cut off, and counts as a dropped
  connection;
- a wait is said (Governor.on_wait) while it lasts; a list is followed no further than the
  pages it announced.

It never logs or puts in a message a token, the client secret, the JWT, a value given to
`hide()` (the users' passwords and PINs) or an Authorization header (EXTADMIN_DEBUG=1 logs
method, path, status and rate-limit state only)."""

from __future__ import annotations

import json as _json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from extadmin import __version__
from extadmin.domain import rules
from extadmin.errors import (
    InvalidValue,
    PlatformAuthError,
    PlatformError,
    PlatformNotFound,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("extadmin.platform")

DEFAULT_SERVER = "https://platform.ringcentral.com"
ACCOUNT = "/restapi/v1.0/account/~"  # the caller's own account
_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _shape(path: str, what: str) -> PlatformError:
    return PlatformError(
        f"platform: GET {_path(path)}: the answer holds {what}: nothing was written"
    )


def _kind(value: object) -> str:
    kinds: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return kinds.get(type(value), repr(value)[:40])


def segment(value: object, what: str) -> str:
    """An id from the file or the platform, as one path segment: letters, digits, "-" and "_"
    only (the published ids are digits; a task id may hold letters). Anything else is refused,
    never sent: "../../oauth/revoke?" as a role id would send the request, and its token, to
    another endpoint."""
    text = "" if value is None else str(value)
    if not _SEGMENT.fullmatch(text):
        raise PlatformError(f"platform: {what} {text!r} is not an id extadmin puts in a request")
    return text


TOKEN_PATH = "/restapi/oauth/token"
REVOKE_PATH = "/restapi/oauth/revoke"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PER_PAGE = 1000
DEFAULT_RETRY_AFTER = 30.0
LONGEST_WAIT = 300.0  # seconds a command waits for the platform at most ($EXTADMIN_LONGEST_WAIT)
REQUEST_DEADLINE = 120.0  # seconds for a whole answer ($EXTADMIN_REQUEST_DEADLINE)
REVOKE_TIMEOUT = 2.5  # the revoke at the end: one attempt, never long (the token expires anyway)
MAX_ATTEMPTS = 6
MAX_PAGES = 10_000  # pages of one list at most: 10 million records at 1,000 a page
LOGINS = 3  # attempts at a login: a dropped one may have counted in Auth's 5 a minute


def check_server(url: str) -> str:
    """The server's base URL: https, or plain http for a loopback address only (tests, local
    fakes). Decided on the text, before any name is resolved."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidValue("server", f"{url!r} is not an https:// address")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidValue("server", "give the address alone (no user, query or fragment)")
    if parts.path not in ("", "/"):
        raise InvalidValue("server", f"{url!r}: give the server's address without a path")
    if parts.scheme == "http" and not rules.is_loopback(host):
        raise InvalidValue(
            "server",
            f"plain http:// is refused for {host} (the credentials would travel in clear): "
            "use https://; http:// is for loopback addresses only (127.0.0.1, ::1, localhost)",
        )
    try:
        port = parts.port
    except ValueError:
        raise InvalidValue("server", f"{url!r} has an invalid port") from None
    netloc = f"[{host}]" if ":" in host else host
    default = {"https": 443, "http": 80}[parts.scheme]
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port and port != default else "")


def route(method: str, path: str) -> str:
    """A request's route, ids (numbers, long hex or uuid) folded: the rate-limit group is
    learned per route."""
    folded = re.sub(r"/(?:\d+|[0-9a-fA-F-]{16,})(?=/|$)", "/{id}", path.split("?", 1)[0])
    return method + " " + folded


@dataclass
class _Group:
    remaining: int | None = None
    window: float = 60.0
    resume_at: float = 0.0  # when Remaining reached 0: nothing of this group before


@dataclass
class Governor:
    """Keeps every request inside the platform's limits (see the module's docstring)."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    on_wait: Callable[[float, str], None] | None = None
    on_spent: Callable[[], None] | None = None  # a group ran out, or a penalty began
    groups: dict[str, _Group] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # route -> group
    penalty_until: float = 0.0
    waited: float = 0.0
    longest: float = LONGEST_WAIT  # a longer wait is reported at once, never waited

    def before(self, key: str) -> None:
        name = self.routes.get(key)
        # a route not seen yet may belong to any group: it waits for every one run out; a
        # route of a group that has not run out (or is not known to this run) does not wait
        names = [name] if name is not None else list(self.groups)
        spent = {
            n: self.groups[n] for n in names if n in self.groups and self.groups[n].remaining == 0
        }
        until = max([g.resume_at for g in spent.values()], default=0.0)
        last = ", ".join(n for n, g in spent.items() if g.resume_at == until)
        why = f"the platform's rate limit ({last})"
        if self.penalty_until >= until:
            until, why = self.penalty_until, "a 429 penalty (Retry-After)"
        self._wait_until(until, why)
        for group in spent.values():
            group.remaining = None  # the window has passed: unknown until the next answer

    def after(self, key: str, headers: Any) -> None:
        name = headers.get("x-rate-limit-group")
        if not name:
            return
        self.routes[key] = name
        group = self.groups.setdefault(name, _Group())
        try:
            group.remaining = int(headers.get("x-rate-limit-remaining", ""))
            window = seconds(headers.get("x-rate-limit-window"), group.window)
        except ValueError:
            return
        group.window = window
        if group.remaining <= 0:
            group.remaining = 0
            group.resume_at = self.clock() + group.window
            if self.on_spent:
                self.on_spent()

    def state(self) -> dict[str, Any]:
        """What the next run must respect (another process, a minute later): the groups run
        out and the penalty, as seconds from now, and the routes' groups."""
        now = self.clock()
        spent = {
            name: {"resume_in": g.resume_at - now, "window": g.window}
            for name, g in self.groups.items()
            if g.remaining == 0 and now < g.resume_at <= now + self.longest
        }  # a wait longer than the longest one is reported, never handed on
        penalty = self.penalty_until - now
        return {
            "routes": self.routes,
            "spent": spent,
            "penalty_in": penalty if penalty <= self.longest else 0,
        }

    def restore(self, state: dict[str, Any], elapsed: float) -> None:
        """A state saved `elapsed` seconds ago (anything malformed is ignored)."""
        now = self.clock()
        try:
            self.routes.update({str(k): str(v) for k, v in state.get("routes", {}).items()})
            for name, spent in state.get("spent", {}).items():
                left = min(float(spent["resume_in"]) - elapsed, float(spent["window"]))
                if 0 < left <= self.longest:
                    self.groups[str(name)] = _Group(0, float(spent["window"]), now + left)
            left = float(state.get("penalty_in", 0)) - elapsed
            if 0 < left <= self.longest:  # a longer one was said when it was met
                self.penalty_until = max(self.penalty_until, now + left)
        except (AttributeError, KeyError, TypeError, ValueError):
            return

    def blocked(self) -> bool:
        """Some request would have to wait now (a penalty, or a group run out)."""
        now = self.clock()
        spent = any(g.remaining == 0 and g.resume_at > now for g in self.groups.values())
        return self.penalty_until > now or spent

    def penalty(self, seconds: float) -> None:
        self._refuse_longer(seconds, "a 429 penalty (Retry-After)")
        self.penalty_until = max(self.penalty_until, self.clock() + seconds)
        if self.on_spent:
            self.on_spent()

    def backoff(self, attempt: int, why: str = "a retry") -> None:
        # short (8 s at most): said when it reaches a second (a platform gone quiet, failing)
        self._wait_until(self.clock() + min(0.25 * 2**attempt, 8.0), why)

    def _refuse_longer(self, wait: float, why: str) -> None:
        if wait > self.longest:
            shown = f"{wait:.0f} s" if wait < 10**7 else "for ever"
            raise PlatformError(
                f"platform: the platform asks to wait {shown} ({why}), more than the longest "
                f"wait of {self.longest:g} s ($EXTADMIN_LONGEST_WAIT): nothing more was sent; "
                "try again later"
            )

    def _wait_until(self, until: float, why: str, say: bool = True) -> None:
        self._refuse_longer(until - self.clock(), why)
        while (left := until - self.clock()) > 0:
            if self.on_wait and say:
                self.on_wait(left, why)
            self.sleep(left)
            self.waited += left


@dataclass
class _Token:
    access: str
    refresh: str
    expires_at: float


class Client:
    """A session with one platform account. Use as a context manager: the token is revoked at
    the end. `transport` lets the tests use any httpx transport."""

    def __init__(
        self,
        server: str,
        client_id: str,
        client_secret: str,
        jwt: str,
        *,
        transport: httpx.BaseTransport | None = None,
        governor: Governor | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
    ) -> None:
        import httpx

        self.server = check_server(server)
        self._client_id = client_id
        self._secrets = [client_secret, jwt]
        self._jwt = jwt
        self._timeout = timeout  # httpx's, per connect and per read
        self._deadline = REQUEST_DEADLINE if deadline is None else deadline  # a whole answer
        self._http = httpx.Client(
            base_url=self.server,
            auth=httpx.BasicAuth(client_id, client_secret),  # sent to the token routes only
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            verify=self.server.startswith("https:"),  # plain http (loopback): no TLS to set up
            headers={"Accept": "application/json", "User-Agent": f"extadmin/{__version__}"},
        )
        self.governor = governor or Governor()
        self.sent: Counter[str] = Counter()  # requests sent, by route
        self.logins = 0
        self.refreshes = 0
        self._token: _Token | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def hide(self, *values: str) -> None:
        """Values this session sends (a user's password, PIN, security answer) that must never
        be printed or logged: a platform error quoting one shows "<secret>" instead."""
        self._secrets += [v for v in values if v]

    def close(self, revoke: bool = True) -> None:
        """Revoke the session's token (best effort: one attempt, a short timeout, and never by
        waiting out a rate limit: an access token expires by itself) and close the
        connections. Also after Ctrl-C or SIGTERM, so that it ends promptly."""
        token, self._token = self._token, None
        if token is not None and revoke and not self.governor.blocked():
            try:
                data = {"token": token.access}
                self._call(
                    "POST",
                    REVOKE_PATH,
                    data=data,
                    auth_route=True,
                    attempts=1,
                    deadline=REVOKE_TIMEOUT,
                )
            except PlatformError as exc:
                log.debug("revoke failed: %s", exc.message)
        self._http.close()

    # --- auth -----------------------------------------------------------------------------------
    def login(self) -> None:
        self.logins += 1
        grant = {"grant_type": JWT_GRANT, "assertion": self._jwt}
        self._take(self._call("POST", TOKEN_PATH, data=grant, auth_route=True, attempts=LOGINS))

    def _refresh(self) -> None:
        assert self._token is not None
        self.refreshes += 1
        try:
            answer = self._call(
                "POST",
                TOKEN_PATH,
                data={"grant_type": "refresh_token", "refresh_token": self._token.refresh},
                auth_route=True,
                attempts=LOGINS,
            )
        except PlatformAuthError:
            self.login()  # the refresh token is gone too: log in again with the JWT
            return
        self._take(answer)

    def _take(self, answer: Any) -> None:
        try:
            access, refresh = str(answer["access_token"]), str(answer.get("refresh_token", ""))
            lifetime = float(answer.get("expires_in", 3600))
        except (TypeError, KeyError, ValueError):
            raise PlatformError("platform: the token answer has no access_token") from None
        self._secrets += [access, refresh]
        # refreshed a minute before it expires (or at 90% of a shorter life)
        margin = min(60.0, lifetime / 10)
        self._token = _Token(access, refresh, self.governor.clock() + lifetime - margin)

    def _bearer(self) -> dict[str, str]:
        if self._token is None:
            self.login()
        elif self.governor.clock() >= self._token.expires_at:
            self._refresh()
        assert self._token is not None
        return {"Authorization": f"Bearer {self._token.access}"}

    # --- requests -------------------------------------------------------------------------------
    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """An API call; the answer's JSON (None when empty)."""
        return self._call(method, path, params=params, json=json, idempotent=idempotent)

    def pages(self, path: str, *, per_page: bool = True, **params: Any) -> Iterator[Any]:
        """Every page of a list, following navigation.nextPage until it is absent (the platform
        may leave out the totals). `per_page`: the list declares perPage (1,000 a page is
        asked); a list that does not is asked with no page size, as its definition says."""
        query: dict[str, Any] | None = {**params, "perPage": PER_PAGE} if per_page else params
        read = {path}
        while True:
            page = self.request("GET", path, params=query)
            if not isinstance(page, dict):
                raise _shape(path, f"a list page that is not an object ({_kind(page)})")
            yield page
            navigation = page.get("navigation") or {}
            if not isinstance(navigation, dict):
                raise _shape(path, f"a navigation that is not an object ({_kind(navigation)})")
            following = navigation.get("nextPage")
            if not following:
                return
            if not isinstance(following, dict) or not isinstance(following.get("uri"), str):
                raise _shape(path, "a nextPage link that is not one")
            paging = page.get("paging")
            total = paging.get("totalPages") if isinstance(paging, dict) else None
            if type(total) is int and len(read) >= total:  # announced (it may be left out)
                raise _shape(path, f"a nextPage beyond the {total} page(s) announced")
            path, query = self._local(following["uri"]), None
            if path in read:  # a link back to a page read already would loop for ever
                raise _shape(path, "a nextPage link to a page read already")
            if len(read) >= MAX_PAGES:  # new links for ever, and no total announced
                raise _shape(path, f"more than {MAX_PAGES} pages")
            read.add(path)

    def _local(self, uri: str) -> str:
        """A link from an answer, kept on this server (never sent a token elsewhere), and one
        that can be a request's path (no control character, a sane length, a parsable URL)."""
        try:
            parts = urlsplit(uri)
            parts.port  # noqa: B018 (raises ValueError on a port that is not one)
        except ValueError:
            parts = None
        if parts is None or len(uri) > 8000 or not uri.isprintable() or ":" in parts.path:
            raise _shape(repr(uri[:60]), "a nextPage link that is not one")
        if (parts.scheme or parts.netloc) and not _same_server(uri, self.server):
            raise PlatformError(f"platform: a page link points to another server: {uri}")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        idempotent: bool | None = None,
        auth_route: bool = False,
        attempts: int = MAX_ATTEMPTS,
        deadline: float | None = None,
    ) -> Any:
        """One request, sent again as its kind allows (a dropped connection, 429, a token that
        expired, a 5xx), and its answer as JSON, or the platform's error raised."""
        import httpx

        deadline = self._deadline if deadline is None else deadline
        if idempotent is None:
            idempotent = method in ("GET", "PUT", "DELETE") or auth_route
        key = route(method, path)
        body = {"params": params, "json": json, "data": data}
        auth = httpx.USE_CLIENT_DEFAULT if auth_route else None
        refreshed = False
        attempt = 0
        while True:
            headers = {} if auth_route else self._bearer()
            self.governor.before(key)
            try:
                self.sent[key] += 1
                response, content = self._send(
                    method, path, deadline, headers=headers, auth=auth, **body
                )
            except (httpx.TransportError, _Overdue) as exc:
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                attempt += 1
                log.debug("%s %s: %s (%d)", method, _path(path), type(exc).__name__, attempt)
                if (idempotent or unsent) and attempt < attempts:
                    why = f"no answer from the platform ({type(exc).__name__}), then retry"
                    self.governor.backoff(attempt, f"{why} {attempt + 1} of {attempts}")
                    continue
                raise self._unanswered(method, path, exc, attempt) from None
            self._heed_limits(key, method, path, response)
            status = response.status_code
            if status == 429 and attempt < attempts:
                attempt += 1
                continue
            if status == 401 and not auth_route and not refreshed:
                refreshed = True
                self._refresh()
                continue
            if status >= 500 and idempotent and attempt < attempts:
                attempt += 1
                why = f"the platform answered {status}, then retry {attempt + 1} of {attempts}"
                self.governor.backoff(attempt, why)
                continue
            if response.is_success:
                return _answer(method, path, response, content)
            raise self._error(method, path, response, content, auth_route)

    def _unanswered(self, method: str, path: str, exc: Exception, attempt: int) -> PlatformError:
        """A request no answer came back to, after its last attempt, as the project's error."""
        return PlatformError(
            f"platform: {method} {_path(path)}: {self._scrub(_reason(exc))} "
            f"({self.server} after {attempt} attempt(s))"
        )

    def _heed_limits(self, key: str, method: str, path: str, response: httpx.Response) -> None:
        """What an answer says of the rate limits, told to the governor (and the debug log)."""
        status = response.status_code
        if status == 429:  # Retry-After rules; whatever Remaining says is spent already
            self.governor.penalty(_retry_after(response.headers.get("retry-after")))
        else:
            self.governor.after(key, response.headers)
        log.debug(
            "%s %s -> %d [%s remaining %s]",
            method,
            _path(path),
            status,
            response.headers.get("x-rate-limit-group", "-"),
            response.headers.get("x-rate-limit-remaining", "-"),
        )

    def _send(
        self, method: str, path: str, deadline: float, **kwargs: Any
    ) -> tuple[httpx.Response, bytes]:
        """One request and its whole answer, read within `deadline` seconds: httpx's timeout
        bounds each read, not an answer trickled a byte at a time (_Overdue)."""
        end = time.monotonic() + deadline
        timeout = min(self._timeout, deadline)
        with self._http.stream(method, path, timeout=timeout, **kwargs) as response:
            content = bytearray()
            for chunk in response.iter_bytes():
                content += chunk
                if time.monotonic() > end:
                    raise _Overdue(
                        f"no whole answer within {deadline:g} s, the deadline of a request "
                        "($EXTADMIN_REQUEST_DEADLINE)"
                    )
        return response, bytes(content)

    def _error(
        self, method: str, path: str, response: httpx.Response, content: bytes, auth_route: bool
    ) -> PlatformError:
        """The platform's answer as one of the project's errors, its errorCode kept."""
        try:
            body = _json.loads(content)
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        first = first if isinstance(first, dict) else {}
        code = str(first.get("errorCode") or body.get("errorCode") or body.get("error") or "")
        text = str(
            first.get("message")
            or body.get("message")
            or body.get("error_description")
            or response.reason_phrase
        )
        status = response.status_code
        what = "login" if path == TOKEN_PATH else f"{method} {_path(path)}"
        message = self._scrub(
            f"platform: {what}: HTTP {' '.join(filter(None, (str(status), code)))}: {text}"
        )
        field = str(first.get("parameterName") or "")
        if auth_route and status in (400, 401, 403) or status == 401:
            hint = " (check the client id, client secret and JWT)" if auth_route else ""
            return PlatformAuthError(message + hint, status=status, code=code, field=field)
        if status == 403:
            return PlatformAuthError(
                message + " (the app may lack a permission: see docs/platform.md)",
                status=status,
                code=code,
                field=field,
            )
        if status == 404:
            return PlatformNotFound(message, status=status, code=code, field=field)
        return PlatformError(message, status=status, code=code, field=field)

    def _scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):  # one inside another
            if secret:
                text = text.replace(secret, "<secret>")
        return text


def _answer(method: str, path: str, response: httpx.Response, content: bytes) -> Any:
    """A successful answer's JSON (None for an empty one); an answer that is not JSON raises."""
    if not content.strip():
        return None
    try:
        return _json.loads(content)
    except ValueError:
        kind = response.headers.get("content-type", "no type").split(";")[0]
        raise PlatformError(
            f"platform: {method} {_path(path)}: the answer is not JSON ({kind}): "
            "nothing was written"
        ) from None


class _Overdue(Exception):
    """An answer not whole by the request's deadline: handled as a dropped connection."""


def _same_server(uri: str, server: str) -> bool:
    """Same scheme, port and host (any loopback name for a loopback server: `localhost` is
    127.0.0.1 for the platform that wrote the link)."""
    link, base = urlsplit(uri), urlsplit(server)
    try:
        ports = {"https": 443, "http": 80}
        same_port = (link.port or ports.get(link.scheme)) == (base.port or ports.get(base.scheme))
    except ValueError:
        return False
    hosts = link.hostname or "", base.hostname or ""
    same_host = hosts[0] == hosts[1] or all(rules.is_loopback(h) for h in hosts)
    return link.scheme == base.scheme and same_port and same_host


def _path(path: str) -> str:
    return path.split("?", 1)[0]


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _retry_after(value: str | None) -> float:
    try:
        return seconds(value, DEFAULT_RETRY_AFTER)
    except ValueError:
        return DEFAULT_RETRY_AFTER  # an HTTP date: the documented default is safe


def seconds(value: str | None, default: float) -> float:
    """A number of seconds from a header: `default` when absent; 0 or more, and a value past
    any wait (1e400, inf) as infinity, never an overflow; ValueError when it is no number."""
    if value is None:
        return default
    number = float(value)  # "nan", "inf", "1e400" parse; "soon" raises ValueError
    if math.isnan(number):
        raise ValueError(value)
    return max(number, 0.0)
