"""Reporters: each a pure function Result -> str. REPORTER_BY_NAME is the one registry:
it drives `validate --format` (its choices, in this order) and the lookup."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ssoctl.findings import Result

Reporter = Callable[[Result], str]

# name -> the module whose `render` writes it; imported only when chosen
REPORTER_BY_NAME: dict[str, str] = {
    "text": "ssoctl.report.text",
    "json": "ssoctl.report.json_report",
    "sarif": "ssoctl.report.sarif",
    "junit": "ssoctl.report.junit",
    "github": "ssoctl.report.github",
}
FORMATS = tuple(REPORTER_BY_NAME)


def reporter(name: str) -> Reporter:
    render: Reporter = importlib.import_module(REPORTER_BY_NAME[name]).render
    return render
