"""`ssoctl idp serve`: the local Entra twin."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

import typer

from ssoctl.cli import options as option_rules
from ssoctl.cli.common import KEY_PASSPHRASE_ENV, new_typer, note, tenant_path

app = new_typer("A local twin of the tenant's Entra, for testing SPs before go-live.")


class ErrorMode(str, Enum):
    page = "page"
    saml = "saml"


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8443, "--port", min=0, max=65535, help="Port (0: any free one)."),
    tls_cert: Path | None = typer.Option(None, "--tls-cert", help="TLS certificate (PEM)."),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="TLS private key (PEM)."),
    self_signed: bool = typer.Option(
        False, "--self-signed", help="Make a TLS certificate for login.microsoftonline.com."
    ),
    reload: bool = typer.Option(False, "--reload", help="Pick up edits to the tenant file."),
    log_json: Path | None = typer.Option(
        None, "--log-json", help="Write one JSON line per request to this file."
    ),
    error_mode: ErrorMode = typer.Option(
        ErrorMode.page,
        "--error-mode",
        help="page: Entra's error page; saml: a SAML error Response to a registered ACS.",
    ),
    processes: int = typer.Option(
        2,
        "--processes",
        min=1,
        max=64,
        help="Server processes sharing the port (signing is CPU-bound; 2 fill two cores). "
        "Where processes cannot fork (Windows), one serves.",
    ),
    allow_host: list[str] = typer.Option(
        [],
        "--allow-host",
        help="Also answer requests for this Host name (repeatable). The twin answers only "
        "its own address, localhost and Entra's login hosts, so a web page that rebinds its "
        "own name to this address gets nothing.",
    ),
) -> None:
    """Serve the twin of this tenant's Entra at Entra's own paths: /{tid}/saml2 (SSO and
    SLO), /{tid}/federationmetadata/2007-06/federationmetadata.xml?appid=…, My Apps at /.

    Test an SP before go-live: give it the metadata `ssoctl metadata export --app NAME`
    writes, run `ssoctl idp serve --self-signed`, and start the browser with
    --host-resolver-rules="MAP login.microsoftonline.com:443 127.0.0.1:8443"
    --ignore-certificate-errors: the SP sends you to Entra's URL, which reaches the twin.
    Keys are read with $SSOCTL_KEY_PASSPHRASE when encrypted. Ctrl-C stops it.
    """
    import datetime as dt

    from ssoctl.idp import server
    from ssoctl.idp.app import Twin, TwinOptions
    from ssoctl.idp.state import TenantState

    option_rules.tls_source(self_signed=self_signed, cert=tls_cert, key=tls_key)
    state = TenantState(tenant_path(), reload=reload)
    # Bound first: a port in use stops here, before a TLS key is made (never left behind).
    server.sigterm_as_ctrl_c()
    sock = server.bind(host, port)
    log = log_json.open("a", encoding="utf-8") if log_json is not None else None
    tls = None
    if self_signed:
        cert_file, key_file = server.self_signed(dt.datetime.now(dt.timezone.utc))
        note(f"self-signed TLS certificate for Entra's login hosts: {cert_file}")
        tls = (cert_file, key_file)
    elif tls_cert is not None and tls_key is not None:
        server.check_tls_files(tls_cert, tls_key)
        tls = (tls_cert, tls_key)
    passphrase = os.environ.get(KEY_PASSPHRASE_ENV, "").encode() or None
    options = TwinOptions(
        error_mode=error_mode.value,
        secure_cookies=tls is not None,
        passphrase=lambda _path: passphrase,
        log=log,
        allowed_hosts=server.served_hosts(host, allow_host),
    )
    twin = Twin(state, options)
    if not server.is_loopback(host):
        note(
            f"WARNING: binding {host}, not loopback: anyone who can reach this address can "
            "sign in as any test user and get Responses signed with your test keys. "
            "Use the default 127.0.0.1 unless you mean it."
        )
    scheme = "https" if tls else "http"
    bound = sock.getsockname()[1]
    tid = state.current().model.tenant.id
    try:  # Ctrl-C at any moment from here stops cleanly
        note(f"ssoctl twin of tenant {tid} on {scheme}://{host}:{bound}/ (Ctrl-C stops it)")
        note(
            f"  My Apps: {scheme}://{host}:{bound}/   SSO/SLO: {scheme}://{host}:{bound}/{tid}/saml2"
        )
        if tls:
            note(
                '  browser: --host-resolver-rules="MAP login.microsoftonline.com:443 '
                f'127.0.0.1:{bound}" --ignore-certificate-errors'
            )
        server.serve(twin, sock, tls, processes=processes)  # returns on SIGINT or SIGTERM
        note("stopping the twin")
    except KeyboardInterrupt:
        note("stopping the twin")
    finally:
        sock.close()
        if log is not None:
            log.close()
        if self_signed and tls is not None:
            server.discard_self_signed(tls)
