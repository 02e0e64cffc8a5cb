"""`ssoctl init`."""

from __future__ import annotations

import os
from enum import Enum

import typer

from ssoctl.cli.common import KEY_PASSPHRASE_ENV, checked, note, parse_now, tenant_path


class Cloud(str, Enum):
    public = "public"
    usgov = "usgov"


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    tenant_id: str = typer.Option(..., "--tenant-id", help="Directory (tenant) ID, a GUID."),
    domain: str = typer.Option(
        ..., "--domain", help="Primary domain, e.g. contoso.com.", callback=checked("domain")
    ),
    cloud: Cloud = typer.Option(Cloud.public, "--cloud", help="Entra cloud instance."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing tenant file."),
    no_cert: bool = typer.Option(False, "--no-cert", help="Do not create a signing certificate."),
) -> None:
    """Write a commented tenant file with a first, active signing certificate.

    Refuses to overwrite an existing file without --force. The key is encrypted when
    $SSOCTL_KEY_PASSPHRASE is set.
    """
    import secrets

    from ssoctl.errors import UsageError
    from ssoctl.tenant import NewCertificate, create_tenant_folder
    from ssoctl.tenant.model import is_guid

    path = tenant_path()
    if not is_guid(tenant_id):
        raise UsageError(
            f"--tenant-id {tenant_id!r} is not a GUID.",
            hint="copy the Directory (tenant) ID from Entra's Overview page.",
        )
    if path.exists() and not force:
        raise UsageError(f"{path} already exists.", hint="pass --force to overwrite it.")
    now = parse_now(None)
    certificate = None
    if not no_cert:
        from ssoctl import certs

        key, cert = certs.generate(now=now)
        passphrase = os.environ.get(KEY_PASSPHRASE_ENV, "").encode() or None
        certificate = NewCertificate(key, cert, passphrase)
    created = create_tenant_folder(
        path, tenant_id=tenant_id.lower(), domain=domain, cloud=cloud.value,
        certificate=certificate, pairwise_secret_hex=secrets.token_hex(32), now=now,
    )  # fmt: skip
    if created.certificate is not None:
        note(
            f"created signing certificate {created.certificate} (active), key {created.key} "
            "(mode 0600; keep it out of git)"
        )
    note(f"wrote {path} and {created.schema.name} (its schema, for editors)")
    if created.gitignore is not None:
        note(
            f"{'extended' if created.gitignore_existed else 'wrote'} {created.gitignore}: "
            "private keys (*.key) and PFX files (*.pfx) stay out of git"
        )
