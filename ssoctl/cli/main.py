"""The root command: global options, exit codes, and the command groups."""

from __future__ import annotations

from pathlib import Path

import typer

from ssoctl.cli import app_cmd, cert_cmd, gallery_cmd, init_cmd, user_cmd
from ssoctl.cli.common import STATE, ErrorBoundary

EPILOG = (
    "Exit codes: 0 ok; 1 the input is wrong (validation errors, a signature that does "
    "not verify); 2 usage error; 3 ssoctl could not do its job (unreadable file, bad key, "
    "network); 70 internal bug."
)

app = typer.Typer(
    name="ssoctl",
    cls=ErrorBoundary,
    help="SAML single sign-on between Microsoft Entra ID and SaaS apps, as configuration as code.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from ssoctl import __version__

        typer.echo(f"ssoctl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    tenant: Path | None = typer.Option(
        None, "--tenant", "-t", help="Tenant file (default: $SSOCTL_TENANT or ./tenant.yaml)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    STATE.tenant = tenant
    STATE.debug = debug


init_cmd.register(app)
app.add_typer(gallery_cmd.app, name="gallery")
app.add_typer(app_cmd.app, name="app")
app.add_typer(user_cmd.user_app, name="user")
app.add_typer(user_cmd.group_app, name="group")
app.add_typer(cert_cmd.app, name="cert")


@app.command()
def schema() -> None:
    """Print the tenant file's JSON Schema (draft 2020-12), for editor completion."""
    from ssoctl.cli.common import emit_json
    from ssoctl.model import json_schema

    emit_json(json_schema())


def run() -> None:
    """Console-script entry point."""
    app()
