"""`ssoctl entra apply` against the Graph twin: only what differs is written, in Graph's
order; a second apply makes zero writes (the twin's request log says so); a new app is
created and its Application ID recorded; a change behind the plan's back is refused."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from ssoctl import tenant as wing
from tests.entra.conftest import Live, Run
from tests.entra.graphtwin import READ_ALL

WRITE = ["Application.ReadWrite.OwnedBy", "Policy.ReadWrite.ApplicationConfiguration",
         "AppRoleAssignment.ReadWrite.All"]  # fmt: skip


@pytest.fixture
def writer(run: Run, live: Live) -> Run:
    live.twin.knobs.roles = [*READ_ALL, *WRITE]
    assert run("entra", "export", "--all").exit_code == 0
    live.twin.writes.clear()
    return run


def _writes(live: Live) -> list[tuple[str, str]]:
    return list(live.twin.writes)


def test_apply_writes_only_what_differs_then_nothing(writer: Run, live: Live) -> None:
    run = writer
    assert (
        run("app", "set", "wiki", "--sign-on-url", "https://wiki.contoso.com/start").exit_code == 0
    )
    assert run("app", "set", "wiki", "--identifier", "https://wiki.contoso.com/v2").exit_code == 0
    assert run("app", "claim", "set", "wiki", "urn:wiki:name", "user.displayname").exit_code == 0
    assert run("app", "assign", "wiki", "alice@contoso.com").exit_code == 0
    assert (
        run(
            "cert",
            "activate",
            live_name(run, "mitel-connect", inactive=True),
            "--app",
            "mitel-connect",
        ).exit_code
        == 0
    )
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "~ app wiki" in result.stdout  # the plan is shown first
    methods = [(m, path.split("/")[1]) for m, path in _writes(live)]
    assert methods == [
        ("PATCH", "servicePrincipals"),  # mitel: the active certificate
        ("PATCH", "applications"),  # wiki: Identifiers
        ("PATCH", "servicePrincipals"),  # wiki: Sign-on URL
        ("PUT", "servicePrincipals"),  # wiki: claims (beta)
        ("POST", "servicePrincipals"),  # wiki: alice assigned
    ], _writes(live)
    sp = live.twin.service_principals[live.wiki]
    assert sp["loginUrl"] == "https://wiki.contoso.com/start"
    assert live.twin.application_of(live.wiki)["identifierUris"] == ["https://wiki.contoso.com/v2"]
    mitel = live.twin.service_principals[live.mitel]
    assert mitel["preferredTokenSigningKeyThumbprint"] == live.thumbprints["mitel"][1]
    planned = run("entra", "plan")
    assert planned.exit_code == 0, planned.stdout
    live.twin.writes.clear()
    again = run("entra", "apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "nothing to apply" in again.output
    assert _writes(live) == []  # idempotent: zero writes


def live_name(run: Run, app: str, *, inactive: bool) -> str:
    model = wing.load(run.tenant).model
    signing = model.apps[app].signing
    assert signing is not None
    return next(n for n in signing.certificates if (n != signing.active) == inactive)


def test_a_new_app_is_created_saml_first_and_its_app_id_recorded(writer: Run, live: Live) -> None:
    run = writer
    live.twin.knobs.replication_lag = 2
    added = run(
        "app",
        "add",
        "custom",
        "--name",
        "intranet",
        "--identifier",
        "https://intranet.fabrikam.net",
        "--reply-url",
        "https://intranet.fabrikam.net/acs",
        "--no-certificate",
    )
    assert added.exit_code == 0, added.output
    assert run("app", "assign", "intranet", "bob@contoso.com").exit_code == 0
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "waiting for Entra to replicate" in result.output
    writes = _writes(live)
    assert writes[0][0] == "POST" and writes[0][1].endswith("/instantiate")
    # SAML mode before the Identifiers (off the verified domains: HostNameNotOnVerifiedDomain)
    assert writes[1][0] == "PATCH" and writes[1][1].startswith("/servicePrincipals/")
    assert writes[2][0] == "PATCH" and writes[2][1].startswith("/applications/")
    app_id = wing.load(run.tenant).model.apps["intranet"].app_id
    assert app_id is not None
    created = next(s for s in live.twin.service_principals.values() if s["appId"] == str(app_id))
    assert created["preferredSingleSignOnMode"] == "saml"
    assert "recorded the Application ID of intranet" in result.output
    live.twin.writes.clear()
    planned = run("entra", "plan")
    assert planned.exit_code == 0, planned.stdout
    assert run("entra", "apply", "--auto-approve").exit_code == 0
    assert _writes(live) == []


def test_a_change_after_the_plan_is_refused(writer: Run, live: Live) -> None:
    from ssoctl.entra import apply, connect

    run = writer
    assert run("app", "set", "wiki", "--relay-state", "/new").exit_code == 0
    loaded = wing.load(run.tenant)
    connection = connect(loaded.model, str(run.tenant), os.environ)

    def approve(plan: object) -> bool:  # meanwhile, someone edits the app in the portal
        live.twin.service_principals[live.wiki]["loginUrl"] = "https://wiki.contoso.com/x"
        return True

    from ssoctl.errors import OperationError

    with pytest.raises(OperationError, match="Entra changed after the plan was shown"):
        apply(loaded, connection, app=None, prune=False, approve=approve,
              now=dt.datetime.now(dt.timezone.utc), notify=lambda _: None)  # fmt: skip
    assert _writes(live) == []


def test_without_a_terminal_apply_needs_auto_approve(writer: Run, live: Live) -> None:
    result = writer("entra", "apply")
    assert result.exit_code == 2 and "--auto-approve" in result.output
    assert _writes(live) == []


def test_prune_removes_assignments_that_exist_only_in_entra(writer: Run, live: Live) -> None:
    run = writer
    assert run("app", "unassign", "wiki", "bob@contoso.com").exit_code == 0
    kept = run("entra", "apply", "--auto-approve")
    assert kept.exit_code == 1  # not applied: said, and the exit says it
    assert "is assigned in Entra only; --prune removes it" in kept.output
    assert _writes(live) == []
    pruned = run("entra", "apply", "--auto-approve", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert [m for m, _ in _writes(live)] == ["DELETE"]
    assert live.twin.assignments[live.wiki] == []


def test_a_missing_write_permission_is_named_before_any_call(run: Run, live: Live) -> None:
    assert run("entra", "export", "--all").exit_code == 0
    assert run("app", "set", "wiki", "--relay-state", "/new").exit_code == 0
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 3
    assert "the token lacks Application.ReadWrite.OwnedBy" in result.output
    assert live.twin.writes == []


def test_a_refused_write_says_what_was_applied_and_a_rerun_finishes(
    writer: Run, live: Live
) -> None:
    run = writer
    assert run("app", "set", "wiki", "--relay-state", "/new").exit_code == 0
    assert run("app", "claim", "set", "wiki", "urn:wiki:name", "user.displayname").exit_code == 0
    # Graph refuses the claims PUT only (the reads of the policy pass)
    original = live.twin.write

    def refuse_put(method, rest, beta, body, need):
        if method == "PUT":
            return live.twin.error(
                "403 Forbidden",
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )[::2]
        return original(method, rest, beta, body, need)

    live.twin.write = refuse_put  # type: ignore[method-assign]
    stopped = run("entra", "apply", "--auto-approve")
    assert stopped.exit_code == 3, stopped.output
    assert "apply stopped: Graph refused PUT" in stopped.output
    assert "applied: app wiki: samlSingleSignOnSettings" in stopped.output
    assert "Run `ssoctl entra apply` again" in stopped.output
    live.twin.write = original  # type: ignore[method-assign]
    finished = run("entra", "apply", "--auto-approve")
    assert finished.exit_code == 0, finished.output
    document = json.loads(run("entra", "plan", "--format", "json").stdout)
    assert not document["drift"]


def test_certificates_apply_cannot_make_yet_are_said_not_applied(writer: Run, live: Live) -> None:
    run = writer
    assert (
        run(
            "app",
            "add",
            "custom",
            "--name",
            "intranet",
            "--identifier",
            "https://intranet.contoso.com",
            "--reply-url",
            "https://intranet.contoso.com/acs",
        ).exit_code
        == 0
    )
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "not applied: app intranet: certificates: adding or removing signing" in result.output
    assert wing.load(run.tenant).model.apps["intranet"].app_id is not None
