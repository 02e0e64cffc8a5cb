"""Test users and groups: the named edits (add, set, remove, members), principal checks,
reference lookups. Each edit takes the loaded document of an edit transaction
(`tenant.edit`) and the ID factory; the cascade of a removal is written once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ssoctl.errors import UsageError
from ssoctl.tenant.docedit import flow_list, mapping, remove_from_list, section
from ssoctl.tenant.model import GROUP_PREFIX, Tenant

if TYPE_CHECKING:
    from ssoctl.tenant.document import LoadedTenant

NewId = Callable[[], str]  # a fresh object ID (the CLI passes uuid4)


def add_user(
    loaded: LoadedTenant,
    upn: str,
    *,
    new_id: NewId,
    display_name: str | None = None,
    given_name: str | None = None,
    surname: str | None = None,
    mail: str | None = None,
) -> None:
    """Add a test user with a fresh, stable object ID."""
    from ruamel.yaml.comments import CommentedSeq

    entry = new_user(
        loaded.model, upn, display_name=display_name, given_name=given_name,
        surname=surname, mail=mail, object_id=new_id(),
    )  # fmt: skip
    section(loaded.doc, "users", CommentedSeq).append(entry)


def set_user(loaded: LoadedTenant, upn: str, changes: dict[str, str | None]) -> list[str]:
    """Change a user's fields ("" clears one, None leaves it); the keys that changed."""
    if loaded.model.user(upn) is None:
        raise UsageError(f"no user {upn!r} in the tenant file.")
    entry = next(u for u in loaded.doc["users"] if str(u["upn"]).lower() == upn.lower())
    return set_user_fields(loaded.model, entry, changes)


def remove_user(loaded: LoadedTenant, upn: str, *, cascade: bool) -> None:
    """Remove a user; while it is assigned, only with `cascade`, which also removes its
    assignments (and its group memberships, always)."""
    user = loaded.model.user(upn)
    if user is None:
        raise UsageError(f"no user {upn!r} in the tenant file.")
    _unassign_everywhere(
        loaded, user.upn, cascade,
        "unassign it first, or pass --force to remove the assignments too.",
    )  # fmt: skip
    for group in loaded.doc.get("groups") or []:
        remove_from_list(group.get("members"), user.upn, casefold=True)
    users = loaded.doc["users"]
    del users[next(i for i, u in enumerate(users) if str(u["upn"]).lower() == upn.lower())]


def add_group(loaded: LoadedTenant, name: str, members: list[str], *, new_id: NewId) -> None:
    from ruamel.yaml.comments import CommentedSeq

    entry = new_group(loaded.model, name, members, object_id=new_id())
    section(loaded.doc, "groups", CommentedSeq).append(entry)


def add_members(loaded: LoadedTenant, name: str, upns: list[str]) -> list[str]:
    return change_members(loaded.model, loaded.doc, name, upns, add=True)


def remove_members(loaded: LoadedTenant, name: str, upns: list[str]) -> list[str]:
    return change_members(loaded.model, loaded.doc, name, upns, add=False)


def remove_group(loaded: LoadedTenant, name: str, *, cascade: bool) -> None:
    """Remove a group; while it is assigned, only with `cascade` (its assignments go)."""
    if loaded.model.group(name) is None:
        raise UsageError(f"no group {name!r} in the tenant file.")
    _unassign_everywhere(
        loaded, f"{GROUP_PREFIX}{name}", cascade, "unassign it first, or pass --force."
    )
    groups = loaded.doc["groups"]
    del groups[next(i for i, g in enumerate(groups) if g["name"] == name)]


def _unassign_everywhere(loaded: LoadedTenant, principal: str, cascade: bool, hint: str) -> None:
    """The one removal cascade: `principal`'s assignments go only when `cascade`."""
    apps = apps_assigning(loaded.model, principal)
    if apps and not cascade:
        shown = principal if not principal.startswith(GROUP_PREFIX) else (
            f"group {principal[len(GROUP_PREFIX):]!r}"
        )
        raise UsageError(f"{shown} is assigned to {', '.join(apps)}.", hint=hint)
    for app in apps:
        remove_from_list(
            loaded.doc["apps"][app]["assignments"], principal,
            casefold=not principal.startswith(GROUP_PREFIX),
        )  # fmt: skip


