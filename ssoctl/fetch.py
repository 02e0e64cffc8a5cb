"""The only network code: fetch a metadata document over https, carefully.

https only (http only for localhost, and only when asked); connect timeout 5 s and a
30 s deadline for the whole fetch that every socket read and write obeys; a size cap on
the decoded bytes, enforced while streaming (one gzip or deflate layer at most); at most
three redirects, never from https to http; a readable error for each failure.
"""

from __future__ import annotations

import ssl
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ssoctl.errors import OperationError, UsageError
from ssoctl.urls import LOCAL_HOSTS

MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content: bytes
    content_type: str | None


class FetchError(OperationError):
    """The document could not be fetched (exit 3)."""


def check_url(url: str, allow_http: bool) -> None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _port = parts.port  # raises for a port that is not 0-65535
    except ValueError as exc:
        raise UsageError(f"{url!r} is not a valid URL ({exc}).") from None
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise UsageError(f"{url!r} contains whitespace or a control character.")
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host:
        if allow_http and host in LOCAL_HOSTS:
            return
        if host in LOCAL_HOSTS:
            raise UsageError(f"{url} uses http; pass --allow-http to allow it for localhost.")
        raise UsageError(
            f"{url} uses http; metadata is fetched over https only.",
            hint="use the https URL (--allow-http is for localhost only).",
        )
    raise UsageError(f"{url!r} is not an https URL.")


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write waits at most until the fetch's deadline: a
    server that drips one byte every few seconds never resets a per-read timeout."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def _left(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the fetch deadline has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wrapped = self._inner.start_tls(ssl_context, server_hostname, self._left(timeout))
        return _DeadlineStream(wrapped, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each bound to one deadline for the whole fetch."""

    def __init__(self, deadline: float) -> None:
        self._sync = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the fetch deadline has passed")
        stream = self._sync.connect_tcp(
            host,
            port,
            min(timeout, left) if timeout is not None else left,
            local_address,
            socket_options,
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("ssoctl fetches over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over httpcore's pool, with the deadline backend. httpx has no
    public switch for the network backend, so the pool it made is replaced by the same
    pool with ours; tests/security/test_fetch_hostile.py fails if that stops working."""

    def __init__(self, deadline: float) -> None:
        super().__init__(retries=0)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=1,
            network_backend=_DeadlineBackend(deadline),
        )


# Content-Encodings a metadata server may use, decoded here with a cap on the output.
_DECODERS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


class _CappedBody:
    """Collects a body, decoding at most one Content-Encoding layer, and stops as soon as
    the decoded bytes pass the cap: a 2 KB body that inflates to 1 GB stops at the cap."""

    def __init__(
        self, url: str, encoding_header: str | None, max_bytes: int, sink: IO[bytes] | None = None
    ) -> None:
        layers = [e.strip().lower() for e in (encoding_header or "").split(",") if e.strip()]
        layers = [e for e in layers if e != "identity"]
        if len(layers) > 1 or (layers and layers[0] not in _DECODERS):
            raise FetchError(
                f"{url} sent Content-Encoding {encoding_header!r}; ssoctl decodes one layer "
                "of gzip or deflate only (nested or unknown encodings are refused)."
            )
        self._url = url
        self._max = max_bytes
        self._layer = layers[0] if layers else None
        self._inflater = zlib.decompressobj(_DECODERS[self._layer]) if self._layer else None
        self._chunks: list[bytes] = []
        self._size = 0
        self._sink = sink  # decoded bytes go here instead of memory (a streamed import)
        self.head = b""  # the first bytes, to tell XML from a web page

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._max:
            raise FetchError(f"{self._url} sent more than {self._max:,} bytes; stopped.")
        if not self.head.strip():  # up to the first byte that is not white space
            self.head += data[:4096]
        if self._sink is not None:
            self._sink.write(data)
        else:
            self._chunks.append(data)

    def feed(self, raw: bytes) -> None:
        if self._inflater is None:
            self._keep(raw)
            return
        data = raw
        try:
            while data:
                out = self._inflater.decompress(data, self._max - self._size + 1)
                self._keep(out)
                data = self._inflater.unconsumed_tail
        except zlib.error:
            raise FetchError(f"{self._url} sent a body that is not valid {self._layer}.") from None

    def content(self) -> bytes:
        return b"".join(self._chunks)


