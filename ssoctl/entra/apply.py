"""`ssoctl entra apply`: make Entra match the tenant file (entra-graph.md A2), in the
order Graph needs: instantiate, wait out replication, SAML mode, Identifiers and Reply
URLs, Sign-on URL / Relay State / notification emails, claims, the active certificate,
assignments. Only what the plan shows as different is written, so a second apply makes
no write. Before writing, Entra is read again: if it moved since the plan was shown,
nothing is written and the change is named.

Certificates: entra/certificates.py. Not built (said in the result, never skipped
silently): changing an app's template, and deleting apps that exist only in Entra."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssoctl.entra.graph import REPLICATION_POLL_S, GraphError
from ssoctl.entra.mapping import NON_GALLERY_TEMPLATE_ID
from ssoctl.errors import OperationError, UsageError

if TYPE_CHECKING:
    from ssoctl.entra.live import LiveApp
    from ssoctl.entra.plan import Plan
    from ssoctl.entra.session import Connection
    from ssoctl.tenant import LoadedTenant, PassphraseSource
    from ssoctl.tenant.model import App, Tenant

NO_ROLE = "00000000-0000-0000-0000-000000000000"  # only for apps that declare no roles
APPLICATION_FIELDS = ("identifiers", "reply_urls", "logout_url")
NOT_BUILT = {
    "template": "an app's template cannot change in place (Entra instantiates once)",
    "app_id": "the Application ID is Entra's; `ssoctl entra export --app NAME` records it",
}


@dataclass
class ApplyResult:
    applied: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    app_ids: dict[str, str] = field(default_factory=dict)  # new apps: name -> appId
    # Certificates Entra generated: (app, name, PEM), recorded in the file by the caller
    created: list[tuple[str, str, bytes]] = field(default_factory=list)
    writes: int = 0
    stopped: OperationError | None = None  # Graph refused a write: the rest was not tried

    @property
    def complete(self) -> bool:
        return not self.not_applied


def fingerprint(plan: Plan) -> dict[str, Any]:
    """What the plan saw live, app by app: compared again right before writing."""
    return {a.name: (a.state, [(d.field, repr(d.live)) for d in a.differences]) for a in plan.apps}


def apply(
    loaded: LoadedTenant,
    connection: Connection,
    *,
    app: str | None,
    prune: bool,
    approve: Callable[[Plan], bool],
    now: dt.datetime,
    notify: Callable[[str], None],
    passphrase: PassphraseSource = lambda _: None,
) -> tuple[Plan, ApplyResult | None]:
    """The plan, and what was applied (None when there was nothing to do or the person
    said no). When Graph refuses a write, `result.stopped` says so and what was done
    before it stays listed: the caller records it (new Application IDs, certificates)
    before it reports the stop."""
    from ssoctl.entra.plan import plan as make_plan

    if loaded.model.tenant.example:
        # A copied example carries the docs' placeholder values (rules/placeholders.py).
        raise UsageError(
            f"{loaded.path.name} is marked `example: true`: ssoctl does not change a real "
            "tenant from an example file; nothing was sent to Entra.",
            hint="remove `example: true` under `tenant:` once the file describes your "
            "tenant, and run `ssoctl validate --strict` first.",
        )
    connection.require("apply")
    first = make_plan(loaded, connection, app=app, now=now)
    if not first.has_work:
        return first, None
    if not approve(first):
        return first, None
    second = make_plan(loaded, connection, app=app, now=now)
    moved = _moved(fingerprint(first), fingerprint(second))
    if moved:
        raise OperationError(
            "Entra changed after the plan was shown; nothing was written: " + "; ".join(moved),
            hint="run `ssoctl entra apply` again to see the new plan.",
        )
    result = ApplyResult()
    writes_before = connection.graph.writes
    try:
        _apply_plan(Context(loaded, connection, prune, result, passphrase, {}), second, notify)
    except (GraphError, KeyboardInterrupt) as exc:
        why = exc.message if isinstance(exc, GraphError) else "interrupted (Ctrl-C)"
        hint = exc.hint if isinstance(exc, GraphError) else None
        result.stopped = OperationError(
            f"apply stopped: {why}",
            problems=[f"applied: {a}" for a in result.applied]
            + [f"not applied: {a}" for a in result.not_applied],
            hint=(hint + " " if hint else "")
            + "Run `ssoctl entra apply` again: it continues from what Entra has now.",
        )
    result.writes = connection.graph.writes - writes_before
    return second, result


def _moved(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Each app whose live side moved, with the fields that did."""
    moved = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        old = dict((before.get(name) or ("", []))[1])
        new = dict((after.get(name) or ("", []))[1])
        fields = sorted(f for f in set(old) | set(new) if old.get(f) != new.get(f))
        moved.append(f"app {name}" + (f" ({', '.join(fields)})" if fields else ""))
    return moved


