"""The tenant file's wing: the only code that reads or writes a tenant file and the files
beside it (docs/architecture.md). This is its door: re-exports only.

Outside this package, import from `ssoctl.tenant` (these names) or `ssoctl.tenant.model`
(the typed model, which rules and reporters read); nothing else in here. Three names
are namespaces read through the door: `gallery` (the app templates), `keyring` (the
certificates and signing sets, read side) and `model`. The import contract in
tests/test_architecture.py holds all of this.
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
    from ssoctl.tenant.appedits import (
        Activation,
        AddedApp,
        NewCertificate,
        Registered,
        SpValues,
        activate_certificate,
        add_app,
        assign,
        claim_rows,
        register_certificate,
        remove_app,
        remove_app_claim,
        require_app,
        set_app,
        set_app_claim,
        set_sp_values,
        unassign,
    )
    from ssoctl.tenant.apps import (
        AppChanges,
        AppRequest,
        local_app_id,
        portal_view,
    )
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
    from ssoctl.tenant.gallery import (
        Template,
    )
    from ssoctl.tenant.keyring import (
        PAIRWISE_SECRET,
        KeyringEntry,
        PassphraseSource,
        Switch,
        check_keys,
        entries,
        metadata_certificates,
        pairwise_secret,
        private_key,
        remove_certificate,
        set_summaries,
        signing_set,
        status_by_set,
        usable_active,
        users_of,
    )
    from ssoctl.tenant.scaffold import (
        SCHEMA_FILE,
        gitignore_text,
        tenant_text,
    )
    from ssoctl.tenant.schema import json_schema
    from ssoctl.tenant.transaction import EditOutcome, Judge, create, edit, edit_reviewed

__all__ = [
    "MAX_TENANT_BYTES",
    "PAIRWISE_SECRET",
    "SCHEMA_FILE",
    "Activation",
    "AddedApp",
    "AppChanges",
    "AppRequest",
    "EditOutcome",
    "Judge",
    "KeyringEntry",
    "LoadedTenant",
    "NewCertificate",
    "PassphraseSource",
    "Positions",
    "Registered",
    "RoundTripPositions",
    "SpValues",
    "Switch",
    "Template",
    "activate_certificate",
    "add_app",
    "add_group",
    "add_members",
    "add_user",
    "apps_assigning",
    "assign",
    "check_keys",
    "check_principal",
    "claim_rows",
    "compose",
    "create",
    "dotted",
    "dump",
    "edit",
    "edit_reviewed",
    "entries",
    "gallery",
    "gitignore_text",
    "json_schema",
    "keyring",
    "load",
    "load_roundtrip",
    "load_text",
    "local_app_id",
    "metadata_certificates",
    "model",
    "pairwise_secret",
    "parse_yaml",
    "portal_view",
    "private_key",
    "read_text",
    "register_certificate",
    "remove_app",
    "remove_app_claim",
    "remove_certificate",
    "remove_group",
    "remove_members",
    "remove_user",
    "require_app",
    "schema_problems",
    "set_app",
    "set_app_claim",
    "set_sp_values",
    "set_summaries",
    "set_user",
    "signing_set",
    "status_by_set",
    "tenant_text",
    "to_plain",
    "unassign",
    "usable_active",
    "users_of",
]

# Loaded on first use: reading commands (`app list`) never import the edit machinery
# or the schema generator (benchmarks/bench_startup.py).
_LAZY = {
    "Template": "ssoctl.tenant.gallery",
    "SCHEMA_FILE": "ssoctl.tenant.scaffold",
    "gitignore_text": "ssoctl.tenant.scaffold",
    "tenant_text": "ssoctl.tenant.scaffold",
    "require_app": "ssoctl.tenant.appedits",
    "SpValues": "ssoctl.tenant.appedits",
    "set_sp_values": "ssoctl.tenant.appedits",
    "NewCertificate": "ssoctl.tenant.appedits",
    "Registered": "ssoctl.tenant.appedits",
    "register_certificate": "ssoctl.tenant.appedits",
    "AddedApp": "ssoctl.tenant.appedits",
    "add_app": "ssoctl.tenant.appedits",
    "set_app": "ssoctl.tenant.appedits",
    "remove_app": "ssoctl.tenant.appedits",
    "assign": "ssoctl.tenant.appedits",
    "unassign": "ssoctl.tenant.appedits",
    "set_app_claim": "ssoctl.tenant.appedits",
    "remove_app_claim": "ssoctl.tenant.appedits",
    "Activation": "ssoctl.tenant.appedits",
    "activate_certificate": "ssoctl.tenant.appedits",
    "claim_rows": "ssoctl.tenant.appedits",
    "AppRequest": "ssoctl.tenant.apps",
    "AppChanges": "ssoctl.tenant.apps",
    "portal_view": "ssoctl.tenant.apps",
    "local_app_id": "ssoctl.tenant.apps",
    "check_keys": "ssoctl.tenant.keyring",
    "set_summaries": "ssoctl.tenant.keyring",
    "remove_certificate": "ssoctl.tenant.keyring",
    "pairwise_secret": "ssoctl.tenant.keyring",
    "PAIRWISE_SECRET": "ssoctl.tenant.keyring",
    "PassphraseSource": "ssoctl.tenant.keyring",
    "KeyringEntry": "ssoctl.tenant.keyring",
    "entries": "ssoctl.tenant.keyring",
    "signing_set": "ssoctl.tenant.keyring",
    "usable_active": "ssoctl.tenant.keyring",
    "private_key": "ssoctl.tenant.keyring",
    "users_of": "ssoctl.tenant.keyring",
    "status_by_set": "ssoctl.tenant.keyring",
    "metadata_certificates": "ssoctl.tenant.keyring",
    "Switch": "ssoctl.tenant.keyring",
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
