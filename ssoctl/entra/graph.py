"""The one Microsoft Graph client (httpx): retries, paging, batching, replication polls
and errors a person can act on (entra-graph.md A5).

- 429, 503 and 504 are retried after `Retry-After` (seconds or an HTTP date), else after a
  capped, jittered exponential backoff, all under one overall deadline;
- `@odata.nextLink` is followed verbatim, but only on Graph's own origin: a link to another
  host would receive the token;
- every GET names its `$select`: the caller cannot forget it;
- JSON batching ($batch, 20 requests each) where it cuts round trips;
- a Graph error becomes one line: the code, the message, the request-id, and the fix;
- bodies are read up to a cap, and must be JSON.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ssoctl.errors import OperationError

if TYPE_CHECKING:
    import httpx

RETRIED = frozenset({429, 503, 504})
DEADLINE_S = 300.0  # one budget for every retry and poll of a command
MAX_WAIT_S = 60.0  # one wait, whatever Retry-After says
BACKOFF_BASE_S = 1.0
MAX_BODY = 32 * 1024 * 1024  # a page of 999 service principals is ~2 MB
MAX_PAGES = 100_000
BATCH_SIZE = 20  # Graph's limit per $batch
REPLICATION_POLL_S = 5.0  # "every 5-10 seconds" (MGD tutorial note)
_QUERY_SAFE = "$,'()=:@/"

# The clock and the sleep, as module attributes so tests can replace them.
sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.monotonic


class GraphError(OperationError):
    """Graph could not be read or written (exit 3)."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class Get:
    """One GET for a batch: a path under the version root, its $select and query."""

    path: str
    select: Sequence[str]
    params: dict[str, str] = field(default_factory=dict)

    def relative(self) -> str:
        return self.path + "?" + query({"$select": ",".join(self.select), **self.params})


def query(params: dict[str, str]) -> str:
    return "&".join(f"{k}={quote(v, safe=_QUERY_SAFE)}" for k, v in params.items() if v)