@dataclass
class Context:
    loaded: LoadedTenant
    connection: Connection
    prune: bool
    result: ApplyResult
    passphrase: PassphraseSource
    thumbprints: dict[str, str]  # the keyring's names to thumbprints


def _apply_plan(ctx: Context, plan: Plan, notify: Callable[[str], None]) -> None:
    from ssoctl.entra import live as live_reader
    from ssoctl.entra.export import wanted_filter
    from ssoctl.entra.mapping import file_name_for
    from ssoctl.tenant import entries

    loaded, connection, prune, result = ctx.loaded, ctx.connection, ctx.prune, ctx.result
    model = loaded.model
    ctx.thumbprints = {n: e.thumbprint for n, e in entries(loaded).items()}
    graph = connection.graph
    live = live_reader.read(graph, cloud=model.tenant.cloud, wanted=wanted_filter(model, None))
    by_name: dict[str, LiveApp] = {}
    taken: set[str] = set()
    for live_app in live.apps:
        name = file_name_for(live_app, model, taken)
        taken.add(name)
        by_name[name] = live_app
    for app_plan in plan.apps:
        name = app_plan.name
        if app_plan.state == "only-live":
            if prune:
                result.not_applied.append(
                    f"app {name}: deleting an app that is only in Entra is not built; "
                    "delete it in the portal"
                )
            continue
        if app_plan.state == "same":
            continue
        entry = model.apps[name]
        if app_plan.state == "only-file":
            sp_id, app_object_id, app_id = _instantiate(connection, name, entry, notify)
            result.applied.append(f"app {name}: created in Entra (appId {app_id})")
            result.app_ids[name] = app_id
            fields = [*APPLICATION_FIELDS, "sign_on_url", "relay_state", "notification_emails",
                      "claims", "name_id", "assignments"]  # fmt: skip
            signing = model.signing_set(name)
            if signing is not None and (signing.certificates or signing.new_in_entra):
                fields.append("certificates")
            if entry.encryption is not None:
                fields.append("encryption")
            _write_app(ctx, name, entry, sp_id, app_object_id, fields, None)
            continue
        live_app = by_name[name]
        fields = [d.field for d in app_plan.differences]
        if live_app.app_object_id is None:
            raise GraphError(f"the application object of {name} could not be read.")
        _write_app(ctx, name, entry, live_app.sp_id, live_app.app_object_id, fields, live_app)


def _instantiate(
    connection: Connection, name: str, entry: App, notify: Callable[[str], None]
) -> tuple[str, str, str]:
    """Create the app from its gallery template (or the non-gallery one), wait until
    Graph's replicas have both objects, and turn SAML on."""
    from ssoctl.tenant import gallery

    graph = connection.graph
    template_id = NON_GALLERY_TEMPLATE_ID
    display = name
    if entry.template != "custom":
        shown = gallery.get(entry.template).display_name
        escaped = shown.replace("'", "''")
        found = graph.get(
            "/applicationTemplates", select=("id", "displayName"),
            params={"$filter": f"displayName eq '{escaped}'"},
        )  # fmt: skip
        matches = [t for t in found.get("value") or [] if t.get("displayName") == shown]
        if len(matches) != 1:
            raise GraphError(f"Entra's gallery has {len(matches)} templates named {shown!r}.")
        template_id, display = str(matches[0]["id"]), shown
    created = graph.write(
        "POST", f"/applicationTemplates/{template_id}/instantiate", {"displayName": display},
        needs="Application.ReadWrite.OwnedBy",
    )  # fmt: skip
    application = created.get("application") or {}
    principal = created.get("servicePrincipal") or {}
    sp_id, app_object_id = str(principal.get("id")), str(application.get("id"))
    app_id = str(application.get("appId"))
    graph.wait_until_visible(f"/servicePrincipals/{sp_id}", select=("id",), notify=notify)
    graph.wait_until_visible(f"/applications/{app_object_id}", select=("id",), notify=notify)
    # SAML first: Identifiers off the verified domains are accepted only once the app is
    # a SAML app (HostNameNotOnVerifiedDomain otherwise; TF#797, TF#1392).
    graph.write("PATCH", f"/servicePrincipals/{sp_id}", {"preferredSingleSignOnMode": "saml"})
    while True:  # until Graph's replicas show SAML mode, which the Identifiers need
        seen = graph.get(f"/servicePrincipals/{sp_id}", select=("id", "preferredSingleSignOnMode"))
        if seen.get("preferredSingleSignOnMode") == "saml":
            return sp_id, app_object_id, app_id
        notify(f"waiting for Entra to show {name} as a SAML app ...")
        graph.wait(REPLICATION_POLL_S, f"{name} to show SAML mode")


