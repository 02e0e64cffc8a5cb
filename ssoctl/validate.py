"""The validation engine: one tenant file in, a FileResult out. Never prints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ssoctl import rules as rules_pkg
from ssoctl.errors import InvalidInputError, OperationError
from ssoctl.findings import FileResult, Finding, Result, Severity
from ssoctl.tenant import Judge, LoadedTenant, compose, read_text, schema_problems


def selected_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[str]:
    """Rule IDs to run, in registry order; unknown IDs are a usage error."""
    from ssoctl.errors import UsageError

    registry = rules_pkg.load_all()
    chosen, dropped = list(select), list(ignore)
    unknown = [r for r in chosen + dropped if r not in registry]
    if unknown:
        raise UsageError(
            f"unknown rule {unknown[0]!r}; rules: {', '.join(registry)}.",
            hint="`ssoctl validate --list-rules` lists them.",
        )
    ids = [r for r in registry if not chosen or r in chosen]
    return [r for r in ids if r not in dropped]


def validate_file(path: Path, display: str, now: dt.datetime, rule_ids: list[str]) -> FileResult:
    import os

    result = FileResult(file=display, path=os.path.abspath(path))
    try:
        text = read_text(path)
    except (OperationError, InvalidInputError) as exc:
        result.unreadable = exc.message
        result.not_checked = "the file could not be read"
        return result
    # Lines as the positions count them: split at LF only (str.splitlines also splits
    # at U+0085 and U+2028, which would shift every excerpt after one).
    result.source_lines = [line.removesuffix("\r") for line in text.split("\n")]

    def keep(finding: Finding) -> None:
        if finding.rule in rule_ids:
            result.findings.append(finding)

    try:
        data, positions = compose(text, display)
    except InvalidInputError as exc:
        rule = "schema" if exc.message.startswith("duplicate key") else "syntax"
        loc = exc.location
        keep(
            Finding(
                rule,
                Severity.error,
                f"{exc.message} {exc.hint or ''}".strip(),
                display,
                (loc.line if loc and loc.line else 1),
                (loc.col if loc and loc.col else 1),
            )
        )
        result.not_checked = "the file is not valid YAML"
        return result
    if not isinstance(data, dict):
        keep(
            Finding(
                "schema",
                Severity.error,
                "the file must be a YAML mapping with version, tenant, users, groups and apps.",
                display,
                1,
                1,
            )
        )
        result.not_checked = "the file is not a YAML mapping"
        return result
    model, problems = schema_problems(data, positions)
    for problem in problems:
        keep(
            Finding(
                "schema",
                Severity.error,
                f"{problem.path}: {problem.message}",
                display,
                problem.line,
                problem.col,
                problem.path,
            )
        )
    if model is None:
        result.findings.sort(key=lambda f: (f.line, f.col, f.rule))
        result.not_checked = "the file does not match the tenant schema"
        return result
    ctx = rules_pkg.Context(LoadedTenant(path, text, data, model, positions), now, display)
    registry = rules_pkg.load_all()
    for rule_id in rule_ids:
        for finding in run_rule(registry[rule_id], ctx):
            keep(finding)
    result.findings.sort(key=lambda f: (f.line, f.col, f.rule))
    return result


def run_rule(rule: rules_pkg.Rule, ctx: rules_pkg.Context) -> list[Finding]:
    """The findings of one rule. A rule that raises costs only itself: its failure is an
    error finding that names it, and every other rule still runs and is reported."""
    if rule.check is None:
        return []
    from dataclasses import replace

    ctx = replace(ctx, rule=rule.id)
    try:
        return [replace(f, rule=rule.id) for f in rule.check(ctx)]
    except Exception as exc:  # RecursionError and MemoryError included: a bug, reported
        return [
            Finding(
                rule.id,
                Severity.error,
                f"the rule {rule.id} could not run ({type(exc).__name__}); this is a bug in "
                "ssoctl, please report it. The other rules ran.",
                ctx.file,
                1,
                1,
            )
        ]


def validate(
    paths: list[tuple[Path, str]],
    now: dt.datetime,
    rule_ids: list[str],
    strict: bool = False,
    on_file: Callable[[], None] | None = None,
) -> Result:
    """Validate each file; `on_file` hears when one is done (a progress bar)."""
    registry = rules_pkg.load_all()
    files = []
    for path, display in paths:
        files.append(validate_file(path, display, now, rule_ids))
        if on_file is not None:
            on_file()
    return Result(files=files, rules=[registry[r].info() for r in rule_ids], strict=strict)


def rule_findings(loaded: LoadedTenant, now: dt.datetime) -> list[Finding]:
    """The findings of every rule on an already loaded tenant (the file parsed and
    matched the schema, or it would not have loaded)."""
    ctx = rules_pkg.Context(loaded, now, str(loaded.path))
    found: list[Finding] = []
    for rule in rules_pkg.load_all().values():
        found.extend(run_rule(rule, ctx))
    return sorted(found, key=lambda f: (f.line, f.col, f.rule))


def error_count(loaded: LoadedTenant, now: dt.datetime) -> int:
    return sum(1 for f in rule_findings(loaded, now) if f.severity is Severity.error)


def introduced(before: list[Finding], after: list[Finding]) -> list[Finding]:
    """Findings of `after` that `before` did not have. A finding is the same when its
    rule, severity and message are: its line moves with every edit above it."""
    from collections import Counter

    seen = Counter((f.rule, f.severity, f.message) for f in before)
    new = []
    for finding in after:
        key = (finding.rule, finding.severity, finding.message)
        if seen[key]:
            seen[key] -= 1
        else:
            new.append(finding)
    return new


def edit_judge(
    *,
    force: bool = False,
    notify: Callable[[str], None] | None = None,
    now: dt.datetime,
    forced_by: str = "with --force",
) -> Judge:
    """The judge every edit is handed (tenant.edit): it refuses an edit that adds an
    error-level finding (unless `force`) and tells `notify` the warnings it adds, judged
    at `now` (the command's --now, or the clock). `forced_by` says why errors are saved
    (the option, or what the command records, as `entra export` records Entra)."""

    def judge(before: LoadedTenant, after: LoadedTenant, unwritten: Sequence[Path]) -> None:
        _judge(before, after, force, notify, now, unwritten, forced_by)

    return judge


def _judge(
    before: LoadedTenant,
    after: LoadedTenant,
    force: bool,
    notify: Callable[[str], None] | None,
    now: dt.datetime,
    unwritten: Sequence[Path] = (),
    forced_by: str = "with --force",
) -> None:
    """Refuse an edit that adds an error-level finding (unless forced); tell the warnings
    it adds. What the file already had is not this edit's doing and is not repeated.
    Findings about `unwritten` files (a dry run's) are not known yet and are left out."""
    new = introduced(rule_findings(before, now), rule_findings(after, now))
    names = [path.name for path in unwritten]
    new = [f for f in new if not any(name in f.message for name in names)]

    def where(finding: Finding) -> str:
        located = f"{after.path}:{finding.line}:{finding.col}"
        return f"{located}: {finding.severity.value}[{finding.rule}] {finding.message}"

    errors = [where(f) for f in new if f.severity is Severity.error]
    if errors and not force:
        raise InvalidInputError(
            f"this edit would add {len(errors)} validation error"
            f"{'s' if len(errors) != 1 else ''}; nothing was written.",
            problems=errors,
            hint="change the values, or pass --force to save it anyway.",
        )
    if notify is not None:
        for finding in new:
            if finding.severity is Severity.error:
                notify(f"saved {forced_by}: {where(finding)}")
            elif finding.severity is Severity.warning:
                notify(f"warning: {where(finding)}")
