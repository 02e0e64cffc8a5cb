"""An app's Attributes & Claims, edited as Entra's blade does: list, set, remove.

Names may be written short for Entra's default claims (givenname, surname, emailaddress,
name) or in full; a claim the app's template requires cannot be removed.
"""

from __future__ import annotations

from typing import Any

from ssoctl.errors import UsageError
from ssoctl.tenant import gallery
from ssoctl.tenant.docedit import mapping
from ssoctl.tenant.model import CLAIM_SOURCES, CLAIMS_NS, ENTRA_DEFAULT_CLAIMS, Tenant

SHORT_NAMES = {uri.removeprefix(CLAIMS_NS): uri for uri in ENTRA_DEFAULT_CLAIMS}


def claim_name(text: str) -> str:
    """`emailaddress` -> Entra's full claim URI; anything else is taken as written."""
    return SHORT_NAMES.get(text, text)


def rows(tenant: Tenant, app: str) -> list[dict[str, Any]]:
    entry = tenant.apps[app]
    required = gallery.get(entry.template).required_claims
    return [
        {
            "claim": claim,
            "source": source,
            "required_by_template": claim in required,
            "entra_default": claim in ENTRA_DEFAULT_CLAIMS,
        }
        for claim, source in entry.effective_claims().items()
    ]


def _materialized(tenant: Tenant, app: str, entry: Any) -> Any:
    """The app's `claims:` mapping, written out first when the app relied on Entra's
    defaults (so an edit starts from what Entra sends)."""
    node = entry.get("claims")
    if node is None:
        node = mapping(dict(tenant.apps[app].effective_claims()))
        keys = list(entry.keys())
        after = "name_id" if "name_id" in keys else keys[-1]
        entry.insert(keys.index(after) + 1, "claims", node)
    return node


def set_claim(tenant: Tenant, app: str, entry: Any, claim: str, source: str) -> bool:
    if source not in CLAIM_SOURCES:
        raise UsageError(
            f"source {source!r} is not one ssoctl knows; choose one of: {', '.join(CLAIM_SOURCES)}."
        )
    node = _materialized(tenant, app, entry)
    name = claim_name(claim)
    if node.get(name) == source:
        return False
    node[name] = source
    return True


def remove_claim(tenant: Tenant, app: str, entry: Any, claim: str) -> None:
    name = claim_name(claim)
    template = gallery.get(tenant.apps[app].template)
    if name in template.required_claims:
        raise UsageError(
            f"{template.display_name} requires the claim {name}; it cannot be removed.",
            hint="change its source instead: `ssoctl app claim set APP CLAIM SOURCE`.",
        )
    node = _materialized(tenant, app, entry)
    if name not in node:
        known = ", ".join(str(k).removeprefix(CLAIMS_NS) for k in node) or "none"
        raise UsageError(f"app {app!r} has no claim {claim!r}; its claims: {known}.")
    del node[name]