def _write_app(
    ctx: Context,
    name: str,
    entry: App,
    sp_id: str,
    app_object_id: str,
    fields: list[str],
    live_app: LiveApp | None,
) -> None:
    from ssoctl.entra.certificates import CertificateOutcome, apply_certificates

    connection, model, result, prune = ctx.connection, ctx.loaded.model, ctx.result, ctx.prune
    graph = connection.graph
    if any(f in APPLICATION_FIELDS for f in fields):
        body: dict[str, Any] = {
            "identifierUris": list(entry.identifiers),
            "web": {"redirectUris": list(entry.reply_urls), "logoutUrl": entry.logout_url},
        }
        graph.write("PATCH", f"/applications/{app_object_id}", body,
                    needs="Application.ReadWrite.OwnedBy")  # fmt: skip
        result.applied.append(f"app {name}: Identifiers, Reply URLs and Logout URL")
    sp_body: dict[str, Any] = {}
    if "sign_on_url" in fields:
        sp_body["loginUrl"] = entry.sign_on_url
    if "relay_state" in fields:
        sp_body["samlSingleSignOnSettings"] = {"relayState": entry.relay_state}
    if "notification_emails" in fields:
        sp_body["notificationEmailAddresses"] = list(entry.notification_emails)
    if sp_body:
        graph.write("PATCH", f"/servicePrincipals/{sp_id}", sp_body,
                    needs="Application.ReadWrite.OwnedBy")  # fmt: skip
        result.applied.append(f"app {name}: {', '.join(sorted(sp_body))}")
    if "claims" in fields or "name_id" in fields:
        if model.tenant.cloud != "public":
            result.not_applied.append(
                f"app {name}: claims: the {model.tenant.cloud} cloud has no claimsPolicy API"
            )
        else:
            graph.write("PUT", f"/servicePrincipals/{sp_id}/claimsPolicy", claims_policy(entry),
                        beta=True, needs="Policy.ReadWrite.ApplicationConfiguration")  # fmt: skip
            result.applied.append(f"app {name}: Name ID and claims")
    if "certificates" in fields or "active" in fields:
        outcome = CertificateOutcome()
        try:
            apply_certificates(connection, ctx.loaded, name, sp_id, live_app, ctx.thumbprints,
                               ctx.passphrase, outcome, prune=ctx.prune)  # fmt: skip
        finally:
            result.applied += outcome.applied
            result.not_applied += outcome.not_applied
            result.created += [(name, n, pem) for n, pem in outcome.created]
    if "encryption" in fields:
        _token_encryption(ctx, name, entry, app_object_id, live_app)
    if "assignments" in fields:
        _assignments(connection, model, name, entry, sp_id, prune, result, live_app)
    for item in ("template", "app_id"):
        if item in fields:
            result.not_applied.append(f"app {name}: {item}: {NOT_BUILT[item]}")


def _token_encryption(
    ctx: Context, name: str, entry: App, app_object_id: str, live_app: LiveApp | None
) -> None:
    """The app's token-encryption certificate into Entra, as the portal's "Token
    encryption" page does through Graph: an Encrypt keyCredential on the application, then
    tokenEncryptionKeyId naming it (MGD v1.0 resources/application.md, keyCredential.md).
    A PATCH of keyCredentials replaces the collection, so the ones there are sent back."""
    import base64
    import uuid

    from cryptography.hazmat.primitives import serialization

    from ssoctl import certs
    from ssoctl.tenant import encryption_certificate

    graph, result = ctx.connection.graph, ctx.result
    path, needs = f"/applications/{app_object_id}", "Application.ReadWrite.OwnedBy"
    pem = encryption_certificate(ctx.loaded, name)
    if pem is None:
        graph.write("PATCH", path, {"tokenEncryptionKeyId": None}, needs=needs)
        result.applied.append(f"app {name}: token encryption turned off")
        return
    cert = certs.parse_certificate(pem, f"the encryption certificate of {name}")
    thumbprint = certs.thumbprint_sha1(cert)
    known = live_app.encryption_keys if live_app is not None else []
    key_id = next((k.key_id for k in known if k.thumbprint == thumbprint), None)
    if key_id is None:
        current = graph.get(path, select=("id", "keyCredentials"), needs="Application.Read.All")
        keys = [k for k in current.get("keyCredentials") or [] if isinstance(k, dict)]
        key_id = str(uuid.uuid4())
        der = cert.public_bytes(serialization.Encoding.DER)
        keys.append(
            {
                "keyId": key_id,
                "type": "AsymmetricX509Cert",
                "usage": "Encrypt",
                "key": base64.b64encode(der).decode(),
                "displayName": cert.subject.rfc4514_string()[:90],
                "startDateTime": cert.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
                "endDateTime": cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
            }
        )
        graph.write("PATCH", path, {"keyCredentials": keys}, needs=needs)
    graph.write("PATCH", path, {"tokenEncryptionKeyId": key_id}, needs=needs)
    result.applied.append(f"app {name}: token encryption with {thumbprint}")


