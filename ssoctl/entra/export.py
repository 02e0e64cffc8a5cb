"""`ssoctl entra export`: live Entra's SAML apps into the tenant file, through the tenant
wing's export edit (tenant.merge_export): comments kept, atomic, judged."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssoctl.entra import live as live_reader
from ssoctl.entra.mapping import file_name_for, group_name, principals, recognise, slug
from ssoctl.errors import InvalidInputError, OperationError, UsageError

if TYPE_CHECKING:
    from ssoctl.entra.live import LiveApp, LiveTenant
    from ssoctl.entra.session import Connection
    from ssoctl.tenant import ExportedApp, Judge
    from ssoctl.tenant.model import Tenant


@dataclass
class ExportResult:
    apps: list[str]  # the file's names of the apps exported
    changes: list[str]
    warnings: list[str]
    diff: str
    written: bool
    requests: int  # Graph round trips
    unchanged: bool = field(default=False)


def wanted_filter(tenant: Tenant, app: str | None) -> Any:
    """Which service principals to read for `--app NAME` (None: all)."""
    if app is None:
        return lambda sp: True
    entry = tenant.apps.get(app)
    if entry is not None and entry.app_id is not None:
        app_id = str(entry.app_id).lower()
        return lambda sp: str(sp.get("appId", "")).lower() == app_id
    if entry is None:
        return lambda sp: slug(str(sp.get("displayName") or "")) == app
    return lambda sp: True  # no Application ID yet: matched by Identifiers after reading


def export(
    path: Path,
    connection: Connection,
    *,
    app: str | None,
    dry_run: bool,
    judge: Judge,
) -> ExportResult:
    from ssoctl import tenant as wing

    model = wing.load(path).model
    connection.require("export")
    live = live_reader.read(
        connection.graph, cloud=model.tenant.cloud, wanted=wanted_filter(model, app)
    )
    exported, warnings = to_exported(live, model)
    if app is not None:
        exported = [e for e in exported if e.name == app]
        if not exported:
            raise UsageError(
                f"no SAML app in Entra matches {app!r}: none has its Application ID, "
                "Identifiers or display name.",
                hint="`ssoctl entra plan` lists the live apps; or use --all.",
            )
    names = {e.name for e in exported}
    users, groups = directory_for(live, model, names, exported)

    def change(loaded: Any) -> Any:
        return wing.merge_export(loaded, exported, users, groups)

    try:
        outcome = wing.edit_reviewed(path, change, write=not dry_run, judge=judge)
    except (UsageError, InvalidInputError) as exc:
        # Values Graph returned that the tenant file cannot hold: Entra's side is wrong
        # (or not Entra), not the command line.
        raise OperationError(
            f"Entra's values cannot be written into {path.name}; nothing was written: "
            f"{exc.message}",
            problems=exc.problems,
        ) from None
    diff = "".join(
        difflib.unified_diff(
            outcome.old_text.splitlines(keepends=True),
            outcome.new_text.splitlines(keepends=True),
            fromfile=f"a/{path.name}",
            tofile=f"b/{path.name}",
        )
    )
    return ExportResult(
        sorted(names),
        list(outcome.value.changed),
        warnings,
        diff,
        outcome.written,
        connection.graph.round_trips,
        unchanged=outcome.old_text == outcome.new_text,
    )


def to_exported(live: LiveTenant, model: Tenant) -> tuple[list[ExportedApp], list[str]]:
    from ssoctl import certs
    from ssoctl.tenant import ExportedApp, ExportedCertificate

    exported: list[ExportedApp] = []
    warnings: list[str] = []
    taken: set[str] = set()
    for app in live.apps:
        name = file_name_for(app, model, taken)
        taken.add(name)
        seen = recognise(app)
        entry = model.apps.get(name)
        template = seen.template if (seen.certain or entry is None) else None
        kind = _variant_kind(seen.template)
        for problem in (c for c in app.certificates if c.problem):
            warnings.append(f"app {name}: certificate {problem.key_id}: {problem.problem}; skipped")
        warnings += [f"app {name}: {w}" for w in app.warnings]
        exported.append(
            ExportedApp(
                name=name,
                template=template,
                region=seen.variant if template and kind == "region" else None,
                platform=seen.variant if template and kind == "platform" else None,
                app_id=app.app_id,
                identifiers=app.identifiers if app.app_object_id else None,
                reply_urls=app.reply_urls if app.app_object_id else None,
                sign_on_url=app.sign_on_url,
                relay_state=app.relay_state,
                logout_url=app.logout_url,
                notification_emails=app.notification_emails,
                name_id=_name_id(app),
                claims=app.claims.claims if app.claims.state == "custom" else None,
                claims_read=app.claims.state in ("custom", "default"),
                certificates=[
                    ExportedCertificate(c.thumbprint, certs.cert_pem(_load(c.der)), c.end)
                    for c in app.certificates
                    if c.thumbprint and c.der
                ],
                certificates_read=app.certificates_read,
                encryption=ExportedCertificate(
                    app.encryption.thumbprint,
                    certs.cert_pem(_load(app.encryption.der)),
                    app.encryption.end,
                )
                if app.encryption and app.encryption.thumbprint and app.encryption.der
                else None,
                encryption_read=app.app_object_id is not None,
                active=app.active_thumbprint,
                assignments=[p for p in principals(app, live, model) if not p.startswith("(user ")],
            )
        )
    return exported, warnings


def _load(der: bytes | None) -> Any:
    from cryptography import x509

    assert der is not None
    return x509.load_der_x509_certificate(der)


def _name_id(app: LiveApp) -> tuple[str, str] | None:
    if app.claims.state != "custom":
        return None
    return (
        app.claims.name_id_source or "user.userprincipalname",
        app.claims.name_id_format or "emailAddress",
    )


def _variant_kind(template: str) -> str | None:
    from ssoctl.tenant import gallery

    return gallery.get(template).variant_kind


def directory_for(
    live: LiveTenant, model: Tenant, names: set[str], exported: list[ExportedApp]
) -> tuple[list[Any], list[Any]]:
    """The users and groups the exported apps' assignments name."""
    from ssoctl.tenant import ExportedGroup, ExportedUser

    exported_ids = {a.app_id for a in exported}
    apps = [a for a in live.apps if a.app_id in exported_ids]
    user_ids: list[str] = []
    group_ids: list[str] = []
    for app in apps:
        for principal in app.assignments:
            target = user_ids if principal.kind == "User" else group_ids
            if principal.id not in target:
                target.append(principal.id)
    groups = []
    for gid in group_ids:
        group = live.groups.get(gid)
        if group is None:
            continue
        members = [live.users[m].upn for m in group.members if m in live.users]
        user_ids += [m for m in group.members if m not in user_ids]
        groups.append(ExportedGroup(group_name(gid, live, model), gid, members))
    users = [
        ExportedUser(u.upn, u.id, u.display_name, u.given_name, u.surname, u.mail)
        for u in (live.users.get(i) for i in user_ids)
        if u is not None
    ]
    return users, groups
