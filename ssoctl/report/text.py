"""Human-readable report, grouped by file, with the offending line shown (rich)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from ssoctl.findings import Result, Severity
from ssoctl.textchars import shown

STYLE = {Severity.error: "bold red", Severity.warning: "yellow", Severity.info: "cyan"}


def render(result: Result, *, color: bool = False, width: int = 100) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        soft_wrap=True,
    )
    for f in result.files:
        console.print(Text(shown(f.file), style="bold underline"))
        if f.unreadable:
            console.print(
                Text(f"  cannot read: {shown(f.unreadable)}", style=STYLE[Severity.error])
            )
            continue
        if not f.findings:
            console.print(Text("  ok", style="green"))
        for x in f.findings:
            head = Text(f"  {x.line}:{x.col}  ")
            head.append(f"{x.severity.value:<7}", style=STYLE[x.severity])
            head.append(f" {shown(x.message)}  ")
            head.append(f"[{x.rule}]", style="dim")
            console.print(head)
            if 0 < x.line <= len(f.source_lines):
                source = f.source_lines[x.line - 1]
                console.print(Text(f"      {x.line:>4} | {shown(source)}", style="dim"))
                console.print(Text(f"           | {' ' * (x.col - 1)}^", style=STYLE[x.severity]))
    errors, warnings = result.count(Severity.error), result.count(Severity.warning)
    unreadable = sum(1 for f in result.files if f.unreadable)
    summary = (
        f"{len(result.files)} file{'s' if len(result.files) != 1 else ''}: "
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )
    if unreadable:
        summary += f", {unreadable} unreadable"
    console.print(Text(summary, style="bold"))
    return buffer.getvalue()