def claims_policy(entry: App) -> dict[str, Any]:
    """The beta customClaimsPolicy for the app's Name ID and claims (entra-graph.md A2.1;
    the shape of MGD serviceprincipal-put-claimspolicy.md)."""

    def attribute(source: str) -> dict[str, Any]:
        return {"@odata.type": "#microsoft.graph.sourcedAttribute", "source": "user",
                "id": source.split(".", 1)[1], "isExtensionAttribute": False}  # fmt: skip

    claims: list[dict[str, Any]] = [
        {
            "@odata.type": "#microsoft.graph.samlNameIdClaim",
            "nameIdFormat": entry.name_id.format,
            "serviceProviderNameQualifier": None,
            "configurations": [{"condition": None, "transformations": [],
                                "attribute": attribute(entry.name_id.source)}],
        }
    ]  # fmt: skip
    for uri, source in entry.effective_claims().items():
        namespace, _, short = uri.rpartition("/")
        claims.append(
            {
                "@odata.type": "#microsoft.graph.customClaim",
                "name": short if namespace else uri,
                "namespace": namespace or None,
                "tokenFormat": ["saml"],
                "samlAttributeNameFormat": None,
                "configurations": [{"condition": None, "transformations": [],
                                    "attribute": attribute(source)}],
            }
        )  # fmt: skip
    return {"includeBasicClaimSet": True, "claims": claims}


def _assignments(
    connection: Connection, model: Tenant, name: str, entry: App, sp_id: str, prune: bool,
    result: ApplyResult, live_app: LiveApp | None,
) -> None:  # fmt: skip
    from ssoctl.entra import live as live_reader

    graph = connection.graph
    current = {p.id: p for p in (live_app.assignments if live_app else [])}
    users = live_reader.find_users_by_upn(
        graph, [p for p in entry.assignments if not p.startswith("group:")]
    )
    wanted: dict[str, str] = {}  # principal id -> how the file names it
    for principal in entry.assignments:
        if principal.startswith("group:"):
            group = model.group(principal[len("group:") :])
            if group is None or group.object_id is None:
                result.not_applied.append(
                    f"app {name}: {principal} has no object_id; `ssoctl entra export` records it"
                )
                continue
            wanted[str(group.object_id)] = principal
        else:
            user = users.get(principal.lower())
            if user is None:
                result.not_applied.append(f"app {name}: {principal} does not exist in Entra")
                continue
            wanted[user.id] = principal
    role = None
    for principal_id, shown in wanted.items():
        if principal_id in current:
            continue
        if role is None:
            role = _user_role(connection, sp_id)
        graph.write(
            "POST", f"/servicePrincipals/{sp_id}/appRoleAssignedTo",
            {"principalId": principal_id, "resourceId": sp_id, "appRoleId": role},
            needs="AppRoleAssignment.ReadWrite.All",
        )  # fmt: skip
        result.applied.append(f"app {name}: assigned {shown}")
    for stale in [p for p in current.values() if p.id not in wanted]:
        shown_stale = stale.display_name or stale.id
        if not prune:
            result.not_applied.append(
                f"app {name}: {shown_stale} is assigned in Entra only; --prune removes it"
            )
            continue
        assignment_id = _assignment_id(connection, sp_id, stale.id)
        graph.write("DELETE", f"/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}",
                    needs="AppRoleAssignment.ReadWrite.All")  # fmt: skip
        result.applied.append(f"app {name}: unassigned {shown_stale}")


def _user_role(connection: Connection, sp_id: str) -> str:
    """The role to assign: the gallery apps' `User` role (not msiam_access: MGD tutorial),
    the only role when there is one, or the default role for apps that declare none."""
    found = connection.graph.get(f"/servicePrincipals/{sp_id}", select=("id", "appRoles"))
    roles = [r for r in found.get("appRoles") or [] if isinstance(r, dict)]
    for role in roles:
        if role.get("displayName") == "User":
            return str(role["id"])
    usable = [r for r in roles if r.get("displayName") != "msiam_access"]
    return str(usable[0]["id"]) if usable else NO_ROLE


def _assignment_id(connection: Connection, sp_id: str, principal_id: str) -> str:
    for item in connection.graph.pages(
        f"/servicePrincipals/{sp_id}/appRoleAssignedTo", select=("id", "principalId"),
        params={"$top": "999"},
    ):  # fmt: skip
        if item.get("principalId") == principal_id:
            return str(item["id"])
    raise GraphError(f"the assignment of {principal_id} has gone from Entra.")
