"""Rules about the editor's view of the tenant file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from ssoctl.findings import Finding, Severity
from ssoctl.rules.registry import Context, register

MODELINE = re.compile(r"#\s*yaml-language-server:\s*\$schema=(?P<target>\S+)")
MAX_SCHEMA_BYTES = 2 * 1024 * 1024


@register("schema-copy", Severity.warning)
def schema_copy(ctx: Context) -> Iterator[Finding]:
    """The modeline's schema is a local, current copy of `ssoctl schema`.

    `# yaml-language-server: $schema=...` tells editors where the tenant schema is, for
    completion and checks as you type. A URL must be downloaded (and no ssoctl site
    serves one: the editor shows "Unable to load schema"); a local copy that is missing
    or older than the installed ssoctl completes the wrong keys. Fix: `ssoctl schema
    --out tenant.schema.json` beside the tenant file, and `$schema=tenant.schema.json`
    (a path relative to the tenant file) in the modeline; run it again after upgrading.
    """
    for number, line in enumerate(ctx.loaded.text.splitlines()[:20], start=1):
        match = MODELINE.search(line)
        if match is None:
            continue
        target = match["target"]
        problem = _problem(ctx, target)
        if problem:
            yield Finding(
                ctx.rule,
                Severity.warning,
                problem,
                ctx.file,
                number,
                match.start("target") + 1,
            )
        return


def _problem(ctx: Context, target: str) -> str | None:
    from ssoctl.errors import OperationError
    from ssoctl.files import read_regular
    from ssoctl.tenant import json_schema
    from ssoctl.urls import has_uri_scheme

    refresh = "`ssoctl schema --out tenant.schema.json` and `$schema=tenant.schema.json`"
    if has_uri_scheme(target) and not target.startswith("file:"):
        return (
            f"the modeline's schema {target} must be downloaded by the editor, and no "
            f"ssoctl site serves it; write a local copy: {refresh}."
        )
    # The path comes from the file (a pull request): only a regular file is read, capped;
    # a FIFO, a device or a folder is reported, never opened.
    path = ctx.loaded.resolve(target.removeprefix("file:"))
    if not path.exists():
        return f"the modeline's schema {target} does not exist; write it: {refresh}."
    if not path.is_file():
        return f"the modeline's schema {target} is not a regular file; write it: {refresh}."
    try:
        current = json.loads(read_regular(path, "schema", MAX_SCHEMA_BYTES))
    except (OperationError, ValueError, RecursionError):  # 2 KB of "[" recurses too deep
        current = None
    if current != json_schema():
        return (
            f"the modeline's schema {target} is not this ssoctl's schema (stale after an "
            f"upgrade?); refresh it: `ssoctl schema --out {target}`."
        )
    return None
