"""JUnit XML: a testsuite per file, a testcase per rule (CI systems draw these)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from ssoctl.findings import Result, Severity


def render(result: Result) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    total_failures = 0
    suites = []
    for f in result.files:
        cases = []
        failures = 0
        if f.unreadable:
            failures += 1
            cases.append(
                f'    <testcase classname={quoteattr(f.file)} name="read">\n'
                f"      <error message={quoteattr(f.unreadable)}/>\n    </testcase>"
            )
        for rule in result.rules:
            found = [x for x in f.findings if x.rule == rule.id]
            failing = [
                x
                for x in found
                if x.severity is Severity.error
                or (result.strict and x.severity is Severity.warning)
            ]
            body = ""
            if failing:
                failures += 1
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
            close = f"{body}\n    </testcase>" if body else "/>"
            cases.append(
                f"    <testcase classname={quoteattr(f.file)} "
                f"name={quoteattr(rule.id)}{'>' if body else ''}{close}"
            )
        total_failures += failures
        suites.append(
            f'  <testsuite name={quoteattr(f.file)} tests="{len(cases)}" '
            f'failures="{failures}" errors="0">\n' + "\n".join(cases) + "\n  </testsuite>"
        )
    out.append(f'<testsuites name="ssoctl validate" failures="{total_failures}">')
    out.extend(suites)
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
