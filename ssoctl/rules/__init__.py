"""Validation rules: small functions yielding Findings, in an explicit registry.

Each rule has a stable kebab-case ID and a docstring that is its user documentation
(docs/rules.md is generated from them). A rule reads the validated tenant through a
`Context`, which also knows where every value stands in the YAML. The registry itself is
in registry.py; this door re-exports it and loads the rule modules in order.
"""

from __future__ import annotations

from ssoctl.rules.registry import REGISTRY, Check, Context, Rule, builtin, register

__all__ = [
    "REGISTRY",
    "RULE_MODULES",
    "Check",
    "Context",
    "Rule",
    "builtin",
    "load_all",
    "register",
]

RULE_MODULES = (
    "ssoctl.rules.apps",
    "ssoctl.rules.certificates",
    "ssoctl.rules.directory",
    "ssoctl.rules.editor",
    "ssoctl.rules.graph",
    "ssoctl.rules.placeholders",
)


def load_all() -> dict[str, Rule]:
    """The registry, with every rule module imported, in a fixed order: the built-in rules,
    then each module's rules as they are written (not in the order some caller happened to
    import a module first, which would reorder reports and docs)."""
    from ssoctl.rules import apps, certificates, directory, editor, graph, placeholders  # noqa: F401

    def rank(rule: Rule) -> tuple[int, int]:
        if rule.check is None:
            return (-1, 0)
        module = rule.check.__module__
        return (RULE_MODULES.index(module), rule.check.__code__.co_firstlineno)

    ordered = sorted(REGISTRY.values(), key=rank)
    if list(REGISTRY) != [r.id for r in ordered]:
        REGISTRY.clear()
        REGISTRY.update((r.id, r) for r in ordered)
    return REGISTRY
