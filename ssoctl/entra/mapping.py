"""Live Entra in the tenant file's terms: which gallery template an app came from, the
file's name for it, and each app's comparable settings from either side."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ssoctl.entra.live import LiveApp, LiveTenant
from ssoctl.tenant import gallery
from ssoctl.tenant.model import App, SigningSet, Tenant

# Entra's template for non-gallery ("custom") apps (MGD applicationtemplate-instantiate.md).
NON_GALLERY_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
# Gallery template IDs per ssoctl template. RingCentral's and Mitel's are UNCONFIRMED (no
# source shows them, entra-graph.md A7): empty until one live lookup confirms them; the
# identifiers recognise those apps meanwhile.
GALLERY_TEMPLATE_IDS: dict[str, str] = {NON_GALLERY_TEMPLATE_ID: "custom"}


@dataclass(frozen=True)
class Recognised:
    template: str
    variant: str | None
    certain: bool  # from the template ID or a gallery Identifier, not a guess


def recognise(app: LiveApp) -> Recognised:
    """The template: from `applicationTemplateId` where ssoctl knows it, else from the
    gallery's Identifiers (and patterns), else `custom`."""
    by_id = GALLERY_TEMPLATE_IDS.get((app.template_id or "").lower())
    identifiers = [i.rstrip("/").lower() for i in app.identifiers]
    for template in gallery.templates().values():
        for name, variant in template.variants.items():
            known = [i.lower() for i in variant.identifiers + variant.legacy_identifiers]
            if any(i in known for i in identifiers):
                return Recognised(template.name, name, True)
            patterns = template.identifier_patterns_for(variant)
            specific = [p for p in patterns if not p.startswith("https://{host}")]
            if specific and any(gallery.matches(i, specific) for i in app.identifiers):
                return Recognised(template.name, name, True)
    if by_id is not None:
        return Recognised(by_id, None, True)
    for template in gallery.templates().values():
        if template.display_name.lower() == app.display_name.strip().lower():
            return Recognised(template.name, _variant_by_sign_on(template, app), False)
    return Recognised("custom", None, False)


def _variant_by_sign_on(template: gallery.Template, app: LiveApp) -> str | None:
    for name, variant in template.variants.items():
        if app.sign_on_url and app.sign_on_url in template.sign_on_urls_for(variant):
            return name
    return template.default_variant


def file_name_for(app: LiveApp, tenant: Tenant, taken: set[str]) -> str:
    """The tenant file's key for a live app: the app with this Application ID, else the
    one with these Identifiers, else a new name from the display name."""
    for name, entry in tenant.apps.items():
        if entry.app_id is not None and str(entry.app_id).lower() == app.app_id.lower():
            return name
    live_ids = {i.lower() for i in app.identifiers}
    for name, entry in tenant.apps.items():
        if entry.app_id is None and live_ids & {i.lower() for i in entry.identifiers}:
            return name
    base = slug(app.display_name) or "app"
    chosen, n = base, 1
    while chosen in taken or chosen in tenant.apps:
        n += 1
        chosen = f"{base[:60]}-{n}"
    return chosen


def slug(text: str) -> str:
    """A tenant-file name (letters, digits, '.', '_', '-'; 64 at most) from a display name."""
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower()).strip("-._")
    return cleaned[:64].rstrip("-._")


@dataclass(frozen=True)
class Settings:
    """One app's settings as `plan` compares them, in the tenant file's terms. A field
    that could not be read live is None."""

    template: str | None
    app_id: str | None
    identifiers: list[str] | None
    reply_urls: list[str] | None
    sign_on_url: str | None
    relay_state: str | None
    logout_url: str | None
    notification_emails: list[str]
    name_id: tuple[str, str] | None  # (source, format)
    claims: dict[str, str] | None
    certificates: list[str] | None  # thumbprints
    active: str | None  # thumbprint
    assignments: list[str] | None  # UPNs (lower case) and group:NAME
    encryption: str | None = None  # thumbprint of the token-encryption certificate in use


def live_settings(app: LiveApp, live: LiveTenant, tenant: Tenant) -> Settings:
    claims_read = app.claims.state in ("custom", "default")
    if app.claims.state == "default":
        from ssoctl.tenant.model import ENTRA_DEFAULT_CLAIMS

        name_id: tuple[str, str] | None = ("user.userprincipalname", "emailAddress")
        claims: dict[str, str] | None = dict(ENTRA_DEFAULT_CLAIMS)
    elif claims_read:
        name_id = (
            app.claims.name_id_source or "user.userprincipalname",
            app.claims.name_id_format or "emailAddress",
        )
        claims = dict(app.claims.claims or {})
    else:
        name_id, claims = None, None
    return Settings(
        template=recognise(app).template,
        app_id=app.app_id.lower(),
        identifiers=list(app.identifiers) if app.app_object_id else None,
        reply_urls=list(app.reply_urls) if app.app_object_id else None,
        sign_on_url=app.sign_on_url,
        relay_state=app.relay_state,
        logout_url=app.logout_url,
        notification_emails=[e.lower() for e in app.notification_emails],
        name_id=name_id,
        claims=claims,
        certificates=[c.thumbprint for c in app.certificates if c.thumbprint]
        if app.certificates_read
        else None,
        active=app.active_thumbprint,
        assignments=principals(app, live, tenant),
        encryption=app.encryption.thumbprint if app.encryption else None,
    )


def principals(app: LiveApp, live: LiveTenant, tenant: Tenant) -> list[str]:
    """The app's assignments as the file writes them: UPNs and group:NAME."""
    out = []
    for principal in app.assignments:
        if principal.kind == "User":
            user = live.users.get(principal.id)
            out.append(user.upn.lower() if user else f"(user {principal.id})")
        elif principal.kind == "Group":
            out.append("group:" + group_name(principal.id, live, tenant))
    return out


def group_name(object_id: str, live: LiveTenant, tenant: Tenant) -> str:
    for group in tenant.groups:
        if group.object_id is not None and str(group.object_id).lower() == object_id.lower():
            return group.name
    found = live.groups.get(object_id)
    return slug(found.display_name) if found and slug(found.display_name) else object_id


def file_settings(
    entry: App,
    signing: SigningSet | None,
    thumbprints: dict[str, str],
    encryption: str | None = None,
) -> Settings:
    """`signing`: the app's set (its own, or the tenant default it uses); `thumbprints`:
    the keyring's certificate names to thumbprints; `encryption`: the thumbprint of the
    app's token-encryption certificate file."""
    names = list(signing.certificates) if signing else []
    return Settings(
        template=entry.template,
        app_id=str(entry.app_id).lower() if entry.app_id else None,
        identifiers=list(entry.identifiers),
        reply_urls=list(entry.reply_urls),
        sign_on_url=entry.sign_on_url,
        relay_state=entry.relay_state,
        logout_url=entry.logout_url,
        notification_emails=[e.lower() for e in entry.notification_emails],
        name_id=(entry.name_id.source, entry.name_id.format),
        claims=entry.effective_claims(),
        certificates=[thumbprints[n] for n in names if n in thumbprints]
        + [f"(new in Entra: {n})" for n in (signing.new_in_entra if signing else [])],
        active=thumbprints.get(signing.active) if signing and signing.active else None,
        assignments=[p.lower() if not p.startswith("group:") else p for p in entry.assignments],
        encryption=encryption,
    )
