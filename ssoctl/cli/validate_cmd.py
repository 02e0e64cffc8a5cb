"""`ssoctl validate`: the CI gate."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ssoctl.cli.common import parse_now, tenant_path
from ssoctl.report import FORMATS

if TYPE_CHECKING:

    class ReportFormat(str, Enum):  # the type checker's view; the choices come from below
        auto = "auto"
        json = "json"  # compared with by name

else:  # the --format choices: "auto", then the reporter registry's names, in its order
    ReportFormat = Enum(
        "ReportFormat", {name: name for name in ("auto", *FORMATS)}, type=str, module=__name__
    )


def _split(values: list[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def _repository_root() -> Path:
    from ssoctl.gitstate import work_tree

    return work_tree(Path.cwd()) or Path.cwd()


def validate(
    files: list[Path] = typer.Argument(None, help="Tenant files (default: --tenant)."),
    fmt: ReportFormat = typer.Option(
        ReportFormat.auto, "--format", "-f", help="auto = github under GitHub Actions, else text."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
    select: list[str] = typer.Option([], "--select", help="Only these rules (comma-separated)."),
    ignore: list[str] = typer.Option([], "--ignore", help="Skip these rules (comma-separated)."),
    now_text: str | None = typer.Option(None, "--now", help="Check expiry at this instant."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules and exit."),
    explain: str | None = typer.Option(None, "--explain", help="Explain one rule and exit."),
    sarif_root: Path | None = typer.Option(
        None,
        "--sarif-root",
        help="SARIF URIs are relative to this folder (default: the git repository's top "
        "level, else the current folder).",
    ),
) -> None:
    """Check tenant files: every finding with rule, severity, file:line:col and the fix.

    Exit 0 no errors (warnings allowed unless --strict); 1 errors, or warnings under
    --strict; 2 usage error; 3 a file could not be read at all.
    """
    from ssoctl.errors import UsageError
    from ssoctl.rules import load_all

    registry = load_all()
    if list_rules:
        if fmt.value == "json":
            from ssoctl.cli.common import emit_json

            rows = [
                {"id": r.id, "severity": r.severity.value, "summary": r.summary, "doc": r.doc}
                for r in registry.values()
            ]
            from ssoctl import outputs

            emit_json(rows, "rules", shape=outputs.RuleList)
            return
        for rule in registry.values():
            sys.stdout.write(f"{rule.id:<22} {rule.severity.value:<8} {rule.summary}\n")
        return
    if explain is not None:
        if explain not in registry:
            raise UsageError(f"unknown rule {explain!r}; rules: {', '.join(registry)}.")
        rule = registry[explain]
        sys.stdout.write(f"{rule.id} ({rule.severity.value})\n\n{rule.doc}\n")
        return
    from ssoctl.report import reporter
    from ssoctl.validate import selected_rules
    from ssoctl.validate import validate as run

    rule_ids = selected_rules(_split(select), _split(ignore))
    targets = list(files) if files else [tenant_path()]
    from ssoctl.cli.progress import progress

    total = len(targets) if len(targets) > 1 else 0
    with progress("validating", total=total) as advance:
        result = run(
            [(p, str(p)) for p in targets],
            parse_now(now_text),
            rule_ids,
            strict,
            on_file=lambda: advance(1),
        )
    chosen = fmt.value
    if chosen == "auto":
        chosen = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if chosen == "sarif":  # only SARIF speaks of the repository root and the docs site
        result.root = str((sarif_root or _repository_root()).resolve())
        result.docs_url = os.environ.get("SSOCTL_DOCS_URL") or None
    if chosen == "text":
        from ssoctl.cli.common import color_wanted
        from ssoctl.report import text

        color = output is None and color_wanted()
        report = text.render(result, color=color)
    else:
        report = reporter(chosen)(result)
    if output is not None:
        from ssoctl.files import write_atomic

        write_atomic(output, report.encode("utf-8"), mode=0o644)
    else:
        sys.stdout.write(report)
    if result.unreadable:
        raise typer.Exit(3)
    if result.failed:
        raise typer.Exit(1)
