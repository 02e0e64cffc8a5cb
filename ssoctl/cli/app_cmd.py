"""`ssoctl app add|list|show|remove|assign|unassign`."""

from __future__ import annotations

from functools import partial
from typing import Any

import typer

from ssoctl.cli import options
from ssoctl.cli.common import (
    FORCE_EDIT_OPTION,
    FORMAT_OPTION,
    DataFormat,
    checked,
    complete_variants,
    edit_tenant,
    emit_json,
    load_tenant,
    new_typer,
    note,
    out,
    parse_now,
    warn_if_invalid,
)

app = new_typer("Add, show and assign SAML apps.")
claim_app = new_typer("An app's Attributes & Claims, as in Entra.")
app.add_typer(claim_app, name="claim")


@claim_app.command("list")
def claim_list(
    name: str = typer.Argument(..., help="App name."), fmt: DataFormat = FORMAT_OPTION
) -> None:
    """The claims Entra sends for the app, in order, after the five it always sends."""
    from ssoctl.tenant import claim_rows, require_app

    loaded = load_tenant()
    require_app(loaded.model, name, loaded.path)
    found = claim_rows(loaded.model, name)
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(found, "claims", shape=outputs.ClaimList)
        return
    from ssoctl.cli.table import print_table

    print_table(
        ["claim", "source", "note"],
        [
            [
                r["claim"],
                r["source"],
                "required by the template" if r["required_by_template"] else
                ("Entra default" if r["entra_default"] else ""),
            ]
            for r in found
        ],
    )  # fmt: skip


