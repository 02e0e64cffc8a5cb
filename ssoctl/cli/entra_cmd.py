"""`ssoctl entra ...`: live Entra through Microsoft Graph (export, plan, status, login,
logout). Options in, one core call (ssoctl.entra), output out. msal and httpx load only
here; a missing extra is a clear error naming `pip install 'ssoctl[entra]'`."""

from __future__ import annotations

import os
from enum import Enum
from typing import TYPE_CHECKING

import typer

from ssoctl.cli.common import (
    emit_json,
    key_passphrase,
    load_tenant,
    new_typer,
    note,
    parse_now,
    tenant_path,
    write_out,
)

if TYPE_CHECKING:
    from ssoctl.entra import Connection, Plan
    from ssoctl.tenant import LoadedTenant

app = new_typer(
    "Live Entra through Microsoft Graph: export the tenant's SAML apps into the file, plan "
    "what differs, and apply the file to Entra. Credentials: AZURE_CLIENT_ID with "
    "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE, or "
    "`ssoctl entra login` (docs/entra.md). Needs `pip install 'ssoctl[entra]'`."
)


class PlanFormat(str, Enum):
    text = "text"
    json = "json"


def _require_extra() -> None:
    from importlib.util import find_spec

    from ssoctl.errors import UsageError

    if find_spec("msal") is None:
        raise UsageError(
            "`ssoctl entra` needs the entra extra (msal), which is not installed.",
            hint="pip install 'ssoctl[entra]'",
        )


def _connect(loaded: LoadedTenant) -> Connection:
    from ssoctl.entra import connect

    _require_extra()
    return connect(loaded.model, str(loaded.path), os.environ)


@app.command()
def status() -> None:
    """Who is signed in, to which tenant and cloud, the token's Graph permissions, and
    which `ssoctl entra` commands they allow."""
    from ssoctl.entra import permissions

    loaded = load_tenant()
    connection = _connect(loaded)
    claims = connection.claims()
    where = connection.endpoints
    write_out(f"tenant:      {where.tenant_id} ({where.cloud} cloud)\n")
    write_out(f"signed in:   {connection.credential.description}\n")
    who = claims.get("upn") or claims.get("app_displayname") or claims.get("appid") or "unknown"
    write_out(f"identity:    {who}\n")
    write_out(f"sign-in at:  {where.authority_host}\n")
    write_out(f"Graph at:    {where.graph_root}\n")
    for variable in where.overridden:
        write_out(f"override:    ${variable} is set\n")
    granted = permissions.granted(claims)
    if granted is None:
        write_out("permissions: the token does not list them; Graph will decide\n")
    else:
        kind, names = granted
        write_out(f"permissions: {', '.join(sorted(names)) or 'none'} ({kind})\n")
    for command in permissions.NEEDS:
        lacking = permissions.missing(claims, command)
        verdict = "allowed" if not lacking else f"needs {', '.join(lacking)}"
        write_out(f"entra {command}: {verdict}\n")


@app.command()
def login(
    client_id: str | None = typer.Option(
        None, "--client-id", help="Your public-client app registration (default: $AZURE_CLIENT_ID)."
    ),
) -> None:
    """Sign in as yourself with a device code; the token cache is kept 0600 in your
    config folder ($XDG_CONFIG_HOME/ssoctl/entra/TENANT.json)."""
    from ssoctl.entra import auth
    from ssoctl.entra.clouds import endpoints
    from ssoctl.entra.transport import make_client
    from ssoctl.errors import UsageError

    _require_extra()
    loaded = load_tenant()
    chosen = client_id or os.environ.get("AZURE_CLIENT_ID")
    if not chosen:
        raise UsageError(
            "--client-id is required: the app registration you sign in through.",
            hint="register a public-client app (docs/entra.md, 'Signing in as yourself').",
        )
    tenant_id = str(loaded.model.tenant.id)
    auth.check_tenant(os.environ, tenant_id, str(loaded.path))
    where = endpoints(loaded.model.tenant.cloud, tenant_id, os.environ)
    who = auth.device_login(where, chosen, make_client(), os.environ, note)
    note(f"signed in as {who}; `ssoctl entra status` shows the permissions.")


@app.command()
def logout() -> None:
    """Forget the device-code login of the tenant file's tenant."""
    from ssoctl.entra import auth

    loaded = load_tenant()
    removed = auth.logout(os.environ, str(loaded.model.tenant.id))
    note("signed out." if removed else "not signed in; nothing to remove.")


