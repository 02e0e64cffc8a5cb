"""Entra's clouds: where to sign in, where Graph is, and the scope to ask for
(shared/docs/entra-graph.md, A4), with the two overrides that point ssoctl at a local
Graph twin: `AZURE_AUTHORITY_HOST` (as the Azure SDKs name it) and `SSOCTL_GRAPH_URL`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ssoctl.errors import UsageError


@dataclass(frozen=True)
class Cloud:
    name: str
    authority_host: str
    graph_root: str


CLOUDS: dict[str, Cloud] = {
    "public": Cloud("public", "https://login.microsoftonline.com", "https://graph.microsoft.com"),
    # GCC High. The scope's host must match Graph's ("AADSTS1002012 ... scope ... not
    # valid" when mixed): entra-graph.md A4.
    "usgov": Cloud("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us"),
}


@dataclass(frozen=True)
class Endpoints:
    cloud: str
    tenant_id: str
    authority_host: str  # https://host[:port], no trailing slash
    graph_root: str  # where Graph requests go: https://host[:port]
    scope: str  # always the cloud's own Graph resource, also when a twin answers
    overridden: tuple[str, ...]  # the environment variables that moved a host

    @property
    def authority(self) -> str:
        return f"{self.authority_host}/{self.tenant_id}"


def endpoints(cloud: str, tenant_id: str, environ: Mapping[str, str]) -> Endpoints:
    """The endpoints for the tenant file's `tenant.cloud`, after the overrides."""
    known = CLOUDS[cloud]
    overridden = []
    authority_host = known.authority_host
    graph_root = known.graph_root
    if environ.get("AZURE_AUTHORITY_HOST"):
        authority_host = _https_root("AZURE_AUTHORITY_HOST", environ["AZURE_AUTHORITY_HOST"])
        overridden.append("AZURE_AUTHORITY_HOST")
    if environ.get("SSOCTL_GRAPH_URL"):
        graph_root = _https_root("SSOCTL_GRAPH_URL", environ["SSOCTL_GRAPH_URL"])
        overridden.append("SSOCTL_GRAPH_URL")
    return Endpoints(
        cloud,
        tenant_id,
        authority_host,
        graph_root,
        f"{known.graph_root}/.default",
        tuple(overridden),
    )


def _https_root(variable: str, value: str) -> str:
    """An https origin (scheme, host, port), or a usage error naming the variable. A token
    is sent there, so plain http and anything past the host are refused."""
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise UsageError(
            f"${variable} must be an https URL such as https://127.0.0.1:8443; it is {value!r}.",
            hint=f"give an https origin, or unset {variable} to use Entra's own.",
        )
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise UsageError(
            f"${variable} must be an origin only (https://host[:port]); it is {value!r}.",
            hint="drop the path, query and credentials from it.",
        )
    port = f":{parts.port}" if parts.port else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"https://{host}{port}"
