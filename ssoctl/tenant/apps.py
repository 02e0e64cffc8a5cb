"""App entries: build one from a gallery template, and describe it for the two portals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ssoctl.endpoints import idp_endpoints
from ssoctl.errors import UsageError
from ssoctl.tenant import gallery
from ssoctl.tenant.model import ENTRA_DEFAULT_CLAIMS, Tenant
from ssoctl.urls import format_problems, https_problem


@dataclass(frozen=True)
class AppRequest:
    """What `app add` was asked for."""

    template: str
    name: str | None = None
    region: str | None = None
    platform: str | None = None
    identifier: str | None = None
    reply_urls: tuple[str, ...] = ()
    sign_on_url: str | None = None
    relay_state: str | None = None
    logout_url: str | None = None
    app_id: str | None = None


def check_url(kind: str, url: str, patterns: list[str] | None = None) -> str | None:
    """Raise a usage error naming the flag when `url` breaks https or format; return a
    warning when it is outside the template's pattern (patterns are hints: no source
    confirms Mitel's, so they never refuse a value)."""
    problem = https_problem(url)
    if problem:
        raise UsageError(f"the {kind} is refused: {problem}.", hint=f"give an https {kind}.")
    found = format_problems(url) if kind == "reply URL" else []
    refused = [p for p in found if not p.discouraged]
    if refused:
        raise UsageError(
            f"the {kind} is refused: {'; '.join(p.text for p in refused)}.",
            hint="; ".join(p.fix for p in refused) + ".",
        )
    # A discouraged value (a wildcard) is accepted, as Entra and validate accept it; the
    # edit prints validate's warning for it (validate.edit_judge).
    if patterns and not gallery.matches(url, patterns):
        return (
            f"the {kind} {url!r} does not match the pattern seen for this app "
            f"({' or '.join(patterns)}); no source confirms it, so check the value in the "
            "SP's admin portal."
        )
    return None