class GraphClient:
    def __init__(
        self,
        root: str,
        token: Callable[[], str],
        http: httpx.Client,
        *,
        secrets: Callable[[], tuple[str, ...]] = tuple,
        deadline_s: float = DEADLINE_S,
    ) -> None:
        self.root = root.rstrip("/")
        self._token = token
        self._http = http
        self._secrets = secrets
        self._deadline = clock() + deadline_s
        self.round_trips = 0  # HTTP requests sent to Graph (benchmarks/bench_entra.py)
        self.writes = 0  # of them, the writes that Graph accepted or refused
        self._current_token: str | None = None

    # -- requests ---------------------------------------------------------------------

    def url(self, path: str, *, beta: bool = False) -> str:
        return f"{self.root}/{'beta' if beta else 'v1.0'}{path}"

    def get(
        self,
        path: str,
        *,
        select: Sequence[str],
        params: dict[str, str] | None = None,
        beta: bool = False,
        needs: str | None = None,
    ) -> dict[str, Any]:
        """One object or page; any error status raises GraphError."""
        found = self.get_optional(path, select=select, params=params, beta=beta, needs=needs)
        if found is None:
            raise GraphError(f"Graph has no {path} (404).")
        return found

    def get_optional(
        self,
        path: str,
        *,
        select: Sequence[str],
        params: dict[str, str] | None = None,
        beta: bool = False,
        needs: str | None = None,
    ) -> dict[str, Any] | None:
        """One object, or None when Graph answers 404."""
        url = self.url(Get(path, select, params or {}).relative(), beta=beta)
        reply = self._send("GET", url)
        if reply.status == 404:
            return None
        self._raise_for(reply, "GET", path, needs)
        return reply.body

    def pages(
        self,
        path: str,
        *,
        select: Sequence[str],
        params: dict[str, str] | None = None,
        beta: bool = False,
        needs: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink`."""
        yield from self.follow(
            self.get(path, select=select, params=params, beta=beta, needs=needs), path, needs
        )

    def follow(
        self, page: dict[str, Any], path: str, needs: str | None
    ) -> Iterator[dict[str, Any]]:
        """The items of a first page and of every page after it."""
        for _ in range(MAX_PAGES):
            yield from _items(page, path)
            link = page.get("@odata.nextLink")
            if not link:
                return
            reply = self._send("GET", self._own_link(link, path))
            self._raise_for(reply, "GET", path, needs)
            page = reply.body
        raise GraphError(f"Graph returned more than {MAX_PAGES} pages for {path}; stopped.")

    def batch(self, gets: Sequence[Get], *, beta: bool = False) -> list[Reply]:
        """Many GETs in $batch requests of 20; each reply in the order asked. A throttled
        or unavailable sub-request is sent again in the next batch, after its wait."""
        replies: dict[int, Reply] = {}
        pending = list(range(len(gets)))
        attempt = 0
        while pending:
            chunk, pending = pending[:BATCH_SIZE], pending[BATCH_SIZE:]
            body = {
                "requests": [
                    {"id": str(i), "method": "GET", "url": gets[i].relative()} for i in chunk
                ]
            }
            reply = self._send("POST", self.url("/$batch", beta=beta), json_body=body)
            self._raise_for(reply, "POST", "/$batch", None)
            retry: list[int] = []
            wait = 0.0
            for item in _items(reply.body, "/$batch", key="responses"):
                index = _batch_index(item, chunk)
                status = item.get("status")
                headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
                if status in RETRIED:
                    retry.append(index)
                    wait = max(wait, _retry_after(headers) or 0.0)
                    continue
                sub_body = item.get("body")
                replies[index] = Reply(
                    int(status) if isinstance(status, int) else 500,
                    sub_body if isinstance(sub_body, dict) else {},
                    headers,
                )
            missing = [i for i in chunk if i not in replies and i not in retry]
            if missing:
                raise GraphError("Graph's $batch answer left out requests it was sent.")
            if retry:
                attempt += 1
                self._wait(wait or _backoff(attempt), "a throttled batch request")
                pending = retry + pending
        return [replies[i] for i in range(len(gets))]

    def checked(self, reply: Reply, what: Get, needs: str | None = None) -> dict[str, Any] | None:
        """A batch reply's body, None for 404, or the GraphError its status means."""
        if reply.status == 404:
            return None
        self._raise_for(reply, "GET", what.path, needs)
        return reply.body

    def wait_until_visible(
        self,
        path: str,
        *,
        select: Sequence[str],
        beta: bool = False,
        notify: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """An object just created, once Graph's replicas have it: new objects answer 404
        `Request_ResourceNotFound` for seconds to minutes (TF#156, #1802)."""
        while True:
            found = self.get_optional(path, select=select, beta=beta)
            if found is not None:
                return found
            if notify:
                notify(f"waiting for Entra to replicate {path} ...")
            self._wait(REPLICATION_POLL_S, f"{path} to replicate")

    def write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        beta: bool = False,
        needs: str | None = None,
    ) -> dict[str, Any]:
        """One write (POST, PATCH, PUT, DELETE); its answer's body ({} for 204). Writes are
        counted: a second `apply` of the same file must make none."""
        reply = self._send(method, self.url(path, beta=beta), json_body=body)
        self.writes += 1
        self._raise_for(reply, method, path, needs)
        return reply.body

    # -- transport --------------------------------------------------------------------

    def _send(self, method: str, url: str, json_body: Any = None) -> Reply:
        import httpx

        attempt = 0
        while True:
            attempt += 1
            token = self._token()
            self._current_token = token
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            self.round_trips += 1
            try:
                with self._http.stream(method, url, headers=headers, json=json_body) as response:
                    status = response.status_code
                    reply_headers = {k.lower(): v for k, v in response.headers.items()}
                    raw = _read_capped(response, url)
            except httpx.TransportError as exc:
                if attempt >= 4:
                    raise GraphError(
                        f"cannot reach Graph at {urlsplit(url).netloc}: {type(exc).__name__}.",
                        hint="check the network, or $SSOCTL_GRAPH_URL if it is set.",
                    ) from None
                self._wait(_backoff(attempt), "Graph to answer")
                continue
            if status in RETRIED:
                self._wait(
                    _retry_after(reply_headers) or _backoff(attempt),
                    f"Graph ({status} on {method} {_path_of(url)})",
                )
                continue
            return Reply(status, _json_body(raw, reply_headers, status, method, url), reply_headers)

    def wait(self, seconds: float, what: str) -> None:
        """Sleep `seconds` (at most MAX_WAIT_S), unless that would pass the deadline."""
        self._wait(seconds, what)

    def _wait(self, seconds: float, what: str) -> None:
        seconds = min(seconds, MAX_WAIT_S)
        if clock() + seconds > self._deadline:
            raise GraphError(
                f"gave up waiting for {what}: the {DEADLINE_S:.0f} s deadline would pass.",
                hint="Graph is throttling or slow; run the command again later.",
            )
        sleep(seconds)

    def _own_link(self, link: Any, path: str) -> str:
        root = urlsplit(self.root)
        parts = urlsplit(str(link))
        if (parts.scheme, parts.netloc) != (root.scheme, root.netloc):
            raise GraphError(
                f"Graph's next-page link for {path} points to another origin "
                f"({parts.scheme}://{parts.netloc}); refused, as it would receive the token."
            )
        return str(link)

    def _raise_for(self, reply: Reply, method: str, path: str, needs: str | None) -> None:
        if reply.status < 400:
            return
        error = reply.body.get("error") if isinstance(reply.body.get("error"), dict) else {}
        assert isinstance(error, dict)
        code = str(error.get("code") or f"HTTP {reply.status}")
        message = " ".join(str(error.get("message") or "").split())[:300]
        inner = error.get("innerError") if isinstance(error.get("innerError"), dict) else {}
        assert isinstance(inner, dict)
        request_id = inner.get("request-id") or reply.headers.get("request-id")
        secrets = (*self._secrets(), self._current_token or "")
        from ssoctl.entra.auth import redact

        message = redact(message, secrets)
        where = path.split("?")[0]
        text = f"Graph refused {method} {where}: {reply.status} {code}"
        text += f": {message}" if message else ""
        text += f" (request-id {request_id})" if request_id else ""
        raise GraphError(text, hint=_fix(reply.status, code, needs))


def _fix(status: int, code: str, needs: str | None) -> str | None:
    if status == 403 or code in ("Authorization_RequestDenied", "Forbidden"):
        permission = needs or "the permissions listed in docs/entra.md"
        return (
            f"grant ssoctl's app registration {permission} (with admin consent), then run "
            "`ssoctl entra status`."
        )
    if status == 401:
        return "the token was refused: check tenant.cloud and the app registration's tenant."
    if code == "HostNameNotOnVerifiedDomain":
        return "set SAML mode on the app first; Entra accepts such Identifiers only then."
    return None



def _items(page: dict[str, Any], path: str, key: str = "value") -> Iterator[dict[str, Any]]:
    items = page.get(key)
    if not isinstance(items, list):
        raise GraphError(f"Graph's answer for {path} has no {key!r} list.")
    for item in items:
        if not isinstance(item, dict):
            raise GraphError(f"Graph's answer for {path} holds an item that is not an object.")
        yield item


def _batch_index(item: dict[str, Any], chunk: list[int]) -> int:
    try:
        index = int(str(item.get("id")))
    except ValueError:
        index = -1
    if index not in chunk:
        raise GraphError("Graph's $batch answer holds a reply to a request it was not sent.")
    return index


def _read_capped(response: httpx.Response, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY:
            raise GraphError(
                f"Graph's answer to {_path_of(url)} is larger than {MAX_BODY // 2**20} MB; refused."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _json_body(raw: bytes, headers: dict[str, str], status: int, method: str, url: str) -> Any:
    import json

    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        kind = headers.get("content-type", "no content type")
        raise GraphError(
            f"Graph answered {method} {_path_of(url)} with {status} and a body that is not "
            f"JSON ({kind[:60]}).",
            hint="if $SSOCTL_GRAPH_URL is set, check that it points at Graph.",
        ) from None
    if not isinstance(body, dict):
        raise GraphError(f"Graph's answer to {method} {_path_of(url)} is not a JSON object.")
    return body


def _path_of(url: str) -> str:
    return urlsplit(url).path


def _retry_after(headers: dict[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _backoff(attempt: int) -> float:
    """Capped exponential backoff with full jitter (half to all of the step)."""
    step: float = min(MAX_WAIT_S, BACKOFF_BASE_S * 2.0 ** (attempt - 1))
    return step * (0.5 + random.random() / 2)
