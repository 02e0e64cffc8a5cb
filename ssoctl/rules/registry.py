"""The rule registry: `Context` (what a rule reads), `Rule`, and `register`, which each
rule module uses to add its rules. The package's door (`ssoctl.rules`) imports the rule
modules in a fixed order; they import only this module, so there is no cycle."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ssoctl.findings import Finding, RuleInfo, Severity
from ssoctl.tenant import LoadedTenant, dotted


@dataclass
class Context:
    loaded: LoadedTenant
    now: dt.datetime
    file: str  # as the user named it, for reports
    # The rule running now, set by the engine (validate.run_rule), which also stamps it on
    # every finding: a rule names its ID once, where it registers (as yamllint does).
    rule: str = ""

    @property
    def model(self):  # type: ignore[no-untyped-def]  # -> Tenant; kept light for rules
        return self.loaded.model

    def finding(self, message: str, *path: str | int, severity: Severity | None = None) -> Finding:
        """A finding of the running rule at `path` in the file, with the rule's usual
        severity unless `severity` raises or lowers it."""
        line, col = self.loaded.positions.position(path)
        return Finding(
            rule=self.rule,
            severity=severity or REGISTRY[self.rule].severity,
            message=message,
            file=self.file,
            line=line,
            col=col,
            path=dotted(path) or None,
        )


Check = Callable[[Context], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity  # the usual severity; a rule may raise or lower it per finding
    check: Check | None  # None for rules the engine applies while loading (syntax, schema)
    doc: str

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.id

    def info(self) -> RuleInfo:
        return RuleInfo(self.id, self.severity, self.summary, self.doc)


REGISTRY: dict[str, Rule] = {}


def register(rule_id: str, severity: Severity) -> Callable[[Check], Check]:
    def wrap(check: Check) -> Check:
        REGISTRY[rule_id] = Rule(rule_id, severity, check, inspect.cleandoc(check.__doc__ or ""))
        return check

    return wrap


def builtin(rule_id: str, severity: Severity, doc: str) -> None:
    REGISTRY[rule_id] = Rule(rule_id, severity, None, inspect.cleandoc(doc))


builtin(
    "syntax",
    Severity.error,
    """\
    The file is not valid YAML.

    Reported with the line and column where the YAML parser stopped. Nothing else can be
    checked until the file parses.
    """,
)
builtin(
    "schema",
    Severity.error,
    """\
    The file does not match the tenant schema (`ssoctl schema`).

    Unknown keys (a typo such as `reply_url:`), duplicate keys, wrong types, missing
    required keys and invalid values. Every problem is reported, each at its key.
    """,
)