def build_entry(request: AppRequest, tenant: Tenant) -> tuple[str, Any, list[str]]:
    """The name and YAML mapping of a new app, filled from the gallery, and warnings (a
    value outside a pattern, missing values). Raises UsageError."""
    from ssoctl.tenant.docedit import flow_list, mapping  # ruamel: for edits only

    template = gallery.get(request.template)
    if template.variant_kind == "region" and request.platform:
        raise UsageError(f"{template.display_name} has regions, not platforms; use --region.")
    if template.variant_kind == "platform" and request.region:
        raise UsageError(f"{template.display_name} has platforms, not regions; use --platform.")
    if tenant.tenant.cloud not in template.clouds:
        raise UsageError(
            f"{template.display_name} is not in the {tenant.tenant.cloud} cloud's gallery "
            f"(it is in: {', '.join(template.clouds)})."
        )
    variant_name, variant = template.require_variant(request.region or request.platform)
    name = request.name or template.name
    if name in tenant.apps:
        raise UsageError(
            f"an app named {name!r} already exists.",
            hint="choose another with --name, or `ssoctl app remove` the old one first.",
        )

    identifiers = list(variant.identifiers) if variant else []
    reply_urls = list(variant.reply_urls) if variant else []
    warnings: list[str] = []
    if request.identifier:
        warning = check_url_or_identifier(
            request.identifier, template.identifier_patterns_for(variant)
        )
        warnings += [warning] if warning else []
        legacy = variant.legacy_identifiers if variant else []
        if identifiers and request.identifier not in identifiers + legacy:
            raise UsageError(
                f"{request.identifier!r} is not the {variant_name} Identifier of "
                f"{template.display_name}; it is {identifiers[0]!r}.",
                hint="leave --identifier out; it comes from the gallery.",
            )
        identifiers = [request.identifier]
    if request.reply_urls:
        for url in request.reply_urls:
            warning = check_url("reply URL", url, template.reply_url_patterns_for(variant))
            warnings += [warning] if warning else []
            if reply_urls and url not in reply_urls:
                raise UsageError(
                    f"{url!r} is not the {variant_name} Reply URL of {template.display_name}; "
                    f"it is {reply_urls[0]!r}.",
                    hint="leave --reply-url out; it comes from the gallery.",
                )
        reply_urls = list(request.reply_urls)
    # Account-specific values may come later (metadata import, app set): the app is then
    # recorded as incomplete (`app-incomplete`), not refused.
    choices = template.sign_on_urls_for(variant)
    sign_on = request.sign_on_url
    if sign_on:
        check_url("sign-on URL", sign_on)
        if choices and sign_on not in choices:
            raise UsageError(
                f"{sign_on!r} is not a Sign-on URL of {template.display_name} "
                f"{variant_name}; choose one of: {', '.join(choices)}."
            )
    elif template.sso_mode == "sp-initiated" and choices:
        sign_on = choices[0]  # SP-initiated apps need one; the first is the portal default
    if request.logout_url:
        check_url("logout URL", request.logout_url)

    app_id = request.app_id  # Entra assigns it; never invented here
    # Written out, so the file shows what Entra sends: Entra's defaults, then any claim the
    # template requires that they lack.
    claims = mapping({**ENTRA_DEFAULT_CLAIMS, **template.required_claims})
    entry = mapping(
        {
            "template": template.name,
            "region": variant_name if template.variant_kind == "region" else None,
            "platform": variant_name if template.variant_kind == "platform" else None,
            "app_id": app_id,
            "identifiers": flow_list(identifiers),
            "reply_urls": flow_list(reply_urls),
            "sign_on_url": sign_on,
            "relay_state": request.relay_state,
            "logout_url": request.logout_url,
            "name_id": _flow_map(
                {"source": template.name_id.source, "format": template.name_id.format}
            ),
            "claims": claims,
            "assignments": flow_list([]),
        }
    )
    missing = [f for f, v in (("--identifier", identifiers), ("--reply-url", reply_urls)) if not v]
    if missing:
        warnings.append(
            f"app {name!r} is incomplete (no {' and no '.join(missing)}); fill it from the SP: "
            f"`ssoctl metadata import SP-METADATA --app {name}` or `ssoctl app set {name} "
            "--identifier URL --reply-url URL`."
        )
    return name, entry, warnings


@dataclass(frozen=True)
class AppChanges:
    """What `app set` was asked to change; None leaves a field as it is, "" clears an
    optional one."""

    app_id: str | None = None
    identifiers: tuple[str, ...] = ()
    reply_urls: tuple[str, ...] = ()
    sign_on_url: str | None = None
    relay_state: str | None = None
    logout_url: str | None = None
    region: str | None = None
    platform: str | None = None


def _follow_variant(
    entry: Any, template: gallery.Template, old: Any, new: Any, changes: AppChanges
) -> dict[str, Any]:
    """The gallery values that move with a new region or platform: each list or Sign-on
    URL that is empty or was the old variant's gallery value becomes the new one's.
    A value the admin set by hand (or imported) stays; the edit's checks then say if it
    no longer fits."""
    from ssoctl.tenant.docedit import flow_list  # ruamel: for edits only

    moved: dict[str, Any] = {}
    if new is None:
        return moved

    def was_gallery(key: str, old_values: list[str]) -> bool:
        current = [str(v) for v in entry.get(key) or []]
        return not current or (bool(old_values) and set(current) <= set(old_values))

    old_ids = (old.identifiers + old.legacy_identifiers) if old else []
    if new.identifiers and not changes.identifiers and was_gallery("identifiers", old_ids):
        moved["identifiers"] = flow_list(list(new.identifiers))
    old_replies = old.reply_urls if old else []
    if new.reply_urls and not changes.reply_urls and was_gallery("reply_urls", old_replies):
        moved["reply_urls"] = flow_list(list(new.reply_urls))
    old_sign_on = template.sign_on_urls_for(old) if old else []
    new_sign_on = template.sign_on_urls_for(new)
    current = entry.get("sign_on_url")
    follows = not current or current in old_sign_on
    needed = bool(current) or template.sso_mode == "sp-initiated"
    kept = changes.sign_on_url is not None or current in new_sign_on
    if new_sign_on and follows and needed and not kept:
        moved["sign_on_url"] = new_sign_on[0]
    return moved


