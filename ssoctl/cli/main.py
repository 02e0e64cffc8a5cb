"""The root command: global options, exit codes, and the command groups."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import typer

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
    "entra": ("ssoctl.cli.entra_cmd", "app"),
    "sp": ("ssoctl.cli.sp_cmd", "app"),
}
# Top-level commands, imported only when used too: each module's `register` adds its one
# command to a Typer of its own (validate alone pulls in the reporters, init the writer).
LAZY_COMMANDS: dict[str, str] = {
    "init": "ssoctl.cli.init_cmd",
    "validate": "ssoctl.cli.validate_cmd",
    "check-keys": "ssoctl.cli.keys_cmd",
    "schema": "ssoctl.cli.schema_cmd",
}


class RootGroup(ErrorBoundary):
    def list_commands(self, ctx: Any) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_GROUPS, *LAZY_COMMANDS])

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        from ssoctl.cli.examples import attach

        command: Any
        if cmd_name in LAZY_COMMANDS:
            from ssoctl.cli.lazy import build_command

            command = build_command(LAZY_COMMANDS[cmd_name], cmd_name)
        elif cmd_name not in LAZY_GROUPS:
            command = super().get_command(ctx, cmd_name)
        else:
            from ssoctl.cli.lazy import build_group

            module_name, attribute = LAZY_GROUPS[cmd_name]
            sub = getattr(importlib.import_module(module_name), attribute)
            command = build_group(sub, cmd_name)
        if command is not None:
            attach(command, cmd_name)
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
    # --install-completion / --show-completion: bash, zsh, fish, PowerShell. Completion
    # asks RootGroup for the lazy groups, so they complete like the others.
    add_completion=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    # A wide terminal shows whole summaries (click stops at 80 columns by default).
    context_settings={"max_content_width": 160},
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
    no_color: bool = typer.Option(
        False,
        "--no-color",
        help="No colour in any output (as NO_COLOR=1; FORCE_COLOR=1 forces it).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    STATE.tenant = tenant
    STATE.debug = debug
    if no_color:
        # rich and the text report both follow NO_COLOR (https://no-color.org)
        os.environ["NO_COLOR"] = "1"
        os.environ.pop("FORCE_COLOR", None)


def run() -> None:
    """Console-script entry point."""
    app()
