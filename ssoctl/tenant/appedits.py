"""The named edits of apps, their claims and their certificates: what `app ...`,
`app claim ...` and `cert new|import|activate|remove` change in the tenant file, and the
files beside it they stage (certs/NAME.pem and certs/NAME.key: the layout is decided
here and nowhere else). Each takes the loaded document of an edit transaction
(`tenant.edit`); the CLI hands in the clock (`now`) and new keys, never YAML nodes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ssoctl.errors import UsageError
from ssoctl.tenant.apps import AppChanges, AppRequest, build_entry, require_app, set_fields
from ssoctl.tenant.docedit import flow_list, remove_from_list, section
from ssoctl.tenant.model import Tenant

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    from ssoctl.tenant.document import LoadedTenant
    from ssoctl.tenant.keyring import Switch


@dataclass(frozen=True)
class NewCertificate:
    """A key pair made for this edit (certs.generate), and the key file's passphrase."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    passphrase: bytes | None


@dataclass(frozen=True)
class Registered:
    """What `register_certificate` did, for the command's output."""

    name: str
    status: str  # active | inactive
    key: str | None  # path of the key file, relative to the tenant file; None: Entra's
    cert: str
    switch: Switch | None  # the active certificate it replaced, if it did
    app: str | None
    thumbprint: str


def register_certificate(
    loaded: LoadedTenant,
    cert: x509.Certificate,
    *,
    key: rsa.RSAPrivateKey | None,
    passphrase: bytes | None,
    name: str | None,
    app: str | None,
    activate: bool,
    now: dt.datetime,
    app_exists: bool = True,
    upload: bool = False,
) -> Registered:
    """Add a certificate to the keyring and to `app`'s set (the default set without one),
    and stage its files: the key (0600, never overwritten) and the certificate. A
    certificate without a key is Entra's own: its key never leaves Entra. `app_exists`
    is False only for an app this same edit adds (the model the check reads lacks it)."""
    from ssoctl import certs
    from ssoctl.tenant.keyring import add_to_set, free_certificate_name

    if app is not None and app_exists:
        require_app(loaded.model, app, loaded.path)
    chosen = name or free_certificate_name(loaded, f"{app or 'sso'}-{now:%Y%m%d}")
    if loaded.model.certificate(chosen) is not None:
        raise UsageError(f"a certificate named {chosen!r} already exists.")
    cert_rel = f"certs/{chosen}.pem"
    key_rel = f"certs/{chosen}.key" if key is not None else None
    thumbprint = certs.thumbprint_sha1(cert)
    status, switch = add_to_set(
        loaded, app, chosen, cert_rel, key_rel, activate=activate, now=now, thumbprint=thumbprint
    )
    if upload:
        if key is None:
            raise UsageError(
                "--upload sends the private key to Entra; this certificate has none.",
                hint="Entra's own certificates stay in Entra: leave --upload out.",
            )
        loaded.doc["certificates"][-1]["upload"] = True
    if key is not None and key_rel is not None:
        loaded.files.new(loaded.beside(key_rel), certs.key_pem(key, passphrase), 0o600)
    loaded.files.new(loaded.beside(cert_rel), certs.cert_pem(cert), 0o644)
    return Registered(chosen, status, key_rel, cert_rel, switch, app, thumbprint)


@dataclass(frozen=True)
class AddedApp:
    app: str
    certificate: str | None  # the new or shared certificate; None: none yet
    thumbprint: str | None  # of a new certificate
    warnings: list[str]