def set_fields(
    entry: Any, tenant: Tenant, name: str, changes: AppChanges
) -> tuple[list[str], list[str]]:
    """Apply `changes` to the app's round-trip mapping, each value checked as `app add`
    checks it (the gallery's patterns for this app's region or platform); returns the
    keys that changed. Raises UsageError naming the option."""
    from ssoctl.tenant.docedit import flow_list  # ruamel: for edits only
    from ssoctl.tenant.model import is_guid

    app = tenant.apps[name]
    template = gallery.get(app.template)
    variant = template.variant(app.region or app.platform)
    updates: dict[str, Any] = {}
    wanted = changes.region or changes.platform
    if changes.region and changes.platform:
        raise UsageError("give --region or --platform, not both.")
    if wanted is not None:
        kind = "region" if changes.region else "platform"
        if template.variant_kind is not None and template.variant_kind != kind:
            other = template.variant_kind
            raise UsageError(f"{template.display_name} has {other}s, not {kind}s; use --{other}.")
        variant_name, new_variant = template.require_variant(wanted)
        updates[kind] = variant_name
        updates.update(_follow_variant(entry, template, variant, new_variant, changes))
        variant = new_variant
    if changes.app_id is not None:
        if not is_guid(changes.app_id):
            raise UsageError(
                f"--app-id {changes.app_id!r} is not a GUID.",
                hint="copy the Application ID from the enterprise application's Overview page.",
            )
        updates["app_id"] = changes.app_id.lower()
    warnings: list[str] = []
    if changes.identifiers:
        known = (variant.identifiers + variant.legacy_identifiers) if variant else []
        for value in changes.identifiers:
            if known and value not in known:
                raise UsageError(
                    f"--identifier {value!r} is not {template.display_name}'s "
                    f"{app.region or app.platform} Identifier; use one of: {', '.join(known)}.",
                )
            found = check_url_or_identifier(value, template.identifier_patterns_for(variant))
            warnings += [found] if found else []
        updates["identifiers"] = flow_list(list(changes.identifiers))
    if changes.reply_urls:
        for url in changes.reply_urls:
            found = check_url("reply URL", url, template.reply_url_patterns_for(variant))
            warnings += [found] if found else []
        updates["reply_urls"] = flow_list(list(changes.reply_urls))
    optional_urls: list[tuple[str, str | None, str]] = [
        ("sign_on_url", changes.sign_on_url, "sign-on URL"),
        ("logout_url", changes.logout_url, "logout URL"),
    ]
    for key, url_value, kind in optional_urls:
        if url_value:
            check_url(kind, url_value)
        if url_value is not None:
            updates[key] = url_value or None
    if changes.relay_state is not None:
        updates["relay_state"] = changes.relay_state or None
    changed = []
    order = ["template", "region", "platform", "app_id", "identifiers", "reply_urls",
             "sign_on_url", "relay_state", "logout_url"]  # fmt: skip
    for key, value in updates.items():
        current = entry.get(key)
        plain = list(current) if isinstance(current, list) else current
        if plain == (list(value) if isinstance(value, list) else value):
            continue
        changed.append(key)
        if value is None:
            del entry[key]
        elif key in entry:
            entry[key] = value
        else:
            before = [k for k in order[: order.index(key)] if k in entry]
            entry.insert(list(entry.keys()).index(before[-1]) + 1 if before else 0, key, value)
    return changed, warnings


def check_url_or_identifier(value: str, patterns: list[str]) -> str | None:
    """An Identifier may be a URN or any string for custom apps; URLs must be https.
    Returns a warning when the value is outside the template's pattern."""
    if "://" in value or value.startswith("http"):
        return check_url("identifier", value, patterns)
    if patterns and not gallery.matches(value, patterns):
        return (
            f"the identifier {value!r} does not match the pattern seen ({' or '.join(patterns)})."
        )
    return None


