"""Findings and the Result between the validation engine and the reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, how bad, what to do, and where (1-based line/col)."""

    rule: str
    severity: Severity
    message: str
    file: str
    line: int = 1
    col: int = 1
    path: str | None = None


@dataclass
class FileResult:
    file: str
    findings: list[Finding] = field(default_factory=list)
    unreadable: str | None = None  # why the file could not be read at all
    source_lines: list[str] = field(default_factory=list)
    # Why the rules past syntax and schema did not run on this file (it could not be
    # parsed, or failed its schema); None when they ran. JUnit reports them as skipped.
    not_checked: str | None = None
    path: str | None = None  # the file's absolute path, for SARIF's repository-relative URIs

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)


@dataclass(frozen=True)
class RuleInfo:
    id: str
    severity: Severity
    summary: str
    doc: str


@dataclass
class Result:
    files: list[FileResult]
    rules: list[RuleInfo]  # the rules that ran, for SARIF and JUnit
    strict: bool = False
    root: str | None = None  # SARIF's %SRCROOT%: the repository root, or --sarif-root
    docs_url: str | None = None  # a published docs site, for SARIF helpUri; None: none

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    def count(self, severity: Severity) -> int:
        return sum(r.count(severity) for r in self.files)

    @property
    def failed(self) -> bool:
        """Exit 1: errors, or warnings under --strict."""
        return self.count(Severity.error) > 0 or (self.strict and self.count(Severity.warning) > 0)

    @property
    def unreadable(self) -> bool:
        return any(r.unreadable for r in self.files)
