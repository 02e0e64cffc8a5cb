"""`ssoctl gallery list|show`."""

from __future__ import annotations

from typing import Any

import typer

from ssoctl.cli.common import FORMAT_OPTION, DataFormat, emit_json, new_typer, out

app = new_typer("Browse the app templates (RingCentral, Mitel Connect, custom).")


@app.command("list")
def list_templates(fmt: DataFormat = FORMAT_OPTION) -> None:
    """List the gallery's app templates."""
    from ssoctl.tenant import gallery

    rows: list[dict[str, Any]] = [
        {
            "name": t.name,
            "display_name": t.display_name,
            "sso_mode": t.sso_mode,
            "variant_kind": t.variant_kind,
            "variants": list(t.variants),
            "provisioning": t.provisioning.supported,
            "clouds": list(t.clouds),
        }
        for t in gallery.templates().values()
    ]
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(rows, "templates", shape=outputs.GalleryList)
        return
    from ssoctl.cli.table import print_table

    print_table(
        ["name", "app", "SSO mode", "regions / platforms", "provisioning", "clouds"],
        [
            [
                r["name"],
                r["display_name"],
                r["sso_mode"],
                ", ".join(r["variants"]) or "-",
                "SCIM" if r["provisioning"] else "-",
                ", ".join(r["clouds"]),
            ]
            for r in rows
        ],
    )


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Template name, e.g. ringcentral."),
    fmt: DataFormat = FORMAT_OPTION,
) -> None:
    """Show a template: endpoints per region or platform, claims, user matching."""
    import msgspec

    from ssoctl.tenant import gallery

    data = msgspec.to_builtins(gallery.get(name))
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(data, "template", shape=outputs.GalleryShow)
        return
    _print_template(data)


def _print_template(t: dict[str, Any]) -> None:
    console = out()
    console.print(f"{t['display_name']} ({t['name']})", style="bold", markup=False)
    console.print(t["description"], markup=False)
    console.print(f"SSO mode: {t['sso_mode']}   clouds: {', '.join(t['clouds'])}", markup=False)
    prov = t["provisioning"]
    console.print(
        "Provisioning: "
        + (
            f"{prov['protocol']} {prov.get('note') or ''}" if prov["supported"] else "not supported"
        ),
        markup=False,
    )
    for vname, v in t["variants"].items():
        console.print(f"\n{t['variant_kind']} {vname}: {v['description']}", markup=False)
        for label, key in (("Identifier", "identifiers"), ("Reply URL", "reply_urls")):
            for value in v[key]:
                console.print(f"  {label}: {value}", markup=False)
        for label, key in (
            ("Identifier pattern", "identifier_patterns"),
            ("Reply URL pattern", "reply_url_patterns"),
            ("Sign-on URL choice", "sign_on_urls"),
        ):
            for value in v.get(key) or []:
                console.print(f"  {label}: {value}", markup=False)
        if v.get("user_matching"):
            console.print(f"  User matching: {v['user_matching']['note']}", markup=False)
    for claim, source in t["required_claims"].items():
        console.print(f"\nRequired claim: {claim} <- {source}", markup=False)
    nid = t["name_id"]
    console.print(f"NameID: {nid['source']} as {nid['format']}", markup=False)
    for line in t["notes"]:
        console.print(f"Note: {line}", markup=False)
