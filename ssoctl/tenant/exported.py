"""The edit `ssoctl entra export` makes: live Entra's apps, certificates, users and groups
written into the tenant file, comments kept. Entries that exist are changed in place and
only where they differ; new ones are added in the file's own order. Certificates are
Entra's: their public part goes beside the file as certs/NAME.pem, with no key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssoctl.tenant.docedit import flow_list, mapping, section

if TYPE_CHECKING:
    from ssoctl.tenant.document import LoadedTenant

# The order build_entry (app add) writes an app's keys in.
APP_KEYS = (
    "template",
    "region",
    "platform",
    "app_id",
    "identifiers",
    "reply_urls",
    "sign_on_url",
    "relay_state",
    "logout_url",
    "notification_emails",
    "signing",
    "name_id",
    "claims",
    "assignments",
    "sp_certificate",
    "encryption",
)
USER_KEYS = ("upn", "object_id", "display_name", "given_name", "surname", "mail")


@dataclass(frozen=True)
class ExportedCertificate:
    thumbprint: str
    pem: bytes
    not_after: dt.datetime | None


@dataclass(frozen=True)
class ExportedApp:
    name: str
    template: str | None  # None: keep the file's (a guess never replaces what is written)
    region: str | None
    platform: str | None
    app_id: str
    identifiers: list[str] | None  # None: not read, keep the file's
    reply_urls: list[str] | None
    sign_on_url: str | None
    relay_state: str | None
    logout_url: str | None
    notification_emails: list[str]
    name_id: tuple[str, str] | None  # None: not read
    claims: dict[str, str] | None
    claims_read: bool  # False: a claimsMappingPolicy, or no claims API (usgov)
    certificates: list[ExportedCertificate]
    active: str | None  # thumbprint
    assignments: list[str]
    certificates_read: bool = True  # False: Graph did not answer; the file's set stays
    # Token encryption: the certificate Entra encrypts with, None for none, and whether
    # the application object (where it lives) was read at all.
    encryption: ExportedCertificate | None = None
    encryption_read: bool = True


@dataclass(frozen=True)
class ExportedUser:
    upn: str
    object_id: str
    display_name: str | None
    given_name: str | None
    surname: str | None
    mail: str | None


@dataclass(frozen=True)
class ExportedGroup:
    name: str
    object_id: str
    members: list[str]  # UPNs


@dataclass
class ExportOutcome:
    changed: list[str] = field(default_factory=list)  # "app ringcentral: reply_urls", ...


def merge_export(
    loaded: LoadedTenant,
    apps: list[ExportedApp],
    users: list[ExportedUser],
    groups: list[ExportedGroup],
) -> ExportOutcome:
    """Write live Entra into the document (inside tenant.edit)."""
    outcome = ExportOutcome()
    _merge_users(loaded, users, outcome)
    _merge_groups(loaded, groups, outcome)
    for app in apps:
        _merge_app(loaded, app, outcome)
    return outcome


def _put(entry: Any, key: str, value: Any, order: tuple[str, ...]) -> bool:
    """Set `key` (None removes it) where it belongs in `order`; True when it changed."""
    current = entry.get(key)
    plain = _plain(current)
    if plain == _plain(value) and (value is not None or key not in entry):
        return False
    if value is None:
        if key in entry:
            del entry[key]
            return True
        return False
    if key in entry:
        entry[key] = value
        return True
    keys = list(entry.keys())
    before = [k for k in order[: order.index(key)] if k in keys]
    position = keys.index(before[-1]) + 1 if before else 0
    entry.insert(position, key, value)
    return True


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _merge_users(loaded: LoadedTenant, users: list[ExportedUser], out: ExportOutcome) -> None:
    from ruamel.yaml.comments import CommentedSeq

    if not users:
        return
    seq = section(loaded.doc, "users", CommentedSeq)
    by_upn = {str(u.get("upn", "")).lower(): u for u in seq}
    for user in users:
        values = {
            "upn": user.upn,
            "object_id": user.object_id,
            "display_name": user.display_name,
            "given_name": user.given_name,
            "surname": user.surname,
            "mail": user.mail,
        }
        entry = by_upn.get(user.upn.lower())
        if entry is None:
            seq.append(mapping(values))
            out.changed.append(f"user {user.upn}: added")
            continue
        changed = [k for k, v in values.items() if k != "upn" and _put(entry, k, v, USER_KEYS)]
        if changed:
            out.changed.append(f"user {user.upn}: {', '.join(changed)}")


def _merge_groups(loaded: LoadedTenant, groups: list[ExportedGroup], out: ExportOutcome) -> None:
    from ruamel.yaml.comments import CommentedSeq

    if not groups:
        return
    seq = section(loaded.doc, "groups", CommentedSeq)
    for group in groups:
        entry = next(
            (g for g in seq if str(g.get("object_id", "")).lower() == group.object_id.lower()),
            None,
        ) or next((g for g in seq if g.get("name") == group.name), None)
        if entry is None:
            seq.append(
                mapping(
                    {
                        "name": group.name,
                        "object_id": group.object_id,
                        "members": flow_list(list(group.members)),
                    }
                )
            )
            out.changed.append(f"group {group.name}: added")
            continue
        order = ("name", "object_id", "members")
        changed = [k for k, v in (("object_id", group.object_id),) if _put(entry, k, v, order)]
        if {m.lower() for m in entry.get("members") or []} != {m.lower() for m in group.members}:
            entry["members"] = flow_list(list(group.members))
            changed.append("members")
        if changed:
            out.changed.append(f"group {entry.get('name')}: {', '.join(changed)}")


def _merge_app(loaded: LoadedTenant, app: ExportedApp, out: ExportOutcome) -> None:
    from ruamel.yaml.comments import CommentedMap

    apps = section(loaded.doc, "apps", CommentedMap)
    new = app.name not in apps
    entry = apps[app.name] if not new else CommentedMap()
    if new:
        apps[app.name] = entry
    changed: list[str] = []

    def put(key: str, value: Any) -> None:
        if _put(entry, key, value, APP_KEYS):
            changed.append(key)

    if app.template is not None or new:
        put("template", app.template or "custom")
        put("region", app.region)
        put("platform", app.platform)
    put("app_id", app.app_id)
    if app.identifiers is not None:
        put("identifiers", flow_list(list(app.identifiers)))
    if app.reply_urls is not None:
        put("reply_urls", flow_list(list(app.reply_urls)))
    put("sign_on_url", app.sign_on_url)
    put("relay_state", app.relay_state)
    put("logout_url", app.logout_url)
    put(
        "notification_emails",
        flow_list(list(app.notification_emails)) if app.notification_emails else None,
    )
    if app.certificates_read:
        _merge_signing(loaded, app, entry, changed)
    if app.claims_read:
        name_id = app.name_id or ("user.userprincipalname", "emailAddress")
        node = mapping({"source": name_id[0], "format": name_id[1]})
        node.fa.set_flow_style()
        if _plain(entry.get("name_id")) != _plain(node):
            put("name_id", node)
        if app.claims is None:  # no claimsPolicy: Entra's defaults, written as "not set"
            put("claims", None)
        else:
            put("claims", mapping(dict(app.claims)))
    if app.encryption_read:
        _merge_encryption(loaded, app, entry, changed)
    current = [str(p) for p in entry.get("assignments") or []]
    wanted = list(app.assignments)
    if {p.lower() for p in current} != {p.lower() for p in wanted} or "assignments" not in entry:
        kept = [p for p in current if p.lower() in {w.lower() for w in wanted}]
        kept += [w for w in wanted if w.lower() not in {p.lower() for p in kept}]
        put("assignments", flow_list(kept))
    if new:
        out.changed.append(f"app {app.name}: added")
    elif changed:
        out.changed.append(f"app {app.name}: {', '.join(changed)}")


def _merge_signing(loaded: LoadedTenant, app: ExportedApp, entry: Any, changed: list[str]) -> None:
    """The app's own signing set := the live certificates, the active one by thumbprint.
    A certificate the keyring has (same thumbprint) is reused, key and all."""
    from ruamel.yaml.comments import CommentedSeq

    from ssoctl.tenant.keyring import entries

    ring = entries(loaded)
    by_thumbprint = {e.thumbprint: name for name, e in ring.items()}
    names: list[str] = []
    active: str | None = None
    for cert in app.certificates:
        name = by_thumbprint.get(cert.thumbprint)
        if name is None:
            stamp = cert.not_after.strftime("%Y%m%d") if cert.not_after else cert.thumbprint[:8]
            name = _free_name(loaded, f"{app.name}-{stamp}")
            relative = f"certs/{name}.pem"
            loaded.files.new(loaded.beside(relative), cert.pem, 0o644)
            section(loaded.doc, "certificates", CommentedSeq).append(
                mapping({"name": name, "cert": relative})
            )
            by_thumbprint[cert.thumbprint] = name
            changed.append(f"certificate {name} (Entra's, thumbprint {cert.thumbprint})")
        names.append(name)
        if app.active and cert.thumbprint == app.active.upper():
            active = name
    node = entry.get("signing")
    current_names = [str(n) for n in (node.get("certificates") or [])] if node else []
    current_active = node.get("active") if node else None
    if node is not None and current_names == names and current_active == active:
        return
    if node is None:
        if not names:
            return
        node = mapping({"certificates": flow_list(names), "active": active})
        _put(entry, "signing", node, APP_KEYS)
    else:
        node["certificates"] = flow_list(names)
        _put(node, "active", active, ("certificates", "active", "mode", "algorithm"))
    changed.append("signing")


def _merge_encryption(
    loaded: LoadedTenant, app: ExportedApp, entry: Any, changed: list[str]
) -> None:
    """`encryption` := the certificate Entra encrypts the app's assertions with, written
    to certs/sp-enc-APP.pem (the file there is kept when it is the same certificate)."""
    from ssoctl import certs
    from ssoctl.errors import SsoctlError
    from ssoctl.files import read_beside

    if app.encryption is None:
        if _put(entry, "encryption", None, APP_KEYS):
            changed.append("encryption")
        return
    current = entry.get("encryption")
    relative = str(current.get("certificate")) if current else f"certs/sp-enc-{app.name}.pem"
    target = loaded.beside(relative)
    existing = read_beside(target, "encryption certificate")
    same = False
    if existing:
        try:
            cert = certs.parse_certificate(existing, relative)
            same = certs.thumbprint_sha1(cert) == app.encryption.thumbprint
        except SsoctlError:
            same = False
    if not same:
        relative = f"certs/sp-enc-{app.name}.pem"
        loaded.files.put(loaded.beside(relative), app.encryption.pem, 0o644)
        changed.append(f"encryption certificate (Entra's, thumbprint {app.encryption.thumbprint})")
    node = mapping({"certificate": relative})
    node.fa.set_flow_style()
    if _put(entry, "encryption", node, APP_KEYS) and same:
        changed.append("encryption")


def _free_name(loaded: LoadedTenant, base: str) -> str:
    """A certificate name no entry (including those this edit added) and no file uses."""
    from ssoctl.tenant.keyring import free_certificate_name

    in_doc = {str(c.get("name")) for c in loaded.doc.get("certificates") or []}
    name, n = free_certificate_name(loaded, base), 1
    while name in in_doc:
        n += 1
        name = free_certificate_name(loaded, f"{base}-{n}")
    return name
