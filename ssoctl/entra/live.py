"""Read the live tenant's SAML apps through Graph into plain records (entra-graph.md A1,
A2): what `export` writes and `plan` compares. Reads only; every GET names its $select.

Round trips: one paged list of the SAML service principals, then $batch requests of 20
(about 6 sub-requests per app, so ~0.3 requests per app), then the assigned users and
groups by ID, 15 IDs per sub-request (`id in (...)`): never a request per user per app.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ssoctl.entra.claims import LiveClaims, from_policy
from ssoctl.entra.graph import Get, GraphClient, GraphError

SP_SELECT = (
    "id",
    "appId",
    "displayName",
    "applicationTemplateId",
    "preferredSingleSignOnMode",
    "loginUrl",
    "samlSingleSignOnSettings",
    "notificationEmailAddresses",
    "preferredTokenSigningKeyThumbprint",
)
# keyCredentials (the token-encryption certificates, usage Encrypt) with their `key`:
# a single object's $select returns it (A2); tokenEncryptionKeyId names the one in use
# (MGD v1.0 resources/application.md).
APP_SELECT = ("id", "appId", "identifierUris", "web", "keyCredentials", "tokenEncryptionKeyId")
USER_SELECT = ("id", "userPrincipalName", "displayName", "givenName", "surname", "mail")
ASSIGNMENT_SELECT = ("id", "principalId", "principalType", "principalDisplayName", "appRoleId")
CLAIMS_POLICY_SELECT = (
    "id",
    "includeBasicClaimSet",
    "includeApplicationIdInIssuer",
    "audienceOverride",
    "claims",
)
IN_LIMIT = 15  # values per `in (...)` filter (Graph's limit)
MAX_APPS = 5000


@dataclass(frozen=True)
class LiveCertificate:
    """One signing certificate of the app (its Verify keyCredential)."""

    thumbprint: str | None  # SHA-1 of the DER, upper-case hex: computed, Graph omits it
    der: bytes | None
    key_id: str
    display_name: str | None
    end: dt.datetime | None
    problem: str | None = None  # why the certificate could not be read


@dataclass(frozen=True)
class LivePrincipal:
    kind: str  # User | Group
    id: str
    display_name: str


@dataclass(frozen=True)
class LiveApp:
    sp_id: str
    app_object_id: str | None
    app_id: str
    display_name: str
    template_id: str | None
    identifiers: list[str]
    reply_urls: list[str]
    sign_on_url: str | None
    relay_state: str | None
    logout_url: str | None
    notification_emails: list[str]
    claims: LiveClaims
    certificates: list[LiveCertificate]
    active_thumbprint: str | None
    assignments: list[LivePrincipal]
    warnings: list[str] = field(default_factory=list)
    certificates_read: bool = True
    # Token encryption: the application's Encrypt keyCredentials, and the one Entra
    # encrypts with (tokenEncryptionKeyId), or None.
    encryption_keys: list[LiveCertificate] = field(default_factory=list)
    encryption: LiveCertificate | None = None


@dataclass(frozen=True)
class LiveUser:
    id: str
    upn: str
    display_name: str | None
    given_name: str | None
    surname: str | None
    mail: str | None


@dataclass(frozen=True)
class LiveGroup:
    id: str
    display_name: str
    members: list[str]  # user object IDs


@dataclass(frozen=True)
class LiveTenant:
    apps: list[LiveApp]
    users: dict[str, LiveUser]  # by object ID
    groups: dict[str, LiveGroup]


def read(
    client: GraphClient,
    *,
    cloud: str,
    wanted: Callable[[dict[str, Any]], bool] = lambda sp: True,
) -> LiveTenant:
    """Every SAML app `wanted` accepts (it sees the service principal), with its
    assignments' users and groups."""
    sps = [
        sp
        for sp in client.pages(
            "/servicePrincipals",
            select=SP_SELECT,
            params={"$filter": "preferredSingleSignOnMode eq 'saml'", "$top": "999"},
            needs="Application.Read.All",
        )
        if wanted(sp)
    ]
    if len(sps) > MAX_APPS:
        raise GraphError(f"the tenant has more than {MAX_APPS} SAML apps; use --app.")
    apps = _read_apps(client, sps, cloud)
    users, groups = _read_principals(client, apps)
    return LiveTenant(apps, users, groups)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _texts(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _read_apps(client: GraphClient, sps: list[dict[str, Any]], cloud: str) -> list[LiveApp]:
    v1: list[Get] = []
    beta: list[Get] = []
    for sp in sps:
        sp_id, app_id = _guid(sp.get("id")), _guid(sp.get("appId"))
        v1 += [
            Get(f"/applications(appId='{app_id}')", APP_SELECT),
            # keyCredentials' `key` only comes with $select on a single object (A2).
            Get(f"/servicePrincipals/{sp_id}", ("id", "keyCredentials")),
            Get(
                f"/servicePrincipals/{sp_id}/appRoleAssignedTo", ASSIGNMENT_SELECT, {"$top": "999"}
            ),
            Get(f"/servicePrincipals/{sp_id}/claimsMappingPolicies", ("id", "displayName")),
        ]
        if cloud == "public":  # customClaimsPolicy is global-only (A2.1)
            beta += [
                Get(f"/servicePrincipals/{sp_id}/claimsPolicy", CLAIMS_POLICY_SELECT),
                Get(f"/applications(appId='{app_id}')", ("id", "web")),  # redirectUriSettings
            ]
    v1_replies = client.batch(v1)
    beta_replies = client.batch(beta, beta=True) if beta else []
    apps = []
    for n, sp in enumerate(sps):
        gets, replies = v1[4 * n : 4 * n + 4], v1_replies[4 * n : 4 * n + 4]
        application = client.checked(replies[0], gets[0], "Application.Read.All")
        keys = client.checked(replies[1], gets[1], "Application.Read.All")
        assigned = client.checked(replies[2], gets[2], "Application.Read.All") or {"value": []}
        mapping = client.checked(replies[3], gets[3], "Policy.Read.ApplicationConfiguration")
        warnings: list[str] = []
        if mapping and mapping.get("value"):
            claims = LiveClaims("mapping-policy")
            names = ", ".join(str(p.get("displayName") or p.get("id")) for p in mapping["value"])
            warnings.append(
                f"a claimsMappingPolicy ({names}) is linked: it overrides the portal's claims, "
                "so the portal claims are ignored for this app and were not read"
            )
        elif cloud != "public":
            claims = LiveClaims("not-read")
            warnings.append(
                f"claims not read: the {cloud} cloud has no claimsPolicy API (entra-graph.md A2.1)"
            )
        else:
            policy_get, policy_reply = beta[2 * n], beta_replies[2 * n]
            policy = client.checked(
                policy_reply, policy_get, "Policy.Read.ApplicationConfiguration"
            )
            claims = from_policy(policy) if policy else LiveClaims("default")
        if application is None:
            warnings.append("its application object could not be read (404): URLs not read")
        if keys is None:
            warnings.append("its signing certificates could not be read (404): not compared")
        reply_urls = _reply_urls(application, beta, beta_replies, n, client)
        web = application.get("web") if application else None
        web = web if isinstance(web, dict) else {}
        saml = sp.get("samlSingleSignOnSettings")
        saml = saml if isinstance(saml, dict) else {}
        assignments = [
            LivePrincipal(
                str(a.get("principalType")),
                _guid(a.get("principalId")),
                str(a.get("principalDisplayName") or ""),
            )
            for a in client.follow(assigned, gets[2].path, "Application.Read.All")
        ]
        thumbprint = _text(sp.get("preferredTokenSigningKeyThumbprint"))
        encryption_keys = (
            certificates(application.get("keyCredentials"), usage="Encrypt") if application else []
        )
        in_use = _text(application.get("tokenEncryptionKeyId")) if application else None
        encryption = next(
            (k for k in encryption_keys if in_use and k.key_id.lower() == in_use.lower()), None
        )
        apps.append(
            LiveApp(
                sp_id=_guid(sp.get("id")),
                app_object_id=_text(application.get("id")) if application else None,
                app_id=_guid(sp.get("appId")),
                display_name=str(sp.get("displayName") or ""),
                template_id=_text(sp.get("applicationTemplateId")),
                identifiers=_texts(application.get("identifierUris")) if application else [],
                reply_urls=reply_urls,
                sign_on_url=_text(sp.get("loginUrl")),
                relay_state=_text(saml.get("relayState")),
                logout_url=_text(web.get("logoutUrl")),
                notification_emails=_texts(sp.get("notificationEmailAddresses")),
                claims=claims,
                certificates=certificates(keys.get("keyCredentials")) if keys else [],
                certificates_read=keys is not None,
                active_thumbprint=thumbprint.upper() if thumbprint else None,
                assignments=assignments,
                warnings=warnings + claims_warnings(claims),
                encryption_keys=encryption_keys,
                encryption=encryption,
            )
        )
    return apps


def claims_warnings(claims: LiveClaims) -> list[str]:
    return [
        f"{item}: not expressible in the tenant file, not exported" for item in claims.unsupported
    ]


def _reply_urls(
    application: dict[str, Any] | None,
    beta: list[Get],
    replies: list[Any],
    n: int,
    client: GraphClient,
) -> list[str]:
    """Reply URLs in the order Entra uses them: by beta's `index` where set (A1), then in
    v1.0's order."""
    if application is None:
        return []
    web = application.get("web") if isinstance(application.get("web"), dict) else {}
    assert isinstance(web, dict)
    urls = _texts(web.get("redirectUris"))
    if not beta:
        return urls
    beta_app = client.checked(replies[2 * n + 1], beta[2 * n + 1]) or {}
    beta_web = beta_app.get("web") if isinstance(beta_app.get("web"), dict) else {}
    settings = beta_web.get("redirectUriSettings") if isinstance(beta_web, dict) else None
    index: dict[str, int] = {}
    for setting in settings if isinstance(settings, list) else []:
        if isinstance(setting, dict) and isinstance(setting.get("index"), int):
            index[str(setting.get("uri"))] = setting["index"]
    if not index:
        return urls
    order = {url: n for n, url in enumerate(urls)}
    return sorted(urls, key=lambda u: (index.get(u, 10**9), order[u]))


def certificates(credentials: Any, usage: str = "Verify") -> list[LiveCertificate]:
    """The keyCredentials of `usage`: Verify (a service principal's signing certificates;
    their Sign twins hold the private key, which Graph never returns), or Encrypt (an
    application's token-encryption certificates)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    found: list[LiveCertificate] = []
    for credential in credentials if isinstance(credentials, list) else []:
        if not isinstance(credential, dict) or credential.get("usage") != usage:
            continue
        key_id = str(credential.get("keyId") or "")
        name = _text(credential.get("displayName"))
        end = _instant(credential.get("endDateTime"))
        raw = credential.get("key")
        if not isinstance(raw, str) or not raw:
            found.append(
                LiveCertificate(
                    None, None, key_id, name, end, "Graph returned no certificate (key is null)"
                )
            )
            continue
        try:
            der = base64.b64decode(raw, validate=True)
            cert = x509.load_der_x509_certificate(der)
            der = cert.public_bytes(serialization.Encoding.DER)
        except (ValueError, binascii.Error):
            found.append(
                LiveCertificate(None, None, key_id, name, end, "the certificate does not parse")
            )
            continue
        thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()
        found.append(LiveCertificate(thumbprint, der, key_id, name, end))
    return found


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _guid(value: Any) -> str:
    """A GUID from Graph, checked before it is put in a URL path."""
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise GraphError(
            f"Graph returned {str(value)[:60]!r} where an object ID belongs."
        ) from None


def _read_principals(
    client: GraphClient, apps: list[LiveApp]
) -> tuple[dict[str, LiveUser], dict[str, LiveGroup]]:
    user_ids = sorted({p.id for a in apps for p in a.assignments if p.kind == "User"})
    group_ids = sorted({p.id for a in apps for p in a.assignments if p.kind == "Group"})
    gets = [
        Get("/users", USER_SELECT, {"$filter": _in("id", chunk)}) for chunk in _chunks(user_ids)
    ]
    gets += [
        Get("/groups", ("id", "displayName"), {"$filter": _in("id", chunk)})
        for chunk in _chunks(group_ids)
    ]
    # Entra gives an app only the direct members of an assigned group: the user members.
    gets += [
        Get(f"/groups/{gid}/members/microsoft.graph.user", USER_SELECT, {"$top": "999"})
        for gid in group_ids
    ]
    replies = client.batch(gets)
    users: dict[str, LiveUser] = {}
    group_names: dict[str, str] = {}
    members: dict[str, list[str]] = {gid: [] for gid in group_ids}
    user_chunks = len(_chunks(user_ids))
    group_chunks = len(_chunks(group_ids))
    for n, (get, reply) in enumerate(zip(gets, replies, strict=True)):
        needs = "GroupMember.Read.All" if n >= user_chunks else "User.Read.All"
        page = client.checked(reply, get, needs) or {"value": []}
        for item in client.follow(page, get.path, needs):
            if n < user_chunks or n >= user_chunks + group_chunks:
                user = _user(item)
                if user is not None:
                    users[user.id] = user
                if n >= user_chunks + group_chunks:
                    members[group_ids[n - user_chunks - group_chunks]].append(_guid(item.get("id")))
            else:
                group_names[_guid(item.get("id"))] = str(item.get("displayName") or "")
    groups = {gid: LiveGroup(gid, group_names.get(gid, gid), members[gid]) for gid in group_ids}
    return users, groups


def find_users_by_upn(client: GraphClient, upns: Iterable[str]) -> dict[str, LiveUser]:
    """The directory's users among these UPNs, by lower-cased UPN."""
    wanted = sorted({u.lower() for u in upns})
    gets = [
        Get("/users", USER_SELECT, {"$filter": _in("userPrincipalName", c)})
        for c in _chunks(wanted)
    ]
    found: dict[str, LiveUser] = {}
    for get, reply in zip(gets, client.batch(gets), strict=True):
        page = client.checked(reply, get, "User.Read.All") or {"value": []}
        for item in client.follow(page, get.path, "User.Read.All"):
            user = _user(item)
            if user is not None:
                found[user.upn.lower()] = user
    return found


def _user(item: dict[str, Any]) -> LiveUser | None:
    upn = _text(item.get("userPrincipalName"))
    if upn is None:
        return None
    return LiveUser(
        _guid(item.get("id")),
        upn,
        _text(item.get("displayName")),
        _text(item.get("givenName")),
        _text(item.get("surname")),
        _text(item.get("mail")),
    )


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + IN_LIMIT] for i in range(0, len(values), IN_LIMIT)]


def _in(prop: str, values: list[str]) -> str:
    quoted = ",".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{prop} in ({quoted})"