def new_user(
    tenant: Tenant,
    upn: str,
    *,
    display_name: str | None,
    given_name: str | None,
    surname: str | None,
    mail: str | None,
    object_id: str,
) -> Any:
    if tenant.user(upn) is not None:
        raise UsageError(f"user {upn!r} already exists.", hint="`ssoctl user list` shows users.")
    if "@" not in upn:
        raise UsageError(f"{upn!r} is not a UPN such as B.Simon@{tenant.tenant.domain}.")
    return mapping(
        {
            "upn": upn,
            "object_id": object_id,
            "display_name": display_name or upn.split("@", 1)[0],
            "given_name": given_name,
            "surname": surname,
            # A user created in the portal has no mail until a mailbox licence or the
            # admin sets one (entra-saml.md); so has a user added here without --mail.
            "mail": mail or None,
        }
    )


def new_group(tenant: Tenant, name: str, members: list[str], *, object_id: str) -> Any:
    if tenant.group(name) is not None:
        raise UsageError(f"group {name!r} already exists.")
    canonical = [check_principal(tenant, m, allow_groups=False) for m in members]
    return mapping({"name": name, "object_id": object_id, "members": flow_list(canonical)})


def change_members(tenant: Tenant, doc: Any, name: str, upns: list[str], *, add: bool) -> list[str]:
    """Add or remove members of group `name` in the round-trip document; returns the UPNs
    that changed (as written in the file). Unknown users and groups are usage errors;
    removing someone who is not a member is one too."""
    group = tenant.group(name)
    if group is None:
        known = ", ".join(g.name for g in tenant.groups) or "none"
        raise UsageError(f"no group {name!r}; groups: {known}.")
    entry = next(g for g in doc["groups"] if str(g["name"]) == name)
    members = entry.get("members")
    if members is None:
        members = entry["members"] = flow_list([])
    current = {str(m).lower() for m in members}
    changed = []
    for upn in upns:
        if add:
            canonical = check_principal(tenant, upn, allow_groups=False)
            if canonical.lower() not in current:
                members.append(canonical)
                current.add(canonical.lower())
                changed.append(canonical)
        elif remove_from_list(members, upn, casefold=True):
            changed.append(upn)
        else:
            raise UsageError(f"{upn!r} is not a member of group {name!r}.")
    return changed


def check_principal(tenant: Tenant, principal: str, *, allow_groups: bool = True) -> str:
    """The principal as written in the file (UPN case kept); a usage error if unknown."""
    if principal.startswith(GROUP_PREFIX):
        if not allow_groups:
            raise UsageError(f"{principal!r}: groups cannot be members of groups here.")
        group = tenant.group(principal[len(GROUP_PREFIX) :])
        if group is None:
            known = ", ".join(g.name for g in tenant.groups) or "none"
            raise UsageError(
                f"no group {principal[len(GROUP_PREFIX) :]!r}; groups: {known}.",
                hint="add it with `ssoctl group add NAME`.",
            )
        return f"{GROUP_PREFIX}{group.name}"
    user = tenant.user(principal)
    if user is None:
        raise UsageError(
            f"no user {principal!r} in the tenant file.",
            hint=f"add it with `ssoctl user add {principal}`, or write group:NAME for a group.",
        )
    return user.upn


def apps_assigning(tenant: Tenant, principal: str) -> list[str]:
    """Names of the apps that list `principal` itself in `assignments` (a user or a
    group:NAME): what removing it must edit. Which apps a user may use, groups included,
    is `Tenant.apps_for`."""
    wanted = principal.lower()
    return [n for n, a in tenant.apps.items() if wanted in {p.lower() for p in a.assignments}]


USER_FIELDS = ("display_name", "given_name", "surname", "mail")


def set_user_fields(tenant: Tenant, entry: Any, changes: dict[str, str | None]) -> list[str]:
    """Change a user's fields in its round-trip mapping; "" clears one. Returns the keys
    that changed. The new values are checked with the rest when the edit is validated."""
    changed = []
    keys = list(entry.keys())
    for key, value in changes.items():
        if value is None:
            continue
        if value == "":
            if key in entry:
                del entry[key]
                changed.append(key)
            continue
        if entry.get(key) == value:
            continue
        if key in entry:
            entry[key] = value
        else:
            order = ["upn", "object_id", *USER_FIELDS]
            before = [k for k in order[: order.index(key)] if k in keys]
            entry.insert(keys.index(before[-1]) + 1 if before else len(keys), key, value)
            keys = list(entry.keys())
        changed.append(key)
    return changed
