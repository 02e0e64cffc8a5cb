"""`ssoctl init`."""

from __future__ import annotations

import os
from enum import Enum

import typer

from ssoctl.cli.common import checked, note, tenant_path


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
    from ssoctl import tenant
    from ssoctl.errors import UsageError
    from ssoctl.tenant import tenant_text
    from ssoctl.tenant.model import is_guid

    path = tenant_path()
    if not is_guid(tenant_id):
        raise UsageError(
            f"--tenant-id {tenant_id!r} is not a GUID.",
            hint="copy the Directory (tenant) ID from Entra's Overview page.",
        )
    if path.exists() and not force:
        raise UsageError(f"{path} already exists.", hint="pass --force to overwrite it.")
    from ssoctl.files import read_beside, real_target, write_atomic

    target = real_target(path)
    previous = read_beside(target, "tenant file", tenant.MAX_TENANT_BYTES)
    import json

    from ssoctl.tenant import SCHEMA_FILE, gitignore_text, json_schema

    ignore_path = target.parent / ".gitignore"
    ignore_bytes = read_beside(ignore_path, ".gitignore")
    ignore_before = ignore_bytes.decode("utf-8", "replace") if ignore_bytes is not None else None
    schema_path = target.parent / SCHEMA_FILE
    schema_before = read_beside(schema_path, "schema copy")
    from ssoctl.tenant import PAIRWISE_SECRET, pairwise_secret

    secret_path = target.parent / PAIRWISE_SECRET
    secret_existed = os.path.lexists(secret_path)
    tenant.create(path, tenant_text(tenant_id.lower(), domain, cloud.value))
    try:
        new_ignore = gitignore_text(ignore_before)
        if new_ignore is not None:
            write_atomic(ignore_path, new_ignore.encode("utf-8"), mode=0o644, root=target.parent)
        schema_text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
        write_atomic(schema_path, schema_text.encode("utf-8"), mode=0o644, root=target.parent)
        _first_certificate(no_cert)
        pairwise_secret(tenant.load(path))  # for persistent NameIDs; 0600, kept out of git
    except BaseException:
        if not secret_existed:
            secret_path.unlink(missing_ok=True)
        # A failed init leaves what was there before: the old files, or none.
        for written, before in ((target, previous), (schema_path, schema_before)):
            if before is None:
                written.unlink(missing_ok=True)
            else:
                write_atomic(written, before)
        if ignore_before is None:
            ignore_path.unlink(missing_ok=True)
        else:
            write_atomic(ignore_path, ignore_before.encode("utf-8"))
        raise
    note(f"wrote {path} and {schema_path.name} (its schema, for editors)")
    if new_ignore is not None:
        note(
            f"{'extended' if ignore_before else 'wrote'} {ignore_path}: private keys (*.key) "
            "and PFX files (*.pfx) stay out of git"
        )


def _first_certificate(no_cert: bool) -> None:
    if not no_cert:
        import os

        from ssoctl import certs
        from ssoctl.cli.common import KEY_PASSPHRASE_ENV, parse_now, register_certificate

        now = parse_now(None)
        key, cert = certs.generate(now=now)
        passphrase = os.environ.get(KEY_PASSPHRASE_ENV, "").encode() or None
        result = register_certificate(
            key, cert, name=None, app_name=None, activate=True, passphrase=passphrase, now=now
        )
        note(
            f"created signing certificate {result.name} (active), key {result.key} "
            "(mode 0600; keep it out of git)"
        )
