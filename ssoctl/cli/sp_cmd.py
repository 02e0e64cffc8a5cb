"""`ssoctl sp serve`: a test SP for one app, standing in for RingCentral or Mitel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ssoctl.cli import options as option_rules
from ssoctl.cli.common import key_passphrase, new_typer, note, tenant_path

app = new_typer("A local test SP for one app: check what the twin, or real Entra, sends the app.")


@app.command("serve")
def serve(
    app_name: str = typer.Option(..., "--app", help="The app this SP stands in for."),
    as_app: bool = typer.Option(
        False,
        "--as-app",
        help="Answer at the app's own Reply URL host and path (map that host to this "
        "address in the browser); a self-signed certificate for that host.",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8444, "--port", min=0, max=65535, help="Port (0: any free one)."),
    tls_cert: Path | None = typer.Option(None, "--tls-cert", help="TLS certificate (PEM)."),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="TLS private key (PEM)."),
    self_signed: bool = typer.Option(
        False, "--self-signed", help="Make a TLS certificate for localhost (or the app's host)."
    ),
    log_json: Path | None = typer.Option(
        None,
        "--log-json",
        help="Append each checked Response (decoded) as a JSON line to this file (0600).",
    ),
    decrypt_key: Path | None = typer.Option(
        None,
        "--decrypt-key",
        help="The SP's private key (PEM) for encrypted assertions: the key of the app's "
        "token-encryption certificate (passphrase: $SSOCTL_KEY_PASSPHRASE or a prompt).",
    ),
) -> None:
    """Serve a test SP for one app: `/` starts an SP-initiated sign-in to the app's IdP
    (the twin, or real Entra: the same URL), the ACS checks the Response exactly as
    `ssoctl assertion verify --app NAME` does and shows the verdict, the NameID, every
    attribute and what the app's template requires; `/metadata` is the SP's metadata;
    `/logout` signs out. Ctrl-C stops it.

    Without --as-app the ACS is https://localhost:PORT/acs: add it to the app's Reply URLs
    (`ssoctl app set NAME --reply-url ...`) for the twin to post there. With --as-app it is
    the app's own first Reply URL: start the browser with
    --host-resolver-rules="MAP HOST:443 127.0.0.1:PORT", and a sign-in through real Entra
    to the real app configuration is checked here and never reaches the vendor.
    """
    import datetime as dt

    from ssoctl.errors import UsageError
    from ssoctl.idp import server
    from ssoctl.idp.state import TenantState
    from ssoctl.sp import LocalSP, SpOptions
    from ssoctl.sp.app import base_of
    from ssoctl.tenant import require_app

    option_rules.tls_source(self_signed=self_signed, cert=tls_cert, key=tls_key)
    decryption_key = None
    if decrypt_key is not None:  # before serving: a wrong key or passphrase stops here
        from ssoctl import certs
        from ssoctl.saml import xmlenc

        encrypted = certs.is_encrypted_pem(decrypt_key)
        passphrase = key_passphrase(str(decrypt_key)) if encrypted else None
        decryption_key = xmlenc.load_key_file(decrypt_key, passphrase)
    state = TenantState(tenant_path(), reload=True)
    model = state.current().model
    require_app(model, app_name, tenant_path())
    entry = model.apps[app_name]
    if as_app:
        if not entry.reply_urls:
            raise UsageError(f"app {app_name!r} has no Reply URL to answer at; --as-app needs one.")
        base, acs_path = base_of(entry.reply_urls[0])
        site = base.split("://", 1)[1].rsplit(":", 1)[0]
    else:
        site = "localhost"
        acs_path = "/acs"
    if as_app and not (self_signed or tls_cert):
        raise UsageError("--as-app needs TLS: add --self-signed (or --tls-cert/--tls-key).")
    # Bound first: a port in use stops here, before a TLS key is made (never left behind).
    server.sigterm_as_ctrl_c()
    sock = server.bind(host, port)
    log = _open_log(log_json) if log_json is not None else None
    tls = None
    if self_signed:
        cert_file, key_file = server.self_signed(dt.datetime.now(dt.timezone.utc), [site])
        tls = (cert_file, key_file)
    elif tls_cert is not None and tls_key is not None:
        server.check_tls_files(tls_cert, tls_key)
        tls = (tls_cert, tls_key)
    bound = sock.getsockname()[1]
    scheme = "https" if tls else "http"
    if not as_app:
        base = f"{scheme}://localhost:{bound}"
    options = SpOptions(
        app=app_name,
        base_url=base,
        acs_path=acs_path,
        as_app=as_app,
        log=log,
        allowed_hosts=server.served_hosts(host, [site]),
        decryption_key=decryption_key,
    )
    sp = LocalSP(state, options)
    try:
        note(f"ssoctl test SP for {app_name} on {scheme}://{host}:{bound}/ (Ctrl-C stops it)")
        note(f"  sign in: {base}/   ACS: {options.acs_url}   metadata: {base}/metadata")
        if as_app:
            note(
                f'  browser: --host-resolver-rules="MAP {site}:443 127.0.0.1:{bound}" '
                "--ignore-certificate-errors"
            )
            note(
                "  a Response captured this way is a live bearer credential for the real SP "
                "until it expires; it is kept only in --log-json (mode 0600)."
            )
        elif options.acs_url not in entry.reply_urls:
            note(
                f"  note: {options.acs_url} is not a Reply URL of {app_name}: the IdP posts to "
                f"{entry.reply_urls[0] if entry.reply_urls else 'nowhere'}; add it with "
                f"`ssoctl app set {app_name} --reply-url ...` to test here."
            )
        server.serve(sp, sock, tls, processes=1)
        note("stopping the test SP")
    except KeyboardInterrupt:
        note("stopping the test SP")
    finally:
        sock.close()
        if log is not None:
            log.close()
        if self_signed and tls is not None:
            server.discard_self_signed(tls)


def _open_log(path: Path) -> Any:
    """The capture file: created 0600 (it holds bearer credentials), never through a link."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")
