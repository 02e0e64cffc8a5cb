"""A stateful twin of Microsoft Graph and of Entra's token endpoints, for the tests of
`ssoctl entra` (entra-graph.md A6). One WSGI callable: reached in-process through
`httpx.WSGITransport` (msal too, through ssoctl's http_client adapter), or served on
127.0.0.1 over TLS (`serve_tls`) for AZURE_AUTHORITY_HOST / SSOCTL_GRAPH_URL.

Every response builder names the Microsoft Graph docs sample it copies (MGD =
microsoftgraph/microsoft-graph-docs-contrib, api-reference/). Fault knobs are the
attributes of `Knobs`. Nothing here is ssoctl's code: it is the judge's stand-in.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

NON_GALLERY = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
READ_ALL = [
    "Application.Read.All",
    "Policy.Read.ApplicationConfiguration",
    "User.Read.All",
    "GroupMember.Read.All",
]


@dataclass
class Knobs:
    page_size: int | None = None  # force @odata.nextLink every N items
    throttle_every: int = 0  # every Nth Graph request answers 429
    retry_after: str = "1"
    fail_once: set[str] = field(default_factory=set)  # path prefixes that 503 once
    replication_lag: int = 0  # reads of a new object that 404 first
    no_claims_api: bool = False  # usgov: beta claimsPolicy does not exist
    next_link_origin: str | None = None  # a hostile nextLink to another host
    oversized_page: int = 0  # bytes of padding added to list pages
    non_json: bool = False  # Graph answers HTML
    bad_certificate: bool = False  # keyCredentials[].key is not a certificate
    roles: list[str] = field(default_factory=lambda: list(READ_ALL))
    secret: str = "twin-client-secret-7Q~x"
    error_message: str | None = None  # echo this text in every Graph error message
    refuse: set[str] = field(default_factory=set)  # path prefixes that answer 403


def jwt(payload: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(payload)}.c2lnbmF0dXJl"


class GraphTwin:
    def __init__(self, tenant_id: str, *, cloud: str = "public") -> None:
        self.tenant_id = tenant_id
        self.cloud = cloud
        self.knobs = Knobs()
        self.applications: dict[str, dict[str, Any]] = {}
        self.service_principals: dict[str, dict[str, Any]] = {}
        self.claims_policies: dict[str, dict[str, Any]] = {}
        self.mapping_policies: dict[str, list[dict[str, Any]]] = {}
        self.assignments: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str]] = []  # (method, path?query) of every HTTP request
        self.graph_requests = 0
        self.tokens: set[str] = set()
        self._failed: set[str] = set()
        self._reads: dict[str, int] = {}
        self._origin = "https://graph.microsoft.com"
        self.verified_domains = ["contoso.com"]
        self.writes: list[tuple[str, str]] = []
        self.write_bodies: list[tuple[str, str, Any]] = []
        # MGD applicationtemplate-list.md sample fields; the IDs are the twin's own.
        self.templates = {
            tid: {
                "id": tid,
                "displayName": name,
                "categories": ["collaboration"],
                "supportedSingleSignOnModes": ["saml", "external"],
                "supportedProvisioningTypes": ["sync"] if name == "RingCentral" else [],
                "publisher": name,
                "description": None,
                "homePageUrl": None,
                "logoUrl": None,
            }
            for tid, name in (
                ("0d0f6f57-7d2a-4c1d-9d7e-3f0e1b2c3d4e", "RingCentral"),
                ("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "Mitel Connect"),
                (NON_GALLERY, "Custom"),
            )
        }

    # -- building the directory --------------------------------------------------------

    def add_user(self, upn: str, **fields: Any) -> str:
        # MGD v1.0/api/user-get.md, "Example 1" response: id, userPrincipalName,
        # displayName, givenName, surname, mail.
        uid = str(uuid.uuid4())
        local = upn.split("@")[0]
        self.users[uid] = {
            "id": uid,
            "userPrincipalName": upn,
            "displayName": fields.get("displayName", local),
            "givenName": fields.get("givenName"),
            "surname": fields.get("surname"),
            "mail": fields.get("mail", upn),
        }
        return uid

    def add_group(self, name: str, members: list[str]) -> str:
        # MGD v1.0/api/group-get.md response: id, displayName (+ members via group-list-members.md)
        gid = str(uuid.uuid4())
        self.groups[gid] = {"id": gid, "displayName": name, "members": list(members)}
        return gid

    def add_saml_app(
        self,
        display_name: str,
        *,
        identifiers: list[str],
        reply_urls: list[str],
        template_id: str | None = None,
        login_url: str | None = None,
        relay_state: str | None = None,
        logout_url: str | None = None,
        emails: list[str] | None = None,
        reply_index: dict[str, int] | None = None,
    ) -> tuple[str, str]:
        """An instantiated, SAML-enabled app. Returns (service principal id, appId)."""
        # MGD v1.0/api/applicationtemplate-instantiate.md response: application {id, appId,
        # appRoles [User, msiam_access], signInAudience AzureADMyOrg} and servicePrincipal
        # {id, appId, appRoleAssignmentRequired true, servicePrincipalNames [appId], tags}.
        app_object, app_id, sp_id = (str(uuid.uuid4()) for _ in range(3))
        roles = [
            {
                "id": str(uuid.uuid4()),
                "displayName": "User",
                "value": None,
                "isEnabled": True,
                "allowedMemberTypes": ["User"],
            },
            {
                "id": str(uuid.uuid4()),
                "displayName": "msiam_access",
                "value": None,
                "isEnabled": True,
                "allowedMemberTypes": ["User"],
            },
        ]
        self.applications[app_object] = {
            "id": app_object,
            "appId": app_id,
            "displayName": display_name,
            "identifierUris": list(identifiers),
            "signInAudience": "AzureADMyOrg",
            "appRoles": roles,
            "web": {
                "redirectUris": list(reply_urls),
                "logoutUrl": logout_url,
                "homePageUrl": None,
                "redirectUriSettings": [
                    {"uri": u, "index": (reply_index or {}).get(u)} for u in reply_urls
                ],
            },
            # MGD v1.0 resources/application.md: token encryption lives on the
            # application: an Encrypt keyCredential and tokenEncryptionKeyId naming it.
            "keyCredentials": [],
            "tokenEncryptionKeyId": None,
        }
        self.service_principals[sp_id] = {
            "id": sp_id,
            "appId": app_id,
            "displayName": display_name,
            "applicationTemplateId": template_id or NON_GALLERY,
            "appRoleAssignmentRequired": True,
            "appRoles": roles,
            "preferredSingleSignOnMode": "saml",
            "loginUrl": login_url,
            "samlSingleSignOnSettings": {"relayState": relay_state} if relay_state else None,
            "notificationEmailAddresses": list(emails or []),
            "preferredTokenSigningKeyThumbprint": None,
            "keyCredentials": [],
            "passwordCredentials": [],
            "servicePrincipalNames": [app_id],
            "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        }
        self.assignments[sp_id] = []
        return sp_id, app_id

    def add_signing_certificate(self, sp_id: str, der: bytes, *, end: str, active: bool) -> str:
        # MGD v1.0/api/serviceprincipal-addtokensigningcertificate.md: three credentials
        # sharing customKeyIdentifier (Sign, Verify, a password); here the two keyCredentials.
        import hashlib

        thumbprint = hashlib.sha1(der).hexdigest().upper()
        custom = base64.b64encode(bytes.fromhex(thumbprint)).decode()
        sp = self.service_principals[sp_id]
        for usage in ("Sign", "Verify"):
            sp["keyCredentials"].append(
                {
                    "customKeyIdentifier": custom,
                    "displayName": "CN=Microsoft Azure Federated SSO Certificate",
                    "endDateTime": end,
                    "keyId": str(uuid.uuid4()),
                    "startDateTime": "2025-01-01T00:00:00Z",
                    "type": "AsymmetricX509Cert" if usage == "Verify" else "X509CertAndPassword",
                    "usage": usage,
                    "key": base64.b64encode(der).decode() if usage == "Verify" else None,
                }
            )
        if active:
            sp["preferredTokenSigningKeyThumbprint"] = thumbprint
        return thumbprint

    def add_encryption_certificate(self, sp_id: str, der: bytes, *, active: bool) -> str:
        """An Encrypt keyCredential on the app's application object, as the portal's
        Token encryption > Import certificate adds it (MGD v1.0 resources/keycredential.md
        fields); `active` sets tokenEncryptionKeyId to it. Returns its keyId."""
        import hashlib

        app = self.application_of(sp_id)
        key_id = str(uuid.uuid4())
        app["keyCredentials"].append(
            {
                "customKeyIdentifier": base64.b64encode(hashlib.sha1(der).digest()).decode(),
                "displayName": "CN=sp-encryption",
                "endDateTime": "2029-01-01T00:00:00Z",
                "keyId": key_id,
                "startDateTime": "2025-01-01T00:00:00Z",
                "type": "AsymmetricX509Cert",
                "usage": "Encrypt",
                "key": base64.b64encode(der).decode(),
            }
        )
        if active:
            app["tokenEncryptionKeyId"] = key_id
        return key_id

    def set_claims(self, sp_id: str, name_id: tuple[str, str], claims: dict[str, str]) -> None:
        # The shape of MGD beta/api/serviceprincipal-put-claimspolicy.md's request body.
        entries: list[dict[str, Any]] = [
            {
                "@odata.type": "#microsoft.graph.samlNameIdClaim",
                "nameIdFormat": name_id[1],
                "serviceProviderNameQualifier": None,
                "configurations": [
                    {
                        "condition": None,
                        "transformations": [],
                        "attribute": {
                            "@odata.type": "#microsoft.graph.sourcedAttribute",
                            "source": "user",
                            "id": name_id[0],
                            "isExtensionAttribute": False,
                        },
                    }
                ],
            }
        ]
        for uri, source in claims.items():
            namespace, _, name = uri.rpartition("/")
            entries.append(
                {
                    "@odata.type": "#microsoft.graph.customClaim",
                    "name": name,
                    "namespace": namespace or None,
                    "tokenFormat": ["saml"],
                    "samlAttributeNameFormat": None,
                    "configurations": [
                        {
                            "condition": None,
                            "transformations": [],
                            "attribute": {
                                "@odata.type": "#microsoft.graph.sourcedAttribute",
                                "source": "user",
                                "id": source,
                                "isExtensionAttribute": False,
                            },
                        }
                    ],
                }
            )
        self.claims_policies[sp_id] = {
            "@odata.type": "#microsoft.graph.customClaimsPolicy",
            "id": str(uuid.uuid4()),
            "includeBasicClaimSet": True,
            "includeApplicationIdInIssuer": False,
            "audienceOverride": None,
            "claims": entries,
        }

    def assign(self, sp_id: str, principal_id: str, kind: str) -> None:
        # MGD v1.0/api/serviceprincipal-list-approleassignedto.md response.
        name = (self.users.get(principal_id) or self.groups.get(principal_id) or {}).get(
            "displayName", ""
        )
        self.assignments[sp_id].append(
            {
                "id": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
                "appRoleId": self.service_principals[sp_id]["appRoles"][0]["id"],
                "principalDisplayName": name,
                "principalId": principal_id,
                "principalType": kind,
                "resourceDisplayName": self.service_principals[sp_id]["displayName"],
                "resourceId": sp_id,
                "createdDateTime": "2026-01-01T00:00:00Z",
                "deletedDateTime": None,
            }
        )

    def application_of(self, sp_id: str) -> dict[str, Any]:
        app_id = self.service_principals[sp_id]["appId"]
        return next(a for a in self.applications.values() if a["appId"] == app_id)

    # -- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = unquote(environ.get("PATH_INFO", ""))
        query = environ.get("QUERY_STRING", "")
        self.log.append((method, path + (f"?{query}" if query else "")))
        self._origin = f"https://{environ.get('HTTP_HOST')}"  # Entra and Graph: https only
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        if path.startswith(("/v1.0/", "/beta/")):
            status, reply_headers, payload = self.graph(method, path, query, body, headers)
        else:
            status, reply_headers, payload = self.login(method, path, body)
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        kind = "text/html" if isinstance(payload, bytes) else "application/json"
        start_response(
            status,
            [("Content-Type", kind), ("Content-Length", str(len(raw))), *reply_headers.items()],
        )
        return [raw] if raw else []

    # -- login.microsoftonline.com -----------------------------------------------------

    def login(self, method: str, path: str, body: bytes) -> tuple[str, dict[str, str], Any]:
        if path == "/common/discovery/instance":
            # Entra's instance discovery document (what msal asks for authority aliases).
            host = (
                "login.microsoftonline.com"
                if self.cloud == "public"
                else "login.microsoftonline.us"
            )
            return (
                "200 OK",
                {},
                {
                    "tenant_discovery_endpoint": f"https://{host}/{self.tenant_id}/v2.0/.well-known/openid-configuration",
                    "api-version": "1.1",
                    "metadata": [
                        {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
                    ],
                },
            )
        prefix = f"/{self.tenant_id}"
        if not path.lower().startswith(prefix.lower()):
            return (
                "400 Bad Request",
                {},
                {"error": "invalid_tenant", "error_description": "AADSTS90002: Tenant not found."},
            )
        rest = path[len(prefix) :]
        host = self._origin  # the host asked: Entra's own, or 127.0.0.1 when served
        base = f"{host}/{self.tenant_id}"
        if rest == "/v2.0/.well-known/openid-configuration":
            # The OpenID configuration document msal reads (its fields per Entra's v2.0
            # metadata: authorization, token and device-code endpoints, issuer).
            return (
                "200 OK",
                {},
                {
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "issuer": f"{host}/{self.tenant_id}/v2.0",
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_post",
                        "private_key_jwt",
                        "client_secret_basic",
                    ],
                    "response_types_supported": [
                        "code",
                        "id_token",
                        "code id_token",
                        "id_token token",
                    ],
                    "tenant_region_scope": "EU",
                },
            )
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if rest == "/oauth2/v2.0/devicecode" and method == "POST":
            return (
                "200 OK",
                {},
                {
                    "user_code": "TWIN-CODE",
                    "device_code": "twin-device-code",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 1,
                    "message": "To sign in, use a web browser to open the page "
                    "https://microsoft.com/devicelogin and enter the code TWIN-CODE to authenticate.",
                },
            )
        if rest == "/oauth2/v2.0/token" and method == "POST":
            grant = form.get("grant_type")
            scope = form.get("scope", "")
            graph = (
                "https://graph.microsoft.com"
                if self.cloud == "public"
                else "https://graph.microsoft.us"
            )
            if grant == "client_credentials" and f"{graph}/.default" not in scope.split():
                return (
                    "400 Bad Request",
                    {},
                    {
                        "error": "invalid_scope",
                        "error_description": f"AADSTS1002012: The provided value for scope {scope} is not valid.",
                    },
                )
            claims: dict[str, Any]
            if grant == "client_credentials":
                ok = form.get("client_secret") == self.knobs.secret or bool(
                    form.get("client_assertion")
                )
                if not ok:
                    return (
                        "401 Unauthorized",
                        {},
                        {
                            "error": "invalid_client",
                            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                            "sent in the request is the client secret value.",
                        },
                    )
                claims = {
                    "aud": graph,
                    "tid": self.tenant_id,
                    "appid": form.get("client_id"),
                    "app_displayname": "ssoctl",
                    "idtyp": "app",
                    "roles": self.knobs.roles,
                }
            elif grant == "urn:ietf:params:oauth:grant-type:device_code":
                claims = {
                    "aud": graph,
                    "tid": self.tenant_id,
                    "upn": "admin@contoso.com",
                    "idtyp": "user",
                    "scp": " ".join(self.knobs.roles),
                }
            elif grant == "refresh_token":
                claims = {
                    "aud": graph,
                    "tid": self.tenant_id,
                    "upn": "admin@contoso.com",
                    "idtyp": "user",
                    "scp": " ".join(self.knobs.roles),
                }
            else:
                return "400 Bad Request", {}, {"error": "unsupported_grant_type"}
            import time

            expires = int(time.time()) + 3600
            claims = {**claims, "exp": expires}
            token = jwt(claims)
            self.tokens.add(token)
            reply: dict[str, Any] = {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
            if grant != "client_credentials":
                reply["refresh_token"] = "twin-refresh-token"
                reply["scope"] = scope
                reply["id_token"] = jwt(
                    {
                        "aud": form.get("client_id"),
                        "iss": f"{host}/{self.tenant_id}/v2.0",
                        "tid": self.tenant_id,
                        "oid": str(uuid.uuid5(uuid.NAMESPACE_DNS, "admin")),
                        "preferred_username": "admin@contoso.com",
                        "sub": "admin",
                        "exp": expires,
                        "iat": expires - 3600,
                    }
                )
                reply["client_info"] = (
                    base64.urlsafe_b64encode(
                        json.dumps(
                            {
                                "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, "admin")),
                                "utid": self.tenant_id,
                            }
                        ).encode()
                    )
                    .decode()
                    .rstrip("=")
                )
            return "200 OK", {}, reply
        return "404 Not Found", {}, {"error": "not_found"}

    # -- graph.microsoft.com -------------------------------------------------------------

    def error(self, status: str, code: str, message: str) -> tuple[str, dict[str, str], Any]:
        # The Graph error envelope (MGD concepts/errors.md).
        rid = str(uuid.uuid4())
        text = self.knobs.error_message or message
        return (
            status,
            {"request-id": rid},
            {
                "error": {
                    "code": code,
                    "message": text,
                    "innerError": {
                        "date": "2026-12-02T12:00:00",
                        "request-id": rid,
                        "client-request-id": rid,
                    },
                }
            },
        )

    def graph(
        self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]
    ) -> tuple[str, dict[str, str], Any]:
        self.graph_requests += 1
        token = (headers.get("authorization") or "").removeprefix("Bearer ")
        if token not in self.tokens:
            return self.error(
                "401 Unauthorized",
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            )
        if self.knobs.non_json:
            return "200 OK", {}, b"<html><body>Sign in to continue</body></html>"
        if self.knobs.throttle_every and self.graph_requests % self.knobs.throttle_every == 0:
            # MGD concepts/throttling.md: 429 with Retry-After and the error envelope.
            status, h, payload = self.error(
                "429 Too Many Requests", "TooManyRequests", "Too many requests."
            )
            return status, {**h, "Retry-After": self.knobs.retry_after}, payload
        for prefix in list(self.knobs.fail_once):
            if path.startswith(prefix) and prefix not in self._failed:
                self._failed.add(prefix)
                return self.error("503 Service Unavailable", "serviceNotAvailable", "Try later.")
        beta = path.startswith("/beta/")
        rest = path.split("/", 2)[2]
        rest = "/" + rest
        if rest == "/$batch" and method == "POST":
            return self.batch(json.loads(body), beta, token)
        data = json.loads(body) if body else None
        status, payload = self.route(method, rest, parse_qs(query), beta, token, data)
        return status, {}, payload

    def batch(
        self, body: dict[str, Any], beta: bool, token: str
    ) -> tuple[str, dict[str, str], Any]:
        # MGD concepts/json-batching.md: {"responses": [{"id", "status", "headers", "body"}]}
        requests = body.get("requests") or []
        if len(requests) > 20:
            return self.error("400 Bad Request", "BadRequest", "Too many requests in batch.")
        responses = []
        for request in requests:
            url = request["url"]
            path, _, query = url.partition("?")
            self.log.append(("BATCH " + request["method"], path + (f"?{query}" if query else "")))
            status, payload = self.route(
                request["method"], unquote(path), parse_qs(query), beta, token
            )
            code = int(status.split()[0])
            responses.append(
                {
                    "id": request["id"],
                    "status": code,
                    "headers": {"Content-Type": "application/json"},
                    "body": payload,
                }
            )
        return "200 OK", {}, {"responses": responses}

    def _roles(self, token: str) -> set[str]:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return set(claims.get("roles") or claims.get("scp", "").split())

    def route(
        self,
        method: str,
        rest: str,
        query: dict[str, list[str]],
        beta: bool,
        token: str,
        body: Any = None,
    ) -> tuple[str, Any]:
        def q(name: str) -> str:
            return (query.get(name) or [""])[0]

        def need(permission: str) -> tuple[str, Any] | None:
            broader = {
                permission,
                permission.replace(".Read.", ".ReadWrite."),
                "Directory.Read.All",
            }
            if not broader & self._roles(token):
                return self.error(
                    "403 Forbidden",
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )[::2]
            return None

        if any(rest.startswith(prefix) for prefix in self.knobs.refuse):
            return self.error(
                "403 Forbidden",
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )[::2]
        select = [s for s in q("$select").split(",") if s]
        version = "beta" if beta else "v1.0"

        if method != "GET":
            return self.write(method, rest, beta, body, need)
        m = re.fullmatch(r"/applicationTemplates", rest)
        if m:
            # MGD v1.0/api/applicationtemplate-list.md response (filtered on displayName).
            wanted = re.fullmatch(r"displayName eq '(.*)'", q("$filter"))
            items = [
                t
                for t in self.templates.values()
                if wanted is None or t["displayName"] == wanted.group(1).replace("''", "'")
            ]
            return self.page([self._select(t, select) for t in items], rest, query, version)
        m = re.fullmatch(r"/applications/([0-9a-f-]+)", rest)
        if m:
            app = self.applications.get(m.group(1))
            if app is None or self._lagging(m.group(1)):
                return self._not_found(m.group(1))
            return "200 OK", self._select(app, select, f"{version}/$metadata#applications/$entity")
        m = re.fullmatch(r"/servicePrincipals", rest)
        if m and method == "GET":
            denied = need("Application.Read.All")
            if denied:
                return denied
            saml_sps: list[dict[str, Any]] = [
                each
                for each in self.service_principals.values()
                if "preferredSingleSignOnMode eq 'saml'" not in q("$filter")
                or each["preferredSingleSignOnMode"] == "saml"
            ]
            # MGD v1.0/api/serviceprincipal-list.md response (keyCredentials' key is null
            # in lists).
            items = [
                self._select(
                    {
                        **each,
                        "keyCredentials": [{**k, "key": None} for k in each["keyCredentials"]],
                    },
                    select,
                )
                for each in saml_sps
            ]
            return self.page(items, rest, query, version)
        m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)", rest)
        if m and method == "GET":
            denied = need("Application.Read.All")
            if denied:
                return denied
            sp = self.service_principals.get(m.group(1))
            if sp is None or self._lagging(m.group(1)):
                return self._not_found(m.group(1))
            item = dict(sp)
            if "keyCredentials" in select and self.knobs.bad_certificate:
                item["keyCredentials"] = [
                    {
                        **k,
                        "key": base64.b64encode(b"not a certificate").decode()
                        if k["usage"] == "Verify"
                        else None,
                    }
                    for k in sp["keyCredentials"]
                ]
            return "200 OK", self._select(
                item, select, f"{version}/$metadata#servicePrincipals/$entity"
            )
        m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/appRoleAssignedTo", rest)
        if m and method == "GET":
            denied = need("Application.Read.All")
            if denied:
                return denied
            return self.page(
                [self._select(a, select) for a in self.assignments.get(m.group(1), [])],
                rest,
                query,
                version,
            )
        m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/claimsMappingPolicies", rest)
        if m and method == "GET":
            # MGD v1.0/api/serviceprincipal-list-claimsmappingpolicies.md response.
            return self.page(
                [self._select(p, select) for p in self.mapping_policies.get(m.group(1), [])],
                rest,
                query,
                version,
            )
        m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/claimsPolicy", rest)
        if m and method == "GET":
            if not beta or self.knobs.no_claims_api:
                return self.error(
                    "400 Bad Request",
                    "BadRequest",
                    "Resource not found for the segment 'claimsPolicy'.",
                )[::2]
            denied = need("Policy.Read.ApplicationConfiguration")
            if denied:
                return denied
            policy = self.claims_policies.get(m.group(1))
            if policy is None:
                return self._not_found(m.group(1))
            # MGD beta/api/customclaimspolicy-get.md: the sample answers a collection.
            return "200 OK", {"value": [self._select(policy, select)]}
        m = re.fullmatch(r"/applications\(appId='([0-9a-f-]+)'\)", rest)
        if m and method == "GET":
            denied = need("Application.Read.All")
            if denied:
                return denied
            app = next((a for a in self.applications.values() if a["appId"] == m.group(1)), None)
            if app is None:
                return self._not_found(m.group(1))
            item = json.loads(json.dumps(app))
            if (
                not beta
            ):  # v1.0's webApplication has no redirectUriSettings (MGD v1.0 webapplication.md)
                item["web"].pop("redirectUriSettings", None)
            # MGD v1.0/api/application-get.md response.
            return "200 OK", self._select(item, select, f"{version}/$metadata#applications/$entity")
        m = re.fullmatch(r"/users", rest)
        if m and method == "GET":
            denied = need("User.Read.All")
            if denied:
                return denied
            return self.page(
                [
                    self._select(u, select)
                    for u in self._filtered(self.users.values(), q("$filter"))
                ],
                rest,
                query,
                version,
            )
        m = re.fullmatch(r"/groups", rest)
        if m and method == "GET":
            denied = need("GroupMember.Read.All")
            if denied:
                return denied
            return self.page(
                [
                    self._select(g, select)
                    for g in self._filtered(self.groups.values(), q("$filter"))
                ],
                rest,
                query,
                version,
            )
        m = re.fullmatch(r"/groups/([0-9a-f-]+)/members/microsoft\.graph\.user", rest)
        if m and method == "GET":
            denied = need("GroupMember.Read.All")
            if denied:
                return denied
            group = self.groups.get(m.group(1))
            if group is None:
                return self._not_found(m.group(1))
            # MGD v1.0/api/group-list-members.md, the cast to microsoft.graph.user.
            members = [
                self._select({"@odata.type": "#microsoft.graph.user", **self.users[u]}, select)
                for u in group["members"]
                if u in self.users
            ]
            return self.page(members, rest, query, version)
        return self.error("400 Bad Request", "BadRequest", f"Unsupported request {method} {rest}")[
            ::2
        ]

    def write(self, method: str, rest: str, beta: bool, body: Any, need: Need) -> tuple[str, Any]:
        return _write(self, method, rest, beta, body, need)

    def mark_new(self, object_id: str) -> None:
        """Replication lag (knobs.replication_lag) applies to this object from now on."""
        self._reads[object_id] = 0

    def _lagging(self, object_id: str) -> bool:
        """A new object (instantiated here) answers 404 for its first reads."""
        if object_id not in self._reads:
            return False
        seen = self._reads.get(object_id, 0)
        self._reads[object_id] = seen + 1
        return seen < self.knobs.replication_lag

    def _not_found(self, object_id: str) -> tuple[str, Any]:
        # The replication 404 of MGD's tutorial note and TF#1802.
        return self.error(
            "404 Not Found",
            "Request_ResourceNotFound",
            f"Resource '{object_id}' does not exist or one of its queried "
            "reference-property objects are not present.",
        )[::2]

    @staticmethod
    def _select(
        item: dict[str, Any], select: list[str], context: str | None = None
    ) -> dict[str, Any]:
        out = {
            k: v for k, v in item.items() if not select or k in select or k in ("id", "@odata.type")
        }
        out.pop("members", None)
        if context:
            out = {"@odata.context": f"https://graph.microsoft.com/{context}", **out}
        return out

    @staticmethod
    def _filtered(items: Any, expression: str) -> list[dict[str, Any]]:
        if not expression:
            return list(items)
        m = re.fullmatch(r"(\w+) in \((.*)\)", expression)
        assert m, f"the twin knows `in` filters only: {expression}"
        values = {v.strip().strip("'").replace("''", "'").lower() for v in m.group(2).split(",")}
        return [i for i in items if str(i.get(m.group(1), "")).lower() in values]

    def page(
        self, items: list[dict[str, Any]], rest: str, query: dict[str, list[str]], version: str
    ) -> tuple[str, Any]:
        # MGD concepts/paging.md: value + @odata.nextLink with a $skiptoken.
        size = self.knobs.page_size or int((query.get("$top") or ["100"])[0])
        start = int((query.get("$skiptoken") or ["0"])[0])
        chunk = items[start : start + size]
        payload: dict[str, Any] = {
            "@odata.context": f"https://graph.microsoft.com/{version}/$metadata",
            "value": chunk,
        }
        if start + size < len(items):
            origin = self.knobs.next_link_origin or self._origin
            params = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "$skiptoken")
            payload["@odata.nextLink"] = (
                f"{origin}/{version}{rest}?{params}&$skiptoken={start + size}"
            )
        if self.knobs.oversized_page:
            payload["padding"] = "x" * self.knobs.oversized_page
        return "200 OK", payload


def serve_tls(twin: GraphTwin, cert_file: str, key_file: str) -> tuple[str, Any]:
    """The twin on 127.0.0.1 over TLS, in a thread: (origin, server to shut down)."""
    import ssl
    import threading
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, twin, server_class=Server, handler_class=Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"https://127.0.0.1:{server.server_address[1]}", server


Need = Callable[[str], "tuple[str, Any] | None"]


def _write(
    self: GraphTwin, method: str, rest: str, beta: bool, body: Any, need: Need
) -> tuple[str, Any]:
    """The writes apply makes, each as Microsoft's docs answer it."""
    self.writes.append((method, rest))
    self.write_bodies.append((method, rest, body))
    m = re.fullmatch(r"/applicationTemplates/([0-9a-f-]+)/instantiate", rest)
    if m and method == "POST":
        denied = need("Application.ReadWrite.OwnedBy")
        if denied:
            return denied
        template = self.templates.get(m.group(1))
        if template is None:
            return self._not_found(m.group(1))
        # MGD v1.0/api/applicationtemplate-instantiate.md: 201 with both objects, SAML off.
        sp_id, _ = self.add_saml_app(
            body["displayName"], identifiers=[], reply_urls=[], template_id=m.group(1)
        )
        sp = self.service_principals[sp_id]
        sp["preferredSingleSignOnMode"] = None
        sp["samlSingleSignOnSettings"] = None
        application = self.application_of(sp_id)
        for object_id in (sp_id, application["id"]):
            self.mark_new(object_id)
        return "201 Created", {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.applicationServicePrincipal",
            "application": {
                k: application[k]
                for k in (
                    "id",
                    "appId",
                    "displayName",
                    "appRoles",
                    "signInAudience",
                    "identifierUris",
                )
            },
            "servicePrincipal": {
                k: sp[k]
                for k in (
                    "id",
                    "appId",
                    "displayName",
                    "appRoles",
                    "appRoleAssignmentRequired",
                    "preferredSingleSignOnMode",
                    "servicePrincipalNames",
                    "tags",
                )
            },
        }
    m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/addTokenSigningCertificate", rest)
    if m and method == "POST":
        denied = need("Application.ReadWrite.OwnedBy")
        if denied:
            return denied
        return _add_token_signing_certificate(self, m.group(1), body)
    m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)", rest)
    if m and method == "PATCH":
        denied = need("Application.ReadWrite.OwnedBy")
        if denied:
            return denied
        target = self.service_principals.get(m.group(1))
        if target is None:
            return self._not_found(m.group(1))
        wanted = body.get("preferredTokenSigningKeyThumbprint")
        if wanted is not None:
            keys = body.get("keyCredentials", target["keyCredentials"])
            known = {
                _thumbprint(k["key"]) for k in keys if k.get("usage") == "Verify" and k.get("key")
            }
            if wanted not in known:
                return self.error(
                    "400 Bad Request",
                    "Request_BadRequest",
                    "The provided thumbprint does not match any certificate of the service principal.",
                )[::2]
        target.update(body)  # MGD serviceprincipal-update.md: 204 No Content
        return "204 No Content", b""
    m = re.fullmatch(r"/applications/([0-9a-f-]+)", rest)
    if m and method == "PATCH":
        denied = need("Application.ReadWrite.OwnedBy")
        if denied:
            return denied
        app = self.applications.get(m.group(1))
        if app is None:
            return self._not_found(m.group(1))
        sp = next(s for s in self.service_principals.values() if s["appId"] == app["appId"])
        for uri in body.get("identifierUris", []):
            host = re.sub(r"^[a-z]+://", "", uri).split("/")[0].split(":")[0]
            verified = any(host == d or host.endswith("." + d) for d in self.verified_domains)
            if not verified and sp["preferredSingleSignOnMode"] != "saml":
                # TF#797 / TF#1392: identifiers off the verified domains need SAML first.
                return self.error(
                    "400 Bad Request",
                    "HostNameNotOnVerifiedDomain",
                    f"Values of identifierUris property must use a verified domain of the organization or its subdomain: '{uri}'",
                )[::2]
        keys = body.get("keyCredentials", app["keyCredentials"])
        wanted = body.get("tokenEncryptionKeyId", app["tokenEncryptionKeyId"])
        if wanted is not None and not any(
            k.get("keyId") == wanted and k.get("usage") == "Encrypt" for k in keys
        ):
            # tokenEncryptionKeyId must name a public key of keyCredentials (application.md)
            return self.error(
                "400 Bad Request",
                "Request_BadRequest",
                "tokenEncryptionKeyId does not match any Encrypt keyCredential of the application.",
            )[::2]
        if "keyCredentials" in body and any(
            k.get("usage") == "Encrypt" and not k.get("key") for k in body["keyCredentials"]
        ):
            return self.error(
                "400 Bad Request",
                "Request_BadRequest",
                "A keyCredential sent without its key would be removed.",
            )[::2]
        web = dict(app["web"])
        web.update(body.get("web", {}))
        app.update({**body, "web": web})
        return "204 No Content", b""
    m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/claimsPolicy", rest)
    if m and method == "PUT" and beta and not self.knobs.no_claims_api:
        denied = need("Policy.ReadWrite.ApplicationConfiguration")
        if denied:
            return denied
        policy = {
            "@odata.type": "#microsoft.graph.customClaimsPolicy",
            "id": str(uuid.uuid4()),
            "includeApplicationIdInIssuer": False,
            "audienceOverride": None,
            **body,
        }
        self.claims_policies[m.group(1)] = policy
        # MGD beta serviceprincipal-put-claimspolicy.md: the sample answers 201 with the body.
        return "201 Created", policy
    m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/appRoleAssignedTo", rest)
    if m and method == "POST":
        denied = need("AppRoleAssignment.ReadWrite.All")
        if denied:
            return denied
        sp_id = m.group(1)
        if any(a["principalId"] == body["principalId"] for a in self.assignments[sp_id]):
            return self.error(
                "400 Bad Request",
                "Request_BadRequest",
                "Permission being assigned already exists on the object",
            )[::2]
        kind = "Group" if body["principalId"] in self.groups else "User"
        self.assign(sp_id, body["principalId"], kind)
        # MGD serviceprincipal-post-approleassignedto.md: 201 with the assignment.
        return "201 Created", self.assignments[sp_id][-1]
    m = re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/appRoleAssignedTo/([^/]+)", rest)
    if m and method == "DELETE":
        denied = need("AppRoleAssignment.ReadWrite.All")
        if denied:
            return denied
        before = len(self.assignments[m.group(1)])
        self.assignments[m.group(1)] = [
            a for a in self.assignments[m.group(1)] if a["id"] != m.group(2)
        ]
        if len(self.assignments[m.group(1)]) == before:
            return self._not_found(m.group(2))
        return "204 No Content", b""
    return self.error("400 Bad Request", "BadRequest", f"Unsupported request {method} {rest}")[::2]


