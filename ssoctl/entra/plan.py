"""`ssoctl entra plan`: the tenant file against live Entra, field by field. The file is
the desired state; each difference is what `apply` would change in Entra."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ssoctl.entra import live as live_reader
from ssoctl.entra.mapping import Settings, file_name_for, file_settings, live_settings, recognise

if TYPE_CHECKING:
    from ssoctl.entra.session import Connection
    from ssoctl.tenant import LoadedTenant
    from ssoctl.tenant.model import Tenant

# Entra mails the notification addresses 60, 30 and 7 days before a signing certificate
# expires (shared/docs/entra-saml.md): plan warns at the same points.
EXPIRY_POINTS = (60, 30, 7)
# Compared as sets (the order carries no meaning), case-insensitively.
UNORDERED = frozenset({"notification_emails", "certificates", "assignments"})


@dataclass(frozen=True)
class Difference:
    field: str
    file: Any
    live: Any


@dataclass(frozen=True)
class AppPlan:
    name: str
    app_id: str | None
    display_name: str | None
    state: str  # same | differs | only-file | only-live
    differences: list[Difference] = field(default_factory=list)


@dataclass(frozen=True)
class CertificateNotice:
    app: str
    thumbprint: str
    state: str  # inactive | expiring | expired
    days_left: int
    not_after: str | None
    days_point: int | None  # the notification point it is within (60, 30, 7)


@dataclass
class Plan:
    tenant_id: str
    cloud: str
    apps: list[AppPlan]
    certificates: list[CertificateNotice]
    missing_users: list[str]
    warnings: list[str]
    requests: int
    uploads: list[tuple[str, str, str]] = field(default_factory=list)  # app, name, thumbprint

    @property
    def has_work(self) -> bool:
        """Something apply would write: an app that differs or exists only in the file."""
        return any(a.state in ("differs", "only-file") for a in self.apps)

    @property
    def drift(self) -> bool:
        return bool(self.missing_users) or any(a.state != "same" for a in self.apps)


def plan(
    loaded: LoadedTenant, connection: Connection, *, app: str | None, now: dt.datetime
) -> Plan:
    from ssoctl.entra.export import wanted_filter
    from ssoctl.tenant import entries, require_app

    model = loaded.model
    if app is not None:
        require_app(model, app, loaded.path)
    connection.require("plan")
    live = live_reader.read(
        connection.graph, cloud=model.tenant.cloud, wanted=wanted_filter(model, app)
    )
    thumbprints = {name: e.thumbprint for name, e in entries(loaded).items()}
    apps: list[AppPlan] = []
    notices: list[CertificateNotice] = []
    warnings: list[str] = []
    paired: set[str] = set()
    taken: set[str] = set()
    for live_app in live.apps:
        name = file_name_for(live_app, model, taken)
        taken.add(name)
        if app is not None and name != app:
            continue
        warnings += [f"app {name}: {w}" for w in live_app.warnings]
        notices += _notices(name, live_app, now)
        if name not in model.apps:
            apps.append(AppPlan(name, live_app.app_id, live_app.display_name, "only-live"))
            continue
        paired.add(name)
        entry = model.apps[name]
        desired = file_settings(
            entry, model.signing_set(name), thumbprints, encryption_thumbprint(loaded, name)
        )
        current = live_settings(live_app, live, model)
        if not recognise(live_app).certain:
            current = _without_template(current)
            desired = _without_template(desired)
        differences = compare(desired, current)
        state = "differs" if differences else "same"
        apps.append(AppPlan(name, live_app.app_id, live_app.display_name, state, differences))
    for name in model.apps:
        if name not in paired and (app is None or name == app):
            entry = model.apps[name]
            apps.append(
                AppPlan(name, str(entry.app_id) if entry.app_id else None, None, "only-file")
            )
    uploads = _uploads(loaded, apps, live, thumbprints)
    assigned = _assigned_upns(model, [a.name for a in apps if a.state != "only-live"])
    found = live_reader.find_users_by_upn(connection.graph, assigned) if assigned else {}
    missing = sorted(u for u in assigned if u.lower() not in found)
    return Plan(
        str(model.tenant.id),
        model.tenant.cloud,
        sorted(apps, key=lambda a: a.name),
        notices,
        missing,
        warnings,
        connection.graph.round_trips,
        uploads,
    )


def encryption_thumbprint(loaded: LoadedTenant, app: str) -> str | None:
    from ssoctl.tenant import encryption_summary

    summary = encryption_summary(loaded, app, dt.datetime.now(dt.timezone.utc))
    return str(summary["thumbprint_sha1"]) if summary else None


def _without_template(settings: Settings) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, template=None)


def compare(desired: Settings, current: Settings) -> list[Difference]:
    """The fields where the file and Entra differ; a field not read live (None on the
    live side where the file has a value that cannot be None) is left out."""
    found = []
    for item in fields(Settings):
        want, have = getattr(desired, item.name), getattr(current, item.name)
        if (
            item.name
            in (
                "template",
                "identifiers",
                "reply_urls",
                "name_id",
                "claims",
                "certificates",
                "assignments",
            )
            and have is None
        ):
            continue  # not read (another policy, another cloud, an unreadable object)
        if item.name in UNORDERED:
            same = {str(v).lower() for v in want or []} == {str(v).lower() for v in have or []}
        else:
            same = want == have
        if not same:
            found.append(Difference(item.name, _shown(want), _shown(have)))
    return found


def _shown(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"source": value[0], "format": value[1]}
    return value


def _notices(name: str, app: live_reader.LiveApp, now: dt.datetime) -> list[CertificateNotice]:
    found = []
    for cert in app.certificates:
        if not cert.thumbprint:
            continue
        days = (cert.end - now).days if cert.end else 10**6
        end = cert.end.isoformat() if cert.end else None
        if days < 0:
            found.append(CertificateNotice(name, cert.thumbprint, "expired", days, end, None))
            continue
        point = next((p for p in sorted(EXPIRY_POINTS) if days <= p), None)
        if point is not None:
            found.append(CertificateNotice(name, cert.thumbprint, "expiring", days, end, point))
        if cert.thumbprint != app.active_thumbprint:
            found.append(CertificateNotice(name, cert.thumbprint, "inactive", days, end, None))
    return found


def _assigned_upns(model: Tenant, names: list[str]) -> list[str]:
    """The UPNs the file assigns to these apps, directly or through a group."""
    upns: dict[str, str] = {}
    for name in names:
        for user in model.assigned_users(name) if name in model.apps else []:
            upns.setdefault(user.upn.lower(), user.upn)
        for principal in model.apps[name].assignments if name in model.apps else []:
            if not principal.startswith("group:"):
                upns.setdefault(principal.lower(), principal)
    return sorted(upns.values())


def _uploads(
    loaded: LoadedTenant,
    apps: list[AppPlan],
    live: live_reader.LiveTenant,
    thumbprints: dict[str, str],
) -> list[tuple[str, str, str]]:
    """The certificates apply would upload with their private key: in an app's set, not
    in Entra, and marked `upload: true`."""
    from ssoctl.entra.mapping import file_name_for

    model = loaded.model
    taken: set[str] = set()
    live_thumbprints: dict[str, set[str]] = {}
    for live_app in live.apps:
        name = file_name_for(live_app, model, taken)
        taken.add(name)
        live_thumbprints[name] = {c.thumbprint for c in live_app.certificates if c.thumbprint}
    found = []
    for app in apps:
        if app.state not in ("differs", "only-file"):
            continue
        signing = model.signing_set(app.name)
        for cert_name in signing.certificates if signing else []:
            entry = model.certificate(cert_name)
            thumbprint = thumbprints.get(cert_name)
            if entry is None or not entry.upload or thumbprint is None:
                continue
            if thumbprint not in live_thumbprints.get(app.name, set()):
                found.append((app.name, cert_name, thumbprint))
    return found
