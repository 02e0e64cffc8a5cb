"""`ssoctl schema`: the tenant file's JSON Schema."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)


def schema(
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write it to this file (refresh an offline copy) instead."
    ),
) -> None:
    """Print the tenant file's JSON Schema (draft 2020-12), for editor completion."""
    import json

    from ssoctl.cli.common import note
    from ssoctl.tenant import json_schema

    if out is None:  # the schema itself, not a versioned ssoctl document
        sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
        return
    from ssoctl.files import write_atomic

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, text.encode("utf-8"), mode=0o644)
    note(f"wrote {out}")
