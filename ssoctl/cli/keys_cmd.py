"""`ssoctl check-keys`: the pre-commit hook ssoctl-no-private-keys."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("check-keys")(check_keys)


def check_keys(
    files: list[Path] = typer.Argument(
        None, help="Files to check (pre-commit passes the staged ones)."
    ),
) -> None:
    """Refuse files that hold a private key, whatever they are called (the pre-commit hook
    ssoctl-no-private-keys). A key a tenant file beside it marks public_demo_key is
    allowed. Exit 0: none; 1: a private key would be committed."""
    from ssoctl.cli.common import note
    from ssoctl.keyscan import scan

    found = scan(list(files or []))
    refused = [f for f in found if not f.demo]
    for item in found:
        if item.demo:
            note(f"{item.path}: a published demo key (public_demo_key); allowed")
        else:
            note(
                f"{item.path}: holds a private key ({item.marker}); it must not be committed. "
                "Unstage it (`git rm --cached FILE`), keep keys out of git (.gitignore: *.key), "
                "and if it was ever pushed, replace the certificate (`ssoctl cert new`)."
            )
    if refused:
        raise typer.Exit(1)