def fetch(
    url: str,
    *,
    allow_http: bool = False,
    max_bytes: int = MAX_BYTES,
    transport: httpx.BaseTransport | None = None,
    total_timeout: float = TOTAL_TIMEOUT,
    sink: IO[bytes] | None = None,
) -> Fetched:
    """GET `url`; follows up to three redirects itself so each hop is checked. One
    deadline bounds everything: connecting, the status line, headers, body, redirects.
    With `sink`, the decoded body is written there (and `content` is empty), so a large
    aggregate never sits in memory."""
    check_url(url, allow_http)
    deadline = time.monotonic() + total_timeout
    timeout = httpx.Timeout(total_timeout, connect=CONNECT_TIMEOUT)
    with httpx.Client(
        transport=transport or _DeadlineTransport(deadline),
        timeout=timeout,
        follow_redirects=False,
        headers={
            "Accept": "application/samlmetadata+xml, application/xml, text/xml;q=0.9, */*;q=0.1",
            "Accept-Encoding": "gzip, deflate",
        },
    ) as client:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = _next_hop(current, response, allow_http)
                        continue
                    return _body(current, response, max_bytes, deadline, total_timeout, sink)
            except httpx.ConnectTimeout:
                raise FetchError(_timeout_message(current, deadline, total_timeout)) from None
            except httpx.TimeoutException:
                raise FetchError(_timeout_message(current, deadline, total_timeout)) from None
            except httpx.ConnectError as exc:
                raise FetchError(_connect_message(current, exc)) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(
                    f"fetching {current} failed: {type(exc).__name__}: {exc}."
                ) from None
        raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times; stopped.")


def _next_hop(current: str, response: httpx.Response, allow_http: bool) -> str:
    location: str | None = response.headers.get("location")
    if not location:
        raise FetchError(
            f"{current} answered HTTP {response.status_code} (a redirect) without a "
            "Location header; there is nowhere to go.",
            hint="check the URL in the SP's admin portal.",
        )
    target = urljoin(current, location)
    scheme = urlsplit(target).scheme
    if scheme not in ("http", "https"):
        raise FetchError(f"{current} redirects to {target!r}, which is not a web URL; refused.")
    if urlsplit(current).scheme == "https" and scheme != "https":
        raise FetchError(f"{current} redirects to {target}, from https to http; refused.")
    check_url(target, allow_http)
    return target


def _body(
    current: str,
    response: httpx.Response,
    max_bytes: int,
    deadline: float,
    total: float,
    sink: IO[bytes] | None,
) -> Fetched:
    if response.status_code != 200:
        raise FetchError(
            f"{current} answered HTTP {response.status_code} {response.reason_phrase}.",
            hint="check the URL in the SP's admin portal.",
        )
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{current} is {int(declared):,} bytes; the limit is {max_bytes:,}.")
    body = _CappedBody(current, response.headers.get("content-encoding"), max_bytes, sink)
    for chunk in response.iter_raw():
        body.feed(chunk)
        if time.monotonic() > deadline:
            raise FetchError(_timeout_message(current, deadline, total))
    content = body.content()
    if not body.head.lstrip().lstrip(b"\xef\xbb\xbf").lstrip()[:1] == b"<":
        raise FetchError(
            f"{current} did not return XML (Content-Type {response.headers.get('content-type')}).",
            hint="use the metadata URL, not a web page.",
        )
    return Fetched(current, content, response.headers.get("content-type"))


def _timeout_message(current: str, deadline: float, total: float) -> str:
    if time.monotonic() >= deadline - 0.05:
        return f"fetching {current} took more than {total:.0f} s; stopped."
    return f"connecting to {_host(current)} timed out after {CONNECT_TIMEOUT:.0f} s."


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _connect_message(url: str, exc: Exception) -> str:
    text = str(exc)
    lowered = text.lower()
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or "temporary failure in name resolution" in lowered
        or "getaddrinfo" in lowered
    ):
        return f"cannot resolve {_host(url)} (DNS): check the host name."
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return f"TLS handshake with {_host(url)} failed: {text}."
    if "refused" in lowered:
        return f"{_host(url)} refused the connection."
    return f"cannot connect to {_host(url)}: {text}."
