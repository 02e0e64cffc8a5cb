"""The one HTTP client `ssoctl entra` uses, for msal and Graph alike.

Trust is the system's CA store plus `SSL_CERT_FILE` when it is set (so a local Graph twin
with its own CA can be trusted without replacing the system's). `make_client` is the seam
tests replace with an `httpx.WSGITransport` over the Graph twin (entra-graph.md A4, A6)."""

from __future__ import annotations

import os
import ssl
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

TIMEOUT_S = 30.0


def trust() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    # create_default_context reads SSL_CERT_FILE *instead of* the system file; load the
    # system's explicitly, so the variable adds to it.
    paths = ssl.get_default_verify_paths()
    for cafile in (paths.openssl_cafile,):
        if cafile and os.path.isfile(cafile):
            context.load_verify_locations(cafile=cafile)
    extra = os.environ.get("SSL_CERT_FILE")
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


def make_client() -> httpx.Client:
    import httpx

    return httpx.Client(
        verify=trust(),
        timeout=TIMEOUT_S,
        follow_redirects=False,  # a redirect could carry the token elsewhere
        trust_env=False,  # no proxies or netrc credentials picked up on the way
        headers={"User-Agent": "ssoctl"},
    )


class MsalHttp:
    """msal's `http_client=` interface (get/post returning status_code, text, headers)
    over our httpx client, so msal and Graph share one trust and one test seam."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        return self._client.get(url, params=params, headers=headers, timeout=_timeout(kwargs))

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> Any:
        return self._client.post(
            url, params=params, data=data, headers=headers, timeout=_timeout(kwargs)
        )

    def close(self) -> None:  # msal may call it
        pass


def _timeout(kwargs: dict[str, Any]) -> float:
    value = kwargs.get("timeout")
    return float(value) if isinstance(value, (int, float)) else TIMEOUT_S
