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

    with pytest.raises(
        OperationError, match=r"Entra changed after the plan was shown.*app wiki \(sign_on_url\)"
    ):
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
    planned = run("entra", "plan", "--format", "json")
    assert planned.exit_code == 0, planned.output
    assert not json.loads(planned.stdout)["drift"]


def test_a_local_certificate_not_marked_for_upload_is_said_not_applied(
    writer: Run, live: Live
) -> None:
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
    assert "certificate intranet-" in result.output
    assert "does not mark it for upload (`upload: true`, with its key)" in result.output
    assert wing.load(run.tenant).model.apps["intranet"].app_id is not None


def test_rollover_driven_from_git(writer: Run, live: Live) -> None:
    """Entra's rollover: add inactive (Entra's key) -> the SP gets the metadata ->
    activate -> apply -> remove the old one -> apply."""
    run = writer
    requested = run("cert", "new", "--app", "wiki", "--in-entra", "--name", "wiki-next")
    assert requested.exit_code == 0, requested.output
    planned = run("entra", "plan")
    assert planned.exit_code == 1 and "(new in Entra: wiki-next)" in planned.stdout
    made = run("entra", "apply", "--auto-approve")
    assert made.exit_code == 0, made.output
    assert "recorded Entra's new certificate wiki-next of wiki (inactive)" in made.output
    model = wing.load(run.tenant).model
    signing = model.apps["wiki"].signing
    assert signing is not None and "wiki-next" in signing.certificates
    assert signing.active != "wiki-next" and signing.new_in_entra == []
    entry = model.certificate("wiki-next")
    assert entry is not None and entry.key is None  # Entra keeps the key
    sp = live.twin.service_principals[live.wiki]
    assert sp["preferredTokenSigningKeyThumbprint"] == live.thumbprints["wiki"][0]  # unchanged
    assert run("entra", "plan").exit_code == 0  # the write-back closed the loop
    old = signing.active
    assert run("cert", "activate", "wiki-next", "--app", "wiki").exit_code == 0
    live.twin.writes.clear()
    switched = run("entra", "apply", "--auto-approve")
    assert switched.exit_code == 0, switched.output
    assert [m for m, _ in live.twin.writes] == ["PATCH"]
    new_thumbprint = sp["preferredTokenSigningKeyThumbprint"]
    assert new_thumbprint != live.thumbprints["wiki"][0]
    assert run("cert", "remove", str(old)).exit_code == 0
    kept = run("entra", "apply", "--auto-approve")  # only live now: kept without --prune
    assert kept.exit_code == 1 and "exists only in Entra; --prune removes it" in kept.output
    assert len([k for k in sp["keyCredentials"] if k["usage"] == "Verify"]) == 2
    removed = run("entra", "apply", "--auto-approve", "--prune")
    assert removed.exit_code == 0, removed.output
    verify = [k for k in sp["keyCredentials"] if k["usage"] == "Verify"]
    assert len(verify) == 1  # the old group (Sign and Verify) is gone
    assert len(sp["keyCredentials"]) == 2
    assert run("entra", "plan").exit_code == 0


def test_upload_of_your_own_key_is_named_in_the_plan_and_sends_a_pfx(
    writer: Run, live: Live
) -> None:
    import base64

    from cryptography.hazmat.primitives.serialization import pkcs12

    run = writer
    made = run("cert", "new", "--app", "wiki", "--upload", "--name", "wiki-own")
    assert made.exit_code == 0, made.output
    planned = run("entra", "plan")
    assert "would upload certificate wiki-own of app wiki WITH ITS PRIVATE KEY" in planned.stdout
    document = json.loads(run("entra", "plan", "--format", "json").stdout)
    assert [u["certificate"] for u in document["key_uploads"]] == ["wiki-own"]
    live.twin.writes.clear()
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "uploaded certificate wiki-own with its private key (PFX)" in result.output
    sp = live.twin.service_principals[live.wiki]
    sign = [k for k in sp["keyCredentials"] if k["type"] == "X509CertAndPassword" and k["key"]]
    assert len(sign) == 1
    password = next(
        p["secretText"] for p in sp["passwordCredentials"] if p["keyId"] == sign[0]["keyId"]
    )
    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(sign[0]["key"]), password.encode()
    )
    assert key is not None and cert is not None  # Entra can open it with the password
    assert password not in result.output and password not in run.tenant.read_text()
    assert run("entra", "plan").exit_code == 0  # uploaded: in Entra now, inactive


