"""`ssoctl user ...` and `ssoctl group ...`: test users and groups."""

from __future__ import annotations

from functools import partial

import typer

from ssoctl.cli.common import (
    FORCE_EDIT_OPTION,
    FORMAT_OPTION,
    DataFormat,
    checked,
    edit_tenant,
    emit_json,
    load_tenant,
    new_object_id,
    new_typer,
    note,
    out,
)

user_app = new_typer("Manage test users.")
group_app = new_typer("Manage groups.")


@user_app.command("add")
def user_add(
    upn: str = typer.Argument(
        ..., help="User principal name, e.g. B.Simon@contoso.com.", callback=checked("upn")
    ),
    display_name: str | None = typer.Option(
        None, "--display-name", help="Display name (default: the UPN's part before @)."
    ),
    given_name: str | None = typer.Option(None, "--given-name", help="Given name (first name)."),
    surname: str | None = typer.Option(None, "--surname", help="Surname (last name)."),
    mail: str | None = typer.Option(
        None,
        "--mail",
        help="Mail (default: none, like a user created in the portal).",
        callback=checked("upn"),
    ),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Add a test user; its object_id is generated once and stays stable.

    Without --mail the user has no mail, as a user created in Entra's portal with a
    display name and UPN only: apps whose claims read user.mail then get no email claim.
    """
    from ssoctl import tenant

    add = partial(tenant.add_user, upn=upn, new_id=new_object_id, display_name=display_name,
                  given_name=given_name, surname=surname, mail=mail)  # fmt: skip
    edit_tenant(add, force=force)
    note(f"added user {upn}" + ("" if mail else " (no mail: give --mail if the user has one)"))


@user_app.command("set")
def user_set(
    upn: str = typer.Argument(..., help="User principal name."),
    display_name: str | None = typer.Option(None, "--display-name", help='"" clears it.'),
    given_name: str | None = typer.Option(None, "--given-name", help='"" clears it.'),
    surname: str | None = typer.Option(None, "--surname", help='"" clears it.'),
    mail: str | None = typer.Option(
        None,
        "--mail",
        help='Mail, e.g. B.Simon@contoso.com; "" clears it.',
        callback=checked("upn"),
    ),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Change a user's display name, given name, surname or mail."""
    from ssoctl import tenant

    fields = {"display_name": display_name, "given_name": given_name, "surname": surname,
              "mail": mail}  # fmt: skip
    changed = edit_tenant(partial(tenant.set_user, upn=upn, changes=fields), force=force)
    note(f"updated {upn}: {', '.join(changed)}" if changed else "nothing changed")


@user_app.command("list")
def user_list(fmt: DataFormat = FORMAT_OPTION) -> None:
    """List test users."""
    import msgspec

    model = load_tenant().model
    # the apps each user may use: directly or through a group, as My Apps shows them
    rows = [{**msgspec.to_builtins(u), "apps": model.apps_for(u.upn)} for u in model.users]
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(rows, "users", shape=outputs.UserList)
        return
    from ssoctl.cli.table import print_table

    print_table(
        ["upn", "display name", "mail", "object_id", "assigned to"],
        [
            [
                r["upn"],
                r["display_name"] or "-",
                r["mail"] or "-",
                r["object_id"],
                ", ".join(r["apps"]) or "-",
            ]
            for r in rows
        ],
    )


@user_app.command("remove")
def user_remove(
    upn: str = typer.Argument(..., help="User principal name."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Also remove its assignments; save even if the edit adds a validation error.",
    ),
) -> None:
    """Remove a user; refuses while assigned unless --force."""
    from ssoctl import tenant

    edit_tenant(partial(tenant.remove_user, upn=upn, cascade=force), force=force)
    note(f"removed user {upn}")


@group_app.command("add")
def group_add(
    name: str = typer.Argument(..., help="Group name.", callback=checked("name")),
    member: list[str] = typer.Option(
        [], "--member", help="Member UPN; repeatable.", callback=checked("upn")
    ),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Add a group of test users."""
    from ssoctl import tenant

    add = partial(tenant.add_group, name=name, members=member, new_id=new_object_id)
    edit_tenant(add, force=force)
    note(f"added group {name}")


@group_app.command("add-member")
def group_add_member(
    name: str = typer.Argument(..., help="Group name."),
    upns: list[str] = typer.Argument(..., help="UPNs of test users; several allowed."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Add test users to a group (apps assigned to the group then admit them)."""
    from ssoctl import tenant

    added = edit_tenant(partial(tenant.add_members, name=name, upns=upns), force=force)
    note(f"added {', '.join(added)} to group {name}" if added else "nothing new to add")


@group_app.command("remove-member")
def group_remove_member(
    name: str = typer.Argument(..., help="Group name."),
    upns: list[str] = typer.Argument(..., help="UPNs of members; several allowed."),
    force: bool = FORCE_EDIT_OPTION,
) -> None:
    """Remove members from a group."""
    from ssoctl import tenant

    removed = edit_tenant(partial(tenant.remove_members, name=name, upns=upns), force=force)
    note(f"removed {', '.join(removed)} from group {name}")


@group_app.command("list")
def group_list(fmt: DataFormat = FORMAT_OPTION) -> None:
    """List groups."""
    from ssoctl.tenant import apps_assigning

    model = load_tenant().model
    rows = [
        {
            "name": g.name,
            "members": list(g.members),
            "apps": apps_assigning(model, f"group:{g.name}"),
        }
        for g in model.groups
    ]
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(rows, "groups", shape=outputs.GroupList)
        return
    for r in rows:
        out().print(
            f"{r['name']}: {', '.join(r['members']) or '(no members)'}"
            f"{'  assigned to ' + ', '.join(r['apps']) if r['apps'] else ''}",
            markup=False,
        )


@group_app.command("remove")
def group_remove(
    name: str = typer.Argument(..., help="Group name."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Also remove its assignments; save even if the edit adds a validation error.",
    ),
) -> None:
    """Remove a group; refuses while assigned unless --force."""
    from ssoctl import tenant

    edit_tenant(partial(tenant.remove_group, name=name, cascade=force), force=force)
    note(f"removed group {name}")
