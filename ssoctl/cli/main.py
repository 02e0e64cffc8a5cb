"""The root command: global options, exit codes, and the command groups."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import typer

from ssoctl.cli import init_cmd, validate_cmd
from ssoctl.cli.common import STATE, ErrorBoundary

# Command groups, imported only when used: `ssoctl --version` and `ssoctl app list`
# never build the other groups (benchmarks/bench_startup.py measures this).
LAZY_GROUPS: dict[str, tuple[str, str]] = {
    "gallery": ("ssoctl.cli.gallery_cmd", "app"),
    "app": ("ssoctl.cli.app_cmd", "app"),
    "user": ("ssoctl.cli.user_cmd", "user_app"),
    "group": ("ssoctl.cli.user_cmd", "group_app"),
    "cert": ("ssoctl.cli.cert_cmd", "app"),
    "metadata": ("ssoctl.cli.metadata_cmd", "app"),
    "assertion": ("ssoctl.cli.assertion_cmd", "app"),
    "idp": ("ssoctl.cli.idp_cmd", "app"),
}


class RootGroup(ErrorBoundary):
    def list_commands(self, ctx: Any) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_GROUPS])

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in LAZY_GROUPS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = LAZY_GROUPS[cmd_name]
        sub = getattr(importlib.import_module(module_name), attribute)
        command = typer.main.get_command(sub)
        command.name = cmd_name
        return command


EPILOG = (
    "Exit codes: 0 ok; 1 the input is wrong (validation errors, a signature that does "
    "not verify); 2 usage error; 3 ssoctl could not do its job (unreadable file, bad key, "
    "network); 70 internal bug."
)

app = typer.Typer(
    name="ssoctl",
    cls=RootGroup,
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
validate_cmd.register(app)


@app.command()
def schema() -> None:
    """Print the tenant file's JSON Schema (draft 2020-12), for editor completion."""
    from ssoctl.cli.common import emit_json
    from ssoctl.model import json_schema

    emit_json(json_schema())


def run() -> None:
    """Console-script entry point."""
    app()
