"""Reporters: each a pure function Result -> str. The registry drives `--format`."""

from __future__ import annotations

from collections.abc import Callable

from ssoctl.findings import Result

Reporter = Callable[[Result], str]


def reporters() -> dict[str, Reporter]:
    from ssoctl.report import github, json_report, junit, sarif, text

    return {
        "text": text.render,
        "json": json_report.render,
        "sarif": sarif.render,
        "junit": junit.render,
        "github": github.render,
    }


FORMATS = ("text", "json", "sarif", "junit", "github")