def add_app(
    loaded: LoadedTenant,
    request: AppRequest,
    *,
    shared_certificate: str | None,
    fresh: NewCertificate | None,
    now: dt.datetime,
) -> AddedApp:
    """Add an app from the gallery with its own signing set, as Entra does: holding
    `fresh` (made for it, active), or the keyring's `shared_certificate`, or nothing yet
    (neither: the admin imports Entra's own later)."""
    from ruamel.yaml.comments import CommentedMap

    from ssoctl.tenant.keyring import new_app_set

    name, entry, warnings = build_entry(request, loaded.model)
    section(loaded.doc, "apps", CommentedMap)[name] = entry
    new_app_set(loaded, name, shared_certificate)
    if fresh is None:
        return AddedApp(name, shared_certificate, None, warnings)
    registered = register_certificate(
        loaded, fresh.cert, key=fresh.key, passphrase=fresh.passphrase, name=None, app=name,
        activate=True, now=now, app_exists=False,  # in the document, not yet in the model
    )  # fmt: skip
    # the certificate's name follows the app's (an app added later finds it taken)
    return AddedApp(name, registered.name, registered.thumbprint, warnings)


def set_app(loaded: LoadedTenant, name: str, changes: AppChanges) -> tuple[list[str], list[str]]:
    """Change an app's Basic SAML Configuration, region, platform or Application ID: the
    keys that changed, and warnings."""
    require_app(loaded.model, name, loaded.path)
    return set_fields(loaded.doc["apps"][name], loaded.model, name, changes)


def remove_app(loaded: LoadedTenant, name: str) -> None:
    require_app(loaded.model, name, loaded.path)
    del loaded.doc["apps"][name]


def assign(loaded: LoadedTenant, name: str, principals: list[str]) -> list[str]:
    """Assign users or groups (as written in the file); the ones that were not yet."""
    from ssoctl.tenant.directory import check_principal

    require_app(loaded.model, name, loaded.path)
    entry = loaded.doc["apps"][name]
    current = entry.get("assignments")
    if current is None:
        current = entry["assignments"] = flow_list([])
    added = []
    for principal in principals:
        canonical = check_principal(loaded.model, principal)
        if canonical.lower() not in {str(p).lower() for p in current}:
            current.append(canonical)
            added.append(canonical)
    return added


def unassign(loaded: LoadedTenant, name: str, principals: list[str]) -> None:
    require_app(loaded.model, name, loaded.path)
    current = loaded.doc["apps"][name].get("assignments")
    for principal in principals:
        if not remove_from_list(current, principal, casefold=True):
            raise UsageError(f"{principal!r} is not assigned to {name!r}.")


def set_app_claim(loaded: LoadedTenant, name: str, claim: str, source: str) -> bool:
    from ssoctl.tenant.claims import set_claim

    require_app(loaded.model, name, loaded.path)
    return set_claim(loaded.model, name, loaded.doc["apps"][name], claim, source)


def remove_app_claim(loaded: LoadedTenant, name: str, claim: str) -> None:
    from ssoctl.tenant.claims import remove_claim

    require_app(loaded.model, name, loaded.path)
    remove_claim(loaded.model, name, loaded.doc["apps"][name], claim)


@dataclass(frozen=True)
class Activation:
    switch: Switch | None  # None: nothing changed (or the app got its own copy of the set)
    inherited: bool  # the app used the tenant default set until now


def activate_certificate(
    loaded: LoadedTenant, app: str | None, name: str, now: dt.datetime
) -> Activation:
    from ssoctl.tenant.keyring import activate

    entry = loaded.model.apps.get(app) if app is not None else None
    inherited = entry is not None and entry.signing is None
    return Activation(activate(loaded, app, name, now), inherited)


def claim_rows(tenant: Tenant, name: str) -> list[dict[str, Any]]:
    from ssoctl.tenant.claims import rows

    require_app(tenant, name)
    return rows(tenant, name)


@dataclass(frozen=True)
class SpValues:
    """An SP's values from its metadata (spimport.sp_values)."""

    identifier: str
    reply_urls: list[str]
    logout_url: str | None
    certificate_pem: bytes | None  # its signing certificates, PEM
    encryption_pem: bytes | None = None  # its encryption certificate, PEM