def _thumbprint(key_b64: str) -> str:
    import hashlib

    return hashlib.sha1(base64.b64decode(key_b64)).hexdigest().upper()


def _add_token_signing_certificate(twin: GraphTwin, sp_id: str, body: Any) -> tuple[str, Any]:
    """MGD v1.0/api/serviceprincipal-addtokensigningcertificate.md: 200 with the
    selfSignedCertificate (public part, thumbprint, keyId of the Sign credential)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    if twin.service_principals.get(sp_id) is None:
        return twin._not_found(sp_id)
    subject = body.get("displayName") or ""
    if not subject.startswith("CN="):
        return twin.error(
            "400 Bad Request", "Request_BadRequest", "displayName must start with CN="
        )[::2]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject[3:])])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    end = (now + dt.timedelta(days=3 * 365)).isoformat().replace("+00:00", "Z")
    thumbprint = twin.add_signing_certificate(sp_id, der, end=end, active=False)
    sign = next(
        k
        for k in twin.service_principals[sp_id]["keyCredentials"]
        if k["usage"] == "Sign" and k["endDateTime"] == end
    )
    return "200 OK", {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.selfSignedCertificate",
        "customKeyIdentifier": sign["customKeyIdentifier"],
        "displayName": subject,
        "endDateTime": end,
        "key": base64.b64encode(der).decode(),
        "keyId": sign["keyId"],
        "startDateTime": now.isoformat().replace("+00:00", "Z"),
        "thumbprint": thumbprint,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }
