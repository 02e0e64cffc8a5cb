"""The only network code: fetch a metadata document over https, carefully.

https only (http only for localhost, and only when asked); connect timeout 5 s and a
30 s deadline for the whole fetch; a size cap enforced while streaming; at most three
redirects, never from https to http; a readable error for each failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

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
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
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


def fetch(
    url: str,
    *,
    allow_http: bool = False,
    max_bytes: int = MAX_BYTES,
    transport: httpx.BaseTransport | None = None,
    total_timeout: float = TOTAL_TIMEOUT,
) -> Fetched:
    """GET `url`; follows up to three redirects itself so each hop is checked."""
    check_url(url, allow_http)
    deadline = time.monotonic() + total_timeout
    timeout = httpx.Timeout(total_timeout, connect=CONNECT_TIMEOUT)
    with httpx.Client(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={
            "Accept": "application/samlmetadata+xml, application/xml, text/xml;q=0.9, */*;q=0.1"
        },
    ) as client:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        target = urljoin(current, response.headers.get("location", ""))
                        if (
                            urlsplit(current).scheme == "https"
                            and urlsplit(target).scheme != "https"
                        ):
                            raise FetchError(
                                f"{current} redirects to {target}, from https to http; refused."
                            )
                        check_url(target, allow_http)
                        current = target
                        continue
                    if response.status_code != 200:
                        raise FetchError(
                            f"{current} answered HTTP {response.status_code} "
                            f"{response.reason_phrase}.",
                            hint="check the URL in the SP's admin portal.",
                        )
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(
                            f"{current} is {int(declared):,} bytes; the limit is {max_bytes:,}."
                        )
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(
                                f"{current} sent more than {max_bytes:,} bytes; stopped."
                            )
                        if time.monotonic() > deadline:
                            raise FetchError(
                                f"fetching {current} took more than {total_timeout:.0f} s; stopped."
                            )
                        chunks.append(chunk)
                    content = b"".join(chunks)
                    if not content.lstrip()[:1] == b"<":
                        raise FetchError(
                            f"{current} did not return XML "
                            f"(Content-Type {response.headers.get('content-type')}).",
                            hint="use the metadata URL, not a web page.",
                        )
                    return Fetched(current, content, response.headers.get("content-type"))
            except httpx.ConnectTimeout:
                raise FetchError(
                    f"connecting to {_host(current)} timed out after {CONNECT_TIMEOUT:.0f} s."
                ) from None
            except httpx.TimeoutException:
                raise FetchError(f"fetching {current} timed out.") from None
            except httpx.ConnectError as exc:
                raise FetchError(_connect_message(current, exc)) from None
            except httpx.HTTPError as exc:
                raise FetchError(
                    f"fetching {current} failed: {type(exc).__name__}: {exc}."
                ) from None
        raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times; stopped.")


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