def _flow_map(values: dict[str, Any]) -> Any:
    from ssoctl.tenant.docedit import mapping  # ruamel: for edits only

    out = mapping(values)
    out.fa.set_flow_style()
    return out


APP_ID_PLACEHOLDER = "<Application ID>"
APP_ID_STEP = (
    "Entra assigns the Application ID when the enterprise app is created; copy it from the "
    "app's Overview page and run `ssoctl app set {app} --app-id GUID`."
)


def local_app_id(tenant_id: str, app: str) -> str:
    """A stable ID for the twin's own local URLs when Entra's is not recorded yet: uuid5
    of the tenant and the app name. Always labelled local; never shown as Entra's."""
    return str(uuid.uuid5(uuid.UUID(tenant_id), f"ssoctl-twin:{app}"))


def portal_view(
    tenant: Tenant,
    name: str,
    certificates: list[dict[str, Any]],
    token_encryption: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything an admin pastes into Entra and into the SP portal, for one app. Values
    Entra has not given yet are placeholders with the next step, never invented."""
    app = tenant.apps[name]
    template = gallery.get(app.template)
    variant = template.variant(app.region or app.platform)
    tid = str(tenant.tenant.id)
    app_id = str(app.app_id) if app.app_id else None
    idp = idp_endpoints(tid, tenant.tenant.cloud, app_id)
    unknown: dict[str, str] = {}
    metadata_url = idp.app_metadata_url
    if metadata_url is None:
        placeholder = idp_endpoints(tid, tenant.tenant.cloud, APP_ID_PLACEHOLDER).app_metadata_url
        unknown["app_federation_metadata_url"] = APP_ID_STEP.format(app=name)
        unknown["app_id"] = APP_ID_STEP.format(app=name)
    for key in (field.removesuffix("s") for field in app.missing_fields()):
        unknown[key] = (
            f"not set yet: `ssoctl metadata import SP-METADATA --app {name}` or "
            f"`ssoctl app set {name} --{key.replace('_', '-')} URL` (copy it from the SP's portal)"
        )
    unconfirmed: dict[str, str] = {}
    if idp.entity_id_unconfirmed:
        unconfirmed["microsoft_entra_identifier"] = idp.entity_id_unconfirmed
    return {
        "app": name,
        "template": template.name,
        "display_name": template.display_name,
        "sso_mode": template.sso_mode,
        "region": app.region,
        "platform": app.platform,
        "app_id": app_id,
        "entra_basic_saml_configuration": {
            "identifier": list(app.identifiers),
            "reply_url": list(app.reply_urls),
            "sign_on_url": app.sign_on_url,
            "relay_state": app.relay_state,
            "logout_url": app.logout_url,
        },
        "sp_portal": {
            "login_url": idp.login_url,
            "microsoft_entra_identifier": idp.entity_id,
            "logout_url": idp.logout_url,
            "app_federation_metadata_url": metadata_url,
            "app_federation_metadata_url_placeholder": None if metadata_url else placeholder,
            "logout_response_issuer": idp.logout_issuer if app.logout_url else None,
            "steps": template.sp_side_for(variant),
        },
        "certificates": certificates,
        "certificate": next((c for c in certificates if c.get("active")), None),
        "token_encryption": token_encryption,
        "unknown": unknown,
        "unconfirmed": unconfirmed,
        "claims": {
            "name_id": {"source": app.name_id.source, "format": app.name_id.format},
            "attributes": app.effective_claims(),
            "claims_are_entra_defaults": app.claims is None,
        },
        "assignments": list(app.assignments),
    }


def require_app(tenant: Tenant, name: str, where: object = "the tenant file") -> None:
    """A usage error naming the apps there are, unless `name` is one."""
    if name not in tenant.apps:
        known = ", ".join(tenant.apps) or "none"
        raise UsageError(
            f"no app named {name!r} in {where}; apps: {known}.",
            hint="`ssoctl app list` shows them.",
        )
