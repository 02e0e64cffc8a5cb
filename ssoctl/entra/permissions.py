"""Which Graph permissions each `ssoctl entra` command needs (entra-graph.md A3), and
which of them a token carries: named before any call fails on one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Least privilege first; each is also satisfied by the broader permissions listed.
SATISFIED_BY: dict[str, frozenset[str]] = {
    "Application.Read.All": frozenset(
        {
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        }
    ),
    "Policy.Read.ApplicationConfiguration": frozenset(
        {"Policy.Read.ApplicationConfiguration", "Policy.ReadWrite.ApplicationConfiguration"}
    ),
    "Application.ReadWrite.OwnedBy": frozenset(
        {"Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.ReadWrite.All"}
    ),
    "Policy.ReadWrite.ApplicationConfiguration": frozenset(
        {"Policy.ReadWrite.ApplicationConfiguration"}
    ),
    "AppRoleAssignment.ReadWrite.All": frozenset({"AppRoleAssignment.ReadWrite.All"}),
    # User.ReadBasic.All may be enough for the fields read: UNCONFIRMED (A2), so not offered.
    "User.Read.All": frozenset(
        {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
    ),
    "GroupMember.Read.All": frozenset(
        {
            "GroupMember.Read.All",
            "GroupMember.ReadWrite.All",
            "Group.Read.All",
            "Group.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        }
    ),
}

READ = (
    "Application.Read.All",
    "Policy.Read.ApplicationConfiguration",
    "User.Read.All",
    "GroupMember.Read.All",
)
# apply writes apps ssoctl owns (OwnedBy; .All for apps made elsewhere), the claims
# policy and assignments; it reads as plan does (A3).
WRITE = (
    "Application.ReadWrite.OwnedBy",
    "Policy.ReadWrite.ApplicationConfiguration",
    "AppRoleAssignment.ReadWrite.All",
)
NEEDS: dict[str, tuple[str, ...]] = {"export": READ, "plan": READ, "apply": READ + WRITE}


def granted(claims: Mapping[str, Any]) -> tuple[str, frozenset[str]] | None:
    """("application", roles) for an app-only token, ("delegated", scopes) for a user's,
    or None when the token says neither (then only Graph can tell)."""
    roles = claims.get("roles")
    if isinstance(roles, list) and claims.get("idtyp") != "user" and "scp" not in claims:
        return "application", frozenset(str(r) for r in roles)
    scp = claims.get("scp")
    if isinstance(scp, str):
        return "delegated", frozenset(scp.split())
    return None


def missing(claims: Mapping[str, Any], command: str) -> list[str]:
    found = granted(claims)
    if found is None:
        return []
    _, have = found
    return [p for p in NEEDS[command] if not (SATISFIED_BY[p] & have)]


def grant_hint(names: list[str], kind: str) -> str:
    how = (
        "add them as Application permissions of the app registration and grant admin consent"
        if kind == "application"
        else "consent to them as delegated permissions; the signed-in admin also needs the "
        "Cloud Application Administrator role"
    )
    return f"{how}: {', '.join(names)} (docs/entra.md, 'Permissions')."