@claim_app.command("set")
def claim_set(
    name: str = typer.Argument(..., help="App name."),
    claim: str = typer.Argument(
        ..., help="Claim: givenname, surname, emailaddress, name, or a URI."
    ),
    source: str = typer.Argument(..., help="Source attribute, e.g. user.mail."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Add a claim or change its source (Entra: Attributes & Claims > Edit)."""
    from ssoctl.tenant import set_app_claim

    change = partial(set_app_claim, name=name, claim=claim, source=source)
    changed = edit_tenant(change, force=force)
    note(f"{name}: {claim} = {source}" if changed else "nothing changed")


@claim_app.command("remove")
def claim_remove(
    name: str = typer.Argument(..., help="App name."),
    claim: str = typer.Argument(
        ..., help="Claim: givenname, surname, emailaddress, name, or a URI."
    ),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Remove a claim (claims the template requires cannot be removed)."""
    from ssoctl.tenant import remove_app_claim

    edit_tenant(partial(remove_app_claim, name=name, claim=claim), force=force)
    note(f"{name}: removed {claim}")


# The gallery's values complete in the shell; for `app set`, the gallery's Identifier,
# Reply URL and Sign-on URL follow a new region or platform (see `app set --help`).
REGION_OPTION = typer.Option(
    None,
    "--region",
    autocompletion=complete_variants("region"),
    help="Region (RingCentral: us, euro).",
)
PLATFORM_OPTION = typer.Option(
    None,
    "--platform",
    autocompletion=complete_variants("platform"),
    help="Platform (Mitel Connect: micloud, cloudlink).",
)


@app.command("add")
def add(
    template: str = typer.Argument(
        ..., help="Gallery template: ringcentral, mitel-connect, custom."
    ),
    name: str | None = typer.Option(
        None, "--name", help="App name in the tenant file.", callback=checked("name")
    ),
    region: str | None = REGION_OPTION,
    platform: str | None = PLATFORM_OPTION,
    identifier: str | None = typer.Option(None, "--identifier", help="Identifier (Entity ID)."),
    reply_url: list[str] = typer.Option([], "--reply-url", help="Reply URL (ACS); repeatable."),
    sign_on_url: str | None = typer.Option(None, "--sign-on-url", help="Sign-on URL."),
    relay_state: str | None = typer.Option(None, "--relay-state", help="Relay State."),
    logout_url: str | None = typer.Option(None, "--logout-url", help="Logout URL."),
    app_id: str | None = typer.Option(
        None, "--app-id", help="Application ID Entra assigned (the app's Overview page)."
    ),
    certificate: str | None = typer.Option(
        None, "--certificate", help="Share this keyring certificate instead of a new one."
    ),
    no_certificate: bool = typer.Option(
        False, "--no-certificate", help="No certificate yet (you will import Entra's own)."
    ),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Add an app from the gallery; Identifier and Reply URL come from it where known.

    As in Entra, the app gets its own signing certificate set with a fresh certificate
    (Entra's profile; key 0600). --certificate NAME shares one on purpose;
    --no-certificate leaves the set empty for Entra's own (`ssoctl cert import --cert`).
    """
    from ssoctl.errors import UsageError
    from ssoctl.tenant import AppRequest, NewCertificate, add_app
    from ssoctl.tenant.model import is_guid

    if app_id is not None and not is_guid(app_id):
        raise UsageError(f"--app-id {app_id!r} is not a GUID.")
    options.not_both("--certificate", certificate is not None, "--no-certificate", no_certificate)
    request = AppRequest(
        template=template, name=name, region=region, platform=platform, identifier=identifier,
        reply_urls=tuple(reply_url), sign_on_url=sign_on_url, relay_state=relay_state,
        logout_url=logout_url, app_id=app_id,
    )  # fmt: skip
    now = parse_now(None)
    fresh = None
    if certificate is None and not no_certificate:
        import os

        from ssoctl import certs
        from ssoctl.cli.common import KEY_PASSPHRASE_ENV

        key, cert = certs.generate(now=now)
        fresh = NewCertificate(key, cert, os.environ.get(KEY_PASSPHRASE_ENV, "").encode() or None)
    change = partial(add_app, request=request, shared_certificate=certificate, fresh=fresh, now=now)
    added = edit_tenant(change, force=force)
    name = added.app
    for warning in added.warnings:
        note(f"warning: {warning}")
    if fresh is not None:
        note(
            f"added app {name!r} with its own signing certificate {added.certificate} "
            f"(active, thumbprint {added.thumbprint})"
        )
    elif certificate is not None:
        note(f"added app {name!r}, signing with the shared certificate {certificate}")
    else:
        note(
            f"added app {name!r} with no signing certificate yet; import Entra's: "
            f"`ssoctl cert import --cert FILE --app {name} --activate`"
        )
    note(f"next: `ssoctl app assign {name} UPN` and `ssoctl app show {name}`")


@app.command("set")
def set_cmd(
    name: str = typer.Argument(..., help="App name."),
    app_id: str | None = typer.Option(
        None, "--app-id", help="Application ID Entra assigned (the app's Overview page)."
    ),
    identifier: list[str] = typer.Option(
        [], "--identifier", help="Identifier (Entity ID); repeatable, replaces the list."
    ),
    reply_url: list[str] = typer.Option(
        [], "--reply-url", help="Reply URL (ACS); repeatable, replaces the list."
    ),
    sign_on_url: str | None = typer.Option(None, "--sign-on-url", help='Sign-on URL ("" clears).'),
    relay_state: str | None = typer.Option(None, "--relay-state", help='Relay State ("" clears).'),
    logout_url: str | None = typer.Option(None, "--logout-url", help='Logout URL ("" clears).'),
    region: str | None = REGION_OPTION,
    platform: str | None = PLATFORM_OPTION,
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Change an app's Basic SAML Configuration, region, platform or Application ID.

    Each value is checked as `app add` checks it.

    With --region or --platform, the gallery's Identifier, Reply URL and Sign-on URL
    for it replace the old region's; values set by hand stay (and are checked)."""
    from ssoctl.tenant import AppChanges, set_app

    changes = AppChanges(
        app_id=app_id,
        identifiers=tuple(identifier),
        reply_urls=tuple(reply_url),
        sign_on_url=sign_on_url,
        relay_state=relay_state,
        logout_url=logout_url,
        region=region,
        platform=platform,
    )

    changed, warnings = edit_tenant(partial(set_app, name=name, changes=changes), force=force)
    for warning in warnings:
        note(f"warning: {warning}")
    note(f"updated {name!r}: {', '.join(changed)}" if changed else "nothing changed")


@app.command("list")
def list_apps(fmt: DataFormat = FORMAT_OPTION) -> None:
    """List the tenant's apps."""
    loaded = load_tenant()
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "template": a.template,
            "variant": a.region or a.platform,
            "identifier": a.identifiers[0] if a.identifiers else None,
            "reply_url": a.reply_urls[0] if a.reply_urls else None,
            "assignments": len(a.assignments),
        }
        for name, a in loaded.model.apps.items()
    ]
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(rows, "apps", shape=outputs.AppList)
        return
    if not rows:
        note("no apps yet; add one with `ssoctl app add ringcentral --region us`.")
        return
    from ssoctl.cli.table import print_table

    print_table(
        ["name", "template", "region/platform", "Identifier", "Reply URL", "assigned"],
        [
            [
                r["name"],
                r["template"],
                r["variant"] or "-",
                r["identifier"] or "(missing: app-incomplete)",
                r["reply_url"] or "(missing: app-incomplete)",
                str(r["assignments"]),
            ]
            for r in rows
        ],
    )


@app.command("show")
def show(
    name: str = typer.Argument(..., help="App name."),
    fmt: DataFormat = FORMAT_OPTION,
) -> None:
    """What to paste into Entra's Basic SAML Configuration and into the SP's portal."""
    from ssoctl.tenant import (
        check_keys,
        encryption_summary,
        portal_view,
        require_app,
        set_summaries,
    )

    loaded = load_tenant()
    require_app(loaded.model, name, loaded.path)
    check_keys(loaded)  # a key that does not match its certificate is an error
    warn_if_invalid(loaded)
    now = parse_now(None)
    view = portal_view(
        loaded.model, name, set_summaries(loaded, name, now), encryption_summary(loaded, name, now)
    )
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(view, shape=outputs.AppShow)
        return
    _print_view(view)


def _print_view(v: dict[str, Any]) -> None:
    console = out()

    def row(label: str, value: Any) -> None:
        if isinstance(value, list):
            value = ", ".join(value) if value else None
        console.print(f"  {label:<30} {value if value else '(empty)'}", markup=False)

    variant = v["region"] or v["platform"]
    console.print(
        f"{v['app']}: {v['display_name']}{f' ({variant})' if variant else ''}, {v['sso_mode']}",
        style="bold",
        markup=False,
    )
    console.print(
        "\nIn Entra > Enterprise apps > Single sign-on > Basic SAML Configuration:",
        style="bold",
        markup=False,
    )
    b = v["entra_basic_saml_configuration"]
    row("Identifier (Entity ID)", b["identifier"] or f"(missing: {v['unknown'].get('identifier')})")
    row("Reply URL (ACS URL)", b["reply_url"] or f"(missing: {v['unknown'].get('reply_url')})")
    row("Sign on URL", b["sign_on_url"])
    row("Relay State", b["relay_state"])
    row("Logout Url", b["logout_url"])
    console.print(
        f"\nIn {v['display_name']}'s admin portal (from Entra's \"Set up\" section):",
        style="bold",
        markup=False,
    )
    s = v["sp_portal"]
    row("Login URL", s["login_url"])
    entra_id = s["microsoft_entra_identifier"]
    if "microsoft_entra_identifier" in v["unconfirmed"]:
        entra_id += "  (UNCONFIRMED, see below)"
    row("Microsoft Entra Identifier", entra_id)
    row("Logout URL", s["logout_url"])
    if s["logout_response_issuer"]:
        row("Logout response Issuer", s["logout_response_issuer"])
        console.print(
            f"    {'':<30} Entra signs LogoutResponses with this Issuer, not the Identifier "
            "above: check that the SP accepts it (some refuse it; docs/twin.md).",
            markup=False,
        )
    if s["app_federation_metadata_url"]:
        row("App Federation Metadata Url", s["app_federation_metadata_url"])
    else:
        row("App Federation Metadata Url", f"{s['app_federation_metadata_url_placeholder']}")
        console.print(
            f"    {'':<30} not known yet: {v['unknown']['app_federation_metadata_url']}",
            markup=False,
        )
    for why in v["unconfirmed"].values():
        console.print(f"  Note: the Microsoft Entra Identifier is {why}", markup=False)
    encryption = v["token_encryption"]
    if encryption:
        row(
            "Token encryption",
            f"{encryption['certificate']} [{encryption['status']}], SHA-1 "
            f"{encryption['thumbprint_sha1']}, expires {encryption['not_after'][:10]}",
        )
        console.print(f"    {'':<30} {encryption['step']}", markup=False)
    certificates = v["certificates"]
    if not certificates:
        row("Certificate", f"none yet: `ssoctl cert new --app {v['app']}`")
    for cert in certificates:
        mark = "ACTIVE" if cert["active"] else cert["status"]
        origin = "" if cert["local_key"] else ", Entra's (public only)"
        row(
            "Certificate" if cert is certificates[0] else "",
            f"{cert['name']} [{mark}{origin}], expires {cert['not_after'][:10]}",
        )
        row("  Thumbprint (SHA-1)", cert["thumbprint_sha1"])
        console.print("  Certificate (Base64):", markup=False)
        console.print(cert["base64"], markup=False)
    for step in s["steps"]:
        console.print(f"  - {step}", markup=False)
    claims = v["claims"]
    console.print("\nClaims:", style="bold", markup=False)
    row("NameID", f"{claims['name_id']['source']} ({claims['name_id']['format']})")
    for claim, source in claims["attributes"].items():
        row(claim.rsplit("/", 1)[-1], f"{source}  [{claim}]")
    row("Assigned", v["assignments"])


@app.command("remove")
def remove(
    name: str = typer.Argument(..., help="App name."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Remove an app from the tenant file."""
    from ssoctl.tenant import remove_app

    edit_tenant(partial(remove_app, name=name), force=force)
    note(f"removed app {name!r}")


@app.command("assign")
def assign(
    name: str = typer.Argument(..., help="App name."),
    principals: list[str] = typer.Argument(..., help="UPN or group:NAME; several allowed."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Assign users or groups to an app (gallery apps require assignment: AADSTS50105)."""
    from ssoctl.tenant import assign as assign_principals

    added = edit_tenant(partial(assign_principals, name=name, principals=principals), force=force)
    note(f"assigned {', '.join(added)} to {name!r}" if added else "nothing new to assign")


@app.command("unassign")
def unassign(
    name: str = typer.Argument(..., help="App name."),
    principals: list[str] = typer.Argument(..., help="UPN or group:NAME; several allowed."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Remove assignments from an app."""
    from ssoctl.tenant import unassign as unassign_principals

    edit_tenant(partial(unassign_principals, name=name, principals=principals), force=force)
    note(f"unassigned {', '.join(principals)} from {name!r}")