def test_apply_from_empty_with_replication_lag_and_throttling(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RingCentral (euro), Mitel Connect (CloudLink) and a custom app with claims, into an
    Entra that has only the users; every new object lags, every 5th request is a 429.
    The request bodies are the ones Microsoft's docs give (entra-graph.md A2)."""
    import httpx

    import ssoctl.entra.graph as graph
    import ssoctl.entra.transport as transport
    from tests.entra.conftest import TENANT_ID
    from tests.entra.graphtwin import GraphTwin

    twin = GraphTwin(TENANT_ID)
    twin.add_user("alice@contoso.com", displayName="Alice Adams")
    twin.knobs.roles = [*READ_ALL, *WRITE]
    twin.knobs.replication_lag = 2
    monkeypatch.setattr(
        transport, "make_client", lambda: httpx.Client(transport=httpx.WSGITransport(app=twin))
    )
    elapsed = [0.0]
    monkeypatch.setattr(graph, "sleep", lambda s: elapsed.__setitem__(0, elapsed[0] + s))
    monkeypatch.setattr(graph, "clock", lambda: elapsed[0])
    run = Run(tmp_path, monkeypatch)
    assert run("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com").exit_code == 0
    steps = [
        ("user", "add", "alice@contoso.com", "--mail", "alice@contoso.com"),
        ("app", "add", "ringcentral", "--region", "euro", "--no-certificate"),
        ("app", "add", "mitel-connect", "--platform", "cloudlink", "--no-certificate",
         "--identifier", "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0002",
         "--reply-url", "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0002/acs"),
        ("app", "add", "custom", "--name", "wiki", "--no-certificate", "--identifier",
         "https://wiki.contoso.com", "--reply-url", "https://wiki.contoso.com/acs"),
        ("app", "claim", "set", "wiki", "urn:wiki:email", "user.mail"),
        ("app", "assign", "ringcentral", "alice@contoso.com"),
        ("app", "assign", "mitel-connect", "alice@contoso.com"),
        ("app", "assign", "wiki", "alice@contoso.com"),
    ]  # fmt: skip
    for step in steps:
        done = run(*step)
        assert done.exit_code == 0, (step, done.output)
    twin.knobs.throttle_every = 5
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    model = wing.load(run.tenant).model
    assert all(model.apps[a].app_id is not None for a in ("ringcentral", "mitel-connect", "wiki"))
    bodies = twin.write_bodies
    ringcentral = [b for b in bodies if b[2] == {"displayName": "RingCentral"}]
    assert len(ringcentral) == 1 and ringcentral[0][1].endswith("/instantiate")
    saml_on = [b for b in bodies if b[2] == {"preferredSingleSignOnMode": "saml"}]
    assert len(saml_on) == 3
    assert ("PATCH", mid := bodies[bodies.index(ringcentral[0]) + 2][1], {
        "identifierUris": ["https://ssoeuro.ringcentral.com"],
        "web": {"redirectUris": ["https://ssoeuro.ringcentral.com/sp/ACS.saml2"],
                "logoutUrl": None},
    }) in bodies and mid.startswith("/applications/")  # fmt: skip
    # every instantiated object was polled through its replication lag
    assert "waiting for Entra to replicate" in result.output
    twin.writes.clear()
    twin.knobs.throttle_every = 0
    planned = run("entra", "plan")
    assert planned.exit_code == 0, planned.stdout
    assert run("entra", "apply", "--auto-approve").exit_code == 0
    assert twin.writes == []


def test_no_key_material_in_any_output_log_or_error(writer: Run, live: Live) -> None:
    run = writer
    assert run("cert", "new", "--app", "wiki", "--upload", "--name", "wiki-own").exit_code == 0
    key_pem = (run.folder / "certs" / "wiki-own.key").read_text()
    body = "".join(key_pem.splitlines()[1:-1])
    outputs = [run("entra", "plan").output, run("entra", "plan", "--format", "json").output]
    outputs.append(run("--debug", "entra", "apply", "--auto-approve").output)
    sp = live.twin.service_principals[live.wiki]
    passwords = [p["secretText"] for p in sp["passwordCredentials"]]
    pfx = [
        k["key"] for k in sp["keyCredentials"] if k["type"] == "X509CertAndPassword" and k["key"]
    ]
    assert passwords and pfx
    for text in outputs:
        assert body[:40] not in text
        assert all(p not in text for p in passwords)
        assert all(x[:40] not in text for x in pfx)
    assert all(p not in run.tenant.read_text() for p in passwords)


def test_usgov_claims_are_refused_with_the_reason(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    import ssoctl.entra.transport as transport
    from tests.entra.conftest import TENANT_ID
    from tests.entra.graphtwin import GraphTwin

    twin = GraphTwin(TENANT_ID, cloud="usgov")
    twin.knobs.no_claims_api = True
    twin.knobs.roles = [*READ_ALL, *WRITE]
    monkeypatch.setattr(
        transport, "make_client", lambda: httpx.Client(transport=httpx.WSGITransport(app=twin))
    )
    run = Run(tmp_path, monkeypatch)
    made = run("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com", "--cloud", "usgov")
    assert made.exit_code == 0
    added = run(
        "app",
        "add",
        "custom",
        "--name",
        "wiki",
        "--no-certificate",
        "--identifier",
        "https://wiki.contoso.com",
        "--reply-url",
        "https://wiki.contoso.com/acs",
    )
    assert added.exit_code == 0, added.output
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "not applied: app wiki: claims: the usgov cloud has no claimsPolicy API" in result.output
    assert not [w for w in twin.writes if w[1].endswith("/claimsPolicy")]


def test_an_example_file_never_changes_a_tenant(writer: Run, live: Live) -> None:
    run = writer
    text = run.tenant.read_text()
    run.tenant.write_text(
        text.replace("  domain: contoso.com", "  domain: contoso.com\n  example: true", 1)
    )
    before = len(live.twin.log)
    result = run("entra", "apply", "--auto-approve")
    assert result.exit_code == 2, result.output
    assert "marked `example: true`" in result.stderr and "nothing was sent" in result.stderr
    assert not [
        p for _, p in live.twin.log[before:] if "graph" in p or "/v1.0/" in p or "/beta/" in p
    ]
