"""One signed-in connection to Graph for a tenant file: the endpoints of its cloud, the
credential, the token source and the Graph client, and the permission check that names
a missing permission before any call fails on it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssoctl.entra import auth, permissions
from ssoctl.entra.clouds import Endpoints, endpoints
from ssoctl.entra.graph import GraphClient
from ssoctl.errors import OperationError

if TYPE_CHECKING:
    import httpx

    from ssoctl.tenant.model import Tenant

REFRESH_MARGIN_S = 300


@dataclass
class Connection:
    endpoints: Endpoints
    credential: auth.Credential
    graph: GraphClient
    _source: auth.TokenSource
    _token: tuple[str, float] | None = field(default=None, repr=False)

    def token(self) -> str:
        """A token, reused until five minutes before it expires."""
        now = time.monotonic()
        if self._token is None or self._token[1] < now:
            token = self._source.token()
            claims = auth.token_claims(token)
            lifetime = float(claims.get("exp", 0)) - time.time() if "exp" in claims else 3600
            self._token = (token, now + max(0.0, lifetime - REFRESH_MARGIN_S))
        return self._token[0]

    def claims(self) -> dict[str, Any]:
        return auth.token_claims(self.token())

    def require(self, command: str) -> None:
        """Refuse, naming them, when the token lacks a permission `command` needs."""
        claims = self.claims()
        lacking = permissions.missing(claims, command)
        if lacking:
            kind = (permissions.granted(claims) or ("application", frozenset()))[0]
            raise OperationError(
                f"the token lacks {', '.join(lacking)}, which `ssoctl entra {command}` needs.",
                hint=permissions.grant_hint(lacking, kind),
            )


def connect(
    tenant: Tenant,
    tenant_file: str,
    environ: Mapping[str, str],
    http: httpx.Client | None = None,
) -> Connection:
    from ssoctl.entra.transport import make_client

    tenant_id = str(tenant.tenant.id)
    auth.check_tenant(environ, tenant_id, tenant_file)
    where = endpoints(tenant.tenant.cloud, tenant_id, environ)
    credential = auth.credential(environ, tenant_id)
    client = http or make_client()
    source = auth.TokenSource(where, credential, client, environ)
    holder: list[Connection] = []
    graph = GraphClient(
        where.graph_root, lambda: holder[0].token(), client, secrets=lambda: credential.secrets
    )
    connection = Connection(where, credential, graph, source)
    holder.append(connection)
    return connection
