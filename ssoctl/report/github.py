"""GitHub Actions workflow commands: one annotation per finding."""

from __future__ import annotations

from ssoctl.findings import Result, Severity
from ssoctl.textchars import shown

LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def _data(text: str) -> str:
    text = shown(text)  # a workflow log is a terminal too: no ESC from file content
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: Result) -> str:
    lines = []
    for f in result.files:
        if f.unreadable:
            lines.append(
                f"::error file={_property(f.file)},title=unreadable::{_data(f.unreadable)}"
            )
        for x in f.findings:
            lines.append(
                f"::{LEVEL[x.severity]} file={_property(x.file)},line={x.line},col={x.col},"
                f"title={_property(x.rule)}::{_data(x.message)}"
            )
    return "".join(line + "\n" for line in lines)
