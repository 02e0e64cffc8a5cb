"""`ssoctl cert new|list|activate|remove|export|import`: Entra's rollover model."""

from __future__ import annotations

import os
import sys
from enum import Enum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ssoctl.cli import options
from ssoctl.cli.common import (
    FORCE_EDIT_OPTION,
    FORMAT_OPTION,
    KEY_PASSPHRASE_ENV,
    PFX_PASSWORD_ENV,
    DataFormat,
    edit_tenant,
    emit_json,
    key_passphrase,
    load_tenant,
    new_typer,
    note,
    parse_now,
    register_certificate,
    secret_from_env_or_prompt,
)

if TYPE_CHECKING:
    from ssoctl.tenant import Registered

app = new_typer("Signing certificates: create, roll over, activate, export.")

APP_OPTION = typer.Option(None, "--app", help="The app's own set (default: the tenant set).")


class ExportFormat(str, Enum):
    base64 = "base64"
    base64_line = "base64-line"
    pem = "pem"
    der = "der"
    pfx = "pfx"


@app.command("new")
def new(
    name: str | None = typer.Option(
        None, "--name", help="Certificate name (default APP-DATE, or sso-DATE without --app)."
    ),
    app_name: str | None = APP_OPTION,
    key_size: int = typer.Option(2048, "--key-size", help="RSA key size: 2048, 3072 or 4096."),
    years: int | None = typer.Option(None, "--years", min=1, max=3, help="Validity, 1-3 years."),
    end_date: str | None = typer.Option(None, "--end-date", help="Last valid day (ISO date)."),
    subject: str = typer.Option(
        "CN=Microsoft Azure Federated SSO Certificate", "--subject", help="Subject DN."
    ),
    activate: bool = typer.Option(False, "--activate", help="Make it the active certificate."),
    encrypt: bool = typer.Option(
        False,
        "--encrypt",
        help=f"Encrypt the key (passphrase from ${KEY_PASSPHRASE_ENV} or a prompt).",
    ),
    now_text: str | None = typer.Option(None, "--now", help="Start of validity (ISO time)."),
    in_entra: bool = typer.Option(
        False,
        "--in-entra",
        help="Have Entra generate it at the next `ssoctl entra apply` (Entra keeps the key).",
    ),
    upload: bool = typer.Option(
        False,
        "--upload",
        help="Upload it with its key to Entra as a PFX at the next `ssoctl entra apply`.",
    ),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Generate a key and a self-signed certificate with Entra's profile, and register it.

    It starts inactive unless --activate is given or its set has no active certificate.
    With --in-entra nothing is made here: Entra generates the certificate at the next
    `ssoctl entra apply`, which records its public part.
    """
    from ssoctl import certs

    options.not_both("--years", years is not None, "--end-date", end_date is not None)
    options.entra_certificate(
        in_entra=in_entra, upload=upload, app=app_name,
        local_options=[flag for flag, given in (("--activate", activate), ("--encrypt", encrypt),
                       ("--years", years is not None), ("--end-date", end_date is not None),
                       ("--key-size", key_size != 2048)) if given],
    )  # fmt: skip
    now = parse_now(now_text)
    if in_entra:
        from functools import partial

        from ssoctl.cli.common import edit_tenant
        from ssoctl.tenant import request_entra_certificate

        assert app_name is not None
        chosen = edit_tenant(
            partial(request_entra_certificate, app=app_name, name=check_name(name, "--name"),
                    now=now),
            force=force, now=now,
        )  # fmt: skip
        note(
            f"requested {chosen} from Entra for {app_name}: `ssoctl entra apply` has Entra "
            "generate it (inactive) and records its public part here."
        )
        return
    not_after = None
    if years is not None:
        not_after = certs.add_years(now.replace(microsecond=0), years)
    elif end_date is not None:
        not_after = parse_now(end_date if "T" in end_date else f"{end_date}T23:59:59Z")
    passphrase = None
    if encrypt or os.environ.get(KEY_PASSPHRASE_ENV):
        passphrase = secret_from_env_or_prompt(
            KEY_PASSPHRASE_ENV, "New key passphrase", confirm=True
        )
    key, cert = certs.generate(now=now, subject=subject, key_size=key_size, not_after=not_after)
    result = register_certificate(
        key,
        cert,
        name=check_name(name, "--name"),
        app_name=app_name,
        activate=activate,
        passphrase=passphrase,
        now=now,
        force=force,
        upload=upload,
    )
    note(
        f"created certificate {result.name} ({result.status}), "
        f"thumbprint {certs.thumbprint_sha1(cert)}; key {result.key} (mode 0600)"
    )
    announce(result)


def announce(result: Registered) -> None:
    """The one line every command that changes an active certificate prints; or, for an
    inactive one, the next step of Entra's rollover."""
    if result.switch is not None:
        note(result.switch.sentence())
    elif result.status == "inactive":
        note(
            f"{result.name} is inactive: give the SP the new metadata, then "
            f"`ssoctl cert activate {result.name}"
            + (f" --app {result.app}`." if result.app else "`.")
        )


def check_name(value: str | None, option: str) -> str | None:
    """A certificate, app or group name (or None), checked before any file is touched (a
    name becomes a file name under certs/: `../x` must never reach the file system)."""
    import re

    from ssoctl.errors import UsageError
    from ssoctl.tenant.model import NAME_PATTERN

    if value is None:
        return None
    if re.search(NAME_PATTERN, value) is None:
        raise UsageError(
            f"{option} {value!r} is not a valid name: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 64 characters."
        )
    return value


@app.command("list")
def list_certs(
    app_name: str | None = APP_OPTION,
    fmt: DataFormat = FORMAT_OPTION,
    now_text: str | None = typer.Option(None, "--now", help="Instant (ISO time)."),
) -> None:
    """Certificates with thumbprints and validity, and their status in each app's set
    (active / inactive / expired), as Entra shows them per app."""
    from ssoctl.tenant import keyring, require_app

    loaded = load_tenant()
    now = parse_now(now_text)
    ring = keyring.entries(loaded)
    keyring.check_keys(loaded)  # a key that does not match its certificate is an error
    if app_name is not None:
        require_app(loaded.model, app_name, loaded.path)
        sset = keyring.signing_set(loaded, app_name)
        names = list(sset.certificates) if sset else []
        rows = [
            {**ring[n].summary(now=now, sset=sset), "used_by": keyring.users_of(loaded, n)}
            for n in names
        ]
    else:
        rows = [
            {
                **entry.summary(now=now),
                "status": entry.validity.state(now),
                "apps": keyring.status_by_set(loaded, n, now),
                "local_key": entry.key_path is not None,
            }
            for n, entry in ring.items()
        ]
    if fmt is DataFormat.json:
        from ssoctl import outputs

        shape = outputs.CertSetList if app_name is not None else outputs.CertList
        emit_json(rows, "certificates", shape=shape)
        return
    if not rows:
        note("no certificates; create one with `ssoctl cert new --activate`.")
        return
    from ssoctl.cli.table import print_table

    if app_name is not None:
        print_table(
            ["name", f"status in {app_name}", "thumbprint (SHA-1)", "not after", "days left"],
            [
                [r["name"], r["status"], r["thumbprint_sha1"], r["not_after"][:10],
                 str(r["days_left"])]
                for r in rows
            ],
        )  # fmt: skip
        return
    print_table(
        ["name", "status per app", "thumbprint (SHA-1)", "not after", "days left", "key"],
        [
            [
                r["name"],
                ", ".join(f"{a}: {st}" for a, st in r["apps"].items()) or r["status"],
                r["thumbprint_sha1"],
                r["not_after"][:10],
                str(r["days_left"]),
                "local" if r["local_key"] else "Entra's",
            ]
            for r in rows
        ],
    )


@app.command("activate")
def activate_cmd(
    name: str = typer.Argument(..., help="Certificate name."),
    app_name: str | None = APP_OPTION,
    now_text: str | None = typer.Option(None, "--now", help="Instant (ISO time)."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Make a certificate the active one of its set; the previous one becomes inactive."""
    from ssoctl.tenant import activate_certificate

    now = parse_now(now_text)
    change = partial(activate_certificate, app=app_name, name=name, now=now)
    activation = edit_tenant(change, force=force, now=now)
    switch = activation.switch
    if switch is None:
        note(
            f"{app_name} now has its own signing set (a copy of the tenant default set); it "
            f"still signs with {name}."
            if activation.inherited
            else f"{name} was already the active certificate; nothing changed."
        )
        return
    note(switch.sentence())
    if switch.old:
        note(f"{switch.old} stays in the set, inactive.")


@app.command("remove")
def remove(
    name: str = typer.Argument(..., help="Certificate name."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Remove a certificate from the keyring; refuses while it is active anywhere."""
    from ssoctl.tenant import remove_certificate

    entry = edit_tenant(partial(remove_certificate, name=name), force=force)
    note(f"removed {name} from the tenant file; its files stay on disk: {entry}")


@app.command("export")
def export_cmd(
    name: str = typer.Argument(..., help="Certificate name."),
    fmt: ExportFormat = typer.Option(
        ...,
        "--format",
        "-f",
        help="base64 (Entra's Certificate (Base64) .cer), base64-line, pem, der (Raw), pfx.",
    ),
    out_path: Path | None = typer.Option(None, "--out", "-o", help="Write to this file."),
) -> None:
    """Export as Entra's downloads: Certificate (Base64), PEM, Raw (der), or PFX with key.

    The PFX password comes from $SSOCTL_PFX_PASSWORD or a prompt.
    """
    from ssoctl import certs
    from ssoctl.errors import UsageError
    from ssoctl.tenant import keyring

    loaded = load_tenant()
    ring = keyring.entries(loaded)
    if name not in ring:
        raise UsageError(
            f"no certificate named {name!r}; certificates: {', '.join(ring) or 'none'}."
        )
    key = password = None
    if fmt is ExportFormat.pfx:
        key = keyring.private_key(loaded, name, key_passphrase)
        password = secret_from_env_or_prompt(PFX_PASSWORD_ENV, "PFX password", confirm=True)
    data = certs.export(ring[name].cert, fmt.value, key=key, password=password, friendly_name=name)
    binary = fmt in (ExportFormat.der, ExportFormat.pfx)
    if out_path is None:
        if binary and sys.stdout.isatty():
            raise UsageError(f"{fmt.value} is binary; give --out FILE or redirect stdout.")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from ssoctl.files import write_atomic

    write_atomic(out_path, data, mode=0o600 if fmt is ExportFormat.pfx else 0o644)
    note(f"wrote {out_path}")


@app.command("import")
def import_cmd(
    cert_file: Path | None = typer.Option(None, "--cert", help="Certificate (PEM, DER, Base64)."),
    key_file: Path | None = typer.Option(None, "--key", help="Its private key (PEM)."),
    pfx_file: Path | None = typer.Option(None, "--pfx", help="A PKCS#12 file with key and cert."),
    name: str | None = typer.Option(None, "--name", help="Certificate name."),
    app_name: str | None = APP_OPTION,
    activate: bool = typer.Option(False, "--activate", help="Make it the active certificate."),
    upload: bool = typer.Option(
        False,
        "--upload",
        help="Upload it with its key to Entra as a PFX at the next `ssoctl entra apply`.",
    ),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Bring in a certificate: Entra's own, or one with its key.

    --cert alone: Entra's certificate, public only (Entra keeps the key). --cert with
    --key, or --pfx: a certificate with its key, as Entra's "Import certificate".

    Passwords come from $SSOCTL_PFX_PASSWORD / $SSOCTL_KEY_PASSPHRASE or a prompt.
    """
    from ssoctl import certs

    options.import_source(pfx=pfx_file, cert=cert_file, key=key_file)
    if pfx_file is not None:
        from ssoctl.files import read_regular

        data = read_regular(pfx_file, "PFX file")  # bounded: a FIFO or /dev/zero is refused
        password = secret_from_env_or_prompt(PFX_PASSWORD_ENV, f"Password for {pfx_file}")
        key, cert = certs.load_pfx(data, password, str(pfx_file))
    elif cert_file is not None and key_file is not None:
        cert = certs.load_certificate(cert_file)
        pw = key_passphrase(str(key_file)) if certs.is_encrypted_pem(key_file) else None
        key = certs.load_private_key(key_file, pw)
    else:
        # --cert alone (the parse step left nothing else): Entra generated it and keeps
        # the key: a public-only certificate, for paste sheets, metadata and expiry
        # checks; the twin cannot sign with it.
        assert cert_file is not None
        cert = certs.load_certificate(cert_file)
        key = None
    certs.check_for_entra(cert, key)
    passphrase = os.environ.get(KEY_PASSPHRASE_ENV, "").encode() or None
    now = parse_now(None)
    result = register_certificate(
        key,
        cert,
        name=check_name(name, "--name"),
        app_name=app_name,
        activate=activate,
        passphrase=passphrase,
        now=now,
        force=force,
        upload=upload,
    )
    note(
        f"imported {result.name} ({result.status}), thumbprint {certs.thumbprint_sha1(cert)}"
        + ("" if key is not None else "; public only: Entra keeps its key")
    )
    announce(result)