def set_sp_values(loaded: LoadedTenant, app: str, values: SpValues) -> list[str]:
    """Set the app's fields from its SP's metadata and stage the SP certificate file
    (certs/sp-APP.pem) with the edit (written only if the edit is saved); returns what
    changed."""
    from ssoctl.files import read_beside

    entry = loaded.doc["apps"][app]
    changed: list[str] = []

    def put(key: str, value: Any, *after: str) -> None:
        current = entry.get(key)
        plain = list(current) if isinstance(current, list) else current
        new_plain = list(value) if isinstance(value, list) else value
        if plain == new_plain:
            return
        if key in entry:
            entry[key] = value
        else:
            # Next to a key that exists, never at the end: a comment written above the
            # following app belongs to this mapping's last value and must stay there.
            keys = list(entry.keys())
            anchor = next((a for a in after if a in keys), keys[0])
            entry.insert(keys.index(anchor) + 1, key, value)
        changed.append(key)

    put("identifiers", flow_list([values.identifier]), "app_id")
    put("reply_urls", flow_list(values.reply_urls), "identifiers")
    if values.logout_url:
        put("logout_url", values.logout_url, "reply_urls")
    pem = values.certificate_pem
    if pem:
        relative = f"certs/sp-{app}.pem"
        target = loaded.beside(relative)
        if read_beside(target, "SP certificate") != pem:
            loaded.files.put(target, pem, 0o644)
        put("sp_certificate", relative, "logout_url", "reply_urls")
    if values.encryption_pem:
        relative = f"certs/sp-enc-{app}.pem"
        target = loaded.beside(relative)
        if read_beside(target, "SP encryption certificate") != values.encryption_pem:
            loaded.files.put(target, values.encryption_pem, 0o644)
        after = ("sp_certificate", "logout_url", "reply_urls")
        put("encryption", {"certificate": relative}, *after)
    return changed


def request_entra_certificate(
    loaded: LoadedTenant, app: str, name: str | None, now: dt.datetime
) -> str:
    """`cert new --app APP --in-entra`: ask Entra to generate a certificate at the next
    `entra apply` (addTokenSigningCertificate). Nothing is made here: Entra makes it and
    keeps its key; apply records its public part (`record_entra_certificate`)."""
    from ssoctl.tenant.docedit import flow_list
    from ssoctl.tenant.keyring import app_set, free_certificate_name

    require_app(loaded.model, app, loaded.path)
    chosen = name or free_certificate_name(loaded, f"{app}-entra-{now:%Y%m%d}")
    if loaded.model.certificate(chosen) is not None:
        raise UsageError(f"a certificate named {chosen!r} already exists.")
    node = app_set(loaded, app)
    pending = node.get("new_in_entra")
    if pending is None:
        node["new_in_entra"] = pending = flow_list([])
    if chosen in [str(n) for n in pending]:
        raise UsageError(f"{chosen!r} is already requested from Entra for {app!r}.")
    pending.append(chosen)
    return chosen


def record_entra_certificate(loaded: LoadedTenant, app: str, name: str, cert_pem: bytes) -> None:
    """What `entra apply` writes back when Entra generated a certificate: its public part
    as certs/NAME.pem (no key: Entra keeps it), in the keyring and in the app's set,
    inactive; the request is done."""
    from ruamel.yaml.comments import CommentedSeq

    from ssoctl.tenant.docedit import mapping, remove_from_list
    from ssoctl.tenant.keyring import app_set

    relative = f"certs/{name}.pem"
    loaded.files.put(loaded.beside(relative), cert_pem, 0o644)
    section(loaded.doc, "certificates", CommentedSeq).append(
        mapping({"name": name, "cert": relative})
    )
    node = app_set(loaded, app)
    node["certificates"].append(name)
    remove_from_list(node.get("new_in_entra"), name)
    if not node.get("new_in_entra"):
        node.pop("new_in_entra", None)
