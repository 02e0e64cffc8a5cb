"""JUnit XML: a testsuite per file, a testcase per rule (CI systems draw these).

Each element's counts match its children: a failing rule is a <failure>, a file that
could not be read is an <error>, and the rules that could not run on a file (it could
not be parsed, or failed its schema) are <skipped/>, never shown as passed. Read back
with junitparser in tests/test_reports.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from ssoctl.findings import FileResult, Finding, Result, RuleInfo, Severity
from ssoctl.textchars import shown

# Rules that judge the file itself; they run even when the others cannot.
ALWAYS_RUN = ("syntax", "schema")


@dataclass
class _Case:
    xml: str
    failure: bool = False
    error: bool = False
    skipped: bool = False


def _rule_case(f: FileResult, rule: RuleInfo, strict: bool) -> _Case:
    open_tag = f"    <testcase classname={quoteattr(f.file)} name={quoteattr(rule.id)}"
    found = [x for x in f.findings if x.rule == rule.id]
    ran = rule.id in ALWAYS_RUN and not f.unreadable
    if f.not_checked and not ran and not found:
        reason = f"not checked: {f.not_checked}"
        return _Case(f"{open_tag}>\n      <skipped message={quoteattr(reason)}/>\n    </testcase>",
                     skipped=True)  # fmt: skip
    failing = [x for x in found if _fails(x, strict)]
    body = ""
    if failing:
        text = "\n".join(f"{x.file}:{x.line}:{x.col}: {x.message}" for x in failing)
        body += (
            f"\n      <failure message={quoteattr(failing[0].message)} "
            f"type={quoteattr(failing[0].severity.value)}>{escape(text)}</failure>"
        )
    others = [x for x in found if x not in failing]
    if others:
        text = "\n".join(
            f"{x.severity.value}: {x.file}:{x.line}:{x.col}: {x.message}" for x in others
        )
        body += f"\n      <system-out>{escape(text)}</system-out>"
    if not body:
        return _Case(f"{open_tag}/>")
    return _Case(f"{open_tag}>{body}\n    </testcase>", failure=bool(failing))


def _fails(finding: Finding, strict: bool) -> bool:
    return finding.severity is Severity.error or (strict and finding.severity is Severity.warning)


def render(result: Result) -> str:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites = []
    for f in result.files:
        cases = []
        if f.unreadable:
            cases.append(
                _Case(
                    f'    <testcase classname={quoteattr(f.file)} name="read">\n'
                    f"      <error message={quoteattr(f.unreadable)}/>\n    </testcase>",
                    error=True,
                )
            )
        cases += [_rule_case(f, rule, result.strict) for rule in result.rules]
        counts = {
            "tests": len(cases),
            "failures": sum(c.failure for c in cases),
            "errors": sum(c.error for c in cases),
            "skipped": sum(c.skipped for c in cases),
        }
        for key, value in counts.items():
            totals[key] += value
        attributes = " ".join(f'{key}="{value}"' for key, value in counts.items())
        suites.append(
            f"  <testsuite name={quoteattr(f.file)} {attributes}>\n"
            + "\n".join(c.xml for c in cases)
            + "\n  </testsuite>"
        )
    attributes = " ".join(f'{key}="{value}"' for key, value in totals.items())
    # Controls as text escapes (\x1b): XML 1.0 cannot carry C0 controls even as
    # references, and the report is read on terminals too.
    return shown(
        "\n".join(
            [
                '<?xml version="1.0" encoding="UTF-8"?>',
                f'<testsuites name="ssoctl validate" {attributes}>',
                *suites,
                "</testsuites>",
            ]
        )
        + "\n"
    )
