"""A versioned JSON document of every finding."""

from __future__ import annotations

import json

from ssoctl import __version__
from ssoctl.findings import Result, Severity
from ssoctl.textchars import shown_in_json

SCHEMA_VERSION = 1


def render(result: Result) -> str:
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "ssoctl", "version": __version__},
        "summary": {
            "files": len(result.files),
            "errors": result.count(Severity.error),
            "warnings": result.count(Severity.warning),
            "infos": result.count(Severity.info),
            "unreadable": sum(1 for f in result.files if f.unreadable),
            "failed": result.failed or result.unreadable,
        },
        "files": [
            {
                "file": f.file,
                "unreadable": f.unreadable,
                "findings": [
                    {
                        "rule": x.rule,
                        "severity": x.severity.value,
                        "message": x.message,
                        "line": x.line,
                        "column": x.col,
                        "path": x.path,
                    }
                    for x in f.findings
                ],
            }
            for f in result.files
        ],
    }
    # written as its type in outputs.py documents it (strictly converted, in its key order)
    import msgspec

    from ssoctl.outputs import ValidateReport

    typed = msgspec.to_builtins(msgspec.convert(document, ValidateReport))
    return shown_in_json(json.dumps(typed, indent=2, ensure_ascii=False)) + "\n"
