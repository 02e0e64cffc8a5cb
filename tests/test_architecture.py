"""The import contract of docs/architecture.md, read from the code's own imports (every
`import` and `from ... import`, module-level and inside functions; `if TYPE_CHECKING:`
blocks count for the layers and the door, not for cycles, as they never run).

- no import cycles among ssoctl's modules;
- no import runs from a lower layer to a higher one (the layers below);
- outside `ssoctl/tenant/`, only the door (`ssoctl.tenant`, names in its `__all__`) and
  `ssoctl.tenant.model` are imported; the tenant wing and saml/ never import each other;
- only `cli/` imports typer; only `cli/` and `report/text.py` import rich.

Each check is also run against a made-up violation, so none can pass vacuously.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ssoctl"

# Lowest first. A module may import its own layer (no cycles) and the layers below.
LAYERS: list[tuple[str, ...]] = [
    # shared vocabulary and the file, network, git and certificate layers
    ("ssoctl", "ssoctl.errors", "ssoctl.instants", "ssoctl.xmlchars", "ssoctl.textchars",
     "ssoctl.urls", "ssoctl.endpoints", "ssoctl.findings", "ssoctl.files", "ssoctl.gitstate",
     "ssoctl.fetch", "ssoctl.certs"),
    # the two wings of data: the tenant file, and SAML messages
    ("ssoctl.tenant", "ssoctl.saml"),
    # the core that joins them: rules and reports, sign-in (one, and many: bulk),
    # metadata, import, outputs
    ("ssoctl.rules", "ssoctl.report", "ssoctl.validate", "ssoctl.signin", "ssoctl.bulk",
     "ssoctl.federation", "ssoctl.spimport", "ssoctl.outputs", "ssoctl.entra", "ssoctl.keyscan"),
    # the twin and the test SP (incoming network)
    ("ssoctl.idp", "ssoctl.sp"),
    # the command line
    ("ssoctl.cli", "ssoctl.__main__"),
]  # fmt: skip


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    type_only: bool


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    names = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    """Every ssoctl import in the file, resolved to a module of `known` (a package's
    `__init__` when the name is not a submodule)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def resolved(base: str, name: str | None) -> str | None:
        if name and f"{base}.{name}" in known:
            return f"{base}.{name}"
        return base if base in known else None

    def visit(node: ast.AST, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            guarded = type_only or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = resolved(alias.name, None)
                    if target:
                        found.append(Import(module, target, child.lineno, guarded))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in child.names:
                    target = resolved(base, alias.name)
                    if target:
                        found.append(Import(module, target, child.lineno, guarded))
            visit(child, guarded)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return [i for i in found if i.target != module]


def all_imports(names: dict[str, Path]) -> list[Import]:
    known = set(names)
    return [i for module, path in names.items() for i in imports_of(module, path, known)]


def layer_of(module: str) -> int:
    best, depth = -1, -1
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > depth:
                best, depth = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no layer of docs/architecture.md")
    return best


def cycles(edges: list[Import]) -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.type_only:
            graph.setdefault(edge.source, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def upward(edges: list[Import]) -> list[Import]:
    return [e for e in edges if layer_of(e.target) > layer_of(e.source)]


def door_exports() -> set[str]:
    tree = ast.parse((PACKAGE / "tenant" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    raise AssertionError("ssoctl/tenant/__init__.py has no __all__")


def past_the_door(edges: list[Import], names: dict[str, Path]) -> list[str]:
    """Imports from outside the tenant wing that reach past its door, or take a name the
    door does not list; and imports between the tenant wing and saml/."""
    exported = door_exports()
    wrong = []
    public = {"ssoctl.tenant", "ssoctl.tenant.model"} | {
        f"ssoctl.tenant.{name}" for name in exported if f"ssoctl.tenant.{name}" in names
    }
    for edge in edges:
        inside = edge.source == "ssoctl.tenant" or edge.source.startswith("ssoctl.tenant.")
        wing = edge.target == "ssoctl.tenant" or edge.target.startswith("ssoctl.tenant.")
        saml = edge.target.startswith("ssoctl.saml")
        if not inside and wing and edge.target not in public:
            wrong.append(f"{edge.source}:{edge.line} imports {edge.target}")
        if inside and saml:
            wrong.append(f"{edge.source}:{edge.line} (tenant wing) imports {edge.target}")
        if edge.source.startswith("ssoctl.saml") and wing:
            wrong.append(f"{edge.source}:{edge.line} (saml) imports {edge.target}")
    wrong += names_outside_the_door(exported, names)
    return wrong


def names_outside_the_door(exported: set[str], names: dict[str, Path]) -> list[str]:
    wrong = []
    for module, path in names.items():
        if module.startswith("ssoctl.tenant"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "ssoctl.tenant":
                wrong += [
                    f"{module}:{node.lineno} takes {a.name!r}, which the door does not list"
                    for a in node.names
                    if a.name not in exported
                ]
    return wrong


def third_party(names: dict[str, Path], library: str) -> set[str]:
    users = set()
    for module, path in names.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(
                a.name == library or a.name.startswith(library + ".") for a in node.names
            ):
                users.add(module)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == library:
                users.add(module)
    return users


# -- the contract on ssoctl --------------------------------------------------------------

NAMES = module_names()
EDGES = all_imports(NAMES)


def test_the_graph_is_read_at_all() -> None:
    assert len(NAMES) > 60 and len(EDGES) > 200
    assert any(e.source == "ssoctl.cli.main" and e.target == "ssoctl.cli.common" for e in EDGES)
    # a function-level import is seen: validate's rules are imported inside functions
    assert any(e.source == "ssoctl.cli.common" and e.target == "ssoctl.validate" for e in EDGES)


def test_no_import_cycles() -> None:
    assert cycles(EDGES) == []


def test_no_import_runs_upward() -> None:
    assert [f"{e.source}:{e.line} -> {e.target}" for e in upward(EDGES)] == []


def test_the_tenant_wing_has_one_door() -> None:
    assert past_the_door(EDGES, NAMES) == []


def test_only_the_cli_speaks_typer_and_rich() -> None:
    assert {m for m in third_party(NAMES, "typer") if not m.startswith("ssoctl.cli")} == set()
    rich = {m for m in third_party(NAMES, "rich") if not m.startswith("ssoctl.cli")}
    assert rich <= {"ssoctl.report.text"}


# -- each check catches what it is for ---------------------------------------------------


def test_each_check_catches_a_made_up_violation() -> None:
    fake = [
        Import("ssoctl.errors", "ssoctl.cli.common", 1, False),  # upward
        Import("ssoctl.cli.common", "ssoctl.tenant.keyring", 2, False),  # keyring's a door name
        Import("ssoctl.idp.app", "ssoctl.tenant.docedit", 3, False),  # past the door
        Import("ssoctl.tenant.apps", "ssoctl.saml.xml", 4, True),  # wing to wing
        Import("ssoctl.signin", "ssoctl.federation", 5, False),
        Import("ssoctl.federation", "ssoctl.signin", 6, False),  # a cycle
    ]
    assert [f"{e.source}" for e in upward(fake)] == ["ssoctl.errors"]
    assert cycles(fake) == [["ssoctl.federation", "ssoctl.signin"]]
    wrong = past_the_door(fake, NAMES)
    assert any("ssoctl.tenant.docedit" in w for w in wrong)
    assert any("(tenant wing) imports ssoctl.saml.xml" in w for w in wrong)
    assert not any("ssoctl.tenant.keyring" in w for w in wrong)


@pytest.mark.parametrize("module", sorted(NAMES))
def test_every_module_is_in_a_layer(module: str) -> None:
    assert 0 <= layer_of(module) < len(LAYERS)
