"""`ssoctl metadata export|import|inspect`: IdP metadata out, SP metadata in."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ssoctl.cli.common import key_passphrase, load_tenant, new_typer, note, parse_now

app = new_typer("IdP metadata for the SP; the SP's metadata into the tenant file.")


@app.command("export")
def export(
    app_name: str | None = typer.Option(
        None, "--app", help="The app's certificates (default: tenant set)."
    ),
    out_path: Path | None = typer.Option(None, "--out", "-o", help="Write to this file."),
    no_sign: bool = typer.Option(False, "--no-sign", help="Leave the metadata unsigned."),
    now_text: str | None = typer.Option(None, "--now", help="Instant (ISO time); fixes the ID."),
) -> None:
    """Write IdP federation metadata shaped like Entra's, signed by the active certificate.

    KeyDescriptors: the active certificate first, then the set's other unexpired ones,
    so the SP learns the next certificate before a rollover.
    """
    from ssoctl import keyring
    from ssoctl.cli.app_cmd import require_app
    from ssoctl.endpoints import idp_endpoints
    from ssoctl.errors import InvalidInputError
    from ssoctl.saml.metadata import IdpMetadataInput, signed_idp_metadata

    loaded = load_tenant()
    if app_name is not None:
        require_app(loaded, app_name)
    now = parse_now(now_text)
    entries = keyring.metadata_certificates(loaded, app_name, now)
    if not entries:
        where = f"app {app_name!r}" if app_name else "the tenant default set"
        raise InvalidInputError(
            f"{where} has no valid signing certificate at {now:%Y-%m-%dT%H:%M:%SZ}.",
            hint="create one with `ssoctl cert new --activate"
            + (f" --app {app_name}`." if app_name else "`."),
        )
    model = loaded.model
    app_id = str(model.apps[app_name].app_id) if app_name else None
    endpoints = idp_endpoints(str(model.tenant.id), model.tenant.cloud, app_id)
    key = None if no_sign else keyring.private_key(loaded, entries[0].name, key_passphrase)
    data = IdpMetadataInput(endpoints, [e.cert for e in entries], now, app_name or "")
    xml_bytes = signed_idp_metadata(data, key)
    if out_path is None:
        sys.stdout.buffer.write(xml_bytes)
        sys.stdout.flush()
        return
    from ssoctl.tenant import write_atomic

    write_atomic(out_path, xml_bytes, mode=0o644)
    note(
        f"wrote {out_path} ({len(entries)} signing certificate"
        f"{'s' if len(entries) > 1 else ''}, signed by {entries[0].name})"
        if key
        else f"wrote {out_path} (unsigned)"
    )
