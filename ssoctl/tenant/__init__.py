"""The tenant file's wing: the only code that reads or writes a tenant file and the files
beside it (docs/architecture.md). This is its door: re-exports only.

Outside this package, import from `ssoctl.tenant` (these names) or `ssoctl.tenant.model`
(the typed model, which rules and reporters read); nothing else in here. The import
contract in tests/test_architecture.py holds that.
"""

from typing import TYPE_CHECKING, Any

from ssoctl.tenant.document import (
    MAX_TENANT_BYTES,
    LoadedTenant,
    Positions,
    RoundTripPositions,
    dotted,
    dump,
    load,
    load_roundtrip,
    load_text,
    parse_yaml,
    read_text,
    schema_problems,
    to_plain,
)
from ssoctl.tenant.fastread import compose

if TYPE_CHECKING:
    from ssoctl.tenant.directory import (
        add_group,
        add_members,
        add_user,
        apps_assigning,
        check_principal,
        remove_group,
        remove_members,
        remove_user,
        set_user,
    )
    from ssoctl.tenant.schema import json_schema
    from ssoctl.tenant.transaction import EditOutcome, Judge, create, edit, edit_reviewed

__all__ = [
    "MAX_TENANT_BYTES",
    "EditOutcome",
    "Judge",
    "LoadedTenant",
    "Positions",
    "RoundTripPositions",
    "add_group",
    "add_members",
    "add_user",
    "apps_assigning",
    "check_principal",
    "compose",
    "create",
    "dotted",
    "dump",
    "edit",
    "edit_reviewed",
    "json_schema",
    "load",
    "load_roundtrip",
    "load_text",
    "parse_yaml",
    "read_text",
    "remove_group",
    "remove_members",
    "remove_user",
    "schema_problems",
    "set_user",
    "to_plain",
]

# Loaded on first use: reading commands (`app list`) never import the edit machinery
# or the schema generator (benchmarks/bench_startup.py).
_LAZY = {
    "add_user": "ssoctl.tenant.directory",
    "set_user": "ssoctl.tenant.directory",
    "remove_user": "ssoctl.tenant.directory",
    "add_group": "ssoctl.tenant.directory",
    "add_members": "ssoctl.tenant.directory",
    "remove_members": "ssoctl.tenant.directory",
    "remove_group": "ssoctl.tenant.directory",
    "apps_assigning": "ssoctl.tenant.directory",
    "check_principal": "ssoctl.tenant.directory",
    "EditOutcome": "ssoctl.tenant.transaction",
    "Judge": "ssoctl.tenant.transaction",
    "create": "ssoctl.tenant.transaction",
    "edit": "ssoctl.tenant.transaction",
    "edit_reviewed": "ssoctl.tenant.transaction",
    "json_schema": "ssoctl.tenant.schema",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ssoctl.tenant' has no attribute {name!r}")