@app.command()
def export(
    app_name: str | None = typer.Option(None, "--app", help="Export this app only."),
    all_apps: bool = typer.Option(False, "--all", help="Export every SAML app of the tenant."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the change to the file as a diff; write nothing."
    ),
) -> None:
    """Read the tenant's SAML apps from Entra into the tenant file (comments kept):
    settings, claims, signing certificates (public part, certs/NAME.pem) and assignments,
    with the users and groups they name."""
    import datetime as dt

    from ssoctl.cli.options import export_scope
    from ssoctl.entra import export as run_export
    from ssoctl.validate import edit_judge

    export_scope(app=app_name, all_apps=all_apps)
    loaded = load_tenant()
    connection = _connect(loaded)
    # The file records what is live, even what validate will then flag: the findings the
    # export adds are printed, not refused.
    judge = edit_judge(
        force=True,
        notify=note,
        now=dt.datetime.now(dt.timezone.utc),
        forced_by="as it is in Entra",
    )
    result = run_export(tenant_path(), connection, app=app_name, dry_run=dry_run, judge=judge)
    for warning in result.warnings:
        note(f"warning: {warning}")
    if dry_run:
        write_out(result.diff)
        note(
            f"dry run: {len(result.changes)} change(s), nothing written "
            f"({result.requests} Graph requests)."
        )
        return
    for change in result.changes:
        note(f"  {change}")
    if result.written:
        note(
            f"exported {len(result.apps)} app(s) into {tenant_path()} "
            f"({result.requests} Graph requests)."
        )
    else:
        note(f"{tenant_path()} already matches Entra ({result.requests} Graph requests).")


@app.command()
def plan(
    app_name: str | None = typer.Option(None, "--app", help="Compare this app only."),
    output_format: PlanFormat = typer.Option(PlanFormat.text, "--format", help="Output format."),
    now: str | None = typer.Option(None, "--now", help="Judge certificate expiry at this time."),
) -> None:
    """Compare the tenant file with live Entra, field by field: what apply would change,
    what exists only live, certificates inactive or near expiry, and assigned users
    missing from the directory. Exit 0: no drift; 1: drift; 3: Entra could not be read."""
    from ssoctl import outputs
    from ssoctl.entra import plan as run_plan
    from ssoctl.entra import plan_document, plan_text

    moment = parse_now(now)
    loaded = load_tenant()
    connection = _connect(loaded)
    result = run_plan(loaded, connection, app=app_name, now=moment)
    if output_format is PlanFormat.json:
        emit_json(plan_document(result), shape=outputs.EntraPlan)
    else:
        write_out(plan_text(result))
    if result.drift:
        raise typer.Exit(1)


@app.command()
def apply(
    app_name: str | None = typer.Option(None, "--app", help="Apply this app only."),
    auto_approve: bool = typer.Option(
        False, "--auto-approve", help="Do not ask (needed without a terminal, as in CI)."
    ),
    prune: bool = typer.Option(
        False, "--prune", help="Also remove assignments that exist only in Entra."
    ),
) -> None:
    """Make Entra match the tenant file: shows the plan, asks, then writes only what
    differs, in the order Graph needs (create, SAML mode, URLs, sign-on settings, claims,
    the active certificate, assignments), and writes Entra's new Application IDs back
    into the file. Exit 0: Entra matches; 1: something could not be applied (listed)."""
    import datetime as dt
    import sys

    from ssoctl.entra import apply as run_apply
    from ssoctl.entra import plan_text
    from ssoctl.errors import UsageError

    if not auto_approve and not sys.stdin.isatty():
        raise UsageError(
            "apply asks for confirmation on a terminal, and there is none.",
            hint="review `ssoctl entra plan`, then pass --auto-approve.",
        )
    loaded = load_tenant()
    connection = _connect(loaded)

    def approve(shown: Plan) -> bool:
        write_out(plan_text(shown))
        if auto_approve:
            return True
        return bool(typer.confirm("Apply these changes to Entra?", default=False, err=True))

    now = dt.datetime.now(dt.timezone.utc)
    planned, result = run_apply(
        loaded, connection, app=app_name, prune=prune, approve=approve, now=now, notify=note,
        passphrase=key_passphrase,
    )  # fmt: skip
    if result is None:
        if planned.has_work:
            note("nothing was applied.")
        else:
            note("Entra already matches the tenant file; nothing to apply.")
        return
    # What only Entra made is recorded first, also when apply stopped half way.
    if result.app_ids or result.created:
        _record(result.app_ids, result.created)
    if result.stopped is not None:
        raise result.stopped
    for line in result.applied:
        note(f"  applied: {line}")
    for line in result.not_applied:
        note(f"  not applied: {line}")
    note(f"{result.writes} write(s) to Entra.")
    if not result.complete:
        raise typer.Exit(1)


def _record(app_ids: dict[str, str], created: list[tuple[str, str, bytes]]) -> None:
    """What only Entra can make goes into the file: never invented, always recorded."""
    from ssoctl.cli.common import edit_tenant
    from ssoctl.tenant import AppChanges, record_entra_certificate, set_app

    def change(loaded: LoadedTenant) -> None:
        for name, app_id in app_ids.items():
            set_app(loaded, name, AppChanges(app_id=app_id))
        for app, name, pem in created:
            record_entra_certificate(loaded, app, name, pem)

    edit_tenant(change, force=True)
    if app_ids:
        note(f"recorded the Application ID of {', '.join(sorted(app_ids))} in {tenant_path()}.")
    for app, name, _ in created:
        note(f"recorded Entra's new certificate {name} of {app} (inactive) in {tenant_path()}.")
