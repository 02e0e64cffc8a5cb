"""`ssoctl app add|list|show|remove|assign|unassign`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ssoctl.cli.common import (
    FORMAT_OPTION,
    DataFormat,
    edit_tenant,
    emit_json,
    load_tenant,
    new_typer,
    note,
    out,
)

if TYPE_CHECKING:
    from ssoctl.tenant import LoadedTenant

app = new_typer("Add, show and assign SAML apps.")


@app.command("add")
def add(
    template: str = typer.Argument(
        ..., help="Gallery template: ringcentral, mitel-connect, custom."
    ),
    name: str | None = typer.Option(None, "--name", help="App name in the tenant file."),
    region: str | None = typer.Option(None, "--region", help="Region (RingCentral: us, euro)."),
    platform: str | None = typer.Option(
        None, "--platform", help="Platform (Mitel Connect: micloud, cloudlink)."
    ),
    identifier: str | None = typer.Option(None, "--identifier", help="Identifier (Entity ID)."),
    reply_url: list[str] = typer.Option([], "--reply-url", help="Reply URL (ACS); repeatable."),
    sign_on_url: str | None = typer.Option(None, "--sign-on-url", help="Sign-on URL."),
    relay_state: str | None = typer.Option(None, "--relay-state", help="Relay State."),
    logout_url: str | None = typer.Option(None, "--logout-url", help="Logout URL."),
    app_id: str | None = typer.Option(None, "--app-id", help="Application (client) ID."),
) -> None:
    """Add an app from the gallery; Identifier and Reply URL come from it where known."""
    from ruamel.yaml.comments import CommentedMap

    from ssoctl.apps import AppRequest, build_entry
    from ssoctl.docedit import section
    from ssoctl.errors import UsageError
    from ssoctl.model import is_guid

    if app_id is not None and not is_guid(app_id):
        raise UsageError(f"--app-id {app_id!r} is not a GUID.")
    request = AppRequest(
        template=template,
        name=name,
        region=region,
        platform=platform,
        identifier=identifier,
        reply_urls=tuple(reply_url),
        sign_on_url=sign_on_url,
        relay_state=relay_state,
        logout_url=logout_url,
        app_id=app_id,
    )

    def change(loaded: LoadedTenant) -> str:
        app_name, entry = build_entry(request, loaded.model)
        section(loaded.doc, "apps", CommentedMap)[app_name] = entry
        return app_name

    added = edit_tenant(change)
    note(
        f"added app {added!r}; next: `ssoctl app assign {added} UPN` and `ssoctl app show {added}`"
    )


@app.command("list")
def list_apps(fmt: DataFormat = FORMAT_OPTION) -> None:
    """List the tenant's apps."""
    loaded = load_tenant()
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "template": a.template,
            "variant": a.region or a.platform,
            "identifier": a.identifiers[0],
            "reply_url": a.reply_urls[0],
            "assignments": len(a.assignments),
        }
        for name, a in loaded.model.apps.items()
    ]
    if fmt is DataFormat.json:
        emit_json(rows)
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
                r["identifier"],
                r["reply_url"],
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
    from ssoctl.apps import portal_view

    loaded = load_tenant()
    require_app(loaded, name)
    view = portal_view(loaded.model, name, certificate_summary(loaded, name))
    if fmt is DataFormat.json:
        emit_json(view)
        return
    _print_view(view)


def certificate_summary(loaded: LoadedTenant, name: str) -> dict[str, Any] | None:
    """The app's active certificate as Entra shows it, or None before certificates exist."""
    from ssoctl.keyring import active_certificate, check_keys, signing_set

    check_keys(loaded)  # a key that does not match its certificate is an error
    found = active_certificate(loaded, name)
    if found is None:
        return None
    return found.summary(sset=signing_set(loaded, name), include_base64=True)


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
    row("Identifier (Entity ID)", b["identifier"])
    row("Reply URL (ACS URL)", b["reply_url"])
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
    row("Microsoft Entra Identifier", s["microsoft_entra_identifier"])
    row("Logout URL", s["logout_url"])
    row("App Federation Metadata Url", s["app_federation_metadata_url"])
    cert = v["certificate"]
    if cert:
        row("Certificate", f"{cert['name']} ({cert['status']}, expires {cert['not_after']})")
        row("Thumbprint (SHA-1)", cert["thumbprint_sha1"])
        console.print("  Certificate (Base64):", markup=False)
        console.print(cert["base64"], markup=False)
    else:
        row("Certificate", "none yet: `ssoctl cert new --activate`")
    for step in s["steps"]:
        console.print(f"  - {step}", markup=False)
    claims = v["claims"]
    console.print("\nClaims:", style="bold", markup=False)
    row("NameID", f"{claims['name_id']['source']} ({claims['name_id']['format']})")
    for claim, source in claims["attributes"].items():
        row(claim.rsplit("/", 1)[-1], f"{source}  [{claim}]")
    row("Assigned", v["assignments"])


def require_app(loaded: LoadedTenant, name: str) -> None:
    from ssoctl.errors import UsageError

    if name not in loaded.model.apps:
        known = ", ".join(loaded.model.apps) or "none"
        raise UsageError(
            f"no app named {name!r} in {loaded.path}; apps: {known}.",
            hint="`ssoctl app list` shows them.",
        )


@app.command("remove")
def remove(name: str = typer.Argument(..., help="App name.")) -> None:
    """Remove an app from the tenant file."""

    def change(loaded: LoadedTenant) -> None:
        require_app(loaded, name)
        del loaded.doc["apps"][name]

    edit_tenant(change)
    note(f"removed app {name!r}")


@app.command("assign")
def assign(
    name: str = typer.Argument(..., help="App name."),
    principals: list[str] = typer.Argument(..., help="UPN or group:NAME; several allowed."),
) -> None:
    """Assign users or groups to an app (gallery apps require assignment: AADSTS50105)."""
    from ssoctl.directory import check_principal
    from ssoctl.docedit import flow_list

    def change(loaded: LoadedTenant) -> list[str]:
        require_app(loaded, name)
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

    added = edit_tenant(change)
    note(f"assigned {', '.join(added)} to {name!r}" if added else "nothing new to assign")


@app.command("unassign")
def unassign(
    name: str = typer.Argument(..., help="App name."),
    principals: list[str] = typer.Argument(..., help="UPN or group:NAME; several allowed."),
) -> None:
    """Remove assignments from an app."""
    from ssoctl.docedit import remove_from_list
    from ssoctl.errors import UsageError

    def change(loaded: LoadedTenant) -> None:
        require_app(loaded, name)
        current = loaded.doc["apps"][name].get("assignments")
        for principal in principals:
            if not remove_from_list(current, principal, casefold=True):
                raise UsageError(f"{principal!r} is not assigned to {name!r}.")

    edit_tenant(change)
    note(f"unassigned {', '.join(principals)} from {name!r}")
