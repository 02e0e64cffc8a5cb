"""SARIF 2.1.0, as GitHub code scanning and other tools read it."""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath

from ssoctl import __version__
from ssoctl.findings import Result, Severity

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}


def relative_uri(file: str) -> str:
    """A relative, forward-slash URI: relative to the current folder when inside it."""
    path = os.path.relpath(file) if os.path.isabs(file) else file
    if path.startswith(".."):
        path = file
    return PurePosixPath(*path.split(os.sep)).as_posix().lstrip("/")


def render(result: Result) -> str:
    rule_index = {r.id: i for i, r in enumerate(result.rules)}
    rules = [
        {
            "id": r.id,
            "name": r.id,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.doc},
            "defaultConfiguration": {"level": LEVEL[r.severity]},
            "helpUri": f"https://ssoctl.dev/rules#{r.id}",
        }
        for r in result.rules
    ]
    results = []
    for finding in result.findings:
        item: dict[str, object] = {
            "ruleId": finding.rule,
            "level": LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": relative_uri(finding.file)},
                        "region": {"startLine": finding.line, "startColumn": finding.col},
                    }
                }
            ],
        }
        if finding.rule in rule_index:
            item["ruleIndex"] = rule_index[finding.rule]
        results.append(item)
    notifications = [
        {"level": "error", "message": {"text": f"{f.file}: {f.unreadable}"}}
        for f in result.files
        if f.unreadable
    ]
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "ssoctl",
                "version": __version__,
                "informationUri": "https://ssoctl.dev",
                "rules": rules,
            }
        },
        "results": results,
        "invocations": [
            {"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}
        ],
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
