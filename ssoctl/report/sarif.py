"""SARIF 2.1.0, as GitHub code scanning and other tools read it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePath
from urllib.parse import quote

from ssoctl import __version__
from ssoctl.findings import Finding, Result, Severity

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
SRCROOT = "%SRCROOT%"


def artifact_location(path: str | None, display: str, root: str | None) -> dict[str, str]:
    """Where a file is, as SARIF consumers resolve it: a percent-encoded URI relative to
    the repository root (`uriBaseId` %SRCROOT%) when the file is inside it, whatever the
    current folder; an absolute file: URI otherwise; the name as given when neither is
    known."""
    if path is not None and root is not None:
        relative = os.path.relpath(path, root)
        if not relative.startswith(os.pardir) and not os.path.isabs(relative):
            posix = PurePath(relative).as_posix()
            return {"uri": quote(posix), "uriBaseId": SRCROOT}
    if path is not None:
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(display.replace(os.sep, "/"))}


def fingerprint(finding: Finding, uri: str) -> str:
    """Stable while lines move: the rule, the file, the YAML key path and the message."""
    key = "\0".join([finding.rule, uri, finding.path or "", finding.message])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def render(result: Result) -> str:
    rule_index = {r.id: i for i, r in enumerate(result.rules)}
    rules = []
    for r in result.rules:
        rule: dict[str, object] = {
            "id": r.id,
            "name": r.id,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.doc},
            "help": {"text": r.doc, "markdown": r.doc},
            "defaultConfiguration": {"level": LEVEL[r.severity]},
        }
        if result.docs_url:  # only a site that exists: SSOCTL_DOCS_URL
            rule["helpUri"] = f"{result.docs_url.rstrip('/')}/rules/#{r.id}"
        rules.append(rule)
    paths = {f.file: f.path for f in result.files}
    results = []
    for finding in result.findings:
        location = artifact_location(paths.get(finding.file), finding.file, result.root)
        item: dict[str, object] = {
            "ruleId": finding.rule,
            "level": LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": location,
                        "region": {"startLine": finding.line, "startColumn": finding.col},
                    }
                }
            ],
            "partialFingerprints": {"ssoctlFinding/v1": fingerprint(finding, location["uri"])},
        }
        if finding.rule in rule_index:
            item["ruleIndex"] = rule_index[finding.rule]
        results.append(item)
    notifications = [
        {"level": "error", "message": {"text": f"{f.file}: {f.unreadable}"}}
        for f in result.files
        if f.unreadable
    ]
    driver: dict[str, object] = {"name": "ssoctl", "version": __version__, "rules": rules}
    if result.docs_url:
        driver["informationUri"] = result.docs_url
    run: dict[str, object] = {
        "tool": {"driver": driver},
        "results": results,
        "invocations": [
            {"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}
        ],
    }
    # No originalUriBaseIds: the root's absolute path is this machine's (and would leak
    # it into an uploaded report); %SRCROOT% is the name code scanning resolves itself.
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
